//! Long polling: getUpdates in a loop, each update queued on its chat's lane;
//! on stop, the offset of everything handled is confirmed so a restart neither
//! loses nor repeats an answer.

use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};

use super::delivery::{self, with_retries, Failure};
use super::lanes::Lanes;
use super::Stop;

/// The updates we ask Telegram for.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::InlineQuery,
        AllowedUpdate::CallbackQuery,
    ]
}

/// Polls until `stop`, queueing every update on `lanes`; returns the offset
/// after the last update fetched.
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
                for update in updates {
                    offset = update.id.as_offset();
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
pub async fn confirm_offset(bot: &Bot, offset: i32) {
    if offset == 0 {
        return;
    }
    let confirm = || bot.get_updates().offset(offset).limit(1).timeout(0).send();
    if let Err(err) = with_retries(5, confirm, |_| {}).await {
        tracing::error!(error = %err, offset, "could not confirm the offset; some updates may be answered again");
    }
}
