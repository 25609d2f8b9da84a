//! Corpus statistics for one question, looked up once: the document
//! frequencies that weigh the question's units are the same ones BM25 needs,
//! so analysis and retrieval share them, and the term-dictionary entry found
//! for a term's frequency is the one its postings are read from.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tantivy::postings::TermInfo;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::InvertedIndexReader;
use tantivy::{Searcher, Term};

use crate::index::{CountedNorms, Norms};

pub(super) struct Statistics<'a> {
    searcher: &'a Searcher,
    /// Live documents (the weights of units use it) …
    docs: u64,
    /// … and documents as BM25 counts them (the same unless some were deleted).
    bm25_docs: u64,
    terms: RefCell<FxHashMap<Term, TermEntry>>,
    tokens: RefCell<FxHashMap<Field, u64>>,
    /// Inverted indexes opened so far, by segment and field (tantivy looks
    /// each up in a locked map; a question asks dozens of times).
    indexes: RefCell<Vec<(usize, Field, Arc<InvertedIndexReader>)>>,
    /// The index's own length norms, where tantivy keeps none.
    counted_norms: Option<&'a CountedNorms>,
}

/// What the term dictionary says of one term.
struct TermEntry {
    /// Passages holding it, over all segments.
    df: u64,
    /// Its entry in each segment (by segment position; `None`: absent there).
    infos: Vec<Option<TermInfo>>,
}

impl<'a> Statistics<'a> {
    pub fn new(searcher: &'a Searcher, counted_norms: Option<&'a CountedNorms>) -> Statistics<'a> {
        Statistics {
            counted_norms,
            searcher,
            docs: searcher.num_docs(),
            bm25_docs: Bm25StatisticsProvider::total_num_docs(searcher).unwrap_or(0),
            terms: RefCell::default(),
            tokens: RefCell::default(),
            indexes: RefCell::default(),
        }
    }

    pub fn searcher(&self) -> &'a Searcher {
        self.searcher
    }

    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Passages of `field` holding the term `text` (0 on a read error: an
    /// absent term weighs and matches nothing, which is the safe reading).
    pub fn df(&self, field: Field, text: &str) -> u64 {
        self.entry(&Term::from_field_text(field, text), |e| e.df)
            .unwrap_or(0)
    }

    /// The term's dictionary entry in segment `segment`, if it is there.
    pub fn term_info(&self, term: &Term, segment: usize) -> tantivy::Result<Option<TermInfo>> {
        self.entry(term, |e| e.infos.get(segment).cloned().flatten())
    }

    /// Whether some length norms are counted by us (tantivy's block-max WAND
    /// cannot score such an index: it reads tantivy's norms only).
    pub fn counts_norms(&self) -> bool {
        self.counted_norms.is_some()
    }

    /// The length norms of `field` in segment `segment`.
    pub fn norms(&self, segment: usize, field: Field) -> tantivy::Result<Norms> {
        Norms::of(
            self.searcher.segment_reader(segment as u32),
            field,
            self.counted_norms,
        )
    }

    /// The inverted index of `field` in segment `segment`.
    pub fn inverted_index(
        &self,
        segment: usize,
        field: Field,
    ) -> tantivy::Result<Arc<InvertedIndexReader>> {
        let known = self
            .indexes
            .borrow()
            .iter()
            .find_map(|(s, f, index)| (*s == segment && *f == field).then(|| index.clone()));
        if let Some(index) = known {
            return Ok(index);
        }
        let reader = self.searcher.segment_reader(segment as u32);
        let index = reader.inverted_index(field)?;
        self.indexes
            .borrow_mut()
            .push((segment, field, index.clone()));
        Ok(index)
    }

    /// `read` applied to the term's entry, looked up on first use.
    fn entry<R>(&self, term: &Term, read: impl FnOnce(&TermEntry) -> R) -> tantivy::Result<R> {
        if let Some(entry) = self.terms.borrow().get(term) {
            return Ok(read(entry));
        }
        let mut entry = TermEntry {
            df: 0,
            infos: Vec::with_capacity(self.searcher.segment_readers().len()),
        };
        for segment in 0..self.searcher.segment_readers().len() {
            let info = self
                .inverted_index(segment, term.field())?
                .get_term_info(term)?;
            entry.df += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            entry.infos.push(info);
        }
        let value = read(&entry);
        self.terms.borrow_mut().insert(term.clone(), entry);
        Ok(value)
    }
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(&n) = self.tokens.borrow().get(&field) {
            return Ok(n);
        }
        let n = Bm25StatisticsProvider::total_num_tokens(self.searcher, field)?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.bm25_docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.entry(term, |e| e.df)
    }
}
