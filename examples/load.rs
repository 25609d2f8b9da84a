//! Load and fault driver: the release `summit-bot serve` against the fake Bot
//! API with Telegram-like rate limits. A benchmark, not a test.
//!
//! ```text
//! cargo build --release && cargo run --release --example load [-- QUESTIONS CHATS]
//! ```
//!
//! Three runs:
//! 1. latency — one question at a time, no rate limits: the reply latency the
//!    bot adds (update queued on the fake server → reply accepted);
//! 2. burst — QUESTIONS questions (default 1000) from CHATS chats (default 200)
//!    at once, rate limits on (≈1 msg/s per private chat, burst 3; 20/min per
//!    group; 30/s overall): time against the minimum the limits allow;
//! 3. faults — the burst again with 10 % of getUpdates/sendMessage calls failing
//!    (dropped connections, 502, 429) and one SIGTERM restart in the middle.
//!
//! Each run checks that every question was answered exactly once; the driver
//! exits 1 if any question was lost or answered twice. The questions are the
//! summit dev set (tests/data/summit/questions.dev.jsonl); without it the
//! driver stops with exit 2. Each run gives the bot its own data directory
//! (question log, state file) and `--no-dotenv`.
//! `LOAD_ONLY=latency|burst|faults` runs one of them; `LOAD_BOT_LOG=FILE` keeps
//! the bot's log.

#[path = "../tests/support/fake_telegram/mod.rs"]
mod fake_telegram;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use fake_telegram::{FakeTelegram, Fault};

const TOKEN: &str = "777000:LOAD-token";

fn binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/summit-bot");
    assert!(path.exists(), "build it first: cargo build --release");
    path
}

/// A fresh data directory for one run (kept across the restart of the faults run).
fn data_dir(run: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("summit-load-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary data directory");
    dir
}

fn start_bot(api: &FakeTelegram, data: &Path) -> Child {
    Command::new(binary())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--no-dotenv", "serve"])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("SUMMIT_FEEDBACK_DB_PATH", data.join("summit-bot.db"))
        .env("SUMMIT_TELEGRAM_STATE_FILE", data.join("summit-bot.state"))
        .env("TELOXIDE_API_URL", api.url())
        .env("SUMMIT_TELEGRAM_POLL_TIMEOUT_SECS", "5")
        // Its own update journal per fake server (each numbers updates from 1).
        .env(
            "SUMMIT_TELEGRAM_STATE_FILE",
            std::env::temp_dir()
                .join(format!(
                    "summit-load-{}-{}",
                    std::process::id(),
                    api.instance()
                ))
                .join("summit-bot.state"),
        )
        .env(
            "RUST_LOG",
            std::env::var("LOAD_BOT_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(match std::env::var("LOAD_BOT_LOG") {
            Ok(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
            Err(_) => Stdio::null(),
        })
        .spawn()
        .expect("summit-bot starts")
}

fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("bot exits");
    assert!(status.success(), "bot exit status {status:?}");
}

/// The summit dev questions; a missing or empty file is an error, never a
/// silent fallback to other questions.
fn questions() -> Result<Vec<String>, String> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/summit/questions.dev.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        let question = value["question"]
            .as_str()
            .ok_or_else(|| format!("{}:{}: no \"question\"", path.display(), n + 1))?;
        out.push(question.to_string());
    }
    if out.is_empty() {
        return Err(format!("{}: no questions", path.display()));
    }
    Ok(out)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Pushed questions: update id → (chat, when pushed).
type Pushed = HashMap<i64, (i64, Instant)>;

/// Checks exactly-once delivery and returns sorted latencies.
fn check(api: &FakeTelegram, pushed: &Pushed) -> (usize, usize, Vec<Duration>) {
    let by_message: HashMap<i64, (i64, Instant)> = pushed
        .iter()
        .filter_map(|(update, v)| api.message_id_of(*update).map(|m| (m, *v)))
        .collect();
    let mut answered: HashMap<i64, usize> = HashMap::new();
    let mut latencies = Vec::new();
    for sent in api.sent_messages() {
        let Some(reply_to) = sent.reply_to else {
            continue;
        };
        if let Some((_, at)) = by_message.get(&reply_to) {
            *answered.entry(reply_to).or_default() += 1;
            latencies.push(sent.sent_at.saturating_duration_since(*at));
        }
    }
    let duplicates = answered.values().filter(|&&n| n > 1).count();
    let mut missing: Vec<i64> = pushed
        .keys()
        .filter(|u| {
            api.message_id_of(**u)
                .is_none_or(|m| !answered.contains_key(&m))
        })
        .copied()
        .collect();
    missing.sort();
    if !missing.is_empty() {
        eprintln!(
            "unanswered update ids: {:?}",
            &missing[..missing.len().min(30)]
        );
    }
    latencies.sort();
    (answered.len(), duplicates, latencies)
}

async fn wait_all(api: &FakeTelegram, n: usize, limit: Duration) {
    let started = Instant::now();
    let mut reported = Instant::now();
    while api.sent_messages().len() < n && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if reported.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "… {} of {n} replies after {:.0} s",
                api.sent_messages().len(),
                started.elapsed().as_secs_f64()
            );
            reported = Instant::now();
        }
    }
}

/// Did every pushed question get exactly one reply? Says what went wrong if not.
fn exactly_once(run: &str, pushed: usize, answered: usize, duplicates: usize) -> bool {
    let ok = answered == pushed && duplicates == 0;
    if !ok {
        eprintln!(
            "{run}: FAILED: {} of {pushed} questions lost, {duplicates} answered more than once",
            pushed - answered.min(pushed)
        );
    }
    ok
}

async fn latency_run(qs: &[String]) -> bool {
    let api = FakeTelegram::builder().token(TOKEN).start().await;
    let data = data_dir("latency");
    let bot = start_bot(&api, &data);
    let mut pushed = Pushed::new();
    for i in 0..200 {
        let chat = 10_000 + (i % 20) as i64;
        let before = api.sent_messages().len();
        let update = api.private_text(chat, chat, &qs[i % qs.len()]);
        pushed.insert(update, (chat, Instant::now()));
        wait_all(&api, before + 1, Duration::from_secs(30)).await;
    }
    let (answered, duplicates, lat) = check(&api, &pushed);
    println!(
        "latency: {answered}/200 answered ({duplicates} more than once); reply latency p50 {:.1} ms, p99 {:.1} ms",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );
    terminate(bot);
    let _ = std::fs::remove_dir_all(&data);
    exactly_once("latency", pushed.len(), answered, duplicates)
}

async fn burst_run(qs: &[String], total: usize, chats: usize, faults: bool) -> bool {
    let run = if faults { "faults+restart" } else { "burst" };
    let data = data_dir(if faults { "faults" } else { "burst" });
    let api = FakeTelegram::builder()
        .token(TOKEN)
        .rate_limits(true)
        .start()
        .await;
    if faults {
        api.set_random_faults_with(
            0.10,
            7,
            vec![Fault::Drop, Fault::Status(502), Fault::RetryAfter(1)],
        );
    }
    let mut bot = start_bot(&api, &data);
    let started = Instant::now();
    let mut pushed = Pushed::new();
    for i in 0..total {
        let chat = 20_000 + (i % chats) as i64;
        let update = api.private_text(chat, chat, &qs[i % qs.len()]);
        pushed.insert(update, (chat, Instant::now()));
    }
    if faults {
        // Restart in the middle: SIGTERM once about half the replies are out.
        wait_all(&api, total / 2, Duration::from_secs(600)).await;
        terminate(bot);
        bot = start_bot(&api, &data);
    }
    wait_all(&api, total, Duration::from_secs(900)).await;
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (answered, duplicates, lat) = check(&api, &pushed);
    // The limits allow 30 messages/s overall and ~1/s per chat after a burst of 3.
    let per_chat = (total as f64 / chats as f64 - 3.0).max(0.0);
    let minimum = (total as f64 / 30.0).max(per_chat);
    println!(
        "{}: {answered}/{total} answered ({duplicates} more than once) in {:.1} s (minimum the limits allow ≈ {:.1} s); 429s seen {}; latency p50 {:.1} s, p99 {:.1} s",
        run,
        elapsed.as_secs_f64(),
        minimum,
        api.count_429(),
        percentile(&lat, 0.5).as_secs_f64(),
        percentile(&lat, 0.99).as_secs_f64(),
    );
    terminate(bot);
    let _ = std::fs::remove_dir_all(&data);
    exactly_once(run, total, answered, duplicates)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let total = args.first().copied().unwrap_or(1000);
    let chats = args.get(1).copied().unwrap_or(200).max(1);
    let qs = match questions() {
        Ok(qs) => qs,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    let only = std::env::var("LOAD_ONLY").unwrap_or_default();
    let mut ok = true;
    if only.is_empty() || only == "latency" {
        ok &= latency_run(&qs).await;
    }
    if only.is_empty() || only == "burst" {
        ok &= burst_run(&qs, total, chats, false).await;
    }
    if only.is_empty() || only == "faults" {
        ok &= burst_run(&qs, total, chats, true).await;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
