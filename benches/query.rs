//! Query latency (normalise + search + pick the quote) on the summit corpus and
//! on drcd, and index build time on drcd.
//!
//! `cargo bench --bench query`. The drcd parts need ../shared/eval/drcd (the
//! evaluation data beside the repository) and are skipped without it.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use summit_bot::corpus::Corpus;
use summit_bot::eval::read_questions;
use summit_bot::search::{Engine, SearchSettings};

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
}

criterion_group!(benches, summit, drcd);
criterion_main!(benches);
