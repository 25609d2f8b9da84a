//! The Telegram service: long polling, per-chat ordered handling, replies that
//! survive rate limits and faults, and a shutdown that neither loses nor
//! repeats an answer.
//!
//! We run our own polling loop on teloxide's `Bot` rather than teloxide's
//! `Dispatcher`: its polling stream gives up confirming the offset when the
//! final getUpdates fails, and a restart then answers those updates twice.

pub mod delivery;
mod lanes;
pub mod route;

use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::adaptors::throttle::{Limits, Throttle};
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, LinkPreviewOptions, Message, ParseMode, ReplyParameters,
    UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::config::{Config, Credentials};
use crate::messages;
use crate::render::{self, html::Html};
use crate::search::Engine;
use delivery::{with_retries, Failure};
use lanes::Lanes;
use route::{Command, Identity, Intent};

/// How long shutdown waits for replies in flight before it gives up on them
/// (they are then redelivered to the next run, not lost).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("Telegram rejected the bot token (401 Unauthorized); check TELOXIDE_TOKEN")]
    InvalidToken,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Everything a handler needs, shared by all lanes.
pub struct BotContext {
    /// Sends go through Telegram's rate limits (`Throttle`, innermost).
    pub bot: Throttle<Bot>,
    pub engine: Arc<Engine>,
    pub me: Identity,
    pub config: Config,
}

/// A stop signal: `true` once SIGTERM or SIGINT arrived.
pub type Stop = watch::Receiver<bool>;

/// Resolves on SIGTERM or SIGINT and flips the returned receiver to `true`.
pub fn stop_on_signals() -> Stop {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received: finishing replies in flight");
        let _ = tx.send(true);
    });
    rx
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Builds the teloxide `Bot` for `credentials`. The HTTP timeout must outlast
/// a long poll, or every quiet getUpdates would end in a client timeout.
pub fn make_bot(credentials: &Credentials, poll_timeout_secs: u32) -> Result<Bot, BotError> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(poll_timeout_secs) + 15))
        .build()
        .map_err(|e| BotError::Client(e.to_string()))?;
    let bot = Bot::with_client(credentials.token.expose(), client);
    Ok(match &credentials.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

/// Runs the bot until `stop` turns true, then shuts down gracefully.
pub async fn serve(
    config: Config,
    credentials: Credentials,
    engine: Arc<Engine>,
    mut stop: Stop,
) -> Result<(), BotError> {
    let raw = make_bot(&credentials, config.telegram.poll_timeout_secs)?;
    let Some(me) = get_me(&raw, &mut stop).await? else { return Ok(()) };
    tracing::info!(username = %me.username, "connected to the Bot API");
    prepare_polling(&raw).await;
    register_commands(&raw).await;

    let ctx = Arc::new(BotContext {
        bot: raw.clone().throttle(Limits::default()),
        engine,
        me,
        config,
    });
    let handler_ctx = ctx.clone();
    let mut lanes = Lanes::new(move |update: Update| {
        let ctx = handler_ctx.clone();
        async move { handle_update(&ctx, update).await }
    });

    let timeout = ctx.config.telegram.poll_timeout_secs;
    let mut offset: i32 = 0;
    let mut failures: u32 = 0;
    loop {
        if *stop.borrow() {
            break;
        }
        let request = raw
            .get_updates()
            .offset(offset)
            .timeout(timeout)
            .allowed_updates(vec![AllowedUpdate::Message]);
        let result = tokio::select! {
            biased;
            _ = stop.changed() => break,
            result = request.send() => result,
        };
        match result {
            Ok(updates) => {
                failures = 0;
                for update in updates {
                    offset = update.id.as_offset();
                    lanes.dispatch(update);
                }
                lanes.prune();
            }
            Err(err) => {
                failures += 1;
                log_polling_error(&err);
                let delay = match delivery::classify(&err) {
                    Failure::RateLimited(wait) => wait,
                    _ => delivery::backoff(failures),
                };
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }

    let unfinished = lanes.finish(SHUTDOWN_GRACE).await;
    let confirm = unfinished.map_or(offset, |id| id.min(offset));
    confirm_offset(&raw, confirm).await;
    tracing::info!(offset = confirm, "stopped");
    Ok(())
}

fn log_polling_error(err: &RequestError) {
    match err {
        RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => {
            tracing::error!("getUpdates: 409 Conflict: another instance is polling with this token")
        }
        _ => tracing::warn!(error = %err, "getUpdates failed; retrying"),
    }
}

/// getMe, retried until it works or we are stopped; a rejected token is fatal.
async fn get_me(bot: &Bot, stop: &mut Stop) -> Result<Option<Identity>, BotError> {
    let mut attempt = 0;
    loop {
        let result = tokio::select! {
            biased;
            _ = stop.changed() => return Ok(None),
            result = bot.get_me().send() => result,
        };
        match result {
            Ok(me) => {
                let username = me.user.username.clone().unwrap_or_default();
                return Ok(Some(Identity { id: me.user.id, username }));
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => return Err(BotError::InvalidToken),
            Err(err) => {
                attempt += 1;
                tracing::warn!(error = %err, "getMe failed; retrying");
                tokio::select! {
                    _ = stop.changed() => return Ok(None),
                    _ = tokio::time::sleep(delivery::backoff(attempt)) => {}
                }
            }
        }
    }
}

/// Long polling and a webhook exclude each other: remove a leftover webhook.
async fn prepare_polling(bot: &Bot) {
    let info = with_retries(3, || bot.get_webhook_info().send(), |_| {}).await;
    if matches!(&info, Ok(info) if info.url.is_some()) {
        if let Err(err) = with_retries(3, || bot.delete_webhook().send(), |_| {}).await {
            tracing::warn!(error = %err, "deleteWebhook failed");
        }
    }
}

async fn register_commands(bot: &Bot) {
    let commands: Vec<BotCommand> =
        route::COMMANDS.iter().map(|(name, about)| BotCommand::new(*name, *about)).collect();
    if let Err(err) = with_retries(3, || bot.set_my_commands(commands.clone()).send(), |_| {}).await {
        tracing::warn!(error = %err, "setMyCommands failed; commands will not be suggested");
    }
}

/// Confirms `offset` so Telegram forgets the handled updates (getUpdates with
/// that offset), retried: if this is lost, a restart answers them again.
async fn confirm_offset(bot: &Bot, offset: i32) {
    if offset == 0 {
        return;
    }
    let confirm = || bot.get_updates().offset(offset).limit(1).timeout(0).send();
    if let Err(err) = with_retries(5, confirm, |_| {}).await {
        tracing::error!(error = %err, offset, "could not confirm the offset; some updates may be answered again");
    }
}

/// Handles one update: messages only, for now.
async fn handle_update(ctx: &BotContext, update: Update) {
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
async fn answer_html(ctx: &BotContext, msg: &Message, question: String, started: Instant) -> String {
    let engine = ctx.engine.clone();
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
    let render_ctx = render::Context {
        articles: &ctx.engine.index().articles,
        examples: &ctx.config.help.examples,
        bot_username: Some(&ctx.me.username),
    };
    render::html::reply(&answer, &render_ctx, ctx.config.telegram.extra_sources)
}

fn plain_html(text: &str) -> String {
    let mut html = Html::new();
    html.text(text);
    html.into_markup()
}

fn command_text(ctx: &BotContext, command: Command) -> String {
    let articles = &ctx.engine.index().articles;
    match command {
        Command::Start | Command::Help => {
            messages::help(articles, &ctx.config.help.examples, Some(&ctx.me.username))
        }
        Command::Sources => messages::coverage(articles),
        Command::About => messages::about(ctx.engine.index().passages.len(), articles.len()),
        Command::AskUsage => format!("用法：/ask 问题，例如 /ask {}", ctx.config.help.examples.first().map_or("乌镇峰会在哪里举行？", |s| s.as_str())),
    }
}

/// Sends `html` as a reply to `msg`, with retries; if Telegram rejects the
/// markup, sends it again as plain text rather than losing it.
async fn send_reply(ctx: &BotContext, msg: &Message, html: String) {
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
        tracing::warn!(chat = chat.0, kind = delivery::kind(failure), "sendMessage failed; retrying")
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
    out.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}
