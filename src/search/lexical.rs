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
use crate::index::sounds::SoundPostings;
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
    // Pairs by sound are not a tantivy field: only the exhaustive scoring
    // reads them (a typo question is rare enough to afford it at any size).
    let sounds = &analysis.homophones;
    if postings <= EXHAUSTIVE_POSTINGS || !sounds.is_empty() {
        return exhaustive(&terms, sounds, statistics, limit, PRUNE_FROM_DOCS, passage);
    }
    let mut best = TopK::new(limit);
    for (bm25, address) in block_wand(terms, statistics, limit)? {
        best.offer(bm25, || passage(address));
    }
    Ok(best.hits)
}

/// The question's terms in every field, each with its field's boost (the
/// pairs by sound, [`Analysis::homophones`], are scored beside them).
fn query_terms(analysis: &Analysis, fields: Fields) -> Vec<(Term, f32)> {
    [
        (fields.words, &analysis.words, WORDS_BOOST),
        (fields.bigrams, &analysis.bigrams, BIGRAMS_BOOST),
        (fields.title, &analysis.title_bigrams, TITLE_BOOST),
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
/// `sounds` are folded pairs by sound, scored as the terms of one more field
/// ([`crate::index::sounds`]) after `terms`.
fn exhaustive(
    terms: &[(Term, f32)],
    sounds: &[String],
    statistics: &Statistics,
    limit: usize,
    prune_from_docs: u32,
    passage: impl Fn(DocAddress) -> Option<usize>,
) -> tantivy::Result<Vec<Candidate>> {
    // One BM25 weight per field (its table of length norms costs 256 divisions),
    // scaled to each term's idf and boost.
    let docs = statistics.total_num_docs()?;
    let base_of = |tokens: u64| {
        Bm25Weight::for_one_term_without_explain(BASE_DF, docs, tokens as f32 / docs as f32)
    };
    let scaled = |base: &Bm25Weight, df: u64| base.boost_by(idf(df, docs) / idf(BASE_DF, docs));
    let mut per_field: Vec<(Field, Bm25Weight)> = Vec::new();
    let mut weights = Vec::with_capacity(terms.len() + sounds.len());
    for (term, boost) in terms {
        let field = term.field();
        let base = match per_field.iter().find(|(f, _)| *f == field) {
            Some((_, base)) => base.clone(),
            None => {
                let base = base_of(statistics.total_num_tokens(field)?);
                per_field.push((field, base.clone()));
                base
            }
        };
        weights.push((scaled(&base, statistics.doc_freq(term)?), *boost));
    }
    if !sounds.is_empty() {
        let base = base_of(statistics.sound_tokens());
        for sound in sounds {
            weights.push((scaled(&base, statistics.sound_df(sound)), HOMOPHONES_BOOST));
        }
    }
    // Terms by the most one posting can add (tf factors are below 1), largest
    // first, so that the long lists of common terms come last.
    let bounds: Vec<f32> = weights
        .iter()
        .map(|(weight, boost)| weight.score(0, u32::MAX) * boost)
        .collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| bounds[b].total_cmp(&bounds[a]).then(a.cmp(&b)));
    let sound_lists: Vec<_> = sounds
        .iter()
        .map(|sound| statistics.sound_postings(sound))
        .collect();
    let mut best = TopK::new(limit);
    for (ord, segment) in statistics.searcher().segment_readers().iter().enumerate() {
        let alive = segment.alive_bitset();
        let prune = segment.max_doc() >= prune_from_docs;
        let lists = order
            .iter()
            .map(|&i| match terms.get(i) {
                Some((term, _)) => Ok(statistics.term_info(term, ord)?.map(List::Indexed)),
                None => Ok(Some(List::Sound(&sound_lists[i - terms.len()][ord]))),
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        // Postings left to read after each step, and the most they can add.
        let mut postings_after = vec![0u64; order.len()];
        let mut bound_after = vec![0f32; order.len()];
        for step in (0..order.len().saturating_sub(1)).rev() {
            let next = &lists[step + 1];
            postings_after[step] = postings_after[step + 1] + next.as_ref().map_or(0, List::len);
            bound_after[step] = bound_after[step + 1] + bounds[order[step + 1]];
        }
        // Length norms by field, read once per segment.
        let mut norms_of: Vec<(Field, tantivy::fieldnorm::FieldNormReader)> = Vec::new();
        let mut sums = Sums {
            scores: vec![0.0f32; segment.max_doc() as usize],
            touched: Vec::new(),
            contenders: None,
        };
        for (step, (&i, list)) in order.iter().zip(&lists).enumerate() {
            let (weight, boost) = &weights[i];
            match list {
                None => continue,
                Some(List::Indexed(info)) => {
                    let field = terms[i].0.field();
                    let mut postings = statistics
                        .inverted_index(ord, field)?
                        .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                    let norms = match norms_of.iter().find(|(f, _)| *f == field) {
                        Some((_, norms)) => norms.clone(),
                        None => {
                            let norms = segment.get_fieldnorms_reader(field)?;
                            norms_of.push((field, norms.clone()));
                            norms
                        }
                    };
                    sums.add(&mut postings, u64::from(info.doc_freq), |doc, tf| {
                        weight.score(norms.fieldnorm_id(doc), tf) * boost
                    });
                }
                Some(List::Sound(postings)) => {
                    let mut cursor = ListCursor {
                        list: postings,
                        at: 0,
                    };
                    sums.add(&mut cursor, postings.len() as u64, |doc, tf| {
                        weight.score(statistics.sound_norm_id(ord, doc), tf) * boost
                    });
                }
            }
            let rest = bound_after[step] * (1.0 + 1e-4) + 1e-6;
            let Sums {
                scores,
                touched,
                contenders,
            } = &mut sums;
            if let Some(docs) = contenders {
                // Fewer and fewer can still make it as the bound shrinks.
                let threshold = kth_best(docs, scores, limit, alive);
                docs.retain(|&d| scores[d as usize] + rest >= threshold);
                continue;
            }
            // Worth asking only when much more is left to read than to sort.
            // (Sums in another order differ in the last bits: `rest` has a margin.)
            if prune && touched.len() >= limit && postings_after[step] > 2 * touched.len() as u64 {
                let threshold = kth_best(touched, scores, limit, alive);
                if rest < threshold {
                    let mut docs: Vec<DocId> = touched
                        .iter()
                        .copied()
                        .filter(|&d| scores[d as usize] + rest >= threshold)
                        .collect();
                    docs.sort_unstable();
                    *contenders = Some(docs);
                }
            }
        }
        let finalists = sums.contenders.unwrap_or(sums.touched);
        for doc in finalists {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                best.offer(sums.scores[doc as usize], || {
                    passage(DocAddress::new(ord as u32, doc))
                });
            }
        }
    }
    Ok(best.hits)
}

/// One term's postings in one segment: tantivy's, or a pair's by sound.
enum List<'a> {
    Indexed(tantivy::postings::TermInfo),
    Sound(&'a SoundPostings),
}

impl List<'_> {
    fn len(&self) -> u64 {
        match self {
            List::Indexed(info) => u64::from(info.doc_freq),
            List::Sound(postings) => postings.len() as u64,
        }
    }
}

/// A segment's partial scores: every passage's, which have any, and (once
/// pruning starts) the only passages that can still reach the top, in
/// document order.
struct Sums {
    scores: Vec<f32>,
    touched: Vec<DocId>,
    contenders: Option<Vec<DocId>>,
}

impl Sums {
    /// Adds one term's scores from its postings (`df` of them).
    fn add(&mut self, postings: &mut impl Cursor, df: u64, score: impl Fn(DocId, u32) -> f32) {
        match &self.contenders {
            None => {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    let sum = &mut self.scores[doc as usize];
                    if *sum == 0.0 {
                        self.touched.push(doc);
                    }
                    *sum += score(doc, postings.term_freq());
                    doc = postings.advance();
                }
            }
            // Seeking costs a block decode; a list not much longer than
            // the contenders is cheaper read whole (scores of passages
            // out of the running are added but never looked at).
            Some(docs) if df > SEEK_RATIO * docs.len() as u64 => {
                for &doc in docs {
                    if postings.doc() <= doc && postings.seek(doc) == doc {
                        self.scores[doc as usize] += score(doc, postings.term_freq());
                    }
                }
            }
            Some(_) => {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    self.scores[doc as usize] += score(doc, postings.term_freq());
                    doc = postings.advance();
                }
            }
        }
    }
}

/// What scoring reads from a postings list.
trait Cursor {
    fn doc(&self) -> DocId;
    fn advance(&mut self) -> DocId;
    fn seek(&mut self, target: DocId) -> DocId;
    fn term_freq(&self) -> u32;
}

impl Cursor for tantivy::postings::SegmentPostings {
    fn doc(&self) -> DocId {
        DocSet::doc(self)
    }
    fn advance(&mut self) -> DocId {
        DocSet::advance(self)
    }
    fn seek(&mut self, target: DocId) -> DocId {
        DocSet::seek(self, target)
    }
    fn term_freq(&self) -> u32 {
        Postings::term_freq(self)
    }
}

/// A pair's postings by sound, read in order.
struct ListCursor<'a> {
    list: &'a SoundPostings,
    at: usize,
}

impl Cursor for ListCursor<'_> {
    fn doc(&self) -> DocId {
        self.list.get(self.at).map_or(TERMINATED, |&(doc, _)| doc)
    }
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        self.at += self.list[self.at.min(self.list.len())..].partition_point(|&(d, _)| d < target);
        self.doc()
    }
    fn term_freq(&self) -> u32 {
        self.list.get(self.at).map_or(0, |&(_, tf)| tf)
    }
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
    /// lists of equal scores, where the pruning starts early).
    fn replicated_drcd() -> SearchIndex {
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
        let dir = std::env::temp_dir().join(format!("summit-lexical-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("corpus.jsonl");
        std::fs::write(&path, out).unwrap();
        let index = SearchIndex::load(&path, &IndexSettings::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        index
    }

    /// The pruned exhaustive scoring finds what tantivy's own block-max WAND
    /// finds: the same scores, and the same passages wherever scores differ.
    #[test]
    fn pruned_scoring_equals_tantivy() {
        let index = replicated_drcd();
        let questions = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/drcd/queries.dev.jsonl"),
        )
        .unwrap();
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
        for line in questions.lines().step_by(4) {
            let question: serde_json::Value = serde_json::from_str(line).unwrap();
            let folded = fold(question["question"].as_str().unwrap());
            let statistics = Statistics::new(&searcher, &index);
            let analysis = super::super::analysis::analyse(
                &folded,
                index.fields,
                &statistics,
                &index.synonyms,
            );
            let terms = query_terms(&analysis, index.fields);
            // Pruning on, however small the index.
            let ours = exhaustive(&terms, &[], &statistics, 10, 0, passage).unwrap();
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
