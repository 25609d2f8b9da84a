//! What users and faults cannot do to the bot (issue 11), checked from outside
//! against the fake Bot API over real HTTP: a SIGKILL mid-burst loses no
//! question (polling and webhook), a panicking handler costs one apology,
//! altered button data does nothing, repeated presses are bounded, and a
//! second `serve` on the same data directory exits 2.
//!
//! Nothing here waits on the clock to pass: the kill lands after a number of
//! replies were seen, and every wait is for an event (with a generous limit).

mod support;

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bot_process::{data_dir, BotProcess as Bot, TOKEN};
use support::fake_telegram::FakeTelegram;

const WAIT: Duration = Duration::from_secs(60);

/// Questions of the burst: answered, unanswered and short ones alike.
const QUESTIONS: &[&str] = &[
    "蓝皮书是哪个机构编写的？",
    "曹振南是谁？",
    "领先科技奖一共有多少个项目获奖？",
    "全国已经建成了多少数字化车间和智能工厂？",
    "今天上海天气怎么样？",
    "乌镇峰会在哪里举行？",
];

async fn api() -> FakeTelegram {
    FakeTelegram::builder().token(TOKEN).start().await
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Pushes `n` questions from `chats` chats (round robin); their message ids.
fn burst(api: &FakeTelegram, n: usize, chats: i64) -> Vec<i64> {
    (0..n)
        .map(|i| {
            let chat = 50_000 + (i as i64 % chats);
            let update = api.private_text(chat, chat, QUESTIONS[i % QUESTIONS.len()]);
            api.message_id_of(update).expect("pushed message")
        })
        .collect()
}

/// Replies per question message id.
fn replies(api: &FakeTelegram) -> HashMap<i64, usize> {
    let mut count = HashMap::new();
    for sent in api.sent_messages() {
        if let Some(to) = sent.reply_to {
            *count.entry(to).or_default() += 1;
        }
    }
    count
}

/// Replies the fake has received once the dead process's last requests have
/// landed: a reply written to its socket just before the kill is read by the
/// fake a moment later, and it counts as sent before the kill.
async fn sent_when_settled(api: &FakeTelegram) -> usize {
    let mut sent = api.sent_messages().len();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = api.sent_messages().len();
        if now == sent {
            return sent;
        }
        sent = now;
    }
}

/// Waits until every question has a reply; returns (unanswered, answered twice).
async fn wait_for_answers(api: &FakeTelegram, questions: &[i64]) -> (usize, usize) {
    let deadline = Instant::now() + WAIT;
    loop {
        let count = replies(api);
        let unanswered = questions.iter().filter(|q| !count.contains_key(q)).count();
        if unanswered == 0 || Instant::now() > deadline {
            // A moment for any duplicate still on its way.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let count = replies(api);
            let twice = questions
                .iter()
                .map(|q| count.get(q).copied().unwrap_or(0).saturating_sub(1))
                .sum();
            return (unanswered, twice);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_burst_loses_nothing_when_polling() {
    let api = api().await;
    let bot = Bot::start(&api, &[]);
    api.wait_for_calls("getUpdates", 1, WAIT).await;
    let questions = burst(&api, 60, 30);
    // Killed while replies are going out: some sent, most not.
    api.wait_for_messages(10, WAIT).await;
    bot.kill();
    let sent_before = sent_when_settled(&api).await;
    let bot = Bot::start(&api, &[]);
    let (unanswered, twice) = wait_for_answers(&api, &questions).await;
    let (status, log) = bot.terminate();
    println!("polling: killed after {sent_before} replies; unanswered {unanswered}, answered twice {twice}");
    assert_eq!(unanswered, 0, "{log}");
    // Only a reply already out when the process died can go out again (its
    // "done" mark was still in flight); nothing answered after the restart is.
    assert!(twice <= sent_before, "{twice} answered twice");
    assert!(status.success(), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_burst_loses_nothing_with_a_webhook() {
    let api = api().await;
    let questions = burst(&api, 60, 30);
    // What Telegram would POST: the fake's own queue, taken before the bot
    // switches it to webhook mode.
    let body: Value = http()
        .post(api.method_url("getUpdates"))
        .json(&serde_json::json!({ "timeout": 0 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let updates = body["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(updates.len(), 60);

    let secret = "crash-test-secret";
    let listen = format!("127.0.0.1:{}", free_port());
    let env = [
        ("SUMMIT_WEBHOOK_URL", "https://bot.example.org/tg"),
        ("SUMMIT_WEBHOOK_LISTEN", listen.as_str()),
        ("SUMMIT_WEBHOOK_SECRET", secret),
    ];
    let endpoint = format!("http://{listen}/tg");
    let post = |update: Value| {
        let request = http()
            .post(&endpoint)
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(&update);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    };
    let bot = Bot::start(&api, &env);
    // The listener is up once a POST gets any answer.
    let deadline = Instant::now() + WAIT;
    while post(serde_json::json!({})).await.is_err() {
        assert!(Instant::now() < deadline, "webhook listener never came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Like Telegram: many connections at once; a POST without a 200 is sent again.
    let senders: Vec<_> = updates
        .iter()
        .cloned()
        .map(|update| tokio::spawn(post(update)))
        .collect();
    api.wait_for_messages(1, WAIT).await;
    bot.kill();
    let sent_before = sent_when_settled(&api).await;
    let mut resend = Vec::new();
    for (update, sender) in updates.iter().zip(senders) {
        if !matches!(sender.await, Ok(Ok(200))) {
            resend.push(update.clone());
        }
    }
    let bot = Bot::start(&api, &env);
    for update in &resend {
        let deadline = Instant::now() + WAIT;
        while !matches!(post(update.clone()).await, Ok(200)) {
            assert!(
                Instant::now() < deadline,
                "the restarted bot never took {update}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (unanswered, twice) = wait_for_answers(&api, &questions).await;
    let (status, log) = bot.terminate();
    println!(
        "webhook: killed after {sent_before} replies, {} POSTs resent; unanswered {unanswered}, answered twice {twice}",
        resend.len()
    );
    assert_eq!(unanswered, 0, "{log}");
    assert!(twice <= sent_before, "{twice} answered twice");
    assert!(status.success(), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_handler_costs_one_apology_and_is_not_replayed() {
    let api = api().await;
    let env = [("TEST_SUMMIT_PANIC_ON", "请崩溃一次")];
    let bot = Bot::start(&api, &env);
    let chat = 60_001;
    let boom = api.private_text(chat, chat, "请崩溃一次");
    let boom = api.message_id_of(boom).unwrap();
    let after = api.private_text(chat, chat, "蓝皮书是哪个机构编写的？");
    let after = api.message_id_of(after).unwrap();
    let sent = api.wait_for_messages(2, WAIT).await;
    let Some(apology) = sent.iter().find(|m| m.reply_to == Some(boom)) else {
        let (_, log) = bot.terminate();
        panic!("no apology: {sent:#?}\n{log}");
    };
    assert!(
        apology.plain_text.contains("出错了"),
        "{}",
        apology.plain_text
    );
    let answer = sent
        .iter()
        .find(|m| m.reply_to == Some(after))
        .expect("the lane went on");
    assert!(
        answer.plain_text.contains("中国网络空间研究院"),
        "{}",
        answer.plain_text
    );
    let (status, log) = bot.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("handler panicked"), "{log}");

    // A restart does not replay the update that panicked.
    let bot = Bot::start(&api, &env);
    let next = api.private_text(chat, chat, "曹振南是谁？");
    let next = api.message_id_of(next).unwrap();
    let sent = api.wait_for_messages(3, WAIT).await;
    assert!(sent.iter().any(|m| m.reply_to == Some(next)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.sent_messages().len(), 3, "{:#?}", api.sent_messages());
    drop(bot);
}

/// The value of `series` on a Prometheus page (0 when absent).
fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn altered_button_data_never_acts() {
    let api = api().await;
    let metrics = format!("127.0.0.1:{}", free_port());
    let bot = Bot::start(&api, &[("SUMMIT_METRICS_LISTEN", metrics.as_str())]);
    let chat = 70_001;
    api.private_text(chat, chat, "蓝皮书是哪个机构编写的？");
    let answer = api.wait_for_messages(1, WAIT).await.remove(0);
    let markup = serde_json::to_value(answer.reply_markup.as_ref().expect("buttons")).unwrap();
    let data: Vec<String> = markup["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
        .collect();
    assert!(data.len() >= 3, "{markup:#}");

    // 15 presses per button (45 or 60): one character changed at 15 places of
    // its data, each by another user (so flood control never hides an answer).
    let mut presses = 0;
    for original in &data {
        let chars: Vec<char> = original.chars().collect();
        for k in 0..15 {
            let at = k * (chars.len() - 1) / 14;
            let mut altered = chars.clone();
            altered[at] = match altered[at] {
                '0' => '1',
                ':' => '.',
                c if c.is_ascii_digit() => '0',
                _ => '0',
            };
            let altered: String = altered.into_iter().collect();
            assert_ne!(&altered, original);
            api.callback_query(80_000 + presses, chat, answer.message_id, &altered);
            presses += 1;
        }
    }
    let calls = api
        .wait_for_calls("answerCallbackQuery", presses as usize, WAIT)
        .await;
    for call in &calls {
        let text = call["text"].as_str().unwrap_or_default();
        assert!(text.contains("请重新提问"), "{call:#}");
    }
    // A real 👍 last: once it is stored, every press before it was handled.
    let up = data.iter().find(|d| d.starts_with("2u")).unwrap();
    api.callback_query(90_000, chat, answer.message_id, up);
    let db = data_dir(&api).join("summit-bot.db");
    let deadline = Instant::now() + WAIT;
    let votes = loop {
        let votes: i64 = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM feedback", [], |r| r.get(0)))
            .unwrap_or(0);
        if votes > 0 || Instant::now() > deadline {
            break votes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(votes, 1, "only the real 👍 was stored");
    assert_eq!(
        api.sent_messages().len(),
        1,
        "no altered press sent anything"
    );
    let page = http()
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused = sample(
        &page,
        r#"summit_callbacks_rejected_total{reason="invalid"}"#,
    ) + sample(&page, r#"summit_callbacks_rejected_total{reason="stale"}"#);
    assert_eq!(refused, presses as f64, "{page}");
    drop(bot);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_serve_on_the_same_data_directory_exits_2() {
    let api = api().await;
    let first = Bot::start(&api, &[]);
    api.wait_for_calls("getUpdates", 1, WAIT).await;
    let started = Instant::now();
    let second = Bot::start(&api, &[]);
    let (status, log) = second.wait();
    let took = started.elapsed();
    println!("second serve exited with {status:?} after {took:?}");
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let dir = data_dir(&api).display().to_string();
    assert!(log.contains(&dir) && log.contains("state_file"), "{log}");
    // The first one is unharmed.
    let update = api.private_text(70_002, 70_002, "曹振南是谁？");
    let question = api.message_id_of(update).unwrap();
    let sent = api.wait_for_messages(1, WAIT).await;
    assert_eq!(sent[0].reply_to, Some(question));
    let (status, log) = first.terminate();
    assert!(status.success(), "{log}");
}
