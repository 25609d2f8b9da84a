//! What goes out with a chat answer besides its text: the keyboard under it
//! and the question-log entry, both from the engine that answered.

use teloxide::types::{Chat, InlineKeyboardMarkup};

use super::buttons;
use super::context::BotContext;
use crate::feedback::{Record, Via};
use crate::search::{Answer, Engine};

/// The chat type as stored in the log (no chat id: see `feedback`).
pub fn chat_type(chat: &Chat) -> &'static str {
    if chat.is_private() {
        "private"
    } else if chat.is_group() {
        "group"
    } else if chat.is_supergroup() {
        "supergroup"
    } else {
        "channel"
    }
}

/// How many passages a chat reply quotes: the best one and the extra sources.
pub fn shown(ctx: &BotContext) -> usize {
    1 + ctx.config.telegram.extra_sources
}

/// Logs the question and returns the keyboard for its reply (`None` when
/// the reply quotes nothing).
pub fn after_answer(
    ctx: &BotContext,
    engine: &Engine,
    chat: &Chat,
    answer: &Answer,
) -> Option<InlineKeyboardMarkup> {
    let shown = shown(ctx);
    log_question(ctx, engine, answer, Via::Chat, chat_type(chat), shown);
    buttons::answer_keyboard(
        answer,
        shown,
        &buttons::fingerprint(engine),
        &ctx.button_key,
    )
}

/// Queues the question-log entry for `answer` (when questions are logged).
pub fn log_question(
    ctx: &BotContext,
    engine: &Engine,
    answer: &Answer,
    via: Via,
    chat_type: &str,
    shown: usize,
) {
    if !ctx.feedback.stores_questions() {
        return;
    }
    let passages = answer
        .passages
        .iter()
        .take(if answer.answered() { shown } else { 0 })
        .filter_map(|h| engine.passage(h.passage).map(|p| p.id.clone()))
        .collect();
    ctx.feedback.put(Record::Question {
        question: answer.question.clone(),
        question_hash: buttons::question_hash(&answer.question),
        outcome: outcome_name(answer),
        answered: answer.answered(),
        via,
        chat_type: chat_type.to_string(),
        passages,
    });
}

fn outcome_name(answer: &Answer) -> String {
    serde_json::to_value(answer.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}
