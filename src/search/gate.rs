//! The relevance gate: whether the best passage answers the question at all,
//! or the corpus does not cover it and the bot should say so.

use super::answer::Relevance;
use super::rank::Ranked;
use super::SearchSettings;

/// How relevant `best` is, and whether that is enough to quote it.
pub(super) fn judge(best: &Ranked, settings: &SearchSettings) -> (Relevance, bool) {
    let relevance = Relevance {
        coverage: best.coverage,
        keyword_coverage: best.keyword_coverage,
    };
    let relevant = relevance.score() >= settings.min_relevance
        && best.keyword_coverage >= settings.min_keyword_coverage
        && best.content_matched;
    (relevance, relevant)
}
