//! Which sentences of a passage hold which terms, computed once at build time.
//!
//! Answering a question checks every question term against every sentence of
//! about twenty candidate passages; doing that with substring search scans
//! each passage dozens of times per question. Instead each passage keeps a
//! sorted table from term hash to a bitmask of the sentences holding it, and
//! a term is looked up with one binary search.
//!
//! Terms are the units of [`crate::index::analyzer::bigrams`] plus every single
//! ideograph: a question word of one or more chars is present in a sentence
//! when all its terms are. Pairs of ideographs by sound (pinyin typos) are
//! kept in a second table of the same shape, built only when a question
//! needs it.

use std::ops::Range;

use super::analyzer::{bigram_spans, homophone_spans, is_ideograph_pair};
use super::homophone::fold_homophones;
use crate::text::is_han;

/// 32-bit FNV-1a: collisions among a passage's few hundred terms are negligible.
fn hash(term: &str) -> u32 {
    fnv(FNV_START, term.bytes())
}

const FNV_START: u32 = 0x811c_9dc5;

fn fnv(start: u32, bytes: impl Iterator<Item = u8>) -> u32 {
    bytes.fold(start, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// [`hash`] of the text of `chars`, without building it.
fn hash_chars(chars: &[char]) -> u32 {
    chars.iter().fold(FNV_START, |h, c| {
        let mut buf = [0u8; 4];
        fnv(h, c.encode_utf8(&mut buf).bytes())
    })
}

/// Calls `emit` with the hash of every term of folded `text` and its byte
/// offset: the terms of [`bigram_spans`] and every single ideograph (so that
/// a one-char question word is found inside a run as well).
fn for_each_term(text: &str, mut emit: impl FnMut(u32, usize)) {
    let (starts, chars): (Vec<usize>, Vec<char>) = text.char_indices().unzip();
    let byte = |i: usize| starts.get(i).copied().unwrap_or(text.len());
    for span in bigram_spans(&chars) {
        let range = byte(span.start)..byte(span.end);
        emit(hash(&text[range.clone()]), range.start);
    }
    for (i, &c) in chars.iter().enumerate() {
        if is_han(c) {
            emit(hash(&text[byte(i)..byte(i + 1)]), byte(i));
        }
    }
}

/// Calls `emit` with the homophone hash of every pair of ideographs of folded
/// `text` ([`crate::index::homophone`]) and its byte offset.
fn for_each_sound_term(text: &str, mut emit: impl FnMut(u32, usize)) {
    let (starts, chars): (Vec<usize>, Vec<char>) = text.char_indices().unzip();
    let sounds: Vec<char> = fold_homophones(text).chars().collect();
    for span in homophone_spans(&chars) {
        emit(hash_chars(&sounds[span.clone()]), starts[span.start]);
    }
}

/// The term hashes a piece of question text matches when it is typed with
/// pinyin homophones: pairs of ideographs by sound (looked up in
/// [`crate::index::Passage::sound_terms`]), everything else exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundTerms {
    pub sounds: Vec<u32>,
    pub exact: Vec<u32>,
}

impl SoundTerms {
    pub fn of(folded: &str) -> SoundTerms {
        let chars: Vec<char> = folded.chars().collect();
        let sounds: Vec<char> = fold_homophones(folded).chars().collect();
        let mut terms = SoundTerms {
            sounds: Vec::new(),
            exact: Vec::new(),
        };
        for span in bigram_spans(&chars) {
            if is_ideograph_pair(&chars, &span) {
                terms.sounds.push(hash_chars(&sounds[span]));
            } else {
                terms.exact.push(hash_chars(&chars[span]));
            }
        }
        terms
    }

    /// Sentences holding all the terms, by sound in `sound_map` and exactly in
    /// `exact_map` (0 if there are no terms or any is missing).
    pub fn mask_in(&self, exact_map: &TermMap, sound_map: &TermMap) -> u64 {
        if self.sounds.is_empty() && self.exact.is_empty() {
            return 0;
        }
        let exact = self.exact.iter().map(|&t| (exact_map, t));
        let sounds = self.sounds.iter().map(|&t| (sound_map, t));
        let mut mask = u64::MAX;
        for (map, t) in exact.chain(sounds) {
            mask &= map.mask(t);
            if mask == 0 {
                break;
            }
        }
        mask
    }
}

/// The term hashes a piece of question text must all match: its
/// [`bigram_spans`] (a lone ideograph stands for itself, ASCII runs whole).
pub fn unit_terms(folded: &str) -> Vec<u32> {
    let chars: Vec<char> = folded.chars().collect();
    bigram_spans(&chars)
        .into_iter()
        .map(|span| hash_chars(&chars[span]))
        .collect()
}

/// Sorts `keys` by their upper 32 bits (least-significant-digit radix sort,
/// a byte at a time: linear in the passage's few thousand terms).
fn sort_by_hash(keys: &mut Vec<u64>) {
    let mut spare = vec![0u64; keys.len()];
    for shift in [32, 40, 48, 56] {
        let mut counts = [0usize; 256];
        for &k in keys.iter() {
            counts[(k >> shift) as usize & 0xff] += 1;
        }
        let mut at = 0;
        for count in counts.iter_mut() {
            (*count, at) = (at, at + *count);
        }
        for &k in keys.iter() {
            let bucket = &mut counts[(k >> shift) as usize & 0xff];
            spare[*bucket] = k;
            *bucket += 1;
        }
        std::mem::swap(keys, &mut spare);
    }
}

/// Term hash → bitmask of the sentences holding it (sentence 63 and later share
/// the last bit). Hashes and masks in two arrays: a lookup searches the dense
/// hashes alone, and no padding is stored (12 bytes a term, not 16).
#[derive(Debug, Clone, Default)]
pub struct TermMap {
    /// Sorted, distinct.
    hashes: Vec<u32>,
    /// `masks[i]` belongs to `hashes[i]`.
    masks: Vec<u64>,
}

impl TermMap {
    /// Builds the map of folded `text` whose sentences are `sentences` (byte
    /// ranges): exact terms only.
    pub fn build(text: &str, sentences: &[Range<usize>]) -> TermMap {
        TermMap::build_terms(text, sentences)
    }

    /// The map of the homophone terms of folded `text` alone: needed only for
    /// questions with a pinyin typo, so built when one comes
    /// ([`crate::index::Passage::sound_terms`]).
    pub fn build_sounds(text: &str, sentences: &[Range<usize>]) -> TermMap {
        TermMap::from_terms(sentences, |emit| for_each_sound_term(text, emit))
    }

    fn build_terms(text: &str, sentences: &[Range<usize>]) -> TermMap {
        TermMap::from_terms(sentences, |emit| for_each_term(text, emit))
    }

    /// The map of the terms `terms` emits (hash, byte offset).
    fn from_terms(
        sentences: &[Range<usize>],
        terms: impl FnOnce(&mut dyn FnMut(u32, usize)),
    ) -> TermMap {
        // Each term as one u64, hash above sentence number: radix-sorting
        // those by hash was most of the cost of building a passage's map.
        // At most about one term a byte of text (two for every three bytes
        // of ideographs): one allocation.
        let mut keyed: Vec<u64> = Vec::with_capacity(sentences.last().map_or(0, |s| s.end));
        terms(&mut |term, at| {
            let sentence = sentences
                .partition_point(|s| s.start <= at)
                .saturating_sub(1)
                .min(63);
            keyed.push(u64::from(term) << 32 | sentence as u64);
        });
        sort_by_hash(&mut keyed);
        // Merge the sentences of equal hashes into one mask.
        let mut map = TermMap::default();
        for key in keyed {
            let (h, bit) = ((key >> 32) as u32, 1u64 << (key & 63));
            match (map.hashes.last(), map.masks.last_mut()) {
                (Some(&last), Some(mask)) if last == h => *mask |= bit,
                _ => {
                    map.hashes.push(h);
                    map.masks.push(bit);
                }
            }
        }
        map.hashes.shrink_to_fit();
        map.masks.shrink_to_fit();
        map
    }

    /// Sentences holding the term `h` (0 if none).
    pub fn mask(&self, h: u32) -> u64 {
        self.hashes.binary_search(&h).map_or(0, |i| self.masks[i])
    }

    /// Sentences holding all of `terms` (0 if `terms` is empty or any is missing).
    pub fn mask_all(&self, terms: &[u32]) -> u64 {
        if terms.is_empty() {
            return 0;
        }
        terms.iter().fold(
            u64::MAX,
            |acc, &t| if acc == 0 { 0 } else { acc & self.mask(t) },
        )
    }

    /// Whether the Jaccard similarity of the two passages' term sets exceeds
    /// `threshold`. It cannot when their sizes differ by more than that
    /// ratio, which most pairs do; only the others are merged.
    pub fn similar_above(&self, other: &TermMap, threshold: f32) -> bool {
        let (small, large) = {
            let (a, b) = (self.hashes.len(), other.hashes.len());
            (a.min(b), a.max(b))
        };
        if large == 0 || (small as f32 / large as f32) <= threshold {
            return false;
        }
        // The fewest shared terms that exceed the threshold (computed as
        // `similarity` computes it); the merge stops once they are out of reach.
        let total = self.hashes.len() + other.hashes.len();
        let jaccard = |shared: usize| shared as f32 / (total - shared) as f32;
        let mut need = ((threshold * total as f32) / (1.0 + threshold)) as usize;
        need = need.min(small);
        while need > 0 && jaccard(need - 1) > threshold {
            need -= 1;
        }
        while need <= small && jaccard(need) <= threshold {
            need += 1;
        }
        if need > small {
            return false;
        }
        self.shared_terms(other, Some(need)) >= need
    }

    /// Jaccard similarity of the term sets of two passages (both tables are
    /// sorted by hash, so this is one merge).
    pub fn similarity(&self, other: &TermMap) -> f32 {
        let (a, b) = (&self.hashes, &other.hashes);
        let shared = self.shared_terms(other, None);
        let union = a.len() + b.len() - shared;
        if union == 0 {
            0.0
        } else {
            shared as f32 / union as f32
        }
    }

    /// Terms the two passages share, by one merge of their sorted tables. With
    /// `enough`, the merge stops once that many are found (the count returned
    /// is then at least `enough`) or can no longer be (it is then below).
    fn shared_terms(&self, other: &TermMap, enough: Option<usize>) -> usize {
        let (a, b) = (&self.hashes, &other.hashes);
        let (mut i, mut j, mut shared) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
            if let Some(enough) = enough {
                if shared >= enough || shared + (a.len() - i).min(b.len() - j) < enough {
                    break;
                }
            }
        }
        shared
    }

    /// Whether every one of `terms` is somewhere in the passage.
    pub fn has_all(&self, terms: &[u32]) -> bool {
        terms.iter().all(|&t| self.mask(t) != 0)
    }

    /// Share of `terms` present anywhere in the passage.
    pub fn share(&self, terms: &[u32]) -> f32 {
        if terms.is_empty() {
            return 0.0;
        }
        terms.iter().filter(|&&t| self.mask(t) != 0).count() as f32 / terms.len() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_words_by_sentence() {
        let text = "蓝皮书由中国网络空间研究院编写。5g网络很快。";
        let sentences = [0..48, 48..text.len()];
        let map = TermMap::build(text, &sentences);
        let sounds = TermMap::build_sounds(text, &sentences);
        assert_eq!(map.mask_all(&unit_terms("研究院")), 0b01);
        assert_eq!(map.mask_all(&unit_terms("网络")), 0b11);
        assert_eq!(map.mask_all(&unit_terms("5g")), 0b10);
        assert_eq!(map.mask_all(&unit_terms("书")), 0b01);
        assert_eq!(map.mask_all(&unit_terms("熊猫")), 0);
        assert_eq!(map.share(&unit_terms("研究所")), 0.5);
        assert_eq!(map.mask_all(&unit_terms("研究元")), 0);
        assert_eq!(SoundTerms::of("研究元").mask_in(&map, &sounds), 0b01);
        assert_eq!(SoundTerms::of("5g网洛").mask_in(&map, &sounds), 0b10);
        assert_eq!(SoundTerms::of("5g往洛").mask_in(&map, &sounds), 0b10);
        assert_eq!(SoundTerms::of("6g网洛").mask_in(&map, &sounds), 0);
        assert_eq!(SoundTerms::of("").mask_in(&map, &sounds), 0);
    }

    #[test]
    fn radix_sort_orders_by_hash() {
        let mut keys: Vec<u64> = (0..5000u64)
            .map(|n| (n.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 3) ^ n)
            .collect();
        let mut expected = keys.clone();
        expected.sort_by_key(|k| k >> 32);
        sort_by_hash(&mut keys);
        let hashes = |v: &[u64]| v.iter().map(|k| k >> 32).collect::<Vec<_>>();
        assert_eq!(hashes(&keys), hashes(&expected));
        let (mut a, mut b) = (keys.clone(), expected.clone());
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "the same keys");
    }

    #[test]
    fn similar_above_agrees_with_similarity() {
        let texts = [
            "蓝皮书由中国网络空间研究院编写。5g网络很快。",
            "蓝皮书由中国网络空间研究院编写。5g网络很慢。",
            "蓝皮书由中国网络空间研究院编写。",
            "世界互联网大会乌镇峰会开幕。",
            "",
        ];
        let maps: Vec<TermMap> = texts
            .iter()
            .map(|t| TermMap::build(t, std::slice::from_ref(&(0..t.len()))))
            .collect();
        for a in &maps {
            for b in &maps {
                for t in [0.0, 0.3, 0.5, 0.7, 0.9, 1.0] {
                    assert_eq!(a.similar_above(b, t), a.similarity(b) > t);
                }
            }
        }
    }
}
