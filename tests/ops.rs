//! Operating the bot (issue 4), over real HTTP against the real binary and the
//! fake Bot API: webhook mode with its secret, /healthz and /metrics, corpus
//! hot reload (watcher, SIGHUP, /reload, broken files), the chat allowlist and
//! per-user flood control.

mod common;
mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bot_process::{BotProcess as Bot, TOKEN};
use support::fake_telegram::{FakeTelegram, Fault, SentMessage};

const WAIT: Duration = Duration::from_secs(15);
const USER: i64 = 1001;
const ADMIN: i64 = 4242;

async fn api() -> FakeTelegram {
    FakeTelegram::builder().token(TOKEN).start().await
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for exactly `n` replies, then a little longer to catch any extra one.
async fn expect_replies(api: &FakeTelegram, n: usize) -> Vec<SentMessage> {
    let sent = api.wait_for_messages(n, WAIT).await;
    assert!(sent.len() >= n, "expected {n} replies, got {sent:#?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent = api.sent_messages();
    assert_eq!(sent.len(), n, "unexpected extra replies: {sent:#?}");
    sent
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// GET `url`: status and body, or `None` while nothing listens.
async fn get(url: &str) -> Option<(u16, String)> {
    let response = http().get(url).send().await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.unwrap_or_default()))
}

/// Polls `url` until `ok` holds for its answer.
async fn wait_for(url: &str, what: &str, ok: impl Fn(u16, &str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some((status, body)) = get(url).await {
            if ok(status, &body) {
                return body;
            }
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The value of one sample line of a Prometheus text page (0 when absent).
fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Waits until the sample `series` at `metrics` is at least `at_least`.
async fn wait_for_sample(metrics: &str, series: &str, at_least: f64) -> String {
    wait_for(metrics, series, |status, body| {
        status == 200 && sample(body, series) >= at_least
    })
    .await
}

const ANSWERED_PRIVATE: &str = r#"summit_questions_total{chat_type="private",outcome="answered"}"#;
const RELOADS: &str = "summit_reloads_total";
const RELOAD_FAILURES: &str = "summit_reload_failures_total";

#[tokio::test(flavor = "multi_thread")]
async fn healthz_and_metrics_follow_startup_and_questions() {
    let api = api().await;
    // A slow getMe keeps the bot "starting" long enough to see the 503.
    api.fail_next("getMe", vec![Fault::Delay(Duration::from_secs(2))]);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let bot = Bot::start(&api, &[("SUMMIT_METRICS_LISTEN", &listen)]);
    let healthz = format!("http://{listen}/healthz");
    let metrics = format!("http://{listen}/metrics");

    // The first answer comes while getMe is still pending: 503.
    let starting = wait_for(&healthz, "the endpoint", |_, _| true).await;
    assert!(
        starting.contains("starting"),
        "not ready before getMe: {starting}"
    );
    let ready = wait_for(&healthz, "readiness", |status, _| status == 200).await;
    let health: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["articles"].as_u64().unwrap() >= 4, "{health}");
    assert!(health["paragraphs"].as_u64().unwrap() > health["articles"].as_u64().unwrap());
    assert!(health["index_age_secs"].is_u64(), "{health}");

    let before = get(&metrics).await.unwrap().1;
    assert_eq!(sample(&before, ANSWERED_PRIVATE), 0.0, "{before}");
    assert_eq!(
        sample(&before, "summit_corpus_articles"),
        health["articles"].as_f64().unwrap()
    );
    assert!(before.contains("summit_build_info{version=\""), "{before}");

    api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    api.private_text(USER + 1, USER + 1, "今天上海天气怎么样？");
    expect_replies(&api, 2).await;
    let after = wait_for_sample(&metrics, ANSWERED_PRIVATE, 1.0).await;
    assert_eq!(sample(&after, ANSWERED_PRIVATE), 1.0, "{after}");
    assert_eq!(
        sample(
            &after,
            r#"summit_questions_total{chat_type="private",outcome="abstained"}"#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(sample(&after, "summit_answer_latency_seconds_count"), 2.0);

    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
}

/// The JSON of a pushed update, as Telegram would POST it: taken from the fake
/// server's own getUpdates before the bot switches it to webhook mode.
async fn pending_updates(api: &FakeTelegram) -> Vec<Value> {
    let body: Value = http()
        .post(api.method_url("getUpdates"))
        .json(&serde_json::json!({ "timeout": 0 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["result"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_serves_only_requests_with_the_secret() {
    let api = api().await;
    api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    api.private_text(USER + 1, USER + 1, "曹振南是谁？");
    let updates = pending_updates(&api).await;
    assert_eq!(updates.len(), 2);

    let secret = "s3cret-Token_42";
    let url = "https://bot.example.org/tg";
    let listen = format!("127.0.0.1:{}", free_port());
    let bot = Bot::start(
        &api,
        &[
            ("SUMMIT_WEBHOOK_URL", url),
            ("SUMMIT_WEBHOOK_LISTEN", &listen),
            ("SUMMIT_WEBHOOK_SECRET", secret),
        ],
    );
    // A call is recorded before it is handled: wait for its effect.
    let deadline = Instant::now() + WAIT;
    while api.webhook_url().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let set = api.calls("setWebhook");
    if set.len() != 1 {
        let (status, log) = bot.terminate();
        panic!("setWebhook not called once: {set:?}, {status:?}\n{log}");
    }
    assert_eq!(api.webhook_url(), url);
    assert_eq!(api.webhook_secret().as_deref(), Some(secret));
    // Sent as multipart: the list arrives as JSON text.
    let allowed = &set[0]["allowed_updates"];
    let allowed: Value = allowed
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| allowed.clone());
    assert!(
        allowed
            .as_array()
            .is_some_and(|kinds| kinds.contains(&"message".into())),
        "{allowed}"
    );

    let endpoint = format!("http://{listen}/tg");
    let post = |update: &Value, secret: Option<&str>| {
        let mut request = http().post(&endpoint).json(update);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        request.send()
    };
    // Wrong and missing secrets: 401, nothing answered.
    let deadline = Instant::now() + WAIT;
    let status = loop {
        match post(&updates[1], Some("wrong-secret")).await {
            Ok(response) => break response.status().as_u16(),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(err) => panic!("webhook listener never answered: {err}"),
        }
    };
    assert_eq!(status, 401);
    let status = post(&updates[1], None).await.unwrap().status().as_u16();
    assert_eq!(status, 401);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(api.sent_messages().is_empty(), "{:#?}", api.sent_messages());

    // The right secret: 200, and the question is answered.
    let status = post(&updates[0], Some(secret))
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 200);
    let sent = expect_replies(&api, 1).await;
    assert_eq!(sent[0].chat_id, USER);
    assert!(
        sent[0].plain_text.contains("中国网络空间研究院"),
        "{}",
        sent[0].plain_text
    );
    // Another path on the listener is not the webhook.
    let other = http()
        .post(format!("http://{listen}/other"))
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .json(&updates[1])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);

    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
    assert_eq!(api.call_count("getUpdates"), 1, "only the test's own call");
    assert_eq!(
        api.call_count("deleteWebhook"),
        0,
        "replicas share the webhook"
    );
    assert!(!log.contains(secret), "the secret reached the log:\n{log}");
    assert!(!log.contains("SECRETsecret"), "the token reached the log");
}

/// A corpus directory of copies of corpus/*.md, removed when dropped.
struct TempCorpus(PathBuf);

impl TempCorpus {
    fn new(name: &str) -> TempCorpus {
        let dir = std::env::temp_dir().join(format!("summit-ops-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(common::repo("corpus")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        TempCorpus(dir)
    }

    /// Writes a file the way a careful deploy does: to a dotfile, then renamed.
    fn write(&self, name: &str, text: &str) {
        let tmp = self.0.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.0.join(name)).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempCorpus {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const NEW_ARTICLE: &str = "+++
id = \"20241125-9\"
title = \"乌镇峰会闭幕式发布赤霄计划\"
source = \"测试社\"
date = \"2024-11-25\"
+++

峰会闭幕式上，组委会宣布启动赤霄计划，首批将在嘉兴建设八座算力驿站，服务长三角中小企业。
";

const NEW_QUESTION: &str = "赤霄计划首批建设多少座算力驿站？";

const BROKEN_ARTICLE: &str = "+++
id = \"20241126-1\"
title = 
+++

正文。
";

#[tokio::test(flavor = "multi_thread")]
async fn new_article_is_picked_up_by_the_watcher_and_sighup() {
    let corpus = TempCorpus::new("watch");
    let api = api().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics = format!("http://{listen}/metrics");
    let bot = Bot::start(
        &api,
        &[
            ("SUMMIT_CORPUS", corpus.path().to_str().unwrap()),
            ("SUMMIT_METRICS_LISTEN", &listen),
        ],
    );
    wait_for(&format!("http://{listen}/healthz"), "readiness", |s, _| {
        s == 200
    })
    .await;
    api.private_text(USER, USER, NEW_QUESTION);
    let sent = expect_replies(&api, 1).await;
    assert!(
        !sent[0].plain_text.contains("八座"),
        "{}",
        sent[0].plain_text
    );

    corpus.write("20241125-9.md", NEW_ARTICLE);
    let page = wait_for_sample(&metrics, RELOADS, 1.0).await;
    assert_eq!(sample(&page, RELOAD_FAILURES), 0.0, "{page}");
    api.private_text(USER, USER, NEW_QUESTION);
    let sent = expect_replies(&api, 2).await;
    assert!(
        sent[1].plain_text.contains("八座算力驿站"),
        "{}",
        sent[1].plain_text
    );
    assert!(sent[1].plain_text.contains("乌镇峰会闭幕式发布赤霄计划"));

    // SIGHUP reloads too (and does not end the process).
    let reloads = sample(&page, RELOADS);
    bot.signal("HUP");
    wait_for_sample(&metrics, RELOADS, reloads + 1.0).await;
    api.private_text(USER, USER, NEW_QUESTION);
    let sent = expect_replies(&api, 3).await;
    assert!(sent[2].plain_text.contains("八座算力驿站"));
    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_file_keeps_the_old_corpus_and_tells_the_admin() {
    let corpus = TempCorpus::new("broken");
    corpus.write("20241125-9.md", NEW_ARTICLE);
    let api = api().await;
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics = format!("http://{listen}/metrics");
    let admins = format!("[{ADMIN}]");
    let bot = Bot::start(
        &api,
        &[
            ("SUMMIT_CORPUS", corpus.path().to_str().unwrap()),
            ("SUMMIT_METRICS_LISTEN", &listen),
            ("SUMMIT_ACCESS_ADMINS", &admins),
        ],
    );
    wait_for(&format!("http://{listen}/healthz"), "readiness", |s, _| {
        s == 200
    })
    .await;

    corpus.write("20241126-1.md", BROKEN_ARTICLE);
    // The watcher tries and fails; the admin's /reload fails the same way.
    wait_for_sample(&metrics, RELOAD_FAILURES, 1.0).await;
    api.private_text(ADMIN, ADMIN, "/reload");
    let sent = expect_replies(&api, 1).await;
    assert!(
        sent[0].plain_text.starts_with("重新加载失败："),
        "{}",
        sent[0].plain_text
    );
    assert!(
        sent[0].plain_text.contains("20241126-1.md:3"),
        "file and line: {}",
        sent[0].plain_text
    );
    let page = wait_for_sample(&metrics, RELOAD_FAILURES, 2.0).await;
    assert_eq!(sample(&page, RELOADS), 0.0, "{page}");

    // Still answering from the corpus loaded at start.
    api.private_text(USER, USER, NEW_QUESTION);
    let sent = expect_replies(&api, 2).await;
    assert!(
        sent[1].plain_text.contains("八座算力驿站"),
        "{}",
        sent[1].plain_text
    );

    // A user who is not an admin gets no reload (the command is unknown to them).
    api.private_text(USER, USER, "/reload");
    let sent = expect_replies(&api, 3).await;
    assert!(
        !sent[2].plain_text.contains("重新加载"),
        "{}",
        sent[2].plain_text
    );

    // Fixed: the admin's /reload reports the corpus size.
    std::fs::remove_file(corpus.path().join("20241126-1.md")).unwrap();
    api.private_text(ADMIN, ADMIN, "/reload");
    let sent = expect_replies(&api, 4).await;
    assert!(
        sent[3].plain_text.starts_with("已重新加载语料："),
        "{}",
        sent[3].plain_text
    );
    assert!(
        sent[3].plain_text.contains(" 篇报道"),
        "{}",
        sent[3].plain_text
    );
    api.private_text(ADMIN, ADMIN, "/stats");
    let sent = expect_replies(&api, 5).await;
    assert!(
        sent[4].plain_text.contains("回答 1 个问题"),
        "{}",
        sent[4].plain_text
    );

    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        log.contains("20241126-1.md:3"),
        "the log names file and line:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn allowlist_refuses_other_chats_once() {
    let api = api().await;
    let _bot = Bot::start(
        &api,
        &[("SUMMIT_ACCESS_ALLOWED_CHATS", &format!("[{USER}]"))],
    );
    let stranger = 2002;
    api.private_text(stranger, stranger, "蓝皮书是哪个机构编写的？");
    let sent = expect_replies(&api, 1).await;
    assert_eq!(sent[0].chat_id, stranger);
    assert!(
        sent[0].plain_text.contains("只为指定的聊天"),
        "{}",
        sent[0].plain_text
    );
    api.private_text(stranger, stranger, "曹振南是谁？");
    api.private_text(stranger, stranger, "/help");
    api.group_command(-77, stranger, "/ask 曹振南是谁？");
    api.group_command(-77, stranger, "/ask 蓝皮书是哪个机构编写的？");
    api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    let sent = expect_replies(&api, 3).await;
    let to = |chat: i64| sent.iter().filter(|m| m.chat_id == chat).count();
    assert_eq!(to(stranger), 1, "one refusal, then silence");
    assert_eq!(to(-77), 1, "a group is told once too");
    assert_eq!(to(USER), 1);
    let answer = sent.iter().find(|m| m.chat_id == USER).unwrap();
    assert!(answer.plain_text.contains("中国网络空间研究院"));
}

#[tokio::test(flavor = "multi_thread")]
async fn flood_control_slows_one_user_only() {
    let api = api().await;
    let _bot = Bot::start(
        &api,
        &[
            ("SUMMIT_ACCESS_FLOOD_MAX_QUESTIONS", "2"),
            ("SUMMIT_ACCESS_FLOOD_WINDOW_SECS", "60"),
        ],
    );
    for _ in 0..5 {
        api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    }
    api.private_text(USER + 1, USER + 1, "曹振南是谁？");
    let sent = expect_replies(&api, 4).await;
    let from_flooder: Vec<&SentMessage> = sent.iter().filter(|m| m.chat_id == USER).collect();
    assert_eq!(from_flooder.len(), 3, "{sent:#?}");
    assert_eq!(
        from_flooder
            .iter()
            .filter(|m| m.plain_text.contains("慢一点"))
            .count(),
        1
    );
    assert!(from_flooder[2].plain_text.contains("慢一点"));
    let other = sent.iter().find(|m| m.chat_id == USER + 1).unwrap();
    assert!(!other.plain_text.contains("慢一点"), "{}", other.plain_text);
}

#[test]
fn half_configured_webhook_is_a_settings_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_summit-bot"))
        .current_dir(common::repo(""))
        .args(["--no-dotenv", "serve"])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", "http://127.0.0.1:9/")
        .env("SUMMIT_WEBHOOK_URL", "https://bot.example.org/tg")
        .env("SUMMIT_WEBHOOK_SECRET", "abc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SUMMIT_WEBHOOK_LISTEN"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_summit-bot"))
        .current_dir(common::repo(""))
        .args(["--no-dotenv", "serve"])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("SUMMIT_METRICS_LISTEN", "localhost")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("metrics.listen"));
}
