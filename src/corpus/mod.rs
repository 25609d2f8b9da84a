//! The articles the bot quotes: the model, the Markdown/JSONL loaders and the
//! importer that turns extracted newspaper text into Markdown articles.

pub mod import;
mod markdown;
pub mod synonyms;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use import::{import_raw, write_corpus, ImportError};
pub use markdown::parse_markdown;

/// One news article (or one JSONL record, which becomes a one-paragraph article).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Stable id: the front matter `id` of a Markdown file, the record `id` of JSONL.
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// Publisher, e.g. 新华社; empty for JSONL records.
    pub source: String,
    pub place: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub authors: Vec<String>,
    pub blocks: Vec<Block>,
}

impl Article {
    /// The texts of the article's blocks of one kind, in order.
    pub fn texts(&self, kind: BlockKind) -> Vec<&str> {
        self.blocks
            .iter()
            .filter(|b| b.kind == kind)
            .map(|b| b.text.as_str())
            .collect()
    }
}

/// A unit of text we can quote: a body paragraph or a photo caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    Caption,
}

/// All articles of a corpus, in a stable order (file name order for a directory).
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub articles: Vec<Article>,
    /// True when loaded from JSONL: ids are record ids, not `<article>#<paragraph>`.
    pub records: bool,
    /// The aliases in `synonyms.txt` beside the articles (empty if none).
    pub synonyms: synonyms::Synonyms,
}

/// A corpus that cannot be loaded; always names the file (and line where one applies).
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: the corpus is empty (no .md articles or JSONL records)")]
    Empty { path: PathBuf },
    /// A path that is neither a directory, a `.md` file nor a `.jsonl` file.
    #[error(
        "{path}: not a corpus (expected a directory of .md articles, a .md file or a .jsonl file)"
    )]
    Unsupported { path: PathBuf },
}

impl Corpus {
    /// Loads a directory of Markdown articles (`*.md` directly in it, sorted by
    /// name; `README.md` and dotfiles skipped), a single `.md` article, or a
    /// JSONL file of `{"id","title","text"}` records.
    pub fn load(path: &Path) -> Result<Corpus, CorpusError> {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        let corpus = if meta.is_dir() {
            load_dir(path)?
        } else if has_extension(path, "jsonl") {
            load_jsonl(path)?
        } else if has_extension(path, "md") {
            let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
            let text = decode_utf8(path, &bytes)?;
            Corpus {
                articles: vec![parse_markdown(&path.to_string_lossy(), text)?],
                records: false,
                synonyms: synonyms::Synonyms::default(),
            }
        } else {
            return Err(CorpusError::Unsupported {
                path: path.to_path_buf(),
            });
        };
        if corpus.articles.is_empty() {
            return Err(CorpusError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(corpus)
    }
}

/// The files [`Corpus::load`] reads for `path`, in the order it reads them
/// (what an on-disk index's fingerprint covers).
pub fn source_files(path: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
        let file = entry.map_err(|e| io_error(path, e))?.path();
        if is_article_file(&file) {
            files.push(file);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

fn io_error(path: &Path, source: std::io::Error) -> CorpusError {
    CorpusError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, line: usize, message: impl Into<String>) -> CorpusError {
    CorpusError::Invalid {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

/// Whether a directory entry is an article: a visible `*.md` file. A README.md
/// is documentation of the directory, not an article, so it is skipped too.
fn is_article_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    has_extension(path, "md")
        && !name.starts_with('.')
        && !name.eq_ignore_ascii_case("readme.md")
        && path.is_file()
}

/// Checks that `bytes` are UTF-8; the error names the line of the first bad byte
/// (a corpus file with a broken encoding should be fixed, not half-read).
fn decode_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, CorpusError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
        invalid(
            path,
            line,
            format!("invalid UTF-8 (byte offset {})", e.valid_up_to()),
        )
    })
}

/// Every `*.md` article directly in `dir`, in file-name order; ids must be unique.
fn load_dir(dir: &Path) -> Result<Corpus, CorpusError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if is_article_file(&path) {
            files.push(path);
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));

    let mut articles = Vec::with_capacity(files.len());
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        let text = decode_utf8(&path, &bytes)?;
        let parsed = markdown::parse(&path.to_string_lossy(), text)?;
        if let Some(first) = seen.get(&parsed.article.id) {
            return Err(invalid(
                &path,
                parsed.id_line,
                format!(
                    "duplicate id `{}`, already used by {}",
                    parsed.article.id,
                    first.display()
                ),
            ));
        }
        seen.insert(parsed.article.id.clone(), path);
        articles.push(parsed.article);
    }
    Ok(Corpus {
        articles,
        records: false,
        synonyms: synonyms::Synonyms::load_beside(dir)?,
    })
}

/// One JSONL record; other keys are ignored.
#[derive(serde::Deserialize)]
struct Record {
    id: String,
    title: String,
    text: String,
}

/// A JSONL file: one `{"id","title","text"}` object per line, blank lines skipped.
/// Each record becomes an article with one paragraph.
fn load_jsonl(path: &Path) -> Result<Corpus, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let text = decode_utf8(path, &bytes)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut articles = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(line).map_err(|e| {
            // serde_json appends " at line 1 column N"; the line is ours, keep the column.
            let mut message = e.to_string();
            if let Some(at) = message.rfind(" at line ") {
                message.truncate(at);
            }
            invalid(
                path,
                number,
                format!("bad JSON record (column {}): {message}", e.column()),
            )
        })?;
        let article = record_article(record).map_err(|m| invalid(path, number, m))?;
        if let Some(first) = seen.insert(article.id.clone(), number) {
            return Err(invalid(
                path,
                number,
                format!(
                    "duplicate id `{}`, already used on line {first}",
                    article.id
                ),
            ));
        }
        articles.push(article);
    }
    Ok(Corpus {
        articles,
        records: true,
        synonyms: synonyms::Synonyms::default(),
    })
}

/// A record as a one-paragraph article; `Err` says which field is unusable.
fn record_article(record: Record) -> Result<Article, String> {
    let id = record.id.trim().to_string();
    if id.is_empty() {
        return Err("empty `id`".into());
    }
    let text = crate::text::tidy(&record.text);
    if text.is_empty() {
        return Err(format!("record `{id}` has an empty `text`"));
    }
    Ok(Article {
        id,
        title: crate::text::tidy(&record.title),
        subtitle: None,
        source: String::new(),
        place: None,
        date: None,
        authors: Vec::new(),
        blocks: vec![Block {
            kind: BlockKind::Paragraph,
            text,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty temporary directory for one test.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("summit-corpus-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn article(id: &str, body: &str) -> String {
        format!("+++\nid = \"{id}\"\ntitle = \"标题{id}\"\nsource = \"新华社\"\n+++\n\n{body}\n")
    }

    fn load_err(path: &Path) -> String {
        Corpus::load(path).unwrap_err().to_string()
    }

    #[test]
    fn directory_loads_md_files_in_name_order_and_skips_the_rest() {
        let dir = temp_dir("order");
        std::fs::write(dir.join("b.md"), article("b", "第二。")).unwrap();
        std::fs::write(dir.join("a.md"), article("a", "第一。")).unwrap();
        std::fs::write(dir.join("README.md"), "# not an article\n").unwrap();
        std::fs::write(dir.join(".draft.md"), "junk").unwrap();
        std::fs::write(dir.join("notes.txt"), "junk").unwrap();
        std::fs::create_dir(dir.join("sub.md")).unwrap();
        let corpus = Corpus::load(&dir).unwrap();
        let ids: Vec<&str> = corpus.articles.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(!corpus.records);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn duplicate_ids_name_both_files() {
        let dir = temp_dir("dup");
        std::fs::write(dir.join("one.md"), article("x", "一。")).unwrap();
        std::fs::write(dir.join("two.md"), article("x", "二。")).unwrap();
        let e = load_err(&dir);
        assert!(
            e.contains("two.md:2:") && e.contains("one.md") && e.contains("`x`"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_directory_is_empty() {
        let dir = temp_dir("empty");
        std::fs::write(dir.join("README"), "x").unwrap();
        assert!(matches!(Corpus::load(&dir), Err(CorpusError::Empty { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_path_is_an_io_error_naming_it() {
        let path = Path::new("/nonexistent/summit-corpus");
        let e = Corpus::load(path).unwrap_err();
        assert!(matches!(e, CorpusError::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/summit-corpus"), "{e}");
    }

    #[test]
    fn bad_markdown_in_a_directory_names_file_and_line() {
        let dir = temp_dir("bad");
        std::fs::write(
            dir.join("a.md"),
            "+++\nid = \"a\"\ntitle = \"标题\nsource = \"新华社\"\n+++\n\n正文。\n",
        )
        .unwrap();
        let e = load_err(&dir);
        assert!(e.contains("a.md:3:"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_utf8_names_the_line_of_the_first_bad_byte() {
        let dir = temp_dir("utf8");
        let mut bytes = article("a", "第一段。\n\n第二段").into_bytes();
        bytes.extend_from_slice(b"\xff\xfe\n");
        std::fs::write(dir.join("a.md"), &bytes).unwrap();
        let e = load_err(&dir);
        assert!(e.contains("a.md:10:") && e.contains("UTF-8"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_single_md_file_is_a_corpus() {
        let dir = temp_dir("single");
        let file = dir.join("only.md");
        std::fs::write(&file, article("only", "正文。")).unwrap();
        assert_eq!(Corpus::load(&file).unwrap().articles[0].id, "only");
        let other = dir.join("x.txt");
        std::fs::write(&other, "x").unwrap();
        assert!(matches!(
            Corpus::load(&other),
            Err(CorpusError::Unsupported { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn jsonl_records_become_one_paragraph_articles() {
        let dir = temp_dir("jsonl");
        let file = dir.join("c.jsonl");
        let text = "\u{FEFF}{\"id\":\"r1\",\"title\":\"梵文\",\"text\":\"在歐洲， 梵語 的 研究 2024 年。\",\"extra\":1}\r\n\n  \n{\"id\":\"r2\",\"title\":\"t\",\"text\":\"b\"}";
        std::fs::write(&file, text).unwrap();
        let corpus = Corpus::load(&file).unwrap();
        assert!(corpus.records);
        assert_eq!(corpus.articles.len(), 2);
        let first = &corpus.articles[0];
        assert_eq!(
            (
                first.id.as_str(),
                first.title.as_str(),
                first.source.as_str()
            ),
            ("r1", "梵文", "")
        );
        assert_eq!(
            first.blocks,
            [Block {
                kind: BlockKind::Paragraph,
                text: "在歐洲，梵語的研究2024年。".into()
            }]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn jsonl_errors_name_file_and_line() {
        let dir = temp_dir("jsonl-bad");
        let file = dir.join("c.jsonl");
        let good = "{\"id\":\"r1\",\"title\":\"t\",\"text\":\"x\"}";
        for (text, line, needle) in [
            (
                format!("{good}\n\n{{\"id\":\"r2\",\"title\":\"t\"}}\n"),
                3,
                "missing field `text`",
            ),
            (format!("{good}\n{{\"id\": \"r2\", oops}}\n"), 2, "bad JSON"),
            (
                format!("{good}\n{good}\n"),
                2,
                "duplicate id `r1`, already used on line 1",
            ),
            (
                format!("{good}\n{{\"id\":\" \",\"title\":\"t\",\"text\":\"x\"}}\n"),
                2,
                "empty `id`",
            ),
            (
                "{\"id\":\"r\",\"title\":\"t\",\"text\":\" \"}\n".to_string(),
                1,
                "empty `text`",
            ),
            ("[1]\n".to_string(), 1, "bad JSON"),
        ] {
            std::fs::write(&file, &text).unwrap();
            let e = load_err(&file);
            assert!(
                e.contains(&format!("c.jsonl:{line}: ")) && e.contains(needle),
                "{e}"
            );
        }
        std::fs::write(&file, "\n\n").unwrap();
        assert!(matches!(
            Corpus::load(&file),
            Err(CorpusError::Empty { .. })
        ));
        std::fs::write(
            &file,
            b"{\"id\":\"a\",\"title\":\"t\",\"text\":\"x\"}\n\xe4\xb8\n",
        )
        .unwrap();
        assert!(load_err(&file).contains("c.jsonl:2: invalid UTF-8"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
