//! The two ways we cut Chinese text into terms, used identically for indexing
//! and for questions: jieba words (search mode) and CJK character bigrams.
//!
//! Both fold the text first ([`crate::text::fold`]: 繁→简, widths, case), then
//! report byte offsets into the *unfolded* input, always on char boundaries:
//! tantivy's snippet machinery and our highlighter slice the original text with
//! them. Positions never decrease.

use std::ops::Range;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer, MAX_TOKEN_LEN};

use super::homophone::fold_homophones;
use crate::text::{fold, is_han};

/// The default jieba dictionary, loaded once per process (it is the bulk of
/// start-up time, so nothing else should load it again).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Loads the jieba dictionary now rather than on the first question.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// How often `word` occurs in general Chinese, by jieba's dictionary (a count
/// out of about 60 million; words it lacks get the product of their parts).
pub fn general_frequency(word: &str) -> usize {
    JIEBA.suggest_freq(word)
}

/// Byte offset of every char of `text`, plus `text.len()` at the end, so a char
/// range of the folded text maps to a byte range of the original.
fn char_starts(text: &str) -> Vec<usize> {
    let mut starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    starts.push(text.len());
    starts
}

/// A term worth indexing: it has a letter, digit or ideograph.
fn is_term(word: &str) -> bool {
    word.chars().any(|c| c.is_alphanumeric())
}

/// jieba search-mode words of `text` (sub-words of long words included).
pub fn words(text: &str) -> Vec<Token> {
    words_of(text, &fold(text))
}

/// [`words`] of `folded`, the fold of `text`, with offsets into `text`.
fn words_of(text: &str, folded: &str) -> Vec<Token> {
    collect(WordStream::new(text, folded))
}

/// The people `folded` names, by jieba's part-of-speech tags (`nr`; names of
/// two ideographs or more), in order, each once.
pub fn person_names(folded: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for tag in JIEBA.tag(folded, true) {
        if tag.tag == "nr" && tag.word.chars().count() >= 2 && !names.iter().any(|n| n == tag.word)
        {
            names.push(tag.word.to_string());
        }
    }
    names
}

/// jieba's default (precise) segmentation of already folded text: the words a
/// person would name, without search mode's extra sub-words.
pub fn cut_folded(folded: &str) -> Vec<&str> {
    JIEBA
        .cut(folded, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| is_term(w))
        .collect()
}

/// Both cuts of already folded text from one jieba run: the search-mode words
/// ([`word_terms_folded`]) and the precise words ([`cut_folded`]). Search
/// mode emits each precise word after the sub-words found inside it, so the
/// precise cut is what remains once words covered by a later one are dropped.
pub fn cut_both_folded(folded: &str) -> (Vec<&str>, Vec<&str>) {
    let tokens = JIEBA.cut_for_search(folded, true);
    let mut precise: Vec<&jieba_rs::Token> = Vec::new();
    for tok in &tokens {
        while precise
            .last()
            .is_some_and(|last| last.start >= tok.start && last.end <= tok.end)
        {
            precise.pop();
        }
        precise.push(tok);
    }
    let search = tokens
        .iter()
        .map(|t| t.word)
        .filter(|w| is_term(w))
        .collect();
    let precise = precise
        .into_iter()
        .map(|t| t.word)
        .filter(|w| is_term(w))
        .collect();
    (search, precise)
}

/// The terms of [`words`] for already folded text (the question side, which
/// needs no offsets).
pub fn word_terms_folded(folded: &str) -> Vec<&str> {
    JIEBA
        .cut_for_search(folded, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| is_term(w))
        .collect()
}

/// Overlapping CJK bigrams of every run of ideographs (a lone ideograph is kept
/// as a unigram), and every run of ASCII letters/digits as one term. Everything
/// else separates. Out-of-vocabulary names (洪曜庄) match through these.
pub fn bigrams(text: &str) -> Vec<Token> {
    bigrams_of(text, &fold(text))
}

/// [`bigrams`] of `folded`, the fold of `text`, with offsets into `text`.
fn bigrams_of(text: &str, folded: &str) -> Vec<Token> {
    collect(SpanStream::new(text, folded.to_string(), false))
}

/// Bigrams of the homophone-folded text ([`super::homophone`]): only pairs of
/// ideographs (letters, digits and lone ideographs are matched exactly by
/// [`bigrams`] already). The weak signal that finds 乌镇 for 乌真.
pub fn homophone_bigrams(text: &str) -> Vec<Token> {
    homophone_bigrams_of(text, &fold(text))
}

/// [`homophone_bigrams`] of `folded`, the fold of `text`, with offsets into `text`.
fn homophone_bigrams_of(text: &str, folded: &str) -> Vec<Token> {
    collect(SpanStream::new(text, fold_homophones(folded), true))
}

/// Every token of `stream`.
fn collect(mut stream: impl TokenStream) -> Vec<Token> {
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().clone());
    }
    tokens
}

/// The terms of [`homophone_bigrams`] for already folded text.
pub fn homophone_terms_folded(folded: &str) -> Vec<String> {
    let chars: Vec<char> = fold_homophones(folded).chars().collect();
    homophone_spans(&chars)
        .map(|span| chars[span].iter().collect())
        .collect()
}

/// The [`bigram_spans`] that are pairs of ideographs: the terms that have a
/// sound form (index field, question and passage term tables alike).
pub fn homophone_spans(chars: &[char]) -> impl Iterator<Item = Range<usize>> + '_ {
    bigram_spans(chars)
        .into_iter()
        .filter(|span| is_ideograph_pair(chars, span))
}

/// Whether the `span` of `chars` is two ideographs: the bigrams that have a
/// homophone form (index field, term tables and questions alike).
pub fn is_ideograph_pair(chars: &[char], span: &Range<usize>) -> bool {
    span.len() == 2 && chars[span.clone()].iter().all(|&c| is_han(c))
}

/// The terms of [`bigrams`] for already folded text (the question side, which
/// needs no offsets and should not fold twice).
pub fn bigram_terms_folded(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    bigram_spans(&chars)
        .into_iter()
        .map(|span| chars[span].iter().collect())
        .collect()
}

/// How many tokens the bigram and the homophone tokenizers make of folded
/// `text`: the two fields' lengths as tantivy counts them (tokens longer than
/// its limit are dropped), for the in-RAM index, which keeps these norms
/// itself ([`super::norms`]). The homophone fold keeps every char an
/// ideograph or not, so the pairs by sound are the pairs of `text`.
pub fn span_counts(text: &str) -> (u32, u32) {
    let chars: Vec<char> = text.chars().collect();
    let spans = bigram_spans(&chars);
    // Only runs of ASCII (one byte a char) can be that long.
    let bigrams = spans
        .iter()
        .filter(|span| span.len() <= MAX_TOKEN_LEN)
        .count();
    let pairs = spans
        .iter()
        .filter(|span| is_ideograph_pair(&chars, span))
        .count();
    (bigrams as u32, pairs as u32)
}

/// Char ranges of the bigram terms of folded `chars`: overlapping bigrams of
/// every run of ideographs (a lone ideograph stands for itself) and every run
/// of ASCII letters/digits. The one definition the index, the question and the
/// per-passage term tables share.
pub fn bigram_spans(chars: &[char]) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_han(c) {
            let start = i;
            while i < chars.len() && is_han(chars[i]) {
                i += 1;
            }
            if i - start == 1 {
                spans.push(start..i);
            } else {
                spans.extend((start..i - 1).map(|j| j..j + 2));
            }
        } else if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            spans.push(start..i);
        } else {
            i += 1;
        }
    }
    spans
}

/// The index-side token streams fill one [`Token`] in place, token after
/// token: a passage has thousands of terms, and building a string and a
/// token for each up front was a large share of indexing time.
fn fill(token: &mut Token, position: usize, offsets: Range<usize>, text: impl FnOnce(&mut String)) {
    token.position = position;
    token.offset_from = offsets.start;
    token.offset_to = offsets.end;
    token.position_length = 1;
    token.text.clear();
    text(&mut token.text);
}

/// [`words`] as a stream: jieba's words of folded text, with offsets into
/// the text it is the fold of.
pub struct WordStream<'a> {
    words: std::vec::IntoIter<jieba_rs::Token<'a>>,
    starts: Vec<usize>,
    position: usize,
    token: Token,
}

impl WordStream<'_> {
    fn new<'a>(text: &str, folded: &'a str) -> WordStream<'a> {
        WordStream {
            words: JIEBA.cut_for_search(folded, true).into_iter(),
            starts: char_starts(text),
            position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        for word in self.words.by_ref() {
            if !is_term(word.word) {
                continue;
            }
            let offsets = self.starts[word.start]..self.starts[word.end];
            // Search mode emits a word's sub-words just before the word: they
            // get consecutive positions, which keeps positions increasing.
            fill(&mut self.token, self.position, offsets, |t| {
                t.push_str(word.word)
            });
            self.position += 1;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// [`bigrams`] and [`homophone_bigrams`] as a stream: tokens of char spans
/// of folded text, with offsets into the text it is the fold of.
pub struct SpanStream {
    /// The folded text the terms are cut from (for homophones: folded by sound).
    terms: String,
    /// Byte offset of every char of `terms`, and its length.
    term_starts: Vec<usize>,
    /// Byte offset of every char of the text, and its length.
    starts: Vec<usize>,
    spans: std::vec::IntoIter<Range<usize>>,
    position: usize,
    token: Token,
}

impl SpanStream {
    /// `terms` is the fold of `text` (the same number of chars).
    fn new(text: &str, terms: String, homophones_only: bool) -> SpanStream {
        let chars: Vec<char> = terms.chars().collect();
        let spans = if homophones_only {
            homophone_spans(&chars).collect()
        } else {
            bigram_spans(&chars)
        };
        SpanStream {
            term_starts: char_starts(&terms),
            terms,
            starts: char_starts(text),
            spans: spans.into_iter(),
            position: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for SpanStream {
    fn advance(&mut self) -> bool {
        let Some(span) = self.spans.next() else {
            return false;
        };
        let offsets = self.starts[span.start]..self.starts[span.end];
        let term = &self.terms[self.term_starts[span.start]..self.term_starts[span.end]];
        fill(&mut self.token, self.position, offsets, |t| {
            t.push_str(term)
        });
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// tantivy tokenizer named [`JIEBA_TOKENIZER`]: [`words`].
#[derive(Clone, Default)]
pub struct JiebaTokenizer;

/// tantivy tokenizer named [`BIGRAM_TOKENIZER`]: [`bigrams`].
#[derive(Clone, Default)]
pub struct BigramTokenizer;

/// tantivy tokenizer named [`HOMOPHONE_TOKENIZER`]: [`homophone_bigrams`].
#[derive(Clone, Default)]
pub struct HomophoneTokenizer;

// The index-side tokenizers are handed text already folded (the index is
// built from each passage's folded text, folded once: folding is a large share
// of indexing time, and it is idempotent, so the terms are the same).
pub const JIEBA_TOKENIZER: &str = "summit_jieba";
pub const BIGRAM_TOKENIZER: &str = "summit_bigram";
pub const HOMOPHONE_TOKENIZER: &str = "summit_homophone";

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = WordStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        WordStream::new(text, text)
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = SpanStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanStream {
        SpanStream::new(text, text.to_string(), false)
    }
}

impl Tokenizer for HomophoneTokenizer {
    type TokenStream<'a> = SpanStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> SpanStream {
        SpanStream::new(text, fold_homophones(text), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    fn assert_sane(text: &str, tokens: &[Token]) {
        let mut last = 0;
        for t in tokens {
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
            assert!(t.offset_from < t.offset_to && t.offset_to <= text.len());
            assert!(t.position >= last, "positions must not decrease");
            last = t.position;
        }
    }

    #[test]
    fn bigrams_of_mixed_text() {
        let text = "爱立信的5G可编程网络";
        let tokens = bigrams(text);
        assert_eq!(
            texts(&tokens),
            ["爱立", "立信", "信的", "5g", "可编", "编程", "程网", "网络"]
        );
        assert_sane(text, &tokens);
    }

    #[test]
    fn traditional_folds_and_offsets_point_into_original() {
        let text = "梵語的學術研究，ＡＩ全息艙";
        for tokens in [words(text), bigrams(text)] {
            assert_sane(text, &tokens);
            for t in &tokens {
                assert_eq!(fold(&text[t.offset_from..t.offset_to]), t.text);
            }
        }
        assert!(texts(&bigrams(text)).contains(&"学术"));
        assert!(texts(&words(text)).contains(&"ai"));
    }

    #[test]
    fn emoji_and_controls_do_not_break_offsets() {
        let text = "👍人工智能🚀\u{0007}AI+AR眼镜 café";
        for tokens in [words(text), bigrams(text), homophone_bigrams(text)] {
            assert_sane(text, &tokens);
        }
        assert!(words("🙂🙂").is_empty());
        assert!(bigrams("").is_empty());
    }

    #[test]
    fn span_counts_drop_what_tantivy_drops() {
        let long = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(span_counts(&format!("{long} 人工智能 5g")), (4, 3));
        assert_eq!(span_counts(""), (0, 0));
    }

    #[test]
    fn words_cut_for_search() {
        let tokens = words("中国网络空间研究院编写");
        let t = texts(&tokens);
        assert!(t.contains(&"研究院") || t.contains(&"研究"), "{t:?}");
        assert_sane("中国网络空间研究院编写", &tokens);
    }

    #[test]
    fn one_cut_gives_both_segmentations() {
        let corpus = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"))
            .expect("corpus/ is in the repository");
        let mut lines: Vec<String> = corpus
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .flat_map(|text| text.lines().map(fold).collect::<Vec<_>>())
            .collect();
        lines.push("wes-5.4.5版本的中华人民共和国ai+ar眼镜".to_string());
        assert!(lines.len() > 50);
        for line in &lines {
            let (search, precise) = cut_both_folded(line);
            assert_eq!(search, word_terms_folded(line), "{line}");
            assert_eq!(precise, cut_folded(line), "{line}");
        }
    }
}
