//! What the bot does with one update: route it, answer it, deliver the reply.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_util::FutureExt;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, Message, ReplyMarkup, UpdateKind};

use super::context::BotContext;
use super::guard::{self, Screened};
use super::route::{self, Command, Intent};
use super::{buttons, callbacks, extras, followup, inline, send};
use crate::feedback::{Record, Via};
use crate::messages;
use crate::render::{self, html};
use crate::search::{Context, Engine, Outcome};

/// Handles one update with its panics contained: a panic is logged with the
/// update id and counted, the user gets a short apology, and the lane (and
/// every other update) goes on. The update then counts as handled: replaying
/// it would only panic again.
pub async fn handle_contained(ctx: &BotContext, update: Update) {
    let id = update.id.0;
    let message = match &update.kind {
        UpdateKind::Message(msg) => Some(msg.clone()),
        _ => None,
    };
    let press = match &update.kind {
        UpdateKind::CallbackQuery(query) => Some(query.clone()),
        _ => None,
    };
    if AssertUnwindSafe(handle_update(ctx, update))
        .catch_unwind()
        .await
        .is_ok()
    {
        return;
    }
    // The panic message itself was printed by the panic hook; it may quote
    // user text, so it is not repeated here.
    tracing::error!(update = id, "handler panicked; apologising");
    ctx.ops.metrics.panic();
    if let Some(msg) = message {
        send::reply_text(ctx, &msg, messages::HANDLER_FAILED).await;
    } else if let Some(query) = press {
        send::toast(ctx, &query, Some(messages::HANDLER_FAILED)).await;
    }
}

/// Handles one update: messages, inline queries and button presses.
pub async fn handle_update(ctx: &BotContext, update: Update) {
    match update.kind {
        UpdateKind::Message(msg) => handle_message(ctx, &msg).await,
        // The allowlist holds for inline queries (by user) and button presses
        // (by chat) too; they get silence rather than a refusal.
        UpdateKind::InlineQuery(query) if ctx.access.allows(query.from.id.0 as i64) => {
            inline::handle(ctx, query).await
        }
        UpdateKind::CallbackQuery(query) if ctx.access.allows(callback_chat(&query)) => {
            callbacks::handle(ctx, query).await
        }
        _ => {}
    }
}

/// The chat a button press came from (its user, if the message is gone).
fn callback_chat(query: &teloxide::types::CallbackQuery) -> i64 {
    query
        .message
        .as_ref()
        .map_or(query.from.id.0 as i64, |m| m.chat().id.0)
}

async fn handle_message(ctx: &BotContext, msg: &Message) {
    let started = Instant::now();
    debug_panic(msg);
    if let Some(text) = guard::admin(ctx, msg).await {
        send::reply_text(ctx, msg, &text).await;
        return;
    }
    if callbacks::take_reason(ctx, msg).await {
        return;
    }
    let intent = route::route(msg, &ctx.me, ctx.config.telegram.group_mode);
    let intent = match guard::screen(ctx, msg, intent) {
        Screened::Pass(intent) => intent,
        Screened::Reply(text) => {
            send::reply_text(ctx, msg, text).await;
            return;
        }
        Screened::Drop => return,
    };
    // One engine for the whole update, even if a reload swaps it meanwhile.
    let engine = ctx.engine();
    let markup_html = match intent {
        Intent::Ignore => return,
        Intent::NonText => html::plain(messages::NON_TEXT),
        Intent::Command(command) => {
            // /start and /help follow the user's Telegram language (Chinese by default).
            let lang = messages::Lang::of_language_code(
                msg.from.as_ref().and_then(|u| u.language_code.as_deref()),
            );
            html::plain(&command_text(ctx, &engine, &command, lang))
        }
        Intent::Question(question) => {
            if question.chars().count() > ctx.config.telegram.max_question_chars {
                guard::rejected(ctx, msg, &question);
                html::plain(messages::TOO_LONG)
            } else {
                let context = followup::context_of(ctx, &engine, msg).await;
                answer_and_reply(ctx, &engine, msg, question, context, started).await;
                return;
            }
        }
    };
    send::reply(ctx, msg, markup_html, None).await;
}

/// Answers `question` (in `context` when it replies to one of our answers)
/// with a reply to `msg` — the user's message, or our message whose
/// suggestion button was pressed — and stores which question the reply
/// answered, for a reply to it in turn.
pub(super) async fn answer_and_reply(
    ctx: &BotContext,
    engine: &std::sync::Arc<Engine>,
    msg: &Message,
    question: String,
    context: Option<Context>,
    started: Instant,
) {
    let stored = followup::stored_question(&question, context.as_ref());
    let reply = answer_html(ctx, engine, msg, question, context, started).await;
    let keyboard = reply.keyboard.map(ReplyMarkup::InlineKeyboard);
    let sent = send::reply(ctx, msg, reply.markup_html, keyboard).await;
    if let (Some(sent), true) = (sent, reply.searched) {
        ctx.feedback.put(Record::Answer {
            sent: (sent.chat.id.0, i64::from(sent.id.0)),
            question: stored,
        });
    }
}

/// A rendered reply to a question.
struct Reply {
    markup_html: String,
    keyboard: Option<InlineKeyboardMarkup>,
    /// Whether it answers the question or declines it (not help, not an
    /// error): what a later reply to it can be read against.
    searched: bool,
}

/// Searches off the async runtime (a search is CPU work) and renders the
/// reply and its buttons, all from `engine`: the answer with its buttons, or
/// for a declined question the nearest articles to ask about instead.
async fn answer_html(
    ctx: &BotContext,
    engine: &std::sync::Arc<Engine>,
    msg: &Message,
    question: String,
    context: Option<Context>,
    started: Instant,
) -> Reply {
    let searcher = engine.clone();
    let shown = extras::shown(ctx);
    let followup = context.is_some();
    // The search and the passage reads for the log are blocking work.
    let search = move || {
        let answer = match &context {
            Some(context) => searcher.ask_followup(&question, context, buttons::ANSWER_PASSAGES),
            None => searcher.ask_with(&question, buttons::ANSWER_PASSAGES),
        };
        let quoted = extras::quoted_ids(&searcher, &answer, shown);
        let suggestions = if answer.outcome == Outcome::NotFound {
            let near = match &context {
                Some(context) => format!("{question}\n{}", context.question),
                None => question,
            };
            extras::suggestions(&searcher, &near)
        } else {
            Vec::new()
        };
        (answer, quoted, suggestions)
    };
    let turn = ctx.search_turn().await;
    let searched = tokio::task::spawn_blocking(search).await;
    drop(turn);
    let (answer, quoted, suggestions) = match searched {
        Ok(found) => found,
        Err(err) => {
            tracing::error!(error = %err, "search task failed");
            return Reply {
                markup_html: html::plain(messages::ERROR),
                keyboard: None,
                searched: false,
            };
        }
    };
    tracing::info!(
        chat = msg.chat.id.0,
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        top_score = answer.top_score(),
        outcome = ?answer.outcome,
        followup,
        "question"
    );
    guard::answered(ctx, msg, &answer, started.elapsed());
    let articles = &engine.index().articles;
    if !suggestions.is_empty() {
        let lang = messages::Lang::of_question(&answer.question);
        extras::log_question(
            ctx,
            &answer,
            Via::Chat,
            extras::chat_type(&msg.chat),
            quoted,
        );
        return Reply {
            markup_html: html::plain(&messages::declined_with_suggestions(lang, articles.len())),
            keyboard: buttons::suggestion_keyboard(
                &suggestions,
                &buttons::fingerprint(engine),
                &ctx.button_key,
            ),
            searched: true,
        };
    }
    let render_ctx = render::Context {
        articles,
        examples: &ctx.config.help.examples,
        bot_username: Some(&ctx.me.username),
    };
    let markup_html = html::reply(&answer, &render_ctx, ctx.config.telegram.extra_sources);
    let keyboard = extras::after_answer(ctx, engine, &msg.chat, &answer, quoted);
    Reply {
        markup_html,
        keyboard,
        searched: matches!(answer.outcome, Outcome::Answered | Outcome::NotFound),
    }
}

fn command_text(
    ctx: &BotContext,
    engine: &Engine,
    command: &Command,
    lang: messages::Lang,
) -> String {
    let articles = &engine.index().articles;
    match command {
        Command::Ask(_) => format!(
            "用法：/ask 问题，例如 /ask {}",
            ctx.config
                .help
                .examples
                .first()
                .map_or("乌镇峰会在哪里举行？", |s| s.as_str())
        ),
        Command::Sources => messages::coverage(articles),
        Command::About => messages::about(engine.index().passages.len(), articles.len()),
        // Admin commands reach here only from admins whose command failed to
        // parse as theirs; help is the safe answer.
        Command::Start | Command::Help | Command::Reload | Command::Stats => messages::help_in(
            lang,
            articles,
            &ctx.config.help.examples,
            Some(&ctx.me.username),
        ),
    }
}

/// Debug builds only: panics on a message whose text equals the environment
/// variable `TEST_SUMMIT_PANIC_ON`, so tests can check panic containment in
/// the real binary. Release builds have no such hook.
fn debug_panic(msg: &Message) {
    #[cfg(debug_assertions)]
    if let (Some(text), Ok(trigger)) = (msg.text(), std::env::var("TEST_SUMMIT_PANIC_ON")) {
        if !trigger.is_empty() && text == trigger {
            panic!("TEST_SUMMIT_PANIC_ON: a panic on request");
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = msg;
}
