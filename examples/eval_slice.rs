//! Cuts the small drcd and cmrc2018 slices the tests use (tests/data/) out of
//! the full evaluation sets, deterministically. A maintenance tool, not a test.
//!
//! ```text
//! cargo run --example eval_slice -- ../shared/eval tests/data
//! ```
//!
//! Both sets have one gold paragraph per question. Lines are copied byte for
//! byte, in their original order, so a slice is a plain subset of its source:
//! - drcd (several paragraphs per article, so same-title paragraphs are the
//!   hard distractors): every 8th article in corpus order, with all of its
//!   paragraphs and every dev question whose gold paragraph is one of them;
//!   plus every 20th paragraph of the corpus as an unrelated distractor.
//! - cmrc2018 (one paragraph per article): every 5th dev question and its gold
//!   paragraph; plus every 12th paragraph of the corpus as a distractor.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const DRCD_ARTICLE_STEP: usize = 8;
const DRCD_DISTRACTOR_STEP: usize = 20;
const CMRC_QUESTION_STEP: usize = 5;
const CMRC_DISTRACTOR_STEP: usize = 12;

/// One JSONL line with the two fields the selection looks at.
struct Line {
    raw: String,
    id: String,
    gold_id: String,
}

fn read_lines(path: &Path) -> Result<Vec<Line>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, raw)| {
            let value: serde_json::Value = serde_json::from_str(raw)
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let field = |name: &str| value[name].as_str().unwrap_or_default().to_string();
            Ok(Line {
                raw: raw.to_string(),
                id: field("id"),
                gold_id: field("gold_id"),
            })
        })
        .collect()
}

fn write_lines<'a>(path: &Path, lines: impl Iterator<Item = &'a Line>) -> Result<usize, String> {
    let mut out = String::new();
    let mut count = 0;
    for line in lines {
        out.push_str(&line.raw);
        out.push('\n');
        count += 1;
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(count)
}

/// drcd paragraph ids are `<article>-<paragraph>`.
fn drcd_article(paragraph_id: &str) -> &str {
    paragraph_id.split('-').next().unwrap_or(paragraph_id)
}

/// Paragraph ids to keep and the questions to keep, for one set.
fn select(name: &str, corpus: &[Line], queries: &[Line]) -> (HashSet<String>, Vec<usize>) {
    let mut keep: HashSet<String> = HashSet::new();
    let questions: Vec<usize>;
    let distractor_step;
    if name == "drcd" {
        let mut articles: Vec<&str> = Vec::new();
        for p in corpus {
            let article = drcd_article(&p.id);
            if !articles.contains(&article) {
                articles.push(article);
            }
        }
        let chosen: HashSet<&str> = articles.into_iter().step_by(DRCD_ARTICLE_STEP).collect();
        keep.extend(
            corpus
                .iter()
                .filter(|p| chosen.contains(drcd_article(&p.id)))
                .map(|p| p.id.clone()),
        );
        questions = (0..queries.len())
            .filter(|&i| chosen.contains(drcd_article(&queries[i].gold_id)))
            .collect();
        distractor_step = DRCD_DISTRACTOR_STEP;
    } else {
        questions = (0..queries.len()).step_by(CMRC_QUESTION_STEP).collect();
        keep.extend(questions.iter().map(|&i| queries[i].gold_id.clone()));
        distractor_step = CMRC_DISTRACTOR_STEP;
    }
    keep.extend(corpus.iter().step_by(distractor_step).map(|p| p.id.clone()));
    (keep, questions)
}

fn slice(source: &Path, target: &Path, name: &str) -> Result<(), String> {
    let corpus = read_lines(&source.join(name).join("corpus.jsonl"))?;
    let queries = read_lines(&source.join(name).join("queries.dev.jsonl"))?;
    let (keep, questions) = select(name, &corpus, &queries);
    let dir = target.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let paragraphs = write_lines(
        &dir.join("corpus.jsonl"),
        corpus.iter().filter(|p| keep.contains(&p.id)),
    )?;
    let asked = write_lines(
        &dir.join("queries.dev.jsonl"),
        questions.iter().map(|&i| &queries[i]),
    )?;
    println!(
        "{name}: {asked} questions, {paragraphs} paragraphs → {}",
        dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [source, target] = args.as_slice() else {
        eprintln!("usage: eval_slice SOURCE_DIR (../shared/eval) TARGET_DIR (tests/data)");
        return ExitCode::from(2);
    };
    for name in ["drcd", "cmrc2018"] {
        if let Err(e) = slice(source, target, name) {
            eprintln!("eval_slice: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
