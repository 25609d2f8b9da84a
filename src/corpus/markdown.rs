//! The Markdown article format: TOML front matter between `+++` lines, then the
//! body as paragraphs separated by blank lines.
//!
//! ```text
//! +++
//! id = "20241121-1"
//! title = "世界互联网大会蓝皮书：我国人工智能与制造业深度融合"
//! subtitle = "乌镇峰会共话人工智能新发展"   # optional
//! source = "新华社"                       # optional ("" when absent)
//! place = "杭州"                          # optional
//! date = "2024-11-21"                     # optional, YYYY-MM-DD
//! authors = ["魏一骏", "郑可意"]           # optional
//! +++
//!
//! 第一段……
//!
//! 图片说明：11月20日，……新华社发
//! ```
//!
//! Every string goes through [`tidy`], so what is parsed is what is shown and
//! quoted. [`Article::to_markdown`] writes the same format back; for any parsed
//! article `parse(to_markdown(a)) == a`.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{Article, Block, BlockKind, CorpusError};
use crate::text::tidy;

/// The front matter fence.
const FENCE: &str = "+++";
/// A body paragraph starting with this is a photo caption.
pub const CAPTION_PREFIX: &str = "图片说明：";

/// The front matter as written. Every value is spanned so that a value that is
/// well-formed TOML but unusable (an empty title, a bad date) can still be
/// reported on its own line. Unknown keys are rejected: a typo such as `titel`
/// must not silently drop the title.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    subtitle: Option<Spanned<String>>,
    source: Option<Spanned<String>>,
    place: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    authors: Option<Spanned<Vec<String>>>,
}

/// A parsed article plus what the loader needs to report duplicates.
pub(crate) struct Parsed {
    pub article: Article,
    /// 1-based file line of the `id` key.
    pub id_line: usize,
}

/// Parses one Markdown article. `origin` (the file path) and the 1-based line
/// are part of every error.
pub fn parse_markdown(origin: &str, text: &str) -> Result<Article, CorpusError> {
    parse(origin, text).map(|parsed| parsed.article)
}

/// [`parse_markdown`], also returning the line of the `id`.
pub(crate) fn parse(origin: &str, text: &str) -> Result<Parsed, CorpusError> {
    let error = |line: usize, message: String| CorpusError::Invalid {
        path: PathBuf::from(origin),
        line,
        message,
    };
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    // Strip one `\r` per line so CRLF files parse like LF files.
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();

    if lines.first().map(|l| l.trim_end()) != Some(FENCE) {
        return Err(error(
            1,
            format!("expected `{FENCE}` on the first line to open the front matter"),
        ));
    }
    let Some(close) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == FENCE)
        .map(|i| i + 1)
    else {
        return Err(error(
            1,
            format!("the front matter opened here is never closed by a `{FENCE}` line"),
        ));
    };

    let front = lines[1..close].join("\n");
    // File line of a byte offset into `front` (which starts on line 2).
    let line_of = |span: Range<usize>| {
        let end = span.start.min(front.len());
        2 + front.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    let matter: FrontMatter = toml::from_str(&front).map_err(|e| {
        let line = e.span().map_or(1, &line_of);
        let text = lines.get(line - 1).copied().unwrap_or("");
        error(line, format!("front matter: {}", toml_reason(&e, text)))
    })?;

    let required =
        |field: Option<Spanned<String>>, name: &str| -> Result<(String, usize), CorpusError> {
            let Some(field) = field else {
                return Err(error(1, format!("the front matter has no `{name}`")));
            };
            let line = line_of(field.span());
            let value = tidy(field.get_ref());
            if value.is_empty() {
                return Err(error(line, format!("`{name}` is empty")));
            }
            Ok((value, line))
        };
    let (id, id_line) = required(matter.id, "id")?;
    if let Some(bad) = id.chars().find(|&c| !is_id_char(c)) {
        return Err(error(
            id_line,
            format!("`id` {id:?} contains {bad:?}; ids cannot hold whitespace, `#`, `/` or `\\`"),
        ));
    }
    let (title, _) = required(matter.title, "title")?;
    let optional =
        |field: Option<Spanned<String>>| field.map(|f| tidy(f.get_ref())).filter(|v| !v.is_empty());
    let date = match matter.date {
        Some(date) if !date.get_ref().trim().is_empty() => {
            let value = date.get_ref().trim();
            if !is_valid_date(value) {
                return Err(error(
                    line_of(date.span()),
                    format!("`date` {value:?} is not a valid date written YYYY-MM-DD"),
                ));
            }
            Some(value.to_string())
        }
        _ => None,
    };
    let mut authors = Vec::new();
    if let Some(list) = matter.authors {
        let line = line_of(list.span());
        for name in list.into_inner() {
            let name = tidy(&name);
            if name.is_empty() {
                return Err(error(line, "`authors` holds an empty name".into()));
            }
            authors.push(name);
        }
    }

    let blocks = parse_body(&lines, close + 1).map_err(|(line, message)| error(line, message))?;
    if blocks.is_empty() {
        // Reported on the closing fence: the body should start after it.
        return Err(error(
            close + 1,
            "the article has no body paragraphs after the front matter".into(),
        ));
    }

    let article = Article {
        id,
        title,
        subtitle: optional(matter.subtitle),
        source: optional(matter.source).unwrap_or_default(),
        place: optional(matter.place),
        date,
        authors,
        blocks,
    };
    Ok(Parsed { article, id_line })
}

/// Ids appear in citations (`<id>#3`) and as file names (`<id>.md`).
fn is_id_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || matches!(c, '#' | '/' | '\\'))
}

/// The body from line index `start`: blank-line separated paragraphs, the lines
/// of one paragraph joined by [`tidy`]. Errors are `(file line, message)`.
fn parse_body(lines: &[&str], start: usize) -> Result<Vec<Block>, (usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut first_line = 0;
    for (index, line) in lines.iter().enumerate().skip(start) {
        if line.trim().is_empty() {
            flush_paragraph(&mut current, first_line, &mut blocks)?;
        } else {
            if current.is_empty() {
                first_line = index + 1;
            }
            current.push(line);
        }
    }
    flush_paragraph(&mut current, first_line, &mut blocks)?;
    Ok(blocks)
}

/// Turns the collected lines of one paragraph into a block (none if it tidies
/// to nothing, e.g. only control characters).
fn flush_paragraph(
    current: &mut Vec<&str>,
    line: usize,
    blocks: &mut Vec<Block>,
) -> Result<(), (usize, String)> {
    if current.is_empty() {
        return Ok(());
    }
    let text = tidy(&current.join("\n"));
    current.clear();
    let block = match text.strip_prefix(CAPTION_PREFIX) {
        Some(caption) => {
            let caption = tidy(caption);
            if caption.is_empty() {
                return Err((line, format!("`{CAPTION_PREFIX}` without a caption")));
            }
            Block {
                kind: BlockKind::Caption,
                text: caption,
            }
        }
        None if text.is_empty() => return Ok(()),
        None => Block {
            kind: BlockKind::Paragraph,
            text,
        },
    };
    blocks.push(block);
    Ok(())
}

/// True for a real calendar date written `YYYY-MM-DD`.
pub(crate) fn is_valid_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month), Some(day)) => (1..=days_in_month(year, month)).contains(&day),
        _ => false,
    }
}

/// Days in `month` of `year` (0 for a month that does not exist).
pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// `s` as a TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Article {
    /// The article in the Markdown format read by [`parse_markdown`]. Empty
    /// optional values are left out. Blocks are expected to be tidy one-line
    /// text (as parsed or imported); a paragraph that itself starts with
    /// `图片说明：` would read back as a caption.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(FENCE);
        out.push('\n');
        let mut field = |key: &str, value: &str| {
            if !value.is_empty() {
                let _ = writeln!(out, "{key} = {}", toml_string(value));
            }
        };
        field("id", &self.id);
        field("title", &self.title);
        field("subtitle", self.subtitle.as_deref().unwrap_or(""));
        field("source", &self.source);
        field("place", self.place.as_deref().unwrap_or(""));
        field("date", self.date.as_deref().unwrap_or(""));
        if !self.authors.is_empty() {
            let names: Vec<String> = self.authors.iter().map(|a| toml_string(a)).collect();
            let _ = writeln!(out, "authors = [{}]", names.join(", "));
        }
        out.push_str(FENCE);
        out.push('\n');
        for block in &self.blocks {
            out.push('\n');
            if block.kind == BlockKind::Caption {
                out.push_str(CAPTION_PREFIX);
            }
            out.push_str(&block.text);
            out.push('\n');
        }
        out
    }
}

/// The TOML parser's reason, never empty: for some errors (`title = ` with no
/// value) it gives none, and the operator gets the offending line instead.
fn toml_reason(e: &toml::de::Error, line: &str) -> String {
    let reason = e.message().trim();
    if reason.is_empty() {
        format!("`{}`: the value is missing or malformed", line.trim())
    } else {
        reason.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nid = \"20241121-1\"\ntitle = \"标题\"\nsubtitle = \"副题\"\nsource = \"新华社\"\nplace = \"杭州\"\ndate = \"2024-11-21\"\nauthors = [\"魏一骏\", \"郑可意\"]\n+++\n\n第一段\n第一段续 421 家。\n\n图片说明：11月20日，开幕。新华社发\n\n第二段。\n";

    /// The `file:line: message` of a parse error.
    fn err(text: &str) -> String {
        parse_markdown("dir/a.md", text).unwrap_err().to_string()
    }

    fn at_line(text: &str, line: usize) -> String {
        let e = err(text);
        assert!(
            e.starts_with(&format!("dir/a.md:{line}: ")),
            "wanted line {line}: {e}"
        );
        e
    }

    #[test]
    fn parses_front_matter_and_body() {
        let a = parse_markdown("a.md", GOOD).unwrap();
        assert_eq!(a.id, "20241121-1");
        assert_eq!(a.title, "标题");
        assert_eq!(a.subtitle.as_deref(), Some("副题"));
        assert_eq!(a.source, "新华社");
        assert_eq!(a.place.as_deref(), Some("杭州"));
        assert_eq!(a.date.as_deref(), Some("2024-11-21"));
        assert_eq!(a.authors, ["魏一骏", "郑可意"]);
        assert_eq!(
            a.blocks,
            [
                Block {
                    kind: BlockKind::Paragraph,
                    text: "第一段第一段续421家。".into()
                },
                Block {
                    kind: BlockKind::Caption,
                    text: "11月20日，开幕。新华社发".into()
                },
                Block {
                    kind: BlockKind::Paragraph,
                    text: "第二段。".into()
                },
            ]
        );
    }

    #[test]
    fn latin_lines_join_with_a_space() {
        let a = parse_markdown(
            "a.md",
            "+++\nid = \"x\"\ntitle = \"t\"\n+++\nhello\nworld\n",
        )
        .unwrap();
        assert_eq!(a.blocks[0].text, "hello world");
        assert_eq!(a.source, "");
        assert_eq!(a.subtitle, None);
    }

    #[test]
    fn tolerates_bom_and_crlf() {
        let crlf = format!("\u{FEFF}{}", GOOD.replace('\n', "\r\n"));
        assert_eq!(
            parse_markdown("a.md", &crlf).unwrap(),
            parse_markdown("a.md", GOOD).unwrap()
        );
    }

    #[test]
    fn round_trips() {
        let a = parse_markdown("a.md", GOOD).unwrap();
        let md = a.to_markdown();
        assert_eq!(parse_markdown("b.md", &md).unwrap(), a);
        assert_eq!(parse_markdown("b.md", &md).unwrap().to_markdown(), md);
    }

    #[test]
    fn round_trips_awkward_strings() {
        let a = Article {
            id: "a-1".into(),
            title: "引号\"反斜杠\\ 'x' #+++ \u{1F600}".into(),
            subtitle: None,
            source: String::new(),
            place: Some("'''".into()),
            date: None,
            authors: vec!["A \"B\"".into()],
            blocks: vec![Block {
                kind: BlockKind::Paragraph,
                text: "+++".into(),
            }],
        };
        assert_eq!(parse_markdown("a.md", &a.to_markdown()).unwrap(), a);
    }

    #[test]
    fn missing_opening_fence_is_line_1() {
        at_line("id = \"x\"\n+++\n\n正文。\n", 1);
        at_line("", 1);
    }

    #[test]
    fn unterminated_front_matter_is_line_1() {
        let e = at_line("+++\nid = \"x\"\ntitle = \"t\"\n\n正文。\n", 1);
        assert!(e.contains("never closed"), "{e}");
    }

    #[test]
    fn toml_syntax_error_names_its_line() {
        // The unterminated string is on line 3.
        at_line(
            "+++\nid = \"a\"\ntitle = \"标题\nsource = \"新华社\"\n+++\n\n正文。\n",
            3,
        );
        at_line(
            "\u{FEFF}+++\r\nid = \"a\"\r\ntitle = \"t\"\r\n= 3\r\n+++\r\n\r\n正文。\r\n",
            4,
        );
    }

    #[test]
    fn missing_or_empty_id_and_title() {
        let e = at_line("+++\ntitle = \"t\"\n+++\n\n正文。\n", 1);
        assert!(e.contains("`id`"), "{e}");
        let e = at_line("+++\nid = \"x\"\n+++\n\n正文。\n", 1);
        assert!(e.contains("`title`"), "{e}");
        at_line("+++\nid = \"  \"\ntitle = \"t\"\n+++\n\n正文。\n", 2);
        at_line("+++\nid = \"x\"\n\ntitle = \"\"\n+++\n\n正文。\n", 4);
    }

    #[test]
    fn bad_ids_are_rejected() {
        at_line("+++\nid = \"a b\"\ntitle = \"t\"\n+++\n\n正文。\n", 2);
        at_line("+++\ntitle = \"t\"\nid = \"a#1\"\n+++\n\n正文。\n", 3);
        at_line("+++\nid = \"../x\"\ntitle = \"t\"\n+++\n\n正文。\n", 2);
    }

    #[test]
    fn bad_dates_are_rejected() {
        for date in [
            "2024-13-01",
            "2024-02-30",
            "2023-02-29",
            "24-11-21",
            "2024/11/21",
            "２024-11-21",
        ] {
            let e = at_line(
                &format!("+++\nid = \"x\"\ntitle = \"t\"\ndate = \"{date}\"\n+++\n\n正文。\n"),
                4,
            );
            assert!(e.contains("date"), "{e}");
        }
        assert!(parse_markdown(
            "a.md",
            "+++\nid = \"x\"\ntitle = \"t\"\ndate = \"2024-02-29\"\n+++\n\n正文。\n"
        )
        .is_ok());
        // Not a string at all: TOML's own type error, still on the right line.
        at_line(
            "+++\nid = \"x\"\ntitle = \"t\"\ndate = 2024-11-21\n+++\n\n正文。\n",
            4,
        );
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let e = at_line(
            "+++\nid = \"x\"\ntitle = \"t\"\nautors = [\"a\"]\n+++\n\n正文。\n",
            4,
        );
        assert!(e.contains("autors"), "{e}");
    }

    #[test]
    fn empty_body_is_rejected() {
        let e = at_line("+++\nid = \"x\"\ntitle = \"t\"\n+++\n\n  \n", 4);
        assert!(e.contains("no body"), "{e}");
        at_line("+++\nid = \"x\"\ntitle = \"t\"\n+++", 4);
    }

    #[test]
    fn empty_caption_and_empty_author_are_rejected() {
        at_line(
            "+++\nid = \"x\"\ntitle = \"t\"\n+++\n\n正文。\n\n图片说明： \n",
            8,
        );
        at_line(
            "+++\nid = \"x\"\ntitle = \"t\"\nauthors = [\"a\", \" \"]\n+++\n\n正文。\n",
            4,
        );
    }

    #[test]
    fn arbitrary_text_does_not_panic() {
        for text in [
            "+++",
            "+++\n+++",
            "+++\n+++\n",
            "\u{FEFF}",
            "+++\r\n+++\r\nx",
            "+++\n\u{0}\n+++\n\n.",
            "+++\n[[x]]\n+++\nx",
        ] {
            let _ = parse_markdown("a.md", text);
        }
    }

    #[test]
    fn dates() {
        assert!(is_valid_date("2024-11-21"));
        assert!(is_valid_date("2000-02-29"));
        assert!(!is_valid_date("1900-02-29"));
        assert!(!is_valid_date("2024-11-00"));
        assert!(!is_valid_date("2024-1-021"));
        assert!(!is_valid_date("2024-11-2é"));
    }
}
