//! Follow-up questions: a reply to an answer ("那浙江呢？", "是谁编写的？",
//! "who said that?") read in the context of the question it answered.
//!
//! History expansion (HQE in conversational search), only when needed: a
//! follow-up that reads as a complete question and is answered alone is
//! answered exactly as if asked alone (a topic switch). One that is
//! elliptical — it leans on a pronoun or a continuation word, or has too few
//! words of its own — or that is not answered alone, is searched with the
//! earlier question's words added, and passages of the earlier answer's
//! article are favoured; when it refers to a person by a pronoun (他, his),
//! the people the earlier answer's passage names are added too. The user's
//! own words stay what the demand checks read, so a follow-up asking a fact
//! the articles do not state is still declined; and an elliptical follow-up
//! is not answered from another article that shares none of the carried words.

use super::analysis::Analysis;
use super::question::mask_question_words;
use crate::text::{char_len, fold, mostly_latin};

/// What a follow-up replies to.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The earlier question, or the part of the answer the user quoted.
    pub question: String,
    /// The passage the earlier answer quoted first (its index in the engine),
    /// when known; otherwise the earlier question's best passage is used.
    pub passage: Option<usize>,
}

/// How a follow-up is searched: with the earlier question's topic words,
/// near the passage its answer quoted.
pub(super) struct Expansion<'a> {
    /// The earlier question's weightiest words.
    pub topic: &'a str,
    /// The passage the earlier answer quoted first, when known.
    pub passage: Option<usize>,
}

/// Score added to candidates from the earlier answer's article (scores are
/// normalised to about 0–1.3, so this breaks near-ties, not clear wins).
/// Favouring the quoted passage itself or its neighbours more was tried and
/// lost follow-ups that move on within the article.
pub(super) const SAME_ARTICLE_BONUS: f32 = 0.15;

/// Words of the earlier question carried over: its weightiest (names, terms).
pub(super) const TOPIC_WORDS: usize = 2;

/// People named by the earlier answer's passage carried over when the
/// follow-up refers to a person by a pronoun (the first ones named).
pub(super) const PEOPLE: usize = 2;

/// Share of its weight a word keeps when only the earlier question has it:
/// it names the topic, the user's own words say what is asked about it.
const CONTEXT_WEIGHT: f32 = 0.4;

/// Lowers the weight of the units of `analysis` (made from the follow-up
/// and its context) that the follow-up itself (`folded`) does not have.
pub(super) fn weigh_context(analysis: &mut Analysis, folded: &str) {
    let own = mask_question_words(folded);
    for unit in analysis
        .units
        .iter_mut()
        .chain(analysis.keywords.iter_mut())
    {
        if !unit.forms.iter().any(|f| own.contains(&f.text)) {
            unit.weight *= CONTEXT_WEIGHT;
        }
    }
}

/// Words that make a Chinese question lean on what was said before.
const CONTINUATIONS: &[&str] = &[
    "那么", "那", "还有", "另外", "此外", "其中", "然后", "再", "也",
];
const ANAPHORS: &[&str] = &[
    "它们", "他们", "她们", "它", "他", "她", "其", "该", "这个", "那个", "这些", "那些", "这位",
    "那位", "这家", "那家", "这项", "那项", "这里", "那里", "这", "此",
];
/// Words holding an anaphor's char that refer to nothing said before (应该
/// is no 该; 这次, 这届 point at the present event).
const NOT_ANAPHORS: &[&str] = &[
    "这次",
    "这届",
    "这一届",
    "应该",
    "活该",
    "尤其",
    "极其",
    "其实",
    "其他",
    "其它",
    "其余",
    "其次",
    "因此",
    "如此",
    "彼此",
    "此外",
    "从此",
    "此时",
];
const ENGLISH_ANAPHORS: &[&str] = &[
    "it", "its", "he", "she", "his", "her", "they", "them", "their", "that", "this", "those",
    "these", "there",
];
const ENGLISH_CONTINUATIONS: &[&str] = &["and", "so", "also", "what about", "how about"];

/// Pronouns standing for a person: the follow-up asks about someone the
/// earlier answer named (他还说了什么, what's his title?).
const PERSONAL_PRONOUNS: &[&str] = &["他们", "她们", "他", "她", "此人", "这位", "那位"];
const ENGLISH_PERSONAL_PRONOUNS: &[&str] = &["he", "she", "his", "her", "him", "hers"];

/// Whether `question` refers to a person by a pronoun.
pub(super) fn refers_to_a_person(question: &str) -> bool {
    let folded = fold(question);
    PERSONAL_PRONOUNS.iter().any(|p| folded.contains(p))
        || folded
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| ENGLISH_PERSONAL_PRONOUNS.contains(&w))
}

/// Content chars (beyond question words and punctuation) below which a
/// question cannot stand alone.
const SHORT_CHARS: usize = 4;

/// Whether `question` leans on an earlier one.
pub fn is_elliptical(question: &str) -> bool {
    let reading = Reading::of(question);
    reading.leans || reading.refers
}

/// Whether `question` cannot stand alone: it opens with a continuation word
/// (那, 其中, and), ends in 呢, or has too few words of its own. One that
/// only holds a pronoun (这次峰会在哪里举行) may well be a new question.
pub(super) fn leans_on_context(question: &str) -> bool {
    Reading::of(question).leans
}

/// How a question leans on what was said before.
struct Reading {
    /// Continuation word, 呢, or too few words of its own.
    leans: bool,
    /// A pronoun (它, 这个, 他, it, that).
    refers: bool,
}

impl Reading {
    fn of(question: &str) -> Reading {
        let folded = fold(question.trim());
        if mostly_latin(&folded) {
            let words: Vec<&str> = folded
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
                .filter(|w| !w.is_empty())
                .collect();
            let phrase = words.join(" ");
            return Reading {
                leans: ENGLISH_CONTINUATIONS
                    .iter()
                    .any(|c| phrase == *c || phrase.starts_with(&format!("{c} ")))
                    || words.len() <= 3,
                refers: words.iter().any(|w| ENGLISH_ANAPHORS.contains(w)),
            };
        }
        let bare: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        let own: String = mask_question_words(&bare)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let referring = NOT_ANAPHORS
            .iter()
            .fold(bare.clone(), |text, w| text.replace(w, " "));
        Reading {
            leans: CONTINUATIONS.iter().any(|w| bare.starts_with(w))
                || bare.ends_with('呢')
                || char_len(&own) <= SHORT_CHARS,
            refers: ANAPHORS.iter().any(|w| referring.contains(w)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pronouns_for_people_are_recognised() {
        for q in [
            "他还说了啥",
            "她是哪里人",
            "What's his title?",
            "what did she say",
        ] {
            assert!(refers_to_a_person(q), "{q}");
        }
        for q in ["它是哪天发布的", "What's the theme?", "where is the show"] {
            assert!(!refers_to_a_person(q), "{q}");
        }
    }

    #[test]
    fn elliptical_follow_ups_are_told_from_complete_questions() {
        for q in [
            "那浙江呢？",
            "是谁编写的？",
            "它是哪天发布的",
            "还有别的吗？",
            "具体多少家？",
            "Who said that?",
            "and when?",
            "What about Zhejiang?",
        ] {
            assert!(is_elliptical(q), "{q}");
        }
        for q in [
            "蓝皮书是哪个机构编写的？",
            "林尚立认为应该怎样治理人工智能？",
            "乌镇峰会在哪里举行？",
            "Who is the chairman of Ant Group?",
        ] {
            assert!(!is_elliptical(q), "{q}");
        }
    }
}
