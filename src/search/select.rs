//! Which ranked passages go into an answer: enough of the question for a
//! further source, and never two passages that say the same thing.

use super::answer::Hit;
use crate::index::Passage;

/// Two passages say the same thing when their quotes are equal or their
/// texts share most of their terms (reprinted paragraphs, near-duplicate
/// records).
pub(super) fn says_the_same(a: &Hit, pa: &Passage, b: &Hit, pb: &Passage) -> bool {
    a.quote == b.quote
        || pa.folded == pb.folded
        || pa.terms.similar_above(&pb.terms, NEAR_DUPLICATE)
}

/// Term-set Jaccard similarity above which two passages count as one.
const NEAR_DUPLICATE: f32 = 0.7;
