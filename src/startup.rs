//! Builds the engine a command or a reload serves: the index of the corpus
//! (in RAM or on disk) and, when the semantic retriever is on, the paragraph
//! vectors (cached; only new or changed paragraphs are embedded).
//!
//! The model is opened once per process. Without it (offline, no pip) the bot
//! answers lexically and says so once in the log; it never fails to start
//! over the model.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::index::{IndexError, IndexSettings, SearchIndex};
use crate::search::{Engine, SearchSettings, SemanticIndex};
use crate::semantic::{open_embedder, Embedder, SemanticSettings, VectorStore};

/// The semantic side of engine building: settings and the process's embedder.
pub struct SemanticSource {
    settings: SemanticSettings,
    /// Opened on first use; `None` inside: tried and unavailable (warned once).
    embedder: OnceLock<Option<Arc<Embedder>>>,
}

impl SemanticSource {
    pub fn new(settings: SemanticSettings) -> SemanticSource {
        SemanticSource {
            settings,
            embedder: OnceLock::new(),
        }
    }

    /// The embedder, opened (and the model fetched, with status on stderr) on
    /// first use; `None` when semantic retrieval is off or unavailable.
    pub fn embedder(&self) -> Option<Arc<Embedder>> {
        if !self.settings.enabled {
            return None;
        }
        self.embedder
            .get_or_init(|| {
                let opened = open_embedder(&self.settings, &mut |line| eprintln!("{line}"));
                opened
                    .map_err(|err| {
                        tracing::warn!(error = %err, "semantic retrieval unavailable; answering lexically")
                    })
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }

    /// Whether a corpus of records (JSONL) or of articles gets the semantic
    /// retriever: records only with `[semantic] jsonl`.
    fn serves(&self, records: bool) -> bool {
        !records || self.settings.jsonl
    }

    /// Vectors of every passage of `engine`, as a semantic index (`None`: off,
    /// unavailable, or a JSONL corpus while `[semantic] jsonl` is off).
    fn index_for(&self, engine: &Engine, records: bool) -> Option<SemanticIndex> {
        if !self.serves(records) {
            return None;
        }
        let embedder = self.embedder()?;
        let passages = &engine.index().passages;
        let texts: Vec<String> = (0..passages.len())
            .map(|n| {
                engine
                    .passage(n)
                    .map(|p| p.text.clone())
                    .unwrap_or_default()
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let progress = &mut |done: usize, total: usize| {
            if done == 0 || done == total || done.is_multiple_of(64) {
                eprintln!("embedding paragraphs: {done}/{total}");
            }
        };
        match VectorStore::load_or_build(&embedder, &self.settings.vectors_dir, &refs, progress) {
            Ok(vectors) => Some(SemanticIndex::new(embedder, vectors)),
            Err(err) => {
                tracing::warn!(error = %err, "paragraph vectors unavailable; answering lexically");
                None
            }
        }
    }
}

/// The engine over the corpus at `corpus`, with the semantic retriever when
/// `semantic` provides one.
pub fn build_engine(
    corpus: &Path,
    index: &IndexSettings,
    search: SearchSettings,
    semantic: &SemanticSource,
) -> Result<Engine, IndexError> {
    let records = corpus.extension().is_some_and(|e| e == "jsonl");
    // Start-up is mostly jieba's dictionary and the model: on two cores the
    // model opens (when this corpus uses it) while the dictionary loads and
    // the corpus is read.
    let loaded = std::thread::scope(|scope| {
        if semantic.serves(records) {
            scope.spawn(|| semantic.embedder());
        }
        scope.spawn(crate::index::analyzer::warm_up);
        SearchIndex::load(corpus, index)
    })?;
    let engine = Engine::with_index(loaded, search);
    Ok(match semantic.index_for(&engine, records) {
        Some(vectors) => engine.with_semantic(vectors),
        None => engine,
    })
}
