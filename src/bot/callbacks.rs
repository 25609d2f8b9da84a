//! Presses on the buttons under an answer, and replies to the "why 👎?" prompt.
//!
//! "更多来源" and "上下文" send a new reply to the answer rather than edit it:
//! the answer others in a group may be reading (or have quoted) stays as it
//! was, and each expansion can itself be replied to or forwarded. The more
//! message carries its own "更多来源" while sources remain, so the pages chain.
//!
//! Every press is answered with answerCallbackQuery (Telegram shows a spinner
//! until then); stale or forged data gets a short notice and nothing else.

use std::sync::Arc;

use teloxide::types::{
    CallbackQuery, ForceReply, InlineKeyboardMarkup, Message, ReplyMarkup, User,
};

use super::buttons::{self, Action, DataError};
use super::context::BotContext;
use super::extras::chat_type;
use super::send::{self, toast};
use crate::feedback::Record;
use crate::index::Passage;
use crate::render::{html, passages};

pub const STALE: &str = "这个按钮已过期（资料已更新），请重新提问。";
pub const FORGED: &str = "无法识别这个按钮，请重新提问。";
pub const THANKS: &str = "感谢反馈！";
pub const THANKS_DOWN: &str = "感谢反馈！可以回复下面的消息说明原因。";
/// The prompt after a 👎; a reply to a message with exactly this text is a reason.
pub const REASON_PROMPT: &str = "可以回复这条消息说明原因（可选）";
pub const REASON_STORED: &str = "已记录，谢谢！";
/// Longest reason stored, in chars.
const REASON_CHARS: usize = 500;

/// Handles one press.
pub async fn handle(ctx: &BotContext, query: CallbackQuery) {
    let engine = ctx.engine();
    let fingerprint = buttons::fingerprint(&engine);
    let data = query.data.as_deref().unwrap_or_default();
    let decoded = buttons::decode(data, &fingerprint, engine.index().passages.len());
    let message = query.regular_message();
    let (action, message) = match (decoded, message) {
        (Ok(action), Some(message)) => (action, message),
        (Ok(_), None) => {
            // A press on a message we cannot see (too old, or inline): stale.
            toast(ctx, &query, Some(STALE)).await;
            return;
        }
        (Err(err), _) => {
            tracing::info!(error = %err, data_len = data.len(), "callback data rejected");
            let notice = match err {
                DataError::Stale => STALE,
                DataError::Forged => FORGED,
            };
            toast(ctx, &query, Some(notice)).await;
            return;
        }
    };
    match action {
        Action::More(list) => {
            toast(ctx, &query, None).await;
            let page = list.len().min(buttons::MORE_PAGE);
            let shown: Vec<Arc<Passage>> = list[..page]
                .iter()
                .filter_map(|&n| engine.passage(n))
                .collect();
            let shown: Vec<&Passage> = shown.iter().map(|p| &**p).collect();
            let html = passages::more_sources(&shown, 1);
            let keyboard = (page < list.len()).then(|| {
                InlineKeyboardMarkup::new(vec![vec![buttons::more_button(
                    &list[page..],
                    &fingerprint,
                )]])
            });
            send::reply(
                ctx,
                message,
                html,
                keyboard.map(ReplyMarkup::InlineKeyboard),
            )
            .await;
        }
        Action::Context(n) => {
            toast(ctx, &query, None).await;
            let Some(at) = engine.passage(n) else {
                return;
            };
            let (before, after) = engine.index().neighbours(n);
            let html = passages::context(before.as_deref(), &at, after.as_deref());
            send::reply(ctx, message, html, None).await;
        }
        Action::Vote {
            up,
            question,
            passages,
        } => {
            toast(ctx, &query, Some(if up { THANKS } else { THANKS_DOWN })).await;
            let prompt = if up {
                None
            } else {
                ask_reason(ctx, message, &query.from).await
            };
            ctx.feedback.put(Record::Vote {
                up,
                question: asked_question(message, &question),
                question_hash: question,
                passages: passages
                    .iter()
                    .filter_map(|&n| engine.passage(n).map(|p| p.id.clone()))
                    .collect(),
                chat_type: chat_type(&message.chat).to_string(),
                prompt,
            });
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
