//! The Telegram service: long polling, per-chat ordered handling, replies that
//! survive rate limits and faults, and a shutdown that neither loses nor
//! repeats an answer.
//!
//! We run our own polling loop on teloxide's `Bot` rather than teloxide's
//! `Dispatcher`: its polling stream gives up confirming the offset when the
//! final getUpdates fails, and a restart then answers those updates twice.

pub mod delivery;
mod handler;
mod lanes;
mod polling;
pub mod route;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use teloxide::adaptors::throttle::{Limits, Throttle};
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::config::{Config, Credentials};
use crate::search::Engine;
use delivery::with_retries;
use lanes::Lanes;
use route::Identity;

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
    /// The engine in use; a corpus reload swaps in a new one while questions
    /// in flight finish on the old.
    pub engine: Arc<ArcSwap<Engine>>,
    pub me: Identity,
    pub config: Config,
}

impl BotContext {
    /// The current engine (cheap: one atomic load and a reference count).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }
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
    let Some(me) = get_me(&raw, &mut stop).await? else {
        return Ok(());
    };
    tracing::info!(username = %me.username, "connected to the Bot API");
    prepare_polling(&raw).await;
    register_commands(&raw).await;

    let ctx = Arc::new(BotContext {
        bot: raw.clone().throttle(Limits::default()),
        engine: Arc::new(ArcSwap::new(engine)),
        me,
        config,
    });
    let handler_ctx = ctx.clone();
    let mut lanes = Lanes::new(move |update: Update| {
        let ctx = handler_ctx.clone();
        async move { handler::handle_update(&ctx, update).await }
    });

    let mut stop_polling = stop.clone();
    let offset = polling::poll(
        &raw,
        ctx.config.telegram.poll_timeout_secs,
        &mut lanes,
        &mut stop_polling,
    )
    .await;
    let unfinished = lanes.finish(SHUTDOWN_GRACE).await;
    let confirm = unfinished.map_or(offset, |id| id.min(offset));
    polling::confirm_offset(&raw, confirm).await;
    tracing::info!(offset = confirm, "stopped");
    Ok(())
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
                return Ok(Some(Identity {
                    id: me.user.id,
                    username,
                }));
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
    let commands: Vec<BotCommand> = route::COMMANDS
        .iter()
        .map(|(name, about)| BotCommand::new(*name, *about))
        .collect();
    if let Err(err) = with_retries(3, || bot.set_my_commands(commands.clone()).send(), |_| {}).await
    {
        tracing::warn!(error = %err, "setMyCommands failed; commands will not be suggested");
    }
}
