//! Where a stopping bot leaves what it could not finish, for the next start.
//!
//! Telegram forgets updates below the offset of a getUpdates call. If shutdown
//! ends with update 7 unanswered but 8 and 9 answered, the next start must
//! answer 7 (which Telegram may or may not deliver again: polling runs at most
//! a few dozen updates behind) and must not answer 8 and 9 again. This file
//! holds both: the unanswered updates themselves and the ids already answered.
//! In webhook mode Telegram never delivers an update twice, so only the
//! unanswered ones are kept.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use teloxide::types::Update;

#[derive(Default, Serialize, Deserialize)]
pub struct Leftovers {
    /// Answered after an unanswered one: skip when delivered again.
    pub answered: Vec<i32>,
    /// Not answered: handle first.
    pub unanswered: Vec<Update>,
}

/// Reads and removes the file; missing or unreadable means nothing left over.
pub fn take(path: &Path) -> (HashSet<i32>, Vec<Update>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (HashSet::new(), Vec::new());
    };
    let left: Leftovers = serde_json::from_str(&text).unwrap_or_else(|err| {
        tracing::error!(path = %path.display(), %err, "unreadable leftovers file; ignored");
        Leftovers::default()
    });
    if let Err(err) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %err, "cannot remove the leftovers file");
    }
    if !left.answered.is_empty() || !left.unanswered.is_empty() {
        tracing::info!(
            answered = left.answered.len(),
            unanswered = left.unanswered.len(),
            "resuming where the last run stopped"
        );
    }
    (left.answered.into_iter().collect(), left.unanswered)
}

/// Writes the leftovers (nothing when there are none). A failure is logged:
/// the cost is answers repeated or missed after the restart.
pub fn save(path: &Path, left: &Leftovers) {
    if left.answered.is_empty() && left.unanswered.is_empty() {
        return;
    }
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(
            &tmp,
            serde_json::to_string(left).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, path)
    };
    match write() {
        Ok(()) => tracing::warn!(
            answered = left.answered.len(),
            unanswered = left.unanswered.len(),
            path = %path.display(),
            "left unfinished updates for the next start"
        ),
        Err(err) => tracing::error!(path = %path.display(), %err, "cannot save unfinished updates"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_removal() {
        let path =
            std::env::temp_dir().join(format!("summit-handled-{}.state", std::process::id()));
        let update: Update = serde_json::from_str(
            r#"{"update_id":7,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private","first_name":"a"},"text":"蓝皮书"}}"#,
        )
        .unwrap();
        save(
            &path,
            &Leftovers {
                answered: vec![8, 9],
                unanswered: vec![update],
            },
        );
        let (answered, unanswered) = take(&path);
        assert_eq!(answered, HashSet::from([8, 9]));
        assert_eq!(unanswered.len(), 1);
        assert_eq!(unanswered[0].id.0, 7);
        assert!(!path.exists());
        assert!(take(&path).0.is_empty());
    }
}
