//! Replies made of passages rather than of an answer: the next sources
//! ("更多来源") and the paragraphs around a quote ("上下文"). Built from the
//! passages alone, because a button press may come long after the question
//! is gone; the button carries the question's language for the bot's own
//! words (the quotes and citations stay as the corpus has them).

use crate::index::Passage;
use crate::messages::{self, Lang};

use super::html::Html;
use super::shorten;

/// Chars of a passage listed under "更多来源".
const SOURCE_CHARS: usize = 200;
/// Chars of each paragraph shown as context (three of them fit 4096 easily).
const CONTEXT_CHARS: usize = 1000;

/// A numbered list of `passages` with their citations, numbered from `first`.
pub fn more_sources(passages: &[&Passage], first: usize, lang: Lang) -> String {
    let mut html = Html::new();
    html.tagged("b", messages::more_title(lang));
    for (n, p) in passages.iter().enumerate() {
        html.text(&format!("\n\n{}. ", first + n));
        html.text(&format!("「{}」", shorten(&p.text, SOURCE_CHARS)));
        html.text(&format!("\n—— {}", p.citation()));
    }
    html.into_markup()
}

/// The quoted paragraph `at` between its neighbours of the same article.
pub fn context(
    before: Option<&Passage>,
    at: &Passage,
    after: Option<&Passage>,
    lang: Lang,
) -> String {
    let mut html = Html::new();
    html.tagged("b", messages::context_title(lang));
    html.text(&format!("《{}》", at.title));
    if before.is_none() && after.is_none() {
        html.text(&format!("\n{}", messages::no_context(lang)));
    }
    let mut paragraph = |p: &Passage, quoted: bool| {
        html.text("\n\n");
        let label = messages::paragraph_label(lang, p.paragraph, quoted);
        if quoted {
            html.tagged("b", &label);
            html.text("\n");
            html.tagged("blockquote", &shorten(&p.text, CONTEXT_CHARS));
        } else {
            html.tagged("i", &label);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::PassageKind;
    use crate::render::html::visible_text;

    fn passage(paragraph: usize, text: &str) -> Passage {
        Passage::bare(
            format!("a#{paragraph}"),
            "a".to_string(),
            "乌镇峰会开幕".to_string(),
            paragraph,
            PassageKind::Paragraph,
            "新华社".to_string(),
            Some("2024-11-21".to_string()),
            text.to_string(),
        )
        .derived()
    }

    #[test]
    fn pages_speak_the_language_they_are_given() {
        let (one, two) = (
            passage(1, "峰会在乌镇开幕。"),
            passage(2, "主题是数字未来。"),
        );
        let zh = visible_text(&more_sources(&[&one, &two], 1, Lang::Zh));
        assert!(zh.starts_with("更多来源："), "{zh}");
        let en = visible_text(&more_sources(&[&one, &two], 1, Lang::En));
        assert!(en.starts_with("More sources:"), "{en}");
        assert!(!en.contains("更多来源"), "{en}");
        assert!(
            en.contains("「峰会在乌镇开幕。」"),
            "quotes stay Chinese: {en}"
        );

        let zh = visible_text(&context(Some(&one), &two, None, Lang::Zh));
        assert!(zh.starts_with("上下文：《乌镇峰会开幕》"), "{zh}");
        assert!(zh.contains("第2段（引文所在段落）"), "{zh}");
        let en = visible_text(&context(Some(&one), &two, None, Lang::En));
        assert!(en.starts_with("Context: 《乌镇峰会开幕》"), "{en}");
        assert!(en.contains("Paragraph 1\n"), "{en}");
        assert!(en.contains("Paragraph 2 (the one quoted)"), "{en}");
        assert!(
            !en.contains("上下文") && !en.contains("引文所在段落"),
            "{en}"
        );
        let alone = visible_text(&context(None, &one, None, Lang::En));
        assert!(alone.contains("No other paragraphs"), "{alone}");
    }
}
