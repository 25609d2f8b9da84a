//! Lexical retrieval: tantivy BM25 over an OR of the question's terms, built
//! from tokens (never through tantivy's QueryParser, which would turn a Chinese
//! question into a phrase query and interpret `AND OR ( " :` typed by users).

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use super::analysis::Analysis;
use crate::index::Fields;

/// Field weights of the BM25 stage (see FINDINGS).
const WORDS_BOOST: f32 = 0.5;
const BIGRAMS_BOOST: f32 = 0.5;
const TITLE_BOOST: f32 = 0.3;
/// Pairs of ideographs by sound: a weak signal, below any exact match.
const HOMOPHONES_BOOST: f32 = 0.2;

/// A passage found by BM25: its position in the engine and its score.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub passage: usize,
    pub bm25: f32,
}

/// The `limit` best passages by BM25, best first.
pub(super) fn candidates(
    analysis: &Analysis,
    fields: Fields,
    searcher: &Searcher,
    limit: usize,
) -> tantivy::Result<Vec<Candidate>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut term = |field, text: &str, boost: f32| {
        let query = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        ));
    };
    for w in &analysis.words {
        term(fields.words, w, WORDS_BOOST);
    }
    for b in &analysis.bigrams {
        term(fields.bigrams, b, BIGRAMS_BOOST);
        term(fields.title, b, TITLE_BOOST);
    }
    for h in &analysis.homophones {
        term(fields.homophones, h, HOMOPHONES_BOOST);
    }
    let query = BooleanQuery::new(clauses);
    let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
    let mut found = Vec::with_capacity(top.len());
    for (bm25, address) in top {
        let segment = searcher.segment_reader(address.segment_ord);
        let doc_column = segment.fast_fields().u64("doc")?;
        if let Some(doc) = doc_column.first(address.doc_id) {
            found.push(Candidate {
                passage: doc as usize,
                bm25,
            });
        }
    }
    Ok(found)
}
