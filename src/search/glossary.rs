//! English words read as the corpus's Chinese words: an English question
//! shares no word with a Chinese corpus, so without this only e5 sees what it
//! is about, and the gate cannot tell "about our articles" from "about
//! anything". The glossary (`glossary.tsv`, from CC-CEDICT) maps an English
//! phrase to the Chinese words it translates; only the words the corpus holds
//! are searched, so the same file serves any corpus.

use std::sync::OnceLock;

/// The shipped glossary (CC BY-SA 4.0, see its header).
const GLOSSARY: &str = include_str!("glossary.tsv");
/// Longest English phrase looked up, in words.
const MAX_PHRASE_WORDS: usize = 3;

/// The glossary's lines as (English phrase, its Chinese words separated by
/// spaces), sorted by phrase: a lookup is a binary search over text the
/// binary already holds; the index of 64,000 slice pairs is about 2 MB.
fn glossary() -> &'static [(&'static str, &'static str)] {
    static ENTRIES: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut entries: Vec<(&str, &str)> = GLOSSARY
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('\t'))
            .collect();
        entries.sort_unstable_by_key(|(english, _)| *english);
        entries
    })
}

/// The Chinese words of `english`, if the glossary has it.
fn lookup(english: &str) -> Option<impl Iterator<Item = &'static str>> {
    let entries = glossary();
    let at = entries.binary_search_by_key(&english, |(e, _)| e).ok()?;
    Some(entries[at].1.split(' '))
}

/// `text` with the English phrases the glossary knows blanked out, and for
/// each, the Chinese words searched instead — those `held` by the corpus.
/// Longer phrases win; an inflected last word (`factories`, `cultivated`,
/// `screening`) is looked up in its plain forms too. In a question that is
/// mostly Chinese an English word is more often a name a passage holds as
/// typed (《CHANGE》的主演), so there the phrase stays one of its forms; in an
/// English question it would only make a translated word weigh like a name.
pub(super) fn translate(text: &str, held: impl Fn(&str) -> bool) -> (String, Vec<Vec<String>>) {
    let words = latin_words(text);
    if words.is_empty() {
        return (text.to_string(), Vec::new());
    }
    let keep_typed = !crate::text::mostly_latin(text);
    let mut rest = text.to_string();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let longest = MAX_PHRASE_WORDS.min(words.len() - at);
        let found = (1..=longest).rev().find_map(|n| {
            let phrase = &words[at..at + n];
            let head: Vec<&str> = phrase[..n - 1].iter().map(|w| w.text.as_str()).collect();
            plain_forms(&phrase[n - 1].text)
                .into_iter()
                .find_map(|last| {
                    let key = head
                        .iter()
                        .copied()
                        .chain([last.as_str()])
                        .collect::<Vec<_>>()
                        .join(" ");
                    let chinese: Vec<String> = lookup(&key)?
                        .filter(|zh| held(zh))
                        .map(|zh| zh.to_string())
                        .collect();
                    (!chinese.is_empty()).then_some((n, chinese))
                })
        });
        match found {
            Some((n, chinese)) => {
                let range = words[at].start..words[at + n - 1].end;
                let typed = keep_typed.then(|| text[range.clone()].to_string());
                let group: Vec<String> = typed.into_iter().chain(chinese).collect();
                rest.replace_range(range.clone(), &" ".repeat(range.len()));
                if !groups.contains(&group) {
                    groups.push(group);
                }
                at += n;
            }
            None => at += 1,
        }
    }
    (rest, groups)
}

/// One run of ASCII letters (and inner hyphens), lower-cased, with its byte range.
struct LatinWord {
    text: String,
    start: usize,
    end: usize,
}

/// Words of `text`: runs of ASCII letters and inner hyphens. A run touching a
/// digit (`POWER6`, `5G`) is a name, not an English word.
fn latin_words(text: &str) -> Vec<LatinWord> {
    let mut words = Vec::new();
    let mut start = None;
    let mut after_digit = false;
    let is_part = |c: char| c.is_ascii_alphabetic() || c == '-';
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, is_part(c)) {
            (None, true) if c != '-' => start = Some(i),
            (Some(s), false) => {
                let word = text[s..i].trim_end_matches('-');
                let touches_digit = after_digit || c.is_ascii_digit();
                if !touches_digit {
                    words.push(LatinWord {
                        text: word.to_ascii_lowercase(),
                        start: s,
                        end: s + word.len(),
                    });
                }
                start = None;
            }
            _ => {}
        }
        if start.is_none() {
            after_digit = c.is_ascii_digit();
        }
    }
    words
}

/// `word` and the plain forms it may be inflected from: plurals, past
/// tenses, -ing forms (`factories` → factory, `cultivated` → cultivate,
/// `planned` → plan). Unknown candidates are simply not found.
fn plain_forms(word: &str) -> Vec<String> {
    let mut forms = vec![word.to_string()];
    let mut add = |stem: &str, tail: &str| {
        if stem.len() >= 2 {
            forms.push(format!("{stem}{tail}"));
        }
    };
    if let Some(stem) = word.strip_suffix("ies") {
        add(stem, "y");
    }
    if let Some(stem) = word.strip_suffix("es") {
        add(stem, "");
    }
    if let Some(stem) = word.strip_suffix('s') {
        if !word.ends_with("ss") {
            add(stem, "");
        }
    }
    if let Some(stem) = word.strip_suffix("ied") {
        add(stem, "y");
    }
    for suffix in ["ed", "ing"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            add(stem, "");
            add(stem, "e");
            let bytes = stem.as_bytes();
            if bytes.len() >= 3 && bytes[bytes.len() - 1] == bytes[bytes.len() - 2] {
                add(&stem[..stem.len() - 1], "");
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_words_are_read_in_their_plain_form() {
        let (rest, groups) = translate("How many demonstration factories were cultivated?", |zh| {
            ["示范", "工厂", "培养"].contains(&zh)
        });
        let has = |zh: &str| groups.iter().any(|g| g.iter().any(|w| w == zh));
        assert!(has("工厂") && has("示范") && has("培养"), "{groups:?}");
        assert!(
            !groups.iter().flatten().any(|w| w == "factories"),
            "{groups:?}"
        );
        assert!(
            !rest.contains("factories") && rest.contains("How many"),
            "{rest}"
        );
    }

    #[test]
    fn an_english_word_in_a_chinese_question_keeps_its_typed_form() {
        let (_, groups) = translate("《change》的主演有哪些", |zh| zh == "变化");
        assert_eq!(groups, vec![vec!["change".to_string(), "变化".to_string()]]);
    }

    #[test]
    fn words_the_corpus_lacks_stay_english() {
        let (rest, groups) = translate("Is it safe in Iceland?", |_| false);
        assert!(groups.is_empty());
        assert_eq!(rest, "Is it safe in Iceland?");
    }

    #[test]
    fn chinese_text_is_left_alone() {
        let (rest, groups) = translate("乌镇峰会在哪里举行", |_| true);
        assert!(groups.is_empty());
        assert_eq!(rest, "乌镇峰会在哪里举行");
    }

    #[test]
    fn names_with_digits_are_not_english_words() {
        let (rest, groups) = translate("POWER6 and 5G", |_| true);
        assert!(groups.is_empty(), "{groups:?}");
        assert_eq!(rest, "POWER6 and 5G");
    }

    #[test]
    fn plain_forms_cover_common_inflections() {
        assert!(plain_forms("factories").contains(&"factory".to_string()));
        assert!(plain_forms("planned").contains(&"plan".to_string()));
        assert!(plain_forms("screening").contains(&"screen".to_string()));
        assert!(plain_forms("used").contains(&"use".to_string()));
    }
}
