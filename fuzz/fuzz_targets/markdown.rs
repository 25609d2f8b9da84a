//! The Markdown article parser on arbitrary text: an error or an article, never a panic;
//! an article it accepts survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use summit_bot::corpus::parse_markdown;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(article) = parse_markdown("fuzz.md", text) {
        let again = parse_markdown("fuzz.md", &article.to_markdown()).expect("own output parses");
        assert_eq!(again, article);
    }
});
