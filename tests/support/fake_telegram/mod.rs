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
//! The module is self-contained (std, tokio and serde_json only) so that a load driver can
//! include it with `#[path = "../tests/support/fake_telegram/mod.rs"] mod fake_telegram;`.
//! Its files: [`http`] (the server), [`html`] (the validator), [`state`] (queues, recorded
//! calls, faults, limiter) and [`methods`] (the Bot API methods the bot calls; others 404).
//!
//! Fidelity notes (where this server is deliberately stricter or simpler than Telegram):
//! - HTML: bare `<`, `>`, `&` and named entities other than `&lt; &gt; &amp; &quot;` are
//!   rejected (Telegram lets some through); Markdown parse modes are not validated.
//! - `allowed_updates` acts when an update is pushed: a kind the bot excluded is discarded.
//! - Replies must target a message the server knows (bot-sent or pushed), unless
//!   `allow_sending_without_reply`; query ids are answerable once.
//! - Flood control applies to `sendMessage` only. Message ids are unique per server, not per chat.
//! - Forum topics: a chat becomes a forum when a message is pushed into one of its topics
//!   ([`FakeTelegram::topic_text`]). `sendMessage` posts into a topic only when given its
//!   `message_thread_id` (Telegram also infers it from the replied-to message, but not when
//!   that message is gone: bots should set it) and refuses a thread id in any other chat.
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

mod html;
mod http;
mod methods;
mod state;

// Not every test binary uses both.
use html::*;
#[allow(unused_imports)]
pub use html::{parse_html, utf16_len};
use http::*;
use methods::*;
use state::*;

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
    /// `message_thread_id` as sent: the forum topic the message was posted in.
    pub thread_id: Option<i64>,
    /// Formatting entities found in the HTML (0 for plain text).
    pub entity_count: usize,
    /// When the server accepted the message; load benchmarks measure latency against it.
    pub sent_at: Instant,
}

impl SentMessage {
    /// The callback data of the inline button labelled `label`, if the message has one.
    pub fn button(&self, label: &str) -> Option<String> {
        let markup = self.reply_markup.as_ref()?;
        // teloxide may send the keyboard as a JSON string.
        let markup: Value = match markup {
            Value::String(s) => serde_json::from_str(s).ok()?,
            other => other.clone(),
        };
        markup["inline_keyboard"]
            .as_array()?
            .iter()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .find(|b| b["text"] == label)
            .and_then(|b| b["callback_data"].as_str().map(str::to_string))
    }
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
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        FakeTelegram {
            shared,
            addr,
            accept,
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// Handle to a running fake Bot API server. Dropping it stops the server and closes every
/// connection, so tests do not leak listeners or parked long polls.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: JoinHandle<()>,
    instance: u64,
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

    /// A number no other server of this process has (ports can be reused).
    pub fn instance(&self) -> u64 {
        self.instance
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
        self.reply_to(chat_id, user_id, text, replied_message_id, None)
    }

    /// A message from `user_id` in `chat_id` (private or group) that replies to message
    /// `replied_message_id` — the stored one when the server knows it (with the text and inline
    /// keyboard the bot sent), else a stand-in from the bot. `quote` is the part of the replied
    /// message's text the user selected (Telegram's reply quote). A reply to a message in a forum
    /// topic is in that topic too.
    pub fn reply_to(
        &self,
        chat_id: i64,
        user_id: i64,
        text: &str,
        replied_message_id: i64,
        quote: Option<&str>,
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
            if let Some(quote) = quote {
                let replied_text = replied["text"].as_str().unwrap_or_default();
                let position = replied_text
                    .find(quote)
                    .map_or(0, |at| utf16_len(&replied_text[..at]));
                message["quote"] =
                    json!({ "text": quote, "position": position, "is_manual": true });
            }
            if let Some(thread) = replied.get("message_thread_id").cloned() {
                message["message_thread_id"] = thread;
                message["is_topic_message"] = json!(true);
            }
            message["reply_to_message"] = replied;
            json!({ "message": message })
        })
    }

    /// A text message from `user_id` in forum topic `thread_id` of the supergroup `chat_id`
    /// (which becomes a forum), shaped as Telegram sends it: `is_topic_message`, the thread id,
    /// and as `reply_to_message` the topic's first message (its creation by the user).
    pub fn topic_text(&self, chat_id: i64, thread_id: i64, user_id: i64, text: &str) -> i64 {
        self.push_with(|state, _, _| {
            state.forums.insert(chat_id);
            let root = json!({
                "message_id": thread_id,
                "message_thread_id": thread_id,
                "from": user_json(user_id),
                "chat": state.chat(chat_id),
                "date": unix_now(),
                "forum_topic_created": { "name": format!("Topic {thread_id}"), "icon_color": 7322096 },
                "is_topic_message": true,
            });
            let mut message = new_message(
                state,
                chat_id,
                user_json(user_id),
                text,
                detect_entities(text),
            );
            message["message_thread_id"] = json!(thread_id);
            message["is_topic_message"] = json!(true);
            message["reply_to_message"] = root;
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

    /// How many messages were delivered so far (cheaper than `sent_messages().len()`).
    pub fn sent_count(&self) -> usize {
        self.shared.lock().sent.len()
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
            .cloned()
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
