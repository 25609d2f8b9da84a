//! The update journal: every update is written to SQLite before Telegram is
//! told we have it (the next getUpdates offset, the webhook's 200) and marked
//! done once handled. A process killed at any moment (SIGKILL, OOM, power
//! loss) therefore loses no update, and the next start re-handles only the
//! ones that were in flight.
//!
//! Rows of handled updates are the "answered ids": an update Telegram
//! delivers again after a crash is recognised and skipped. They are kept for
//! two days (Telegram keeps an unconfirmed update for one) and then pruned.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};
use teloxide::types::Update;

/// How long handled updates are remembered, in seconds.
const KEEP_DONE_SECS: i64 = 2 * 86_400;

/// Why the journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("update journal {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("update journal task failed: {0}")]
    Task(String),
    #[error("update journal: {0}")]
    Batch(String),
}

/// The journal; share it as `Arc<Journal>` and call it off the async
/// workers (every write waits for the disk).
pub struct Journal {
    path: PathBuf,
    conn: Mutex<Connection>,
    /// Single updates waiting to be journaled (webhook mode): whoever holds
    /// the connection next writes all of them in one transaction, so many
    /// concurrent requests cost one disk sync, not one each.
    waiting: Mutex<Waiting>,
    /// Lets one "done" mark at a time go to the blocking pool (see [`mark_done`]).
    marking: tokio::sync::Semaphore,
}

/// Updates queued by [`Journal::record_one`] and the outcomes of those written.
#[derive(Default)]
struct Waiting {
    next: u64,
    updates: Vec<(u64, Update)>,
    written: std::collections::HashMap<u64, Result<bool, String>>,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`. A file from an older
    /// version that is not a database (the JSON state file) is moved aside.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| JournalError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let conn = match connect(path) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                let aside = path.with_extension("old");
                tracing::warn!(path = %path.display(), aside = %aside.display(), "not an update journal; moved aside");
                let _ = std::fs::rename(path, &aside);
                connect(path)
            }
            other => other,
        }
        .map_err(|source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Journal {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            waiting: Mutex::default(),
            marking: tokio::sync::Semaphore::new(1),
        })
    }

    fn sqlite(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ties the journal to the bot `bot_id` (from getMe). Update ids are per
    /// bot: a journal left by another bot (a new token on the same data
    /// directory) is emptied, or its ids would hide this bot's updates.
    pub fn bind(&self, bot_id: u64) -> Result<(), JournalError> {
        let conn = self.lock();
        let run = || -> rusqlite::Result<()> {
            let stored: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'bot_id'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            let id = bot_id.to_string();
            if stored.as_deref() != Some(id.as_str()) {
                if stored.is_some() {
                    tracing::warn!("update journal of another bot; emptied");
                    conn.execute("DELETE FROM updates", [])?;
                }
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('bot_id', ?1)",
                    [id],
                )?;
            }
            Ok(())
        };
        run().map_err(|e| self.sqlite(e))
    }

    /// The updates journaled but not handled, oldest first. Rows that no
    /// longer parse are marked done (they would fail again at every start).
    pub fn unfinished(&self) -> Result<Vec<Update>, JournalError> {
        let conn = self.lock();
        let rows: Vec<(i64, String)> = conn
            .prepare("SELECT id, body FROM updates WHERE done = 0 ORDER BY id")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sqlite(e))?;
        let mut updates = Vec::with_capacity(rows.len());
        for (id, body) in rows {
            match serde_json::from_str::<Update>(&body) {
                Ok(update) => updates.push(update),
                Err(err) => {
                    tracing::error!(update = id, %err, "journaled update unreadable; dropped");
                    conn.execute("UPDATE updates SET done = 1 WHERE id = ?1", [id])
                        .map_err(|e| self.sqlite(e))?;
                }
            }
        }
        Ok(updates)
    }

    /// Journals one update, durably, together with any others queued at the
    /// same time (group commit); whether it is new.
    pub fn record_one(&self, update: Update) -> Result<bool, JournalError> {
        let waiting = || self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = {
            let mut w = waiting();
            let ticket = w.next;
            w.next += 1;
            w.updates.push((ticket, update));
            ticket
        };
        let mut conn = self.lock();
        // Written by the previous holder of the connection, with its batch?
        if let Some(outcome) = waiting().written.remove(&ticket) {
            return outcome.map_err(JournalError::Batch);
        }
        let (tickets, batch): (Vec<u64>, Vec<Update>) =
            std::mem::take(&mut waiting().updates).into_iter().unzip();
        let outcome = self.record_with(&mut conn, &batch);
        // Outcomes are published before the connection is let go: the next
        // holder looks for its own there first.
        let mut w = waiting();
        let mut mine = Err(JournalError::Batch("not written".to_string()));
        for (i, t) in tickets.into_iter().enumerate() {
            let result = match &outcome {
                Ok(fresh) => Ok(fresh[i]),
                Err(err) => Err(err.to_string()),
            };
            if t == ticket {
                mine = result.map_err(JournalError::Batch);
            } else {
                w.written.insert(t, result);
            }
        }
        drop(w);
        drop(conn);
        mine
    }

    /// Journals `updates` in one durable transaction; returns, for each, whether
    /// it is new (a known id — handled, or already waiting — is not).
    pub fn record(&self, updates: &[Update]) -> Result<Vec<bool>, JournalError> {
        let mut conn = self.lock();
        self.record_with(&mut conn, updates)
    }

    fn record_with(
        &self,
        conn: &mut Connection,
        updates: &[Update],
    ) -> Result<Vec<bool>, JournalError> {
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.sqlite(e))?;
        let tx = conn.transaction().map_err(|e| self.sqlite(e))?;
        let mut fresh = Vec::with_capacity(updates.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO updates (id, body, done, at) VALUES (?1, ?2, 0, ?3)",
                )
                .map_err(|e| self.sqlite(e))?;
            for update in updates {
                let body = serde_json::to_string(update).unwrap_or_default();
                let added = insert
                    .execute(params![i64::from(update.id.0), body, now()])
                    .map_err(|e| self.sqlite(e))?;
                fresh.push(added == 1);
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(fresh)
    }

    /// Marks update `id` handled. Quick rather than power-loss proof (no
    /// fsync of its own; the next [`Journal::record`] syncs it): it must land
    /// right after the reply, and losing it costs a repeated answer, not a
    /// lost one. A killed process keeps it (it is in the OS's cache).
    pub fn finish(&self, id: u32) -> Result<(), JournalError> {
        let conn = self.lock();
        let run = || -> rusqlite::Result<()> {
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.execute(
                "UPDATE updates SET done = 1, at = ?2 WHERE id = ?1",
                params![i64::from(id), now()],
            )?;
            Ok(())
        };
        run().map_err(|e| self.sqlite(e))
    }

    /// Forgets handled updates older than two days; returns how many.
    pub fn prune(&self) -> Result<usize, JournalError> {
        self.lock()
            .execute(
                "DELETE FROM updates WHERE done = 1 AND at < ?1",
                [now() - KEEP_DONE_SECS],
            )
            .map_err(|e| self.sqlite(e))
    }
}

/// Marks update `id` handled, one mark at a time. The writes share one
/// connection anyway; without the turn, hundreds of lanes finishing together
/// park one blocking thread each, and every new thread may get an allocator
/// arena of its own that the process keeps.
pub async fn mark_done(journal: &Arc<Journal>, id: u32) -> Result<(), JournalError> {
    let _turn = journal.marking.acquire().await;
    blocking(journal, move |j| j.finish(id)).await
}

/// Runs `job` on the journal on the blocking pool.
pub async fn blocking<T, F>(journal: &Arc<Journal>, job: F) -> Result<T, JournalError>
where
    T: Send + 'static,
    F: FnOnce(&Journal) -> Result<T, JournalError> + Send + 'static,
{
    let journal = journal.clone();
    tokio::task::spawn_blocking(move || job(&journal))
        .await
        .map_err(|e| JournalError::Task(e.to_string()))?
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Every commit reaches the disk before Telegram is told: power loss too.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS updates (
            id INTEGER PRIMARY KEY,
            body TEXT NOT NULL,
            done INTEGER NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS updates_waiting ON updates (done, id);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )?;
    Ok(conn)
}

fn now() -> i64 {
    crate::feedback::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(id: u32) -> Update {
        serde_json::from_str(&format!(
            r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":1,"type":"private","first_name":"a"}},"text":"蓝皮书"}}}}"#
        ))
        .unwrap()
    }

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("summit-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("journal.db")
    }

    #[test]
    fn unfinished_updates_survive_a_reopen_and_known_ids_are_not_new() {
        let path = temp("reopen");
        let journal = Journal::open(&path).unwrap();
        assert_eq!(
            journal.record(&[update(7), update(8), update(9)]).unwrap(),
            [true; 3]
        );
        journal.finish(8).unwrap();
        drop(journal);
        let journal = Journal::open(&path).unwrap();
        let waiting: Vec<u32> = journal
            .unfinished()
            .unwrap()
            .iter()
            .map(|u| u.id.0)
            .collect();
        assert_eq!(waiting, [7, 9]);
        assert_eq!(
            journal.record(&[update(8), update(9), update(10)]).unwrap(),
            [false, false, true]
        );
        assert_eq!(journal.prune().unwrap(), 0, "recent rows are kept");
        journal.bind(42).unwrap();
        journal.bind(42).unwrap();
        assert_eq!(journal.unfinished().unwrap().len(), 3, "same bot: kept");
        journal.bind(43).unwrap();
        assert!(
            journal.unfinished().unwrap().is_empty(),
            "another bot: emptied"
        );
    }

    #[test]
    fn an_old_state_file_is_moved_aside() {
        let path = temp("old");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"answered":[],"unanswered":[]} and some more text to fill a page"#,
        )
        .unwrap();
        let journal = Journal::open(&path).unwrap();
        assert!(journal.unfinished().unwrap().is_empty());
        assert!(path.with_extension("old").exists());
    }

    #[test]
    fn concurrent_single_records_are_each_answered() {
        let journal = Arc::new(Journal::open(&temp("group")).unwrap());
        let threads: Vec<_> = (1..=40u32)
            .map(|id| {
                let journal = journal.clone();
                std::thread::spawn(move || journal.record_one(update(id % 20 + 1)).unwrap())
            })
            .collect();
        let fresh = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&new| new)
            .count();
        assert_eq!(fresh, 20, "each id new exactly once");
        assert_eq!(journal.unfinished().unwrap().len(), 20);
        assert!(journal.waiting.lock().unwrap().written.is_empty());
    }
}
