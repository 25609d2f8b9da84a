//! Question → answer → Telegram HTML and JSON: never panics, and the reply
//! stays within Telegram's limits whatever the question.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use summit_bot::corpus::Corpus;
use summit_bot::render::{self, html};
use summit_bot::search::{Engine, SearchSettings};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let corpus = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")).unwrap();
        Engine::new(&corpus, SearchSettings::default()).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let question = String::from_utf8_lossy(data);
    let engine = engine();
    let answer = engine.ask(&question);
    let ctx = render::Context { articles: &engine.index().articles, examples: &[], bot_username: Some("bot") };
    let markup = html::reply(&answer, &ctx, 2);
    assert!(markup.encode_utf16().count() < 4096 * 6, "reply far too long");
    let _ = render::json(&answer);
    let _ = render::plain(&answer, &ctx);
});
