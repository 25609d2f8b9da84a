//! Lexical retrieval: tantivy BM25 over an OR of the question's terms, built
//! from tokens (never through tantivy's QueryParser, which would turn a Chinese
//! question into a phrase query and interpret `AND OR ( " :` typed by users).

use tantivy::collector::TopDocs;
use tantivy::postings::Postings;
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Term, TERMINATED};

use super::analysis::Analysis;
use super::statistics::Statistics;
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

/// Above this many postings in all (the sum of the question's document
/// frequencies) the question goes to tantivy's block-max WAND, which skips
/// blocks that cannot reach the top; below it, scoring every posting into one
/// array is cheaper: several times on drcd, 2.3× on 100,000 paragraphs
/// (1,000 drcd questions over the on-disk index), so almost every question is.
const EXHAUSTIVE_POSTINGS: u64 = 2_000_000;

/// The `limit` best passages by BM25, best first (ties: the earlier passage
/// first, whatever segment the index put it in). Term statistics come from
/// `statistics` (already looked up while weighing the question). Both ways of
/// scoring give the same BM25 (tantivy's weights and norms).
pub(super) fn candidates(
    analysis: &Analysis,
    fields: Fields,
    statistics: &Statistics,
    limit: usize,
) -> tantivy::Result<Vec<Candidate>> {
    let mut terms: Vec<(Term, f32)> = Vec::new();
    let mut add = |field, texts: &[String], boost: f32| {
        terms.extend(
            texts
                .iter()
                .map(|t| (Term::from_field_text(field, t), boost)),
        );
    };
    add(fields.words, &analysis.words, WORDS_BOOST);
    add(fields.bigrams, &analysis.bigrams, BIGRAMS_BOOST);
    add(fields.title, &analysis.title_bigrams, TITLE_BOOST);
    add(fields.homophones, &analysis.homophones, HOMOPHONES_BOOST);
    let passage_numbers = statistics
        .searcher()
        .segment_readers()
        .iter()
        .map(|segment| segment.fast_fields().u64("doc"))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let passage = |address: DocAddress| {
        passage_numbers[address.segment_ord as usize]
            .first(address.doc_id)
            .map(|n| n as usize)
    };
    let postings = terms
        .iter()
        .map(|(t, _)| statistics.doc_freq(t))
        .sum::<tantivy::Result<u64>>()?;
    if postings <= EXHAUSTIVE_POSTINGS {
        return exhaustive(&terms, statistics, limit, passage);
    }
    let mut best = TopK::new(limit);
    for (bm25, address) in block_wand(terms, statistics, limit)? {
        best.offer(bm25, || passage(address));
    }
    Ok(best.hits)
}

/// tantivy's own evaluation: an OR of boosted term queries.
fn block_wand(
    terms: Vec<(Term, f32)>,
    statistics: &Statistics,
    limit: usize,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|(term, boost)| {
            let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
            let boosted: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(query), boost));
            (Occur::Should, boosted)
        })
        .collect();
    statistics.searcher().search_with_statistics_provider(
        &BooleanQuery::new(clauses),
        &TopDocs::with_limit(limit).order_by_score(),
        statistics,
    )
}

/// Every posting of every term scored into one array per segment, then the
/// best `limit`.
fn exhaustive(
    terms: &[(Term, f32)],
    statistics: &Statistics,
    limit: usize,
    passage: impl Fn(DocAddress) -> Option<usize>,
) -> tantivy::Result<Vec<Candidate>> {
    // One BM25 weight per field (its table of length norms costs 256 divisions),
    // scaled to each term's idf and boost.
    let docs = statistics.total_num_docs()?;
    let mut per_field: Vec<(Field, Bm25Weight)> = Vec::new();
    let mut weights = Vec::with_capacity(terms.len());
    for (term, boost) in terms {
        let field = term.field();
        let base = match per_field.iter().find(|(f, _)| *f == field) {
            Some((_, base)) => base.clone(),
            None => {
                let average = statistics.total_num_tokens(field)? as f32 / docs as f32;
                let base = Bm25Weight::for_one_term_without_explain(BASE_DF, docs, average);
                per_field.push((field, base.clone()));
                base
            }
        };
        let df = statistics.doc_freq(term)?;
        weights.push((base.boost_by(idf(df, docs) / idf(BASE_DF, docs)), *boost));
    }
    let mut best = TopK::new(limit);
    for (ord, segment) in statistics.searcher().segment_readers().iter().enumerate() {
        let mut scores = vec![0.0f32; segment.max_doc() as usize];
        let mut touched: Vec<DocId> = Vec::new();
        for ((term, _), (weight, boost)) in terms.iter().zip(&weights) {
            let Some(info) = statistics.term_info(term, ord)? else {
                continue;
            };
            let mut postings = segment
                .inverted_index(term.field())?
                .read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
            let norms = segment.get_fieldnorms_reader(term.field())?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                let score = &mut scores[doc as usize];
                if *score == 0.0 {
                    touched.push(doc);
                }
                *score += weight.score(norms.fieldnorm_id(doc), postings.term_freq()) * boost;
                doc = postings.advance();
            }
        }
        let alive = segment.alive_bitset();
        for doc in touched {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                best.offer(scores[doc as usize], || {
                    passage(DocAddress::new(ord as u32, doc))
                });
            }
        }
    }
    Ok(best.hits)
}

/// The document frequency of the per-field BM25 weight that term weights are
/// scaled from (any will do; 1 keeps its idf far from 0).
const BASE_DF: u64 = 1;

/// BM25's idf, as tantivy computes it.
fn idf(df: u64, docs: u64) -> f32 {
    let x = (docs.saturating_sub(df) as f32 + 0.5) / (df as f32 + 0.5);
    (1.0 + x).ln()
}

/// The best `limit` passages offered, best first (ties: lower passage number
/// first). Most offers lose to the current last on score alone and cost one
/// comparison; only the others look their passage number up.
struct TopK {
    limit: usize,
    hits: Vec<Candidate>,
}

impl TopK {
    fn new(limit: usize) -> TopK {
        TopK {
            limit,
            hits: Vec::with_capacity(limit + 1),
        }
    }

    fn offer(&mut self, bm25: f32, passage: impl FnOnce() -> Option<usize>) {
        let full = self.hits.len() >= self.limit;
        if full && self.hits.last().is_none_or(|last| last.bm25 > bm25) {
            return;
        }
        let Some(passage) = passage() else {
            return;
        };
        let before = |c: &Candidate| {
            c.bm25.total_cmp(&bm25).then(passage.cmp(&c.passage)) == std::cmp::Ordering::Greater
        };
        if full && self.hits.last().is_some_and(before) {
            return;
        }
        let at = self.hits.partition_point(before);
        self.hits.insert(at, Candidate { passage, bm25 });
        self.hits.truncate(self.limit);
    }
}
