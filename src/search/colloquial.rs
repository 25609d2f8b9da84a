//! Chat words read as the written words of the articles: 厂子 → 工厂,
//! 方子 → 配方, 唠嗑 → 聊天. People ask in the words they speak; a newspaper
//! writes others, and a question whose content words the corpus never uses
//! looks as if it were about something else. The list (`colloquial.txt`) is
//! general Mandarin, written without looking at any corpus; a chat word is
//! read as its written forms only where the corpus holds one of them.

use std::sync::LazyLock;

use crate::corpus::synonyms::Synonyms;

static COLLOQUIAL: LazyLock<Synonyms> = LazyLock::new(|| {
    // Checked by the test below; an unreadable list only turns this off.
    Synonyms::parse(include_str!("colloquial.txt")).unwrap_or_default()
});

/// `rest` (a masked, folded question) with each chat word that has a written
/// form the corpus holds (`held`) taken out, and those forms, one group per
/// chat word, to be searched as its aliases.
pub(super) fn standardise(rest: &str, held: impl Fn(&str) -> bool) -> (String, Vec<Vec<String>>) {
    let mut rest = rest.to_string();
    let mut groups = Vec::new();
    for (phrase, rule) in COLLOQUIAL.triggers() {
        let Some(at) = rest.find(phrase) else {
            continue;
        };
        let written: Vec<String> = rule.to.iter().filter(|w| held(w)).cloned().collect();
        if written.is_empty() {
            continue;
        }
        rest.replace_range(at..at + phrase.len(), &" ".repeat(phrase.len()));
        groups.push(written);
    }
    (rest, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_parses_and_reads_chat_words_as_written_ones() {
        Synonyms::parse(include_str!("colloquial.txt")).expect("colloquial.txt");
        let (rest, groups) = standardise("国内能自动化干活的厂子有多少家", |w| {
            w == "工厂"
        });
        assert!(!rest.contains("厂子"));
        assert_eq!(groups, vec![vec!["工厂".to_string()]]);
        // Nothing the corpus holds: the chat word stays as typed.
        let (rest, groups) = standardise("厂子有多少家", |_| false);
        assert!(rest.contains("厂子") && groups.is_empty());
    }
}
