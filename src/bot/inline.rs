//! Inline mode: `@bot 问题` typed in any chat lists the quotes that answer
//! it; picking one posts the same HTML reply the bot gives in a chat.
//!
//! Telegram asks again with `offset` set to our last `next_offset` when the
//! user scrolls; the offset is simply the index of the next result, so a
//! page needs no server state.
//!
//! Inline queries are not written to the question log: Telegram sends one
//! per pause in typing ("乌", "乌镇", "乌镇峰会在…"), and the fragments would
//! drown the unanswered questions the report is for.

use teloxide::prelude::*;
use teloxide::types::{
    InlineQuery, InlineQueryResult, InlineQueryResultArticle, InputMessageContent,
    InputMessageContentText, LinkPreviewOptions, ParseMode,
};

use super::buttons;
use super::context::BotContext;
use super::send;
use crate::messages;
use crate::render::{self, html, shorten};
use crate::search::{Answer, Engine, Hit, Outcome};

/// Results an inline query can have in all (Telegram allows 50 per page).
pub const MAX_RESULTS: usize = 10;
/// Longest result title, in chars (Telegram shows one or two lines).
const TITLE_CHARS: usize = 60;

/// Titles of the single "how to ask" result.
const HOW_TO_TITLE: &str = "输入问题，查找乌镇峰会报道中的原文";
const NOT_FOUND_TITLE: &str = "报道中没有找到相关内容";
const TOO_LONG_TITLE: &str = "问题太长了";

/// Answers one inline query.
pub async fn handle(ctx: &BotContext, query: InlineQuery) {
    let question = query.query.trim().to_string();
    // Empty = first page; anything we did not make ends the list.
    let offset: usize = if query.offset.is_empty() {
        0
    } else {
        query.offset.parse().unwrap_or(MAX_RESULTS).min(MAX_RESULTS)
    };
    // One engine for the search and every result built from it.
    let engine = ctx.engine();
    let (results, next_offset) = if question.chars().count()
        > ctx.config.telegram.max_question_chars
    {
        (
            first_page(offset, how_to(ctx, TOO_LONG_TITLE, messages::TOO_LONG)),
            String::new(),
        )
    } else {
        let searcher = engine.clone();
        let asked = question.clone();
        let turn = ctx.search_turn().await;
        let searched =
            tokio::task::spawn_blocking(move || searcher.ask_with(&asked, MAX_RESULTS)).await;
        drop(turn);
        let answer = match searched {
            Ok(answer) => answer,
            Err(err) => {
                tracing::error!(error = %err, "inline search task failed");
                return;
            }
        };
        tracing::info!(outcome = ?answer.outcome, offset, passages = answer.passages.len(), "inline query");
        results(ctx, &engine, &answer, offset)
    };
    let cache_time = ctx.config.inline.cache_time_secs;
    let send = || {
        ctx.bot
            .answer_inline_query(query.id.clone(), results.clone())
            .cache_time(cache_time)
            .next_offset(next_offset.clone())
            .send()
    };
    if let Err(err) = send::call(ctx, "answerInlineQuery", send).await {
        tracing::warn!(error = %err, "answerInlineQuery failed");
    }
}

/// The page of results from `offset`, and the offset of the next page
/// (empty when this is the last).
fn results(
    ctx: &BotContext,
    engine: &Engine,
    answer: &Answer,
    offset: usize,
) -> (Vec<InlineQueryResult>, String) {
    if answer.outcome != Outcome::Answered || answer.passages.is_empty() {
        let result = match answer.outcome {
            Outcome::NotFound => how_to(
                ctx,
                NOT_FOUND_TITLE,
                &messages::not_found(&engine.index().articles),
            ),
            _ => {
                let help = messages::help(
                    &engine.index().articles,
                    &ctx.config.help.examples,
                    Some(&ctx.me.username),
                );
                how_to(ctx, HOW_TO_TITLE, &help)
            }
        };
        return (first_page(offset, result), String::new());
    }
    let per_page = ctx.config.inline.results_per_page;
    let end = (offset + per_page).min(answer.passages.len());
    let start = offset.min(end);
    let fingerprint = buttons::fingerprint(engine);
    let render_ctx = render::Context {
        articles: &engine.index().articles,
        examples: &ctx.config.help.examples,
        bot_username: Some(&ctx.me.username),
    };
    let page = answer.passages[start..end]
        .iter()
        .map(|hit| article(answer, hit, &fingerprint, &render_ctx))
        .collect();
    let next = if end < answer.passages.len() {
        end.to_string()
    } else {
        String::new()
    };
    (page, next)
}

/// One quote as a result: the answer sentence as title, the citation as
/// description, the chat reply for this passage alone as the message.
fn article(
    answer: &Answer,
    hit: &Hit,
    fingerprint: &str,
    render_ctx: &render::Context,
) -> InlineQueryResult {
    let single = Answer {
        question: answer.question.clone(),
        outcome: Outcome::Answered,
        passages: vec![hit.clone()],
        relevance: answer.relevance,
        retrievers: answer.retrievers.clone(),
    };
    let reply = html::reply(&single, render_ctx, 0);
    let (sentence, _) = hit.answer_sentence();
    let title = shorten(sentence.trim(), TITLE_CHARS);
    // Unique per passage and corpus; ≤ 64 bytes (6 hex + base-10 index).
    let id = format!("{fingerprint}-{}", hit.passage);
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(id, title, content(reply)).description(hit.citation.clone()),
    )
}

/// The single result shown when there is nothing to quote.
fn how_to(ctx: &BotContext, title: &str, text: &str) -> InlineQueryResult {
    let example = ctx
        .config
        .help
        .examples
        .first()
        .map_or("乌镇峰会在哪里举行？", String::as_str);
    InlineQueryResult::Article(
        InlineQueryResultArticle::new("how-to", title, content(html::plain(text)))
            .description(format!("例如：@{} {example}", ctx.me.username)),
    )
}

/// Only the first page has the "how to ask" result.
fn first_page(offset: usize, result: InlineQueryResult) -> Vec<InlineQueryResult> {
    if offset == 0 {
        vec![result]
    } else {
        Vec::new()
    }
}

fn content(markup_html: String) -> InputMessageContent {
    InputMessageContent::Text(
        InputMessageContentText::new(markup_html)
            .parse_mode(ParseMode::Html)
            .link_preview_options(LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            }),
    )
}
