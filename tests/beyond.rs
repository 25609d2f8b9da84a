//! Issue 5 over real HTTP: inline mode, the buttons under an answer (more
//! sources, context, 👍 / 👎 with a reason), the feedback log read back by
//! `summit-bot report`, and a database that cannot be written.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use support::bot_process::{BotProcess, TOKEN};
use support::fake_telegram::{FakeTelegram, SentMessage};

const WAIT: Duration = Duration::from_secs(15);
const USER: i64 = 2001;
const QUESTION: &str = "乌镇峰会在哪里举行？";

/// The bot with its feedback log at `db`.
fn start_bot(api: &FakeTelegram, db: &Path, extra_env: &[(&str, &str)]) -> BotProcess {
    let db = db.to_string_lossy().into_owned();
    let mut env = vec![("SUMMIT_FEEDBACK_DB_PATH", db.as_str())];
    env.extend_from_slice(extra_env);
    BotProcess::start(api, &env)
}

async fn api() -> FakeTelegram {
    FakeTelegram::builder().token(TOKEN).start().await
}

/// A fresh directory for one test's database.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-beyond-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn nth_message(api: &FakeTelegram, n: usize) -> SentMessage {
    let sent = api.wait_for_messages(n, WAIT).await;
    assert!(sent.len() >= n, "expected {n} messages, got {sent:#?}");
    sent[n - 1].clone()
}

async fn nth_call(api: &FakeTelegram, method: &str, n: usize) -> Value {
    let calls = api.wait_for_calls(method, n, WAIT).await;
    assert!(
        calls.len() >= n,
        "expected {n} {method} calls, got {calls:#?}"
    );
    calls[n - 1].clone()
}

/// A JSON value that teloxide may have sent as a JSON string.
fn as_json(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn results(call: &Value) -> Vec<Value> {
    as_json(&call["results"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn inline_queries_list_quotes_page_by_page() {
    let api = api().await;
    let dir = temp_dir("inline");
    let _bot = start_bot(
        &api,
        &dir.join("log.db"),
        &[
            ("SUMMIT_INLINE_RESULTS_PER_PAGE", "2"),
            ("SUMMIT_INLINE_CACHE_TIME_SECS", "42"),
        ],
    );
    api.inline_query(USER, QUESTION, "");
    let first = nth_call(&api, "answerInlineQuery", 1).await;
    let page = results(&first);
    assert_eq!(page.len(), 2, "{first:#}");
    assert_eq!(first["cache_time"].to_string().trim_matches('"'), "42");
    for result in &page {
        assert_eq!(result["type"], "article");
        assert!(!result["title"].as_str().unwrap().is_empty());
        assert!(
            result["description"].as_str().unwrap().contains('》'),
            "{result:#}"
        );
        let content = &result["input_message_content"];
        assert_eq!(content["parse_mode"], "HTML");
        assert_eq!(content["link_preview_options"]["is_disabled"], true);
        assert!(content["message_text"]
            .as_str()
            .unwrap()
            .starts_with("<b>答：</b>"));
    }
    let next = first["next_offset"].as_str().unwrap().to_string();
    assert_eq!(next, "2");

    // Scrolling asks again with that offset: the next results, none repeated.
    api.inline_query(USER, QUESTION, &next);
    let second = nth_call(&api, "answerInlineQuery", 2).await;
    let page2 = results(&second);
    assert!(!page2.is_empty(), "{second:#}");
    for r in &page2 {
        assert!(page.iter().all(|p| p["id"] != r["id"]), "{r:#}");
    }

    // Empty and off-topic queries get one "how to ask" result.
    api.inline_query(USER, "", "");
    api.inline_query(USER, "今天上海天气怎么样？", "");
    for n in [3, 4] {
        let call = nth_call(&api, "answerInlineQuery", n).await;
        let only = results(&call);
        assert_eq!(only.len(), 1, "{call:#}");
        assert_eq!(only[0]["id"], "how-to");
    }
    // A forged offset does not break anything either.
    api.inline_query(USER, QUESTION, "99999999999999999999");
    let forged = nth_call(&api, "answerInlineQuery", 5).await;
    assert!(results(&forged).is_empty(), "{forged:#}");
    assert!(api.rejected().is_empty(), "{:?}", api.rejected());
}

#[tokio::test(flavor = "multi_thread")]
async fn more_sources_and_context_buttons_and_forged_data() {
    let api = api().await;
    let dir = temp_dir("buttons");
    let _bot = start_bot(&api, &dir.join("log.db"), &[]);
    api.private_text(USER, USER, QUESTION);
    let answer = nth_message(&api, 1).await;
    let more = answer.button("更多来源").expect("a 更多来源 button");
    let context = answer.button("上下文").expect("a 上下文 button");
    for label in ["👍", "👎"] {
        assert!(answer.button(label).is_some(), "{label}");
    }
    for data in [&more, &context] {
        assert!(data.len() <= 64, "{data}");
    }

    api.callback_query(USER, USER, answer.message_id, &more);
    let sources = nth_message(&api, 2).await;
    assert_eq!(sources.reply_to, Some(answer.message_id));
    assert!(
        sources.plain_text.starts_with("更多来源"),
        "{}",
        sources.plain_text
    );
    assert!(sources.plain_text.contains("——"), "{}", sources.plain_text);
    let acked = nth_call(&api, "answerCallbackQuery", 1).await;
    assert!(acked.get("text").is_none(), "{acked:#}");

    api.callback_query(USER, USER, answer.message_id, &context);
    let around = nth_message(&api, 3).await;
    assert!(
        around.plain_text.starts_with("上下文"),
        "{}",
        around.plain_text
    );
    assert!(
        around.plain_text.contains("引文所在段落"),
        "{}",
        around.plain_text
    );
    assert!(around.plain_text.contains("第2段"), "{}", around.plain_text);

    // Forged and stale data: a notice, no message, no crash.
    let stale = {
        let mut parts: Vec<&str> = context.split(':').collect();
        parts[1] = "000000";
        parts.join(":")
    };
    for (n, data) in [(3, "garbage"), (4, "1c:zz:1"), (5, stale.as_str())] {
        api.callback_query(USER, USER, answer.message_id, data);
        let call = nth_call(&api, "answerCallbackQuery", n).await;
        let text = call["text"].as_str().unwrap_or_default();
        assert!(text.contains("请重新提问"), "{data}: {call:#}");
        assert_ne!(call["show_alert"], true);
    }
    assert!(nth_call(&api, "answerCallbackQuery", 5).await["text"]
        .as_str()
        .unwrap()
        .contains("过期"));
    // The bot still answers.
    api.private_text(USER, USER, "曹振南是谁？");
    let next = nth_message(&api, 4).await;
    assert!(next.plain_text.starts_with("答："), "{}", next.plain_text);
    assert!(api.rejected().is_empty(), "{:?}", api.rejected());
}

/// `summit-bot report` on `db`, retried until `want` shows (the writer is asynchronous).
async fn report_until(db: &Path, want: &[&str]) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        let out = Command::new(env!("CARGO_BIN_EXE_summit-bot"))
            .current_dir(common::repo(""))
            .args(["--no-dotenv", "report", "--since", "7d", "--db"])
            .arg(db)
            .output()
            .expect("report runs");
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() && want.iter().all(|w| last.contains(w)) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("report never showed {want:?}:\n{last}");
}

#[tokio::test(flavor = "multi_thread")]
async fn votes_and_questions_are_stored_and_reported() {
    let api = api().await;
    let dir = temp_dir("feedback");
    let db = dir.join("nested").join("log.db");
    let _bot = start_bot(&api, &db, &[]);
    api.private_text(USER, USER, QUESTION);
    let answer = nth_message(&api, 1).await;
    api.private_text(USER, USER, "今天上海天气怎么样？");
    nth_message(&api, 2).await;

    api.callback_query(USER, USER, answer.message_id, &answer.button("👍").unwrap());
    let up = nth_call(&api, "answerCallbackQuery", 1).await;
    assert!(up["text"].as_str().unwrap().contains("感谢"), "{up:#}");
    // A second person's 👎 on the same answer (one vote per user and answer).
    let down = answer.button("👎").unwrap();
    api.callback_query(USER + 1, USER, answer.message_id, &down);
    let prompt = nth_message(&api, 3).await;
    assert!(
        prompt.plain_text.contains("说明原因"),
        "{}",
        prompt.plain_text
    );
    let markup = as_json(prompt.reply_markup.as_ref().expect("ForceReply"));
    assert_eq!(markup["force_reply"], true, "{markup:#}");

    // The user replies to the prompt with a reason.
    let prompt_json = api.message(USER, prompt.message_id).expect("prompt known");
    api.push_update(json!({ "message": {
        "message_id": 90_001,
        "from": { "id": USER, "is_bot": false, "first_name": "U" },
        "chat": { "id": USER, "type": "private", "first_name": "U" },
        "date": 1_732_147_200,
        "text": "引用的段落不对",
        "reply_to_message": prompt_json,
    }}));
    let thanks = nth_message(&api, 4).await;
    assert!(
        thanks.plain_text.contains("已记录"),
        "{}",
        thanks.plain_text
    );

    // The same 👎 pressed 20 more times: acknowledged, but no further message
    // (no second prompt) and still one vote.
    for _ in 0..20 {
        api.callback_query(USER + 1, USER, answer.message_id, &down);
    }
    api.wait_for_calls("answerCallbackQuery", 22, Duration::from_secs(20))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.sent_messages().len(), 4, "{:#?}", api.sent_messages());

    let report = report_until(
        &db,
        &[
            "👍 1 个，👎 1 个",
            "今天上海天气怎么样",
            "引用的段落不对",
            "20241121-3#1",
        ],
    )
    .await;
    assert!(report.contains("提问 2 个，已回答 1 个"), "{report}");
    assert!(report.contains("每天的提问"), "{report}");
    // Nothing that names the user is stored.
    let raw = std::fs::read(&db).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains(&format!("user{USER}")) && !raw.contains("User2001"));

    // A bad --since is a clear error.
    let out = Command::new(env!("CARGO_BIN_EXE_summit-bot"))
        .args(["--no-dotenv", "report", "--since", "soon", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_database_does_not_stop_answers() {
    let api = api().await;
    let _bot = start_bot(&api, Path::new("/proc/summit-bot/log.db"), &[]);
    api.private_text(USER, USER, QUESTION);
    let answer = nth_message(&api, 1).await;
    assert!(
        answer.plain_text.starts_with("答："),
        "{}",
        answer.plain_text
    );
    api.callback_query(USER, USER, answer.message_id, &answer.button("👎").unwrap());
    nth_call(&api, "answerCallbackQuery", 1).await;
    nth_message(&api, 2).await;
    api.private_text(USER, USER, "曹振南是谁？");
    let next = nth_message(&api, 3).await;
    assert!(next.plain_text.starts_with("答："), "{}", next.plain_text);

    // In a group the reason prompt mentions the voter and opens for them only;
    // the reason is acknowledged even though it cannot be stored.
    let group = -100_300;
    api.group_command(group, USER, &format!("/ask {QUESTION}"));
    let answer = nth_message(&api, 4).await;
    assert!(answer.reply_markup.is_some());
    api.callback_query(
        USER,
        group,
        answer.message_id,
        &answer.button("👎").unwrap(),
    );
    let prompt = nth_message(&api, 5).await;
    assert!(
        prompt.plain_text.starts_with(&format!("User{USER}，")),
        "{}",
        prompt.plain_text
    );
    let markup = as_json(prompt.reply_markup.as_ref().unwrap());
    assert_eq!(markup["selective"], true, "{markup:#}");
    api.group_reply_to_bot(group, USER, "答非所问", prompt.message_id);
    let thanks = nth_message(&api, 6).await;
    assert!(
        thanks.plain_text.contains("已记录"),
        "{}",
        thanks.plain_text
    );
    assert!(api.rejected().is_empty(), "{:?}", api.rejected());
}
