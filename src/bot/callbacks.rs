//! Presses on the buttons under an answer, and replies to the "why 👎?" prompt.
//!
//! "更多来源" and "上下文" send a new reply to the answer rather than edit it:
//! the answer others in a group may be reading (or have quoted) stays as it
//! was, and each expansion can itself be replied to or forwarded. The more
//! message carries its own "更多来源" while sources remain, so the pages chain.
//! Both speak the language the button carries (that of the question answered),
//! so under an English answer every page is English but for the quotes.
//!
//! A suggestion under a declined question asks its article's title as a
//! question; the answer is a new reply to the declined one.
//!
//! Every press is answered with answerCallbackQuery (Telegram shows a spinner
//! until then); stale or forged data gets a short notice and nothing else.

use std::sync::Arc;
use std::time::Instant;

use teloxide::types::{
    CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyMarkup, User,
};

use super::access::Flood;
use super::buttons::{self, Action, DataError};
use super::context::BotContext;
use super::extras::chat_type;
use super::send::{self, toast};
use crate::feedback::{Record, Voter};
use crate::index::Passage;
use crate::messages;
use crate::render::{html, passages};
use crate::search::Engine;

pub const STALE: &str = "这个按钮已过期（资料已更新），请重新提问。";
pub const THANKS: &str = "感谢反馈！";
pub const THANKS_DOWN: &str = "感谢反馈！可以回复下面的消息说明原因。";
/// The prompt after a 👎; a reply to a message with exactly this text is a reason.
pub const REASON_PROMPT: &str = "可以回复这条消息说明原因（可选）";
pub const REASON_STORED: &str = "已记录，谢谢！";
/// Longest reason stored, in chars.
const REASON_CHARS: usize = 500;

/// Handles one press. Every press is counted against its user's flood
/// window; everything it shows comes from one engine snapshot.
pub async fn handle(ctx: &BotContext, query: CallbackQuery) {
    match ctx.access.press(query.from.id.0, Instant::now()) {
        Flood::Ask => {}
        verdict => {
            tracing::info!(
                user = query.from.id.0,
                ?verdict,
                "flood control: button press"
            );
            let notice = (verdict == Flood::SlowDown).then_some(messages::BUSY);
            toast(ctx, &query, notice).await;
            return;
        }
    }
    let engine = ctx.engine();
    let fingerprint = buttons::fingerprint(&engine);
    let data = query.data.as_deref().unwrap_or_default();
    let decoded = buttons::decode(
        data,
        &fingerprint,
        engine.index().passages.len(),
        &ctx.button_key,
    );
    let message = query.regular_message();
    let (action, message) = match (decoded, message) {
        (Ok(action), Some(message)) => (action, message),
        (Ok(_), None) => {
            // A press on a message we cannot see (too old, or inline): stale.
            toast(ctx, &query, Some(STALE)).await;
            return;
        }
        (Err(err), _) => {
            let reason = match err {
                DataError::Stale => "stale",
                DataError::Forged => "invalid",
            };
            ctx.ops.metrics.callback_rejected(reason);
            tracing::info!(error = %err, data_len = data.len(), "callback data rejected");
            let notice = match err {
                DataError::Stale => STALE,
                DataError::Forged => messages::BUTTON_INVALID,
            };
            toast(ctx, &query, Some(notice)).await;
            return;
        }
    };
    match action {
        Action::More(list, lang) => {
            toast(ctx, &query, None).await;
            let page = list.len().min(buttons::MORE_PAGE);
            let shown = list[..page].to_vec();
            let Some(markup_html) = read_passages(&engine, move |engine| {
                let shown: Vec<Arc<Passage>> =
                    shown.iter().filter_map(|&n| engine.passage(n)).collect();
                let shown: Vec<&Passage> = shown.iter().map(|p| &**p).collect();
                passages::more_sources(&shown, 1, lang)
            })
            .await
            else {
                return;
            };
            let keyboard = (page < list.len()).then(|| {
                ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(vec![vec![
                    buttons::more_button(&list[page..], lang, &fingerprint, &ctx.button_key),
                ]]))
            });
            send::reply(ctx, message, markup_html, keyboard).await;
        }
        Action::Context(n, lang) => {
            toast(ctx, &query, None).await;
            let markup_html = read_passages(&engine, move |engine| {
                let at = engine.passage(n)?;
                let (before, after) = engine.index().neighbours(n);
                Some(passages::context(
                    before.as_deref(),
                    &at,
                    after.as_deref(),
                    lang,
                ))
            })
            .await
            .flatten();
            if let Some(markup_html) = markup_html {
                send::reply(ctx, message, markup_html, None).await;
            }
        }
        Action::Vote {
            up,
            question,
            passages,
        } => vote(ctx, &engine, &query, message, up, question, passages).await,
        Action::Suggest(n) => {
            toast(ctx, &query, None).await;
            let started = Instant::now();
            let title = read_passages(&engine, move |engine| {
                engine.passage(n).map(|p| p.title.trim().to_string())
            })
            .await
            .flatten()
            .filter(|title| !title.is_empty());
            if let Some(title) = title {
                super::handler::answer_and_reply(ctx, &engine, message, title, None, started).await;
            }
        }
    }
}

/// Stores a 👍 / 👎. One vote per user per answer (a later press replaces
/// it), and at most one "why?" prompt per user per answer.
async fn vote(
    ctx: &BotContext,
    engine: &Arc<Engine>,
    query: &CallbackQuery,
    message: &Message,
    up: bool,
    question: String,
    shown: Vec<usize>,
) {
    let voter = Voter {
        chat: message.chat.id.0,
        message: i64::from(message.id.0),
        user: query.from.id.0,
    };
    let first_down = !up
        && ctx
            .access
            .first_prompt(voter.chat, voter.message, voter.user);
    let notice = if first_down { THANKS_DOWN } else { THANKS };
    toast(ctx, query, Some(notice)).await;
    let prompt = if first_down {
        ask_reason(ctx, message, &query.from).await
    } else {
        None
    };
    let passages = read_passages(engine, move |engine| {
        shown
            .iter()
            .filter_map(|&n| engine.passage(n).map(|p| p.id.clone()))
            .collect()
    })
    .await
    .unwrap_or_default();
    ctx.feedback.put(Record::Vote {
        up,
        question: asked_question(message, &question),
        question_hash: question,
        passages,
        chat_type: chat_type(&message.chat).to_string(),
        prompt,
        voter,
    });
}

/// Runs `read` on the blocking pool: passages of an on-disk index are read
/// from disk. `None` if the task failed (logged).
async fn read_passages<T, F>(engine: &Arc<Engine>, read: F) -> Option<T>
where
    T: Send + 'static,
    F: FnOnce(&Engine) -> T + Send + 'static,
{
    let engine = engine.clone();
    match tokio::task::spawn_blocking(move || read(&engine)).await {
        Ok(value) => Some(value),
        Err(err) => {
            tracing::error!(error = %err, "passage read failed");
            None
        }
    }
}

/// If `msg` replies to our reason prompt, stores it as the reason and thanks
/// the sender; returns whether it did (the message is then not a question).
pub async fn take_reason(ctx: &BotContext, msg: &Message) -> bool {
    let Some(prompt) = msg.reply_to_message() else {
        return false;
    };
    let ours = prompt.from.as_ref().is_some_and(|u| u.id == ctx.me.id);
    if !ours || !prompt.text().is_some_and(|t| t.ends_with(REASON_PROMPT)) {
        return false;
    }
    let Some(text) = msg.text() else {
        return false;
    };
    let text: String = text.trim().chars().take(REASON_CHARS).collect();
    if text.is_empty() {
        return false;
    }
    // Reasons count against the sender's flood window like questions.
    let sender = msg.from.as_ref().map_or(0, |u| u.id.0);
    match ctx.access.question(sender, Instant::now()) {
        Flood::Ask => {}
        Flood::SlowDown => {
            send::reply_text(ctx, msg, messages::BUSY).await;
            return true;
        }
        Flood::Drop => return true,
    }
    ctx.feedback.put(Record::Reason {
        prompt: (msg.chat.id.0, i64::from(prompt.id.0)),
        text,
    });
    send::reply_text(ctx, msg, REASON_STORED).await;
    true
}

/// Sends the optional-reason prompt under the answer; its (chat, message) id
/// links a later reply to the vote. In a group the prompt mentions the voter
/// so that the forced reply field opens for them alone (`selective`).
async fn ask_reason(ctx: &BotContext, answer: &Message, voter: &User) -> Option<(i64, i64)> {
    let private = answer.chat.is_private();
    let (text, mut force) = if private {
        (html::plain(REASON_PROMPT), ForceReply::new())
    } else {
        let text = html::mention(voter.id.0, &voter.first_name, REASON_PROMPT);
        (text, ForceReply::new().selective())
    };
    force = force.input_field_placeholder(Some("原因（可选）".to_string()));
    let sent = send::reply(ctx, answer, text, Some(ReplyMarkup::ForceReply(force))).await?;
    Some((sent.chat.id.0, i64::from(sent.id.0)))
}

/// The question the answer replied to, when Telegram included it and it is
/// the one the button was made for (else the log finds it by hash).
fn asked_question(answer: &Message, hash: &str) -> Option<String> {
    let text = answer.reply_to_message()?.text()?.trim();
    let after_command = text
        .strip_prefix('/')
        .and_then(|rest| rest.split_once(char::is_whitespace))
        .map(|(_, q)| q.trim());
    let after_mention = text
        .strip_prefix('@')
        .and_then(|rest| rest.split_once(char::is_whitespace))
        .map(|(_, q)| q.trim());
    [Some(text), after_command, after_mention]
        .into_iter()
        .flatten()
        .find(|q| buttons::question_hash(q) == hash)
        .map(str::to_string)
}
