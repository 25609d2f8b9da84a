//! `summit-bot check`: everything `serve` would load, validated without starting
//! the bot or touching the network — one line per item, for operators,
//! systemd's `ExecStartPre` and CI of a corpus repository.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, Credentials};
use crate::corpus::{BlockKind, Corpus};
use crate::semantic::model;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok(String),
    /// Something the operator must fix before `serve` can run as configured.
    Problem(String),
    /// `serve` runs, but degraded (e.g. lexical only without the model).
    Warning(String),
    /// Not applicable in this deployment (e.g. the semantic retriever is off).
    Skipped(String),
}

/// One line of the report: what was checked and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub name: &'static str,
    pub outcome: Outcome,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tag, text) = match &self.outcome {
            Outcome::Ok(text) => ("ok  ", text),
            Outcome::Problem(text) => ("FAIL", text),
            Outcome::Warning(text) => ("warn", text),
            Outcome::Skipped(text) => ("skip", text),
        };
        write!(f, "{tag} {}: {text}", self.name)
    }
}

/// True when no item is a problem.
pub fn all_ok(items: &[Item]) -> bool {
    !items
        .iter()
        .any(|i| matches!(i.outcome, Outcome::Problem(_)))
}

/// Runs every check. A Problem is what would stop `serve` (exit code 2); a
/// Warning is what `serve` survives. `config` is the result of loading the settings; when they
/// cannot be loaded the other checks cannot run and the report says so.
pub fn check(
    config: Result<Config, ConfigError>,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<Item> {
    let config = match config {
        Ok(config) => config,
        Err(e) => return vec![item("settings", Outcome::Problem(e.to_string()))],
    };
    vec![
        item("settings", Outcome::Ok("loaded and valid".into())),
        item("token", token(&env)),
        item("corpus", corpus(&config.corpus)),
        item("synonyms", synonyms(&config)),
        item("index", index(&config)),
        item("semantic model", semantic_model(&config)),
        item("data directories", data_directories(&config)),
    ]
}

fn item(name: &'static str, outcome: Outcome) -> Item {
    Item { name, outcome }
}

/// The token's format and the Bot API URL's syntax (never the token itself).
fn token(env: &impl Fn(&str) -> Option<String>) -> Outcome {
    match Credentials::from_env(env) {
        Ok(c) => Outcome::Ok(match c.api_url {
            Some(url) => format!("TELOXIDE_TOKEN well-formed; Bot API at {url}"),
            None => "TELOXIDE_TOKEN well-formed".into(),
        }),
        Err(e) => Outcome::Problem(e.to_string()),
    }
}

fn corpus(path: &Path) -> Outcome {
    match Corpus::load(path) {
        Ok(corpus) => {
            let paragraphs: usize = corpus
                .articles
                .iter()
                .map(|a| a.texts(BlockKind::Paragraph).len())
                .sum();
            Outcome::Ok(format!(
                "{}: {} articles, {paragraphs} paragraphs",
                path.display(),
                corpus.articles.len()
            ))
        }
        Err(e) => Outcome::Problem(e.to_string()),
    }
}

/// The synonyms file beside the articles, loaded exactly as the engine loads it.
fn synonyms(config: &Config) -> Outcome {
    use crate::corpus::synonyms::{path_beside, Synonyms};
    let Some(path) = path_beside(&config.corpus) else {
        return Outcome::Skipped("no synonyms.txt beside the articles".into());
    };
    match Synonyms::load(&path) {
        Ok(s) => Outcome::Ok(format!("{}: {} rules", path.display(), s.rules().len())),
        Err(err) => Outcome::Problem(err.to_string()),
    }
}

fn index(config: &Config) -> Outcome {
    match config.index.on_disk() {
        None => Outcome::Ok("in RAM (built at start)".into()),
        Some(root) => match writable_dir(root) {
            Ok(()) => Outcome::Ok(format!("{} is writable", root.display())),
            Err(why) => Outcome::Problem(format!("[index] path {}: {why}", root.display())),
        },
    }
}

/// The model's presence and full checksum (no stamp), when the retriever is on.
/// Only a warning: `serve` fetches a missing or damaged model on first use and
/// answers lexically when it cannot.
fn semantic_model(config: &Config) -> Outcome {
    let settings = &config.semantic;
    if !settings.enabled {
        return Outcome::Skipped("[semantic] enabled = false".into());
    }
    match model::verify_full(&settings.model_path) {
        Ok(()) => Outcome::Ok(format!(
            "{} (sha256 matches the pin)",
            settings.model_path.display()
        )),
        Err(e) => Outcome::Warning(format!("{e} (until then answers are lexical only)")),
    }
}

/// Every directory `serve` writes to must be writable (or creatable).
fn data_directories(config: &Config) -> Outcome {
    let mut dirs: Vec<(&str, PathBuf)> = vec![
        ("[telegram] state_file", parent(&config.telegram.state_file)),
        ("[feedback] db_path", parent(&config.feedback.db_path)),
    ];
    if config.semantic.enabled {
        dirs.push((
            "[semantic] vectors_dir",
            config.semantic.vectors_dir.clone(),
        ));
    }
    let mut problems = Vec::new();
    for (setting, dir) in &dirs {
        if let Err(why) = writable_dir(dir) {
            problems.push(format!("{setting} {}: {why}", dir.display()));
        }
    }
    if problems.is_empty() {
        let mut names: Vec<String> = dirs.iter().map(|(_, d)| d.display().to_string()).collect();
        names.dedup();
        Outcome::Ok(format!("{} writable", names.join(", ")))
    } else {
        Outcome::Problem(problems.join("; "))
    }
}

fn parent(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether files can be created in `dir`, or in the nearest existing ancestor
/// (where `serve` would create it) — checked by creating and removing a file,
/// without creating `dir` itself.
pub fn writable_dir(dir: &Path) -> Result<(), String> {
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".summit-bot-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!("cannot write in {}: {e}", existing.display())),
    }
}
