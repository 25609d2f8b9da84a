//! The feedback and question log: 👍 / 👎 with an optional reason, and every
//! question with whether it was answered, in SQLite — what an operator needs
//! to decide which articles to add (`summit-bot report`).
//!
//! Answering must never wait for the disk: handlers put records on a bounded
//! channel and a dedicated thread writes them. A full channel, a locked or
//! read-only database or a path that cannot be created costs the record, a
//! log line and a tick of [`FeedbackStore::write_failures`] — never an answer.
//!
//! Nothing identifies a person: no user names, user ids or chat ids. The
//! prompt asking why a 👎 was given is found again through a salted hash of
//! its chat and message id, and a user's vote on an answer through a salted
//! hash of chat, message and user id (one vote per user per answer; the salt
//! lives only in the database). Questions older than `retain_days` are pruned.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::config::FeedbackSettings;

/// Records waiting for the writer; past this, new ones are dropped (and counted).
const QUEUE: usize = 1024;
/// How long a write waits for another process's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the writer retries opening a database it could not open.
const REOPEN_EVERY: Duration = Duration::from_secs(30);

/// How often the writer prunes questions past `retain_days`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Records lost to a full queue or a failed write, since the process started.
static WRITE_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Where a question came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Chat,
    Inline,
}

/// Who voted on which answer; stored only as a salted hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voter {
    pub chat: i64,
    /// The answer's message id.
    pub message: i64,
    pub user: u64,
}

/// One thing to store.
#[derive(Debug)]
pub enum Record {
    /// A question and what became of it.
    Question {
        question: String,
        /// `buttons::question_hash` of `question`, to link votes to it.
        question_hash: String,
        /// `search::Outcome` in snake case.
        outcome: String,
        answered: bool,
        via: Via,
        /// `private`, `group`, `supergroup`, `channel`, `sender` (inline)…
        chat_type: String,
        /// Passage ids quoted, best first.
        passages: Vec<String>,
    },
    /// A 👍 / 👎 press.
    Vote {
        up: bool,
        /// The question, when known (else looked up by hash in the log).
        question: Option<String>,
        question_hash: String,
        passages: Vec<String>,
        chat_type: String,
        /// Chat and message id of the "why?" prompt sent after a 👎.
        prompt: Option<(i64, i64)>,
        /// A later vote of the same voter replaces this one.
        voter: Voter,
    },
    /// A reply to a "why?" prompt.
    Reason { prompt: (i64, i64), text: String },
    /// Answered once everything queued before it is written.
    Flush(mpsc::Sender<()>),
}

/// The handle handlers write through; cheap to share.
#[derive(Debug)]
pub struct FeedbackStore {
    tx: Option<SyncSender<Record>>,
    store_questions: bool,
}

/// Why the log could not be opened (the bot runs on without it).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sqlite {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl FeedbackStore {
    /// Starts the writer thread for `settings.db_path`. The database is opened
    /// by the thread, so a slow or broken disk does not delay startup either.
    pub fn start(settings: &FeedbackSettings) -> FeedbackStore {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let path = settings.db_path.clone();
        let retain = Duration::from_secs(u64::from(settings.retain_days) * 86_400);
        let spawned = std::thread::Builder::new()
            .name("feedback-writer".into())
            .spawn(move || writer(path, retain, rx));
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start the feedback writer; feedback is not stored");
            return FeedbackStore::disabled();
        }
        FeedbackStore {
            tx: Some(tx),
            store_questions: settings.store_questions,
        }
    }

    /// A store that drops everything (tests, or no writer thread).
    pub fn disabled() -> FeedbackStore {
        FeedbackStore {
            tx: None,
            store_questions: false,
        }
    }

    /// Whether questions are logged (`[feedback] store_questions`).
    pub fn stores_questions(&self) -> bool {
        self.store_questions
    }

    /// Queues `record` without waiting; a question is skipped when questions
    /// are not to be stored.
    pub fn put(&self, record: Record) {
        if matches!(record, Record::Question { .. }) && !self.store_questions {
            return;
        }
        let Some(tx) = &self.tx else {
            return;
        };
        match tx.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("feedback queue full; record dropped");
            }
            Err(TrySendError::Disconnected(_)) => {
                WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("feedback writer gone; record dropped");
            }
        }
    }

    /// Waits up to `timeout` for the records queued so far to be written
    /// (called on shutdown, so the last votes are not lost).
    pub fn flush(&self, timeout: Duration) {
        let Some(tx) = &self.tx else {
            return;
        };
        let (done, wait) = mpsc::channel();
        if tx.try_send(Record::Flush(done)).is_ok() && wait.recv_timeout(timeout).is_err() {
            tracing::warn!("feedback writer did not finish in time");
        }
    }

    /// Records lost since the process started (queue full, database locked,
    /// read-only or missing): a metric for the operator.
    pub fn write_failures() -> u64 {
        WRITE_FAILURES.load(Ordering::Relaxed)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Opens (creating if needed) the database at `path` for writing: WAL mode,
/// schema in place.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let sqlite = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite)?;
    conn.execute_batch(SCHEMA).map_err(sqlite)?;
    migrate(&conn).map_err(sqlite)?;
    Ok(conn)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    question TEXT NOT NULL,
    question_hash TEXT NOT NULL,
    outcome TEXT NOT NULL,
    answered INTEGER NOT NULL,
    via TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    passages TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_at ON questions (at);
CREATE INDEX IF NOT EXISTS questions_hash ON questions (question_hash);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    vote INTEGER NOT NULL,
    question TEXT,
    question_hash TEXT NOT NULL,
    top_passage TEXT NOT NULL,
    passages TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    prompt TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at);
CREATE INDEX IF NOT EXISTS feedback_prompt ON feedback (prompt);
";

/// Adds what later versions need to a database made by an earlier one.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has_voter = conn
        .prepare("SELECT 1 FROM pragma_table_info('feedback') WHERE name = 'voter'")?
        .exists([])?;
    if !has_voter {
        conn.execute_batch("ALTER TABLE feedback ADD COLUMN voter TEXT;")?;
    }
    conn.execute_batch("CREATE UNIQUE INDEX IF NOT EXISTS feedback_voter ON feedback (voter);")
}

/// The writer thread: opens the database (retrying now and then), writes
/// records until every sender is gone, and prunes questions older than
/// `retain` now and then.
fn writer(path: PathBuf, retain: Duration, rx: Receiver<Record>) {
    let mut conn: Option<Connection> = None;
    let mut last_try: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    while let Ok(record) = rx.recv() {
        if let Record::Flush(done) = record {
            let _ = done.send(());
            continue;
        }
        if conn.is_none() && last_try.is_none_or(|t| t.elapsed() >= REOPEN_EVERY) {
            last_try = Some(Instant::now());
            match open(&path) {
                Ok(c) => {
                    tracing::info!(path = %path.display(), "feedback log opened");
                    conn = Some(c);
                }
                Err(err) => {
                    tracing::error!(error = %err, "feedback log unavailable; feedback is only logged")
                }
            }
        }
        let result = match &conn {
            Some(c) => write(c, &record),
            None => Err(rusqlite::Error::InvalidPath(path.clone())),
        };
        if let Err(err) = result {
            // Counted, and logged without its contents: a question is the
            // user's text and has no place in a log line.
            WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %err, kind = record.kind(), "feedback record not stored");
        }
        if let Some(c) = &conn {
            if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                last_prune = Some(Instant::now());
                prune(c, retain);
            }
        }
    }
}

/// Deletes questions older than `retain` (votes stay: they hold no question
/// text of their own unless Telegram sent it along).
fn prune(conn: &Connection, retain: Duration) {
    let before = now() - retain.as_secs() as i64;
    let pruned = conn.execute("DELETE FROM questions WHERE at < ?1", [before]);
    match pruned {
        Ok(0) => {}
        Ok(rows) => tracing::info!(rows, "pruned the question log past retain_days"),
        Err(err) => {
            WRITE_FAILURES.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %err, "cannot prune the question log");
        }
    }
}

impl Record {
    /// The record's kind, for logs (never its contents).
    fn kind(&self) -> &'static str {
        match self {
            Record::Question { .. } => "question",
            Record::Vote { .. } => "vote",
            Record::Reason { .. } => "reason",
            Record::Flush(_) => "flush",
        }
    }
}

fn write(conn: &Connection, record: &Record) -> rusqlite::Result<()> {
    match record {
        Record::Question {
            question,
            question_hash,
            outcome,
            answered,
            via,
            chat_type,
            passages,
        } => {
            conn.execute(
                "INSERT INTO questions (at, question, question_hash, outcome, answered, via, chat_type, passages)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    now(),
                    question,
                    question_hash,
                    outcome,
                    answered,
                    match via {
                        Via::Chat => "chat",
                        Via::Inline => "inline",
                    },
                    chat_type,
                    passages.join(" "),
                ],
            )?;
        }
        Record::Vote {
            up,
            question,
            question_hash,
            passages,
            chat_type,
            prompt,
            voter,
        } => {
            let question = match question {
                Some(q) => Some(q.clone()),
                None => conn
                    .query_row(
                        "SELECT question FROM questions WHERE question_hash = ?1 ORDER BY id DESC LIMIT 1",
                        [question_hash],
                        |row| row.get::<_, String>(0),
                    )
                    .optional()?,
            };
            let prompt = match prompt {
                Some(p) => Some(prompt_key(conn, *p)?),
                None => None,
            };
            let voter = salted_key(
                conn,
                &[
                    &voter.chat.to_le_bytes(),
                    &voter.message.to_le_bytes(),
                    &voter.user.to_le_bytes(),
                ],
            )?;
            // One row per voter and answer: a later press replaces the vote
            // and keeps the prompt (and reason) of the first 👎.
            conn.execute(
                "INSERT INTO feedback (at, vote, question, question_hash, top_passage, passages, chat_type, prompt, voter)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (voter) DO UPDATE SET
                    at = excluded.at, vote = excluded.vote,
                    prompt = COALESCE(feedback.prompt, excluded.prompt)",
                params![
                    now(),
                    if *up { 1 } else { -1 },
                    question,
                    question_hash,
                    passages.first().cloned().unwrap_or_default(),
                    passages.join(" "),
                    chat_type,
                    prompt,
                    voter,
                ],
            )?;
        }
        Record::Reason { prompt, text } => {
            let key = prompt_key(conn, *prompt)?;
            let changed = conn.execute(
                "UPDATE feedback SET reason = ?1 WHERE prompt = ?2",
                params![text, key],
            )?;
            if changed == 0 {
                tracing::debug!("reason for an unknown prompt; ignored");
            }
        }
        Record::Flush(_) => {}
    }
    Ok(())
}

/// A salted hash of a prompt's chat and message id: finds the vote again
/// without storing the chat id.
fn prompt_key(conn: &Connection, (chat, message): (i64, i64)) -> rusqlite::Result<String> {
    salted_key(conn, &[&chat.to_le_bytes(), &message.to_le_bytes()])
}

/// A salted hash of `parts`. The salt is made once per database.
fn salted_key(conn: &Connection, parts: &[&[u8]]) -> rusqlite::Result<String> {
    let salt: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'salt'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let salt = match salt {
        Some(salt) => salt,
        None => {
            let salt = random_hex();
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?1)",
                [&salt],
            )?;
            salt
        }
    };
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(salt.as_bytes());
    for part in parts {
        hash.update(part);
    }
    Ok(format!("{:016x}", hash.digest()))
}

/// 128 random bits as hex, from std's randomly keyed hasher (no extra crate).
fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(path: &Path) -> FeedbackSettings {
        FeedbackSettings {
            db_path: path.to_path_buf(),
            store_questions: true,
            retain_days: 90,
        }
    }

    fn temp_db(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("summit-feedback-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("nested").join("log.db")
    }

    #[test]
    fn votes_reasons_and_questions_are_stored() {
        let path = temp_db("store");
        let store = FeedbackStore::start(&settings(&path));
        store.put(Record::Question {
            question: "乌镇峰会在哪里举行？".into(),
            question_hash: "0000abcd".into(),
            outcome: "answered".into(),
            answered: true,
            via: Via::Chat,
            chat_type: "private".into(),
            passages: vec!["a#1".into(), "b#2".into()],
        });
        store.put(Record::Vote {
            up: false,
            question: None,
            question_hash: "0000abcd".into(),
            passages: vec!["a#1".into()],
            chat_type: "private".into(),
            prompt: Some((42, 7)),
            voter: Voter {
                chat: 42,
                message: 6,
                user: 9,
            },
        });
        // The same voter again: the vote is replaced, the prompt kept.
        store.put(Record::Vote {
            up: false,
            question: None,
            question_hash: "0000abcd".into(),
            passages: vec!["a#1".into()],
            chat_type: "private".into(),
            prompt: None,
            voter: Voter {
                chat: 42,
                message: 6,
                user: 9,
            },
        });
        store.put(Record::Reason {
            prompt: (42, 7),
            text: "答非所问".into(),
        });
        store.flush(Duration::from_secs(5));
        let conn = open(&path).unwrap();
        let (question, reason, top): (String, String, String) = conn
            .query_row(
                "SELECT question, reason, top_passage FROM feedback",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(question, "乌镇峰会在哪里举行？");
        assert_eq!(reason, "答非所问");
        assert_eq!(top, "a#1");
        let votes: i64 = conn
            .query_row("SELECT COUNT(*) FROM feedback", [], |r| r.get(0))
            .unwrap();
        assert_eq!(votes, 1, "one vote per voter and answer");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn an_unwritable_path_only_counts_failures() {
        let store = FeedbackStore::start(&settings(Path::new("/proc/summit-bot/log.db")));
        let before = FeedbackStore::write_failures();
        store.put(Record::Reason {
            prompt: (1, 2),
            text: "x".into(),
        });
        store.flush(Duration::from_secs(5));
        assert!(FeedbackStore::write_failures() > before);
    }
}
