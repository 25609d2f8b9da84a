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
//! With `--soak` it runs two memory soaks instead:
//!
//! ```text
//! cargo run --release --example load -- --soak [ROUNDS CHATS]
//! ```
//!
//! 4. soak-new — ROUNDS rounds (default 8) of CHATS **new** private chats
//!    (default 500) asking 2 questions each, rate limits on; after each round
//!    (all its replies out) the bot's resident memory is read from
//!    /proc/PID/status (VmRSS, and RssAnon: the heap without mapped files),
//!    and once more after an idle pause (`LOAD_SOAK_IDLE_SECS`, default 70);
//! 5. soak-repeat — the same, but the same CHATS chats every round.
//!
//! Each run checks that every question was answered exactly once; the driver
//! exits 1 if any question was lost or answered twice. The questions are the
//! summit dev set (tests/data/summit/questions.dev.jsonl); without it the
//! driver stops with exit 2. Each run gives the bot its own data directory
//! (question log, state file) and `--no-dotenv`; everything else is the bot's
//! defaults, as an operator runs it (the semantic model is used when
//! data/models/e5-small-q4.bin is there).
//! `LOAD_ONLY=latency|burst|faults|soak-new|soak-repeat` runs one of them;
//! `LOAD_BOT_LOG=FILE` keeps the bot's log; `LOAD_BOT_WRAPPER="heaptrack -o
//! FILE"` starts the bot under a profiler (RSS is then read from the bot
//! process under it) and `LOAD_BOT_KILL=1` ends it with SIGKILL, so what is
//! still allocated shows as leaked. The binary is `LOAD_BOT_BIN`, or else
//! the one in `$CARGO_TARGET_DIR/release` (default `target/release`).

#[path = "../tests/support/fake_telegram/mod.rs"]
mod fake_telegram;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use fake_telegram::{FakeTelegram, Fault};

const TOKEN: &str = "777000:LOAD-token";

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LOAD_BOT_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = target.join("release/summit-bot");
    assert!(
        path.exists(),
        "{}: build it first: cargo build --release",
        path.display()
    );
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
    let wrapper = std::env::var("LOAD_BOT_WRAPPER").unwrap_or_default();
    let mut wrapper = wrapper.split_whitespace();
    let mut command = match wrapper.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(wrapper).arg(binary());
            command
        }
        None => Command::new(binary()),
    };
    command
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
    // `LOAD_BOT_KILL=1`: SIGKILL, so a heap profiler reports what was still
    // allocated at the end as leaked (a graceful stop frees it first).
    let kill = std::env::var("LOAD_BOT_KILL").is_ok_and(|v| v == "1");
    let _ = Command::new("kill")
        .args([
            if kill { "-KILL" } else { "-TERM" },
            &bot_pid(&child).to_string(),
        ])
        .status();
    let status = child.wait().expect("bot exits");
    assert!(kill || status.success(), "bot exit status {status:?}");
}

/// The pid of the bot itself: `child`, or under `LOAD_BOT_WRAPPER` the
/// summit-bot process among its descendants.
fn bot_pid(child: &Child) -> u32 {
    let mut parents = vec![child.id()];
    for _ in 0..4 {
        if let Some(&pid) = parents.iter().find(|&&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "summit-bot")
        }) {
            return pid;
        }
        parents = children_of(&parents);
    }
    child.id()
}

/// Processes whose parent is one of `parents` (from /proc/*/stat).
fn children_of(parents: &[u32]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                // "pid (comm) state ppid …": comm may hold spaces, so split after ')'.
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                .is_some_and(|ppid| parents.contains(&ppid))
        })
        .collect()
}

/// VmRSS and RssAnon (the heap and stacks, without mapped files) in MB and
/// the thread count of `pid`, from /proc/PID/status.
fn memory(pid: u32) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (
        field("VmRSS:") / 1024.0,
        field("RssAnon:") / 1024.0,
        field("Threads:"),
    )
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
    while api.sent_count() < n && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if reported.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "… {} of {n} replies after {:.0} s",
                api.sent_count(),
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
        let before = api.sent_count();
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

/// Questions each soak chat asks per round.
const SOAK_QUESTIONS_PER_CHAT: usize = 2;

/// Rounds of questions from private chats at Telegram's pace, the bot's
/// resident memory after each round and after an idle pause. `fresh`: new
/// chats every round (a bot meeting new users); otherwise the same chats.
async fn soak_run(qs: &[String], rounds: usize, chats: usize, fresh: bool) -> bool {
    let run = if fresh { "soak-new" } else { "soak-repeat" };
    let idle = Duration::from_secs(
        std::env::var("LOAD_SOAK_IDLE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(70),
    );
    let data = data_dir(run);
    let api = FakeTelegram::builder()
        .token(TOKEN)
        .rate_limits(true)
        .start()
        .await;
    let bot = start_bot(&api, &data);
    // Ready once it polls; then a moment for start-up allocations to settle.
    api.wait_for_calls("getUpdates", 1, Duration::from_secs(300))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = bot_pid(&bot);
    // (after what, distinct chats, questions, seconds, (VmRSS, RssAnon, threads))
    type Row = (String, usize, usize, f64, (f64, f64, f64));
    let mut rows: Vec<Row> = Vec::new();
    rows.push(("start".into(), 0, 0, 0.0, memory(pid)));
    let mut pushed = Pushed::new();
    let mut asked = 0;
    for round in 0..rounds {
        let first_chat = 1_000_000 + (if fresh { round * chats } else { 0 }) as i64;
        let started = Instant::now();
        for _ in 0..SOAK_QUESTIONS_PER_CHAT {
            for c in 0..chats {
                let chat = first_chat + c as i64;
                let update = api.private_text(chat, chat, &qs[asked % qs.len()]);
                pushed.insert(update, (chat, Instant::now()));
                asked += 1;
            }
        }
        let round_limit = Duration::from_secs(120 + (chats * SOAK_QUESTIONS_PER_CHAT) as u64 / 10);
        let deadline = Instant::now() + round_limit;
        while api.sent_count() < asked && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        let distinct = if fresh { (round + 1) * chats } else { chats };
        rows.push((
            format!("round {}", round + 1),
            distinct,
            asked,
            seconds,
            memory(pid),
        ));
        let (_, _, _, _, (rss, anon, threads)) = rows.last().expect("a row was just pushed");
        eprintln!(
            "{run}: round {} done in {seconds:.0} s, {} replies; VmRSS {rss:.1} MB, RssAnon {anon:.1} MB, {threads} threads",
            round + 1,
            api.sent_count()
        );
    }
    tokio::time::sleep(idle).await;
    let distinct = if fresh { rounds * chats } else { chats };
    rows.push((
        format!("idle {} s", idle.as_secs()),
        distinct,
        asked,
        idle.as_secs_f64(),
        memory(pid),
    ));
    let (answered, duplicates, lat) = check(&api, &pushed);
    println!(
        "{run}: {answered}/{asked} answered ({duplicates} more than once), {} chats {}; latency p50 {:.1} s, p99 {:.1} s; 429s seen {}",
        distinct,
        if fresh { "(new every round)" } else { "(the same every round)" },
        percentile(&lat, 0.5).as_secs_f64(),
        percentile(&lat, 0.99).as_secs_f64(),
        api.count_429(),
    );
    println!("| after | distinct chats | questions | seconds | VmRSS MB | RssAnon MB | threads |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (label, distinct, asked, seconds, (rss, anon, threads)) in &rows {
        println!(
            "| {label} | {distinct} | {asked} | {seconds:.0} | {rss:.1} | {anon:.1} | {threads} |"
        );
    }
    if rounds >= 2 {
        let half = rounds / 2;
        let rss = |i: usize| rows[i].4 .0;
        println!(
            "{run}: VmRSS after round {rounds} minus after round {half}: {:+.1} MB",
            rss(rounds) - rss(half)
        );
    }
    terminate(bot);
    let _ = std::fs::remove_dir_all(&data);
    exactly_once(run, asked, answered, duplicates)
}

#[tokio::main]
async fn main() -> ExitCode {
    let soak = std::env::args().any(|a| a == "--soak");
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let qs = match questions() {
        Ok(qs) => qs,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    let only = std::env::var("LOAD_ONLY").unwrap_or_default();
    // `LOAD_ONLY` names one run; otherwise `--soak` picks the soaks, and
    // without it the latency, burst and faults runs go.
    let runs: &[&str] = if soak {
        &["soak-new", "soak-repeat"]
    } else {
        &["latency", "burst", "faults"]
    };
    let wanted = |run: &str| {
        if only.is_empty() {
            runs.contains(&run)
        } else {
            only == run
        }
    };
    let mut ok = true;
    if wanted("latency") {
        ok &= latency_run(&qs).await;
    }
    let (total, chats) = (
        args.first().copied().unwrap_or(1000),
        args.get(1).copied().unwrap_or(200).max(1),
    );
    if wanted("burst") {
        ok &= burst_run(&qs, total, chats, false).await;
    }
    if wanted("faults") {
        ok &= burst_run(&qs, total, chats, true).await;
    }
    let (rounds, per_round) = (
        args.first().copied().unwrap_or(8).max(1),
        args.get(1).copied().unwrap_or(500).max(1),
    );
    if wanted("soak-new") {
        ok &= soak_run(&qs, rounds, per_round, true).await;
    }
    if wanted("soak-repeat") {
        ok &= soak_run(&qs, rounds, per_round, false).await;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
