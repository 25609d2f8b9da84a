//! What the bot does with one update: route it, answer it, deliver the reply.

use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardMarkup, LinkPreviewOptions, Message, ParseMode, ReplyParameters, UpdateKind,
};

use super::delivery::{self, with_retries, Failure};
use super::guard::{self, Screened};
use super::route::{self, Command, Intent};
use super::BotContext;
use crate::messages;
use crate::render::{self, html::Html};

/// Handles one update: messages, inline queries and button presses.
pub async fn handle_update(ctx: &BotContext, update: Update) {
    match update.kind {
        UpdateKind::Message(msg) => handle_message(ctx, &msg).await,
        // The allowlist holds for inline queries (by user) and button presses
        // (by chat) too; they get silence rather than a refusal.
        UpdateKind::InlineQuery(query) if ctx.access.allows(query.from.id.0 as i64) => {
            super::inline::handle(ctx, query).await
        }
        UpdateKind::CallbackQuery(query) if ctx.access.allows(callback_chat(&query)) => {
            super::callbacks::handle(ctx, query).await
        }
        _ => {}
    }
}

/// The chat a button press came from (its user, if the message is gone).
fn callback_chat(query: &teloxide::types::CallbackQuery) -> i64 {
    query
        .message
        .as_ref()
        .map_or(query.from.id.0 as i64, |m| m.chat().id.0)
}

async fn handle_message(ctx: &BotContext, msg: &Message) {
    let started = Instant::now();
    if let Some(text) = guard::admin(ctx, msg).await {
        return send_reply(ctx, msg, plain_html(&text), None).await;
    }
    if super::callbacks::take_reason(ctx, msg).await {
        return;
    }
    let intent = route::route(msg, &ctx.me, ctx.config.telegram.group_mode);
    let intent = match guard::screen(ctx, msg, intent) {
        Screened::Pass(intent) => intent,
        Screened::Reply(text) => return send_reply(ctx, msg, plain_html(text), None).await,
        Screened::Drop => return,
    };
    let mut keyboard = None;
    let html = match intent {
        Intent::Ignore => return,
        Intent::NonText => plain_html(messages::NON_TEXT),
        Intent::Command(command) => plain_html(&command_text(ctx, command)),
        Intent::Question(question) => {
            if question.chars().count() > ctx.config.telegram.max_question_chars {
                guard::rejected(ctx, msg, &question);
                plain_html(messages::TOO_LONG)
            } else {
                let (html, buttons) = answer_html(ctx, msg, question, started).await;
                keyboard = buttons;
                html
            }
        }
    };
    send_reply(ctx, msg, html, keyboard).await;
}

/// Searches off the async runtime (a search is CPU work) and renders the reply.
async fn answer_html(
    ctx: &BotContext,
    msg: &Message,
    question: String,
    started: Instant,
) -> (String, Option<InlineKeyboardMarkup>) {
    // One engine for search and rendering, even if a reload swaps it meanwhile.
    let engine = ctx.engine();
    let searcher = engine.clone();
    let passages = super::buttons::ANSWER_PASSAGES;
    let answer =
        match tokio::task::spawn_blocking(move || searcher.ask_with(&question, passages)).await {
            Ok(answer) => answer,
            Err(err) => {
                tracing::error!(error = %err, "search task failed");
                return (plain_html(messages::ERROR), None);
            }
        };
    tracing::info!(
        chat = msg.chat.id.0,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        top_score = answer.top_score(),
        outcome = ?answer.outcome,
        "question"
    );
    let render_ctx = render::Context {
        articles: &engine.index().articles,
        examples: &ctx.config.help.examples,
        bot_username: Some(&ctx.me.username),
    };
    let html = render::html::reply(&answer, &render_ctx, ctx.config.telegram.extra_sources);
    guard::answered(ctx, msg, &answer, started.elapsed());
    (html, super::extras::after_answer(ctx, &msg.chat, &answer))
}

pub fn plain_html(text: &str) -> String {
    let mut html = Html::new();
    html.text(text);
    html.into_markup()
}

fn command_text(ctx: &BotContext, command: Command) -> String {
    let engine = ctx.engine();
    let articles = &engine.index().articles;
    match command {
        Command::Start | Command::Help => {
            messages::help(articles, &ctx.config.help.examples, Some(&ctx.me.username))
        }
        Command::Sources => messages::coverage(articles),
        Command::About => messages::about(engine.index().passages.len(), articles.len()),
        Command::AskUsage => format!(
            "用法：/ask 问题，例如 /ask {}",
            ctx.config
                .help
                .examples
                .first()
                .map_or("乌镇峰会在哪里举行？", |s| s.as_str())
        ),
    }
}

/// Sends `html` as a reply to `msg`, with retries; if Telegram rejects the
/// markup, sends it again as plain text rather than losing it.
pub async fn send_reply(
    ctx: &BotContext,
    msg: &Message,
    html: String,
    reply_markup: Option<InlineKeyboardMarkup>,
) {
    let retries = ctx.config.telegram.send_retries;
    let chat = msg.chat.id;
    let reply_to = ReplyParameters::new(msg.id).allow_sending_without_reply();
    let no_preview = LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    };
    let log_retry = |failure: Failure| {
        ctx.ops
            .metrics
            .api_failure("sendMessage", delivery::kind(failure), true);
        tracing::warn!(
            chat = chat.0,
            kind = delivery::kind(failure),
            "sendMessage failed; retrying"
        )
    };
    let send_html = || {
        let mut request = ctx
            .bot
            .send_message(chat, html.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(reply_to.clone())
            .link_preview_options(no_preview.clone());
        if let Some(markup) = &reply_markup {
            request = request.reply_markup(markup.clone());
        }
        request.send()
    };
    let err = match with_retries(retries, send_html, log_retry).await {
        Ok(_) => return,
        Err(err) => err,
    };
    if delivery::classify(&err) == Failure::BadMarkup {
        count_lost(ctx, &err);
        tracing::error!(chat = chat.0, error = %err, "reply markup rejected; sending plain text");
        let plain = strip_markup(&html);
        let send_plain = || {
            ctx.bot
                .send_message(chat, plain.clone())
                .reply_parameters(reply_to.clone())
                .link_preview_options(no_preview.clone())
                .send()
        };
        if let Err(err) = with_retries(retries, send_plain, log_retry).await {
            count_lost(ctx, &err);
            tracing::error!(chat = chat.0, error = %err, "reply lost");
        }
    } else {
        count_lost(ctx, &err);
        tracing::error!(chat = chat.0, error = %err, "reply lost");
    }
}

/// Counts a send that failed for good (a markup rejection is counted too: it
/// is followed by the plain-text attempt, counted on its own).
fn count_lost(ctx: &BotContext, err: &teloxide::RequestError) {
    let kind = delivery::kind(delivery::classify(err));
    ctx.ops.metrics.api_failure("sendMessage", kind, false);
}

/// The visible text of our own markup (tags removed, entities decoded).
fn strip_markup(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
