//! Follow-ups: a question that replies to one of the bot's answers is read in
//! the context of that answer (`Engine::ask_followup`).
//!
//! Only an explicit reply carries context — in private chats too, where every
//! message is a question: the bot never guesses from timing that a message
//! continues the one before, since a new question sent a minute later would
//! then be bent towards the old topic without the user asking for it.
//!
//! The context comes from three places, each optional:
//! - the earlier question, from the answers table of the feedback database
//!   (written when the answer was sent: it survives restarts and is shared by
//!   webhook replicas on one file); when it is not there (questions not
//!   stored, the row pruned, the database unreadable), the answer's own first
//!   line, the answer sentence, which names the topic;
//! - the passage the answer quoted first, from the signed data of its 👍
//!   button (stale or forged data gives none);
//! - the part of the answer the user quoted with Telegram's reply quote,
//!   put before the earlier question.

use teloxide::types::{InlineKeyboardButtonKind, Message};

use super::buttons::{self, Action};
use super::context::BotContext;
use crate::messages::{self, Lang};
use crate::search::{Context, Engine};

/// Longest earlier question kept as context, in chars (a chain of follow-ups
/// adds each elliptical one to the question before it).
const CONTEXT_CHARS: usize = 500;
/// Longest part of the answer a reply quote adds to the context, in chars.
const QUOTE_CHARS: usize = 200;

/// The context of `msg` when it replies to one of our answers; `None` for
/// anything else (no reply, a reply to someone else, to a topic's first
/// message, or to a message of ours that answered no question, such as help
/// or a 更多来源 page): such a question is answered as if asked alone.
///
/// Dependency requirements: `ctx.me` (whose messages count), `ctx.feedback`
/// (the answers table; read on the blocking pool), `ctx.button_key` and the
/// `engine` the buttons must have been made for.
pub async fn context_of(ctx: &BotContext, engine: &Engine, msg: &Message) -> Option<Context> {
    let replied = msg.reply_to_message()?;
    let ours = replied.from.as_ref().is_some_and(|u| u.id == ctx.me.id);
    if !ours {
        return None;
    }
    // In a forum topic every message "replies" to the topic's first message.
    if msg.is_topic_message && msg.thread_id.is_some_and(|t| t.0 == replied.id) {
        return None;
    }
    let passage = first_passage(ctx, engine, replied);
    let stored = match ctx.feedback.answers() {
        Some(answers) => {
            let (chat, message) = (replied.chat.id.0, i64::from(replied.id.0));
            tokio::task::spawn_blocking(move || answers.question_of(chat, message))
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "answers lookup failed");
                    None
                })
        }
        None => None,
    };
    let from_store = stored.is_some();
    // Without a stored question only a reply that quoted something (it has
    // the 👍 button, whose data may be stale) is known to be an answer.
    let earlier = match stored {
        Some(question) => question,
        None if passage.is_some() || has_vote_button(replied) => answer_sentence(replied.text()?)?,
        None => return None,
    };
    let question = match msg.quote().map(|q| q.text.trim()) {
        Some(quoted) if !quoted.is_empty() => {
            let quoted: String = quoted.chars().take(QUOTE_CHARS).collect();
            format!("{quoted}\n{earlier}")
        }
        _ => earlier,
    };
    tracing::debug!(
        from = if from_store { "store" } else { "answer text" },
        passage = passage.is_some(),
        quote = msg.quote().is_some(),
        "follow-up context"
    );
    Some(Context { question, passage })
}

/// What the answer to a follow-up is stored under, for a reply to that answer
/// in turn: an elliptical follow-up ("是谁编写的？") together with its context,
/// a complete question alone (it changed the topic).
pub fn stored_question(question: &str, context: Option<&Context>) -> String {
    match context {
        Some(context) if crate::search::followup::is_elliptical(question) => {
            let joined = format!("{}\n{}", question.trim(), context.question.trim());
            joined.chars().take(CONTEXT_CHARS).collect()
        }
        _ => question.trim().to_string(),
    }
}

/// Whether our message `replied` has the 👍 button of an answer (its data is
/// ours: Telegram hands our own message back, no client can alter it).
fn has_vote_button(replied: &Message) -> bool {
    replied.reply_markup().is_some_and(|markup| {
        markup
            .inline_keyboard
            .iter()
            .flatten()
            .any(|button| button.text == buttons::VOTE_UP)
    })
}

/// The passage our answer `replied` quoted first, from its 👍 / 👎 data.
fn first_passage(ctx: &BotContext, engine: &Engine, replied: &Message) -> Option<usize> {
    let fingerprint = buttons::fingerprint(engine);
    let passages = engine.index().passages.len();
    replied
        .reply_markup()?
        .inline_keyboard
        .iter()
        .flatten()
        .find_map(|button| match &button.kind {
            InlineKeyboardButtonKind::CallbackData(data) => {
                match buttons::decode(data, &fingerprint, passages, &ctx.button_key) {
                    Ok(Action::Vote { passages, .. }) => passages.first().copied(),
                    _ => None,
                }
            }
            _ => None,
        })
}

/// The answer sentence of our answer's text: its first line without the
/// "答：" prefix (Chinese or English).
fn answer_sentence(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim();
    let line = [Lang::Zh, Lang::En]
        .into_iter()
        .find_map(|lang| line.strip_prefix(messages::answer_prefix(lang).trim_end()))
        .unwrap_or(line)
        .trim();
    (!line.is_empty()).then(|| line.chars().take(CONTEXT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_sentence_is_the_first_line_without_its_prefix() {
        assert_eq!(
            answer_sentence("答：蓝皮书在乌镇峰会上发布。\n段落……\n—— 《标题》").as_deref(),
            Some("蓝皮书在乌镇峰会上发布。")
        );
        assert_eq!(
            answer_sentence("Answer (quoted from the Chinese report): 蓝皮书发布。\nx").as_deref(),
            Some("蓝皮书发布。")
        );
        assert_eq!(answer_sentence("答：\n"), None);
    }

    #[test]
    fn elliptical_follow_ups_are_stored_with_their_context() {
        let context = Context {
            question: "蓝皮书是哪天发布的？".to_string(),
            passage: None,
        };
        assert_eq!(
            stored_question("是谁编写的？", Some(&context)),
            "是谁编写的？\n蓝皮书是哪天发布的？"
        );
        assert_eq!(
            stored_question("乌镇峰会在哪里举行？", Some(&context)),
            "乌镇峰会在哪里举行？"
        );
        assert_eq!(stored_question(" 曹振南是谁？ ", None), "曹振南是谁？");
    }
}
