//! The Bot API methods the bot calls, answered like Telegram, and the JSON they return.

use super::*;

/// Current Unix time in seconds (`date` fields).
pub(super) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as i64)
}

/// A human user.
pub(super) fn user_json(user_id: i64) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": format!("User{user_id}"), "username": format!("user{user_id}") })
}

/// A chat: private for positive ids (the other party is a user with that id), supergroup otherwise.
pub(super) fn chat_json(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({ "id": chat_id, "type": "private", "first_name": format!("User{chat_id}"), "username": format!("user{chat_id}") })
    } else {
        json!({ "id": chat_id, "type": "supergroup", "title": format!("Test group {chat_id}") })
    }
}

/// A new text message (fresh message id) in `chat_id` from `from`.
pub(super) fn new_message(
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
        "chat": state.chat(chat_id),
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
pub(super) fn known_or_bot_message(
    state: &State,
    config: &Config,
    chat_id: i64,
    message_id: i64,
) -> Value {
    match state.messages.get(&(chat_id, message_id)) {
        Some(known) => embeddable(known),
        None => json!({
            "message_id": message_id,
            "from": config.bot_user(),
            "chat": state.chat(chat_id),
            "date": unix_now(),
            "text": "…",
        }),
    }
}

/// A copy of a message fit for embedding: Telegram does not nest replies inside replies.
pub(super) fn embeddable(message: &Value) -> Value {
    let mut copy = message.clone();
    if let Some(object) = copy.as_object_mut() {
        object.remove("reply_to_message");
    }
    copy
}

/// `bot_command` and `mention` entities, as a Telegram client would attach them.
pub(super) fn detect_entities(text: &str) -> Vec<Value> {
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
pub(super) fn commands_key(params: &Map<String, Value>) -> String {
    let scope = param_json(params, "scope").unwrap_or_else(|| json!({ "type": "default" }));
    let language = param_str(params, "language_code").unwrap_or_default();
    format!("{scope}|{language}")
}

// ----- parameter access (JSON bodies carry typed values, forms carry strings) -------------

pub(super) fn param_str(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn value_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn param_i64(params: &Map<String, Value>, key: &str) -> Option<i64> {
    params.get(key).and_then(value_i64)
}

pub(super) fn value_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true" || s == "1",
        Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

pub(super) fn param_bool(params: &Map<String, Value>, key: &str) -> bool {
    params.get(key).is_some_and(value_bool)
}

/// An object/array parameter, sent as JSON or as a JSON-encoded string (form encoding).
pub(super) fn param_json(params: &Map<String, Value>, key: &str) -> Option<Value> {
    match params.get(key)? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

/// `chat_id` as an integer; usernames (`@channel`) and garbage are chats we do not know.
pub(super) fn chat_id_param(params: &Map<String, Value>) -> Result<i64, ApiError> {
    match params.get("chat_id") {
        None | Some(Value::Null) => Err(ApiError::bad_request("chat_id is empty")),
        Some(value) => value_i64(value)
            .filter(|&id| id != 0)
            .ok_or_else(|| ApiError::bad_request("chat not found")),
    }
}

/// `reply_markup` if it is an inline keyboard: only those are echoed back in the Message.
pub(super) fn inline_markup(params: &Map<String, Value>) -> Option<Value> {
    param_json(params, "reply_markup").filter(|m| m.get("inline_keyboard").is_some())
}

impl Shared {
    /// Locks the state, recovering from poisoning so one bug cannot wedge every later request.
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Routes one HTTP request: token check, call recording, faults, then the method.
    pub(super) async fn handle(&self, request: HttpRequest) -> Outcome {
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
    pub(super) fn reject(&self, method: &str, err: ApiError) -> Outcome {
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
    pub(super) fn dispatch(
        &self,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        match method {
            "getme" => Ok(self.config.me()),
            "sendmessage" => self.send_message(params),
            "answercallbackquery" => self.answer_callback_query(params),
            "answerinlinequery" => self.answer_inline_query(params),
            "setmycommands" => self.set_my_commands(params),
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
    pub(super) async fn get_updates(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
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

    pub(super) fn send_message(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
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
        let thread_id = param_i64(params, "message_thread_id");

        let mut state = self.lock();
        if thread_id.is_some() && !state.forums.contains(&chat_id) {
            return Err(ApiError::bad_request("message thread not found"));
        }
        let replied = match reply_to {
            None => None,
            Some(id) => match state.messages.get(&(chat_id, id)) {
                Some(known) => Some(embeddable(known)),
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
            "chat": state.chat(chat_id),
            "date": unix_now(),
            "text": plain_text,
        });
        if let Some(thread_id) = thread_id {
            message["message_thread_id"] = json!(thread_id);
            message["is_topic_message"] = json!(true);
        }
        if let Some(replied) = replied {
            message["reply_to_message"] = replied;
        }
        if link_preview_disabled {
            message["link_preview_options"] = json!({ "is_disabled": true });
        }
        if let Some(markup) = inline_markup(params) {
            message["reply_markup"] = markup;
        }
        state
            .messages
            .insert((chat_id, message_id), message.clone());
        state.sent.push(SentMessage {
            message_id,
            chat_id,
            text,
            plain_text,
            parse_mode,
            reply_to,
            link_preview_disabled,
            reply_markup,
            thread_id,
            entity_count,
            sent_at: Instant::now(),
        });
        Ok(message)
    }

    pub(super) fn answer_callback_query(
        &self,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
        let id = param_str(params, "callback_query_id").unwrap_or_default();
        if param_str(params, "text").is_some_and(|text| text.chars().count() > 200) {
            return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
        }
        if !self.lock().open_queries.remove(&id) {
            return Err(ApiError::new(400, QUERY_TOO_OLD));
        }
        Ok(json!(true))
    }

    pub(super) fn answer_inline_query(
        &self,
        params: &Map<String, Value>,
    ) -> Result<Value, ApiError> {
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

    pub(super) fn set_my_commands(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
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

    pub(super) fn set_webhook(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
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
