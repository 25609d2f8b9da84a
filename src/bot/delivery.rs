//! Getting a reply to Telegram despite rate limits and failures.
//!
//! Measured on teloxide 0.17 defaults: a plain `Bot` drops a reply on 429, 5xx
//! or a dropped connection. Here a send is retried until it succeeds, Telegram
//! says no for good (a permanent 4xx), or the retry budget is spent; 429s are
//! waited out as Telegram asks and do not use up that budget.

use std::future::Future;
use std::time::Duration;

use teloxide::{ApiError, RequestError};

use crate::ops::Metrics;

/// What to do after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Telegram asked us to wait (429).
    RateLimited(Duration),
    /// Network error, 5xx, unreadable response: try again later.
    Transient,
    /// The markup was rejected: send the plain-text version instead.
    BadMarkup,
    /// A 4xx that will not change on retry (blocked by the user, chat gone…).
    Permanent,
}

/// The kind of a failure, for logs and metrics.
pub fn kind(failure: Failure) -> &'static str {
    match failure {
        Failure::RateLimited(_) => "rate_limited",
        Failure::Transient => "transient",
        Failure::BadMarkup => "bad_markup",
        Failure::Permanent => "permanent",
    }
}

pub fn classify(err: &RequestError) -> Failure {
    match err {
        RequestError::RetryAfter(secs) => Failure::RateLimited(secs.duration()),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Failure::Transient
        }
        RequestError::MigrateToChatId(_) => Failure::Permanent,
        RequestError::Api(api) => classify_api(api),
    }
}

fn classify_api(err: &ApiError) -> Failure {
    match err {
        ApiError::CantParseEntities(_) => Failure::BadMarkup,
        // Telegram's 5xx and anything it has not described come as Unknown;
        // only a description that names a client error is final.
        ApiError::Unknown(description) => {
            let d = description.to_ascii_lowercase();
            if d.contains("can't parse entities") {
                Failure::BadMarkup
            } else if ["bad request", "forbidden", "unauthorized", "not found"]
                .iter()
                .any(|p| d.starts_with(p))
            {
                Failure::Permanent
            } else {
                Failure::Transient
            }
        }
        _ => Failure::Permanent,
    }
}

/// Delay before retry number `attempt` (1-based) of a transient failure:
/// 0.5 s doubling, at most 30 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(30_000))
}

/// Most 429s waited out for one request, so a stuck limiter cannot hold a
/// chat's queue forever.
const MAX_RATE_LIMIT_WAITS: u32 = 20;

/// Runs `send` until it succeeds or fails for good. `on_retry` sees every
/// failure that is retried (for logs and metrics).
pub async fn with_retries<T, F, Fut>(
    retries: u32,
    mut send: F,
    mut on_retry: impl FnMut(Failure),
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut transient = 0;
    let mut rate_limited = 0;
    loop {
        let err = match send().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let failure = classify(&err);
        let wait = match failure {
            Failure::RateLimited(wait) if rate_limited < MAX_RATE_LIMIT_WAITS => {
                rate_limited += 1;
                wait.max(Duration::from_millis(100))
            }
            Failure::Transient if transient < retries => {
                transient += 1;
                backoff(transient)
            }
            _ => return Err(err),
        };
        on_retry(failure);
        tokio::time::sleep(wait).await;
    }
}

/// [`with_retries`], with every retried and every final failure counted in
/// the metrics under `method` (the Bot API method name, e.g. `sendMessage`).
pub async fn counted<T, F, Fut>(
    metrics: &Metrics,
    method: &'static str,
    retries: u32,
    send: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let on_retry = |failure| metrics.api_failure(method, kind(failure), true);
    let result = with_retries(retries, send, on_retry).await;
    if let Err(err) = &result {
        metrics.api_failure(method, kind(classify(err)), false);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_telegram_errors() {
        let api = |s: &str| RequestError::Api(ApiError::Unknown(s.to_string()));
        assert_eq!(classify(&api("Internal Server Error")), Failure::Transient);
        assert_eq!(classify(&api("Bad Gateway")), Failure::Transient);
        assert_eq!(
            classify(&api("Bad Request: chat not found")),
            Failure::Permanent
        );
        assert_eq!(
            classify(&api("Bad Request: can't parse entities: unclosed tag")),
            Failure::BadMarkup
        );
        assert_eq!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            Failure::Permanent
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(50), Duration::from_secs(30));
    }
}
