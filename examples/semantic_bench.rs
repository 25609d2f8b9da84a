//! Figures for the semantic retriever (README, Semantic retrieval): model load,
//! paragraph vectors built and reloaded from the cache, time per question
//! (median, p90), nearest-paragraph search, peak resident memory.
//!
//!     cargo run --release --example semantic_bench -- [CORPUS] [QUESTIONS.jsonl]
//!
//! CORPUS defaults to `corpus`; QUESTIONS is a JSONL file with a "question"
//! field per line (default: a few built-in questions). The model comes from
//! `[semantic] model_path` (fetched when missing).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use summit_bot::index::{IndexSettings, SearchIndex};
use summit_bot::semantic::{self, SemanticSettings, VectorStore};

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(args.next().unwrap_or_else(|| "corpus".into()));
    let questions = match args.next() {
        Some(path) => read_questions(Path::new(&path)),
        None => [
            "乌镇峰会在哪里举行？",
            "蓝皮书是哪个机构编写的？",
            "Where is the summit held?",
        ]
        .map(String::from)
        .to_vec(),
    };

    let settings = SemanticSettings::default();
    let started = Instant::now();
    let embedder = semantic::open_embedder(&settings, &mut |l| eprintln!("{l}")).expect("model");
    let load = started.elapsed();

    let index = SearchIndex::load(&corpus, &IndexSettings::default()).expect("corpus");
    let passages: Vec<_> = index.passages.iter().collect();
    let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
    let cache = std::env::temp_dir().join(format!("semantic-bench-{}", std::process::id()));
    let started = Instant::now();
    VectorStore::load_or_build(&embedder, &cache, &texts, &mut |_, _| {}).expect("build");
    let build = started.elapsed();
    let started = Instant::now();
    let vectors =
        VectorStore::load_or_build(&embedder, &cache, &texts, &mut |_, _| {}).expect("reload");
    let reload = started.elapsed();
    let _ = std::fs::remove_dir_all(&cache);

    let mut per_question: Vec<Duration> = Vec::new();
    let mut search = Duration::ZERO;
    for q in &questions {
        let started = Instant::now();
        let v = embedder.embed_query(q);
        per_question.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(vectors.top_k(&v, 10));
        search += started.elapsed();
    }
    per_question.sort();
    // The longest texts the embedder accepts: the worst case a stranger can cause.
    let started = Instant::now();
    embedder.embed_query(&"乌镇峰会".repeat(1_000));
    let longest_question = started.elapsed();
    let started = Instant::now();
    embedder.embed_passage(&"乌镇峰会".repeat(1_000));
    let longest_paragraph = started.elapsed();
    let at = |p: f64| per_question[((per_question.len() - 1) as f64 * p).round() as usize];
    println!("engine variant        {}", embedder.variant());
    println!("model load            {:.1} ms", ms(load));
    println!(
        "paragraph vectors     {} paragraphs built in {:.2} s, reloaded from cache in {:.1} ms",
        texts.len(),
        build.as_secs_f64(),
        ms(reload)
    );
    println!(
        "question embedding    {} questions: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        per_question.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(1.0))
    );
    println!(
        "longest accepted      question {:.0} ms, paragraph {:.0} ms",
        ms(longest_question),
        ms(longest_paragraph)
    );
    println!(
        "top-10 search         {:.3} ms per question",
        ms(search) / questions.len() as f64
    );
    println!("peak RSS              {} MB", peak_rss_mb());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn read_questions(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("questions file")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("question")?.as_str().map(String::from))
        .collect()
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}
