//! The relevance gate: whether the best passage answers the question at all,
//! or the corpus does not cover it and the bot should say so.
//!
//! Lexical only, relevance is how much of the question's weight the passage
//! holds (calibrated on drcd/cmrc2018 against their own and each other's
//! corpus). With the model there are two signals, because neither is enough
//! alone: keyword coverage, and how far the passage stands out from the corpus
//! for e5 (its z-score; raw cosines are too compressed). And a question that
//! asks for a kind of fact (a year, an amount, a price, a link …) is not
//! answered by a passage that states none ([`super::demand`]).

use std::sync::Arc;

use super::analysis::Analysis;
use super::answer::Relevance;
use super::asked::Asked;
use super::demand::{is_stated, Demand};
use super::rank::Ranked;
use super::year;
use super::SearchSettings;
use crate::index::Passage;

/// How relevant `best` is, and whether that is enough to quote it.
pub(super) fn judge(
    best: &Ranked,
    s: &SearchSettings,
    semantic: bool,
    latin: bool,
    analysis: &Analysis,
    passage: impl Fn(usize) -> Option<Arc<Passage>>,
) -> (Relevance, bool) {
    let relevance = Relevance {
        coverage: best.coverage,
        keyword_coverage: best.keyword_coverage,
        semantic_z: semantic.then_some(best.semantic_z),
        semantic_cosine: semantic.then_some(best.semantic_cosine),
    };
    let kc = best.keyword_coverage;
    let relevant = match relevance.semantic_z {
        Some(z) if kc >= s.words_min_keyword_coverage && z >= 0.0 => true,
        // English matches a Chinese corpus only through the glossary's
        // translations, a looser match than the question's own words.
        None => {
            let min_keyword_coverage = if latin {
                s.hybrid_min_keyword_coverage
            } else {
                s.min_keyword_coverage
            };
            relevance.score() >= s.min_relevance
                && kc >= min_keyword_coverage
                && best.content_matched
        }
        Some(z) if latin => {
            (z >= s.latin_min_z && kc >= s.latin_min_keyword_coverage)
                || (z >= s.latin_words_min_z && kc >= s.hybrid_min_keyword_coverage)
        }
        Some(z) => {
            (kc >= s.hybrid_min_keyword_coverage && z >= s.hybrid_min_z)
                || (z >= s.strong_z
                    && (kc >= s.strong_min_keyword_coverage
                        || best.semantic_cosine >= s.strong_min_cosine))
        }
    };
    (
        relevance,
        relevant && states_what_is_asked(analysis, best, passage),
    )
}

/// A year, a day, a time, an amount, a price, an age or a link asked for
/// must be stated somewhere in the passage, and what the question asks about
/// (a 院长, a headquarters, a place or a year it narrows to) mentioned: a passage about
/// the thing that states nothing of the kind is no answer.
fn states_what_is_asked(
    analysis: &Analysis,
    best: &Ranked,
    passage: impl Fn(usize) -> Option<Arc<Passage>>,
) -> bool {
    if analysis.demand == Demand::None && analysis.asked == Asked::default() {
        return true;
    }
    passage(best.passage).is_some_and(|p| {
        is_stated(&p.folded, analysis.demand, &analysis.given)
            && analysis.asked.is_met(&p.folded)
            && year::is_about(analysis.asked.year, &p.folded, p.date.as_deref())
    })
}
