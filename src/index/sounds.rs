//! Pairs of ideographs by sound, read off the bigram field instead of being
//! indexed a second time.
//!
//! A question typed with a pinyin-IME typo (乌真 for 乌镇) is matched through
//! the homophone fold ([`super::homophone`]) of each pair of ideographs. The
//! pairs are exactly the bigram field's two-ideograph terms, so the passages
//! holding a pair by sound are the union of the passages holding the
//! corpus's pairs that fold to it, its count in a passage the sum of theirs,
//! and a passage's length in pairs is stored as the `pairs` fast field. That
//! is what a field of folded pairs would hold, term for term, so BM25 over
//! it is the same — without indexing ~a million more tokens at every start
//! (a quarter of the in-RAM build). The table from folded pair to the
//! bigram terms is built on the first question that needs it.

use rustc_hash::FxHashMap;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, TermInfo};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Searcher, TERMINATED};

use super::homophone::homophone;
use super::Fields;
use crate::text::is_han;

/// The corpus's pairs of ideographs grouped by sound, per segment.
#[derive(Default)]
pub struct SoundIndex {
    segments: Vec<SegmentSounds>,
    /// Pairs in all passages (what BM25 averages lengths from).
    total_pairs: u64,
}

struct SegmentSounds {
    /// Where the postings of each two-ideograph bigram term are, by the
    /// [`sound_key`] of the term, sorted by key.
    variants: Vec<(u64, Variant)>,
    /// Each document's length in pairs, as a BM25 length-norm id.
    norms: Vec<u8>,
}

/// Where one bigram term's postings are (its dictionary entry, in 16 bytes:
/// at 100,000 paragraphs there are about a million pairs).
struct Variant {
    postings_start: u64,
    postings_len: u32,
    doc_freq: u32,
}

impl Variant {
    fn of(info: &TermInfo) -> Variant {
        Variant {
            postings_start: info.postings_range.start as u64,
            postings_len: info.postings_range.len() as u32,
            doc_freq: info.doc_freq,
        }
    }

    fn term_info(&self) -> TermInfo {
        let start = self.postings_start as usize;
        TermInfo {
            doc_freq: self.doc_freq,
            postings_range: start..start + self.postings_len as usize,
            // Indexed with frequencies only: there are no positions.
            positions_range: 0..0,
        }
    }
}

/// A pair's passages in one segment, by document, with its count in each.
pub type SoundPostings = Vec<(DocId, u32)>;

impl SoundIndex {
    /// Reads every two-ideograph term of the bigram field and every
    /// passage's pair count.
    pub fn build(searcher: &Searcher, fields: Fields) -> tantivy::Result<SoundIndex> {
        let mut segments = Vec::new();
        let mut total_pairs = 0;
        for segment in searcher.segment_readers() {
            let pairs = segment.fast_fields().u64("pairs")?;
            let mut norms = Vec::with_capacity(segment.max_doc() as usize);
            for doc in 0..segment.max_doc() {
                let n = pairs.first(doc).unwrap_or(0);
                total_pairs += n;
                norms.push(FieldNormReader::fieldnorm_to_id(
                    n.min(u64::from(u32::MAX)) as u32
                ));
            }
            let mut variants = Vec::new();
            let dictionary = segment.inverted_index(fields.bigrams)?;
            let mut stream = dictionary.terms().stream()?;
            while stream.advance() {
                let key = std::str::from_utf8(stream.key()).ok().and_then(sound_key);
                if let Some(key) = key {
                    variants.push((key, Variant::of(stream.value())));
                }
            }
            variants.sort_unstable_by_key(|&(key, _)| key);
            segments.push(SegmentSounds { variants, norms });
        }
        Ok(SoundIndex {
            segments,
            total_pairs,
        })
    }

    /// Pairs in all passages.
    pub fn total_pairs(&self) -> u64 {
        self.total_pairs
    }

    /// The length-norm id of document `doc` of segment `segment`.
    pub fn norm_id(&self, segment: usize, doc: DocId) -> u8 {
        self.segments
            .get(segment)
            .and_then(|s| s.norms.get(doc as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The passages of segment `segment` holding the folded pair `sound`
    /// (any pair of the corpus that sounds like it), in document order, with
    /// the count of such pairs in each.
    pub fn postings(
        &self,
        searcher: &Searcher,
        fields: Fields,
        segment: usize,
        sound: &str,
    ) -> tantivy::Result<SoundPostings> {
        let (Some(segment_sounds), Some(key)) = (self.segments.get(segment), sound_key(sound))
        else {
            return Ok(Vec::new());
        };
        let all = &segment_sounds.variants;
        let from = all.partition_point(|&(k, _)| k < key);
        let to = from + all[from..].partition_point(|&(k, _)| k == key);
        let variants = all[from..to].iter().map(|(_, variant)| variant);
        let index = searcher
            .segment_reader(segment as u32)
            .inverted_index(fields.bigrams)?;
        let mut counts: FxHashMap<DocId, u32> = FxHashMap::default();
        for variant in variants {
            let mut postings = index
                .read_postings_from_terminfo(&variant.term_info(), IndexRecordOption::WithFreqs)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                *counts.entry(doc).or_default() += postings.term_freq();
                doc = postings.advance();
            }
        }
        let mut out: SoundPostings = counts.into_iter().collect();
        out.sort_unstable_by_key(|&(doc, _)| doc);
        Ok(out)
    }
}

/// The key of a pair of ideographs by sound: the two chars of its homophone
/// fold (`None` for any term that is not two ideographs: only pairs have a
/// sound form). Folding an already folded pair changes nothing.
fn sound_key(term: &str) -> Option<u64> {
    let mut chars = term.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), Some(b), None) if is_han(a) && is_han(b) => {
            Some(u64::from(homophone(a) as u32) << 32 | u64::from(homophone(b) as u32))
        }
        _ => None,
    }
}

/// Pairs of ideographs in folded `text`: its length in terms by sound.
pub fn count_pairs(folded: &str) -> u64 {
    let mut pairs = 0;
    let mut previous_han = false;
    for c in folded.chars() {
        let han = is_han(c);
        if han && previous_han {
            pairs += 1;
        }
        previous_han = han;
    }
    pairs
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::index::analyzer::homophone_terms_folded;
    use crate::index::{IndexSettings, SearchIndex};
    use crate::text::fold;

    /// What a field of folded pairs would hold, counted from the texts: for
    /// each passage its pairs by sound (with counts) and its length.
    fn expected(index: &SearchIndex) -> Vec<(HashMap<String, u32>, u64)> {
        index
            .passages
            .iter()
            .map(|p| {
                let mut counts = HashMap::new();
                for pair in homophone_terms_folded(&fold(&p.text)) {
                    *counts.entry(pair).or_default() += 1;
                }
                let len = counts.values().map(|&n| u64::from(n)).sum();
                (counts, len)
            })
            .collect()
    }

    #[test]
    fn pairs_by_sound_are_what_a_field_of_them_would_hold() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let index = SearchIndex::load(&corpus, &IndexSettings::default()).unwrap();
        let searcher = index.reader.searcher();
        let sounds = SoundIndex::build(&searcher, index.fields).unwrap();
        let expected = expected(&index);
        assert_eq!(
            sounds.total_pairs(),
            expected.iter().map(|(_, len)| len).sum::<u64>()
        );
        let all: HashSet<&String> = expected.iter().flat_map(|(c, _)| c.keys()).collect();
        let mut checked = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let numbers = segment.fast_fields().u64("doc").unwrap();
            for doc in 0..segment.max_doc() {
                let n = numbers.first(doc).unwrap() as usize;
                let len = expected[n].1 as u32;
                assert_eq!(
                    sounds.norm_id(ord, doc),
                    FieldNormReader::fieldnorm_to_id(len)
                );
            }
            for sound in &all {
                let postings = sounds
                    .postings(&searcher, index.fields, ord, sound)
                    .unwrap();
                for (doc, tf) in &postings {
                    let n = numbers.first(*doc).unwrap() as usize;
                    assert_eq!(expected[n].0.get(*sound), Some(tf), "{sound} in {n}");
                }
                let holding = (0..segment.max_doc())
                    .filter(|&d| {
                        let n = numbers.first(d).unwrap() as usize;
                        expected[n].0.contains_key(*sound)
                    })
                    .count();
                assert_eq!(postings.len(), holding, "{sound}");
                checked += 1;
            }
        }
        assert!(checked > 1000, "only {checked} pairs checked");
        // A typo finds what it sounds like; what nothing sounds like, nothing.
        let typo = crate::index::homophone::fold_homophones("乌真");
        let found: usize = (0..searcher.segment_readers().len())
            .map(|s| {
                sounds
                    .postings(&searcher, index.fields, s, &typo)
                    .unwrap()
                    .len()
            })
            .sum();
        assert!(found > 0);
        assert!(sounds
            .postings(&searcher, index.fields, 0, "xx")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn pairs_are_counted_in_runs_of_ideographs() {
        assert_eq!(count_pairs("乌镇峰会"), 3);
        assert_eq!(count_pairs("乌 镇，5g峰会ai"), 1);
        assert_eq!(count_pairs(""), 0);
        assert_eq!(count_pairs("a乌b"), 0);
    }
}
