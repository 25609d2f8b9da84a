//! A fake Telegram Bot API server for integration tests and load benchmarks.
//!
//! The server speaks just enough HTTP/1.1 (keep-alive, `Content-Length` bodies) on a raw
//! [`TcpListener`] bound to `127.0.0.1:0`. It is hand-written rather than built on a web
//! framework because fault injection must be able to drop a connection after reading a
//! request without answering it, which is what a flaky network looks like to the bot.
//!
//! It behaves like `api.telegram.org` for the methods the bot uses: `getUpdates` long polling
//! with offset confirmation, `sendMessage` with Telegram's HTML validation and length limits,
//! optional flood control (HTTP 429 with `retry_after`), and replies shaped exactly like the
//! Bot API so that teloxide deserialises them.
//!
//! This file is self-contained (std, tokio and serde_json only) so that a load driver can
//! include it with `#[path = "../tests/support/fake_telegram.rs"] mod fake_telegram;`.
//!
//! Fidelity notes (where this server is deliberately stricter or simpler than Telegram):
//! - HTML: bare `<`, `>`, `&` and named entities other than `&lt; &gt; &amp; &quot;` are
//!   rejected (Telegram lets some through); Markdown parse modes are not validated.
//! - `allowed_updates` acts when an update is pushed: a kind the bot excluded is discarded.
//! - Replies must target a message the server knows (bot-sent or pushed), unless
//!   `allow_sending_without_reply`; edits/deletes likewise; query ids are answerable once.
//! - Flood control applies to `sendMessage` only. Message ids are unique per server, not per chat.
//! - teloxide-core sleeps 10 s after any 5xx answer, so injected 5xx faults are slow to surface.
//!
//! ```ignore
//! let tg = FakeTelegram::start().await;
//! std::env::set_var("TELOXIDE_API_URL", tg.url()); // or Bot::new(tg.token()).set_api_url(..)
//! let update_id = tg.private_text(42, 42, "问题");
//! let sent = tg.wait_for_messages(1, Duration::from_secs(5)).await;
//! assert_eq!(sent[0].chat_id, 42);
//! assert!(tg.confirmed_offset() > update_id);
//! ```
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// Token the server accepts unless the builder sets another one.
pub const DEFAULT_TOKEN: &str = "123456:TEST-token";
/// User id of the fake bot (the numeric prefix of [`DEFAULT_TOKEN`], as on Telegram).
pub const DEFAULT_BOT_ID: i64 = 123456;
/// Username of the fake bot unless the builder sets another one.
pub const DEFAULT_USERNAME: &str = "summit_test_bot";
/// Display name of the fake bot.
pub const BOT_FIRST_NAME: &str = "Summit";
/// Telegram's limit on message text, in UTF-16 code units after entity parsing.
pub const MAX_MESSAGE_UTF16: usize = 4096;
/// Maximum number of formatting entities accepted in one message.
pub const MAX_ENTITIES: usize = 100;
/// Maximum number of results in one `answerInlineQuery` call.
pub const MAX_INLINE_RESULTS: usize = 50;
/// Maximum size of `next_offset` in `answerInlineQuery`, in bytes.
pub const MAX_INLINE_NEXT_OFFSET: usize = 64;

/// Largest request head (request line + headers) the server reads before answering 431.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request body the server reads before answering 413.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Longest `getUpdates` timeout honoured, so a typo cannot park a connection for days.
const MAX_POLL_TIMEOUT_SECS: i64 = 3600;

const CONFLICT_POLL: &str =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const CONFLICT_WEBHOOK: &str =
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const QUERY_TOO_OLD: &str =
    "Bad Request: query is too old and response timeout expired or query ID is invalid";
const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/// Update kinds Telegram leaves out when `allowed_updates` was never set (or set to `[]`).
const NOT_DEFAULT_UPDATES: [&str; 3] =
    ["chat_member", "message_reaction", "message_reaction_count"];

/// A failure injected into one upcoming call of a method (see [`FakeTelegram::fail_next`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status and a Bot API error body
    /// (e.g. 500 → `{"ok":false,"error_code":500,"description":"Internal Server Error"}`).
    Status(u16),
    /// Answer 429 `Too Many Requests` with `parameters.retry_after` set to this many seconds.
    RetryAfter(u32),
    /// Answer 409 as Telegram does when a second bot instance polls the same token.
    Conflict,
    /// Read the request, then close the TCP connection without answering.
    Drop,
    /// Wait this long, then handle the call normally (slow network / slow Telegram).
    Delay(Duration),
}

/// Flood-control limits applied to `sendMessage` when rate limiting is on.
///
/// The defaults are Telegram's published limits: about one message per second per private
/// chat (with a small burst), 20 messages per minute per group, 30 messages per second overall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// Sustained messages per second to one private chat (token-bucket refill rate).
    pub private_per_second: f64,
    /// Messages that may be sent to an idle private chat back to back (token-bucket size).
    pub private_burst: u32,
    /// Messages per sliding minute to one group (chat id < 0).
    pub group_per_minute: usize,
    /// Messages per sliding second across all chats.
    pub global_per_second: usize,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            private_per_second: 1.0,
            private_burst: 3,
            group_per_minute: 20,
            global_per_second: 30,
        }
    }
}

/// A message the bot delivered with `sendMessage`.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    /// Id the server assigned to the message.
    pub message_id: i64,
    /// Target chat.
    pub chat_id: i64,
    /// `text` exactly as sent (raw HTML when `parse_mode` is HTML).
    pub text: String,
    /// What the user sees: tags removed, entities decoded, surrounding whitespace trimmed.
    pub plain_text: String,
    /// `parse_mode` as sent, if any.
    pub parse_mode: Option<String>,
    /// Message replied to (`reply_parameters.message_id` or legacy `reply_to_message_id`).
    pub reply_to: Option<i64>,
    /// `link_preview_options.is_disabled` or legacy `disable_web_page_preview`.
    pub link_preview_disabled: bool,
    /// `reply_markup` as sent, if any.
    pub reply_markup: Option<Value>,
    /// Formatting entities found in the HTML (0 for plain text).
    pub entity_count: usize,
    /// When the server accepted the message; load benchmarks measure latency against it.
    pub sent_at: Instant,
}

/// Result of [`parse_html`]: the text a user sees and the number of formatting entities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedHtml {
    /// Text with tags removed and HTML entities decoded (not trimmed).
    pub text: String,
    /// Number of non-empty formatting tags (`<pre><code>` counts once).
    pub entities: usize,
}

/// Options for [`FakeTelegram`]; obtain with [`FakeTelegram::builder`].
#[derive(Clone, Debug)]
pub struct FakeTelegramBuilder {
    token: String,
    bot_id: Option<i64>,
    username: String,
    rate_limits: Option<RateLimits>,
}

impl Default for FakeTelegramBuilder {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_owned(),
            bot_id: None,
            username: DEFAULT_USERNAME.to_owned(),
            rate_limits: None,
        }
    }
}

impl FakeTelegramBuilder {
    /// Token the server accepts; requests with any other token get 401.
    /// The bot id defaults to the token's numeric prefix, as on Telegram.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// User id of the bot, overriding the one derived from the token.
    pub fn bot_id(mut self, bot_id: i64) -> Self {
        self.bot_id = Some(bot_id);
        self
    }

    /// Username of the bot (without `@`), as returned by `getMe`.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        self
    }

    /// Switches Telegram's default flood limits ([`RateLimits::default`]) on or off.
    pub fn rate_limits(mut self, on: bool) -> Self {
        self.rate_limits = on.then(RateLimits::default);
        self
    }

    /// Switches flood control on with custom limits.
    pub fn rate_limit_settings(mut self, limits: RateLimits) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    ///
    /// Panics if the port cannot be bound: that is a broken test environment, not a test result.
    pub async fn start(self) -> FakeTelegram {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("fake Telegram: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake Telegram: local address");
        let bot_id = self
            .bot_id
            .or_else(|| self.token.split(':').next().and_then(|id| id.parse().ok()))
            .unwrap_or(DEFAULT_BOT_ID);
        let config = Config {
            token: self.token,
            bot_id,
            username: self.username,
        };
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::new(self.rate_limits)),
            updates: Notify::new(),
            changed: Notify::new(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        FakeTelegram {
            shared,
            addr,
            accept,
        }
    }
}

/// Handle to a running fake Bot API server. Dropping it stops the server and closes every
/// connection, so tests do not leak listeners or parked long polls.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        // The accept task owns the listener and the JoinSet of connection tasks; aborting it
        // drops both, which aborts every connection task as well.
        self.accept.abort();
    }
}

impl FakeTelegram {
    /// Starts a server with the defaults: token [`DEFAULT_TOKEN`], bot id [`DEFAULT_BOT_ID`],
    /// username [`DEFAULT_USERNAME`], no rate limits, no faults.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Options for a server that differs from the defaults.
    pub fn builder() -> FakeTelegramBuilder {
        FakeTelegramBuilder::default()
    }

    /// Base URL for `TELOXIDE_API_URL` / `Bot::set_api_url`, e.g. `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Full URL of one method, e.g. `http://127.0.0.1:PORT/bot<token>/sendMessage`.
    pub fn method_url(&self, method: &str) -> String {
        format!(
            "http://{}/bot{}/{}",
            self.addr, self.shared.config.token, method
        )
    }

    /// Socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// User id of the fake bot.
    pub fn bot_id(&self) -> i64 {
        self.shared.config.bot_id
    }

    /// Username of the fake bot, without `@`.
    pub fn bot_username(&self) -> &str {
        &self.shared.config.username
    }

    // ----- update injection -------------------------------------------------------------

    /// Queues a raw update for `getUpdates` and returns the `update_id` it was given
    /// (any `update_id` in `update` is overwritten).
    ///
    /// Messages inside it become known to the server (so the bot may reply to them), and
    /// callback/inline query ids become answerable. As on Telegram, an update whose kind the
    /// bot excluded through `allowed_updates` is discarded, but its id is still consumed;
    /// so is a value that is not a JSON object.
    pub fn push_update(&self, update: Value) -> i64 {
        self.push_with(|_, _, _| update)
    }

    /// A text message with the entities a Telegram client would attach to it.
    fn text_message(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        self.push_with(|state, _, _| {
            let message = new_message(
                state,
                chat_id,
                user_json(user_id),
                text,
                detect_entities(text),
            );
            json!({ "message": message })
        })
    }

    /// A text message from `user_id` in a private chat. `/commands` and `@mentions` in the
    /// text get `bot_command` / `mention` entities, as Telegram clients produce.
    pub fn private_text(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        self.text_message(chat_id, user_id, text)
    }

    /// A text message from `user_id` in a group with exactly the given `entities`
    /// (`None` = no entities, like a message without any formatting).
    pub fn group_text(
        &self,
        chat_id: i64,
        user_id: i64,
        text: &str,
        entities: Option<Value>,
    ) -> i64 {
        self.push_with(|state, _, _| {
            let mut message = new_message(state, chat_id, user_json(user_id), text, Vec::new());
            if let Some(entities) = entities {
                message["entities"] = entities;
            }
            json!({ "message": message })
        })
    }

    /// A group message from `user_id` that replies to the bot's message `replied_message_id`.
    /// The embedded `reply_to_message` is the stored message when the server knows it, else a
    /// synthesised message from the bot.
    pub fn group_reply_to_bot(
        &self,
        chat_id: i64,
        user_id: i64,
        text: &str,
        replied_message_id: i64,
    ) -> i64 {
        self.push_with(|state, config, _| {
            let replied = known_or_bot_message(state, config, chat_id, replied_message_id);
            let mut message = new_message(
                state,
                chat_id,
                user_json(user_id),
                text,
                detect_entities(text),
            );
            message["reply_to_message"] = replied;
            json!({ "message": message })
        })
    }

    /// A group command such as `/ask@summit_test_bot 问题`, with a `bot_command` entity at
    /// offset 0 spanning the command (lengths in UTF-16 code units, as in the Bot API).
    pub fn group_command(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        self.text_message(chat_id, user_id, text)
    }

    /// A message such as `@summit_test_bot 问题`, with a `mention` entity for each `@username`.
    pub fn mention(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        self.text_message(chat_id, user_id, text)
    }

    /// A message sent by another bot (`from.is_bot = true`), which the bot should ignore.
    #[allow(clippy::wrong_self_convention)] // "from" as in the message's sender, not a conversion
    pub fn from_bot(&self, chat_id: i64, bot_user_id: i64, text: &str) -> i64 {
        self.push_with(|state, _, _| {
            let from = json!({
                "id": bot_user_id,
                "is_bot": true,
                "first_name": "Other bot",
                "username": format!("other{bot_user_id}_bot"),
            });
            let message = new_message(state, chat_id, from, text, detect_entities(text));
            json!({ "message": message })
        })
    }

    /// An inline query from `user_id`. Its id is `format!("iq{update_id}")`; it stays
    /// answerable (once) through `answerInlineQuery`.
    pub fn inline_query(&self, user_id: i64, query: &str, offset: &str) -> i64 {
        self.push_with(|_, _, update_id| {
            json!({ "inline_query": {
                "id": format!("iq{update_id}"),
                "from": user_json(user_id),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            }})
        })
    }

    /// A press on an inline button with callback `data`, attached to message `message_id` in
    /// `chat_id` (the stored message when known, else a synthesised bot message).
    /// Its id is `format!("cb{update_id}")`; it stays answerable (once).
    pub fn callback_query(&self, user_id: i64, chat_id: i64, message_id: i64, data: &str) -> i64 {
        self.push_with(|state, config, update_id| {
            let message = known_or_bot_message(state, config, chat_id, message_id);
            json!({ "callback_query": {
                "id": format!("cb{update_id}"),
                "from": user_json(user_id),
                "message": message,
                "chat_instance": format!("ci{chat_id}"),
                "data": data,
            }})
        })
    }

    /// `message_id` of the message carried by a pushed update, so a test can match the bot's
    /// reply (`SentMessage::reply_to`) to the question it answers.
    pub fn message_id_of(&self, update_id: i64) -> Option<i64> {
        self.shared.lock().update_messages.get(&update_id).copied()
    }

    /// Updates queued and not yet confirmed by an offset.
    pub fn pending_updates(&self) -> usize {
        self.shared.lock().queue.len()
    }

    // ----- faults and limits ------------------------------------------------------------

    /// Queues faults for upcoming calls of `method` (case-insensitive): each fault applies to
    /// exactly one call, in order. A faulted `sendMessage` is not delivered.
    pub fn fail_next(&self, method: &str, faults: Vec<Fault>) {
        let mut state = self.shared.lock();
        state
            .faults
            .entry(method.to_ascii_lowercase())
            .or_default()
            .extend(faults);
    }

    /// Makes `sendMessage` and `getUpdates` fail at random with probability `rate`, half as
    /// `Status(500)`, half as `Drop`. The sequence is deterministic for a given `seed`;
    /// queued [`fail_next`](Self::fail_next) faults take precedence. A rate ≤ 0 switches it off.
    ///
    /// Beware: teloxide-core sleeps 10 s after every 5xx answer before it returns the error,
    /// so each `Status(500)` stalls the caller; see [`set_random_faults_with`](Self::set_random_faults_with).
    pub fn set_random_faults(&self, rate: f64, seed: u64) {
        self.set_random_faults_with(rate, seed, vec![Fault::Status(500), Fault::Drop]);
    }

    /// Like [`set_random_faults`](Self::set_random_faults), but each fault is drawn uniformly
    /// from `faults` (e.g. `[Fault::Drop, Fault::RetryAfter(1)]` to avoid teloxide's 5xx sleep).
    /// An empty list or a rate ≤ 0 switches random faults off.
    pub fn set_random_faults_with(&self, rate: f64, seed: u64, faults: Vec<Fault>) {
        let mut state = self.shared.lock();
        state.random_faults =
            (rate > 0.0 && !faults.is_empty()).then(|| RandomFaults::new(rate, seed, faults));
    }

    /// Switches flood control on (`Some`) or off (`None`) while the server runs.
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        let mut state = self.shared.lock();
        state.rate_limits = limits;
        state.limiter = Limiter::default();
    }

    // ----- inspection -------------------------------------------------------------------

    /// Every message delivered so far, in delivery order.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.shared.lock().sent.clone()
    }

    /// Returns and forgets the delivered messages (for load loops that check in batches).
    pub fn take_sent_messages(&self) -> Vec<SentMessage> {
        std::mem::take(&mut self.shared.lock().sent)
    }

    /// Waits until at least `n` messages are delivered or `timeout` passes, then returns all
    /// delivered messages. On timeout the result is shorter than `n`: assert on its length.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<SentMessage> {
        self.wait_until(timeout, |state| state.sent.len() >= n)
            .await;
        self.sent_messages()
    }

    /// Request parameters of every call of `method` (case-insensitive) that passed the token
    /// check, including calls that were then faulted or rejected. Form and query-string values
    /// appear as JSON strings; JSON bodies appear as sent.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.shared
            .lock()
            .calls
            .get(&method.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// Number of calls of `method` (case-insensitive), cheaper than `calls(method).len()`.
    pub fn call_count(&self, method: &str) -> usize {
        self.shared
            .lock()
            .calls
            .get(&method.to_ascii_lowercase())
            .map_or(0, Vec::len)
    }

    /// Waits until `method` was called at least `n` times or `timeout` passes; returns the calls.
    pub async fn wait_for_calls(&self, method: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let key = method.to_ascii_lowercase();
        self.wait_until(timeout, |state| {
            state.calls.get(&key).map_or(0, Vec::len) >= n
        })
        .await;
        self.calls(method)
    }

    /// Highest `offset` ever passed to `getUpdates`: every update below it is confirmed.
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.lock().confirmed_offset
    }

    /// Waits until the confirmed offset reaches `offset`; returns whether it did in time.
    /// `wait_for_confirmed_offset(update_id + 1, ..)` means "the bot consumed that update".
    pub async fn wait_for_confirmed_offset(&self, offset: i64, timeout: Duration) -> bool {
        self.wait_until(timeout, |state| state.confirmed_offset >= offset)
            .await
    }

    /// Number of 429 answers (flood control and injected faults alike).
    pub fn count_429(&self) -> usize {
        self.shared.lock().count_429
    }

    /// Every error answer as `(method in lowercase, HTTP status, description)`, in order.
    /// Dropped connections are not answers; see [`dropped_connections`](Self::dropped_connections).
    pub fn rejected(&self) -> Vec<(String, u16, String)> {
        self.shared.lock().rejected.clone()
    }

    /// Number of connections closed by a `Drop` fault.
    pub fn dropped_connections(&self) -> usize {
        self.shared.lock().dropped
    }

    /// Current state of a message the server knows (sent by the bot, edited, or pushed in an
    /// update), as Bot API JSON.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.shared
            .lock()
            .messages
            .get(&(chat_id, message_id))
            .map(|m| m.json.clone())
    }

    /// URL set by the last `setWebhook` (empty when no webhook is set).
    pub fn webhook_url(&self) -> String {
        self.shared.lock().webhook_url.clone()
    }

    /// `secret_token` set by the last `setWebhook`, if any.
    pub fn webhook_secret(&self) -> Option<String> {
        self.shared.lock().webhook_secret.clone()
    }

    /// Commands set by `setMyCommands` for the default scope and no language (`[]` if none).
    pub fn commands(&self) -> Value {
        let state = self.shared.lock();
        state
            .commands
            .get(&commands_key(&Map::new()))
            .cloned()
            .unwrap_or_else(|| json!([]))
    }

    // ----- internals --------------------------------------------------------------------

    /// Builds an update under the state lock (`make` gets the state, the config and the new
    /// update id), queues it and wakes pollers.
    fn push_with(&self, make: impl FnOnce(&mut State, &Config, i64) -> Value) -> i64 {
        let update_id = {
            let mut state = self.shared.lock();
            let update_id = state.next_update_id;
            state.next_update_id += 1;
            let update = make(&mut state, &self.shared.config, update_id);
            state.enqueue(update_id, update);
            update_id
        };
        self.shared.updates.notify_waiters();
        self.shared.changed.notify_waiters();
        update_id
    }

    /// Waits until `ready` holds for the state or `timeout` passes; returns the last verdict.
    async fn wait_until(&self, timeout: Duration, mut ready: impl FnMut(&State) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before checking, so a change between check and wait is not lost.
            let mut notified = pin!(self.shared.changed.notified());
            notified.as_mut().enable();
            if ready(&self.shared.lock()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return ready(&self.shared.lock());
            }
        }
    }
}

// ===== HTML validation ===================================================================

/// Tags Telegram's HTML parse mode accepts.
const SUPPORTED_TAGS: [&str; 16] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "span",
    "tg-spoiler",
    "tg-emoji",
];

/// Parses Telegram-flavoured HTML the way `parse_mode=HTML` does, only stricter about escaping:
/// bare `<`, `>` and `&` and named entities other than `&lt; &gt; &amp; &quot;` are errors
/// (real Telegram passes some of them through, but a renderer that relies on that is buggy).
///
/// The error string is the part after `Bad Request: can't parse entities: `.
pub fn parse_html(html: &str) -> Result<ParsedHtml, String> {
    struct Open {
        name: String,
        start: usize,
        counts: bool,
    }
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len());
    let mut utf16 = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                let start = i;
                let mut j = i + 2;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                    j += 1;
                }
                let name = html[i + 2..j].to_ascii_lowercase();
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= bytes.len() || bytes[j] != b'>' {
                    return Err(format!("Unclosed end tag at byte offset {start}"));
                }
                let open = stack
                    .pop()
                    .ok_or_else(|| format!("Unexpected end tag at byte offset {start}"))?;
                if open.name != name {
                    return Err(format!(
                        "Unmatched end tag at byte offset {start}, expected \"</{}>\", found \"</{name}>\"",
                        open.name
                    ));
                }
                // Telegram drops empty entities, so only non-empty ones count toward the limit.
                if open.counts && utf16 > open.start {
                    entities += 1;
                }
                i = j + 1;
            }
            b'<' => {
                let (name, attributes, next) = parse_start_tag(html, i)?;
                check_tag_attributes(&name, &attributes, i)?;
                // `<pre><code class="language-x">` is a single `pre` entity with a language.
                let counts =
                    !(name == "code" && stack.last().is_some_and(|open| open.name == "pre"));
                stack.push(Open {
                    name,
                    start: utf16,
                    counts,
                });
                i = next;
            }
            b'>' => return Err(format!("Unescaped \">\" at byte offset {i}; use \"&gt;\"")),
            b'&' => {
                let (ch, next) = decode_entity(html, i)?;
                text.push(ch);
                utf16 += ch.len_utf16();
                i = next;
            }
            _ => {
                // `i` is always on a char boundary: it only advances by whole chars or ASCII bytes.
                let Some(ch) = html[i..].chars().next() else {
                    break;
                };
                text.push(ch);
                utf16 += ch.len_utf16();
                i += ch.len_utf8();
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.name
        ));
    }
    Ok(ParsedHtml { text, entities })
}

/// Length of `text` in UTF-16 code units, the unit of all Bot API lengths and offsets.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A parsed start tag: lowercase name, attributes (lowercase name, decoded value), and the
/// byte index after its `>`.
type StartTag = (String, Vec<(String, String)>, usize);

/// Parses `<name attr="value" flag>` starting at byte `pos` (which holds `<`).
fn parse_start_tag(html: &str, pos: usize) -> Result<StartTag, String> {
    let bytes = html.as_bytes();
    let unclosed = || format!("Unclosed start tag at byte offset {pos}");
    let mut j = pos + 1;
    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
        j += 1;
    }
    if j >= bytes.len() {
        return Err(unclosed());
    }
    let name = html[pos + 1..j].to_ascii_lowercase();
    if !SUPPORTED_TAGS.contains(&name.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{name}\" at byte offset {pos}"
        ));
    }
    let mut attributes = Vec::new();
    loop {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if j >= bytes.len() {
            return Err(unclosed());
        }
        if bytes[j] == b'>' {
            return Ok((name, attributes, j + 1));
        }
        let name_start = j;
        while j < bytes.len()
            && !bytes[j].is_ascii_whitespace()
            && bytes[j] != b'='
            && bytes[j] != b'>'
        {
            j += 1;
        }
        if j == name_start {
            return Err(format!(
                "Empty attribute name in the tag \"{name}\" at byte offset {pos}"
            ));
        }
        let attribute = html[name_start..j].to_ascii_lowercase();
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut value = String::new();
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= bytes.len() {
                return Err(unclosed());
            }
            let (raw_start, raw_end) = if bytes[j] == b'"' || bytes[j] == b'\'' {
                let quote = bytes[j];
                let end = bytes[j + 1..]
                    .iter()
                    .position(|&b| b == quote)
                    .map(|p| p + j + 1)
                    .ok_or_else(unclosed)?;
                let range = (j + 1, end);
                j = end + 1;
                range
            } else {
                let start = j;
                while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                    j += 1;
                }
                (start, j)
            };
            value = decode_attribute(html, raw_start, raw_end)?;
        }
        attributes.push((attribute, value));
    }
}

/// Checks the attributes Telegram requires for some tags.
fn check_tag_attributes(
    name: &str,
    attributes: &[(String, String)],
    pos: usize,
) -> Result<(), String> {
    let get = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match name {
        "a" if get("href").is_none_or(|href| href.trim().is_empty()) => Err(format!(
            "Tag \"a\" at byte offset {pos} must have a non-empty \"href\" attribute"
        )),
        "span" if get("class") != Some("tg-spoiler") => Err(format!(
            "Tag \"span\" at byte offset {pos} must have class \"tg-spoiler\""
        )),
        "tg-emoji" if get("emoji-id").is_none_or(str::is_empty) => Err(format!(
            "Tag \"tg-emoji\" at byte offset {pos} must have attribute \"emoji-id\""
        )),
        _ => Ok(()),
    }
}

/// Decodes the entities in the attribute value `html[start..end]`.
fn decode_attribute(html: &str, start: usize, end: usize) -> Result<String, String> {
    let mut value = String::with_capacity(end - start);
    let mut i = start;
    while i < end {
        if html.as_bytes()[i] == b'&' {
            let (ch, next) = decode_entity(html, i)?;
            value.push(ch);
            i = next;
        } else {
            let Some(ch) = html[i..end].chars().next() else {
                break;
            };
            value.push(ch);
            i += ch.len_utf8();
        }
    }
    Ok(value)
}

/// Decodes the HTML entity starting at byte `pos` (which holds `&`).
/// Returns the character and the byte index after `;`.
fn decode_entity(html: &str, pos: usize) -> Result<(char, usize), String> {
    let rest = &html[pos + 1..];
    let unescaped = || format!("Unescaped \"&\" at byte offset {pos}; use \"&amp;\"");
    let end = rest
        .bytes()
        .take(32)
        .position(|b| b == b';')
        .ok_or_else(unescaped)?;
    let name = &rest[..end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'#') {
        return Err(unescaped());
    }
    let code = match name {
        "lt" => Some('<' as u32),
        "gt" => Some('>' as u32),
        "amp" => Some('&' as u32),
        "quot" => Some('"' as u32),
        _ => match name.strip_prefix('#') {
            Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16).ok(),
            Some(decimal) => decimal.parse::<u32>().ok(),
            None => {
                return Err(format!(
                    "Unsupported HTML entity \"&{name};\" at byte offset {pos}"
                ))
            }
        },
    };
    match code.filter(|&c| c != 0).and_then(char::from_u32) {
        Some(ch) => Ok((ch, pos + 1 + end + 1)),
        None => Err(format!(
            "Invalid numeric HTML entity \"&{name};\" at byte offset {pos}"
        )),
    }
}

/// Validates a message text for `parse_mode` like Telegram; returns the text users see
/// (trimmed, as Telegram trims) and the entity count.
fn validate_text(text: &str, parse_mode: Option<&str>) -> Result<(String, usize), ApiError> {
    let (plain, entities) = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => (text.to_owned(), 0),
        Some("html") => {
            let parsed = parse_html(text).map_err(|reason| {
                ApiError::bad_request(format!("can't parse entities: {reason}"))
            })?;
            (parsed.text, parsed.entities)
        }
        // Markdown is not validated: the bot sends HTML or plain text only.
        Some("markdown" | "markdownv2") => (text.to_owned(), 0),
        Some(_) => return Err(ApiError::bad_request("unsupported parse_mode")),
    };
    let plain = plain.trim();
    if plain.is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if utf16_len(plain) > MAX_MESSAGE_UTF16 {
        return Err(ApiError::bad_request("message is too long"));
    }
    if entities > MAX_ENTITIES {
        return Err(ApiError::bad_request("too many entities"));
    }
    Ok((plain.to_owned(), entities))
}

// ===== Bot API JSON ======================================================================

/// Current Unix time in seconds (`date` fields).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as i64)
}

/// A human user.
fn user_json(user_id: i64) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": format!("User{user_id}"), "username": format!("user{user_id}") })
}

/// A chat: private for positive ids (the other party is a user with that id), supergroup otherwise.
fn chat_json(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({ "id": chat_id, "type": "private", "first_name": format!("User{chat_id}"), "username": format!("user{chat_id}") })
    } else {
        json!({ "id": chat_id, "type": "supergroup", "title": format!("Test group {chat_id}") })
    }
}

/// A new text message (fresh message id) in `chat_id` from `from`.
fn new_message(
    state: &mut State,
    chat_id: i64,
    from: Value,
    text: &str,
    entities: Vec<Value>,
) -> Value {
    let message_id = state.alloc_message_id();
    let mut message = json!({
        "message_id": message_id,
        "from": from,
        "chat": chat_json(chat_id),
        "date": unix_now(),
        "text": text,
    });
    if !entities.is_empty() {
        message["entities"] = Value::Array(entities);
    }
    message
}

/// The stored message `(chat_id, message_id)` for embedding (as `reply_to_message` or a
/// callback's `message`), or a stand-in message from the bot when the server does not know it.
fn known_or_bot_message(state: &State, config: &Config, chat_id: i64, message_id: i64) -> Value {
    match state.messages.get(&(chat_id, message_id)) {
        Some(known) => embeddable(&known.json),
        None => json!({
            "message_id": message_id,
            "from": config.bot_user(),
            "chat": chat_json(chat_id),
            "date": unix_now(),
            "text": "…",
        }),
    }
}

/// A copy of a message fit for embedding: Telegram does not nest replies inside replies.
fn embeddable(message: &Value) -> Value {
    let mut copy = message.clone();
    if let Some(object) = copy.as_object_mut() {
        object.remove("reply_to_message");
    }
    copy
}

/// `bot_command` and `mention` entities, as a Telegram client would attach them.
fn detect_entities(text: &str) -> Vec<Value> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let chars: Vec<char> = text.chars().collect();
    let mut offsets = Vec::with_capacity(chars.len() + 1);
    offsets.push(0usize);
    for c in &chars {
        offsets.push(offsets[offsets.len() - 1] + c.len_utf16());
    }
    let mut entities = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let after_space = i == 0 || chars[i - 1].is_whitespace();
        if chars[i] == '/' && after_space {
            let mut j = i + 1;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            if j > i + 1 {
                if j < chars.len() && chars[j] == '@' {
                    let mut k = j + 1;
                    while k < chars.len() && is_word(chars[k]) {
                        k += 1;
                    }
                    if k > j + 1 {
                        j = k;
                    }
                }
                entities.push(json!({ "type": "bot_command", "offset": offsets[i], "length": offsets[j] - offsets[i] }));
                i = j;
                continue;
            }
        }
        if chars[i] == '@' && (i == 0 || !is_word(chars[i - 1])) {
            let mut j = i + 1;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            // Telegram usernames are 5..=32 characters.
            if (5..=32).contains(&(j - i - 1)) {
                entities.push(json!({ "type": "mention", "offset": offsets[i], "length": offsets[j] - offsets[i] }));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    entities
}

/// Key under which `setMyCommands` stores a command list (scope + language).
fn commands_key(params: &Map<String, Value>) -> String {
    let scope = param_json(params, "scope").unwrap_or_else(|| json!({ "type": "default" }));
    let language = param_str(params, "language_code").unwrap_or_default();
    format!("{scope}|{language}")
}

// ===== server state ======================================================================

/// Immutable identity of the fake bot.
#[derive(Debug)]
struct Config {
    token: String,
    bot_id: i64,
    username: String,
}

impl Config {
    /// The bot as a `User` (the `from` of its messages).
    fn bot_user(&self) -> Value {
        json!({ "id": self.bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": self.username })
    }

    /// The bot as `getMe` returns it: a `User` plus the bot-only capability flags.
    fn me(&self) -> Value {
        json!({
            "id": self.bot_id,
            "is_bot": true,
            "first_name": BOT_FIRST_NAME,
            "username": self.username,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": true,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })
    }
}

/// A message the server knows, with the raw text it was last sent with (to detect no-op edits).
struct KnownMessage {
    json: Value,
    raw_text: String,
}

/// Deterministic xorshift64 generator for random faults.
struct RandomFaults {
    rate: f64,
    faults: Vec<Fault>,
    state: u64,
}

impl RandomFaults {
    fn new(rate: f64, seed: u64, faults: Vec<Fault>) -> Self {
        Self {
            rate,
            faults,
            // xorshift has a fixed point at 0.
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    fn next_f64(&mut self) -> f64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn draw(&mut self) -> Option<Fault> {
        if self.next_f64() >= self.rate {
            return None;
        }
        let pick = (self.next_f64() * self.faults.len() as f64) as usize;
        self.faults.get(pick.min(self.faults.len() - 1)).cloned()
    }
}

/// Flood-control bookkeeping for `sendMessage`.
#[derive(Default)]
struct Limiter {
    /// Token bucket per private chat: (tokens, last refill).
    private: HashMap<i64, (f64, Instant)>,
    /// Send times in the last minute per group.
    groups: HashMap<i64, VecDeque<Instant>>,
    /// Send times in the last second, all chats.
    global: VecDeque<Instant>,
}

impl Limiter {
    /// Admits one message to `chat_id` or returns the `retry_after` (seconds, ≥ 1) to demand.
    /// Nothing is consumed when the message is refused.
    fn admit(&mut self, limits: &RateLimits, chat_id: i64, now: Instant) -> Result<(), u32> {
        let ceil_secs = |d: Duration| (d.as_secs_f64().ceil() as u32).max(1);
        while self
            .global
            .front()
            .is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(1))
        {
            self.global.pop_front();
        }
        if self.global.len() >= limits.global_per_second {
            let oldest = self.global.front().copied().unwrap_or(now);
            return Err(ceil_secs(
                Duration::from_secs(1).saturating_sub(now.duration_since(oldest)),
            ));
        }
        if chat_id > 0 {
            let burst = f64::from(limits.private_burst.max(1));
            let (tokens, last) = self.private.entry(chat_id).or_insert((burst, now));
            *tokens = (*tokens
                + now.duration_since(*last).as_secs_f64() * limits.private_per_second)
                .min(burst);
            *last = now;
            if *tokens < 1.0 {
                let wait = if limits.private_per_second > 0.0 {
                    (1.0 - *tokens) / limits.private_per_second
                } else {
                    60.0
                };
                return Err((wait.ceil() as u32).max(1));
            }
            *tokens -= 1.0;
        } else {
            let window = self.groups.entry(chat_id).or_default();
            while window
                .front()
                .is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(60))
            {
                window.pop_front();
            }
            if window.len() >= limits.group_per_minute {
                let oldest = window.front().copied().unwrap_or(now);
                return Err(ceil_secs(
                    Duration::from_secs(60).saturating_sub(now.duration_since(oldest)),
                ));
            }
            window.push_back(now);
        }
        self.global.push_back(now);
        Ok(())
    }
}

/// Everything mutable, behind one mutex. No await happens while it is held.
struct State {
    next_update_id: i64,
    next_message_id: i64,
    queue: VecDeque<Value>,
    update_messages: HashMap<i64, i64>,
    messages: HashMap<(i64, i64), KnownMessage>,
    confirmed_offset: i64,
    poll_generation: u64,
    allowed_updates: Option<Vec<String>>,
    open_queries: HashSet<String>,
    sent: Vec<SentMessage>,
    calls: HashMap<String, Vec<Value>>,
    faults: HashMap<String, VecDeque<Fault>>,
    random_faults: Option<RandomFaults>,
    rate_limits: Option<RateLimits>,
    limiter: Limiter,
    count_429: usize,
    rejected: Vec<(String, u16, String)>,
    dropped: usize,
    webhook_url: String,
    webhook_secret: Option<String>,
    commands: HashMap<String, Value>,
}

impl State {
    fn new(rate_limits: Option<RateLimits>) -> Self {
        Self {
            next_update_id: 1,
            next_message_id: 1,
            queue: VecDeque::new(),
            update_messages: HashMap::new(),
            messages: HashMap::new(),
            confirmed_offset: 0,
            poll_generation: 0,
            allowed_updates: None,
            open_queries: HashSet::new(),
            sent: Vec::new(),
            calls: HashMap::new(),
            faults: HashMap::new(),
            random_faults: None,
            rate_limits,
            limiter: Limiter::default(),
            count_429: 0,
            rejected: Vec::new(),
            dropped: 0,
            webhook_url: String::new(),
            webhook_secret: None,
            commands: HashMap::new(),
        }
    }

    fn alloc_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    /// Registers what an update carries and queues it unless `allowed_updates` excludes it.
    fn enqueue(&mut self, update_id: i64, mut update: Value) {
        // Not an update at all: dropping it keeps the queue confirmable by offset.
        let Some(object) = update.as_object_mut() else {
            return;
        };
        object.remove("update_id");
        let kind = object.keys().next().cloned().unwrap_or_default();
        for key in [
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "business_message",
        ] {
            let Some(message) = object.get(key) else {
                continue;
            };
            let chat_id = message.pointer("/chat/id").and_then(Value::as_i64);
            let message_id = message.get("message_id").and_then(Value::as_i64);
            if let (Some(chat_id), Some(message_id)) = (chat_id, message_id) {
                self.update_messages.insert(update_id, message_id);
                // Keep our own ids clear of ids chosen by hand in raw updates.
                self.next_message_id = self.next_message_id.max(message_id + 1);
                let raw_text = message
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                self.messages.insert(
                    (chat_id, message_id),
                    KnownMessage {
                        json: message.clone(),
                        raw_text,
                    },
                );
            }
        }
        for key in ["callback_query", "inline_query"] {
            if let Some(id) = object
                .get(key)
                .and_then(|q| q.get("id"))
                .and_then(Value::as_str)
            {
                self.open_queries.insert(id.to_owned());
            }
        }
        object.insert("update_id".to_owned(), json!(update_id));
        let allowed = match &self.allowed_updates {
            Some(list) => list.contains(&kind),
            None => !NOT_DEFAULT_UPDATES.contains(&kind.as_str()),
        };
        if allowed {
            self.queue.push_back(update);
        }
    }

    /// Applies a `getUpdates` offset: forgets confirmed updates and records the offset.
    fn confirm(&mut self, offset: i64) {
        if offset < 0 {
            // Negative offsets keep only the last |offset| updates, as on Telegram.
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.queue.len() > keep {
                self.queue.pop_front();
            }
        } else {
            while self
                .queue
                .front()
                .and_then(|u| u.get("update_id"))
                .and_then(Value::as_i64)
                .is_some_and(|id| id < offset)
            {
                self.queue.pop_front();
            }
        }
        self.confirmed_offset = self.confirmed_offset.max(offset);
    }

    /// The next fault for `method`: a queued one first, else a random one (if enabled).
    fn take_fault(&mut self, method: &str) -> Option<Fault> {
        if let Some(fault) = self.faults.get_mut(method).and_then(VecDeque::pop_front) {
            return Some(fault);
        }
        if matches!(method, "sendmessage" | "getupdates") {
            return self.random_faults.as_mut().and_then(RandomFaults::draw);
        }
        None
    }
}

/// State shared between the handle and the server tasks.
struct Shared {
    config: Config,
    state: Mutex<State>,
    /// Wakes long polls: an update arrived, or a newer poll supersedes them.
    updates: Notify,
    /// Wakes `wait_for_*`: something observable changed.
    changed: Notify,
}

/// A Bot API error answer.
#[derive(Debug)]
struct ApiError {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    fn bad_request(reason: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Bad Request: {reason}"))
    }

    fn retry_after(seconds: u32) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {seconds}"),
            retry_after: Some(seconds),
        }
    }

    /// The error Telegram-like servers give for a bare HTTP status.
    fn from_status(code: u16) -> Self {
        match code {
            429 => Self::retry_after(1),
            409 => Self::new(409, CONFLICT_POLL),
            403 => Self::new(403, "Forbidden: bot was blocked by the user"),
            400 => Self::new(400, "Bad Request"),
            _ => Self::new(code, reason_phrase(code)),
        }
    }

    fn body(&self) -> Value {
        let mut body =
            json!({ "ok": false, "error_code": self.code, "description": self.description });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({ "retry_after": seconds });
        }
        body
    }
}

/// What to do with a request.
enum Outcome {
    Respond(u16, Value),
    Drop,
}

// ----- parameter access (JSON bodies carry typed values, forms carry strings) -------------

fn param_str(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn param_i64(params: &Map<String, Value>, key: &str) -> Option<i64> {
    params.get(key).and_then(value_i64)
}

fn value_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true" || s == "1",
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

fn param_bool(params: &Map<String, Value>, key: &str) -> bool {
    params.get(key).is_some_and(value_bool)
}

/// An object/array parameter, sent as JSON or as a JSON-encoded string (form encoding).
fn param_json(params: &Map<String, Value>, key: &str) -> Option<Value> {
    match params.get(key)? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

/// `chat_id` as an integer; usernames (`@channel`) and garbage are chats we do not know.
fn chat_id_param(params: &Map<String, Value>) -> Result<i64, ApiError> {
    match params.get("chat_id") {
        None | Some(Value::Null) => Err(ApiError::bad_request("chat_id is empty")),
        Some(value) => value_i64(value)
            .filter(|&id| id != 0)
            .ok_or_else(|| ApiError::bad_request("chat not found")),
    }
}

/// `reply_markup` if it is an inline keyboard: only those are echoed back in the Message.
fn inline_markup(params: &Map<String, Value>) -> Option<Value> {
    param_json(params, "reply_markup").filter(|m| m.get("inline_keyboard").is_some())
}

// ===== method handlers ===================================================================

impl Shared {
    /// Locks the state, recovering from poisoning so one bug cannot wedge every later request.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Routes one HTTP request: token check, call recording, faults, then the method.
    async fn handle(&self, request: HttpRequest) -> Outcome {
        let (path, query) = request
            .target
            .split_once('?')
            .unwrap_or((&request.target, ""));
        let path = percent_decode(path, false);
        let Some((token, method)) = path
            .strip_prefix("/bot")
            .and_then(|rest| rest.split_once('/'))
        else {
            return self.reject("", ApiError::new(404, "Not Found"));
        };
        let method = method.to_ascii_lowercase();
        if token != self.config.token {
            return self.reject(&method, ApiError::new(401, "Unauthorized"));
        }
        if method.is_empty() || method.contains('/') {
            return self.reject(&method, ApiError::new(404, "Not Found"));
        }
        let params = match request.params(query) {
            Ok(params) => params,
            Err(err) => return self.reject(&method, err),
        };
        let fault = {
            let mut state = self.lock();
            state
                .calls
                .entry(method.clone())
                .or_default()
                .push(Value::Object(params.clone()));
            let fault = state.take_fault(&method);
            if fault == Some(Fault::Drop) {
                state.dropped += 1;
            }
            fault
        };
        self.changed.notify_waiters();
        match fault {
            None => {}
            Some(Fault::Drop) => return Outcome::Drop,
            Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
            Some(Fault::Status(code)) => return self.reject(&method, ApiError::from_status(code)),
            Some(Fault::RetryAfter(seconds)) => {
                return self.reject(&method, ApiError::retry_after(seconds))
            }
            Some(Fault::Conflict) => {
                return self.reject(&method, ApiError::new(409, CONFLICT_POLL))
            }
        }
        let result = if method == "getupdates" {
            self.get_updates(&params).await
        } else {
            self.dispatch(&method, &params)
        };
        self.changed.notify_waiters();
        match result {
            Ok(result) => Outcome::Respond(200, json!({ "ok": true, "result": result })),
            Err(err) => self.reject(&method, err),
        }
    }

    /// Records an error answer and turns it into a response.
    fn reject(&self, method: &str, err: ApiError) -> Outcome {
        {
            let mut state = self.lock();
            if err.code == 429 {
                state.count_429 += 1;
            }
            state
                .rejected
                .push((method.to_owned(), err.code, err.description.clone()));
        }
        self.changed.notify_waiters();
        Outcome::Respond(err.code, err.body())
    }

    /// Every method except `getUpdates` (which waits, so it is async).
    fn dispatch(&self, method: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
        match method {
            "getme" => Ok(self.config.me()),
            "sendmessage" => self.send_message(params),
            "editmessagetext" => self.edit_message(params, true),
            "editmessagereplymarkup" => self.edit_message(params, false),
            "deletemessage" => self.delete_message(params),
            "sendchataction" => self.send_chat_action(params),
            "answercallbackquery" => self.answer_callback_query(params),
            "answerinlinequery" => self.answer_inline_query(params),
            "setmycommands" => self.set_my_commands(params),
            "getmycommands" => Ok(self
                .lock()
                .commands
                .get(&commands_key(params))
                .cloned()
                .unwrap_or_else(|| json!([]))),
            "deletemycommands" => {
                self.lock().commands.remove(&commands_key(params));
                Ok(json!(true))
            }
            "setwebhook" => self.set_webhook(params),
            "deletewebhook" => {
                let mut state = self.lock();
                state.webhook_url.clear();
                state.webhook_secret = None;
                if param_bool(params, "drop_pending_updates") {
                    state.queue.clear();
                }
                Ok(json!(true))
            }
            "getwebhookinfo" => {
                let state = self.lock();
                Ok(
                    json!({ "url": state.webhook_url, "has_custom_certificate": false, "pending_update_count": state.queue.len() }),
                )
            }
            _ => Err(ApiError::new(404, "Not Found")),
        }
    }

    /// Long polling: confirm the offset, answer at once if updates are pending, else wait up
    /// to `timeout` seconds for one. A newer `getUpdates` ends this one with 409, as on Telegram.
    async fn get_updates(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let limit = param_i64(params, "limit").unwrap_or(100).clamp(1, 100) as usize;
        let timeout = param_i64(params, "timeout")
            .unwrap_or(0)
            .clamp(0, MAX_POLL_TIMEOUT_SECS) as u64;
        let generation = {
            let mut state = self.lock();
            if !state.webhook_url.is_empty() {
                return Err(ApiError::new(409, CONFLICT_WEBHOOK));
            }
            if let Some(Value::Array(kinds)) = param_json(params, "allowed_updates") {
                state.allowed_updates = (!kinds.is_empty()).then(|| {
                    kinds
                        .iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect()
                });
            }
            if let Some(offset) = param_i64(params, "offset") {
                state.confirm(offset);
            }
            state.poll_generation += 1;
            state.poll_generation
        };
        self.changed.notify_waiters();
        self.updates.notify_waiters();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        loop {
            let mut notified = pin!(self.updates.notified());
            notified.as_mut().enable();
            {
                let state = self.lock();
                if state.poll_generation != generation {
                    return Err(ApiError::new(409, CONFLICT_POLL));
                }
                if !state.queue.is_empty() || tokio::time::Instant::now() >= deadline {
                    return Ok(Value::Array(
                        state.queue.iter().take(limit).cloned().collect(),
                    ));
                }
            }
            // On timeout the loop runs once more and answers with whatever is queued.
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    fn send_message(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat_id = chat_id_param(params)?;
        let text = param_str(params, "text").unwrap_or_default();
        let parse_mode = param_str(params, "parse_mode").filter(|mode| !mode.is_empty());
        let (plain_text, entity_count) = validate_text(&text, parse_mode.as_deref())?;
        let reply_parameters = param_json(params, "reply_parameters");
        let reply_to = reply_parameters
            .as_ref()
            .and_then(|r| r.get("message_id"))
            .and_then(value_i64)
            .or_else(|| param_i64(params, "reply_to_message_id"));
        let allow_without_reply = reply_parameters
            .as_ref()
            .and_then(|r| r.get("allow_sending_without_reply"))
            .is_some_and(value_bool)
            || param_bool(params, "allow_sending_without_reply");
        let link_preview_disabled = param_json(params, "link_preview_options")
            .and_then(|o| o.get("is_disabled").map(value_bool))
            .unwrap_or(false)
            || param_bool(params, "disable_web_page_preview");
        let reply_markup = param_json(params, "reply_markup");

        let mut state = self.lock();
        let replied = match reply_to {
            None => None,
            Some(id) => match state.messages.get(&(chat_id, id)) {
                Some(known) => Some(embeddable(&known.json)),
                None if allow_without_reply => None,
                None => return Err(ApiError::bad_request("message to be replied not found")),
            },
        };
        if let Some(limits) = state.rate_limits {
            state
                .limiter
                .admit(&limits, chat_id, Instant::now())
                .map_err(ApiError::retry_after)?;
        }
        let message_id = state.alloc_message_id();
        let mut message = json!({
            "message_id": message_id,
            "from": self.config.bot_user(),
            "chat": chat_json(chat_id),
            "date": unix_now(),
            "text": plain_text,
        });
        if let Some(replied) = replied {
            message["reply_to_message"] = replied;
        }
        if link_preview_disabled {
            message["link_preview_options"] = json!({ "is_disabled": true });
        }
        if let Some(markup) = inline_markup(params) {
            message["reply_markup"] = markup;
        }
        state.messages.insert(
            (chat_id, message_id),
            KnownMessage {
                json: message.clone(),
                raw_text: text.clone(),
            },
        );
        state.sent.push(SentMessage {
            message_id,
            chat_id,
            text,
            plain_text,
            parse_mode,
            reply_to,
            link_preview_disabled,
            reply_markup,
            entity_count,
            sent_at: Instant::now(),
        });
        Ok(message)
    }

    /// `editMessageText` (`text = true`) and `editMessageReplyMarkup`. Chat messages must be
    /// the bot's own and must change; inline messages are accepted blindly (`true`).
    fn edit_message(&self, params: &Map<String, Value>, text: bool) -> Result<Value, ApiError> {
        let new_text = if text {
            let raw = param_str(params, "text").unwrap_or_default();
            let parse_mode = param_str(params, "parse_mode").filter(|mode| !mode.is_empty());
            let (plain, _) = validate_text(&raw, parse_mode.as_deref())?;
            Some((raw, plain))
        } else {
            None
        };
        if param_str(params, "inline_message_id").is_some_and(|id| !id.is_empty()) {
            return Ok(json!(true));
        }
        let chat_id = chat_id_param(params)?;
        let message_id = param_i64(params, "message_id")
            .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
        let markup = inline_markup(params);
        let link_preview_disabled = param_json(params, "link_preview_options")
            .and_then(|o| o.get("is_disabled").map(value_bool))
            .unwrap_or(false)
            || param_bool(params, "disable_web_page_preview");
        let bot_id = self.config.bot_id;
        let mut state = self.lock();
        let known = state
            .messages
            .get_mut(&(chat_id, message_id))
            .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
        if known.json.pointer("/from/id").and_then(Value::as_i64) != Some(bot_id) {
            return Err(ApiError::bad_request("message can't be edited"));
        }
        let same_text = new_text
            .as_ref()
            .is_none_or(|(raw, _)| *raw == known.raw_text);
        if same_text && known.json.get("reply_markup") == markup.as_ref() {
            return Err(ApiError::new(400, NOT_MODIFIED));
        }
        let message = known
            .json
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("message to edit not found"))?;
        if let Some((raw, plain)) = new_text {
            message.insert("text".to_owned(), json!(plain));
            message.remove("link_preview_options");
            if link_preview_disabled {
                message.insert(
                    "link_preview_options".to_owned(),
                    json!({ "is_disabled": true }),
                );
            }
            known.raw_text = raw;
        }
        match markup {
            Some(markup) => message.insert("reply_markup".to_owned(), markup),
            None => message.remove("reply_markup"),
        };
        message.insert("edit_date".to_owned(), json!(unix_now()));
        Ok(known.json.clone())
    }

    fn delete_message(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let chat_id = chat_id_param(params)?;
        let message_id = param_i64(params, "message_id")
            .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
        match self.lock().messages.remove(&(chat_id, message_id)) {
            Some(_) => Ok(json!(true)),
            None => Err(ApiError::bad_request("message to delete not found")),
        }
    }

    fn send_chat_action(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        const ACTIONS: [&str; 11] = [
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        ];
        chat_id_param(params)?;
        match param_str(params, "action") {
            Some(action) if ACTIONS.contains(&action.as_str()) => Ok(json!(true)),
            _ => Err(ApiError::bad_request("wrong parameter action in request")),
        }
    }

    fn answer_callback_query(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = param_str(params, "callback_query_id").unwrap_or_default();
        if param_str(params, "text").is_some_and(|text| text.chars().count() > 200) {
            return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
        }
        if !self.lock().open_queries.remove(&id) {
            return Err(ApiError::new(400, QUERY_TOO_OLD));
        }
        Ok(json!(true))
    }

    fn answer_inline_query(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let id = param_str(params, "inline_query_id").unwrap_or_default();
        let results = match param_json(params, "results") {
            Some(Value::Array(results)) => results,
            _ => return Err(ApiError::bad_request("RESULTS_MISSING")),
        };
        if results.len() > MAX_INLINE_RESULTS {
            return Err(ApiError::bad_request("RESULTS_TOO_MUCH"));
        }
        if param_str(params, "next_offset")
            .is_some_and(|offset| offset.len() > MAX_INLINE_NEXT_OFFSET)
        {
            return Err(ApiError::bad_request("NEXT_OFFSET_INVALID"));
        }
        let mut ids = HashSet::new();
        for result in &results {
            let result_id = result.get("id").and_then(Value::as_str).unwrap_or_default();
            if result.get("type").and_then(Value::as_str).is_none()
                || result_id.is_empty()
                || result_id.len() > 64
            {
                return Err(ApiError::bad_request("RESULT_ID_INVALID"));
            }
            if !ids.insert(result_id) {
                return Err(ApiError::bad_request("RESULT_ID_DUPLICATE"));
            }
            if let Some(content) = result.get("input_message_content") {
                if let Some(text) = content.get("message_text").and_then(Value::as_str) {
                    validate_text(text, content.get("parse_mode").and_then(Value::as_str))?;
                }
            }
        }
        if !self.lock().open_queries.remove(&id) {
            return Err(ApiError::new(400, QUERY_TOO_OLD));
        }
        Ok(json!(true))
    }

    fn set_my_commands(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let Some(Value::Array(commands)) = param_json(params, "commands") else {
            return Err(ApiError::bad_request("commands must be an array"));
        };
        if commands.len() > 100 {
            return Err(ApiError::bad_request("too many commands"));
        }
        for command in &commands {
            let name = command
                .get("command")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let name = name.strip_prefix('/').unwrap_or(name);
            let valid = (1..=32).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
            }
            let description = command
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !(1..=256).contains(&description.chars().count()) {
                return Err(ApiError::bad_request(
                    "command description must be 1-256 characters",
                ));
            }
        }
        self.lock()
            .commands
            .insert(commands_key(params), Value::Array(commands));
        Ok(json!(true))
    }

    fn set_webhook(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let url = param_str(params, "url").unwrap_or_default();
        if !url.is_empty() && !url.starts_with("https://") {
            return Err(ApiError::bad_request(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        }
        let mut state = self.lock();
        state.webhook_url = url;
        state.webhook_secret = param_str(params, "secret_token").filter(|s| !s.is_empty());
        if param_bool(params, "drop_pending_updates") {
            state.queue.clear();
        }
        Ok(json!(true))
    }
}

// ===== minimal HTTP/1.1 ==================================================================

/// One parsed HTTP request.
struct HttpRequest {
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Query-string parameters overlaid with body parameters (JSON object or urlencoded form).
    fn params(&self, query: &str) -> Result<Map<String, Value>, ApiError> {
        let mut params = Map::new();
        for (key, value) in parse_urlencoded(query) {
            params.insert(key, Value::String(value));
        }
        if self.body.is_empty() {
            return Ok(params);
        }
        let content_type = self
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (key, value) in parse_urlencoded(&String::from_utf8_lossy(&self.body)) {
                params.insert(key, Value::String(value));
            }
        } else if content_type.starts_with("multipart/") {
            // teloxide sends setWebhook (and file uploads) as multipart; text
            // fields are read like a form, file parts are not supported.
            let original = self.header("content-type").unwrap_or_default();
            let fields = parse_multipart(original, &self.body).ok_or_else(|| {
                ApiError::bad_request(
                    "multipart/form-data with file parts is not supported by the fake server",
                )
            })?;
            for (key, value) in fields {
                params.insert(key, Value::String(value));
            }
        } else if content_type.starts_with("application/json") || self.body.first() == Some(&b'{') {
            match serde_json::from_slice::<Value>(&self.body) {
                Ok(Value::Object(body)) => params.extend(body),
                Ok(_) => return Err(ApiError::bad_request("request body must be a JSON object")),
                Err(err) => {
                    return Err(ApiError::bad_request(format!(
                        "can't parse request JSON: {err}"
                    )))
                }
            }
        }
        Ok(params)
    }
}

/// Why no request could be read from a connection.
enum ReadError {
    /// The peer closed the connection (cleanly or mid-request): nothing to answer.
    Closed,
    /// The request is unusable: answer with this status and description, then close.
    Respond(u16, &'static str),
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Owning the connection tasks here means aborting this task aborts them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(shared.clone(), stream));
                }
                // E.g. out of file descriptors under load: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut buffer = Vec::with_capacity(8192);
    loop {
        let request = match read_request(&mut stream, &mut buffer).await {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Respond(status, description)) => {
                let body = json!({ "ok": false, "error_code": status, "description": description });
                let _ = write_response(&mut stream, status, &body, false).await;
                return;
            }
        };
        let keep_alive = request.keep_alive;
        let path = request
            .target
            .split('?')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let outcome = if path.ends_with("/getupdates") {
            // A long poll can outlive its client: stop polling once the peer hangs up, so an
            // abandoned poll neither lingers nor gets reported as superseded (409).
            let mut handling = pin!(shared.handle(request));
            loop {
                tokio::select! {
                    outcome = &mut handling => break Some(outcome),
                    read = stream.read_buf(&mut buffer), if buffer.len() < MAX_HEAD_BYTES => {
                        if matches!(read, Ok(0) | Err(_)) {
                            break None;
                        }
                    }
                }
            }
        } else {
            Some(shared.handle(request).await)
        };
        match outcome {
            None | Some(Outcome::Drop) => return,
            Some(Outcome::Respond(status, body)) => {
                if write_response(&mut stream, status, &body, keep_alive)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
            }
        }
    }
}

/// Reads one request (head + `Content-Length` body) from `stream`, keeping any bytes of the
/// next request in `buffer` for pipelining.
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<HttpRequest, ReadError> {
    let head_end = loop {
        // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
        let blank = buffer
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        buffer.drain(..blank);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(ReadError::Respond(431, "Request Header Fields Too Large"));
        }
        if !read_more(stream, buffer).await {
            return Err(ReadError::Closed);
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_ascii_whitespace();
    let (Some(_method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(ReadError::Respond(
            400,
            "Bad Request: malformed request line",
        ));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Respond(505, "HTTP Version Not Supported"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Respond(
                400,
                "Bad Request: malformed header line",
            ));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    if headers.iter().any(|(name, _)| name == "transfer-encoding") {
        return Err(ReadError::Respond(
            411,
            "Length Required: chunked request bodies are not supported",
        ));
    }
    let mut content_length = None;
    for (_, value) in headers.iter().filter(|(name, _)| name == "content-length") {
        let Ok(length) = value.parse::<usize>() else {
            return Err(ReadError::Respond(
                400,
                "Bad Request: invalid Content-Length",
            ));
        };
        if content_length.is_some_and(|previous| previous != length) {
            return Err(ReadError::Respond(
                400,
                "Bad Request: conflicting Content-Length headers",
            ));
        }
        content_length = Some(length);
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > MAX_BODY_BYTES {
        return Err(ReadError::Respond(413, "Payload Too Large"));
    }
    let connection = headers
        .iter()
        .filter(|(name, _)| name == "connection")
        .map(|(_, value)| value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let keep_alive = if version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    let body_start = head_end + 4;
    let expects_continue = headers
        .iter()
        .any(|(n, v)| n == "expect" && v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && buffer.len() < body_start + content_length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    while buffer.len() < body_start + content_length {
        if !read_more(stream, buffer).await {
            return Err(ReadError::Closed);
        }
    }
    let body = buffer[body_start..body_start + content_length].to_vec();
    buffer.drain(..body_start + content_length);
    Ok(HttpRequest {
        target: target.to_owned(),
        headers,
        body,
        keep_alive,
    })
}

/// Reads more bytes into `buffer`; false when the peer closed the connection or it failed.
async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    buffer.reserve(8192);
    matches!(stream.read_buf(buffer).await, Ok(n) if n > 0)
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    body: &Value,
    keep_alive: bool,
) -> std::io::Result<()> {
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status} {}\r\nServer: fake-telegram\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
        reason_phrase(status),
        body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// Splits `a=1&b=x%20y` into decoded pairs (`+` means space).
/// The text fields of a `multipart/form-data` body; `None` when it is malformed
/// or carries a file (a part with a `filename`).
fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let body = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, value) = part.split_once("\r\n\r\n")?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        if disposition.contains("filename=") {
            return None;
        }
        let name = disposition.split(';').find_map(|p| {
            p.trim()
                .strip_prefix("name=")
                .map(|n| n.trim_matches('"').to_string())
        })?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        fields.push((name, value.to_string()));
    }
    Some(fields)
}

fn parse_urlencoded(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid ones are kept literally) and optionally `+` as space.
fn percent_decode(input: &str, plus_as_space: bool) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                if let (Some(high), Some(low)) = (
                    bytes.get(i + 1).and_then(|&b| hex(b)),
                    bytes.get(i + 2).and_then(|&b| hex(b)),
                ) {
                    out.push(high * 16 + low);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
