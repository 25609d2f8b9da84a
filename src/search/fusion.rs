//! Fusion of the two retrievers: the union of their candidates, each scored by
//! both, mixed after min-max normalisation. Lexical and semantic retrieval
//! fail on different questions (SEMANTIC.md), so neither decides alone; for a
//! question in English — a language the corpus does not have — the semantic
//! side weighs more, since words can only match through aliases.

use super::lexical::Candidate;
use super::rank::{Ranked, FUSED_SPAN_BONUS, KEYWORD_WEIGHT};
use super::semantic::Similarities;
use super::SearchSettings;

/// Paragraphs the semantic side adds to the lexical candidates.
pub(super) const SEMANTIC_CANDIDATES: usize = 10;
/// Keyword coverage below which words alone are weak evidence: the semantic
/// weight grows by the shortfall of the best candidate's coverage (a
/// paraphrase shares few words with its paragraph, so BM25 ranks noise).
const WORDS_ENOUGH: f32 = 0.6;

/// The lexical candidates followed by the semantic ones BM25 did not find.
pub(super) fn candidates(
    lexical: Vec<Candidate>,
    similar: Option<&Similarities>,
) -> Vec<Candidate> {
    let mut all = lexical;
    if let Some(similar) = similar {
        for passage in similar.top(SEMANTIC_CANDIDATES) {
            if !all.iter().any(|c| c.passage == passage) {
                all.push(Candidate { passage, bm25: 0.0 });
            }
        }
    }
    all
}

/// Mixes the semantic scores into `ranked` (their `score` becomes the fused
/// one; `semantic_z` is set) and re-sorts it, best first.
pub(super) fn fuse(
    ranked: &mut [Ranked],
    similar: Option<&Similarities>,
    latin: bool,
    settings: &SearchSettings,
) {
    let Some(similar) = similar else {
        return;
    };
    for r in ranked.iter_mut() {
        r.semantic_z = similar.z(r.passage);
        r.semantic_cosine = similar.cosine(r.passage);
    }
    let span = |values: &mut dyn Iterator<Item = f32>| {
        values.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
    };
    let (lex_lo, lex_hi) = span(&mut ranked.iter().map(|r| r.words));
    let (sem_lo, sem_hi) = span(&mut ranked.iter().map(|r| r.semantic_z));
    let norm = |v: f32, lo: f32, hi: f32| if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
    let best_words = ranked
        .iter()
        .map(|r| r.keyword_coverage)
        .fold(0.0f32, f32::max);
    let weight = if latin {
        settings.semantic_weight_latin
    } else {
        (settings.semantic_weight + (WORDS_ENOUGH - best_words).max(0.0))
            .min(settings.semantic_weight_latin.max(settings.semantic_weight))
    };
    for r in ranked.iter_mut() {
        r.score = (1.0 - weight) * norm(r.words, lex_lo, lex_hi)
            + weight * norm(r.semantic_z, sem_lo, sem_hi)
            + KEYWORD_WEIGHT * r.keyword_coverage
            + if r.states_span { FUSED_SPAN_BONUS } else { 0.0 };
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
}
