//! Semantic retrieval: multilingual-e5-small vectors for questions and
//! paragraphs (vendored C engine), the model file obtained and checked, and
//! paragraph vectors cached on disk.
//!
//! `Embedder` turns text into unit vectors; `model` finds, checks and fetches
//! the model file; `VectorStore` keeps paragraph vectors across starts;
//! `DenseVectors::top_k` finds the paragraphs nearest a question.

mod cache;
mod dense;
mod embedder;
mod error;
mod ffi;
pub mod model;
mod wheel;

use std::path::PathBuf;

use serde::Deserialize;

pub use cache::VectorStore;
pub use dense::DenseVectors;
pub use embedder::{Embedder, DEFAULT_QUERY_MAX_CHARS, DIM, PASSAGE_MAX_CHARS};
pub use error::{SemanticError, FETCH_COMMAND, PIP_COMMAND};

/// The `[semantic]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemanticSettings {
    /// Rank with the model as well as with words; off = lexical only.
    pub enabled: bool,
    /// Where the model file is (fetched there when missing). Relative = from
    /// the working directory.
    pub model_path: PathBuf,
    /// Where paragraph vectors are cached. Relative = from the working directory.
    pub vectors_dir: PathBuf,
    /// Characters of a question that are embedded.
    pub max_query_chars: usize,
}

impl Default for SemanticSettings {
    fn default() -> Self {
        SemanticSettings {
            enabled: true,
            model_path: PathBuf::from("data/models/e5-small-q4.bin"),
            vectors_dir: PathBuf::from("data/vectors"),
            max_query_chars: DEFAULT_QUERY_MAX_CHARS,
        }
    }
}

/// The embedder the settings describe: the model is fetched when missing
/// (`status` gets progress lines), checked, and loaded.
pub fn open_embedder(
    settings: &SemanticSettings,
    status: &mut dyn FnMut(&str),
) -> Result<Embedder, SemanticError> {
    let path = model::ensure(&settings.model_path, status)?;
    Ok(Embedder::open(&path)?.with_max_query_chars(settings.max_query_chars))
}
