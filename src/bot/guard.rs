//! What happens to a message before and after the answer: admin commands,
//! the allowlist, flood control, and counting outcomes for metrics and /stats.
//! The handler calls these hooks; the decisions live in [`super::access`].

use std::time::{Duration, Instant};

use teloxide::types::Message;

use super::access::{Admission, Flood};
use super::context::BotContext;
use super::route::{self, Command, Intent, Parsed};
use crate::messages;
use crate::ops::{ChatType, Verdict};
use crate::search::Answer;

/// Unanswered questions listed by /stats.
const STATS_TOP: usize = 10;

/// The outcome of screening a routed message.
#[derive(Debug)]
pub enum Screened {
    /// Go on with this intent.
    Pass(Intent),
    /// Reply with this plain text instead.
    Reply(&'static str),
    /// Say nothing.
    Drop,
}

pub fn chat_type(msg: &Message) -> ChatType {
    if msg.chat.is_private() {
        ChatType::Private
    } else {
        ChatType::Group
    }
}

/// Handles `/reload` and `/stats` from an admin and returns the reply text.
/// From anyone else they are `None`: the router then treats them as unknown.
///
/// Dependency requirements: `ctx.access` (admin ids), `ctx.reloader`, `ctx.ops`.
pub async fn admin(ctx: &BotContext, msg: &Message) -> Option<String> {
    let user = msg.from.as_ref().filter(|u| !u.is_bot)?;
    let command = match route::parse(msg.text()?, &ctx.me) {
        Parsed::Ours(command @ (Command::Reload | Command::Stats)) => command,
        _ => return None,
    };
    if !ctx.access.is_admin(user.id.0) {
        return None;
    }
    Some(match command {
        Command::Stats => stats_text(ctx).await,
        _ => {
            let reason = format!("/reload by admin {}", user.id.0);
            match ctx.reloader.reload(&reason).await {
                Ok(size) => messages::reloaded(size.articles, size.paragraphs),
                Err(err) => messages::reload_failed(&err.to_string()),
            }
        }
    })
}

/// /stats: the counts since start, then the feedback log's report of the
/// last 7 days (what `summit-bot report` prints), read off the async runtime.
async fn stats_text(ctx: &BotContext) -> String {
    let mut text = ctx.ops.stats.report(STATS_TOP);
    let db = ctx.config.feedback.db_path.clone();
    let week = Some(7 * 86_400);
    match tokio::task::spawn_blocking(move || crate::report::report(&db, week)).await {
        Ok(Ok(report)) => {
            text.push_str("\n\n");
            text.push_str(&report);
        }
        Ok(Err(err)) => tracing::warn!(%err, "/stats: no feedback report"),
        Err(err) => tracing::warn!(%err, "/stats: report task failed"),
    }
    // One Telegram message holds 4096 characters; the report's tail is the least important.
    crate::render::shorten(&text, 3500)
}

/// Applies the allowlist to anything we would answer, and flood control to
/// questions.
pub fn screen(ctx: &BotContext, msg: &Message, intent: Intent) -> Screened {
    if intent == Intent::Ignore {
        return Screened::Drop;
    }
    let question = matches!(intent, Intent::Question(_));
    let admission = ctx.access.admit(msg.chat.id.0);
    if admission != Admission::Serve {
        if let Intent::Question(q) = &intent {
            rejected(ctx, msg, q);
        }
        tracing::info!(chat = msg.chat.id.0, ?admission, "chat not allowed");
        return match admission {
            Admission::Refuse => Screened::Reply(messages::NOT_ALLOWED),
            _ => Screened::Drop,
        };
    }
    let Some(user) = msg.from.as_ref().filter(|_| question) else {
        return Screened::Pass(intent);
    };
    match ctx.access.question(user.id.0, Instant::now()) {
        Flood::Ask => Screened::Pass(intent),
        verdict => {
            if let Intent::Question(q) = &intent {
                rejected(ctx, msg, q);
            }
            tracing::info!(
                chat = msg.chat.id.0,
                user = user.id.0,
                ?verdict,
                "flood control"
            );
            if verdict == Flood::SlowDown {
                Screened::Reply(messages::BUSY)
            } else {
                Screened::Drop
            }
        }
    }
}

/// Counts a question that was not searched.
pub fn rejected(ctx: &BotContext, msg: &Message, question: &str) {
    ctx.ops
        .question(Verdict::Rejected, chat_type(msg), question);
}

/// Counts a searched question and its latency.
pub fn answered(ctx: &BotContext, msg: &Message, answer: &Answer, elapsed: Duration) {
    ctx.ops.question(
        Verdict::of(answer.outcome),
        chat_type(msg),
        &answer.question,
    );
    ctx.ops.metrics.latency(elapsed);
}
