//! The Telegram service: long polling, per-chat ordered handling, replies that
//! survive rate limits and faults, and a shutdown that neither loses nor
//! repeats an answer.
//!
//! We run our own polling loop on teloxide's `Bot` rather than teloxide's
//! `Dispatcher`: its polling stream gives up confirming the offset when the
//! final getUpdates fails, and a restart then answers those updates twice.

mod access;
pub mod buttons;
mod callbacks;
mod context;
mod data_dir;
pub mod delivery;
mod error;
mod extras;
mod followup;
mod guard;
mod handler;
mod inline;
mod journal;
mod lanes;
mod polling;
pub mod route;
mod send;
mod webhook;

pub use context::BotContext;
pub use error::BotError;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;
use teloxide::{ApiError, RequestError};

use crate::config::{Config, Credentials};
use crate::ops::{self, Ops};
use crate::reload::{self, Reloader};
use crate::search::Engine;
use crate::shutdown::Stop;
use buttons::ButtonKey;
use data_dir::DataDir;
use journal::{Journal, JournalError};
use lanes::Lanes;
use route::{Command, Identity};

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
    // First of all: one process per data directory. A second one must not
    // even bind a port the first one uses.
    let data_dir = DataDir::lock(&config.telegram.state_file)?;
    let button_key = ButtonKey::new(data_dir.button_key()?);
    let journal_path = config.telegram.state_file.clone();
    let journal = tokio::task::spawn_blocking(move || Journal::open(&journal_path))
        .await
        .map_err(|e| BotError::Journal(JournalError::Task(e.to_string())))??;
    let journal = Arc::new(journal);
    let ops = Arc::new(Ops::new().map_err(|e| BotError::Metrics(e.to_string()))?);
    ops.metrics.corpus(&engine);
    let engine = Arc::new(ArcSwap::new(engine));
    // Listeners are bound before anything else, so a taken port fails the start.
    let endpoint = match config.metrics.addr() {
        Some(addr) => {
            let listener = ops::server::bind(addr)
                .await
                .map_err(|source| BotError::Listen { addr, source })?;
            tracing::info!(%addr, "serving /healthz and /metrics");
            Some(ops::server::spawn(
                listener,
                ops.clone(),
                engine.clone(),
                stop.clone(),
            ))
        }
        None => None,
    };
    let webhook_listener = match &config.webhook {
        Some(settings) => Some(webhook::bind(settings.listen).await?),
        None => None,
    };
    let reloader = Arc::new(
        Reloader::new(
            engine.clone(),
            config.corpus.clone(),
            config.search.clone(),
            ops.clone(),
        )
        .with_index(config.index.clone())
        .with_semantic(config.semantic.clone()),
    );
    let _triggers = reload::spawn_triggers(reloader.clone(), stop.clone());

    let raw = make_bot(&credentials, config.telegram.poll_timeout_secs)?;
    let Some(me) = get_me(&raw, &mut stop, &ops).await? else {
        return Ok(());
    };
    tracing::info!(username = %me.username, "connected to the Bot API");
    match &config.webhook {
        Some(settings) => webhook::register(&raw, settings, &ops).await?,
        None => prepare_polling(&raw, &ops).await,
    }
    register_commands(&raw, &ops).await;

    let lane_idle = Duration::from_secs(config.telegram.lane_idle_secs);
    let ctx = Arc::new(BotContext {
        bot: raw.clone().throttle(Limits::default()),
        searches: context::search_permits(config.telegram.parallel_searches),
        engine,
        me,
        access: access::Access::new(&config.access),
        reloader,
        ops: ops.clone(),
        feedback: crate::feedback::FeedbackStore::start(&config.feedback),
        button_key,
        config,
    });
    let (handler_ctx, handler_journal) = (ctx.clone(), journal.clone());
    let mut lanes = Lanes::new(
        move |update: Update| {
            let (ctx, journal) = (handler_ctx.clone(), handler_journal.clone());
            async move {
                let id = update.id.0;
                handler::handle_contained(&ctx, update).await;
                // Done, whatever the outcome: a panic was apologised for, and a
                // reply Telegram refused for good would fail again.
                if let Err(err) = journal::mark_done(&journal, id).await {
                    ctx.ops.metrics.journal_failure();
                    tracing::error!(update = id, %err, "cannot mark an update done; a restart repeats it");
                }
            }
        },
        lane_idle,
    );
    ops.set_ready();
    let (draining_ops, draining_stop) = (ops.clone(), stop.clone());
    tokio::spawn(async move {
        crate::shutdown::stopped(draining_stop).await;
        draining_ops.set_draining();
    });

    // What the last run left unfinished is handled first, whichever way the
    // updates arrive now; what this run leaves stays in the journal.
    let bot_id = ctx.me.id.0;
    match journal::blocking(&journal, move |j| {
        j.bind(bot_id)?;
        let pruned = j.prune()?;
        Ok((pruned, j.unfinished()?))
    })
    .await
    {
        Ok((pruned, unfinished)) => {
            if !unfinished.is_empty() {
                tracing::info!(
                    unfinished = unfinished.len(),
                    pruned,
                    "handling the updates the last run left unfinished"
                );
            }
            for update in unfinished {
                lanes.dispatch(update);
            }
        }
        Err(err) => {
            ops.metrics.journal_failure();
            tracing::error!(%err, "cannot read the update journal");
        }
    }
    let grace = Duration::from_secs(ctx.config.telegram.shutdown_grace_secs);
    match (webhook_listener, &ctx.config.webhook) {
        (Some(listener), Some(settings)) => {
            tracing::info!(listen = %settings.listen, path = %settings.path, "receiving updates by webhook");
            let (server, queue) = webhook::spawn(
                listener,
                settings,
                stop.clone(),
                journal.clone(),
                ops.clone(),
            );
            // Returns once the server stopped taking updates and all are on lanes.
            webhook::run(&mut lanes, queue).await;
            let _ = server.await;
            // The webhook stays set: other replicas share it.
            lanes.finish(grace).await;
            tracing::info!("stopped");
        }
        _ => {
            let mut stop_polling = stop.clone();
            let offset = polling::poll(
                &raw,
                ctx.config.telegram.poll_timeout_secs,
                &mut lanes,
                &mut stop_polling,
                &ops,
                &journal,
            )
            .await;
            lanes.finish(grace).await;
            // Everything fetched is in the journal: confirm it all.
            polling::confirm_offset(&raw, offset, &ops).await;
            tracing::info!(offset, "stopped");
        }
    }
    let feedback = ctx.clone();
    let _ =
        tokio::task::spawn_blocking(move || feedback.feedback.flush(Duration::from_secs(2))).await;
    drop(data_dir);
    if let Some(endpoint) = endpoint {
        let _ = tokio::time::timeout(Duration::from_secs(5), endpoint).await;
    }
    Ok(())
}

/// getMe, retried until it works or we are stopped; a rejected token is fatal.
async fn get_me(bot: &Bot, stop: &mut Stop, ops: &Ops) -> Result<Option<Identity>, BotError> {
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
                let kind = delivery::kind(delivery::classify(&err));
                ops.metrics.api_failure("getMe", kind, true);
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
async fn prepare_polling(bot: &Bot, ops: &Ops) {
    let metrics = &ops.metrics;
    let info = delivery::counted(metrics, "getWebhookInfo", 3, || {
        bot.get_webhook_info().send()
    })
    .await;
    if matches!(&info, Ok(info) if info.url.is_some()) {
        if let Err(err) =
            delivery::counted(metrics, "deleteWebhook", 3, || bot.delete_webhook().send()).await
        {
            tracing::warn!(error = %err, "deleteWebhook failed");
        }
    }
}

/// Registers [`Command`]'s table (the same one that parses) with setMyCommands.
async fn register_commands(bot: &Bot, ops: &Ops) {
    let commands = Command::bot_commands();
    let set = || bot.set_my_commands(commands.clone()).send();
    if let Err(err) = delivery::counted(&ops.metrics, "setMyCommands", 3, set).await {
        tracing::warn!(error = %err, "setMyCommands failed; commands will not be suggested");
    }
}
