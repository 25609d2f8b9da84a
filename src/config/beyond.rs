//! Settings of the features past plain answering (issue 5): the feedback and
//! question log (`[feedback]`) and inline mode (`[inline]`).

use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

/// `[feedback]`: where 👍 / 👎 and the question log go.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackSettings {
    /// The SQLite file; its parent directory is created. A path that cannot be
    /// written only costs the log: the bot answers all the same.
    pub db_path: PathBuf,
    /// Also log every question and whether it was answered (what `report`
    /// ranks unanswered questions from). 👍 / 👎 are stored either way.
    pub store_questions: bool,
    /// Logged questions older than this many days are deleted.
    pub retain_days: u32,
}

impl Default for FeedbackSettings {
    fn default() -> Self {
        FeedbackSettings {
            db_path: PathBuf::from("data/summit-bot.db"),
            store_questions: true,
            retain_days: 90,
        }
    }
}

/// `[inline]`: `@bot 问题` typed in any chat.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InlineSettings {
    /// How long Telegram may cache the results of one query text.
    pub cache_time_secs: u32,
    /// Results per answerInlineQuery; the rest come with `next_offset`.
    pub results_per_page: usize,
}

impl Default for InlineSettings {
    fn default() -> Self {
        InlineSettings {
            cache_time_secs: 300,
            results_per_page: 10,
        }
    }
}

/// Checks both sections against what Telegram and SQLite accept.
pub fn check(
    feedback: &FeedbackSettings,
    inline: &InlineSettings,
    origin: &str,
) -> Result<(), ConfigError> {
    let bad = |key: &str, want: &str| ConfigError::invalid(origin, format!("{key} must be {want}"));
    if feedback.db_path.as_os_str().is_empty() {
        return Err(bad("feedback.db_path", "a file path"));
    }
    if feedback.retain_days == 0 {
        return Err(bad("feedback.retain_days", "at least 1"));
    }
    // Telegram caps cache_time at a day in practice; a week is clearly a typo.
    if inline.cache_time_secs > 86_400 {
        return Err(bad("inline.cache_time_secs", "from 0 to 86400"));
    }
    if !(1..=50).contains(&inline.results_per_page) {
        return Err(bad("inline.results_per_page", "from 1 to 50"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::tests::env;
    use crate::config::Config;

    #[test]
    fn defaults_and_env_overrides() {
        let c = Config::load(None, None, Vec::new()).unwrap();
        assert_eq!(c.feedback.db_path.to_str(), Some("data/summit-bot.db"));
        assert!(c.feedback.store_questions);
        assert_eq!(c.inline.cache_time_secs, 300);
        let c = Config::load(
            None,
            None,
            env(&[
                ("SUMMIT_FEEDBACK_DB_PATH", "/tmp/x.db"),
                ("SUMMIT_FEEDBACK_STORE_QUESTIONS", "false"),
                ("SUMMIT_INLINE_CACHE_TIME_SECS", "5"),
                ("SUMMIT_INLINE_RESULTS_PER_PAGE", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(c.feedback.db_path.to_str(), Some("/tmp/x.db"));
        assert!(!c.feedback.store_questions);
        assert_eq!(
            (c.inline.cache_time_secs, c.inline.results_per_page),
            (5, 3)
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        for (name, value, key) in [
            (
                "SUMMIT_INLINE_RESULTS_PER_PAGE",
                "0",
                "inline.results_per_page",
            ),
            (
                "SUMMIT_INLINE_RESULTS_PER_PAGE",
                "51",
                "inline.results_per_page",
            ),
            (
                "SUMMIT_INLINE_CACHE_TIME_SECS",
                "999999",
                "inline.cache_time_secs",
            ),
            ("SUMMIT_FEEDBACK_DB_PATH", "\"\"", "feedback.db_path"),
            ("SUMMIT_FEEDBACK_NOPE", "1", "nope"),
        ] {
            let err = Config::load(None, None, env(&[(name, value)])).unwrap_err();
            assert!(err.to_string().contains(key), "{name}: {err}");
        }
    }
}
