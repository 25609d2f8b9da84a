//! SIGKILL driver (issue 11): 60 questions from 30 chats, `kill -9` of the
//! release `summit-bot serve` 0.8 s into the burst, an immediate restart, then
//! a count of the questions never answered and of those answered twice — in
//! long-polling mode and in webhook mode (where the sender POSTs every update
//! again until it gets a 200, as Telegram does).
//!
//!     cargo build --release && cargo run --release --example crash -- [runs] [kill ms,…]
//!
//! The second argument sweeps other kill moments (default `800`).
//!
//! The binary is taken from `$CARGO_TARGET_DIR/release` (or `target/release`).

#[path = "../tests/support/fake_telegram/mod.rs"]
mod fake_telegram;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_telegram::FakeTelegram;
use serde_json::Value;

const TOKEN: &str = "777000:CRASH-token";
const QUESTIONS: usize = 60;
const CHATS: i64 = 30;
const WAIT: Duration = Duration::from_secs(90);
const ASKED: &[&str] = &[
    "蓝皮书是哪个机构编写的？",
    "曹振南是谁？",
    "领先科技奖一共有多少个项目获奖？",
    "全国已经建成了多少数字化车间和智能工厂？",
    "今天上海天气怎么样？",
    "乌镇峰会在哪里举行？",
];

fn binary() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("release/summit-bot");
    assert!(path.exists(), "build it first: cargo build --release");
    path
}

fn start(api: &FakeTelegram, data: &std::path::Path, extra: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(binary());
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("serve")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", api.url())
        .env("SUMMIT_TELEGRAM_POLL_TIMEOUT_SECS", "2")
        .env("SUMMIT_TELEGRAM_STATE_FILE", data.join("summit-bot.state"))
        .env("SUMMIT_FEEDBACK_DB_PATH", data.join("summit-bot.db"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("summit-bot starts")
}

fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Kills `child` with SIGKILL `after` from now. Waits on the runtime's
/// timer, never by blocking a worker: the fake server runs on these workers,
/// and a blocked one would hold back its answers (making replies look sent
/// that the bot never heard back about).
async fn kill_later(mut child: Child, after: Duration) {
    tokio::time::sleep(after).await;
    let _ = child.kill();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}

fn push_burst(api: &FakeTelegram) -> Vec<i64> {
    (0..QUESTIONS)
        .map(|i| {
            let chat = 40_000 + (i as i64 % CHATS);
            let update = api.private_text(chat, chat, ASKED[i % ASKED.len()]);
            api.message_id_of(update).expect("pushed")
        })
        .collect()
}

/// (unanswered, answered twice) once all are answered or the wait is over.
async fn outcome(api: &FakeTelegram, questions: &[i64]) -> (usize, usize) {
    let count = || {
        let mut count: HashMap<i64, usize> = HashMap::new();
        for sent in api.sent_messages() {
            if let Some(to) = sent.reply_to {
                *count.entry(to).or_default() += 1;
            }
        }
        count
    };
    let deadline = Instant::now() + WAIT;
    while questions.iter().any(|q| !count().contains_key(q)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let count = count();
    let unanswered = questions.iter().filter(|q| !count.contains_key(q)).count();
    let twice = questions
        .iter()
        .map(|q| count.get(q).copied().unwrap_or(0).saturating_sub(1))
        .sum();
    (unanswered, twice)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-crash-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn polling(run: usize, kill_after: Duration) -> (usize, usize, usize) {
    let api = FakeTelegram::builder().token(TOKEN).start().await;
    let data = temp(&format!("polling-{run}-{}", kill_after.as_millis()));
    let bot = start(&api, &data, &[]);
    api.wait_for_calls("getUpdates", 1, WAIT).await;
    let questions = push_burst(&api);
    kill_later(bot, kill_after).await;
    let sent_before = api.sent_messages().len();
    let bot = start(&api, &data, &[]);
    let (unanswered, twice) = outcome(&api, &questions).await;
    terminate(bot);
    (sent_before, unanswered, twice)
}

async fn webhook(run: usize, kill_after: Duration) -> (usize, usize, usize) {
    let api = FakeTelegram::builder().token(TOKEN).start().await;
    let data = temp(&format!("webhook-{run}-{}", kill_after.as_millis()));
    let questions = push_burst(&api);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let body: Value = client
        .post(api.method_url("getUpdates"))
        .json(&serde_json::json!({ "timeout": 0 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let updates = body["result"].as_array().cloned().unwrap_or_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let secret = "crash-driver-secret";
    let env = [
        ("SUMMIT_WEBHOOK_URL", "https://bot.example.org/tg"),
        ("SUMMIT_WEBHOOK_LISTEN", listen.as_str()),
        ("SUMMIT_WEBHOOK_SECRET", secret),
    ];
    let endpoint = format!("http://{listen}/tg");
    let bot = start(&api, &data, &env);
    let post = {
        let (client, endpoint) = (client.clone(), endpoint.clone());
        move |update: Value| {
            let request = client
                .post(&endpoint)
                .header("X-Telegram-Bot-Api-Secret-Token", secret)
                .json(&update);
            async move { request.send().await.map(|r| r.status().as_u16()) }
        }
    };
    while post(serde_json::json!({})).await.is_err() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Telegram's sender: every update POSTed until it gets a 200.
    let resends = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = updates
        .into_iter()
        .map(|update| {
            let (post, resends) = (post.clone(), resends.clone());
            tokio::spawn(async move {
                let deadline = Instant::now() + WAIT;
                let mut first = true;
                while Instant::now() < deadline {
                    if !first {
                        resends.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    first = false;
                    if matches!(post(update.clone()).await, Ok(200)) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect();
    kill_later(bot, kill_after).await;
    let sent_before = api.sent_messages().len();
    let bot = start(&api, &data, &env);
    for sender in senders {
        let _ = sender.await;
    }
    let (unanswered, twice) = outcome(&api, &questions).await;
    terminate(bot);
    println!(
        "  (webhook run {run}: {} POSTs repeated)",
        resends.load(std::sync::atomic::Ordering::Relaxed)
    );
    (sent_before, unanswered, twice)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let kills: Vec<Duration> = args
        .next()
        .unwrap_or_else(|| "800".to_string())
        .split(',')
        .filter_map(|ms| ms.trim().parse().ok())
        .map(Duration::from_millis)
        .collect();
    for kill_after in kills {
        println!("{QUESTIONS} questions from {CHATS} chats, kill -9 {kill_after:?} into the burst, restart");
        for mode in ["polling", "webhook"] {
            let (mut unanswered_all, mut twice_all, mut twice_max) = (0, 0, 0);
            for run in 0..runs {
                let (before, unanswered, twice) = match mode {
                    "polling" => polling(run, kill_after).await,
                    _ => webhook(run, kill_after).await,
                };
                println!("{mode} run {run}: {before} replies before the kill; unanswered {unanswered}, answered twice {twice}");
                unanswered_all += unanswered;
                twice_all += twice;
                twice_max = twice_max.max(twice);
            }
            println!(
                "{mode} @ {kill_after:?}: {runs} runs, unanswered {unanswered_all} in all, answered twice {twice_all} in all (at most {twice_max} in a run)"
            );
        }
    }
}
