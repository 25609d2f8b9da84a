//! What goes out with a chat answer besides its text: the keyboard under it
//! (or, under a declined question, the articles to ask about instead) and the
//! question-log entry, all from the engine that answered.

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

/// Articles offered under a declined question.
pub const SUGGESTIONS: usize = 3;

/// The articles nearest to a declined `question`, each as (the index of its
/// nearest passage, its title): what the suggestion buttons offer. Ranks and
/// reads passages: call it off the async workers, like [`quoted_ids`].
pub fn suggestions(engine: &Engine, question: &str) -> Vec<(usize, String)> {
    engine
        .nearest_articles(question, SUGGESTIONS)
        .into_iter()
        .filter_map(|n| engine.passage(n).map(|p| (n, p.title.clone())))
        .filter(|(_, title)| !title.trim().is_empty())
        .collect()
}

/// How many passages a chat reply quotes: the best one and the extra sources.
pub fn shown(ctx: &BotContext) -> usize {
    1 + ctx.config.telegram.extra_sources
}

/// The ids of the passages a chat reply quotes (the log names them). Reads
/// passages, which an on-disk index keeps on disk: call it off the async
/// workers (the handler does, right after the search).
pub fn quoted_ids(engine: &Engine, answer: &Answer, shown: usize) -> Vec<String> {
    answer
        .passages
        .iter()
        .take(if answer.answered() { shown } else { 0 })
        .filter_map(|h| engine.passage(h.passage).map(|p| p.id.clone()))
        .collect()
}

/// Logs the question (quoting the passages `quoted`, from [`quoted_ids`])
/// and returns the keyboard for its reply (`None` when the reply quotes
/// nothing), both from `engine`.
pub fn after_answer(
    ctx: &BotContext,
    engine: &Engine,
    chat: &Chat,
    answer: &Answer,
    quoted: Vec<String>,
) -> Option<InlineKeyboardMarkup> {
    log_question(ctx, answer, Via::Chat, chat_type(chat), quoted);
    buttons::answer_keyboard(
        answer,
        shown(ctx),
        &buttons::fingerprint(engine),
        &ctx.button_key,
    )
}

/// Queues the question-log entry for `answer` (when questions are logged).
pub fn log_question(
    ctx: &BotContext,
    answer: &Answer,
    via: Via,
    chat_type: &str,
    passages: Vec<String>,
) {
    if !ctx.feedback.stores_questions() {
        return;
    }
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
