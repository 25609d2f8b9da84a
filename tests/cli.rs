//! The `summit-bot` binary as users and operators run it.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The binary, isolated from the developer's shell and `.env` (see `common::summit_bot`).
fn bin() -> Command {
    let mut cmd = common::summit_bot();
    cmd.env("RUST_LOG", "warn");
    cmd
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ask_prints_answer_quote_and_citation() {
    let out = bin()
        .args(["ask", "乌镇峰会在哪里举行？"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("答："), "{text}");
    assert!(text.contains("—— 《"), "{text}");
    assert!(text.contains("新华社 2024-11-21"), "{text}");
}

#[test]
fn ask_json_has_the_documented_shape() {
    let out = bin()
        .args(["ask", "--json", "国家级智能制造示范工厂培育了多少家？"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["question"], "国家级智能制造示范工厂培育了多少家？");
    assert_eq!(v["answered"], true);
    let passages = v["passages"].as_array().unwrap();
    assert!(!passages.is_empty() && passages.len() <= 5);
    let top = &passages[0];
    for key in [
        "id",
        "title",
        "paragraph",
        "text",
        "quote",
        "score",
        "citation",
    ] {
        assert!(top.get(key).is_some(), "missing {key}: {top}");
    }
    assert!(top["quote"].as_str().unwrap().contains("421"));
    assert!(top["id"].as_str().unwrap().contains('#'));
    assert!(top["paragraph"].is_u64());
    let scores: Vec<f64> = passages
        .iter()
        .map(|p| p["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
}

#[test]
fn ask_json_off_topic_is_unanswered_with_no_passages() {
    let out = bin()
        .args(["ask", "--json", "今天上海天气怎么样？"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["answered"], false);
    assert_eq!(v["passages"].as_array().unwrap().len(), 0);
    let plain = bin()
        .args(["ask", "今天上海天气怎么样？"])
        .output()
        .unwrap();
    assert!(
        stdout(&plain).contains("语料中没有找到相关内容"),
        "{}",
        stdout(&plain)
    );
}

/// `ask --json` reading questions from a pipe.
fn ask_json_over_pipes() -> std::process::Child {
    bin()
        .args(["ask", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn ask_json_batch_answers_each_stdin_line_in_order() {
    let mut child = ask_json_over_pipes();
    let questions = [
        "蓝皮书是哪个机构编写的？",
        "",
        "红烧肉怎么做？",
        "AND OR ( \" :",
        "曹振南是谁？",
    ];
    {
        let mut stdin = child.stdin.take().unwrap();
        for q in questions {
            writeln!(stdin, "{q}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), questions.len());
    for (line, q) in lines.iter().zip(questions) {
        assert_eq!(line["question"], q);
    }
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[1]["answered"], false);
    assert_eq!(lines[2]["answered"], false);
    assert_eq!(lines[4]["answered"], true);
}

#[test]
fn ask_batch_answers_each_line_before_the_next_arrives() {
    use std::io::{BufRead, BufReader};
    let mut child = ask_json_over_pipes();
    let mut stdin = child.stdin.take().unwrap();
    let mut answers = BufReader::new(child.stdout.take().unwrap());
    // A conversation over a pipe: each answer must come while stdin is still
    // open (answers held back for later questions would hang here).
    for q in ["乌镇峰会在哪里举行？", "", "曹振南是谁？"] {
        writeln!(stdin, "{q}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        answers.read_line(&mut line).unwrap();
        let answer: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(answer["question"], q);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn global_corpus_flag_works_before_and_after_the_subcommand() {
    let dir = tempdir("jsonl");
    let file = dir.join("c.jsonl");
    std::fs::write(
        &file,
        "{\"id\":\"r1\",\"title\":\"测试\",\"text\":\"熊猫宝宝在成都出生。\"}\n",
    )
    .unwrap();
    for args in [
        vec![
            "--corpus",
            file.to_str().unwrap(),
            "ask",
            "--json",
            "熊猫宝宝在哪里出生？",
        ],
        vec![
            "ask",
            "--json",
            "熊猫宝宝在哪里出生？",
            "--corpus",
            file.to_str().unwrap(),
        ],
    ] {
        let out = bin().args(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert_eq!(v["passages"][0]["id"], "r1", "{v}");
    }
}

#[test]
fn broken_corpus_names_file_and_line() {
    let dir = tempdir("broken");
    std::fs::write(
        dir.join("a.md"),
        "+++\nid = \"a\"\ntitle = \"标题\nsource = \"新华社\"\n+++\n\n正文。\n",
    )
    .unwrap();
    let out = bin()
        .args(["--corpus", dir.to_str().unwrap(), "ask", "问题"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("a.md:"), "{err}");
}

#[test]
fn empty_corpus_is_an_error() {
    let dir = tempdir("empty");
    let out = bin()
        .args(["--corpus", dir.to_str().unwrap(), "ask", "问题"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));
}

#[test]
fn serve_without_token_explains_and_exits_2() {
    let out = bin().arg("serve").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".env.example") && err.contains("summit-bot ask"),
        "{err}"
    );
}

#[test]
fn malformed_api_url_is_an_error_not_a_panic() {
    let out = bin()
        .arg("serve")
        .env("TELOXIDE_TOKEN", "123456:SECRET-token")
        .env("TELOXIDE_API_URL", "::not a url::")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("TELOXIDE_API_URL"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("SECRET"), "the token leaked: {err}");
}

#[test]
fn bad_setting_is_one_line_and_exit_2() {
    let out = bin()
        .args(["ask", "x"])
        .env("SUMMIT_SEARCH_MAX_PASSAGES", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
}

/// A `.env` in the working directory is what `serve`/`ask` load by default;
/// `--no-dotenv` (which every test uses) ignores it, so a developer's `.env`
/// can neither change a test nor hand a test its real token.
#[test]
fn dotenv_is_loaded_by_default_and_ignored_with_no_dotenv() {
    let dir = tempdir("dotenv");
    std::fs::write(
        dir.join(".env"),
        "TELOXIDE_TOKEN=123456:REAL-token-from-dotenv\nTELOXIDE_API_URL=http://127.0.0.1:9/\nSUMMIT_SEARCH_MAX_PASSAGES=0\n",
    )
    .unwrap();
    let corpus = common::repo("corpus");
    let question = "乌镇峰会在哪里举行？";
    // As a user runs it (empty environment, no flag): the .env counts.
    let loaded = Command::new(env!("CARGO_BIN_EXE_summit-bot"))
        .env_clear()
        .current_dir(&dir)
        .arg("--corpus")
        .arg(&corpus)
        .args(["ask", question])
        .output()
        .unwrap();
    assert_eq!(loaded.status.code(), Some(2), "the .env was not loaded");
    assert!(
        stderr(&loaded).contains("max_passages"),
        "{}",
        stderr(&loaded)
    );
    // As the tests run it: the .env does not count.
    let isolated = bin()
        .current_dir(&dir)
        .arg("--corpus")
        .arg(&corpus)
        .args(["ask", question])
        .output()
        .unwrap();
    assert!(isolated.status.success(), "{}", stderr(&isolated));
    assert!(
        stdout(&isolated).starts_with("答："),
        "{}",
        stdout(&isolated)
    );

    // `serve` with the flag finds no token even though the .env holds one.
    let out = bin()
        .current_dir(&dir)
        .args(["--corpus"])
        .arg(&corpus)
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(".env.example"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-bot-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
