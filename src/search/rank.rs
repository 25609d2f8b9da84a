//! Passage ranking: BM25 candidates re-ranked by how much of the question's
//! weight their best sentence holds (`bm25 / best_bm25 + 0.5 × coverage`),
//! using the per-passage term tables built at index time.

use super::analysis::{Analysis, Unit};
use super::lexical::Candidate;
use super::question::{has_cue, Cue};
use crate::index::Passage;

/// Weight of the best sentence's coverage in the final score.
const SENTENCE_WEIGHT: f32 = 0.5;
/// Bonus of a sentence that has the kind of thing the question asks for.
const CUE_BONUS: f32 = 0.1;
/// … when that is a span of days (19日至22日): rarely stated, and then nearly
/// always the answer, while the question's few words (今年, 峰会) match
/// everywhere.
const SPAN_BONUS: f32 = 1.0;
/// The same bonus in the fused score (its share of `words`), which the
/// semantic side must not outweigh: e5 cannot tell 19日至22日 from 20日.
pub(super) const FUSED_SPAN_BONUS: f32 = SENTENCE_WEIGHT * SPAN_BONUS;
/// Weight of keyword coverage in the final score: BM25 weighs words by their
/// rarity in the corpus only, keyword coverage by their specificity in
/// general Chinese too, so it prefers the passage holding what the question
/// is about over one repeating a rare but incidental word (+0.4 % hit@1 on
/// drcd and cmrc2018, and chat questions full of filler words).
pub(super) const KEYWORD_WEIGHT: f32 = 0.3;

/// Candidates re-ranked, best first; `passage` looks a candidate's passage up.
pub(super) fn rank(
    candidates: &[Candidate],
    analysis: &Analysis,
    passage: impl Fn(usize) -> Option<std::sync::Arc<Passage>>,
) -> Vec<Ranked> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let best_bm25 = candidates
        .iter()
        .map(|c| c.bm25)
        .fold(f32::EPSILON, f32::max);
    let total: f32 = analysis
        .units
        .iter()
        .map(|u| u.weight)
        .sum::<f32>()
        .max(f32::EPSILON);
    let mut ranked: Vec<Ranked> = candidates
        .iter()
        .filter_map(|c| {
            let p = passage(c.passage)?;
            Some(score_passage(
                &p,
                c.passage,
                c.bm25 / best_bm25,
                analysis,
                total,
            ))
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    ranked
}

/// A candidate after re-ranking.
pub(super) struct Ranked {
    pub passage: usize,
    /// The final score: `words` plus [`KEYWORD_WEIGHT`] × keyword coverage
    /// (with the model: fused, see [`super::fusion`]).
    pub score: f32,
    /// BM25 (relative to the best candidate's) plus the best sentence's coverage.
    pub words: f32,
    pub coverage: f32,
    pub keyword_coverage: f32,
    pub content_matched: bool,
    /// Per sentence: its coverage plus cue bonus.
    pub sentence_scores: Vec<f32>,
    pub best_sentence: usize,
    /// A sentence states the span of days asked for (see [`SPAN_BONUS`]).
    pub states_span: bool,
    /// How far the passage stands out semantically (0 without the model).
    pub semantic_z: f32,
    /// Its raw e5 cosine with the question (0 without the model).
    pub semantic_cosine: f32,
}

pub(super) fn score_passage(
    passage: &Passage,
    doc: usize,
    bm25: f32,
    analysis: &Analysis,
    total: f32,
) -> Ranked {
    let mut covered = 0.0;
    let mut content_matched = false;
    let mut sentence_scores = vec![0.0f32; passage.sentences.len()];
    for unit in &analysis.units {
        let (mask, credit) = unit.find(passage);
        if mask == 0 {
            continue;
        }
        covered += unit.weight * credit;
        content_matched |= unit.content;
        for (n, score) in sentence_scores.iter_mut().enumerate() {
            if mask & (1u64 << n.min(63)) != 0 {
                *score += unit.weight * credit / total;
            }
        }
    }
    let bonus = if analysis.cue == Cue::Days {
        SPAN_BONUS
    } else {
        CUE_BONUS
    };
    let mut states_span = false;
    for (score, range) in sentence_scores.iter_mut().zip(&passage.folded_sentences) {
        if *score > 0.0 && has_cue(&passage.folded[range.clone()], analysis.cue) {
            *score += bonus;
            states_span |= analysis.cue == Cue::Days;
        }
    }
    let mut keyword_total: f32 = analysis.keywords.iter().map(|k| k.weight).sum();
    let mut keyword_covered: f32 = analysis
        .keywords
        .iter()
        .map(|k| k.weight * presence(passage, k))
        .sum();
    // A span asked for (几号到几号) is what the question is about as much as
    // its few words (峰会): it counts as one more keyword, of their mean weight.
    if analysis.cue == Cue::Days && !analysis.keywords.is_empty() {
        let mean = keyword_total / analysis.keywords.len() as f32;
        keyword_total += mean;
        if states_span {
            keyword_covered += mean;
        }
    }
    let keyword_total = keyword_total.max(f32::EPSILON);
    let (best_sentence, best) =
        sentence_scores
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, 0.0f32),
                |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
            );
    let keyword_coverage = keyword_covered / keyword_total;
    let words = bm25 + SENTENCE_WEIGHT * best;
    Ranked {
        states_span,
        passage: doc,
        score: words + KEYWORD_WEIGHT * keyword_coverage,
        words,
        coverage: covered / total,
        keyword_coverage,
        content_matched,
        sentence_scores,
        best_sentence,
        semantic_z: 0.0,
        semantic_cosine: 0.0,
    }
}

/// How much of a keyword the passage holds: 1 if some sentence has all its
/// terms, else for a word of three or more chars the share of its terms found
/// (names cut differently, or with one char changed, still count in part).
fn presence(passage: &Passage, keyword: &Unit) -> f32 {
    let (mask, credit) = keyword.find(passage);
    if mask != 0 {
        return credit;
    }
    keyword
        .forms
        .iter()
        .filter(|f| f.terms.len() >= 2)
        .map(|f| passage.terms.share(&f.terms))
        .fold(0.0, f32::max)
}
