//! Text normalisation shared by the importer, the index and the question side.
//!
//! Two levels, with different promises:
//! - [`tidy`] repairs what extraction does to Chinese text (stray spaces, control
//!   characters). Its output is what we show and quote.
//! - [`fold`] maps tidy text to the form we match on (繁→简, full-width→half-width,
//!   lower-case Latin). It maps **one char to one char**, so a char index into the
//!   folded text is the same char index into the tidy text: that is how a match
//!   found in folded text is highlighted and quoted in the original.

/// True for Han ideographs and the CJK punctuation/full-width forms that sit
/// between them in running Chinese text.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}'   // CJK symbols and punctuation
        | '\u{3400}'..='\u{4DBF}' // extension A
        | '\u{4E00}'..='\u{9FFF}' // unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FF00}'..='\u{FFEF}' // half/full-width forms
        | '\u{2018}'..='\u{201F}' // curly quotes used as Chinese quotes
        | '\u{2014}' | '\u{2026}' | '\u{00B7}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// True for Han ideographs only (what bigrams and jieba care about).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Repairs extracted Chinese text: drops control characters, turns every run of
/// whitespace into one space, and removes that space when it touches Chinese
/// ("421 家" → "421家", "兼 CEO 井贤栋" → "兼CEO井贤栋"); spaces between Latin
/// words stay. Idempotent.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() || c == '\u{FEFF}' || c == '\u{200B}' {
            // A control character is treated as a separator, never kept.
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            let prev = out.chars().next_back().unwrap_or(' ');
            if !is_cjk(prev) && !is_cjk(c) {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Maps one char to its matching form: full-width letters and digits → ASCII,
/// Latin → lower case. Traditional → Simplified is done on whole strings by
/// [`fold`], which needs the neighbours. Full-width punctuation (，？) is left
/// alone: it is never matched, and keeping it keeps most folded texts the same
/// length in bytes as the original, which makes mapping positions free.
fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    };
    if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// The form text is indexed and queried in: 繁→简, full-width letters and
/// digits → ASCII, lower-case ASCII. Same number of chars as the input (see module docs).
pub fn fold(text: &str) -> String {
    let widened: String = text.chars().map(fold_char).collect();
    let simplified = fast2s::convert(&widened);
    // fast2s converts char by char; keep the one-to-one promise even if a future
    // version maps to a different number of chars.
    if simplified.chars().count() == widened.chars().count() {
        simplified
    } else {
        widened
    }
}

/// More than twice as many Latin letters as ideographs: an English (or
/// pinyin) text, which the Chinese corpus can match only through aliases.
pub fn mostly_latin(text: &str) -> bool {
    latin_letters(text) > 2 * text.chars().filter(|&c| is_han(c)).count()
}

/// ASCII letters in `text`.
pub fn latin_letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_ascii_alphabetic()).count()
}

/// Number of chars in `text` (Chinese text is measured in chars, not bytes).
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// Byte offset of char index `char_idx` in `text` (or `text.len()` past the end).
pub fn byte_offset(text: &str, char_idx: usize) -> usize {
    text.char_indices()
        .nth(char_idx)
        .map_or(text.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_removes_spaces_next_to_chinese_only() {
        assert_eq!(tidy("已培育 421 家国家"), "已培育421家国家");
        assert_eq!(tidy("董事长兼 CEO 井贤栋"), "董事长兼CEO井贤栋");
        assert_eq!(tidy("AI+AR 眼镜"), "AI+AR眼镜");
        assert_eq!(tidy("hello   world"), "hello world");
        assert_eq!(tidy("  前后 \t\n "), "前后");
        assert_eq!(tidy("a\u{0}b"), "a b");
    }

    #[test]
    fn tidy_is_idempotent() {
        for s in ["新华社杭州 11 月 21 日电", "  x  y ", "“AI 全息舱”"] {
            assert_eq!(tidy(&tidy(s)), tidy(s));
        }
    }

    #[test]
    fn fold_keeps_char_count_and_folds() {
        let s = "梵語的學術研究ＡＢＣ１２３，Ｘ";
        let f = fold(s);
        assert_eq!(char_len(&f), char_len(s));
        assert_eq!(f, "梵语的学术研究abc123，x");
        assert_eq!(fold(&f), f);
    }
}
