//! Passages: the quotable units of a corpus, with their sentences found once at
//! build time so that answering a question does no segmentation of the corpus.

use std::ops::Range;
use std::sync::OnceLock;

use super::terms::TermMap;
use crate::corpus::{BlockKind, Corpus};
use crate::text::fold;

/// A paragraph or caption of an article, as quoted and cited.
#[derive(Debug, Clone)]
pub struct Passage {
    /// `<article-id>#<paragraph>` (`#caption-<n>` for captions); the record id for JSONL.
    pub id: String,
    pub article_id: String,
    pub title: String,
    /// 1-based paragraph number among the article's paragraphs; 0 for a caption.
    pub paragraph: usize,
    pub kind: PassageKind,
    pub source: String,
    pub date: Option<String>,
    /// The text as shown and quoted.
    pub text: String,
    /// [`fold`] of `text`: same chars, one for one; matching happens here.
    pub folded: String,
    /// Byte ranges of `text` of each sentence.
    pub sentences: Vec<Range<usize>>,
    /// The same sentences as byte ranges of `folded` (computed once: mapping
    /// ranges between the two is char counting, too slow per question).
    pub folded_sentences: Vec<Range<usize>>,
    /// Which sentences hold which terms (see [`TermMap`]).
    pub terms: TermMap,
    /// The terms by sound, built on first use.
    sound_terms: OnceLock<TermMap>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    Paragraph,
    Caption,
    /// A JSONL record (one passage per record, cited by title only).
    Record,
}

impl Passage {
    /// The homophone form of every pair of ideographs, by sentence (for
    /// questions with a pinyin typo; most never need it).
    pub fn sound_terms(&self) -> &TermMap {
        self.sound_terms
            .get_or_init(|| TermMap::build_sounds(&self.folded, &self.folded_sentences))
    }

    /// The citation line: 《标题》第N段 · 新华社 2024-11-21.
    pub fn citation(&self) -> String {
        let place = match self.kind {
            PassageKind::Paragraph => format!("第{}段", self.paragraph),
            PassageKind::Caption => "图片说明".to_string(),
            PassageKind::Record => String::new(),
        };
        let mut out = format!("《{}》{}", self.title, place);
        let origin: Vec<&str> = [Some(self.source.as_str()), self.date.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        if !origin.is_empty() {
            out.push_str(" · ");
            out.push_str(&origin.join(" "));
        }
        out
    }

    /// The byte range in `folded` of a byte range in `text` (the two differ in
    /// byte lengths where full-width chars were folded, never in char counts).
    pub fn folded_range(&self, range: &Range<usize>) -> Range<usize> {
        map_range(&self.text, &self.folded, range)
    }

    /// The byte range in `text` of a byte range in `folded`.
    pub fn text_range(&self, range: &Range<usize>) -> Range<usize> {
        map_range(&self.folded, &self.text, range)
    }
}

/// Maps a byte range of `from` to the byte range of the same chars in `to`
/// (two strings with the same number of chars).
fn map_range(from: &str, to: &str, range: &Range<usize>) -> Range<usize> {
    if from.len() == to.len() {
        return range.clone();
    }
    let start_char = from[..range.start].chars().count();
    let len_chars = from[range.clone()].chars().count();
    let start = crate::text::byte_offset(to, start_char);
    let end = start
        + to[start..]
            .chars()
            .take(len_chars)
            .map(char::len_utf8)
            .sum::<usize>();
    start..end
}

/// Chars that end a sentence, and closing marks that stay with the sentence they close.
const SENTENCE_END: &[char] = &['。', '！', '？', '!', '?', '；', ';', '…'];
const CLOSERS: &[char] = &['”', '’', '」', '』', '）', ')', '"', '\'', '》'];

/// Byte ranges of the sentences of `text`: split after 。！？； (and runs of
/// them, such as "……"), keeping closing quotes with the sentence they end.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !SENTENCE_END.contains(&c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, next)) = chars.peek() {
            if SENTENCE_END.contains(&next) || CLOSERS.contains(&next) {
                end = j + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if !text[start..end].trim().is_empty() {
            out.push(start..end);
        }
        start = end;
    }
    if !text[start..].trim().is_empty() {
        out.push(start..text.len());
    }
    out
}

/// Every paragraph and caption of `corpus`, numbered as cited, without the
/// derived data (what the on-disk index stores).
pub fn bare_passages(corpus: &Corpus) -> impl Iterator<Item = Passage> + '_ {
    corpus.articles.iter().flat_map(move |article| {
        let mut paragraph = 0;
        let mut caption = 0;
        article.blocks.iter().map(move |block| {
            let (kind, number, id) = if corpus.records {
                (PassageKind::Record, 1, article.id.clone())
            } else if block.kind == BlockKind::Caption {
                caption += 1;
                (
                    PassageKind::Caption,
                    0,
                    format!("{}#caption-{caption}", article.id),
                )
            } else {
                paragraph += 1;
                (
                    PassageKind::Paragraph,
                    paragraph,
                    format!("{}#{paragraph}", article.id),
                )
            };
            Passage::bare(
                id,
                article.id.clone(),
                article.title.clone(),
                number,
                kind,
                article.source.clone(),
                article.date.clone(),
                block.text.clone(),
            )
        })
    })
}

impl Passage {
    /// A passage without its derived data; [`Passage::derived`] completes it.
    #[allow(clippy::too_many_arguments)]
    pub fn bare(
        id: String,
        article_id: String,
        title: String,
        paragraph: usize,
        kind: PassageKind,
        source: String,
        date: Option<String>,
        text: String,
    ) -> Passage {
        Passage {
            id,
            article_id,
            title,
            paragraph,
            kind,
            source,
            date,
            text,
            folded: String::new(),
            sentences: Vec::new(),
            folded_sentences: Vec::new(),
            terms: TermMap::default(),
            sound_terms: OnceLock::new(),
        }
    }

    /// The passage with its sentences, folded text and term map computed from `text`.
    pub fn derived(mut self) -> Passage {
        self.sentences = sentences(&self.text);
        self.folded = fold(&self.text);
        self.folded_sentences = self
            .sentences
            .iter()
            .map(|r| map_range(&self.text, &self.folded, r))
            .collect();
        self.terms = TermMap::build(&self.folded, &self.folded_sentences);
        self
    }
}

impl PassageKind {
    /// The number the on-disk index stores for this kind.
    pub fn code(self) -> u64 {
        match self {
            PassageKind::Paragraph => 0,
            PassageKind::Caption => 1,
            PassageKind::Record => 2,
        }
    }

    pub fn from_code(code: u64) -> Option<PassageKind> {
        match code {
            0 => Some(PassageKind::Paragraph),
            1 => Some(PassageKind::Caption),
            2 => Some(PassageKind::Record),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn sentences_keep_closing_quotes() {
        assert_eq!(
            split("“人工智能正在改变生活。”李军华说。新华社"),
            ["“人工智能正在改变生活。”", "李军华说。", "新华社"]
        );
        assert_eq!(split("真的吗？！好……走"), ["真的吗？！", "好……", "走"]);
        assert!(split("").is_empty());
    }

    #[test]
    fn folded_ranges_map_back() {
        let text = "ＡＩ全息舱。李白";
        let folded = fold(text);
        let r = map_range(text, &folded, &(0..6));
        assert_eq!(&folded[r.clone()], "ai");
        assert_eq!(map_range(&folded, text, &r), 0..6);
    }
}
