//! The homophone fold behind typo tolerance: people type Chinese through pinyin
//! input methods, so a typo is usually another ideograph with the same sound
//! (乌真 for 乌镇, 师范 for 示范). Every ideograph is replaced by one
//! representative of its toneless pinyin; texts that sound alike fold alike.
//!
//! The fold maps one char to one char of the same UTF-8 length (both in the
//! basic CJK block), so byte offsets found in folded text hold in the original.

use std::collections::HashMap;
use std::sync::LazyLock;

use pinyin::ToPinyin;

/// The CJK Unified Ideographs block: the pinyin table's home, and every
/// representative stays inside it (3 UTF-8 bytes, like the input).
const BLOCK: std::ops::RangeInclusive<char> = '\u{4E00}'..='\u{9FFF}';

/// The representative of every ideograph of the block, by position: the
/// first ideograph with the same toneless syllable (itself when no reading is
/// known). A table, because the fold runs over every char of the corpus.
static REPRESENTATIVES: LazyLock<Vec<char>> = LazyLock::new(|| {
    let mut first: HashMap<&'static str, char> = HashMap::new();
    BLOCK
        .map(|c| match c.to_pinyin() {
            Some(p) => *first.entry(p.plain()).or_insert(c),
            None => c,
        })
        .collect()
});

/// The representative of `c`'s sound, or `c` itself (not an ideograph of the
/// block, or no reading known).
pub fn homophone(c: char) -> char {
    if !BLOCK.contains(&c) {
        return c;
    }
    REPRESENTATIVES[(c as u32 - *BLOCK.start() as u32) as usize]
}

/// `folded` with every ideograph replaced by its [`homophone`].
pub fn fold_homophones(folded: &str) -> String {
    // The same length in bytes (see above): one allocation.
    let mut out = String::with_capacity(folded.len());
    out.extend(folded.chars().map(homophone));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_typos_fold_alike() {
        for (typed, meant) in [
            ("乌真", "乌镇"),
            ("师范工厂", "示范工厂"),
            ("洪耀庄", "洪曜庄"),
            ("超酸", "超算"),
        ] {
            assert_eq!(fold_homophones(typed), fold_homophones(meant));
        }
        assert_ne!(fold_homophones("乌镇"), fold_homophones("北京"));
    }

    #[test]
    fn keeps_lengths_and_other_chars() {
        let text = "AI+乌镇，5G 🚀";
        let folded = fold_homophones(text);
        assert_eq!(folded.len(), text.len());
        assert!(folded.starts_with("AI+") && folded.ends_with("5G 🚀"));
    }
}
