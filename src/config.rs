//! Settings: `config/*.toml`, overridden by `SUMMIT_<SECTION>_<KEY>` environment
//! variables, overridden by command-line flags — parsed once into a checked
//! [`Config`] that the rest of the program trusts.
//!
//! The Telegram credentials are separate ([`Credentials`]): `ask`, `eval` and
//! `import` must work on a fresh clone with no token at all.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::index::IndexSettings;
use crate::search::SearchSettings;
use crate::semantic::SemanticSettings;

mod beyond;
mod ops;
pub use beyond::{FeedbackSettings, InlineSettings};
pub use ops::{AccessSettings, MetricsSettings, RawWebhook, WebhookSecret, WebhookSettings};

/// The settings file compiled into the binary, used when there is no
/// `config/default.toml` in the working directory and no `--config`.
pub const EMBEDDED_DEFAULT: &str = include_str!("../config/default.toml");

/// The sections of the settings file; an environment variable
/// `SUMMIT_<SECTION>_<KEY>` addresses one of their keys.
const SECTIONS: &[&str] = &[
    "metrics", "access", "webhook", "search", "telegram", "help", "feedback", "inline", "index",
    "semantic", "log",
];

/// A setting that cannot be used; one line, naming the file, variable or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "TELOXIDE_TOKEN is not set: create a bot with @BotFather and put its token in .env \
         (see .env.example); to try the answers without Telegram, run `summit-bot ask \"问题\"`"
    )]
    MissingToken,
    #[error("TELOXIDE_TOKEN does not look like a bot token (expected <digits>:<secret>)")]
    MalformedToken,
    #[error("TELOXIDE_API_URL is not a valid http(s) URL: {0}")]
    MalformedApiUrl(String),
}

impl ConfigError {
    fn invalid(origin: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            origin: origin.into(),
            message: message.into(),
        }
    }
}

/// How the bot behaves in groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupMode {
    /// Answer `/ask`, @mentions and replies to the bot; ignore other chatter.
    Mention,
    /// Never answer in groups.
    Off,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramSettings {
    pub extra_sources: usize,
    pub max_question_chars: usize,
    pub poll_timeout_secs: u32,
    pub group_mode: GroupMode,
    pub send_retries: u32,
    /// The update journal (SQLite, see `bot::journal`); its directory is the
    /// data directory (lock file, button key).
    pub state_file: PathBuf,
    /// How long SIGTERM waits for replies in flight before it gives up on them
    /// (they are then delivered again to the next start, not lost).
    pub shutdown_grace_secs: u64,
    /// How long a quiet chat keeps its ordered lane (a small task and queue)
    /// before it is dropped; a new message starts a new one.
    pub lane_idle_secs: u64,
    /// Searches run at once (each on a blocking thread, with its own model
    /// buffers); the rest wait their turn. 0 = one per CPU core.
    pub parallel_searches: usize,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        TelegramSettings {
            extra_sources: 2,
            max_question_chars: 500,
            poll_timeout_secs: 30,
            group_mode: GroupMode::Mention,
            send_retries: 8,
            state_file: PathBuf::from("data/summit-bot.state"),
            shutdown_grace_secs: 20,
            lane_idle_secs: 60,
            parallel_searches: 0,
        }
    }
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (coloured only when stderr is a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HelpSettings {
    pub examples: Vec<String>,
}

/// The settings file as written (before checks).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    corpus: Option<PathBuf>,
    #[serde(default)]
    search: SearchSettings,
    #[serde(default)]
    telegram: TelegramSettings,
    #[serde(default)]
    help: HelpSettings,
    #[serde(default)]
    metrics: MetricsSettings,
    #[serde(default)]
    access: AccessSettings,
    #[serde(default)]
    webhook: RawWebhook,
    #[serde(default)]
    feedback: FeedbackSettings,
    #[serde(default)]
    inline: InlineSettings,
    #[serde(default)]
    index: IndexSettings,
    #[serde(default)]
    semantic: SemanticSettings,
    #[serde(default)]
    log: LogSettings,
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub corpus: PathBuf,
    pub search: SearchSettings,
    pub telegram: TelegramSettings,
    pub help: HelpSettings,
    pub metrics: MetricsSettings,
    pub access: AccessSettings,
    /// Webhook mode when set; long polling otherwise.
    pub webhook: Option<WebhookSettings>,
    pub feedback: FeedbackSettings,
    pub inline: InlineSettings,
    /// Where the index is kept: on disk under `index.path`, or in RAM.
    pub index: IndexSettings,
    /// The multilingual-e5-small retriever: on/off, model file, vector cache.
    pub semantic: SemanticSettings,
    pub log: LogSettings,
}

impl Config {
    /// Loads `config_path` (or `config/default.toml`, or the embedded default),
    /// applies `SUMMIT_*` variables from `env`, then `corpus_flag`.
    pub fn load(
        config_path: Option<&Path>,
        corpus_flag: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (origin, text) = match config_path {
            Some(path) => (path.display().to_string(), read(path)?),
            None => {
                let local = Path::new("config/default.toml");
                if local.is_file() {
                    (local.display().to_string(), read(local)?)
                } else {
                    (
                        "(built-in config)".to_string(),
                        EMBEDDED_DEFAULT.to_string(),
                    )
                }
            }
        };
        let at_line = |e: &toml::de::Error| match e.span() {
            Some(span) => format!("{origin}:{}", text[..span.start].lines().count().max(1)),
            None => origin.clone(),
        };
        let mut table: toml::Table = toml::from_str(&text)
            .map_err(|e| ConfigError::invalid(at_line(&e), e.message().trim_end()))?;
        // A wrong type in the file is reported with its line (the table alone
        // has no positions).
        toml::from_str::<RawConfig>(&text)
            .map_err(|e| ConfigError::invalid(at_line(&e), e.message().trim_end()))?;
        // Then each variable on its own, so that an error names the variable
        // it came from rather than the file.
        let mut from_env: Vec<(String, String)> = Vec::new();
        for (name, value) in env {
            let Some(key) = apply_env(&mut table, &name, &value)? else {
                continue;
            };
            toml::Value::Table(table.clone())
                .try_into::<RawConfig>()
                .map_err(|e| {
                    ConfigError::invalid(&name, format!("{} ({key})", e.message().trim_end()))
                })?;
            from_env.push((key, name));
        }
        let raw: RawConfig = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::invalid(&origin, e.message().to_string()))?;
        let corpus = corpus_flag
            .map(Path::to_path_buf)
            .or(raw.corpus)
            .unwrap_or_else(|| PathBuf::from("corpus"));
        let config = Config {
            corpus: resolve_corpus(corpus),
            search: raw.search,
            telegram: raw.telegram,
            help: raw.help,
            metrics: raw.metrics,
            access: raw.access,
            webhook: ops::webhook(raw.webhook, &origin).map_err(|e| blame_env(e, &from_env))?,
            feedback: raw.feedback,
            inline: raw.inline,
            index: raw.index,
            semantic: raw.semantic,
            log: raw.log,
        };
        config
            .check(&origin)
            .and_then(|()| ops::check(&config.metrics, &config.access, &origin))
            .and_then(|()| beyond::check(&config.feedback, &config.inline, &origin))
            .map_err(|e| blame_env(e, &from_env))?;
        Ok(config)
    }

    fn check(&self, origin: &str) -> Result<(), ConfigError> {
        let s = &self.search;
        let t = &self.telegram;
        let bad =
            |key: &str, want: &str| ConfigError::invalid(origin, format!("{key} must be {want}"));
        if !(0.0..=1.0).contains(&s.min_relevance) {
            return Err(bad("search.min_relevance", "between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&s.min_keyword_coverage) {
            return Err(bad("search.min_keyword_coverage", "between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&s.min_extra_coverage) {
            return Err(bad("search.min_extra_coverage", "between 0 and 1"));
        }
        if !(1..=10).contains(&s.max_passages) {
            return Err(bad("search.max_passages", "from 1 to 10"));
        }
        if !(20..=1000).contains(&s.quote_chars) {
            return Err(bad("search.quote_chars", "from 20 to 1000"));
        }
        if !(1..=1000).contains(&s.candidates) {
            return Err(bad("search.candidates", "from 1 to 1000"));
        }
        if t.extra_sources > 4 {
            return Err(bad("telegram.extra_sources", "from 0 to 4"));
        }
        if !(1..=3000).contains(&t.max_question_chars) {
            return Err(bad("telegram.max_question_chars", "from 1 to 3000"));
        }
        if t.poll_timeout_secs > 50 {
            return Err(bad("telegram.poll_timeout_secs", "from 0 to 50"));
        }
        if t.send_retries > 20 {
            return Err(bad("telegram.send_retries", "from 0 to 20"));
        }
        if !(1..=3000).contains(&self.semantic.max_query_chars) {
            return Err(bad("semantic.max_query_chars", "from 1 to 3000"));
        }
        if t.shutdown_grace_secs > 3600 {
            return Err(bad("telegram.shutdown_grace_secs", "from 0 to 3600"));
        }
        if !(1..=86_400).contains(&t.lane_idle_secs) {
            return Err(bad("telegram.lane_idle_secs", "from 1 to 86400"));
        }
        if t.parallel_searches > 256 {
            return Err(bad("telegram.parallel_searches", "from 0 to 256"));
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// A relative corpus path is taken from the working directory; when it is not
/// there, from the source tree the binary was built in, so that
/// `target/release/summit-bot ask …` works from any directory of a checkout.
fn resolve_corpus(path: PathBuf) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path;
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join(&path);
    if built_in.exists() {
        built_in
    } else {
        path
    }
}

/// A checked value that came from the environment is blamed on its variable:
/// the checks name the key (`search.min_relevance must be …`), `from_env` maps
/// keys to the variables that set them.
fn blame_env(error: ConfigError, from_env: &[(String, String)]) -> ConfigError {
    match error {
        ConfigError::Invalid { origin, message } => {
            let variable = from_env.iter().rev().find(|(key, _)| {
                message.starts_with(key.as_str()) && message[key.len()..].starts_with([' ', ','])
            });
            match variable {
                Some((_, name)) => ConfigError::Invalid {
                    origin: name.clone(),
                    message,
                },
                None => ConfigError::Invalid { origin, message },
            }
        }
        other => other,
    }
}

/// Applies one `SUMMIT_*` variable to the settings table; returns the key it
/// set (`search.min_relevance`, or `corpus` for a top-level key).
fn apply_env(
    table: &mut toml::Table,
    name: &str,
    value: &str,
) -> Result<Option<String>, ConfigError> {
    let Some(rest) = name.strip_prefix("SUMMIT_") else {
        return Ok(None);
    };
    let rest = rest.to_ascii_lowercase();
    let parsed = parse_env_value(value);
    let section = SECTIONS.iter().find(|s| rest.starts_with(&format!("{s}_")));
    let dotted = match section {
        Some(section) => format!("{section}.{}", &rest[section.len() + 1..]),
        None => rest.clone(),
    };
    let (target, key) = match section {
        Some(section) => {
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(inner) = entry.as_table_mut() else {
                return Err(ConfigError::invalid(
                    name,
                    format!("[{section}] is not a table"),
                ));
            };
            (inner, rest[section.len() + 1..].to_string())
        }
        None => (table, rest),
    };
    if key.is_empty() {
        return Err(ConfigError::invalid(name, "names no setting"));
    }
    target.insert(key, parsed);
    Ok(Some(dotted))
}

/// An environment value as TOML (numbers, booleans, arrays) or else as a string.
fn parse_env_value(value: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

/// A bot token. Its `Debug` and `Display` never show the secret.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// What `serve` needs to talk to Telegram, from `TELOXIDE_TOKEN` and `TELOXIDE_API_URL`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Token,
    /// The Bot API base URL, ending in `/`; `None` = Telegram's own.
    pub api_url: Option<url::Url>,
}

impl Credentials {
    /// Reads and checks the credentials (teloxide's `Bot::from_env` panics on a
    /// malformed URL; this returns an error instead).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Credentials, ConfigError> {
        let token = get("TELOXIDE_TOKEN")
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if token.is_empty() {
            return Err(ConfigError::MissingToken);
        }
        let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !well_formed {
            return Err(ConfigError::MalformedToken);
        }
        let api_url = match get("TELOXIDE_API_URL").map(|u| u.trim().to_string()) {
            None => None,
            Some(u) if u.is_empty() => None,
            Some(raw) => Some(parse_api_url(&raw)?),
        };
        Ok(Credentials {
            token: Token(token),
            api_url,
        })
    }
}

fn parse_api_url(raw: &str) -> Result<url::Url, ConfigError> {
    let mut url = url::Url::parse(raw).map_err(|e| ConfigError::MalformedApiUrl(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::MalformedApiUrl(format!(
            "{raw} (need http:// or https:// and a host)"
        )));
    }
    // teloxide joins `bot<token>/<method>` onto this URL: without a trailing
    // slash the last path segment would be replaced.
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Environment pairs as `Config::load` takes them.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn embedded_default_loads() {
        let c = Config::load(None, None, Vec::new()).unwrap();
        assert_eq!(c.search.max_passages, 5);
        assert_eq!(c.telegram.max_question_chars, 500);
        assert_eq!(c.help.examples.len(), 3);
        assert!(c.semantic.enabled);
        assert_eq!(
            c.semantic.model_path,
            PathBuf::from("data/models/e5-small-q4.bin")
        );
    }

    #[test]
    fn errors_name_the_variable_or_the_file_line_they_come_from() {
        let message = |pairs: &[(&str, &str)]| {
            Config::load(None, None, env(pairs))
                .unwrap_err()
                .to_string()
        };
        // A wrong type from the environment: the variable, not the file.
        let m = message(&[("SUMMIT_SEARCH_MIN_RELEVANCE", "abc")]);
        assert!(m.starts_with("SUMMIT_SEARCH_MIN_RELEVANCE: "), "{m}");
        assert!(m.contains("search.min_relevance"), "{m}");
        // A value out of range from the environment: the variable too.
        let m = message(&[("SUMMIT_TELEGRAM_EXTRA_SOURCES", "9")]);
        assert!(
            m.starts_with("SUMMIT_TELEGRAM_EXTRA_SOURCES: telegram.extra_sources"),
            "{m}"
        );
        let m = message(&[("SUMMIT_METRICS_LISTEN", "nowhere")]);
        assert!(m.starts_with("SUMMIT_METRICS_LISTEN: "), "{m}");
        let m = message(&[("SUMMIT_WEBHOOK_URL", "http://x")]);
        assert!(m.starts_with("SUMMIT_WEBHOOK_URL: "), "{m}");
        // From a file: the file and the line of the key.
        let dir = std::env::temp_dir().join(format!("summit-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.toml");
        std::fs::write(
            &file,
            "[search]\nmax_passages = 5\nmin_relevance = \"abc\"\n",
        )
        .unwrap();
        let m = Config::load(Some(&file), None, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(m.starts_with(&format!("{}:3: ", file.display())), "{m}");
        std::fs::write(&file, "[search]\nquote_chars = 5\n").unwrap();
        let m = Config::load(Some(&file), None, Vec::new())
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with(&format!("{}: search.quote_chars", file.display())),
            "{m}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn log_format_is_a_setting() {
        let c = Config::load(None, None, env(&[("SUMMIT_LOG_FORMAT", "json")])).unwrap();
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(
            Config::load(None, None, Vec::new()).unwrap().log.format,
            LogFormat::Text
        );
        let m = Config::load(None, None, env(&[("SUMMIT_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(m.to_string().starts_with("SUMMIT_LOG_FORMAT: "), "{m}");
    }

    #[test]
    fn memory_bounds_follow_the_env_and_are_checked() {
        let c = Config::load(None, None, Vec::new()).unwrap();
        assert_eq!(c.telegram.lane_idle_secs, 60);
        assert_eq!(c.telegram.parallel_searches, 0);
        assert_eq!(c.access.max_tracked, 10_000);
        let c = Config::load(
            None,
            None,
            env(&[
                ("SUMMIT_TELEGRAM_LANE_IDLE_SECS", "5"),
                ("SUMMIT_TELEGRAM_PARALLEL_SEARCHES", "3"),
                ("SUMMIT_ACCESS_MAX_TRACKED", "500"),
            ]),
        )
        .unwrap();
        assert_eq!(c.telegram.lane_idle_secs, 5);
        assert_eq!(c.telegram.parallel_searches, 3);
        assert_eq!(c.access.max_tracked, 500);
        for (name, value, key) in [
            (
                "SUMMIT_TELEGRAM_LANE_IDLE_SECS",
                "0",
                "telegram.lane_idle_secs",
            ),
            (
                "SUMMIT_TELEGRAM_PARALLEL_SEARCHES",
                "1000",
                "telegram.parallel_searches",
            ),
            ("SUMMIT_ACCESS_MAX_TRACKED", "0", "access.max_tracked"),
        ] {
            let err = Config::load(None, None, env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(key), "{name}={value}: {err}");
        }
    }

    #[test]
    fn semantic_section_follows_the_env() {
        let c = Config::load(
            None,
            None,
            env(&[
                ("SUMMIT_SEMANTIC_ENABLED", "false"),
                ("SUMMIT_SEMANTIC_MODEL_PATH", "/srv/e5.bin"),
                ("SUMMIT_SEMANTIC_MAX_QUERY_CHARS", "120"),
            ]),
        )
        .unwrap();
        assert!(!c.semantic.enabled);
        assert_eq!(c.semantic.model_path, PathBuf::from("/srv/e5.bin"));
        assert_eq!(c.semantic.max_query_chars, 120);
        let err =
            Config::load(None, None, env(&[("SUMMIT_SEMANTIC_MAX_QUERY_CHARS", "0")])).unwrap_err();
        assert!(
            err.to_string().contains("semantic.max_query_chars"),
            "{err}"
        );
    }

    #[test]
    fn env_overrides_keys_and_rejects_unknown_ones() {
        let c = Config::load(
            None,
            None,
            env(&[
                ("SUMMIT_SEARCH_MIN_RELEVANCE", "0.6"),
                ("SUMMIT_CORPUS", "/tmp/x"),
                ("OTHER", "1"),
            ]),
        )
        .unwrap();
        assert_eq!(c.search.min_relevance, 0.6);
        assert_eq!(c.corpus, PathBuf::from("/tmp/x"));
        let err = Config::load(None, None, env(&[("SUMMIT_SEARCH_NOPE", "1")])).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err =
            Config::load(None, None, env(&[("SUMMIT_SEARCH_MIN_RELEVANCE", "7")])).unwrap_err();
        assert!(err.to_string().contains("min_relevance"), "{err}");
    }

    #[test]
    fn credentials_are_checked_and_never_shown() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(matches!(
            Credentials::from_env(get(&[])),
            Err(ConfigError::MissingToken)
        ));
        assert!(matches!(
            Credentials::from_env(get(&[("TELOXIDE_TOKEN", "nonsense")])),
            Err(ConfigError::MalformedToken)
        ));
        let err = Credentials::from_env(get(&[
            ("TELOXIDE_TOKEN", "123:abc-DEF"),
            ("TELOXIDE_API_URL", "not a url"),
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::MalformedApiUrl(_)));
        let ok = Credentials::from_env(get(&[
            ("TELOXIDE_TOKEN", "123:abc-DEF"),
            ("TELOXIDE_API_URL", "http://127.0.0.1:8081/tg"),
        ]))
        .unwrap();
        assert_eq!(ok.api_url.unwrap().as_str(), "http://127.0.0.1:8081/tg/");
        assert!(!format!("{:?}", ok.token).contains("abc"));
    }
}
