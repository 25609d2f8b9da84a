//! Sending on a handler's behalf: replies (retried, counted by method, sent
//! again as plain text when Telegram rejects the markup) and the answers to
//! button presses. Handlers, button presses and inline mode all send here.

use std::future::Future;

use teloxide::prelude::*;
use teloxide::types::{
    CallbackQuery, LinkPreviewOptions, Message, ParseMode, ReplyMarkup, ReplyParameters, ThreadId,
};
use teloxide::RequestError;

use super::context::BotContext;
use super::delivery::{self, Failure};
use crate::render::html;

/// Runs one Bot API call for `method` with the configured retries; every
/// retried and failed attempt is counted in the metrics.
pub async fn call<T, F, Fut>(
    ctx: &BotContext,
    method: &'static str,
    send: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let retries = ctx.config.telegram.send_retries;
    delivery::counted(&ctx.ops.metrics, method, retries, send).await
}

/// Replies to `msg` with `text` as plain text.
pub async fn reply_text(ctx: &BotContext, msg: &Message, text: &str) -> Option<Message> {
    reply(ctx, msg, html::plain(text), None).await
}

/// The forum topic `msg` was posted in, if any: a reply goes there too. Set
/// explicitly rather than left to the reply, because a reply sent after its
/// question was deleted (`allow_sending_without_reply`) would otherwise land
/// in the forum's General topic. Only for topic messages: in other
/// supergroups `message_thread_id` names a reply chain, not a place to post.
pub fn topic_of(msg: &Message) -> Option<ThreadId> {
    msg.thread_id.filter(|_| msg.is_topic_message)
}

/// Sends `markup_html` as a reply to `msg` (in its forum topic, if any); if
/// Telegram rejects the markup, sends its visible text instead rather than
/// losing the reply. Returns the message sent, or `None` when the reply is
/// lost (logged and counted).
pub async fn reply(
    ctx: &BotContext,
    msg: &Message,
    markup_html: String,
    keyboard: Option<ReplyMarkup>,
) -> Option<Message> {
    let chat = msg.chat.id;
    let topic = topic_of(msg);
    let reply_to = ReplyParameters::new(msg.id).allow_sending_without_reply();
    let no_preview = LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    };
    let send_html = || {
        let mut request = ctx
            .bot
            .send_message(chat, markup_html.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(reply_to.clone())
            .link_preview_options(no_preview.clone());
        if let Some(keyboard) = &keyboard {
            request = request.reply_markup(keyboard.clone());
        }
        if let Some(topic) = topic {
            request = request.message_thread_id(topic);
        }
        request.send()
    };
    let err = match call(ctx, "sendMessage", send_html).await {
        Ok(sent) => return Some(sent),
        Err(err) => err,
    };
    if delivery::classify(&err) != Failure::BadMarkup {
        tracing::error!(chat = chat.0, error = %err, "reply lost");
        return None;
    }
    tracing::error!(chat = chat.0, error = %err, "reply markup rejected; sending plain text");
    let plain = html::visible_text(&markup_html);
    let send_plain = || {
        let mut request = ctx
            .bot
            .send_message(chat, plain.clone())
            .reply_parameters(reply_to.clone())
            .link_preview_options(no_preview.clone());
        if let Some(topic) = topic {
            request = request.message_thread_id(topic);
        }
        request.send()
    };
    match call(ctx, "sendMessage", send_plain).await {
        Ok(sent) => Some(sent),
        Err(err) => {
            tracing::error!(chat = chat.0, error = %err, "reply lost");
            None
        }
    }
}

/// answerCallbackQuery, with `text` as a toast (never an alert: nothing here
/// needs confirming). A failure is logged and counted: the press itself is
/// already handled.
pub async fn toast(ctx: &BotContext, query: &CallbackQuery, text: Option<&str>) {
    let answer = || {
        let mut request = ctx.bot.answer_callback_query(query.id.clone());
        if let Some(text) = text {
            request = request.text(text).show_alert(false);
        }
        request.send()
    };
    if let Err(err) = call(ctx, "answerCallbackQuery", answer).await {
        tracing::warn!(error = %err, "answerCallbackQuery failed");
    }
}
