//! The real `summit-bot serve` binary against a fake Telegram Bot API server on
//! 127.0.0.1, over real HTTP: private and group chats, commands, hostile text,
//! rate limits, server faults and a SIGTERM restart.

mod common;
mod support;

use std::time::{Duration, Instant};

use support::bot_process::{BotProcess as Bot, TOKEN};
use support::fake_telegram::{FakeTelegram, Fault, SentMessage};

const WAIT: Duration = Duration::from_secs(20);
const USER: i64 = 1001;
/// An English question the lexical engine answers with enough sources for
/// two pages of "More sources".
const ENGLISH_QUESTION: &str = "What is the World Internet Conference?";

async fn api() -> FakeTelegram {
    FakeTelegram::builder().token(TOKEN).start().await
}

/// Waits for exactly `n` replies, then a little longer to catch any extra one.
async fn expect_replies(api: &FakeTelegram, n: usize) -> Vec<SentMessage> {
    let sent = api.wait_for_messages(n, WAIT).await;
    assert!(
        sent.len() >= n,
        "expected {n} replies, got {}: {sent:#?}",
        sent.len()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent = api.sent_messages();
    assert_eq!(sent.len(), n, "unexpected extra replies: {sent:#?}");
    sent
}

#[tokio::test(flavor = "multi_thread")]
async fn private_question_gets_a_quoted_cited_html_reply() {
    let api = api().await;
    let bot = Bot::start(&api, &[]);
    let update = api.private_text(USER, USER, "全国已经建成了多少数字化车间和智能工厂？");
    let sent = expect_replies(&api, 1).await;
    let reply = &sent[0];
    assert_eq!(reply.chat_id, USER);
    assert_eq!(
        reply.reply_to,
        api.message_id_of(update),
        "a reply to the question"
    );
    assert_eq!(reply.parse_mode.as_deref(), Some("HTML"));
    assert!(reply.link_preview_disabled);
    assert!(reply.text.starts_with("<b>答：</b>"), "{}", reply.text);
    assert!(
        reply.text.contains("<b>"),
        "matched terms in bold: {}",
        reply.text
    );
    assert!(
        reply.text.contains("<blockquote expandable>"),
        "{}",
        reply.text
    );
    assert!(reply.plain_text.contains("近万家"), "{}", reply.plain_text);
    assert!(
        reply.plain_text.contains("》第1段 · 新华社 2024-11-21"),
        "{}",
        reply.plain_text
    );
    assert!(api.rejected().is_empty(), "{:?}", api.rejected());
    // Commands were registered and no webhook was left in the way.
    assert!(api.call_count("setmycommands") >= 1);
    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        !log.contains("SECRETsecret"),
        "the token reached the log:\n{log}"
    );
    assert!(
        log.contains("question"),
        "one log line per question:\n{log}"
    );
}

/// Presses the button labelled `label` under `message` (as `user`, in the
/// private chat `user`) and returns the reply it sends, the `n`th message.
async fn press(
    api: &FakeTelegram,
    user: i64,
    message: &SentMessage,
    label: &str,
    n: usize,
) -> SentMessage {
    let data = message
        .button(label)
        .unwrap_or_else(|| panic!("no {label:?} button under {message:#?}"));
    assert!(data.len() <= 64, "{data}");
    api.callback_query(user, user, message.message_id, &data);
    let page = expect_replies(api, n).await.remove(n - 1);
    assert_eq!(page.reply_to, Some(message.message_id), "{page:#?}");
    page
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_behind_the_buttons_speak_the_question_language() {
    let api = api().await;
    let _bot = Bot::start(&api, &[]);

    // English: the answer, the pages "More sources" sends (each with its own
    // "More sources" while sources remain) and the context are English around
    // the Chinese quotes.
    api.private_text(USER, USER, ENGLISH_QUESTION);
    let answer = expect_replies(&api, 1).await.remove(0);
    assert!(
        answer.plain_text.starts_with("Answer"),
        "{}",
        answer.plain_text
    );
    let page = press(&api, USER, &answer, "More sources", 2).await;
    assert!(
        page.plain_text.starts_with("More sources:"),
        "{}",
        page.plain_text
    );
    assert!(!page.plain_text.contains("更多来源"), "{}", page.plain_text);
    assert!(
        page.plain_text.contains("1. 「"),
        "Chinese quotes: {}",
        page.plain_text
    );
    assert!(page.button("更多来源").is_none(), "{page:#?}");
    let next = press(&api, USER, &page, "More sources", 3).await;
    assert!(
        next.plain_text.starts_with("More sources:"),
        "the chain stays English: {}",
        next.plain_text
    );
    let around = press(&api, USER, &answer, "Context", 4).await;
    assert!(
        around.plain_text.starts_with("Context: 《"),
        "{}",
        around.plain_text
    );
    assert!(
        around.plain_text.contains("(the one quoted)"),
        "{}",
        around.plain_text
    );
    assert!(
        !around.plain_text.contains("上下文") && !around.plain_text.contains("引文所在段落"),
        "{}",
        around.plain_text
    );

    // Chinese: everything stays Chinese.
    let zh_user = USER + 1;
    api.private_text(zh_user, zh_user, "世界互联网大会是什么？");
    let answer = expect_replies(&api, 5).await.remove(4);
    assert!(
        answer.plain_text.starts_with("答："),
        "{}",
        answer.plain_text
    );
    let page = press(&api, zh_user, &answer, "更多来源", 6).await;
    assert!(
        page.plain_text.starts_with("更多来源："),
        "{}",
        page.plain_text
    );
    assert!(page.button("More sources").is_none(), "{page:#?}");
    let next = press(&api, zh_user, &page, "更多来源", 7).await;
    assert!(
        next.plain_text.starts_with("更多来源："),
        "{}",
        next.plain_text
    );
    let around = press(&api, zh_user, &answer, "上下文", 8).await;
    assert!(
        around.plain_text.contains("引文所在段落"),
        "{}",
        around.plain_text
    );
    assert!(api.rejected().is_empty(), "{:?}", api.rejected());
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_answer_only_when_addressed() {
    let api = api().await;
    let _bot = Bot::start(&api, &[]);
    let group = -100_200;
    let bot_id = api.bot_id();
    let name = api.bot_username().to_string();
    api.group_text(group, USER, "大家好，今天开会吗？", None);
    api.group_command(group, USER, "/ask@some_other_bot 蓝皮书是哪个机构编写的？");
    api.from_bot(group, 777, "蓝皮书是哪个机构编写的？");
    let ask = api.group_command(
        group,
        USER,
        &format!("/ask@{name} 蓝皮书是哪个机构编写的？"),
    );
    let plain_ask = api.group_command(group, USER, "/ask 曹振南是谁？");
    let mention = api.mention(group, USER, &format!("@{name} 爱立信获奖的项目是什么？"));
    let sent = expect_replies(&api, 3).await;
    let replied: Vec<Option<i64>> = sent.iter().map(|m| m.reply_to).collect();
    for update in [ask, plain_ask, mention] {
        assert!(replied.contains(&api.message_id_of(update)), "{replied:?}");
    }
    assert!(sent
        .iter()
        .any(|m| m.plain_text.contains("中国网络空间研究院")));
    assert!(sent.iter().any(|m| m.plain_text.contains("5G可编程网络")));
    // A reply to one of the bot's messages is a question too.
    let bot_message = sent[0].message_id;
    let follow_up =
        api.group_reply_to_bot(group, USER, "林尚立认为应该怎样治理人工智能？", bot_message);
    let sent = expect_replies(&api, 4).await;
    let last = sent.last().unwrap();
    assert_eq!(last.reply_to, api.message_id_of(follow_up));
    assert!(last.plain_text.contains("政策法规"), "{}", last.plain_text);
    let _ = bot_id;
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_help_and_sources() {
    let api = api().await;
    let _bot = Bot::start(&api, &[]);
    api.private_text(USER, USER, "/start");
    let start = expect_replies(&api, 1).await.remove(0);
    assert!(start.plain_text.contains("/ask"), "{}", start.plain_text);
    api.private_text(USER, USER, "/help");
    let help = expect_replies(&api, 2).await.remove(1);
    assert!(
        help.plain_text.contains("可以这样问"),
        "{}",
        help.plain_text
    );
    assert!(
        help.plain_text
            .contains(&format!("@{}", api.bot_username())),
        "{}",
        help.plain_text
    );
    api.private_text(USER, USER, "/sources");
    let sources = expect_replies(&api, 3).await.remove(2);
    assert!(
        sources
            .plain_text
            .contains("《人工智能助力数字经济发展再上新台阶》"),
        "{}",
        sources.plain_text
    );
    assert!(sources.plain_text.contains("2024-11-21"));
    api.group_command(-5, USER, "/about");
    let about = expect_replies(&api, 4).await.remove(3);
    assert!(
        about.plain_text.contains("summit-bot"),
        "{}",
        about.plain_text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_and_odd_messages_get_clear_replies() {
    let api = api().await;
    let _bot = Bot::start(&api, &[]);
    api.private_text(
        USER,
        USER,
        "<b>蓝皮书</b>是哪个机构编写的？ & <script>\"x\"</script>",
    );
    api.private_text(USER + 1, USER + 1, "今天上海天气怎么样？");
    api.private_text(USER + 2, USER + 2, &"长".repeat(600));
    api.private_text(USER + 3, USER + 3, "😀🎉");
    api.private_text(USER + 4, USER + 4, "AND OR ( \" :");
    let sent = expect_replies(&api, 5).await;
    assert!(
        api.rejected().is_empty(),
        "Telegram rejected a reply: {:?}",
        api.rejected()
    );
    let to = |chat: i64| sent.iter().find(|m| m.chat_id == chat).unwrap();
    assert!(
        to(USER).plain_text.contains("中国网络空间研究院"),
        "{}",
        to(USER).plain_text
    );
    assert!(to(USER + 1).plain_text.contains("语料中没有找到相关内容"));
    assert!(!to(USER + 1).text.contains("blockquote"));
    assert!(
        to(USER + 2).plain_text.contains("问题太长"),
        "{}",
        to(USER + 2).plain_text
    );
    assert!(
        to(USER + 3).plain_text.contains("请输入"),
        "{}",
        to(USER + 3).plain_text
    );
    assert!(!to(USER + 4).text.contains("blockquote"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_and_server_faults_do_not_lose_replies() {
    let api = api().await;
    api.fail_next(
        "getUpdates",
        vec![Fault::Drop, Fault::Status(502), Fault::Conflict],
    );
    api.fail_next(
        "sendMessage",
        vec![Fault::RetryAfter(1), Fault::Drop, Fault::Status(500)],
    );
    let bot = Bot::start(&api, &[]);
    api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    api.private_text(USER + 1, USER + 1, "曹振南是谁？");
    let sent = api.wait_for_messages(2, Duration::from_secs(45)).await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(api.sent_messages().len(), 2, "no duplicates");
    let (status, log) = bot.terminate();
    assert!(status.success());
    assert!(
        log.contains("another instance is polling with this token"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_replies_in_flight_and_restart_repeats_nothing() {
    let api = api().await;
    let bot = Bot::start(&api, &[]);
    // Every reply is slow, so SIGTERM lands while they are in flight.
    api.fail_next(
        "sendMessage",
        (0..5)
            .map(|_| Fault::Delay(Duration::from_millis(800)))
            .collect(),
    );
    let mut last = 0;
    for chat in 0..5 {
        last = api.private_text(USER + chat, USER + chat, "领先科技奖一共有多少个项目获奖？");
    }
    // Wait until the bot has fetched them (a later getUpdates asks past them).
    let fetched = Instant::now();
    while api
        .calls("getupdates")
        .iter()
        .all(|c| c["offset"].as_i64().unwrap_or(0) <= last)
    {
        assert!(
            fetched.elapsed() < WAIT,
            "the bot never fetched the updates"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, log) = bot.terminate();
    assert!(status.success(), "{status:?}\n{log}");
    assert_eq!(
        api.sent_messages().len(),
        5,
        "all in-flight replies finished:\n{log}"
    );
    assert_eq!(
        api.confirmed_offset(),
        last + 1,
        "offset confirmed on the way out"
    );

    // A restart answers new questions and repeats none of the old ones.
    let bot = Bot::start(&api, &[]);
    api.private_text(USER + 9, USER + 9, "曹振南是谁？");
    let sent = expect_replies(&api, 6).await;
    let mut replied: Vec<_> = sent.iter().map(|m| (m.chat_id, m.reply_to)).collect();
    replied.sort();
    replied.dedup();
    assert_eq!(replied.len(), 6, "each question answered exactly once");
    drop(bot);
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_after_grace_period_answers_the_rest_exactly_once() {
    let api = api().await;
    let env = [("SUMMIT_TELEGRAM_SHUTDOWN_GRACE_SECS", "1")];
    let bot = Bot::start(&api, &env);
    // The first reply hangs past the grace period (and past this test: a reply
    // Telegram delivered after the bot gave up on it would be a duplicate no
    // bot can prevent); the others go out at once, so updates after the
    // unfinished one are answered before the stop.
    let mut faults = vec![Fault::Delay(Duration::from_secs(60))];
    faults.extend((0..5).map(|_| Fault::Delay(Duration::from_millis(1))));
    api.fail_next("sendMessage", faults);
    api.wait_for_calls("getUpdates", 1, WAIT).await;
    let first = api.private_text(USER, USER, "蓝皮书是哪个机构编写的？");
    api.wait_for_calls("sendMessage", 1, WAIT).await;
    let mut last = first;
    for chat in 1..5 {
        last = api.private_text(USER + chat, USER + chat, "曹振南是谁？");
    }
    api.wait_for_messages(4, WAIT).await;
    let (status, log) = bot.terminate();
    assert!(status.success(), "{log}");
    assert_eq!(
        api.confirmed_offset(),
        last + 1,
        "everything fetched is journaled, so all of it is confirmed:\n{log}"
    );
    let bot = Bot::start(&api, &env);
    let sent = api.wait_for_messages(5, WAIT).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent_now = api.sent_messages();
    let mut replied: Vec<_> = sent_now.iter().map(|m| m.reply_to).collect();
    replied.sort();
    let n = replied.len();
    replied.dedup();
    assert_eq!(
        replied.len(),
        n,
        "no question answered twice: {sent_now:#?}"
    );
    assert!(
        sent.len() >= 5 && replied.len() == 5,
        "every question answered: {sent_now:#?}"
    );
    assert!(api.confirmed_offset() <= last + 1);
    let (status, log) = bot.terminate();
    assert!(status.success(), "{log}");
}
