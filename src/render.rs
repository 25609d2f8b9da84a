//! An [`Answer`] as people and programs read it: plain text for the terminal,
//! JSON for scripts, HTML for Telegram. All three say the same thing.

pub mod html;
pub mod passages;

use serde::Serialize;

use crate::index::ArticleInfo;
use crate::messages;
use crate::messages::Lang;
use crate::search::{Answer, Hit, Outcome, Retriever};

/// Longest paragraph quoted in full; a longer one is cut (the citation says where).
pub const PARAGRAPH_CHARS: usize = 1200;
/// Extra sources shown after the main quote.
pub const EXTRA_SOURCES: usize = 2;

/// The `ask --json` object.
#[derive(Serialize)]
pub struct JsonAnswer<'a> {
    pub question: &'a str,
    pub answered: bool,
    pub outcome: Outcome,
    pub passages: &'a [Hit],
    /// The retrievers that ran for this question.
    pub retrievers: &'a [Retriever],
}

pub fn json(answer: &Answer) -> String {
    let out = JsonAnswer {
        question: &answer.question,
        answered: answer.answered(),
        outcome: answer.outcome,
        passages: if answer.answered() {
            &answer.passages
        } else {
            &[]
        },
        retrievers: &answer.retrievers,
    };
    serde_json::to_string(&out).unwrap_or_else(|_| "{}".to_string())
}

/// Context for texts that are not answers (help, not found).
pub struct Context<'a> {
    pub articles: &'a [ArticleInfo],
    pub examples: &'a [String],
    pub bot_username: Option<&'a str>,
}

/// The reply as plain text: answer sentence, quoted paragraph, citation, then
/// up to two more sources.
pub fn plain(answer: &Answer, ctx: &Context) -> String {
    let lang = Lang::of_question(&answer.question);
    match answer.outcome {
        Outcome::Empty => messages::empty_question(lang).to_string(),
        Outcome::Greeting => messages::help_in(lang, ctx.articles, ctx.examples, ctx.bot_username),
        Outcome::NotFound => messages::not_found_in(lang, ctx.articles),
        Outcome::Answered => {
            let Some((best, rest)) = answer.passages.split_first() else {
                return messages::not_found_in(lang, ctx.articles);
            };
            let (sentence, _) = best.answer_sentence();
            let mut out = format!("{}{}\n", messages::answer_prefix(lang), sentence);
            if quotes_part_only(best) {
                out.push_str(&format!("\n「{}」\n", shorten(&best.text, PARAGRAPH_CHARS)));
            }
            out.push_str(&format!("—— {}", best.citation));
            if !rest.is_empty() {
                out.push_str(&format!("\n\n{}", messages::more_sources(lang)));
                for (n, hit) in rest.iter().take(EXTRA_SOURCES).enumerate() {
                    out.push_str(&format!("\n{}. {} —— {}", n + 1, hit.quote, hit.citation));
                }
            }
            out
        }
    }
}

/// Whether the paragraph says more than the answer sentence (else quoting it
/// again would only repeat the answer).
pub fn quotes_part_only(hit: &Hit) -> bool {
    hit.answer_sentence().0.trim() != hit.text.trim()
}

/// `text` cut to at most `max` chars, with "…" when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
