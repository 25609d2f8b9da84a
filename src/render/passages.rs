//! Replies made of passages rather than of an answer: the next sources
//! ("更多来源") and the paragraphs around a quote ("上下文"). Built from the
//! passages alone, because a button press may come long after the question
//! is gone.

use crate::index::Passage;

use super::html::Html;
use super::shorten;

/// Chars of a passage listed under "更多来源".
const SOURCE_CHARS: usize = 200;
/// Chars of each paragraph shown as context (three of them fit 4096 easily).
const CONTEXT_CHARS: usize = 1000;

pub const MORE_TITLE: &str = "更多来源：";
pub const CONTEXT_TITLE: &str = "上下文：";
pub const NO_CONTEXT: &str = "（这段引文前后没有其他段落）";

/// A numbered list of `passages` with their citations, numbered from `first`.
pub fn more_sources(passages: &[&Passage], first: usize) -> String {
    let mut html = Html::new();
    html.tagged("b", MORE_TITLE);
    for (n, p) in passages.iter().enumerate() {
        html.text(&format!("\n\n{}. ", first + n));
        html.text(&format!("「{}」", shorten(&p.text, SOURCE_CHARS)));
        html.text(&format!("\n—— {}", p.citation()));
    }
    html.into_markup()
}

/// The quoted paragraph `at` between its neighbours of the same article.
pub fn context(before: Option<&Passage>, at: &Passage, after: Option<&Passage>) -> String {
    let mut html = Html::new();
    html.tagged("b", CONTEXT_TITLE);
    html.text(&format!("《{}》", at.title));
    if before.is_none() && after.is_none() {
        html.text(&format!("\n{NO_CONTEXT}"));
    }
    let mut paragraph = |p: &Passage, quoted: bool| {
        html.text("\n\n");
        let place = format!("第{}段", p.paragraph);
        if quoted {
            html.tagged("b", &format!("{place}（引文所在段落）"));
            html.text("\n");
            html.tagged("blockquote", &shorten(&p.text, CONTEXT_CHARS));
        } else {
            html.tagged("i", &place);
            html.text("\n");
            html.text(&shorten(&p.text, CONTEXT_CHARS));
        }
    };
    if let Some(p) = before {
        paragraph(p, false);
    }
    paragraph(at, true);
    if let Some(p) = after {
        paragraph(p, false);
    }
    html.text(&format!("\n—— {}", at.citation()));
    html.into_markup()
}
