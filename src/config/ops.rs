//! Settings for running the bot unattended: the metrics listener, who may use
//! the bot, and webhook mode. Raw sections as written, and their checked forms.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Deserializer};

use super::ConfigError;

/// `[metrics]`: where `/healthz` and `/metrics` are served (off when unset).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    #[serde(deserialize_with = "optional_text")]
    pub listen: Option<String>,
}

impl MetricsSettings {
    /// The checked listen address.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.listen.as_deref().and_then(|s| s.parse().ok())
    }
}

/// `[access]`: who may ask, who administers, and how fast one may ask.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessSettings {
    /// Chat ids served; empty = every chat.
    pub allowed_chats: Vec<i64>,
    /// User ids allowed /reload and /stats.
    pub admins: Vec<u64>,
    /// Questions one user may ask per window before being asked to slow down.
    pub flood_max_questions: u32,
    pub flood_window_secs: u64,
    /// Entries each in-memory table holds at most (users in flood windows,
    /// refused chats, "why 👎?" prompts sent); past it the least recently
    /// seen are forgotten, which errs on the side of answering.
    pub max_tracked: usize,
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            allowed_chats: Vec::new(),
            admins: Vec::new(),
            flood_max_questions: 8,
            flood_window_secs: 30,
            max_tracked: 10_000,
        }
    }
}

impl AccessSettings {
    pub fn allowed_set(&self) -> HashSet<i64> {
        self.allowed_chats.iter().copied().collect()
    }

    pub fn admin_set(&self) -> HashSet<u64> {
        self.admins.iter().copied().collect()
    }
}

/// `[webhook]` as written: all three keys or none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawWebhook {
    #[serde(deserialize_with = "optional_text")]
    pub url: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub listen: Option<String>,
    #[serde(deserialize_with = "optional_text")]
    pub secret: Option<String>,
}

/// The webhook secret (Telegram echoes it in `X-Telegram-Bot-Api-Secret-Token`).
/// Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Checked webhook mode: Telegram posts updates to `url`, a proxy forwards them
/// to `listen`, and we serve them at `path` (the path of `url`).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: url::Url,
    pub listen: SocketAddr,
    pub secret: WebhookSecret,
    pub path: String,
}

/// Accepts a string, or a number/bool an environment variable turned into one
/// (an all-digit secret arrives as a TOML integer); an empty string is unset.
fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        I(i64),
        F(f64),
        B(bool),
    }
    let text = match Option::<Text>::deserialize(d)? {
        None => return Ok(None),
        Some(Text::S(s)) => s,
        Some(Text::I(i)) => i.to_string(),
        Some(Text::F(f)) => f.to_string(),
        Some(Text::B(b)) => b.to_string(),
    };
    let text = text.trim().to_string();
    Ok((!text.is_empty()).then_some(text))
}

/// Checks `[metrics]` and `[access]`.
pub fn check(
    metrics: &MetricsSettings,
    access: &AccessSettings,
    origin: &str,
) -> Result<(), ConfigError> {
    if let Some(listen) = &metrics.listen {
        if listen.parse::<SocketAddr>().is_err() {
            return Err(ConfigError::invalid(
                origin,
                format!("metrics.listen must be an address like 127.0.0.1:9464, not `{listen}`"),
            ));
        }
    }
    if access.flood_max_questions == 0 || access.flood_max_questions > 1000 {
        return Err(ConfigError::invalid(
            origin,
            "access.flood_max_questions must be from 1 to 1000",
        ));
    }
    if access.flood_window_secs == 0 || access.flood_window_secs > 86_400 {
        return Err(ConfigError::invalid(
            origin,
            "access.flood_window_secs must be from 1 to 86400",
        ));
    }
    if !(100..=10_000_000).contains(&access.max_tracked) {
        return Err(ConfigError::invalid(
            origin,
            "access.max_tracked must be from 100 to 10000000",
        ));
    }
    Ok(())
}

/// Checks `[webhook]`: none of the keys (polling) or all three, valid.
pub fn webhook(raw: RawWebhook, origin: &str) -> Result<Option<WebhookSettings>, ConfigError> {
    let bad = |message: String| ConfigError::invalid(origin, message);
    let (url, listen, secret) = match (raw.url, raw.listen, raw.secret) {
        (None, None, None) => return Ok(None),
        (Some(url), Some(listen), Some(secret)) => (url, listen, secret),
        _ => {
            return Err(bad(
                "webhook.url, webhook.listen and webhook.secret (SUMMIT_WEBHOOK_URL, \
                 SUMMIT_WEBHOOK_LISTEN, SUMMIT_WEBHOOK_SECRET) must be set together, or none"
                    .to_string(),
            ))
        }
    };
    let url = url::Url::parse(&url)
        .ok()
        .filter(|u| u.scheme() == "https" && u.host().is_some())
        .ok_or_else(|| {
            bad(format!(
                "webhook.url must be a public https:// URL, not `{url}`"
            ))
        })?;
    let listen: SocketAddr = listen.parse().map_err(|_| {
        bad(format!(
            "webhook.listen must be an address like 0.0.0.0:8443, not `{listen}`"
        ))
    })?;
    let secret_ok = (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !secret_ok {
        // The secret itself is not repeated in the message: it may be half right.
        return Err(bad(
            "webhook.secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -".to_string(),
        ));
    }
    let path = url.path().to_string();
    Ok(Some(WebhookSettings {
        url,
        listen,
        secret: WebhookSecret(secret),
        path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: Option<&str>, listen: Option<&str>, secret: Option<&str>) -> RawWebhook {
        RawWebhook {
            url: url.map(str::to_string),
            listen: listen.map(str::to_string),
            secret: secret.map(str::to_string),
        }
    }

    #[test]
    fn webhook_needs_all_three_valid_keys() {
        assert!(webhook(raw(None, None, None), "x").unwrap().is_none());
        let ok = webhook(
            raw(
                Some("https://bot.example.org/tg"),
                Some("0.0.0.0:8443"),
                Some("s3cr-et_"),
            ),
            "x",
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.path, "/tg");
        assert!(!format!("{ok:?}").contains("s3cr"));
        for (u, l, s) in [
            (Some("https://a.org/tg"), None, Some("s")),
            (Some("http://a.org/tg"), Some("0.0.0.0:1"), Some("s")),
            (Some("https://a.org/tg"), Some("8443"), Some("s")),
            (
                Some("https://a.org/tg"),
                Some("0.0.0.0:1"),
                Some("bad secret!"),
            ),
        ] {
            assert!(webhook(raw(u, l, s), "x").is_err(), "{u:?} {l:?} {s:?}");
        }
    }
}
