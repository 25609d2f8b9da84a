//! Webhook mode: Telegram POSTs each update to our URL (through the operator's
//! HTTPS proxy) and we queue it on the same per-chat lanes as long polling.
//!
//! A hand-written axum route rather than teloxide's `webhooks-axum`: that
//! server answers 200 before the update is safe, and only notices Ctrl-C when
//! the next update arrives. Ours answers 200 only once the update is in the
//! journal (so Telegram's redelivery covers a process killed before that), and
//! stops accepting as soon as the stop signal flips.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use teloxide::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::delivery::{self, with_retries};
use super::error::BotError;
use super::journal::{self, Journal};
use super::lanes::Lanes;
use super::polling;
use crate::config::{WebhookSecret, WebhookSettings};
use crate::ops::Ops;
use crate::shutdown::Stop;

/// The header Telegram sends the secret token in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates accepted but not yet on a lane; past it requests wait (backpressure).
const QUEUE: usize = 1024;

#[derive(Clone)]
struct Receiver {
    secret: Arc<WebhookSecret>,
    queue: mpsc::Sender<Update>,
    journal: Arc<Journal>,
    ops: Arc<Ops>,
}

pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BotError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| BotError::Listen { addr, source })
}

/// Tells Telegram where to deliver updates, with the secret it must echo.
/// Retried; failing that, the bot cannot receive anything and stops.
pub async fn register(bot: &Bot, settings: &WebhookSettings, ops: &Ops) -> Result<(), BotError> {
    let set = || {
        bot.set_webhook(settings.url.clone())
            .secret_token(settings.secret.expose().to_string())
            .allowed_updates(polling::allowed_updates())
            .send()
    };
    let on_retry = |failure| {
        ops.metrics
            .api_failure("setWebhook", delivery::kind(failure), true)
    };
    match with_retries(5, set, on_retry).await {
        Ok(_) => {
            tracing::info!(url = %settings.url, "webhook set");
            Ok(())
        }
        Err(err) => {
            let kind = delivery::kind(delivery::classify(&err));
            ops.metrics.api_failure("setWebhook", kind, false);
            Err(BotError::Webhook(err.to_string()))
        }
    }
}

/// Serves updates on `listener` at `path` until `stop`; each accepted update
/// goes to the returned queue, which closes once the server has stopped.
pub fn spawn(
    listener: TcpListener,
    settings: &WebhookSettings,
    stop: Stop,
    journal: Arc<Journal>,
    ops: Arc<Ops>,
) -> (JoinHandle<()>, mpsc::Receiver<Update>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let app = Router::new()
        .route(&settings.path, post(receive))
        .with_state(Receiver {
            secret: Arc::new(settings.secret.clone()),
            queue: tx,
            journal,
            ops,
        });
    let server = crate::ops::server::spawn_router(listener, app, stop, "webhook");
    (server, rx)
}

/// Feeds queued updates to the lanes until the server has stopped and the
/// queue is drained.
pub async fn run<H, Fut>(lanes: &mut Lanes<H>, mut queue: mpsc::Receiver<Update>)
where
    H: Fn(Update) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    while let Some(update) = queue.recv().await {
        lanes.dispatch(update);
        lanes.prune();
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same(given, r.secret.expose().as_bytes()) {
        tracing::warn!("webhook request without the right secret token rejected");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_str(&body) {
        Ok(update) => update,
        Err(err) => {
            // 200 all the same: Telegram would otherwise resend it forever and
            // hold back every later update.
            tracing::warn!(error = %err, "webhook body is not an update; ignored");
            return StatusCode::OK;
        }
    };
    let entry = update.clone();
    match journal::blocking(&r.journal, move |j| j.record_one(entry)).await {
        Ok(true) => {}
        // Known: handled already, or waiting in the journal since the start.
        Ok(_) => return StatusCode::OK,
        Err(err) => {
            // Not safe yet: let Telegram deliver it again later.
            r.ops.metrics.journal_failure();
            tracing::error!(%err, "cannot journal a webhook update; asking Telegram to resend");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    match r.queue.send(update).await {
        Ok(()) => StatusCode::OK,
        // Shutting down: it is journaled, so the next start answers it.
        Err(_) => StatusCode::OK,
    }
}

/// Compares secrets in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_comparison() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"ab"));
        assert!(!super::same(b"", b"a"));
    }
}
