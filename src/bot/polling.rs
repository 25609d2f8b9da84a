//! Long polling: getUpdates in a loop, each update queued on its chat's lane;
//! on stop, the offset of everything handled is confirmed so a restart neither
//! loses nor repeats an answer.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};

use super::delivery::{self, Failure};
use super::lanes::Lanes;
use crate::shutdown::Stop;

/// The updates we ask Telegram for.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::InlineQuery,
        AllowedUpdate::CallbackQuery,
    ]
}

/// Most updates a poll asks for again while they are in flight (out of the
/// 100 a getUpdates returns), so that new ones always fit in the answer.
const MAX_LAG: i32 = 50;

/// Pause before asking again when a poll brought nothing new.
const REPOLL_DELAY: Duration = Duration::from_millis(200);

/// Polls until `stop`, queueing every update on `lanes`; returns the offset
/// after the last update fetched.
///
/// Telegram forgets every update below the offset of a getUpdates call, so
/// asking past an update that is still being answered would lose it if the
/// process died. We ask from the oldest unfinished update instead (at most
/// [`MAX_LAG`] back), and skip the updates that come back a second time while
/// they are in flight.
pub async fn poll<H, Fut>(
    raw: &Bot,
    timeout: u32,
    lanes: &mut Lanes<H>,
    stop: &mut Stop,
    ops: &crate::ops::Ops,
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
        // Never lag more than MAX_LAG updates behind, or one slow chat (a group
        // at Telegram's 20 messages a minute) would keep everyone else's new
        // updates from being fetched.
        let from = lanes.oldest_pending().map_or(offset, |oldest| {
            oldest.clamp(offset.saturating_sub(MAX_LAG), offset)
        });
        let request = raw
            .get_updates()
            .offset(from)
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
                let mut fresh = false;
                for update in updates {
                    // Below `offset` = fetched before, still in flight or just done.
                    if update.id.as_offset() > offset {
                        offset = update.id.as_offset();
                        fresh = true;
                        lanes.dispatch(update);
                    }
                }
                lanes.prune();
                if !fresh && lanes.oldest_pending().is_some() {
                    // Only updates in flight came back (Telegram answers at once
                    // while any is unconfirmed): give them time to finish.
                    tokio::select! {
                        _ = stop.changed() => break,
                        _ = tokio::time::sleep(REPOLL_DELAY) => {}
                    }
                }
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
pub async fn confirm_offset(bot: &Bot, offset: i32, ops: &crate::ops::Ops) {
    if offset == 0 {
        return;
    }
    let confirm = || bot.get_updates().offset(offset).limit(1).timeout(0).send();
    if let Err(err) = delivery::counted(&ops.metrics, "getUpdates", 5, confirm).await {
        tracing::error!(error = %err, offset, "could not confirm the offset; some updates may be answered again");
    }
}
