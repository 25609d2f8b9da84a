//! Question → answer → Telegram HTML and JSON: never panics, and the reply is
//! HTML Telegram accepts within its real limits whatever the question.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use summit_bot::corpus::Corpus;
use summit_bot::render::{self, html};
use summit_bot::search::{Engine, SearchSettings};

/// Telegram's caps on one message: text length in UTF-16 code units, counted
/// after the markup is parsed, and formatting entities.
const TELEGRAM_MAX_UTF16: usize = 4096;
const TELEGRAM_MAX_ENTITIES: usize = 100;
/// The most extra sources `[telegram] extra_sources` allows.
const MAX_EXTRA_SOURCES: usize = 4;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let corpus =
            Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")).unwrap();
        Engine::new(&corpus, SearchSettings::default()).unwrap()
    })
}

/// What Telegram sees in HTML parse mode: the visible text's UTF-16 length
/// (tags removed, the four entities we use decoded) and the number of
/// formatting entities (tag pairs around non-empty text). Panics on markup
/// Telegram would reject: a stray `<` or `&`, an unknown entity, unbalanced tags.
fn measure(markup: &str) -> (usize, usize) {
    let (mut units, mut entities) = (0usize, 0usize);
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut rest = markup;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            let end = rest
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag in {markup:?}"));
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let (opened, start) = open
                    .pop()
                    .unwrap_or_else(|| panic!("stray </{name}> in {markup:?}"));
                assert_eq!(opened, name, "tags cross in {markup:?}");
                entities += usize::from(units > start);
            } else {
                let name = tag.split_whitespace().next().unwrap_or_default();
                assert!(!name.is_empty(), "empty tag in {markup:?}");
                open.push((name, units));
            }
            rest = &rest[end + 1..];
        } else if c == '&' {
            let end = rest
                .find(';')
                .unwrap_or_else(|| panic!("bare & in {markup:?}"));
            assert!(
                matches!(&rest[..=end], "&lt;" | "&gt;" | "&amp;" | "&quot;"),
                "unknown entity {} in {markup:?}",
                &rest[..=end]
            );
            units += 1;
            rest = &rest[end + 1..];
        } else {
            assert!(c != '>', "bare > in {markup:?}");
            units += c.len_utf16();
            rest = &rest[c.len_utf8()..];
        }
    }
    assert!(open.is_empty(), "unclosed {open:?} in {markup:?}");
    (units, entities)
}

fuzz_target!(|data: &[u8]| {
    let question = String::from_utf8_lossy(data);
    let engine = engine();
    let answer = engine.ask(&question);
    let ctx = render::Context {
        articles: &engine.index().articles,
        examples: &[],
        bot_username: Some("bot"),
    };
    for extra in [0, 2, MAX_EXTRA_SOURCES] {
        let (units, entities) = measure(&html::reply(&answer, &ctx, extra));
        assert!(
            units <= TELEGRAM_MAX_UTF16,
            "{units} UTF-16 units with {extra} extra sources"
        );
        assert!(
            entities <= TELEGRAM_MAX_ENTITIES,
            "{entities} entities with {extra} extra sources"
        );
    }
    let _ = render::json(&answer);
    let _ = render::plain(&answer, &ctx);
});
