//! Length norms that the in-RAM index counts itself.
//!
//! For every term of a field with norms, tantivy computes a 256-entry BM25
//! table while writing a segment (block-max WAND metadata): a tenth of the
//! in-RAM start-up. The in-RAM index is always scored exhaustively
//! ([`crate::search`]'s lexical stage never runs block-max WAND on it), so its
//! bigram, title and homophone fields are indexed without norms and their
//! lengths are counted here from the spans their tokenizers emit
//! ([`super::analyzer::span_counts`]). The norm ids are tantivy's for the same
//! counts, so every score is unchanged. Words keep tantivy's norms: counting
//! them would cut every passage with jieba a second time.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::schema::Field;
use tantivy::{DocId, Searcher, SegmentReader};

/// A field's length norm ids in one segment, whoever keeps them.
#[derive(Clone)]
pub enum Norms {
    Tantivy(FieldNormReader),
    Counted(Arc<[u8]>),
}

impl Norms {
    /// The norm id of `doc` (tantivy's byte code of its token count).
    pub fn id(&self, doc: DocId) -> u8 {
        match self {
            Norms::Tantivy(reader) => reader.fieldnorm_id(doc),
            Norms::Counted(ids) => ids[doc as usize],
        }
    }

    /// The norms of `field` in `segment`: counted ones when `counted` has
    /// them, tantivy's otherwise.
    pub fn of(
        segment: &SegmentReader,
        field: Field,
        counted: Option<&CountedNorms>,
    ) -> tantivy::Result<Norms> {
        match counted.and_then(|c| c.get(segment.segment_id(), field)) {
            Some(ids) => Ok(Norms::Counted(ids)),
            None => Ok(Norms::Tantivy(segment.get_fieldnorms_reader(field)?)),
        }
    }
}

/// Counted norm ids by segment and field, in each segment's doc order.
pub struct CountedNorms {
    segments: Vec<(SegmentId, FieldNorms)>,
}

/// One segment's norm ids, by field.
type FieldNorms = Vec<(Field, Arc<[u8]>)>;

impl CountedNorms {
    /// Arranges per-passage token counts (`counts[n]` for passage `n`, one
    /// column per field of `fields`) by the segments of `searcher`, whose
    /// `doc` fast field gives each document's passage.
    pub fn arrange<const N: usize>(
        searcher: &Searcher,
        doc_field: &str,
        fields: &[Field; N],
        counts: &[[u32; N]],
    ) -> tantivy::Result<CountedNorms> {
        let mut segments = Vec::new();
        for segment in searcher.segment_readers() {
            let passages = segment.fast_fields().u64(doc_field)?;
            let mut columns = vec![Vec::with_capacity(segment.max_doc() as usize); fields.len()];
            for doc in 0..segment.max_doc() {
                let row = passages.first(doc).and_then(|n| counts.get(n as usize));
                for (column, ids) in columns.iter_mut().enumerate() {
                    let count = row.map_or(0, |r| r[column]);
                    ids.push(FieldNormReader::fieldnorm_to_id(count));
                }
            }
            let by_field = fields
                .iter()
                .copied()
                .zip(columns.into_iter().map(Arc::from))
                .collect();
            segments.push((segment.segment_id(), by_field));
        }
        Ok(CountedNorms { segments })
    }

    fn get(&self, segment: SegmentId, field: Field) -> Option<Arc<[u8]>> {
        let (_, fields) = self.segments.iter().find(|(id, _)| *id == segment)?;
        fields
            .iter()
            .find_map(|(f, ids)| (*f == field).then(|| ids.clone()))
    }
}
