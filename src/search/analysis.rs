//! Question analysis: the masked, folded question → terms for retrieval and
//! weighted units for measuring how much of the question a passage holds.

use tantivy::{Searcher, Term};

use super::question::{cue_of, distinct, mask_question_words, Cue, STOP_WORDS};
use crate::index::analyzer::{bigram_terms_folded, cut_folded, word_terms_folded};
use crate::index::terms::unit_terms;
use crate::index::Fields;
use crate::text::char_len;

/// A piece of the question used to measure how much of it a sentence holds.
#[derive(Debug)]
pub(super) struct Unit {
    /// Folded text (highlights find it in quotes).
    pub text: String,
    /// Its term hashes, looked up in passages' [`crate::index::terms::TermMap`]s.
    pub terms: Vec<u32>,
    pub weight: f32,
    /// Long enough to mean something on its own (2+ chars).
    pub content: bool,
}

/// The analysed question: terms for tantivy, units for coverage.
pub(super) struct Analysis {
    pub words: Vec<String>,
    pub bigrams: Vec<String>,
    pub units: Vec<Unit>,
    /// The question's content words (precise cut), for relevance.
    pub keywords: Vec<Unit>,
    pub cue: Cue,
}

/// Terms and weighted units of a folded question.
pub(super) fn analyse(folded: &str, fields: Fields, searcher: &Searcher) -> Analysis {
    let masked = mask_question_words(folded);
    let words = distinct(
        word_terms_folded(&masked)
            .into_iter()
            .filter(|w| !STOP_WORDS.contains(w)),
    );
    let bigrams = distinct(bigram_terms_folded(&masked).iter().map(String::as_str));

    let docs = searcher.num_docs() as f32;
    let idf = |field, text: &str| {
        let df = searcher
            .doc_freq(&Term::from_field_text(field, text))
            .unwrap_or(0) as f32;
        (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
    };
    let mut units: Vec<Unit> = Vec::new();
    let mut add = |text: &str, weight: f32| {
        if let Some(unit) = units.iter_mut().find(|u| u.text == text) {
            unit.weight = unit.weight.max(weight);
        } else {
            units.push(Unit {
                terms: unit_terms(text),
                text: text.to_string(),
                weight,
                content: char_len(text) >= 2,
            });
        }
    };
    for w in &words {
        add(w, idf(fields.words, w));
    }
    for b in &bigrams {
        add(b, idf(fields.bigrams, b));
    }
    let keywords = distinct(
        cut_folded(&masked)
            .into_iter()
            .filter(|w| !STOP_WORDS.contains(w)),
    )
    .into_iter()
    .map(|w| Unit {
        weight: idf(fields.words, &w),
        content: char_len(&w) >= 2,
        terms: unit_terms(&w),
        text: w,
    })
    .collect();
    Analysis {
        words,
        bigrams,
        units,
        keywords,
        cue: cue_of(folded),
    }
}
