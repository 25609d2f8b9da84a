//! Aliases operators can edit: a `synonyms.txt` beside the articles, in the
//! Solr/Elasticsearch synonyms format people already know.
//!
//! ```text
//! # comment
//! AI, 人工智能                 equivalent: any of them finds all of them
//! 人大 => 中国人民大学          one-way: the left side is read as the right side
//! 雷布斯, 雷总 => 雷军
//! ```
//!
//! Entries are folded like all text (繁→简, widths, case), so `微軟` and `微软`
//! are one alias.

use std::path::{Path, PathBuf};

use super::CorpusError;
use crate::text::{fold, tidy};

/// The file name looked for beside the articles of a directory corpus.
pub const FILE_NAME: &str = "synonyms.txt";

/// One rule: the phrases that trigger it and the phrases they stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Folded phrases found in questions.
    pub from: Vec<String>,
    /// Folded phrases searched instead (for an equivalence: all of them).
    pub to: Vec<String>,
}

/// All the rules of one synonyms file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    rules: Vec<Rule>,
    /// Every `from` phrase with its rule's position, longest first: the order
    /// questions are matched in (a longer phrase wins over one inside it).
    triggers: Vec<(String, usize)>,
}

impl Synonyms {
    /// The synonyms file beside a directory corpus, if there is one (an empty
    /// set otherwise, and for single-file corpora).
    pub fn load_beside(corpus: &Path) -> Result<Synonyms, CorpusError> {
        match path_beside(corpus) {
            Some(path) => Synonyms::load(&path),
            None => Ok(Synonyms::default()),
        }
    }

    /// Loads and checks one synonyms file.
    pub fn load(path: &Path) -> Result<Synonyms, CorpusError> {
        let bytes = std::fs::read(path).map_err(|source| CorpusError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| CorpusError::Invalid {
            path: path.to_path_buf(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            message: "not UTF-8 text".into(),
        })?;
        Synonyms::parse(text).map_err(|(line, message)| CorpusError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        })
    }

    /// Parses the text of a synonyms file; an error is `(line, what is wrong)`.
    pub fn parse(text: &str) -> Result<Synonyms, (usize, String)> {
        let mut rules = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
            if line.is_empty() {
                continue;
            }
            rules.push(parse_rule(line).map_err(|message| (n + 1, message))?);
        }
        Ok(Synonyms::from_rules(rules))
    }

    fn from_rules(rules: Vec<Rule>) -> Synonyms {
        let mut triggers: Vec<(String, usize)> = rules
            .iter()
            .enumerate()
            .flat_map(|(n, rule)| rule.from.iter().map(move |f| (f.clone(), n)))
            .collect();
        triggers.sort_by_key(|(f, _)| std::cmp::Reverse(f.chars().count()));
        Synonyms { rules, triggers }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Phrases to look for in a question, longest first, with their rule's position.
    pub fn triggers(&self) -> impl Iterator<Item = (&str, &Rule)> {
        self.triggers
            .iter()
            .map(|(phrase, n)| (phrase.as_str(), &self.rules[*n]))
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// The synonyms file of the corpus at `corpus`, when it is a directory holding one.
pub fn path_beside(corpus: &Path) -> Option<PathBuf> {
    let path = corpus.join(FILE_NAME);
    (corpus.is_dir() && path.is_file()).then_some(path)
}

fn parse_rule(line: &str) -> Result<Rule, String> {
    let (from, to) = match line.split_once("=>") {
        Some((left, right)) => {
            if right.contains("=>") {
                return Err("more than one `=>` on a line".into());
            }
            (
                phrases(left, "left of `=>`")?,
                phrases(right, "right of `=>`")?,
            )
        }
        None => {
            let all = phrases(line, "the line")?;
            if all.len() < 2 {
                return Err(format!(
                    "`{line}` has one phrase: write `a, b` (equivalent) or `a => b` (one-way)"
                ));
            }
            (all.clone(), all)
        }
    };
    Ok(Rule { from, to })
}

/// The comma-separated phrases of one side, folded; empty ones are an error.
fn phrases(side: &str, which: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in side.split([',', '，']) {
        let phrase = fold(&tidy(part)).trim().to_string();
        if phrase.is_empty() {
            return Err(format!("an empty phrase on {which} (stray comma?)"));
        }
        if !phrase.chars().any(char::is_alphanumeric) {
            return Err(format!(
                "`{}` has no letter, digit or ideograph",
                part.trim()
            ));
        }
        if !out.contains(&phrase) {
            out.push(phrase);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_folds() {
        let s = Synonyms::parse(
            "# aliases\nAI, 人工智能\n\n人大 => 中国人民大学 # school\n微軟，Microsoft\n",
        )
        .unwrap();
        assert_eq!(s.rules.len(), 3);
        assert_eq!(s.rules[0].from, ["ai", "人工智能"]);
        assert_eq!(s.rules[0].to, s.rules[0].from);
        assert_eq!(s.rules[1].from, ["人大"]);
        assert_eq!(s.rules[1].to, ["中国人民大学"]);
        assert_eq!(s.rules[2].from, ["微软", "microsoft"]);
    }

    #[test]
    fn broken_lines_name_their_line() {
        for (text, line, says) in [
            ("AI, 人工智能\nGSMA\n", 2, "one phrase"),
            ("a, , b", 1, "empty phrase"),
            ("a => ", 1, "right of"),
            (" => b", 1, "left of"),
            ("a => b => c", 1, "more than one"),
            ("a, ！！", 1, "no letter"),
        ] {
            let (n, message) = Synonyms::parse(text).unwrap_err();
            assert_eq!(n, line, "{text:?}");
            assert!(message.contains(says), "{text:?}: {message}");
        }
    }
}
