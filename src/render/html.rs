//! Replies in Telegram's HTML parse mode.
//!
//! Telegram rejects a whole message ("can't parse entities") for one stray `<`
//! or `&`, and caps a message at 4096 characters (UTF-16 units, counted after
//! the markup is parsed) and 100 formatting entities. Every piece of user or
//! corpus text goes through [`escape`], and [`Html`] counts both limits as
//! the message is built, so a reply is valid by construction.

use std::ops::Range;

use crate::messages::{self, Lang};
use crate::search::{Answer, Hit, Outcome};

use super::{shorten, Context};

/// Telegram's limits, with a margin for the parts we add after measuring.
pub const MAX_TEXT_UNITS: usize = 4096;
pub const MAX_ENTITIES: usize = 100;
/// Bold highlights per quote: enough to show the matches, far from the entity cap.
const MAX_HIGHLIGHTS: usize = 12;

/// Escapes text for Telegram HTML: `&`, `<`, `>` and `"`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A message under construction that knows its visible length and entity count.
#[derive(Debug, Default)]
pub struct Html {
    markup: String,
    units: usize,
    entities: usize,
}

impl Html {
    pub fn new() -> Self {
        Html::default()
    }

    /// Plain text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.markup.push_str(&escape(text));
        self.units += text.encode_utf16().count();
        self
    }

    /// Text inside one formatting tag (`b`, `i`, `blockquote expandable`, …).
    pub fn tagged(&mut self, open: &str, text: &str) -> &mut Self {
        let name = open.split_whitespace().next().unwrap_or(open);
        self.markup.push_str(&format!("<{open}>"));
        self.text(text);
        self.markup.push_str(&format!("</{name}>"));
        self.entities += 1;
        self
    }

    /// `text` with the byte `ranges` in bold (sorted, non-overlapping, on char
    /// boundaries; others are ignored rather than trusted).
    pub fn highlighted(&mut self, text: &str, ranges: &[Range<usize>]) -> &mut Self {
        let mut at = 0;
        for r in ranges.iter().take(MAX_HIGHLIGHTS) {
            let valid = r.start >= at
                && r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end);
            if !valid {
                continue;
            }
            self.text(&text[at..r.start]);
            self.tagged("b", &text[r.clone()]);
            at = r.end;
        }
        self.text(&text[at..]);
        self
    }

    /// Visible length in UTF-16 units, as Telegram counts.
    pub fn units(&self) -> usize {
        self.units
    }

    pub fn entities(&self) -> usize {
        self.entities
    }

    pub fn into_markup(self) -> String {
        self.markup
    }
}

/// The Telegram reply to an answer.
pub fn reply(answer: &Answer, ctx: &Context, extra_sources: usize) -> String {
    match answer.outcome {
        Outcome::Answered if !answer.passages.is_empty() => answered(
            &answer.passages,
            extra_sources,
            Lang::of_question(&answer.question),
        ),
        _ => {
            let mut html = Html::new();
            html.text(&super::plain(answer, ctx));
            html.into_markup()
        }
    }
}

/// Answer sentence (matches in bold), the paragraph in an expandable quote,
/// the citation; then up to `extra` more sources. Real quotes and titles are
/// short, but nothing here trusts that: the message is rebuilt smaller (a
/// shorter paragraph, then fewer extra sources, then shorter pieces) until it
/// fits Telegram's limits.
fn answered(hits: &[Hit], extra: usize, lang: Lang) -> String {
    const BUDGETS: [(usize, usize); 5] =
        [(1200, 400), (600, 400), (300, 300), (150, 200), (80, 100)];
    let mut last = String::new();
    for (paragraph_chars, piece_chars) in BUDGETS {
        for extra in [extra, 0] {
            let html = build_answer(hits, extra, paragraph_chars, piece_chars, lang);
            if html.units() <= MAX_TEXT_UNITS - 96 && html.entities() < MAX_ENTITIES {
                return html.into_markup();
            }
            last = html.into_markup();
        }
    }
    last
}

fn build_answer(
    hits: &[Hit],
    extra: usize,
    paragraph_chars: usize,
    piece_chars: usize,
    lang: Lang,
) -> Html {
    let Some((best, rest)) = hits.split_first() else {
        return Html::new();
    };
    let mut html = Html::new();
    html.tagged("b", messages::answer_prefix(lang));
    let (sentence, highlights) = best.answer_sentence();
    if sentence.chars().count() <= piece_chars {
        html.highlighted(sentence, &highlights);
    } else {
        html.text(&shorten(sentence, piece_chars));
    }
    html.text("\n");
    if super::quotes_part_only(best) {
        html.tagged(
            "blockquote expandable",
            &shorten(&best.text, paragraph_chars),
        );
    }
    html.text(&format!("—— {}", shorten(&best.citation, piece_chars)));
    if !rest.is_empty() && extra > 0 {
        html.text("\n\n");
        html.tagged("b", messages::more_sources(lang));
        for (n, hit) in rest.iter().take(extra).enumerate() {
            html.text(&format!("\n{}. ", n + 1));
            if hit.quote.chars().count() <= piece_chars {
                html.highlighted(&hit.quote, &hit.highlights);
            } else {
                html.text(&shorten(&hit.quote, piece_chars));
            }
            html.text(&format!(" —— {}", shorten(&hit.citation, piece_chars)));
        }
    }
    html
}

/// `text` as a whole message of plain (escaped) HTML.
pub fn plain(text: &str) -> String {
    let mut html = Html::new();
    html.text(text);
    html.into_markup()
}

/// `text` after a link that mentions the user `user_id` by `name` (so that in
/// a group the message addresses that one person).
pub fn mention(user_id: u64, name: &str, text: &str) -> String {
    format!(
        "<a href=\"tg://user?id={user_id}\">{}</a>，{}",
        escape(name),
        escape(text)
    )
}

/// The visible text of our own markup (tags removed, entities decoded): what
/// is sent when Telegram rejects the markup.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_four_characters() {
        assert_eq!(
            escape(r#"<b>"A&B"</b>"#),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
    }

    #[test]
    fn highlights_ignore_bad_ranges() {
        let mut html = Html::new();
        html.highlighted("人工智能<x>", &[0..6, 3..9, 6..100, 13..16]);
        assert_eq!(html.into_markup(), "<b>人工</b>智能&lt;x&gt;");
    }

    #[test]
    fn counts_utf16_units_and_entities() {
        let mut html = Html::new();
        html.text("a😀").tagged("b", "中");
        assert_eq!(html.units(), 4);
        assert_eq!(html.entities(), 1);
    }

    #[test]
    fn plain_text_round_trips_through_visible_text() {
        let text = "a < b && \"c\" > d";
        assert_eq!(visible_text(&plain(text)), text);
        assert_eq!(
            visible_text(&mention(7, "<Ann>", "为什么？")),
            "<Ann>，为什么？"
        );
    }
}
