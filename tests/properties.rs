//! Properties over arbitrary input: the Telegram HTML is always accepted,
//! normalisation is idempotent, tokenizer offsets always fall on char
//! boundaries (and field lengths are counted as tokenized), and no question
//! makes the engine panic.

mod common;
mod support;

use proptest::prelude::*;
use summit_bot::index::analyzer::{bigrams, homophone_bigrams, span_counts, words};
use summit_bot::index::PassageKind;
use summit_bot::render::{self, html};
use summit_bot::search::{Answer, Hit, Outcome, Relevance};
use summit_bot::text::{fold, tidy};
use support::fake_telegram::{parse_html, utf16_len, MAX_ENTITIES, MAX_MESSAGE_UTF16};

/// Text mixing Chinese, Latin, markup characters, emoji and controls.
fn messy_text(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("人工智能".to_string()),
        Just("乌镇峰会".to_string()),
        Just("<b>".to_string()),
        Just("</blockquote>".to_string()),
        Just("&amp;".to_string()),
        Just("&".to_string()),
        Just("\"".to_string()),
        Just("😀".to_string()),
        Just("\u{0}\u{7}\u{202e}".to_string()),
        Just("ＡＢＣ１２３".to_string()),
        Just("學術研究".to_string()),
        "\\PC{0,20}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(pieces, 0..max).prop_map(|v| v.concat())
}

/// A hit whose quote is a slice of its text and whose ranges are arbitrary
/// (the renderer must not trust them).
fn hit() -> impl Strategy<Value = Hit> {
    (
        messy_text(400),
        messy_text(30),
        any::<u16>(),
        proptest::collection::vec((0usize..2000, 0usize..60), 0..40),
    )
        .prop_map(|(text, title, cut, ranges)| {
            let mut end = (cut as usize).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let quote = text[..end].to_string();
            let highlights = ranges.into_iter().map(|(s, l)| s..s + l).collect();
            Hit {
                id: "a#1".into(),
                title: title.clone(),
                paragraph: 1,
                kind: PassageKind::Paragraph,
                text: text.clone(),
                answer: 0..quote.len(),
                quote,
                highlights,
                passage: 0,
                score: 1.0,
                coverage: 1.0,
                citation: format!("《{title}》第1段 · 新华社 2024-11-21"),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn telegram_accepts_every_reply(hits in proptest::collection::vec(hit(), 1..6), question in messy_text(60)) {
        let answer = Answer {
            question,
            outcome: Outcome::Answered,
            passages: hits,
            relevance: Relevance::default(),
            retrievers: Vec::new(),
        };
        let articles = common::summit_engine().index().articles.clone();
        let ctx = render::Context { articles: &articles, examples: &[], bot_username: Some("bot") };
        let markup = html::reply(&answer, &ctx, 2);
        let parsed = parse_html(&markup).map_err(|e| TestCaseError::fail(format!("{e}: {markup}")))?;
        prop_assert!(utf16_len(parsed.text.trim()) <= MAX_MESSAGE_UTF16, "too long: {}", utf16_len(&parsed.text));
        prop_assert!(parsed.entities < MAX_ENTITIES);
        prop_assert!(!parsed.text.trim().is_empty());
    }

    #[test]
    fn tidy_and_fold_are_idempotent(text in messy_text(40)) {
        let t = tidy(&text);
        prop_assert_eq!(tidy(&t), t.clone());
        let f = fold(&t);
        prop_assert_eq!(fold(&f), f.clone());
        prop_assert_eq!(f.chars().count(), t.chars().count());
    }

    #[test]
    fn tokenizer_offsets_are_char_boundaries(text in messy_text(40)) {
        for tokens in [words(&text), bigrams(&text)] {
            let mut last = 0;
            for t in tokens {
                prop_assert!(t.offset_from < t.offset_to && t.offset_to <= text.len());
                prop_assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
                prop_assert!(t.position >= last);
                last = t.position;
            }
        }
    }

    /// The in-RAM index counts the bigram and homophone fields' lengths
    /// itself: the counts must be the token counts of the fields' tokenizers.
    #[test]
    fn span_counts_are_token_counts(text in messy_text(40)) {
        let folded = fold(&text);
        let counts = (bigrams(&folded).len() as u32, homophone_bigrams(&folded).len() as u32);
        prop_assert_eq!(span_counts(&folded), counts);
    }

    #[test]
    fn any_question_gets_an_outcome(question in messy_text(30)) {
        let answer = common::summit_engine().ask(&question);
        if answer.answered() {
            prop_assert!(!answer.passages.is_empty());
            for hit in &answer.passages {
                prop_assert!(hit.quote.chars().count() <= 162);
                prop_assert!(hit.answer.end <= hit.quote.len());
            }
        } else {
            prop_assert!(answer.passages.is_empty());
        }
    }
}
