//! Long polling: getUpdates in a loop; each batch is journaled before the
//! next getUpdates confirms it, then queued on its chats' lanes. On stop, the
//! offset after everything fetched is confirmed: what is unfinished is in the
//! journal, not in Telegram's queue.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};

use super::delivery::{self, Failure};
use super::journal::{self, Journal};
use super::lanes::Lanes;
use crate::ops::Ops;
use crate::shutdown::Stop;

/// The updates we ask Telegram for.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::InlineQuery,
        AllowedUpdate::CallbackQuery,
    ]
}

/// Polls until `stop`, journaling every batch and queueing its new updates
/// on `lanes`; returns the offset after the last update fetched.
///
/// Telegram forgets every update below the offset of a getUpdates call, so a
/// batch is written to the journal (durably) before the next call asks past
/// it. Updates the journal already knows — handled before a crash, or waiting
/// since the start — are not queued again.
pub async fn poll<H, Fut>(
    raw: &Bot,
    timeout: u32,
    lanes: &mut Lanes<H>,
    stop: &mut Stop,
    ops: &Ops,
    journal: &Arc<Journal>,
) -> i32
where
    H: Fn(Update) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
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
            .allowed_updates(allowed_updates());
        let result = tokio::select! {
            biased;
            _ = stop.changed() => break,
            result = request.send() => result,
        };
        match result {
            Ok(updates) => {
                failures = 0;
                if let Some(last) = updates.iter().map(|u| u.id.as_offset()).max() {
                    offset = offset.max(last);
                }
                for update in journaled(journal, updates, ops).await {
                    lanes.dispatch(update);
                }
                lanes.prune();
            }
            Err(err) => {
                failures += 1;
                log_polling_error(&err);
                let failure = delivery::classify(&err);
                ops.metrics
                    .api_failure("getUpdates", delivery::kind(failure), true);
                let delay: Duration = match failure {
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
    offset
}

/// Journals `updates` and returns the new ones. If the journal cannot be
/// written they are all returned: answered, but not crash-safe (counted).
async fn journaled(journal: &Arc<Journal>, updates: Vec<Update>, ops: &Ops) -> Vec<Update> {
    if updates.is_empty() {
        return updates;
    }
    let batch = updates.clone();
    match journal::blocking(journal, move |j| j.record(&batch)).await {
        Ok(fresh) => updates
            .into_iter()
            .zip(fresh)
            .filter_map(|(update, new)| {
                if !new {
                    tracing::info!(update = update.id.0, "journaled before; not queued again");
                }
                new.then_some(update)
            })
            .collect(),
        Err(err) => {
            ops.metrics.journal_failure();
            tracing::error!(%err, "cannot journal updates; answering them unprotected");
            updates
        }
    }
}

fn log_polling_error(err: &RequestError) {
    match err {
        RequestError::Api(ApiError::TerminatedByOtherGetUpdates) => {
            tracing::error!("getUpdates: 409 Conflict: another instance is polling with this token")
        }
        _ => tracing::warn!(error = %err, "getUpdates failed; retrying"),
    }
}

/// Confirms `offset` so Telegram forgets the handled updates (getUpdates with
/// that offset), retried: if this is lost, a restart answers them again.
pub async fn confirm_offset(bot: &Bot, offset: i32, ops: &Ops) {
    if offset == 0 {
        return;
    }
    let confirm = || bot.get_updates().offset(offset).limit(1).timeout(0).send();
    if let Err(err) = delivery::counted(&ops.metrics, "getUpdates", 5, confirm).await {
        tracing::error!(error = %err, offset, "could not confirm the offset; some updates may be answered again");
    }
}
