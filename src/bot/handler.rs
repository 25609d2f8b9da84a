//! What the bot does with one update: route it, answer it, deliver the reply.

use std::time::Instant;

use teloxide::prelude::*;
use teloxide::types::{LinkPreviewOptions, Message, ParseMode, ReplyParameters, UpdateKind};

use super::delivery::{self, with_retries, Failure};
use super::route::{self, Command, Intent};
use super::BotContext;
use crate::messages;
use crate::render::{self, html::Html};

/// Handles one update: messages only, for now.
pub async fn handle_update(ctx: &BotContext, update: Update) {
    if let UpdateKind::Message(msg) = update.kind {
        handle_message(ctx, &msg).await;
    }
}

async fn handle_message(ctx: &BotContext, msg: &Message) {
    let started = Instant::now();
    let intent = route::route(msg, &ctx.me, ctx.config.telegram.group_mode);
    let html = match intent {
        Intent::Ignore => return,
        Intent::NonText => plain_html(messages::NON_TEXT),
        Intent::Command(command) => plain_html(&command_text(ctx, command)),
        Intent::Question(question) => {
            if question.chars().count() > ctx.config.telegram.max_question_chars {
                plain_html(messages::TOO_LONG)
            } else {
                answer_html(ctx, msg, question, started).await
            }
        }
    };
    send_reply(ctx, msg, html).await;
}

/// Searches off the async runtime (a search is CPU work) and renders the reply.
async fn answer_html(
    ctx: &BotContext,
    msg: &Message,
    question: String,
    started: Instant,
) -> String {
    let engine = ctx.engine();
    let answer = match tokio::task::spawn_blocking(move || engine.ask(&question)).await {
        Ok(answer) => answer,
        Err(err) => {
            tracing::error!(error = %err, "search task failed");
            return plain_html(messages::ERROR);
        }
    };
    tracing::info!(
        chat = msg.chat.id.0,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        top_score = answer.top_score(),
        outcome = ?answer.outcome,
        "question"
    );
    let engine = ctx.engine();
    let render_ctx = render::Context {
        articles: &engine.index().articles,
        examples: &ctx.config.help.examples,
        bot_username: Some(&ctx.me.username),
    };
    render::html::reply(&answer, &render_ctx, ctx.config.telegram.extra_sources)
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
pub async fn send_reply(ctx: &BotContext, msg: &Message, html: String) {
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
        tracing::warn!(
            chat = chat.0,
            kind = delivery::kind(failure),
            "sendMessage failed; retrying"
        )
    };
    let send_html = || {
        ctx.bot
            .send_message(chat, html.clone())
            .parse_mode(ParseMode::Html)
            .reply_parameters(reply_to.clone())
            .link_preview_options(no_preview.clone())
            .send()
    };
    let err = match with_retries(retries, send_html, log_retry).await {
        Ok(_) => return,
        Err(err) => err,
    };
    if delivery::classify(&err) == Failure::BadMarkup {
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
            tracing::error!(chat = chat.0, error = %err, "reply lost");
        }
    } else {
        tracing::error!(chat = chat.0, error = %err, "reply lost");
    }
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
