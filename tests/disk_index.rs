//! The on-disk index: reopened when the corpus is unchanged, rebuilt when it
//! changed or when its directory is damaged, and answering exactly like the
//! in-RAM index.

mod common;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use summit_bot::eval::read_questions;
use summit_bot::index::disk::{self, Opened};
use summit_bot::search::{Engine, SearchSettings};

/// Removes a scratch directory when the test ends (also when it fails).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh scratch directory holding a copy of the summit corpus (`corpus/`)
/// and room for indexes (`index/`).
fn scratch(name: &str) -> (PathBuf, PathBuf, Scratch) {
    let dir = std::env::temp_dir().join(format!("summit-disk-index-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for entry in std::fs::read_dir(common::repo("corpus")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, corpus.join(path.file_name().unwrap())).unwrap();
        }
    }
    (corpus, dir.join("index"), Scratch(dir))
}

fn open(root: &Path, corpus: &Path) -> Opened {
    disk::open_or_build(root, corpus).expect("on-disk index opens")
}

fn marker_mtime(opened: &Opened) -> SystemTime {
    std::fs::metadata(opened.dir.join("COMPLETE.json"))
        .unwrap()
        .modified()
        .unwrap()
}

/// Index directories under `root` (not counting anything being built).
fn index_dirs(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The summit dev questions.
fn questions() -> Vec<String> {
    read_questions(&common::data("summit/questions.dev.jsonl"))
        .unwrap()
        .into_iter()
        .map(|q| q.question)
        .collect()
}

/// Everything an answer shows, as text, for comparing two engines.
fn answers(engine: &Engine, questions: &[String]) -> Vec<String> {
    questions
        .iter()
        .map(|q| {
            let a = engine.ask(q);
            let hits: Vec<String> = a
                .passages
                .iter()
                .map(|h| format!("{} {:.6} {} | {}", h.id, h.score, h.citation, h.quote))
                .collect();
            format!("{:?} {:?}\n{}", a.outcome, a.relevance, hits.join("\n"))
        })
        .collect()
}

#[test]
fn unchanged_corpus_reopens_without_rebuilding() {
    let (corpus, root, _scratch) = scratch("reopen");
    let first = open(&root, &corpus);
    assert!(first.rebuilt, "a new directory is built");
    let built = marker_mtime(&first);
    let dir = first.dir.clone();
    drop(first);
    let again = open(&root, &corpus);
    assert!(!again.rebuilt, "unchanged corpus must be reopened");
    assert_eq!(again.dir, dir);
    assert_eq!(marker_mtime(&again), built, "the index was rewritten");
    assert!(again.index.passages.len() > 10);
    assert_eq!(index_dirs(&root).len(), 1);
}

#[test]
fn changed_corpus_rebuilds_and_removes_the_old_index() {
    let (corpus, root, _scratch) = scratch("changed");
    let first = open(&root, &corpus);
    let paragraphs = first.index.passages.len();
    let old = first.dir.clone();
    drop(first);
    let file = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n\n新增的一段：乌镇的熊猫博物馆今天开馆。\n");
    std::fs::write(&file, text).unwrap();

    let second = open(&root, &corpus);
    assert!(second.rebuilt, "a changed corpus must be rebuilt");
    assert_ne!(second.dir, old);
    assert_eq!(second.index.passages.len(), paragraphs + 1);
    assert!(!old.exists(), "the old index is removed");
    assert_eq!(index_dirs(&root).len(), 1);
    let engine = Engine::with_index(second.index, SearchSettings::default());
    let answer = engine.ask("熊猫博物馆什么时候开馆？");
    assert!(answer.answered(), "{answer:?}");
    assert!(answer.passages[0].text.contains("熊猫博物馆"));
}

/// Damages the index in `dir` one way, then checks it is rebuilt and answers
/// like the in-RAM engine.
fn damaged_index_is_rebuilt(name: &str, damage: impl Fn(&Path)) {
    let (corpus, root, _scratch) = scratch(name);
    let first = open(&root, &corpus);
    let dir = first.dir.clone();
    drop(first);
    damage(&dir);
    let second = open(&root, &corpus);
    assert!(second.rebuilt, "{name}: a damaged index must be rebuilt");
    let engine = Engine::with_index(second.index, SearchSettings::default());
    let qs = questions();
    assert_eq!(
        answers(&engine, &qs),
        answers(&common::summit_engine(), &qs),
        "{name}: rebuilt index answers differently"
    );
}

/// The segment files of the index in `dir` with extension `ext`.
fn segment_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    assert!(!files.is_empty(), "no .{ext} file in {}", dir.display());
    files
}

#[test]
fn missing_marker_is_rebuilt() {
    damaged_index_is_rebuilt("marker", |dir| {
        std::fs::remove_file(dir.join("COMPLETE.json")).unwrap()
    });
}

#[test]
fn missing_segment_file_is_rebuilt() {
    damaged_index_is_rebuilt("segment", |dir| {
        for file in segment_files(dir, "idx") {
            std::fs::remove_file(file).unwrap();
        }
    });
}

#[test]
fn garbage_segment_file_is_rebuilt() {
    damaged_index_is_rebuilt("garbage", |dir| {
        for file in segment_files(dir, "store") {
            std::fs::write(file, b"not a tantivy file at all").unwrap();
        }
    });
}

#[test]
fn garbage_meta_is_rebuilt() {
    damaged_index_is_rebuilt("meta", |dir| {
        std::fs::write(dir.join("meta.json"), b"{ garbage").unwrap()
    });
}

#[test]
fn on_disk_answers_equal_in_ram_answers() {
    let (corpus, root, _scratch) = scratch("equal");
    let opened = open(&root, &corpus);
    let engine = Engine::with_index(opened.index, SearchSettings::default());
    let in_ram = common::summit_engine();
    let qs = questions();
    assert!(qs.len() >= 20);
    let (disk, ram) = (answers(&engine, &qs), answers(&in_ram, &qs));
    for (q, (d, r)) in qs.iter().zip(disk.iter().zip(&ram)) {
        assert_eq!(d, r, "question {q}");
    }
    // Listings and passage access agree too.
    assert_eq!(engine.index().articles.len(), in_ram.index().articles.len());
    assert_eq!(engine.index().passages.len(), in_ram.index().passages.len());
    assert_eq!(
        engine.index().layout,
        in_ram.index().layout,
        "button data would not carry over"
    );
    for n in 0..in_ram.index().passages.len() {
        let (d, r) = (engine.passage(n).unwrap(), in_ram.passage(n).unwrap());
        assert_eq!(
            (&d.id, &d.text, d.citation()),
            (&r.id, &r.text, r.citation())
        );
        assert_eq!(
            engine.index().neighbours(n).0.map(|p| p.id.clone()),
            in_ram.index().neighbours(n).0.map(|p| p.id.clone())
        );
    }
}

#[test]
fn index_command_builds_then_reuses_and_ask_uses_it() {
    let (corpus, root, _scratch) = scratch("cli");
    let run = |args: &[&str]| {
        let out = common::summit_bot()
            .args(args)
            .arg("--corpus")
            .arg(&corpus)
            .env("SUMMIT_INDEX_PATH", &root)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let built = run(&["index"]);
    assert!(built.starts_with("built "), "{built}");
    for line in ["documents", "paragraphs", "time", "size"] {
        assert!(built.contains(line), "summary lacks {line}: {built}");
    }
    let again = run(&["index"]);
    assert!(again.starts_with("up to date"), "{again}");
    let answer = run(&["ask", "--json", "蓝皮书是哪个机构编写的？"]);
    let in_ram = summit_bot::render::json(&common::summit_engine().ask("蓝皮书是哪个机构编写的？"));
    assert_eq!(answer.trim(), in_ram.trim());
    assert_eq!(index_dirs(&root).len(), 1);
}
