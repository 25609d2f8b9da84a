//! Self-test of the fake Telegram Bot API server (tests/support/fake_telegram/), over real
//! HTTP: every response shape it produces must deserialise as teloxide's types, and its
//! validation, long polling, faults and flood control must behave like Telegram's.

mod support;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::fake_telegram::{parse_html, FakeTelegram, Fault, RateLimits};
use teloxide::prelude::*;
use teloxide::types::{
    Me, MediaKind, Message, MessageEntityKind, MessageKind, ParseMode, Update, UpdateKind,
    WebhookInfo,
};
use teloxide::{ApiError, RequestError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP client for all tests: building a client costs tens of milliseconds (TLS setup).
/// Pooling is off because each test has its own runtime and a pooled connection must not
/// outlive the runtime that drives it.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("HTTP client")
    })
}

/// Calls `method` with a JSON body; returns the HTTP status and the decoded body.
async fn call(tg: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(tg.method_url(method))
        .json(&body)
        .send()
        .await
        .expect("request reaches the fake server");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON response"))
}

/// Calls `method` and returns `result`, failing the test on an error answer.
async fn ok(tg: &FakeTelegram, method: &str, body: Value) -> Value {
    let (status, response) = call(tg, method, body).await;
    assert_eq!(status, 200, "{method} failed: {response}");
    assert_eq!(response["ok"], json!(true));
    response["result"].clone()
}

/// Calls `method`, expects an error answer with `status`; returns the description.
async fn err(tg: &FakeTelegram, method: &str, body: Value, status: u16) -> String {
    let (got, response) = call(tg, method, body.clone()).await;
    assert_eq!(got, status, "{method} {body}: {response}");
    assert_eq!(response["ok"], json!(false));
    assert_eq!(response["error_code"], json!(status));
    response["description"]
        .as_str()
        .expect("description")
        .to_owned()
}

/// Sends an HTML message and returns the error description (or panics if it was accepted).
async fn html_rejected(tg: &FakeTelegram, text: &str) -> String {
    err(
        tg,
        "sendMessage",
        json!({ "chat_id": 1, "text": text, "parse_mode": "HTML" }),
        400,
    )
    .await
}

/// Parses `getUpdates` results as teloxide does: from text. (`serde_json::from_value` does not
/// work for `Update`: its hand-written visitor needs borrowed keys and yields `UpdateKind::Error`.)
fn as_updates(result: Value) -> Vec<Update> {
    serde_json::from_str(&result.to_string()).expect("teloxide parses the updates")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test]
async fn get_me_parses_as_teloxide_me() {
    let tg = FakeTelegram::start().await;
    let me: Me =
        serde_json::from_value(ok(&tg, "getMe", json!({})).await).expect("teloxide parses Me");
    assert_eq!(me.username(), "summit_test_bot");
    assert_eq!(me.id.0, 123456);
    assert!(me.is_bot && me.supports_inline_queries && me.can_join_groups);

    let custom = FakeTelegram::builder()
        .token("777:abc")
        .username("other_bot")
        .start()
        .await;
    let me: Me = serde_json::from_value(ok(&custom, "getMe", json!({})).await).unwrap();
    assert_eq!((me.id.0, me.username()), (777, "other_bot"));
}

#[tokio::test]
async fn method_names_are_case_insensitive_and_token_is_checked() {
    let tg = FakeTelegram::start().await;
    for method in ["getMe", "GetMe", "GETME", "getme"] {
        ok(&tg, method, json!({})).await;
    }
    assert_eq!(tg.calls("GETme").len(), 4);
    assert_eq!(err(&tg, "noSuchMethod", json!({}), 404).await, "Not Found");

    let response = client()
        .post(format!("{}bot1:wrong/getMe", tg.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
    );
}

#[tokio::test]
async fn long_poll_returns_pushed_update_and_confirms_offsets() {
    let tg = std::sync::Arc::new(FakeTelegram::start().await);
    let pusher = tg.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        pusher.private_text(42, 42, "你好")
    });
    let started = Instant::now();
    let updates = as_updates(ok(&tg, "getUpdates", json!({ "timeout": 10 })).await);
    assert!(
        started.elapsed() < secs(5),
        "long poll must wake on push, took {:?}",
        started.elapsed()
    );
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("not a message: {:?}", updates[0].kind)
    };
    assert_eq!(message.text(), Some("你好"));
    let id = i64::from(updates[0].id.0);

    // Unconfirmed updates are delivered again; an offset confirms them.
    assert_eq!(
        ok(&tg, "getUpdates", json!({}))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        ok(&tg, "GetUpdates", json!({ "offset": id + 1, "timeout": 0 })).await,
        json!([])
    );
    assert_eq!(tg.confirmed_offset(), id + 1);
    assert_eq!(tg.pending_updates(), 0);

    // A timeout with nothing to deliver answers [] after roughly `timeout` seconds.
    let started = Instant::now();
    assert_eq!(
        ok(&tg, "getUpdates", json!({ "offset": id + 1, "timeout": 1 })).await,
        json!([])
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // limit, and query-string / form parameters.
    for text in ["a", "b", "c"] {
        tg.private_text(7, 7, text);
    }
    let (status, body) = {
        let url = format!("{}?offset={}&limit=2", tg.method_url("getUpdates"), id + 1);
        let response = reqwest::get(url).await.unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    };
    assert_eq!(status, 200);
    assert_eq!(body["result"].as_array().unwrap().len(), 2);
    let response = client()
        .post(tg.method_url("getUpdates"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("offset={}&limit=100", id + 3))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    assert_eq!(tg.confirmed_offset(), id + 3);
    assert!(tg.wait_for_confirmed_offset(id + 3, secs(1)).await);
}

#[tokio::test]
async fn a_newer_poll_terminates_the_older_one_with_409() {
    let tg = std::sync::Arc::new(FakeTelegram::start().await);
    let first = {
        let tg = tg.clone();
        tokio::spawn(async move { call(&tg, "getUpdates", json!({ "timeout": 10 })).await })
    };
    tg.wait_for_calls("getUpdates", 1, secs(5)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = ok(&tg, "getUpdates", json!({ "timeout": 0 })).await;
    assert_eq!(second, json!([]));
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 409);
    assert!(body["description"]
        .as_str()
        .unwrap()
        .starts_with("Conflict: terminated by other getUpdates request"));
}

#[tokio::test]
async fn an_abandoned_long_poll_is_not_reported_as_superseded() {
    let tg = FakeTelegram::start().await;
    // The client gives up after 200 ms and closes the connection, as a bot does on shutdown.
    let abandoned = client()
        .post(tg.method_url("getUpdates"))
        .timeout(Duration::from_millis(200))
        .json(&json!({ "timeout": 10 }))
        .send()
        .await;
    assert!(abandoned.is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        ok(&tg, "getUpdates", json!({ "timeout": 0 })).await,
        json!([])
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(tg.rejected().is_empty(), "{:?}", tg.rejected());

    // Updates still flow to the next poll.
    let id = tg.private_text(3, 3, "later");
    let updates = as_updates(ok(&tg, "getUpdates", json!({ "timeout": 5 })).await);
    assert_eq!(i64::from(updates[0].id.0), id);
}

#[tokio::test]
async fn send_message_returns_a_teloxide_message() {
    let tg = FakeTelegram::start().await;
    let question = tg.group_command(-100200, 5, "/ask@summit_test_bot 问题");
    let question_id = tg.message_id_of(question).unwrap();
    let keyboard = json!({ "inline_keyboard": [[{ "text": "more", "callback_data": "more:1" }]] });
    let result = ok(
        &tg,
        "sendMessage",
        json!({
            "chat_id": -100200,
            "text": "<b>答案</b> &amp; <a href=\"https://example.com/?a=1&amp;b=2\">来源</a>",
            "parse_mode": "HTML",
            "reply_parameters": { "message_id": question_id },
            "link_preview_options": { "is_disabled": true },
            "reply_markup": keyboard,
        }),
    )
    .await;
    let message: Message = serde_json::from_value(result).expect("teloxide parses Message");
    assert_eq!(message.text(), Some("答案 & 来源"));
    assert_eq!(message.chat.id.0, -100200);
    assert!(message.chat.is_supergroup());
    assert_eq!(message.from.as_ref().map(|u| u.id.0), Some(123456));
    assert_eq!(
        message.reply_to_message().map(|m| m.id.0 as i64),
        Some(question_id)
    );
    assert!(message.reply_markup().is_some());

    let sent = tg.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].plain_text, "答案 & 来源");
    assert!(sent[0].text.starts_with("<b>答案</b>"));
    assert_eq!(sent[0].parse_mode.as_deref(), Some("HTML"));
    assert_eq!(sent[0].reply_to, Some(question_id));
    assert!(sent[0].link_preview_disabled);
    assert_eq!(sent[0].reply_markup.as_ref(), Some(&keyboard));
    assert_eq!(sent[0].entity_count, 2);
    assert_eq!(sent[0].message_id, message.id.0 as i64);

    // Private chat, plain text, legacy reply field pointing nowhere.
    let private: Message = serde_json::from_value(
        ok(&tg, "sendMessage", json!({ "chat_id": 9, "text": "a < b" })).await,
    )
    .unwrap();
    assert!(private.chat.is_private());
    assert_eq!(private.text(), Some("a < b"));
    let missing = err(
        &tg,
        "sendMessage",
        json!({ "chat_id": 9, "text": "x", "reply_to_message_id": 99999 }),
        400,
    )
    .await;
    assert_eq!(missing, "Bad Request: message to be replied not found");
    assert_eq!(
        err(&tg, "sendMessage", json!({ "text": "x" }), 400).await,
        "Bad Request: chat_id is empty"
    );
    assert_eq!(tg.wait_for_messages(2, secs(1)).await.len(), 2);
    assert_eq!(
        tg.wait_for_messages(3, Duration::from_millis(50))
            .await
            .len(),
        2,
        "timeout returns what arrived"
    );
}

#[tokio::test]
async fn html_validation_follows_telegram() {
    let tg = FakeTelegram::start().await;
    ok(&tg, "sendMessage", json!({ "chat_id": 1, "text": "<b>x</b><blockquote expandable>y &amp; z</blockquote>", "parse_mode": "HTML" })).await;
    assert_eq!(tg.sent_messages()[0].plain_text, "xy & z");
    for good in [
        "<pre><code class=\"language-rust\">let a = 1 &lt; 2;</code></pre>",
        "<span class=\"tg-spoiler\">s</span><tg-spoiler>t</tg-spoiler><STRONG>u</STRONG>",
        "<i>&#20320;&#x597D; &quot;q&quot;</i><tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
    ] {
        ok(&tg, "sendMessage", json!({ "chat_id": 1, "text": good, "parse_mode": "html" })).await;
    }

    let cases = [
        (
            "<b>x",
            "Can't find end tag corresponding to start tag \"b\"",
        ),
        ("a < b", "Unsupported start tag \"\""),
        (
            "<script>alert(1)</script>",
            "Unsupported start tag \"script\"",
        ),
        ("a&nbsp;b", "Unsupported HTML entity \"&nbsp;\""),
        ("fish & chips", "Unescaped \"&\""),
        ("a > b", "Unescaped \">\""),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<a>link</a>", "must have a non-empty \"href\""),
        ("<span>x</span>", "tg-spoiler"),
        ("<b", "Unclosed start tag"),
        ("<a href=\"x>y</a>", "Unclosed start tag"),
    ];
    for (html, reason) in cases {
        let description = html_rejected(&tg, html).await;
        assert!(
            description.starts_with("Bad Request: can't parse entities: "),
            "{html}: {description}"
        );
        assert!(
            description.contains(reason),
            "{html}: expected {reason:?}, got {description:?}"
        );
    }

    // Lengths count UTF-16 code units of the parsed text.
    ok(&tg, "sendMessage", json!({ "chat_id": 1, "text": format!("<b>{}</b>", "x".repeat(4096)), "parse_mode": "HTML" })).await;
    assert_eq!(
        html_rejected(&tg, &"x".repeat(4097)).await,
        "Bad Request: message is too long"
    );
    assert_eq!(
        html_rejected(&tg, &"😀".repeat(2049)).await,
        "Bad Request: message is too long"
    );
    let long_plain = err(
        &tg,
        "sendMessage",
        json!({ "chat_id": 1, "text": "y".repeat(4097) }),
        400,
    )
    .await;
    assert_eq!(long_plain, "Bad Request: message is too long");
    assert_eq!(
        html_rejected(&tg, "<b> </b>").await,
        "Bad Request: message text is empty"
    );
    assert_eq!(
        err(&tg, "sendMessage", json!({ "chat_id": 1, "text": "" }), 400).await,
        "Bad Request: message text is empty"
    );

    // Entity limit: 100 formatting tags pass, 101 do not.
    ok(
        &tg,
        "sendMessage",
        json!({ "chat_id": 1, "text": "<b>x</b> ".repeat(100), "parse_mode": "HTML" }),
    )
    .await;
    assert_eq!(
        html_rejected(&tg, &"<b>x</b> ".repeat(101)).await,
        "Bad Request: too many entities"
    );
    assert_eq!(
        tg.sent_messages().len(),
        6,
        "rejected messages are not delivered"
    );

    // The parser is public for offline checks of rendered HTML.
    assert_eq!(parse_html("<b>a</b><i></i>").unwrap().entities, 1);
}

#[tokio::test]
async fn injected_faults_apply_once_each_in_order() {
    let tg = FakeTelegram::start().await;
    tg.fail_next(
        "SendMessage",
        vec![
            Fault::Drop,
            Fault::Status(502),
            Fault::RetryAfter(7),
            Fault::Conflict,
        ],
    );
    let body = json!({ "chat_id": 1, "text": "hi" });

    let dropped = client()
        .post(tg.method_url("sendMessage"))
        .json(&body)
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "a dropped connection is a transport error: {dropped:?}"
    );
    assert_eq!(tg.dropped_connections(), 1);

    let description = err(&tg, "sendMessage", body.clone(), 502).await;
    assert_eq!(description, "Bad Gateway");

    let (status, limited) = call(&tg, "sendMessage", body.clone()).await;
    assert_eq!(status, 429);
    assert_eq!(limited["parameters"]["retry_after"], json!(7));
    assert_eq!(
        limited["description"],
        json!("Too Many Requests: retry after 7")
    );
    assert_eq!(tg.count_429(), 1);

    assert!(err(&tg, "sendMessage", body.clone(), 409)
        .await
        .starts_with("Conflict: terminated by other getUpdates request"));

    assert!(
        tg.sent_messages().is_empty(),
        "faulted messages are not delivered"
    );
    ok(&tg, "sendMessage", body.clone()).await;
    assert_eq!(tg.sent_messages().len(), 1);
    assert_eq!(
        tg.calls("sendmessage").len(),
        5,
        "faulted calls are recorded too"
    );
    let codes: Vec<u16> = tg.rejected().iter().map(|(_, code, _)| *code).collect();
    assert_eq!(codes, [502, 429, 409]);

    // Delay holds the answer back.
    tg.fail_next("getMe", vec![Fault::Delay(Duration::from_millis(300))]);
    let started = Instant::now();
    ok(&tg, "getMe", json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn random_faults_are_deterministic() {
    async fn run(seed: u64) -> Vec<bool> {
        let tg = FakeTelegram::start().await;
        tg.set_random_faults(0.5, seed);
        let mut outcomes = Vec::new();
        for i in 0..40 {
            let response = client()
                .post(tg.method_url("sendMessage"))
                .json(&json!({ "chat_id": 1, "text": format!("m{i}") }))
                .send()
                .await;
            outcomes.push(matches!(response, Ok(r) if r.status().is_success()));
        }
        let delivered = outcomes.iter().filter(|&&ok| ok).count();
        assert_eq!(tg.sent_messages().len(), delivered);
        assert!(
            tg.dropped_connections() > 0 && tg.rejected().iter().any(|(_, code, _)| *code == 500)
        );
        outcomes
    }
    let first = run(42).await;

    // Chosen fault kinds, e.g. only flood control.
    let tg = FakeTelegram::start().await;
    tg.set_random_faults_with(1.0, 7, vec![Fault::RetryAfter(1)]);
    for _ in 0..3 {
        call(&tg, "sendMessage", json!({ "chat_id": 1, "text": "x" })).await;
    }
    assert_eq!((tg.count_429(), tg.sent_messages().len()), (3, 0));
    tg.set_random_faults(0.0, 0);
    ok(&tg, "sendMessage", json!({ "chat_id": 1, "text": "x" })).await;

    assert_eq!(first, run(42).await);
    let delivered = first.iter().filter(|&&ok| ok).count();
    assert!(
        (8..=32).contains(&delivered),
        "about half fail: {delivered}/40 delivered"
    );
}

#[tokio::test]
async fn rate_limiter_throttles_bursts() {
    let tg = FakeTelegram::builder().rate_limits(true).start().await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        let (status, body) = call(
            &tg,
            "sendMessage",
            json!({ "chat_id": 42, "text": format!("m{i}") }),
        )
        .await;
        if status == 429 {
            assert!(
                body["parameters"]["retry_after"].as_u64().unwrap() >= 1,
                "{body}"
            );
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 429, 429],
        "burst of 3 per private chat"
    );
    assert_eq!(tg.count_429(), 3);
    assert_eq!(tg.sent_messages().len(), 3);
    // Another chat has its own budget; after a second the first chat may send again.
    ok(&tg, "sendMessage", json!({ "chat_id": 43, "text": "x" })).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ok(
        &tg,
        "sendMessage",
        json!({ "chat_id": 42, "text": "again" }),
    )
    .await;

    // Groups: 20 per minute.
    let groups = FakeTelegram::builder()
        .rate_limit_settings(RateLimits {
            global_per_second: 1000,
            ..RateLimits::default()
        })
        .start()
        .await;
    for i in 0..20 {
        ok(
            &groups,
            "sendMessage",
            json!({ "chat_id": -1001, "text": format!("g{i}") }),
        )
        .await;
    }
    let (status, body) = call(
        &groups,
        "sendMessage",
        json!({ "chat_id": -1001, "text": "over" }),
    )
    .await;
    assert_eq!(status, 429);
    assert!(
        body["parameters"]["retry_after"].as_u64().unwrap() >= 50,
        "{body}"
    );
}

#[tokio::test]
async fn update_builders_deserialize_as_teloxide_updates() {
    let tg = FakeTelegram::start().await;
    let bot_reply: Message = serde_json::from_value(
        ok(
            &tg,
            "sendMessage",
            json!({ "chat_id": -100300, "text": "<i>bot</i>", "parse_mode": "HTML" }),
        )
        .await,
    )
    .unwrap();
    let bot_message_id = bot_reply.id.0 as i64;
    tg.private_text(11, 11, "/start 你好");
    tg.group_text(-100300, 12, "plain group text", None);
    tg.group_text(
        -100300,
        12,
        "bold",
        Some(json!([{ "type": "bold", "offset": 0, "length": 4 }])),
    );
    tg.group_reply_to_bot(-100300, 13, "追问", bot_message_id);
    tg.group_command(-100300, 14, "/ask@summit_test_bot 乌镇峰会");
    tg.mention(-100300, 15, "请问 @summit_test_bot 问题😀");
    tg.from_bot(-100300, 999, "/ask@summit_test_bot loop");
    let inline = tg.inline_query(16, "峰会", "");
    let callback = tg.callback_query(17, -100300, bot_message_id, "more:1");

    let raw = ok(&tg, "getUpdates", json!({})).await;
    let updates = as_updates(raw.clone());
    assert_eq!(updates.len(), 9);
    for (update, raw) in updates.iter().zip(raw.as_array().unwrap()) {
        assert!(
            !matches!(update.kind, UpdateKind::Error(_)),
            "teloxide could not parse {raw}"
        );
    }
    let messages: Vec<&Message> = updates
        .iter()
        .filter_map(|u| {
            if let UpdateKind::Message(m) = &u.kind {
                Some(m)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(messages.len(), 7);
    assert!(messages[0].chat.is_private());
    assert!(messages[1].chat.is_supergroup());
    assert!(messages[1].entities().unwrap_or_default().is_empty());
    assert_eq!(
        messages[2].entities().unwrap()[0].kind,
        MessageEntityKind::Bold
    );
    let replied = messages[3].reply_to_message().expect("reply_to_message");
    assert_eq!(
        (replied.id.0 as i64, replied.from.as_ref().unwrap().is_bot),
        (bot_message_id, true)
    );

    let entity_texts = |m: &Message| -> Vec<(MessageEntityKind, String)> {
        m.parse_entities()
            .unwrap_or_default()
            .iter()
            .map(|e| (e.kind().clone(), e.text().to_owned()))
            .collect()
    };
    assert_eq!(
        entity_texts(messages[0]),
        [(MessageEntityKind::BotCommand, "/start".to_owned())]
    );
    assert_eq!(
        entity_texts(messages[4]),
        [(
            MessageEntityKind::BotCommand,
            "/ask@summit_test_bot".to_owned()
        )]
    );
    assert_eq!(
        entity_texts(messages[5]),
        [(MessageEntityKind::Mention, "@summit_test_bot".to_owned())]
    );
    assert!(messages[6].from.as_ref().unwrap().is_bot);
    assert!(
        matches!(&messages[6].kind, MessageKind::Common(c) if matches!(c.media_kind, MediaKind::Text(_)))
    );

    let UpdateKind::InlineQuery(query) = &updates[7].kind else {
        panic!("inline query expected")
    };
    assert_eq!(
        (query.query.as_str(), query.id.0.clone()),
        ("峰会", format!("iq{inline}"))
    );
    let UpdateKind::CallbackQuery(press) = &updates[8].kind else {
        panic!("callback query expected")
    };
    assert_eq!(press.data.as_deref(), Some("more:1"));
    assert_eq!(
        press.message.as_ref().map(|m| m.id().0 as i64),
        Some(bot_message_id)
    );
    assert_eq!(press.id.0, format!("cb{callback}"));

    // Raw updates register their query ids too.
    tg.push_update(json!({ "callback_query": { "id": "custom", "from": { "id": 1, "is_bot": false, "first_name": "A" }, "chat_instance": "1", "data": "d" } }));
    tg.push_update(json!("not an update"));
    ok(
        &tg,
        "answerCallbackQuery",
        json!({ "callback_query_id": "custom" }),
    )
    .await;

    // Query answers: valid once, validated, unknown ids refused.
    ok(
        &tg,
        "answerCallbackQuery",
        json!({ "callback_query_id": format!("cb{callback}"), "text": "ok" }),
    )
    .await;
    assert!(err(
        &tg,
        "answerCallbackQuery",
        json!({ "callback_query_id": format!("cb{callback}") }),
        400
    )
    .await
    .contains("query is too old"));
    let result = |i: usize| json!({ "type": "article", "id": format!("r{i}"), "title": "t", "input_message_content": { "message_text": "<b>x</b>", "parse_mode": "HTML" } });
    let too_many: Vec<Value> = (0..51).map(result).collect();
    assert_eq!(
        err(
            &tg,
            "answerInlineQuery",
            json!({ "inline_query_id": format!("iq{inline}"), "results": too_many }),
            400
        )
        .await,
        "Bad Request: RESULTS_TOO_MUCH"
    );
    let long_offset = "o".repeat(65);
    let five: Vec<Value> = (0..5).map(result).collect();
    err(&tg, "answerInlineQuery", json!({ "inline_query_id": format!("iq{inline}"), "results": five, "next_offset": long_offset }), 400).await;
    let bad_html = json!([{ "type": "article", "id": "1", "title": "t", "input_message_content": { "message_text": "<b>x", "parse_mode": "HTML" } }]);
    assert!(err(
        &tg,
        "answerInlineQuery",
        json!({ "inline_query_id": format!("iq{inline}"), "results": bad_html }),
        400
    )
    .await
    .contains("can't parse entities"));
    ok(
        &tg,
        "answerInlineQuery",
        json!({ "inline_query_id": format!("iq{inline}"), "results": five, "next_offset": "5" }),
    )
    .await;
    assert_eq!(
        tg.calls("answerinlinequery").last().unwrap()["results"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn other_methods_answer_like_telegram() {
    let tg = FakeTelegram::start().await;
    let commands = json!([{ "command": "ask", "description": "提问" }, { "command": "help", "description": "帮助" }]);
    assert_eq!(
        ok(&tg, "setMyCommands", json!({ "commands": commands })).await,
        json!(true)
    );
    assert_eq!(tg.commands(), commands);
    err(
        &tg,
        "setMyCommands",
        json!({ "commands": [{ "command": "Ask", "description": "x" }] }),
        400,
    )
    .await;

    tg.private_text(1, 1, "pending");
    let info: WebhookInfo =
        serde_json::from_value(ok(&tg, "getWebhookInfo", json!({})).await).unwrap();
    assert_eq!((info.url, info.pending_update_count), (None, 1));
    ok(
        &tg,
        "setWebhook",
        json!({ "url": "https://example.com/hook", "secret_token": "s3cret" }),
    )
    .await;
    assert_eq!(
        (tg.webhook_url(), tg.webhook_secret()),
        (
            "https://example.com/hook".to_owned(),
            Some("s3cret".to_owned())
        )
    );
    let info: WebhookInfo =
        serde_json::from_value(ok(&tg, "getWebhookInfo", json!({})).await).unwrap();
    assert_eq!(
        info.url.map(|u| u.to_string()),
        Some("https://example.com/hook".to_owned())
    );
    assert!(err(&tg, "getUpdates", json!({}), 409)
        .await
        .contains("webhook is active"));
    ok(
        &tg,
        "deleteWebhook",
        json!({ "drop_pending_updates": true }),
    )
    .await;
    assert_eq!((tg.webhook_url(), tg.pending_updates()), (String::new(), 0));

    assert_eq!(
        err(
            &tg,
            "editMessageText",
            json!({ "chat_id": 5, "message_id": 1, "text": "x" }),
            404
        )
        .await,
        "Not Found",
        "methods the bot never calls are not implemented"
    );
}

/// Writes raw bytes on one connection and returns everything the server sends back until it
/// closes the connection or goes quiet.
async fn raw_exchange(tg: &FakeTelegram, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(tg.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_millis(500), stream.read(&mut chunk)).await
    {
        if n == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn http_layer_handles_keep_alive_and_odd_input() {
    let tg = FakeTelegram::start().await;
    let path = format!("/bot{}/getMe", tg.token());

    // Two pipelined requests on one connection, the second asking to close.
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{{}}\
         GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_exchange(&tg, request.as_bytes()).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert!(answer.contains("Connection: close"));

    let garbage = raw_exchange(&tg, b"GARBAGE\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage}");
    let chunked =
        format!("POST {path} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n");
    assert!(raw_exchange(&tg, chunked.as_bytes())
        .await
        .starts_with("HTTP/1.1 411"));
    let bad_length = format!("POST {path} HTTP/1.1\r\nContent-Length: lots\r\n\r\n");
    assert!(raw_exchange(&tg, bad_length.as_bytes())
        .await
        .starts_with("HTTP/1.1 400"));
    let bad_json = format!("POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{{{{x");
    assert!(raw_exchange(&tg, bad_json.as_bytes())
        .await
        .starts_with("HTTP/1.1 400"));
    assert_eq!(
        raw_exchange(&tg, &[0xff, 0xfe, b'\r', b'\n', b'\r', b'\n'])
            .await
            .split(' ')
            .nth(1),
        Some("400")
    );
    assert_eq!(
        raw_exchange(&tg, b"POST /bot").await,
        "",
        "half a request, then the client gives up"
    );

    // A form-encoded sendMessage, as other clients send it.
    let response = client()
        .post(tg.method_url("sendMessage"))
        .form(&[
            ("chat_id", "77"),
            ("text", "<b>form</b>"),
            ("parse_mode", "HTML"),
            ("reply_markup", r#"{"inline_keyboard":[]}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let sent = tg.sent_messages();
    assert_eq!((sent[0].chat_id, sent[0].plain_text.as_str()), (77, "form"));

    // The server survived all of it.
    ok(&tg, "getMe", json!({})).await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let tg = FakeTelegram::start().await;
    let addr = tg.addr();
    ok(&tg, "getMe", json!({})).await;
    drop(tg);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "listener must be closed"
    );
}

#[tokio::test]
async fn a_real_teloxide_bot_talks_to_it() {
    let tg = FakeTelegram::start().await;
    let bot = Bot::new(tg.token()).set_api_url(tg.url().parse().unwrap());

    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.username(), "summit_test_bot");

    let message = bot
        .send_message(ChatId(1), "<b>hi</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendMessage");
    assert_eq!(message.text(), Some("hi"));
    assert_eq!(tg.sent_messages()[0].text, "<b>hi</b>");
    assert_eq!(
        tg.calls("sendMessage")[0]["parse_mode"],
        json!("HTML"),
        "teloxide sends JSON bodies"
    );

    let update_id = tg.group_command(-1009, 3, "/ask@summit_test_bot 问题");
    let updates = bot.get_updates().timeout(1).await.expect("getUpdates");
    assert_eq!(updates.len(), 1);
    assert_eq!(i64::from(updates[0].id.0), update_id);
    let updates = bot
        .get_updates()
        .offset(updates[0].id.as_offset())
        .timeout(0)
        .await
        .expect("getUpdates");
    assert!(updates.is_empty());
    assert_eq!(tg.confirmed_offset(), update_id + 1);

    // Errors surface as teloxide errors the bot's retry logic can classify.
    let bad = bot
        .send_message(ChatId(1), "<b>hi")
        .parse_mode(ParseMode::Html)
        .await;
    assert!(
        matches!(bad, Err(RequestError::Api(ApiError::CantParseEntities(_)))),
        "{bad:?}"
    );
    // (No 5xx here: teloxide-core sleeps 10 s after any 5xx answer before returning the error.)
    tg.fail_next(
        "sendMessage",
        vec![Fault::RetryAfter(3), Fault::Status(403), Fault::Drop],
    );
    let limited = bot.send_message(ChatId(1), "x").await;
    assert!(
        matches!(&limited, Err(RequestError::RetryAfter(s)) if s.seconds() == 3),
        "{limited:?}"
    );
    let blocked = bot.send_message(ChatId(1), "x").await;
    assert!(
        matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))),
        "{blocked:?}"
    );
    let dropped = bot.send_message(ChatId(1), "x").await;
    assert!(
        matches!(dropped, Err(RequestError::Network(_))),
        "{dropped:?}"
    );
    bot.send_message(ChatId(1), "after the faults")
        .await
        .expect("recovers");
    assert_eq!(tg.sent_messages().len(), 2);
}
