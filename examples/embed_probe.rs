//! Times the e5 embedder on awkward inputs (first argument: the model file).
//!
//!     cargo run --release --example embed_probe -- data/models/e5-small-q4.bin

use std::time::Instant;

use summit_bot::semantic::Embedder;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("data/models/e5-small-q4.bin".into());
    let started = Instant::now();
    let embedder = Embedder::open(path.as_ref()).expect("model");
    eprintln!(
        "load {:?} variant {}",
        started.elapsed(),
        embedder.variant()
    );
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4_000).collect();
    let cases = [
        ("short", "乌镇峰会在哪里举行？".to_string()),
        ("long", "乌镇".repeat(5_000)),
        ("ligatures", "\u{FDFA}".repeat(3_000)),
        ("lossy", String::from_utf8_lossy(&bytes).into_owned()),
        ("spaces", " ".repeat(10_000)),
    ];
    for (name, text) in &cases {
        let t = Instant::now();
        embedder.embed_query(text);
        let q = t.elapsed();
        let t = Instant::now();
        embedder.embed_passage(text);
        eprintln!("{name}: query {q:?} passage {:?}", t.elapsed());
    }
}
