//! Corpus hot reload: a new engine is built in the background and swapped in
//! atomically; questions keep being answered by the old one meanwhile, and a
//! corpus that does not load leaves the old one in place.
//!
//! Triggers: SIGHUP, the admin `/reload` command, and changes under the corpus
//! path (inotify through the `notify` crate, debounced so that an editor's or
//! rsync's burst of writes makes one reload).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::corpus::CorpusError;
use crate::index::{IndexError, IndexSettings};
use crate::ops::Ops;
use crate::search::{Engine, SearchSettings};
use crate::semantic::SemanticSettings;
use crate::shutdown::Stop;
use crate::startup::{build_engine, SemanticSource};

/// Quiet time after the last file change before the corpus is reloaded.
const DEBOUNCE: Duration = Duration::from_secs(1);

/// Why a reload kept the old corpus. Corpus errors name the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("{0}")]
    Corpus(#[from] CorpusError),
    #[error("{0}")]
    Index(#[from] IndexError),
    #[error("the reload task failed: {0}")]
    Task(String),
}

/// The size of the corpus now in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloaded {
    pub articles: usize,
    pub paragraphs: usize,
}

/// Rebuilds the engine from the corpus path on request.
pub struct Reloader {
    engine: Arc<ArcSwap<Engine>>,
    corpus: PathBuf,
    settings: SearchSettings,
    /// On-disk index directory, when the index is kept there (issue 6).
    index: IndexSettings,
    /// Paragraph vectors for the rebuilt engine (semantic retrieval).
    semantic: Arc<SemanticSource>,
    ops: Arc<Ops>,
    /// One rebuild at a time: triggers that arrive during one wait for it and
    /// then rebuild again, so the last change is always picked up.
    busy: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(
        engine: Arc<ArcSwap<Engine>>,
        corpus: PathBuf,
        settings: SearchSettings,
        ops: Arc<Ops>,
    ) -> Reloader {
        Reloader {
            engine,
            corpus,
            settings,
            index: IndexSettings::default(),
            semantic: Arc::new(SemanticSource::new(SemanticSettings {
                enabled: false,
                ..SemanticSettings::default()
            })),
            ops,
            busy: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads into the on-disk index of `index` (a changed corpus is built
    /// into a new directory there; see [`crate::index::disk`]).
    pub fn with_index(mut self, index: IndexSettings) -> Reloader {
        self.index = index;
        self
    }

    /// Rebuilt engines get the semantic retriever these settings describe.
    pub fn with_semantic(mut self, settings: SemanticSettings) -> Reloader {
        self.semantic = Arc::new(SemanticSource::new(settings));
        self
    }

    /// Loads the corpus and builds its index off the async runtime, then swaps
    /// the engine. `reason` says what asked for it (for the log).
    pub async fn reload(&self, reason: &str) -> Result<Reloaded, ReloadError> {
        let _one_at_a_time = self.busy.lock().await;
        tracing::info!(reason, corpus = %self.corpus.display(), "reloading the corpus");
        let corpus = self.corpus.clone();
        let settings = self.settings.clone();
        let index = self.index.clone();
        let semantic = self.semantic.clone();
        let built = tokio::task::spawn_blocking(move || -> Result<Engine, ReloadError> {
            Ok(build_engine(&corpus, &index, settings, &semantic)?)
        })
        .await
        .map_err(|e| ReloadError::Task(e.to_string()))
        .and_then(|built| built);
        match built {
            Ok(engine) => {
                let size = Reloaded {
                    articles: engine.index().articles.len(),
                    paragraphs: engine.index().passages.len(),
                };
                self.ops.metrics.corpus(&engine);
                self.engine.store(Arc::new(engine));
                self.ops.metrics.reload(true);
                tracing::info!(
                    reason,
                    articles = size.articles,
                    paragraphs = size.paragraphs,
                    "corpus reloaded"
                );
                Ok(size)
            }
            Err(err) => {
                self.ops.metrics.reload(false);
                tracing::error!(reason, error = %err, "corpus reload failed; keeping the previous corpus");
                Err(err)
            }
        }
    }
}

/// Starts the automatic triggers (SIGHUP and the corpus watcher); they end when
/// `stop` turns true.
pub fn spawn_triggers(reloader: Arc<Reloader>, stop: Stop) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    // The handler is installed here, synchronously: until it is, SIGHUP's
    // default action would end the process.
    #[cfg(unix)]
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hup) => tasks.push(tokio::spawn(on_sighup(reloader.clone(), hup, stop.clone()))),
        Err(err) => tracing::warn!(error = %err, "cannot listen for SIGHUP"),
    }
    match watch(&reloader.corpus) {
        Ok((watcher, rx)) => tasks.push(tokio::spawn(on_change(reloader, watcher, rx, stop))),
        Err(err) => tracing::warn!(
            error = %err,
            "cannot watch the corpus for changes; reload with SIGHUP or /reload"
        ),
    }
    tasks
}

#[cfg(unix)]
async fn on_sighup(reloader: Arc<Reloader>, mut hup: tokio::signal::unix::Signal, mut stop: Stop) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            got = hup.recv() => {
                if got.is_none() {
                    return;
                }
                let _ = reloader.reload("SIGHUP").await;
            }
        }
    }
}

type Changes = mpsc::UnboundedReceiver<()>;

/// Watches the corpus: the directory itself, or the directory of a single
/// file (editors replace files by renaming, which a watch on the file misses).
fn watch(corpus: &Path) -> notify::Result<(notify::RecommendedWatcher, Changes)> {
    use notify::{RecursiveMode, Watcher};
    let (dir, only) = if corpus.is_dir() {
        (corpus.to_path_buf(), None)
    } else {
        let dir = corpus
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (dir, corpus.file_name().map(|n| n.to_os_string()))
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        let relevant = event.paths.iter().any(|p| match &only {
            Some(name) => p.file_name() == Some(name.as_os_str()),
            None => is_article_name(p),
        });
        if relevant {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    Ok((watcher, rx))
}

/// A change that can alter a directory corpus: a visible `.md` file, or the
/// synonyms file beside the articles.
fn is_article_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (path.extension().is_some_and(|e| e == "md") && !name.starts_with('.'))
        || name == crate::corpus::synonyms::FILE_NAME
}

async fn on_change(
    reloader: Arc<Reloader>,
    watcher: notify::RecommendedWatcher,
    mut changes: Changes,
    mut stop: Stop,
) {
    // The watcher stops when dropped: keep it for the life of this task.
    let _watcher = watcher;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            change = changes.recv() => if change.is_none() { return },
        }
        // Debounce: wait until the files have been quiet for a while.
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                more = tokio::time::timeout(DEBOUNCE, changes.recv()) => match more {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_quiet) => break,
                },
            }
        }
        let _ = reloader.reload("corpus changed").await;
    }
}
