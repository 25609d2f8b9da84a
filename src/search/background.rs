//! A background model of ordinary Chinese: how specific a word is in general,
//! not just in this corpus. Names, numbers and rare content words are
//! specific; everyday words are not. Without it, a word the corpus never uses
//! (a chat word, an everyday verb) would count like a rare name the corpus
//! lacks, and the engine would decline questions it can answer.

use crate::index::analyzer::general_frequency;

/// Total of jieba's dictionary counts (dict.txt of jieba-rs 0.11).
const DICTIONARY_TOTAL: f32 = 60_101_964.0;
/// Below this general idf a word is everyday language (能 6.5, 国家 6.6, 今年 8.7).
const EVERYDAY_IDF: f32 = 7.0;
/// From this general idf on a word is fully specific (峰会 13.6, names, OOV).
const SPECIFIC_IDF: f32 = 12.5;
/// The least specificity anything gets (nothing is pure noise once it passed
/// the stop lists).
const FLOOR: f32 = 0.1;

/// 0.1 (everyday) … 1.0 (specific: rare words, names, numbers, Latin terms).
pub(super) fn specificity(word: &str) -> f32 {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return 1.0;
    }
    let frequency = general_frequency(word).max(1) as f32;
    let general_idf = (DICTIONARY_TOTAL / frequency).ln();
    ((general_idf - EVERYDAY_IDF) / (SPECIFIC_IDF - EVERYDAY_IDF)).clamp(FLOOR, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beat_everyday_words() {
        let everyday = ["国家", "发展", "今年", "东西"];
        let specific = ["蓝皮书", "洪曜庄", "gsma", "5g", "峰会"];
        for e in everyday {
            for s in specific {
                assert!(specificity(e) < specificity(s), "{e} vs {s}");
            }
        }
        assert_eq!(specificity("洪曜庄"), 1.0);
    }
}
