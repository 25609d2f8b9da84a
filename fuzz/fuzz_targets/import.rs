//! The newspaper-text importer on arbitrary text: articles or an error, never a panic;
//! every article it makes can be written and read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use summit_bot::corpus::{import::import_raw, parse_markdown};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(articles) = import_raw(&text) {
        for article in articles {
            let back = parse_markdown("import.md", &article.to_markdown()).expect("imported article parses");
            assert_eq!(back, article);
        }
    }
});
