//! Query latency (normalise + search + pick the quote) on the summit corpus and
//! on drcd, and index build time on drcd.
//!
//! `cargo bench --bench query`. The drcd parts need ../shared/eval/drcd (the
//! evaluation data beside the repository) and are skipped without it.
//!
//! `probe/drcd/*` is the floor of the required stack: tantivy + jieba-rs alone
//! (one OR query of the question's jieba words, or words and bigrams, top 5,
//! no question words removed, no re-ranking, no quote); its hit@1 is printed
//! beside its time, and `build/probe/drcd` is its index build.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use summit_bot::corpus::Corpus;
use summit_bot::eval::read_questions;
use summit_bot::index::analyzer::{bigram_terms_folded, word_terms_folded};
use summit_bot::search::{Engine, SearchSettings};
use summit_bot::text::fold;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::Value;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED};
use tantivy::{doc, Index, IndexReader, TantivyDocument, Term};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn questions(path: &Path) -> Vec<String> {
    read_questions(path)
        .map(|qs| qs.into_iter().map(|q| q.question).collect())
        .unwrap_or_default()
}

/// Benchmarks one `ask` per iteration, cycling through `questions`.
fn bench_queries(c: &mut Criterion, name: &str, engine: &Engine, questions: &[String]) {
    if questions.is_empty() {
        return;
    }
    let mut next = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let answer = engine.ask(&questions[next % questions.len()]);
            next += 1;
            answer
        })
    });
}

fn summit(c: &mut Criterion) {
    let corpus = Corpus::load(&repo("corpus")).expect("corpus/ loads");
    let engine = Engine::new(&corpus, SearchSettings::default()).expect("index builds");
    let qs = questions(&repo("tests/data/summit/questions.dev.jsonl"));
    let qs = if qs.is_empty() {
        vec!["乌镇峰会在哪里举行？".to_string()]
    } else {
        qs
    };
    bench_queries(c, "query/summit", &engine, &qs);
}

fn drcd(c: &mut Criterion) {
    let corpus_path = repo("../shared/eval/drcd/corpus.jsonl");
    let Ok(corpus) = Corpus::load(&corpus_path) else {
        eprintln!("skipping drcd benches: {} not found", corpus_path.display());
        return;
    };
    let engine = Engine::new(&corpus, SearchSettings::default()).expect("index builds");
    let qs = questions(&repo("../shared/eval/drcd/queries.dev.jsonl"));
    bench_queries(c, "query/drcd", &engine, &qs);
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("index/drcd", |b| {
        b.iter(|| Engine::new(&corpus, SearchSettings::default()).expect("index builds"))
    });
    group.finish();
    probe_drcd(c, &corpus);
}

/// A plain tantivy index of jieba words and bigrams (cut by our analyzers,
/// split on spaces by tantivy), scored by tantivy's BM25 alone.
struct Probe {
    reader: IndexReader,
    id: Field,
    words: Field,
    bigrams: Field,
}

impl Probe {
    fn build(corpus: &Corpus) -> Probe {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("whitespace")
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let id = schema.add_text_field("id", STORED);
        let words = schema.add_text_field("words", text.clone());
        let bigrams = schema.add_text_field("bigrams", text);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer(100_000_000).expect("probe writer");
        for article in &corpus.articles {
            for block in &article.blocks {
                let folded = fold(&block.text);
                writer
                    .add_document(doc!(
                        id => article.id.clone(),
                        words => word_terms_folded(&folded).join(" "),
                        bigrams => bigram_terms_folded(&folded).join(" "),
                    ))
                    .expect("probe document");
            }
        }
        writer.commit().expect("probe commit");
        Probe {
            reader: index.reader().expect("probe reader"),
            id,
            words,
            bigrams,
        }
    }

    /// The id of the best record for `question`: one OR of its words (and
    /// bigrams), boosted 0.5 each as in FINDINGS.md.
    fn first(&self, question: &str, with_bigrams: bool) -> Option<String> {
        let folded = fold(question);
        let clause = |field, text: &str| -> (Occur, Box<dyn Query>) {
            let term = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(term), 0.5)),
            )
        };
        let mut clauses: Vec<_> = word_terms_folded(&folded)
            .into_iter()
            .map(|w| clause(self.words, w))
            .collect();
        if with_bigrams {
            let bigrams = bigram_terms_folded(&folded);
            clauses.extend(bigrams.iter().map(|b| clause(self.bigrams, b)));
        }
        let searcher = self.reader.searcher();
        // `Count` beside `TopDocs` makes tantivy score the union of the
        // postings instead of running block-max WAND: faster here (2,000
        // paragraphs, most of them matching some bigram).
        let (top, _) = searcher
            .search(
                &BooleanQuery::new(clauses),
                &(TopDocs::with_limit(5).order_by_score(), Count),
            )
            .ok()?;
        let (_, address) = top.first()?;
        let stored: TantivyDocument = searcher.doc(*address).ok()?;
        let id = stored.get_first(self.id)?;
        id.as_str().map(str::to_string)
    }
}

/// The probe's query time and hit@1 on drcd, jieba words alone and with bigrams.
fn probe_drcd(c: &mut Criterion, corpus: &Corpus) {
    let Ok(questions) = read_questions(&repo("../shared/eval/drcd/queries.dev.jsonl")) else {
        return;
    };
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("probe/drcd", |b| b.iter(|| Probe::build(corpus).id));
    group.finish();
    let probe = Probe::build(corpus);
    for (name, with_bigrams) in [
        ("probe/drcd/words", false),
        ("probe/drcd/words+bigrams", true),
    ] {
        let first = questions
            .iter()
            .filter(|q| q.gold_id.is_some() && probe.first(&q.question, with_bigrams) == q.gold_id)
            .count();
        eprintln!(
            "{name}: hit@1 {first}/{} = {:.3}",
            questions.len(),
            first as f64 / questions.len() as f64
        );
        let mut next = 0;
        c.bench_function(name, |b| {
            b.iter(|| {
                let best = probe.first(&questions[next % questions.len()].question, with_bigrams);
                next += 1;
                best
            })
        });
    }
}

criterion_group!(benches, summit, drcd);
criterion_main!(benches);
