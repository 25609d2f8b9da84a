//! Turns text extracted from a newspaper page into articles.
//!
//! Extraction leaves predictable damage, and each repair here is a general rule
//! about Chinese news layout, not knowledge of one page:
//! - a headline is a run of `#` lines (a `——` line in it is the subtitle), or a
//!   block of short unpunctuated lines right before a dateline paragraph;
//! - a dateline (`<agency><place><M>月<D>日电（记者…）`) is metadata, whether it
//!   opens a paragraph, closes one or stands alone;
//! - a paragraph that does not end like a sentence was cut by a page or column
//!   break and continues in the next paragraph, even across a photo caption;
//! - a block that ends in a photo credit (`…摄`, `<agency>发`) is a caption;
//! - spacing is repaired by [`tidy`].

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use super::markdown::{days_in_month, CAPTION_PREFIX};
use super::{Article, Block, BlockKind};
use crate::text::{is_cjk, is_han, tidy};

/// Why a text cannot be imported. Lines are 1-based lines of the raw text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("no article found: an article starts at a `## ` headline, or at a block of short lines followed by a dateline")]
    NoArticle,
    #[error("line {line}: text before the first headline (\"{excerpt}…\"); add a `## ` headline or remove it")]
    TextBeforeHeadline { line: usize, excerpt: String },
    #[error("line {line}: the article \"{title}\" has no body text")]
    EmptyArticle { line: usize, title: String },
}

/// Characters that may end a finished paragraph. Anything else at the end (a
/// Han character, a digit, `，`, `、`, an opening quote…) means the paragraph was
/// cut and goes on in the next block. `：` and `；` count as finished: list
/// items and introductions to a list legitimately end with them.
const PARAGRAPH_END: &[char] = &[
    '。', '！', '？', '!', '?', '…', '；', ';', '：', ':', '”', '’', '」', '』', '）', ')', '】',
    ']', '.', '"', '\'',
];

/// Characters no paragraph starts with: a block starting with one continues
/// the previous paragraph.
const CONTINUATION_START: &[char] = &[
    '，', ',', '、', '。', '；', ';', '：', '！', '？', '）', ')', '”', '’', '」', '』', '】', '》',
];

/// Punctuation a headline does not contain.
const SENTENCE_PUNCTUATION: &[char] = &['。', '！', '？', '!', '?', '；', ';', '，', ','];

/// Last character of a news agency or paper's name (社, 网, 报, 台): it separates
/// the agency from the place in a dateline and precedes `发` in a photo credit.
const AGENCY_SUFFIXES: &[char] = &['社', '网', '报', '台'];

/// Longest agency name and place name in a dateline, in chars.
const MAX_AGENCY: usize = 6;
const MAX_PLACE: usize = 10;
/// Longest byline content `（记者…）`, in chars.
const MAX_BYLINE: usize = 60;
/// Limits of a headline written as a block of plain lines.
const MAX_HEADLINE_LINE: usize = 24;
const MAX_HEADLINE: usize = 48;
/// Longest photo credit segment (`新华社记者某某摄`), in chars.
const MAX_CREDIT: usize = 24;

/// Splits extracted newspaper text into articles (see the module docs for the
/// rules). Ids are `<yyyymmdd>-<n>`, numbered in order of appearance.
pub fn import_raw(text: &str) -> Result<Vec<Article>, ImportError> {
    let items = items(text);
    let drafts = drafts(&items)?;
    let year = common_year(text);

    let mut stories = Vec::with_capacity(drafts.len());
    for draft in &drafts {
        let story = assemble(draft);
        if story.blocks.is_empty() {
            return Err(ImportError::EmptyArticle {
                line: draft.line,
                title: draft.title.clone(),
            });
        }
        stories.push(story);
    }

    // An article without a dateline was written at the same desk as the others.
    let all: Vec<&Dateline> = stories.iter().flat_map(|s| &s.datelines).collect();
    let default_source = most_common(all.iter().map(|d| d.source.clone()));
    let default_place = most_common(all.iter().filter_map(|d| d.place.clone()));
    let default_date = most_common(all.iter().filter_map(|d| d.date(year)));

    let mut articles = Vec::with_capacity(stories.len());
    for (number, (draft, story)) in drafts.iter().zip(stories).enumerate() {
        let dateline = story.datelines.first();
        let (source, place, date) = match dateline {
            Some(d) => (d.source.clone(), d.place.clone(), d.date(year)),
            None => (
                default_source.clone().unwrap_or_default(),
                default_place.clone(),
                default_date.clone(),
            ),
        };
        let authors = story
            .datelines
            .iter()
            .find(|d| !d.authors.is_empty())
            .map(|d| d.authors.clone());
        let prefix = date
            .as_deref()
            .map_or_else(|| "article".to_string(), |d| d.replace('-', ""));
        articles.push(Article {
            id: format!("{prefix}-{}", number + 1),
            title: draft.title.clone(),
            subtitle: draft.subtitle.clone(),
            source,
            place,
            date,
            authors: authors.unwrap_or_default(),
            blocks: story.blocks,
        });
    }
    Ok(articles)
}

/// Writes each article to `<out_dir>/<id>.md` (creating the directory) and
/// returns the paths in article order. Ids are checked first, so a bad or
/// duplicate id writes nothing and cannot point outside `out_dir`.
pub fn write_corpus(articles: &[Article], out_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut seen = std::collections::HashSet::new();
    for article in articles {
        let id = &article.id;
        let safe = !id.is_empty()
            && !id.starts_with('.')
            && !id.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '#' | ':')
            });
        if !safe || !seen.insert(id.as_str()) {
            let why = if safe {
                "duplicate"
            } else {
                "unusable as a file name"
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("article id {id:?} is {why}"),
            ));
        }
    }
    std::fs::create_dir_all(out_dir)?;
    let mut written = Vec::with_capacity(articles.len());
    for article in articles {
        let path = out_dir.join(format!("{}.md", article.id));
        std::fs::write(&path, article.to_markdown())?;
        written.push(path);
    }
    Ok(written)
}

/// A piece of the raw text: a headline (a run of `#` lines) or a text block
/// (consecutive non-blank lines).
#[derive(Debug)]
enum Item {
    Headline {
        line: usize,
        title: String,
        subtitle: Option<String>,
    },
    Text {
        line: usize,
        lines: Vec<String>,
    },
}

/// A raw line: blank, a `#` heading (its text) or text.
enum Line<'a> {
    Blank,
    Heading(&'a str),
    Text(&'a str),
}

fn classify_line(line: &str) -> Line<'_> {
    // Whatever tidies to nothing (spaces, form feeds, a BOM) separates blocks.
    if tidy(line).is_empty() {
        return Line::Blank;
    }
    let trimmed = line.trim_start();
    let hashes = trimmed.chars().take_while(|&c| c == '#').count();
    let rest = &trimmed[hashes..];
    if (1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        if tidy(rest).is_empty() {
            return Line::Blank;
        }
        return Line::Heading(rest);
    }
    Line::Text(line)
}

/// The raw text as headlines and text blocks. Headings separated only by blank
/// lines form one headline.
fn items(text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut headings: Vec<&str> = Vec::new();
    let mut heading_line = 0;
    let mut block: Vec<String> = Vec::new();
    let mut block_line = 0;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        match classify_line(raw) {
            Line::Blank => flush_block(&mut block, block_line, &mut items),
            Line::Heading(heading) => {
                flush_block(&mut block, block_line, &mut items);
                if headings.is_empty() {
                    heading_line = number;
                }
                headings.push(heading);
            }
            Line::Text(line) => {
                flush_headline(&mut headings, heading_line, &mut items);
                if block.is_empty() {
                    block_line = number;
                }
                block.push(tidy(line));
            }
        }
    }
    flush_block(&mut block, block_line, &mut items);
    flush_headline(&mut headings, heading_line, &mut items);
    items
}

fn flush_block(block: &mut Vec<String>, line: usize, items: &mut Vec<Item>) {
    if !block.is_empty() {
        items.push(Item::Text {
            line,
            lines: std::mem::take(block),
        });
    }
}

/// Heading lines up to the first one that starts with a dash are the title;
/// that one and any after it are the subtitle.
fn flush_headline(headings: &mut Vec<&str>, line: usize, items: &mut Vec<Item>) {
    if headings.is_empty() {
        return;
    }
    let mut title = Vec::new();
    let mut subtitle = Vec::new();
    for heading in headings.drain(..) {
        match strip_dash(heading) {
            Some(rest) if !title.is_empty() || !subtitle.is_empty() => subtitle.push(rest),
            _ if !subtitle.is_empty() => subtitle.push(heading),
            _ => title.push(heading),
        }
    }
    let subtitle = Some(tidy(&subtitle.join(" "))).filter(|s| !s.is_empty());
    items.push(Item::Headline {
        line,
        title: tidy(&title.join(" ")),
        subtitle,
    });
}

/// The text after a leading dash (`——`, `—`, `--`), if the line starts with one.
fn strip_dash(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let dashed = line.starts_with(['—', '―', '–', '─'])
        || line.starts_with("--")
        || line.starts_with("－－");
    if !dashed {
        return None;
    }
    let rest = line.trim_start_matches(|c: char| {
        matches!(c, '—' | '―' | '–' | '─' | '-' | '－') || c.is_whitespace()
    });
    Some(rest).filter(|r| !r.is_empty())
}

/// One article before its body is repaired.
struct Draft {
    line: usize,
    title: String,
    subtitle: Option<String>,
    /// Tidy text blocks in order.
    body: Vec<String>,
}

/// Groups items into articles: each headline starts one.
fn drafts(items: &[Item]) -> Result<Vec<Draft>, ImportError> {
    let mut drafts: Vec<Draft> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match item {
            Item::Headline {
                line,
                title,
                subtitle,
            } => drafts.push(Draft {
                line: *line,
                title: title.clone(),
                subtitle: subtitle.clone(),
                body: Vec::new(),
            }),
            Item::Text { line, lines } => {
                // A short-line headline must not split a `#` headline from its body.
                let after_body = drafts.last().is_none_or(|d| !d.body.is_empty());
                if after_body && is_plain_headline(lines, items.get(index + 1)) {
                    let title = tidy(&lines.join(" "));
                    drafts.push(Draft {
                        line: *line,
                        title,
                        subtitle: None,
                        body: Vec::new(),
                    });
                    continue;
                }
                let text = tidy(&lines.join("\n"));
                match drafts.last_mut() {
                    Some(draft) => draft.body.push(text),
                    None => {
                        let excerpt = text.chars().take(20).collect();
                        return Err(ImportError::TextBeforeHeadline {
                            line: *line,
                            excerpt,
                        });
                    }
                }
            }
        }
    }
    if drafts.is_empty() {
        return Err(ImportError::NoArticle);
    }
    Ok(drafts)
}

/// A headline set as plain text: a few short lines without sentence
/// punctuation, directly followed by a paragraph that opens with a dateline.
fn is_plain_headline(lines: &[String], next: Option<&Item>) -> bool {
    let Some(Item::Text { lines: next, .. }) = next else {
        return false;
    };
    let short = lines.iter().all(|l| l.chars().count() <= MAX_HEADLINE_LINE)
        && lines.iter().map(|l| l.chars().count()).sum::<usize>() <= MAX_HEADLINE
        && !lines.iter().any(|l| l.contains(SENTENCE_PUNCTUATION));
    if !short {
        return false;
    }
    let text = tidy(&lines.join(" "));
    if text.is_empty() || parse_dateline(&text).is_some() || has_photo_credit(&text) {
        return false;
    }
    // The dateline must open a paragraph, not stand alone (a standalone one
    // closes the previous article).
    let next = tidy(&next.join("\n"));
    parse_dateline(&next).is_some_and(|(_, end)| !next[end..].trim().is_empty())
}

/// An article body after the repairs, with the datelines it held.
struct Story {
    blocks: Vec<Block>,
    datelines: Vec<Dateline>,
}

/// Repairs one article's body: takes out datelines, recognises captions and
/// joins paragraphs cut by page breaks.
fn assemble(draft: &Draft) -> Story {
    let mut datelines = Vec::new();
    let mut joiner = Joiner::default();
    for text in &draft.body {
        let mut rest = text.as_str();
        let mut opens_story = false;
        if let Some((dateline, end)) = parse_dateline(rest) {
            datelines.push(dateline);
            rest = rest[end..].trim();
            opens_story = true;
        }
        if let Some((dateline, start)) = trailing_dateline(rest) {
            datelines.push(dateline);
            rest = rest[..start].trim();
        }
        if rest.is_empty() {
            continue;
        }
        if let Some(caption) = rest.strip_prefix(CAPTION_PREFIX) {
            joiner.caption(tidy(caption));
        } else if !opens_story && has_photo_credit(rest) {
            joiner.caption(rest.to_string());
        } else {
            joiner.paragraph(rest.to_string(), opens_story);
        }
    }
    Story {
        blocks: joiner.finish(),
        datelines,
    }
}

/// Builds the block list, joining a cut paragraph with the paragraph that
/// continues it. Captions met while a paragraph is still open are held back and
/// placed after it, so a photo set into the middle of a paragraph does not
/// split it.
#[derive(Default)]
struct Joiner {
    blocks: Vec<Block>,
    open: Option<String>,
    held: Vec<String>,
}

impl Joiner {
    fn paragraph(&mut self, text: String, opens_story: bool) {
        if let Some(open) = &mut self.open {
            if !opens_story && (!is_finished(open) || starts_as_continuation(&text)) {
                join_tidy(open, &text);
                return;
            }
        }
        self.flush();
        self.open = Some(text);
    }

    fn caption(&mut self, text: String) {
        if text.is_empty() {
            return;
        }
        match &self.open {
            Some(open) if !is_finished(open) => self.held.push(text),
            _ => {
                self.flush();
                self.blocks.push(Block {
                    kind: BlockKind::Caption,
                    text,
                });
            }
        }
    }

    fn flush(&mut self) {
        if let Some(text) = self.open.take() {
            self.blocks.push(Block {
                kind: BlockKind::Paragraph,
                text,
            });
        }
        for text in self.held.drain(..) {
            self.blocks.push(Block {
                kind: BlockKind::Caption,
                text,
            });
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.blocks
    }
}

/// Appends tidy `text` to tidy `open` as `tidy(open + " " + text)` would, without
/// re-scanning `open` (a paragraph cut many times must not cost quadratic time).
fn join_tidy(open: &mut String, text: &str) {
    let before = open.chars().next_back();
    let after = text.chars().next();
    if let (Some(before), Some(after)) = (before, after) {
        if !is_cjk(before) && !is_cjk(after) {
            open.push(' ');
        }
    }
    open.push_str(text);
}

/// Whether a paragraph ends like a finished sentence.
fn is_finished(text: &str) -> bool {
    text.trim_end()
        .chars()
        .next_back()
        .is_none_or(|c| PARAGRAPH_END.contains(&c))
}

/// Whether a block starts with punctuation that only follows earlier text.
fn starts_as_continuation(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| CONTINUATION_START.contains(&c))
}

/// Whether a block ends in a photo credit: after the last sentence end or
/// opening parenthesis comes a short segment ending in `摄` (not `拍摄`), `供图`
/// or `<agency>发` — `…开幕。新华社发`, `…（新华社记者某某摄）`.
fn has_photo_credit(text: &str) -> bool {
    let core = text.trim_end().trim_end_matches(['）', ')']).trim_end();
    let start = core
        .char_indices()
        .rev()
        .find(|&(_, c)| matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | '（' | '(' | '”'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let segment = core[start..].trim();
    let chars: Vec<char> = segment.chars().collect();
    if chars.len() < 2 || chars.len() > MAX_CREDIT || segment.contains(['，', ',']) {
        return false;
    }
    let last = chars[chars.len() - 1];
    let before = chars[chars.len() - 2];
    (last == '摄' && before != '拍')
        || segment.ends_with("供图")
        || (last == '发' && AGENCY_SUFFIXES.contains(&before))
}

/// What a dateline says: `新华社杭州11月21日电（记者魏一骏、郑可意）`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dateline {
    source: String,
    place: Option<String>,
    year: Option<u32>,
    month: u32,
    day: u32,
    authors: Vec<String>,
}

impl Dateline {
    /// `YYYY-MM-DD`, with the dateline's own year or else the document's year.
    fn date(&self, document_year: Option<u32>) -> Option<String> {
        let year = self.year.or(document_year)?;
        let valid = (1000..=9999).contains(&year)
            && (1..=days_in_month(year, self.month)).contains(&self.day);
        valid.then(|| format!("{year:04}-{:02}-{:02}", self.month, self.day))
    }
}

/// A position in a string, for the small hand-written dateline grammar.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, wanted: &[char]) -> Option<char> {
        let c = self.peek().filter(|c| wanted.contains(c))?;
        self.bump();
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// A number of at most `max` ASCII or full-width digits.
    fn number(&mut self, max: usize) -> Option<u32> {
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(d) = self.peek().and_then(digit_value) {
            if digits == max {
                return None;
            }
            value = value * 10 + d;
            digits += 1;
            self.bump();
        }
        (digits > 0).then_some(value)
    }
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Parses a dateline at the start of `text`:
/// `<agency><place>[YYYY年]M月D日电[（记者A、B）]`, or the same (without byline)
/// in parentheses. Returns it and the byte length it covers.
fn parse_dateline(text: &str) -> Option<(Dateline, usize)> {
    let mut cursor = Cursor { text, pos: 0 };
    let close = match cursor.eat(&['（', '(']) {
        Some('（') => Some('）'),
        Some(_) => Some(')'),
        None => None,
    };

    // The agency ends at its first 社/网/报/台; the Han characters after it, up
    // to the date, are the place.
    let run: Vec<char> = cursor.text[cursor.pos..]
        .chars()
        .take_while(|&c| is_han(c))
        .take(MAX_AGENCY + MAX_PLACE + 1)
        .collect();
    let agency_len = run
        .iter()
        .take(MAX_AGENCY)
        .skip(1)
        .position(|c| AGENCY_SUFFIXES.contains(c))?
        + 2;
    if run.len() - agency_len > MAX_PLACE {
        return None;
    }
    let source: String = run[..agency_len].iter().collect();
    let place: String = run[agency_len..].iter().collect();
    cursor.pos += run.iter().map(|c| c.len_utf8()).sum::<usize>();

    cursor.skip_spaces();
    let first = cursor.number(4)?;
    cursor.skip_spaces();
    let (year, month) = if cursor.eat(&['年']).is_some() {
        cursor.skip_spaces();
        let month = cursor.number(2)?;
        cursor.skip_spaces();
        (Some(first), month)
    } else {
        (None, first)
    };
    cursor.eat(&['月'])?;
    cursor.skip_spaces();
    let day = cursor.number(2)?;
    cursor.skip_spaces();
    cursor.eat(&['日'])?;
    cursor.skip_spaces();
    cursor.eat(&['电'])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }

    let mut authors = Vec::new();
    if let Some(close) = close {
        cursor.skip_spaces();
        cursor.eat(&[close])?;
    } else if let Some((names, end)) = byline(&text[cursor.pos..]) {
        authors = names;
        cursor.pos += end;
    }
    let place = Some(place).filter(|p| !p.is_empty());
    Some((
        Dateline {
            source,
            place,
            year,
            month,
            day,
            authors,
        },
        cursor.pos,
    ))
}

/// A byline right after a dateline: `（记者A、B）`. Returns the names and the
/// byte length it covers. Other parentheses are left to the text.
fn byline(text: &str) -> Option<(Vec<String>, usize)> {
    let mut cursor = Cursor { text, pos: 0 };
    cursor.skip_spaces();
    let close = if cursor.eat(&['（']).is_some() {
        '）'
    } else {
        cursor.eat(&['(']).map(|_| ')')?
    };
    let start = cursor.pos;
    let mut length = 0;
    loop {
        let c = cursor.bump()?;
        if c == close {
            break;
        }
        length += 1;
        if length > MAX_BYLINE {
            return None;
        }
    }
    let inner = tidy(&text[start..cursor.pos - close.len_utf8()]);
    let names = inner.strip_prefix("记者")?;
    let names: Vec<String> = names
        .split(['、', '，', ',', '；', ';'])
        .map(tidy)
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then_some((names, cursor.pos))
}

/// A dateline that ends `text` (`…李军华说。新华社杭州11月21日电`). It must start
/// at the beginning or after a non-alphanumeric character, so that a name
/// running into it is not taken for the agency. Returns it and its byte start.
fn trailing_dateline(text: &str) -> Option<(Dateline, usize)> {
    let mut previous: Option<char> = None;
    for (start, c) in text.char_indices() {
        if previous.is_none_or(|p| !p.is_alphanumeric()) {
            if let Some((dateline, end)) = parse_dateline(&text[start..]) {
                if text[start + end..].trim().is_empty() {
                    return Some((dateline, start));
                }
            }
        }
        previous = Some(c);
    }
    None
}

/// The year written most often as `20NN年` (or `20NN 年`): datelines give only
/// month and day.
fn common_year(text: &str) -> Option<u32> {
    let mut years = Vec::new();
    for (index, _) in text.match_indices('年') {
        let before = text[..index].trim_end().as_bytes();
        let Some(digits) = before.len().checked_sub(4).map(|at| &before[at..]) else {
            continue;
        };
        let preceded_by_digit = before.len() > 4 && before[before.len() - 5].is_ascii_digit();
        if digits.starts_with(b"20") && digits.iter().all(u8::is_ascii_digit) && !preceded_by_digit
        {
            years.push(
                digits
                    .iter()
                    .fold(0u32, |y, d| y * 10 + u32::from(d - b'0')),
            );
        }
    }
    most_common(years)
}

/// The most frequent value; ties go to the one seen first.
fn most_common<T: Eq + Hash + Clone>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut counts: HashMap<T, (usize, usize)> = HashMap::new();
    for (order, value) in values.into_iter().enumerate() {
        counts.entry(value).or_insert((0, order)).0 += 1;
    }
    counts
        .into_iter()
        .max_by(|(_, (ca, oa)), (_, (cb, ob))| ca.cmp(cb).then(ob.cmp(oa)))
        .map(|(value, _)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraphs(article: &Article) -> Vec<&str> {
        article.texts(BlockKind::Paragraph)
    }

    #[test]
    fn dateline_with_byline() {
        let (d, end) =
            parse_dateline("新华社杭州11月21日电（记者魏一骏、郑可意）11月21日，正文").unwrap();
        assert_eq!(d.source, "新华社");
        assert_eq!(d.place.as_deref(), Some("杭州"));
        assert_eq!((d.month, d.day), (11, 21));
        assert_eq!(d.authors, ["魏一骏", "郑可意"]);
        assert_eq!(
            &"新华社杭州11月21日电（记者魏一骏、郑可意）11月21日，正文"[end..],
            "11月21日，正文"
        );
        assert_eq!(d.date(Some(2024)).as_deref(), Some("2024-11-21"));
    }

    #[test]
    fn dateline_variants() {
        let (d, _) = parse_dateline("中新社北京2023年2月3日电 正文").unwrap();
        assert_eq!(
            (d.source.as_str(), d.place.as_deref(), d.year),
            ("中新社", Some("北京"), Some(2023))
        );
        let (d, _) = parse_dateline("本报11月1日电（记者 张三）").unwrap();
        assert_eq!(
            (d.source.as_str(), d.place, d.authors),
            ("本报", None, vec!["张三".to_string()])
        );
        let (d, end) = parse_dateline("新华社北京11月1日电（国际观察）正文").unwrap();
        assert!(d.authors.is_empty());
        assert_eq!(
            &"新华社北京11月1日电（国际观察）正文"[end..],
            "（国际观察）正文"
        );
        assert!(parse_dateline("国家电网电力公司11月1日").is_none());
        assert!(parse_dateline("新华社杭州13月1日电").is_none());
        assert!(parse_dateline("中国人民大学校长林尚立表示").is_none());
        assert!(parse_dateline("11月19日，涵盖").is_none());
    }

    #[test]
    fn trailing_datelines() {
        let text = "“合作。”联合国副秘书长说。新华社杭州11月21日电";
        let (d, start) = trailing_dateline(text).unwrap();
        assert_eq!(&text[..start], "“合作。”联合国副秘书长说。");
        assert_eq!(d.place.as_deref(), Some("杭州"));
        let text = "结束了。（新华社北京11月2日电）";
        assert_eq!(&text[..trailing_dateline(text).unwrap().1], "结束了。");
        // A name running into it is not an agency.
        assert!(trailing_dateline("他说新华社杭州11月21日电下午").is_none());
    }

    #[test]
    fn photo_credits() {
        assert!(has_photo_credit("11月20日，峰会在浙江乌镇开幕。新华社发"));
        assert!(has_photo_credit("峰会开幕。新华社记者黄宗治摄"));
        assert!(has_photo_credit("峰会开幕（新华社发）"));
        assert!(has_photo_credit("峰会开幕。（新华社记者某某摄）"));
        assert!(has_photo_credit("展台一角。受访者供图"));
        assert!(!has_photo_credit("他说，这张照片是他亲手拍摄"));
        assert!(!has_photo_credit("人们从乌镇出发"));
        assert!(!has_photo_credit("这是一段很长的文字，说的是某出版社发"));
    }

    #[test]
    fn finished_paragraphs() {
        for done in ["好。", "说：", "“好。”", "（完）", "why?"] {
            assert!(is_finished(done), "{done}");
        }
        for cut in [
            "已培育421家国家",
            "百花",
            "“裸眼3D通话",
            "目标，以",
            "共计 90",
            "《报告》",
        ] {
            assert!(!is_finished(cut), "{cut}");
        }
    }

    #[test]
    fn headlines_and_subtitles() {
        let text = "## 蓝皮书：\n\n## 深度融合\n\n## ——副题\n\n新华社杭州11月21日电 正文。\n";
        let a = &import_raw(text).unwrap()[0];
        assert_eq!(a.title, "蓝皮书：深度融合");
        assert_eq!(a.subtitle.as_deref(), Some("副题"));
        assert_eq!(paragraphs(a), ["正文。"]);
    }

    #[test]
    fn plain_headline_before_a_dateline() {
        let text = "## 第一篇\n\n正文。\n\n新华社杭州11月21日电\n\n短标题  \n第二行  \n\n新华社杭州11月21日电（记者某某）正文二。\n";
        let articles = import_raw(text).unwrap();
        assert_eq!(articles.len(), 2);
        assert_eq!(articles[1].title, "短标题第二行");
        assert_eq!(articles[1].authors, ["某某"]);
        assert_eq!(paragraphs(&articles[0]), ["正文。"]);
        // No year in the text: no date, ids fall back to `article-<n>`.
        assert_eq!(articles[0].id, "article-1");
        assert_eq!(articles[0].date, None);
    }

    #[test]
    fn joins_across_a_caption() {
        let text =
            "## 题\n\n2024年的正文，核心要\n\n\n\n开幕。新华社 发\n\n义。”他说。\n\n下一段。\n";
        let a = &import_raw(text).unwrap()[0];
        let kinds: Vec<(BlockKind, &str)> =
            a.blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (BlockKind::Paragraph, "2024年的正文，核心要义。”他说。"),
                (BlockKind::Caption, "开幕。新华社发"),
                (BlockKind::Paragraph, "下一段。"),
            ]
        );
    }

    #[test]
    fn undated_articles_take_the_common_dateline() {
        let text = "2024 年\n\n## 一\n\n新华社杭州 11 月 21 日电 正文。\n\n## 二\n\n正文二。\n";
        let articles = import_raw(text).unwrap_err();
        // The leading line has no headline before it.
        assert_eq!(
            articles,
            ImportError::TextBeforeHeadline {
                line: 1,
                excerpt: "2024年".into()
            }
        );
        let text = "## 一\n\n新华社杭州 11 月 21 日电 2024 年正文。\n\n## 二\n\n正文二。\n";
        let articles = import_raw(text).unwrap();
        assert_eq!(articles[1].id, "20241121-2");
        assert_eq!(articles[1].place.as_deref(), Some("杭州"));
        assert_eq!(articles[1].source, "新华社");
    }

    #[test]
    fn errors() {
        assert_eq!(import_raw(""), Err(ImportError::NoArticle));
        assert_eq!(import_raw("\n\n  \n"), Err(ImportError::NoArticle));
        assert!(matches!(
            import_raw("## 题\n\n新华社杭州11月21日电\n"),
            Err(ImportError::EmptyArticle { line: 1, .. })
        ));
        assert!(matches!(
            import_raw("正文。\n## 题\n正文。"),
            Err(ImportError::TextBeforeHeadline { line: 1, .. })
        ));
    }

    #[test]
    fn common_year_counts_written_years() {
        assert_eq!(
            common_year("2023年 2024 年 2024年 12024年 2024"),
            Some(2024)
        );
        assert_eq!(common_year("年年"), None);
        assert_eq!(common_year("é年"), None);
    }

    #[test]
    fn join_tidy_matches_tidy() {
        for (a, b) in [
            ("国家", "级"),
            ("hello", "world"),
            ("3D", "舱”"),
            ("90", "%"),
            ("“AI", "全息”"),
        ] {
            let mut joined = a.to_string();
            join_tidy(&mut joined, b);
            assert_eq!(joined, tidy(&format!("{a} {b}")));
        }
    }

    /// Pseudo-random text from pieces that exercise every rule: no input panics.
    #[test]
    fn random_input_does_not_panic() {
        const PIECES: &[&str] = &[
            "#",
            "## ",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\r",
            "\u{c}",
            "\u{FEFF}",
            "——",
            "--",
            "新华社",
            "杭州",
            "11",
            "２",
            "2024",
            " 年",
            "月",
            "日",
            "电",
            "（",
            "）",
            "(",
            ")",
            "记者",
            "、",
            "，",
            "。",
            "”",
            "“",
            "摄",
            "发",
            "社",
            "供图",
            "图片说明：",
            "+++",
            "id = \"",
            "\"",
            "é",
            "😀",
            "人工智能",
            "a",
            "\u{0}",
        ];
        let mut state: u64 = 0x2024_1121;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next() % 60 {
                text.push_str(PIECES[next() % PIECES.len()]);
            }
            if let Ok(articles) = import_raw(&text) {
                for article in articles {
                    let md = article.to_markdown();
                    let parsed = super::super::parse_markdown("fuzz.md", &md)
                        .expect("imported articles load");
                    assert_eq!(parsed, article, "{text:?}");
                }
            }
            let _ = super::super::parse_markdown("fuzz.md", &text);
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        let inputs = [
            "#",
            "##",
            "## ",
            "## ——",
            "###### x\n（",
            "（新华社",
            "新华社1",
            "新华社杭州 99999 月",
            "## a\n新华社杭州11月21日电（记者",
            "## a\n\u{0}\u{c}\r\n\r",
            "## a\n（新华社杭州11月21日电",
            "## a\n）",
            "## a\n图片说明：",
            "## a\n摄",
            "## a\n新华社杭州０１月０２日电（记者、）x",
        ];
        for input in inputs {
            let _ = import_raw(input);
        }
    }
}
