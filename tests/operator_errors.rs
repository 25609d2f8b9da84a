//! What an operator reads when something is broken: a catalogue of broken
//! articles, JSONL records and settings, each with the message it must give —
//! the file and line (or the variable), and the parser's own reason, never an
//! empty one. Synonyms lines join this table once the synonyms file exists.

use std::path::{Path, PathBuf};

use summit_bot::config::Config;
use summit_bot::corpus::Corpus;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-operator-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The corpus error for one file holding `text`, with the scratch path shown as `FILE`.
fn corpus_error(dir: &Path, file: &str, text: &str) -> String {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    let message = match Corpus::load(&path) {
        Ok(_) => "(loaded without error)".to_string(),
        Err(e) => e.to_string(),
    };
    std::fs::remove_file(&path).unwrap();
    message.replace(&path.display().to_string(), "FILE")
}

const GOOD_BODY: &str = "\n乌镇峰会在浙江乌镇举行。\n";

#[test]
fn broken_articles_say_where_and_why() {
    let dir = scratch("articles");
    let front = |matter: &str| format!("+++\n{matter}\n+++\n{GOOD_BODY}");
    let cases: Vec<(String, &str)> = vec![
        (
            "no front matter\n".into(),
            "FILE:1: expected `+++` on the first line",
        ),
        (
            "+++\nid = \"a\"\ntitle = \"t\"\n".into(),
            "FILE:1: the front matter opened here is never closed",
        ),
        (
            front("id = \"a\"\ntitle = "),
            "FILE:3: front matter: `title =`: the value is missing or malformed",
        ),
        (front("id = \"a\"\ntitle = \"t"), "FILE:3: front matter: "),
        (
            front("id = \"a\"\ntitle = 5"),
            "FILE:3: front matter: invalid type: integer `5`, expected a string",
        ),
        (
            front("id = \"a\"\ntitel = \"t\""),
            "FILE:3: front matter: unknown field `titel`",
        ),
        (
            front("title = \"t\""),
            "FILE:1: the front matter has no `id`",
        ),
        (
            front("id = \"a\"\ntitle = \"  \""),
            "FILE:3: `title` is empty",
        ),
        (
            "+++\nid = \"a\"\ntitle = \"t\"\n+++\n".into(),
            "FILE:4: the article has no body paragraphs",
        ),
    ];
    let mut failures = Vec::new();
    for (text, expected) in &cases {
        let message = corpus_error(&dir, "broken.md", text);
        let reason = message.splitn(3, ':').nth(2).unwrap_or("").trim();
        let reason = reason
            .strip_prefix("front matter:")
            .unwrap_or(reason)
            .trim();
        if !message.starts_with(expected) || reason.is_empty() {
            failures.push(format!("{text:?}\n  got:  {message}\n  want: {expected}…"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_jsonl_records_say_where_and_why() {
    let dir = scratch("jsonl");
    let good = r#"{"id":"a","title":"t","text":"乌镇峰会"}"#;
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{good}\n{{\"id\":\"b\",\"title\":\"t\""),
            "FILE:2: bad JSON record (column 21): EOF while parsing an object",
        ),
        (
            format!("{good}\n[1]"),
            "FILE:2: bad JSON record (column 2): invalid type: integer `1`, expected a string",
        ),
        (
            r#"{"id":"a","title":"t"}"#.into(),
            "FILE:1: bad JSON record (column 22): missing field `text`",
        ),
        (
            r#"{"id":"","title":"t","text":"x"}"#.into(),
            "FILE:1: empty `id`",
        ),
        (
            r#"{"id":"a","title":"t","text":"  "}"#.into(),
            "FILE:1: record `a` has an empty `text`",
        ),
        (
            format!("{good}\n{good}"),
            "FILE:2: duplicate id `a`, already used on line 1",
        ),
    ];
    let mut failures = Vec::new();
    for (text, expected) in &cases {
        let message = corpus_error(&dir, "records.jsonl", text);
        if !message.starts_with(expected) {
            failures.push(format!("{text:?}\n  got:  {message}\n  want: {expected}…"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn broken_settings_name_their_source() {
    let dir = scratch("settings");
    let file = dir.join("bad.toml");
    let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // (file contents or None for the built-in defaults, environment, expected start)
    type Case<'a> = (Option<&'a str>, Vec<(String, String)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            None,
            env(&[("SUMMIT_SEARCH_MIN_RELEVANCE", "abc")]),
            "SUMMIT_SEARCH_MIN_RELEVANCE: invalid type: string \"abc\", expected f32",
        ),
        (
            None,
            env(&[("SUMMIT_SEARCH_MIN_RELEVANCE", "7")]),
            "SUMMIT_SEARCH_MIN_RELEVANCE: search.min_relevance must be between 0 and 1",
        ),
        (
            None,
            env(&[("SUMMIT_SEARCH_NOPE", "1")]),
            "SUMMIT_SEARCH_NOPE: unknown field `nope`",
        ),
        (
            None,
            env(&[("SUMMIT_SEMANTIC_ENABLED", "maybe")]),
            "SUMMIT_SEMANTIC_ENABLED: invalid type: string \"maybe\", expected a boolean",
        ),
        (
            None,
            env(&[("SUMMIT_METRICS_LISTEN", "here")]),
            "SUMMIT_METRICS_LISTEN: metrics.listen must be an address",
        ),
        (
            None,
            env(&[("SUMMIT_LOG_FORMAT", "xml")]),
            "SUMMIT_LOG_FORMAT: unknown variant `xml`",
        ),
        (
            Some("[search]\nmin_relevance = \"abc\"\n"),
            vec![],
            "FILE:2: invalid type: string \"abc\", expected f32",
        ),
        (
            Some("[search]\nquote_chars = 5\n"),
            vec![],
            "FILE: search.quote_chars must be from 20 to 1000",
        ),
        (Some("[search\n"), vec![], "FILE:1: "),
        (
            Some("[serach]\nx = 1\n"),
            vec![],
            "FILE:1: unknown field `serach`",
        ),
    ];
    let mut failures = Vec::new();
    for (contents, vars, expected) in cases {
        let path = contents.map(|c| {
            std::fs::write(&file, c).unwrap();
            file.as_path()
        });
        let message = match Config::load(path, None, vars.clone()) {
            Ok(_) => "(loaded without error)".to_string(),
            Err(e) => e.to_string().replace(&file.display().to_string(), "FILE"),
        };
        if !message.starts_with(expected) {
            failures.push(format!(
                "{contents:?} {vars:?}\n  got:  {message}\n  want: {expected}…"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
