//! The server's state: the bot's identity, queued updates, known messages, recorded calls, injected faults and the flood limiter.

use super::*;

/// Immutable identity of the fake bot.
#[derive(Debug)]
pub(super) struct Config {
    pub(super) token: String,
    pub(super) bot_id: i64,
    pub(super) username: String,
}

impl Config {
    /// The bot as a `User` (the `from` of its messages).
    pub(super) fn bot_user(&self) -> Value {
        json!({ "id": self.bot_id, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": self.username })
    }

    /// The bot as `getMe` returns it: a `User` plus the bot-only capability flags.
    pub(super) fn me(&self) -> Value {
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

/// Deterministic xorshift64 generator for random faults.
pub(super) struct RandomFaults {
    pub(super) rate: f64,
    pub(super) faults: Vec<Fault>,
    pub(super) state: u64,
}

impl RandomFaults {
    pub(super) fn new(rate: f64, seed: u64, faults: Vec<Fault>) -> Self {
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

    pub(super) fn next_f64(&mut self) -> f64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn draw(&mut self) -> Option<Fault> {
        if self.next_f64() >= self.rate {
            return None;
        }
        let pick = (self.next_f64() * self.faults.len() as f64) as usize;
        self.faults.get(pick.min(self.faults.len() - 1)).cloned()
    }
}

/// Flood-control bookkeeping for `sendMessage`.
#[derive(Default)]
pub(super) struct Limiter {
    /// Token bucket per private chat: (tokens, last refill).
    pub(super) private: HashMap<i64, (f64, Instant)>,
    /// Send times in the last minute per group.
    pub(super) groups: HashMap<i64, VecDeque<Instant>>,
    /// Send times in the last second, all chats.
    pub(super) global: VecDeque<Instant>,
}

impl Limiter {
    /// Admits one message to `chat_id` or returns the `retry_after` (seconds, ≥ 1) to demand.
    /// Nothing is consumed when the message is refused.
    pub(super) fn admit(
        &mut self,
        limits: &RateLimits,
        chat_id: i64,
        now: Instant,
    ) -> Result<(), u32> {
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
pub(super) struct State {
    pub(super) next_update_id: i64,
    pub(super) next_message_id: i64,
    pub(super) queue: VecDeque<Value>,
    pub(super) update_messages: HashMap<i64, i64>,
    pub(super) messages: HashMap<(i64, i64), Value>,
    pub(super) confirmed_offset: i64,
    pub(super) poll_generation: u64,
    pub(super) allowed_updates: Option<Vec<String>>,
    pub(super) open_queries: HashSet<String>,
    pub(super) sent: Vec<SentMessage>,
    pub(super) calls: HashMap<String, Vec<Value>>,
    pub(super) faults: HashMap<String, VecDeque<Fault>>,
    pub(super) random_faults: Option<RandomFaults>,
    pub(super) rate_limits: Option<RateLimits>,
    pub(super) limiter: Limiter,
    pub(super) count_429: usize,
    pub(super) rejected: Vec<(String, u16, String)>,
    pub(super) dropped: usize,
    pub(super) webhook_url: String,
    pub(super) webhook_secret: Option<String>,
    pub(super) commands: HashMap<String, Value>,
    /// Supergroups that are forums (a message was pushed into one of their topics).
    pub(super) forums: HashSet<i64>,
}

impl State {
    pub(super) fn new(rate_limits: Option<RateLimits>) -> Self {
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
            forums: HashSet::new(),
        }
    }

    /// The chat `chat_id` as Bot API JSON (`is_forum` once it is known to be a forum).
    pub(super) fn chat(&self, chat_id: i64) -> Value {
        let mut chat = chat_json(chat_id);
        if self.forums.contains(&chat_id) {
            chat["is_forum"] = json!(true);
        }
        chat
    }

    pub(super) fn alloc_message_id(&mut self) -> i64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    /// Registers what an update carries and queues it unless `allowed_updates` excludes it.
    pub(super) fn enqueue(&mut self, update_id: i64, mut update: Value) {
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
                self.messages.insert((chat_id, message_id), message.clone());
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
    pub(super) fn confirm(&mut self, offset: i64) {
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
    pub(super) fn take_fault(&mut self, method: &str) -> Option<Fault> {
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
pub(super) struct Shared {
    pub(super) config: Config,
    pub(super) state: Mutex<State>,
    /// Wakes long polls: an update arrived, or a newer poll supersedes them.
    pub(super) updates: Notify,
    /// Wakes `wait_for_*`: something observable changed.
    pub(super) changed: Notify,
}

/// A Bot API error answer.
#[derive(Debug)]
pub(super) struct ApiError {
    pub(super) code: u16,
    pub(super) description: String,
    pub(super) retry_after: Option<u32>,
}

impl ApiError {
    pub(super) fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub(super) fn bad_request(reason: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Bad Request: {reason}"))
    }

    pub(super) fn retry_after(seconds: u32) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {seconds}"),
            retry_after: Some(seconds),
        }
    }

    /// The error Telegram-like servers give for a bare HTTP status.
    pub(super) fn from_status(code: u16) -> Self {
        match code {
            429 => Self::retry_after(1),
            409 => Self::new(409, CONFLICT_POLL),
            403 => Self::new(403, "Forbidden: bot was blocked by the user"),
            400 => Self::new(400, "Bad Request"),
            _ => Self::new(code, reason_phrase(code)),
        }
    }

    pub(super) fn body(&self) -> Value {
        let mut body =
            json!({ "ok": false, "error_code": self.code, "description": self.description });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({ "retry_after": seconds });
        }
        body
    }
}

/// What to do with a request.
pub(super) enum Outcome {
    Respond(u16, Value),
    Drop,
}
