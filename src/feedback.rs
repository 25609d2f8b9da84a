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
//!
//! The answers table links an answer the bot sent (a salted hash of its chat
//! and message id) to the question it answered, so that a reply to the answer
//! can be read in its context (`bot::followup`) — after a restart, and on
//! another webhook replica sharing the file. It is pruned like the question
//! log and holds at most [`MAX_ANSWERS`] rows (plus what one prune interval
//! adds); it is written only when questions are stored.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::config::FeedbackSettings;

/// Records waiting for the writer; past this, new ones are dropped (and counted).
const QUEUE: usize = 1024;
/// How long a write waits for another process's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_millis(500);
/// How often the writer retries opening a database it could not open.
const REOPEN_EVERY: Duration = Duration::from_secs(30);

/// How often the writer prunes questions past `retain_days`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Rows the answers table keeps (the newest); older ones are pruned.
pub const MAX_ANSWERS: usize = 100_000;
/// Answers written between prunes of the answers table, at most: it stays
/// bounded however busy the bot is between hourly prunes.
const PRUNE_AFTER_ANSWERS: usize = 10_000;

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
    /// A reply the bot sent to a question (answered or not): the question a
    /// later reply to it is read against. Stored only when questions are.
    Answer {
        /// Chat and message id of the reply sent; stored only as a salted hash.
        sent: (i64, i64),
        question: String,
    },
    /// Answered once everything queued before it is written.
    Flush(mpsc::Sender<()>),
}

/// The handle handlers write through; cheap to share.
#[derive(Debug)]
pub struct FeedbackStore {
    tx: Option<SyncSender<Record>>,
    store_questions: bool,
    /// Reads the answers table; `None` when questions are not stored.
    answers: Option<Answers>,
}

/// Looks up the question an answer the bot sent replied to. Cheap to clone;
/// its lookups block (SQLite), so call them off the async runtime.
#[derive(Debug, Clone)]
pub struct Answers {
    path: PathBuf,
    /// One connection for lookups, opened on first use (the writer thread
    /// may not have created the file yet) and kept while it works.
    conn: Arc<Mutex<Option<Connection>>>,
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
            answers: settings.store_questions.then(|| Answers {
                path: settings.db_path.clone(),
                conn: Arc::new(Mutex::new(None)),
            }),
        }
    }

    /// A store that drops everything (tests, or no writer thread).
    pub fn disabled() -> FeedbackStore {
        FeedbackStore {
            tx: None,
            store_questions: false,
            answers: None,
        }
    }

    /// The answers table's reader, when questions are stored.
    pub fn answers(&self) -> Option<Answers> {
        self.answers.clone()
    }

    /// Whether questions are logged (`[feedback] store_questions`).
    pub fn stores_questions(&self) -> bool {
        self.store_questions
    }

    /// Queues `record` without waiting; a question is skipped when questions
    /// are not to be stored.
    pub fn put(&self, record: Record) {
        let question = matches!(record, Record::Question { .. } | Record::Answer { .. });
        if question && !self.store_questions {
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

impl Answers {
    /// The question the bot's reply `message` in `chat` answered, if it is
    /// stored (and younger than `retain_days`). Blocks; a database that
    /// cannot be read is `None` (logged), never an error for the user.
    pub fn question_of(&self, chat: i64, message: i64) -> Option<String> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_none() {
            // Read-write without create: the writer thread makes the file.
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            match Connection::open_with_flags(&self.path, flags)
                .and_then(|c| c.busy_timeout(BUSY_TIMEOUT).map(|()| c))
            {
                Ok(c) => *conn = Some(c),
                Err(err) => {
                    tracing::debug!(error = %err, "answers table not readable yet");
                    return None;
                }
            }
        }
        let found = conn
            .as_ref()
            .map(|c| question_of(c, (chat, message)))
            .transpose();
        match found {
            Ok(found) => found.flatten(),
            Err(err) => {
                // Reopened on the next lookup (the file may have been replaced).
                *conn = None;
                tracing::warn!(error = %err, "cannot read the answers table");
                None
            }
        }
    }
}

/// The question stored for the answer `sent` (chat, message id); `None` when
/// there is none or the database has no salt yet (nothing was stored).
fn question_of(conn: &Connection, sent: (i64, i64)) -> rusqlite::Result<Option<String>> {
    let Some(salt) = salt(conn, false)? else {
        return Ok(None);
    };
    let key = hash_key(&salt, &sent_parts(sent));
    conn.query_row(
        "SELECT question FROM answers WHERE key = ?1",
        [key],
        |row| row.get(0),
    )
    .optional()
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
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    question TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_at ON answers (at);
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
    let mut answers_since_prune = 0;
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
        if matches!(record, Record::Answer { .. }) {
            answers_since_prune += 1;
        }
        if let Some(c) = &conn {
            if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY)
                || answers_since_prune >= PRUNE_AFTER_ANSWERS
            {
                last_prune = Some(Instant::now());
                answers_since_prune = 0;
                prune(c, retain, MAX_ANSWERS);
            }
        }
    }
}

/// Deletes questions and answers older than `retain`, and answers beyond the
/// newest `max_answers` (votes stay: they hold no question text of their own
/// unless Telegram sent it along).
fn prune(conn: &Connection, retain: Duration, max_answers: usize) {
    let before = now() - retain.as_secs() as i64;
    let pruned = conn
        .execute("DELETE FROM questions WHERE at < ?1", [before])
        .and_then(|questions| {
            let old = conn.execute("DELETE FROM answers WHERE at < ?1", [before])?;
            let over = conn.execute(
                "DELETE FROM answers WHERE key IN
                    (SELECT key FROM answers ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?1)",
                [max_answers as i64],
            )?;
            Ok(questions + old + over)
        });
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
            Record::Answer { .. } => "answer",
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
        Record::Answer { sent, question } => {
            let key = salted_key(conn, &sent_parts(*sent))?;
            conn.execute(
                "INSERT OR REPLACE INTO answers (key, at, question) VALUES (?1, ?2, ?3)",
                params![key, now(), question],
            )?;
        }
        Record::Flush(_) => {}
    }
    Ok(())
}

/// What an answer's key is made of: its chat and message id.
fn sent_parts((chat, message): (i64, i64)) -> [[u8; 8]; 2] {
    [chat.to_le_bytes(), message.to_le_bytes()]
}

/// A salted hash of a prompt's chat and message id: finds the vote again
/// without storing the chat id.
fn prompt_key(conn: &Connection, (chat, message): (i64, i64)) -> rusqlite::Result<String> {
    salted_key(conn, &[&chat.to_le_bytes(), &message.to_le_bytes()])
}

/// A salted hash of `parts`. The salt is made once per database.
fn salted_key<P: AsRef<[u8]>>(conn: &Connection, parts: &[P]) -> rusqlite::Result<String> {
    // `None` only if the salt was deleted between insert and read.
    let salt = salt(conn, true)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(hash_key(&salt, parts))
}

/// The database's salt; made when missing and `make` is set. Another
/// process sharing the file (a webhook replica) may make it at the same
/// moment: whichever insert lands first is the salt both then use.
fn salt(conn: &Connection, make: bool) -> rusqlite::Result<Option<String>> {
    let read = || {
        conn.query_row("SELECT value FROM meta WHERE key = 'salt'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()
    };
    if let Some(salt) = read()? {
        return Ok(Some(salt));
    }
    if !make {
        return Ok(None);
    }
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?1)",
        [random_hex()],
    )?;
    read()
}

fn hash_key<P: AsRef<[u8]>>(salt: &str, parts: &[P]) -> String {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(salt.as_bytes());
    for part in parts {
        hash.update(part.as_ref());
    }
    format!("{:016x}", hash.digest())
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
    fn answers_are_found_by_another_store_on_the_file_and_pruned() {
        let path = temp_db("answers");
        let first = FeedbackStore::start(&settings(&path));
        first.put(Record::Answer {
            sent: (-100, 7),
            question: "蓝皮书是哪天发布的？".into(),
        });
        first.flush(Duration::from_secs(5));
        // A restarted bot, or another webhook replica sharing the file.
        let second = FeedbackStore::start(&settings(&path));
        let answers = second.answers().expect("questions are stored");
        assert_eq!(
            answers.question_of(-100, 7).as_deref(),
            Some("蓝皮书是哪天发布的？")
        );
        assert_eq!(answers.question_of(-100, 8), None, "another message");
        assert_eq!(answers.question_of(100, 7), None, "another chat");
        // Its own answers land in the same table, under the same salt.
        second.put(Record::Answer {
            sent: (-100, 9),
            question: "曹振南是谁？".into(),
        });
        second.flush(Duration::from_secs(5));
        let conn = open(&path).unwrap();
        let salts: i64 = conn
            .query_row("SELECT COUNT(*) FROM meta WHERE key = 'salt'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(salts, 1);
        assert_eq!(
            first.answers().unwrap().question_of(-100, 9).as_deref(),
            Some("曹振南是谁？")
        );
        let stored: String = conn
            .query_row("SELECT group_concat(key) FROM answers", [], |r| r.get(0))
            .unwrap();
        assert!(!stored.contains("-100"), "no chat id stored: {stored}");

        // Past retain_days: gone.
        conn.execute("UPDATE answers SET at = at - 100 * 86400", [])
            .unwrap();
        prune(&conn, Duration::from_secs(90 * 86_400), MAX_ANSWERS);
        assert_eq!(answers.question_of(-100, 7), None);
        // Past the cap: the oldest go, the newest stay.
        for n in 0..5 {
            write(
                &conn,
                &Record::Answer {
                    sent: (1, n),
                    question: format!("问题{n}"),
                },
            )
            .unwrap();
        }
        prune(&conn, Duration::from_secs(90 * 86_400), 3);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM answers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 3);
        assert_eq!(answers.question_of(1, 0), None);
        assert_eq!(answers.question_of(1, 4).as_deref(), Some("问题4"));
    }

    #[test]
    fn answers_are_not_stored_when_questions_are_not() {
        let path = temp_db("answers-off");
        let mut off = settings(&path);
        off.store_questions = false;
        let store = FeedbackStore::start(&off);
        assert!(store.answers().is_none());
        store.put(Record::Answer {
            sent: (5, 6),
            question: "蓝皮书是哪天发布的？".into(),
        });
        store.flush(Duration::from_secs(5));
        let on = FeedbackStore::start(&settings(&path));
        assert_eq!(on.answers().unwrap().question_of(5, 6), None);
        // And a reader on a file nobody created finds nothing, without error.
        let missing = FeedbackStore::start(&settings(&temp_db("answers-missing")));
        assert_eq!(missing.answers().unwrap().question_of(5, 6), None);
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
