//! The updates a stopping bot answered past the offset it could confirm.
//!
//! Telegram forgets updates below the confirmed offset only. If shutdown ends
//! with update 7 unanswered but 8 and 9 answered, the offset stays at 7 and the
//! next start receives 7, 8 and 9 again; this file tells it to skip 8 and 9.

use std::collections::HashSet;
use std::path::Path;

/// Reads and removes the file; missing or unreadable means nothing to skip.
pub fn take(path: &Path) -> HashSet<i32> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashSet::new();
    };
    let ids: HashSet<i32> = serde_json::from_str::<Vec<i32>>(&text)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if let Err(err) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %err, "cannot remove the handled-updates file");
    }
    if !ids.is_empty() {
        tracing::info!(
            count = ids.len(),
            "updates answered before the last stop will be skipped"
        );
    }
    ids
}

/// Writes `ids` (nothing when empty). A failure is logged: the cost is that
/// those answers may be repeated after the restart, not that any is lost.
pub fn save(path: &Path, ids: &[i32]) {
    if ids.is_empty() {
        return;
    }
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_string(ids).unwrap_or_default())?;
        std::fs::rename(&tmp, path)
    };
    match write() {
        Ok(()) => {
            tracing::warn!(count = ids.len(), path = %path.display(), "noted updates answered past the confirmed offset")
        }
        Err(err) => {
            tracing::error!(path = %path.display(), %err, "cannot note answered updates; they may be answered again")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_removal() {
        let path =
            std::env::temp_dir().join(format!("summit-handled-{}.state", std::process::id()));
        save(&path, &[8, 9]);
        assert_eq!(take(&path), HashSet::from([8, 9]));
        assert!(!path.exists());
        assert!(take(&path).is_empty());
    }
}
