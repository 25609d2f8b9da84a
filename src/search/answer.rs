//! What the engine returns: the outcome, the quoted passages and how relevant the best one was.

use std::ops::Range;

use serde::Serialize;

use crate::index::PassageKind;

/// What became of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one relevant passage.
    Answered,
    /// Nothing in the corpus is relevant enough.
    NotFound,
    /// A greeting or a request for help: show the help text.
    Greeting,
    /// Nothing to search for (empty, punctuation, emoji only).
    Empty,
}

/// One quoted passage of an answer.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub paragraph: usize,
    pub kind: PassageKind,
    pub text: String,
    /// The best sentence (grown by neighbours up to the quote limit), from `text`.
    pub quote: String,
    /// Byte ranges of `quote` that match the question (for bold type).
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
    /// Byte range of `quote` holding the single best sentence: the answer line
    /// of a reply (the quote around it adds neighbouring sentences).
    #[serde(skip)]
    pub answer: Range<usize>,
    /// The passage's index in the engine (for "more context" lookups).
    #[serde(skip)]
    pub passage: usize,
    pub score: f32,
    /// Share of the question's weight this passage holds.
    #[serde(skip)]
    pub coverage: f32,
    pub citation: String,
}

/// The engine's answer to one question.
#[derive(Debug, Clone)]
pub struct Answer {
    pub question: String,
    pub outcome: Outcome,
    pub passages: Vec<Hit>,
    /// Of the best candidate, also when the engine abstained.
    pub relevance: Relevance,
    /// The retrievers that ran for this question (none when it was not searched).
    pub retrievers: Vec<Retriever>,
}

/// A way of finding passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Retriever {
    /// Words, bigrams, aliases and sounds (BM25).
    Lexical,
    /// multilingual-e5 vectors.
    Semantic,
}

impl Hit {
    /// The best sentence, and the highlights inside it relative to it.
    pub fn answer_sentence(&self) -> (&str, Vec<Range<usize>>) {
        let range = self.answer.clone();
        let text = self.quote.get(range.clone()).unwrap_or(&self.quote);
        let highlights = self
            .highlights
            .iter()
            .filter(|h| h.start >= range.start && h.end <= range.end)
            .map(|h| h.start - range.start..h.end - range.start)
            .collect();
        (text, highlights)
    }
}

impl Answer {
    pub fn answered(&self) -> bool {
        self.outcome == Outcome::Answered
    }

    /// The best coverage among candidates (logged, also when abstaining).
    pub fn top_score(&self) -> f32 {
        self.passages.first().map_or(0.0, |h| h.score)
    }
}

/// How well the best candidate matches the question, whatever the outcome.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Relevance {
    /// Share of the idf weight of all units (words and bigrams) it holds.
    pub coverage: f32,
    /// Share of the idf weight of the question's content words it holds (a
    /// long word missing from the passage earns the share of its bigrams present).
    pub keyword_coverage: f32,
    /// How far it stands out semantically (z-score; `None` without the model).
    pub semantic_z: Option<f32>,
    /// Its raw e5 cosine with the question (`None` without the model): unlike
    /// z it does not rise with a corpus that is all unrelated to the question.
    pub semantic_cosine: Option<f32>,
}

impl Relevance {
    /// The one number abstention is decided on (calibrated on drcd/cmrc2018 dev
    /// questions against their own corpus and against each other's).
    pub fn score(&self) -> f32 {
        0.5 * (self.coverage + self.keyword_coverage)
    }
}
