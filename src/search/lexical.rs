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
use crate::index::{Fields, Norms};

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
    let terms = query_terms(analysis, fields);
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
    if postings <= EXHAUSTIVE_POSTINGS || statistics.counts_norms() {
        return exhaustive(&terms, statistics, limit, PRUNE_FROM_DOCS, passage);
    }
    let mut best = TopK::new(limit);
    for (bm25, address) in block_wand(terms, statistics, limit)? {
        best.offer(bm25, || passage(address));
    }
    Ok(best.hits)
}

/// The question's terms in every field, each with its field's boost.
fn query_terms(analysis: &Analysis, fields: Fields) -> Vec<(Term, f32)> {
    [
        (fields.words, &analysis.words, WORDS_BOOST),
        (fields.bigrams, &analysis.bigrams, BIGRAMS_BOOST),
        (fields.title, &analysis.title_bigrams, TITLE_BOOST),
        (fields.homophones, &analysis.homophones, HOMOPHONES_BOOST),
    ]
    .into_iter()
    .flat_map(|(field, texts, boost)| {
        texts
            .iter()
            .map(move |t| (Term::from_field_text(field, t), boost))
    })
    .collect()
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
/// best `limit` — until no passage that has not scored yet could reach the
/// top: from then on only the passages that still can are scored, by seeking
/// them in the remaining (long, low-idf) postings lists instead of reading
/// the lists whole (term-at-a-time MaxScore; the result is the same).
fn exhaustive(
    terms: &[(Term, f32)],
    statistics: &Statistics,
    limit: usize,
    prune_from_docs: u32,
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
    // Terms by the most one posting can add (tf factors are below 1), largest
    // first, so that the long lists of common terms come last.
    let bounds: Vec<f32> = weights
        .iter()
        .map(|(weight, boost)| weight.score(0, u32::MAX) * boost)
        .collect();
    let mut order: Vec<usize> = (0..terms.len()).collect();
    order.sort_by(|&a, &b| bounds[b].total_cmp(&bounds[a]).then(a.cmp(&b)));
    let mut best = TopK::new(limit);
    for (ord, segment) in statistics.searcher().segment_readers().iter().enumerate() {
        let alive = segment.alive_bitset();
        let prune = segment.max_doc() >= prune_from_docs;
        let infos = order
            .iter()
            .map(|&i| statistics.term_info(&terms[i].0, ord))
            .collect::<tantivy::Result<Vec<_>>>()?;
        // Postings left to read after each step, and the most they can add.
        let mut postings_after = vec![0u64; order.len()];
        let mut bound_after = vec![0f32; order.len()];
        for step in (0..order.len().saturating_sub(1)).rev() {
            let next = &infos[step + 1];
            postings_after[step] =
                postings_after[step + 1] + next.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            bound_after[step] = bound_after[step + 1] + bounds[order[step + 1]];
        }
        // Length norms by field, read once per segment.
        let mut norms_of: Vec<(Field, Norms)> = Vec::new();
        let mut scores = vec![0.0f32; segment.max_doc() as usize];
        let mut touched: Vec<DocId> = Vec::new();
        // Once set, the only passages that can still reach the top, in doc order.
        let mut contenders: Option<Vec<DocId>> = None;
        for (step, (&i, info)) in order.iter().zip(&infos).enumerate() {
            let Some(info) = info else {
                continue;
            };
            let (term, _) = &terms[i];
            let (weight, boost) = &weights[i];
            let mut postings = statistics
                .inverted_index(ord, term.field())?
                .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
            let norms = match norms_of.iter().find(|(f, _)| *f == term.field()) {
                Some((_, norms)) => norms.clone(),
                None => {
                    let norms = statistics.norms(ord, term.field())?;
                    norms_of.push((term.field(), norms.clone()));
                    norms
                }
            };
            let score = |doc: DocId, tf: u32| weight.score(norms.id(doc), tf) * boost;
            match &contenders {
                None => {
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        let sum = &mut scores[doc as usize];
                        if *sum == 0.0 {
                            touched.push(doc);
                        }
                        *sum += score(doc, postings.term_freq());
                        doc = postings.advance();
                    }
                }
                // Seeking costs a block decode; a list not much longer than
                // the contenders is cheaper read whole (scores of passages
                // out of the running are added but never looked at).
                Some(docs) if u64::from(info.doc_freq) > SEEK_RATIO * docs.len() as u64 => {
                    for &doc in docs {
                        if postings.doc() <= doc && postings.seek(doc) == doc {
                            scores[doc as usize] += score(doc, postings.term_freq());
                        }
                    }
                }
                Some(_) => {
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        scores[doc as usize] += score(doc, postings.term_freq());
                        doc = postings.advance();
                    }
                }
            }
            let rest = bound_after[step] * (1.0 + 1e-4) + 1e-6;
            if let Some(docs) = &mut contenders {
                // Fewer and fewer can still make it as the bound shrinks.
                let threshold = kth_best(docs, &scores, limit, alive);
                docs.retain(|&d| scores[d as usize] + rest >= threshold);
                continue;
            }
            // Worth asking only when much more is left to read than to sort.
            // (Sums in another order differ in the last bits: `rest` has a margin.)
            if prune && touched.len() >= limit && postings_after[step] > 2 * touched.len() as u64 {
                let threshold = kth_best(&touched, &scores, limit, alive);
                if rest < threshold {
                    let mut docs: Vec<DocId> = touched
                        .iter()
                        .copied()
                        .filter(|&d| scores[d as usize] + rest >= threshold)
                        .collect();
                    docs.sort_unstable();
                    contenders = Some(docs);
                }
            }
        }
        let finalists = contenders.unwrap_or(touched);
        for doc in finalists {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                best.offer(scores[doc as usize], || {
                    passage(DocAddress::new(ord as u32, doc))
                });
            }
        }
    }
    Ok(best.hits)
}

/// Segments smaller than this are scored exhaustively: their lists are short,
/// and the bookkeeping of pruning cost more than it saved (drcd's 2,000
/// paragraphs: 443 → 566 µs a question).
const PRUNE_FROM_DOCS: u32 = 20_000;

/// A remaining list longer than this many times the contenders is searched
/// by seeking them; a shorter one is read whole.
const SEEK_RATIO: u64 = 8;

/// The `k`-th best score among the live `docs` (0 when there are fewer): no
/// passage below it can end in the top `k`, since scores only grow.
fn kth_best(
    docs: &[DocId],
    scores: &[f32],
    k: usize,
    alive: Option<&tantivy::fastfield::AliveBitSet>,
) -> f32 {
    let mut live: Vec<f32> = docs
        .iter()
        .filter(|&&d| alive.is_none_or(|a| a.is_alive(d)))
        .map(|&d| scores[d as usize])
        .collect();
    if k == 0 || live.len() < k {
        return 0.0;
    }
    let (_, kth, _) = live.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    *kth
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{IndexSettings, SearchIndex};
    use crate::text::fold;

    /// The drcd slice three times over (every text thrice: ties and long
    /// lists of equal scores, where the pruning starts early), built in RAM
    /// and on disk.
    fn replicated_drcd() -> (SearchIndex, SearchIndex) {
        let source =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/drcd/corpus.jsonl");
        let lines: Vec<String> = std::fs::read_to_string(source)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let mut out = String::new();
        for round in 0..3 {
            for line in &lines {
                let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
                let id = format!("{}~{round}", record["id"].as_str().unwrap());
                record["id"] = id.into();
                out.push_str(&record.to_string());
                out.push('\n');
            }
        }
        // One directory per call: tests run side by side.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("summit-lexical-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("corpus.jsonl");
        std::fs::write(&path, out).unwrap();
        let in_ram = SearchIndex::load(&path, &IndexSettings::default()).unwrap();
        let on_disk = IndexSettings {
            path: dir.join("index"),
        };
        let on_disk = SearchIndex::load(&path, &on_disk).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (in_ram, on_disk)
    }

    fn questions() -> Vec<String> {
        let lines = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/drcd/queries.dev.jsonl"),
        )
        .unwrap();
        lines
            .lines()
            .map(|line| {
                let question: serde_json::Value = serde_json::from_str(line).unwrap();
                fold(question["question"].as_str().unwrap())
            })
            .collect()
    }

    /// The in-RAM index counts the length norms of its bigram, title and
    /// homophone fields itself: it must score exactly as tantivy's norms
    /// (the on-disk index keeps them) make it score.
    #[test]
    fn counted_norms_score_as_tantivy_norms() {
        let (in_ram, on_disk) = replicated_drcd();
        assert!(in_ram.counted_norms.is_some() && on_disk.counted_norms.is_none());
        let (ram_searcher, disk_searcher) = (in_ram.reader.searcher(), on_disk.reader.searcher());
        for question in questions() {
            let ram = Statistics::new(&ram_searcher, in_ram.counted_norms.as_ref());
            let disk = Statistics::new(&disk_searcher, None);
            let found = |index: &SearchIndex, statistics: &Statistics| {
                let analysis = super::super::analysis::analyse(
                    &question,
                    index.fields,
                    statistics,
                    &index.synonyms,
                );
                candidates(&analysis, index.fields, statistics, 10).unwrap()
            };
            let (ram, disk) = (found(&in_ram, &ram), found(&on_disk, &disk));
            let ids = |index: &SearchIndex, found: &[Candidate]| -> Vec<(String, f32)> {
                found
                    .iter()
                    .map(|c| (index.passage(c.passage).unwrap().id.clone(), c.bm25))
                    .collect()
            };
            assert_eq!(ids(&in_ram, &ram), ids(&on_disk, &disk), "{question}");
        }
    }

    /// The pruned exhaustive scoring finds what tantivy's own block-max WAND
    /// finds: the same scores, and the same passages wherever scores differ.
    #[test]
    fn pruned_scoring_equals_tantivy() {
        // tantivy's block-max WAND reads tantivy's norms: the on-disk index.
        let (_, index) = replicated_drcd();
        let searcher = index.reader.searcher();
        let numbers: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64("doc").unwrap())
            .collect();
        let passage = |a: DocAddress| {
            numbers[a.segment_ord as usize]
                .first(a.doc_id)
                .map(|n| n as usize)
        };
        for folded in questions().into_iter().step_by(4) {
            let statistics = Statistics::new(&searcher, None);
            let analysis = super::super::analysis::analyse(
                &folded,
                index.fields,
                &statistics,
                &index.synonyms,
            );
            let terms = query_terms(&analysis, index.fields);
            // Pruning on, however small the index.
            let ours = exhaustive(&terms, &statistics, 10, 0, passage).unwrap();
            let theirs = block_wand(terms, &statistics, 10).unwrap();
            assert_eq!(ours.len(), theirs.len(), "{folded}");
            for (n, (o, (score, address))) in ours.iter().zip(&theirs).enumerate() {
                assert!((o.bm25 - score).abs() <= 1e-4 * score, "{folded} #{n}");
                // Copies of a text tie: either copy is right.
                let text =
                    |n: Option<usize>| n.and_then(|n| index.passage(n)).map(|p| p.text.clone());
                let tied = ours
                    .iter()
                    .filter(|c| (c.bm25 - score).abs() <= 1e-4 * score)
                    .count();
                if tied == 1 {
                    assert_eq!(text(Some(o.passage)), text(passage(*address)), "{folded}");
                }
            }
        }
    }
}
