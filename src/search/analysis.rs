//! Question analysis: the masked, folded question → terms for retrieval and
//! weighted units for measuring how much of the question a passage holds.
//!
//! A unit matches a passage exactly, through an alias from the synonyms file
//! (as good as exact), or — when the corpus never has it as typed — through its
//! sound (a pinyin-IME typo; weaker, so an exact match always ranks first).
//! Weights combine rarity in the corpus with specificity in general Chinese
//! ([`super::background`]).

use std::cell::RefCell;

use rustc_hash::FxHashMap;

use super::asked::{asked_of, Asked};
use super::background::specificity;
use super::colloquial;
use super::demand::{demand_of, digit_runs, Demand};
use super::glossary;
use super::question::{cue_of, distinct, is_stop_word, mask_question_words, Cue};
use super::statistics::Statistics;
use crate::corpus::synonyms::{Rule, Synonyms};
use crate::index::analyzer::{
    bigram_terms_folded, cut_both_folded, homophone_terms_folded, word_terms_folded,
};
use crate::index::homophone::fold_homophones;
use crate::index::terms::{unit_terms, SoundTerms};
use crate::index::{Fields, Passage};
use crate::text::{char_len, is_han};

/// What a match by sound is worth against an exact one.
pub(super) const HOMOPHONE_CREDIT: f32 = 0.7;
/// Share of the corpus-absent weight a bigram unit keeps: a bigram the corpus
/// lacks usually straddles two words of the question, it is not a topic.
const ABSENT_BIGRAM: f32 = 0.25;
/// Share of a word's weight that does not depend on its general specificity.
const BASE_SHARE: f32 = 0.4;

/// One way a unit can appear in a passage.
#[derive(Debug, Clone)]
pub(super) struct Form {
    /// Folded text (highlights find it in quotes).
    pub text: String,
    /// Its term hashes, looked up in passages' [`crate::index::terms::TermMap`]s.
    pub terms: Vec<u32>,
}

impl Form {
    fn new(text: String) -> Form {
        Form {
            terms: unit_terms(&text),
            text,
        }
    }

    /// Whether the form can occur in `passage` as a substring. For a form of
    /// ideographs only, that needs every one of its terms somewhere in the
    /// passage's term table, which is far cheaper to ask than to search the
    /// text; anything else (Latin runs match inside longer words) is searched.
    fn may_occur_in(&self, passage: &Passage) -> bool {
        !self.text.chars().all(is_han) || passage.terms.has_all(&self.terms)
    }
}

/// A piece of the question used to measure how much of it a sentence holds.
#[derive(Debug, Clone)]
pub(super) struct Unit {
    /// As typed first, then its aliases.
    pub forms: Vec<Form>,
    /// Term hashes by sound, when the corpus lacks the unit as typed.
    pub homophones: Option<SoundTerms>,
    pub weight: f32,
    /// Long enough to mean something on its own (2+ chars).
    pub content: bool,
}

impl Unit {
    /// The sentences of `passage` holding the unit, and what the match is worth
    /// (1 exact or alias, [`HOMOPHONE_CREDIT`] by sound, 0 none).
    pub fn find(&self, passage: &Passage) -> (u64, f32) {
        let exact = self
            .forms
            .iter()
            .fold(0, |mask, f| mask | passage.terms.mask_all(&f.terms));
        if exact != 0 {
            return (exact, 1.0);
        }
        match &self.homophones {
            Some(terms) => match terms.mask_in(&passage.terms, passage.sound_terms()) {
                0 => (0, 0.0),
                mask => (mask, HOMOPHONE_CREDIT),
            },
            None => (0, 0.0),
        }
    }

    /// Byte ranges of `folded`, a stretch of `passage`'s folded text, where
    /// the unit appears: any of its forms, or by sound when it is matched that way.
    pub fn occurrences(&self, folded: &str, passage: &Passage) -> Vec<std::ops::Range<usize>> {
        let mut found: Vec<std::ops::Range<usize>> = self
            .forms
            .iter()
            .filter(|f| f.may_occur_in(passage))
            .flat_map(|f| folded.match_indices(f.text.as_str()))
            .map(|(at, m)| at..at + m.len())
            .collect();
        if found.is_empty() && self.homophones.is_some() {
            let sounds = fold_homophones(folded);
            let typed = fold_homophones(self.text());
            found = sounds
                .match_indices(typed.as_str())
                .map(|(at, m)| at..at + m.len())
                .filter(|r| folded.is_char_boundary(r.start) && folded.is_char_boundary(r.end))
                .collect();
        }
        found.sort_by_key(|r| r.start);
        found
    }

    /// The typed form.
    pub fn text(&self) -> &str {
        self.forms.first().map_or("", |f| f.text.as_str())
    }
}

/// The analysed question: terms for tantivy, units for coverage.
pub(super) struct Analysis {
    /// Query terms per field, only those some passage holds (a term no
    /// passage holds can change no score, yet would cost a clause).
    pub words: Vec<String>,
    pub bigrams: Vec<String>,
    pub title_bigrams: Vec<String>,
    /// Terms of the homophone field, for the question's pairs the corpus lacks.
    pub homophones: Vec<String>,
    pub units: Vec<Unit>,
    /// The question's content words (precise cut) and aliases, for relevance.
    pub keywords: Vec<Unit>,
    pub cue: Cue,
    /// The kind of fact asked for, which the answering passage must state.
    pub demand: Demand,
    /// The numbers the question gives itself: no answer to what it asks.
    pub given: Vec<String>,
    /// What else the question asks about, which the passage must mention.
    pub asked: Asked,
}

/// Weights of the question's units from the corpus statistics.
struct Weigher<'a> {
    statistics: &'a Statistics<'a>,
    fields: Fields,
    docs: f32,
    /// Units already weighed for this question, by their forms: a keyword is
    /// usually one of the question's words as well.
    weighed: RefCell<FxHashMap<Vec<String>, Unit>>,
}

impl Weigher<'_> {
    fn df(&self, field: tantivy::schema::Field, text: &str) -> u64 {
        self.statistics.df(field, text)
    }

    fn idf(&self, df: u64) -> f32 {
        let df = df as f32;
        (1.0 + (self.docs - df + 0.5) / (df + 0.5)).ln()
    }

    /// An upper bound of the passages holding the phrase: its rarest bigram's
    /// count (a single word: its own count).
    fn phrase_df(&self, text: &str) -> u64 {
        let words = word_terms_folded(text);
        if words.len() == 1 {
            return self.df(self.fields.words, words[0]);
        }
        bigram_terms_folded(text)
            .iter()
            .map(|b| self.df(self.fields.bigrams, b))
            .min()
            .unwrap_or(0)
    }

    /// How many passages hold the phrase by sound (0 if it has no pair of ideographs).
    fn homophone_df(&self, text: &str) -> u64 {
        homophone_terms_folded(text)
            .iter()
            .map(|t| self.df(self.fields.homophones, t))
            .min()
            .unwrap_or(0)
    }

    /// A word or phrase as a unit: weighted by corpus rarity and general
    /// specificity; a phrase the corpus lacks is looked for by sound, and if
    /// it is not there either it weighs by its general specificity alone.
    fn word_unit(&self, forms: Vec<String>) -> Unit {
        if let Some(unit) = self.weighed.borrow().get(&forms) {
            return unit.clone();
        }
        let unit = self.weigh_word(forms.clone());
        self.weighed.borrow_mut().insert(forms, unit.clone());
        unit
    }

    fn weigh_word(&self, forms: Vec<String>) -> Unit {
        let content = forms.iter().any(|f| char_len(f) >= 2);
        let present = forms.iter().map(|f| self.phrase_df(f)).max().unwrap_or(0);
        let spec = forms.iter().map(|f| specificity(f)).fold(0.0f32, f32::max);
        let share = BASE_SHARE + (1.0 - BASE_SHARE) * spec;
        let typed = forms.first().cloned().unwrap_or_default();
        let (weight, homophones) = if present > 0 {
            (self.idf(present) * share, None)
        } else {
            match self.homophone_df(&typed) {
                0 => (self.idf(0) * spec, None),
                df => (self.idf(df) * share, Some(SoundTerms::of(&typed))),
            }
        };
        Unit {
            forms: forms.into_iter().map(Form::new).collect(),
            homophones,
            weight,
            content,
        }
    }

    /// A bigram (or lone ideograph, or Latin/digit run) as a unit.
    fn bigram_unit(&self, text: &str) -> Unit {
        let df = self.df(self.fields.bigrams, text);
        let weight = if df > 0 {
            self.idf(df)
        } else {
            self.idf(0) * ABSENT_BIGRAM
        };
        Unit {
            forms: vec![Form::new(text.to_string())],
            homophones: None,
            weight,
            content: char_len(text) >= 2,
        }
    }
}

/// Terms and weighted units of a folded question.
pub(super) fn analyse(
    folded: &str,
    fields: Fields,
    statistics: &Statistics,
    synonyms: &Synonyms,
) -> Analysis {
    let cue = cue_of(folded);
    let masked = mask_question_words(folded);
    let (rest, mut aliases) = apply_synonyms(&masked, synonyms);
    let (rest, translated) = glossary::translate(&rest, |zh| statistics.df(fields.words, zh) > 0);
    aliases.extend(translated);
    let (rest, written) = colloquial::standardise(&rest, |w| statistics.df(fields.words, w) > 0);
    aliases.extend(written);
    let weigher = Weigher {
        statistics,
        fields,
        docs: statistics.docs() as f32,
        weighed: RefCell::default(),
    };
    let (search_words, precise_words) = cut_both_folded(&rest);

    let content = |words: Vec<&str>| -> Vec<String> {
        distinct(words.into_iter().filter(|w| !is_stop_word(w)))
    };
    let own_words = content(search_words);
    let own_bigrams = bigram_terms_folded(&rest);
    let mut words = own_words.clone();
    let mut bigrams = distinct(own_bigrams.iter().map(String::as_str));
    for phrase in aliases.iter().flatten() {
        words.extend(content(word_terms_folded(phrase)));
        bigrams.extend(bigram_terms_folded(phrase));
    }
    words = distinct(words.iter().map(String::as_str));
    bigrams = distinct(bigrams.iter().map(String::as_str));

    // Units: the question's own words and bigrams, and one per alias group.
    let mut units: Vec<Unit> = Vec::new();
    for w in own_words {
        units.push(weigher.word_unit(vec![w]));
    }
    for b in &own_bigrams {
        if !units.iter().any(|u| u.text() == b) {
            units.push(weigher.bigram_unit(b));
        }
    }
    for group in &aliases {
        units.push(weigher.word_unit(group.clone()));
    }

    let mut keywords: Vec<Unit> = content(precise_words)
        .into_iter()
        .map(|w| weigher.word_unit(vec![w]))
        .collect();
    for group in &aliases {
        keywords.push(weigher.word_unit(group.clone()));
    }

    let held = |field, terms: &[String]| -> Vec<String> {
        terms
            .iter()
            .filter(|t| weigher.df(field, t) > 0)
            .cloned()
            .collect()
    };
    Analysis {
        words: held(fields.words, &words),
        title_bigrams: held(fields.title, &bigrams),
        bigrams: held(fields.bigrams, &bigrams),
        homophones: homophones_where_missing(&rest, &units, &weigher),
        units,
        keywords,
        cue,
        demand: demand_of(folded, cue),
        given: digit_runs(folded),
        asked: asked_of(folded),
    }
}

/// Homophone query terms are a typo signal: only when some unit of the
/// question is missing from the corpus as typed, and only those the corpus holds.
fn homophones_where_missing(rest: &str, units: &[Unit], weigher: &Weigher) -> Vec<String> {
    if !units.iter().any(|u| u.homophones.is_some()) {
        return Vec::new();
    }
    distinct(homophone_terms_folded(rest).iter().map(String::as_str))
        .into_iter()
        .filter(|h| weigher.df(weigher.fields.homophones, h) > 0)
        .collect()
}

/// The question with the phrases of the synonyms file taken out (replaced by
/// spaces), and for each rule that matched, the phrases to search instead.
/// Longer phrases are matched first; a Latin phrase matches whole words only
/// (an English plural `s` allowed).
fn apply_synonyms(masked: &str, synonyms: &Synonyms) -> (String, Vec<Vec<String>>) {
    let mut rest = masked.to_string();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut matched: Vec<&Rule> = Vec::new();
    for (phrase, rule) in synonyms.triggers() {
        while let Some(range) = find_phrase(&rest, phrase) {
            rest.replace_range(range.clone(), &" ".repeat(range.len()));
            if !matched.iter().any(|m| std::ptr::eq(*m, rule)) {
                matched.push(rule);
                groups.push(rule.to.clone());
            }
        }
    }
    (rest, groups)
}

/// Where `phrase` occurs in `text` as a match (Latin phrases: whole words,
/// with an optional plural `s`), as a byte range.
fn find_phrase(text: &str, phrase: &str) -> Option<std::ops::Range<usize>> {
    let latin_edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut from = 0;
    while let Some(at) = text[from..].find(phrase) {
        let start = from + at;
        let mut end = start + phrase.len();
        let latin = phrase.starts_with(|c: char| c.is_ascii_alphanumeric())
            || phrase.ends_with(|c: char| c.is_ascii_alphanumeric());
        if latin {
            if text[end..].starts_with('s') && !latin_edge(text[end + 1..].chars().next()) {
                end += 1;
            }
            let before = text[..start].chars().next_back();
            let after = text[end..].chars().next();
            let starts_latin = phrase.starts_with(|c: char| c.is_ascii_alphanumeric());
            let ends_latin = phrase.ends_with(|c: char| c.is_ascii_alphanumeric());
            if (starts_latin && latin_edge(before)) || (ends_latin && latin_edge(after)) {
                from = start + phrase.len();
                continue;
            }
        }
        return Some(start..end);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synonyms(text: &str) -> Synonyms {
        Synonyms::parse(text).unwrap()
    }

    #[test]
    fn aliases_replace_their_phrase() {
        let s = synonyms("ai, 人工智能\n人大 => 中国人民大学\nant group, 蚂蚁集团");
        let (rest, groups) = apply_synonyms("人大校长讲ai", &s);
        assert_eq!(rest.trim_end(), "      校长讲");
        assert_eq!(
            groups,
            [
                vec!["ai".to_string(), "人工智能".into()],
                vec!["中国人民大学".to_string()]
            ]
        );
        let (_, groups) = apply_synonyms("ant groups chairman", &s);
        assert_eq!(groups, [vec!["ant group".to_string(), "蚂蚁集团".into()]]);
    }

    #[test]
    fn latin_aliases_match_whole_words() {
        let s = synonyms("ai, 人工智能");
        assert!(apply_synonyms("said the chair", &s).1.is_empty());
        assert_eq!(apply_synonyms("aigc和ai", &s).1.len(), 1);
        assert!(find_phrase("aigc", "ai").is_none());
    }
}
