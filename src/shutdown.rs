//! The stop signal: a watch flag that turns `true` on SIGTERM or SIGINT,
//! shared by the bot, the ops endpoint and the reloader.

use tokio::sync::watch;

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

/// Waits until `stop` is `true` (at once if it already is, or if the sender is gone).
pub async fn stopped(mut stop: Stop) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            return;
        }
    }
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
