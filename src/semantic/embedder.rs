//! Text → 384 floats, L2-normalised, with multilingual-e5-small (the vendored
//! C engine): `query: ` vectors for questions, `passage: ` vectors for paragraphs.

use std::ffi::{c_int, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::SemanticError;
use super::ffi::{self, E5Model, Engine};
use super::model;

/// Floats per vector.
pub const DIM: usize = 384;

/// Questions are cut to this many characters unless told otherwise. Cost grows
/// with length (a 500-character question takes about a second on two cores,
/// a 20-character one about 20 ms), and a question's gist is in its start.
pub const DEFAULT_QUERY_MAX_CHARS: usize = 256;

/// Paragraphs are cut to this many characters before tokenizing.
pub const PASSAGE_MAX_CHARS: usize = 1_000;

/// Tokens (with the prefix and the two special tokens) one window of the model
/// holds. Questions and paragraphs are cut to one window, as the model card
/// does: it bounds the cost of any text (about a second on two cores).
const WINDOW_TOKENS: usize = 512;

/// The loaded model. Cheap to share: the weights are memory-mapped, read only,
/// and every call allocates its own working memory.
pub struct Embedder {
    engine: &'static Engine,
    model: NonNull<E5Model>,
    max_query_chars: usize,
    embedded: AtomicU64,
}

// SAFETY: after `e5_load` returns, the engine never writes to the model: every
// embedding call allocates its own buffers and only reads the mapped weights
// and tokenizer tables, so concurrent calls from several threads are sound
// (each call's OpenMP team is its own). `e5_free` runs once, in `Drop`, which
// needs exclusive ownership.
unsafe impl Send for Embedder {}
unsafe impl Sync for Embedder {}

impl Embedder {
    /// Loads the model at `path` after checking it is the pinned file (a damaged
    /// file would be read out of bounds by the engine, so it is never loaded).
    pub fn open(path: &Path) -> Result<Embedder, SemanticError> {
        model::verify(path)?;
        let engine = ffi::engine();
        let c_path = path_to_c(path).ok_or_else(|| SemanticError::Load {
            path: path.to_path_buf(),
        })?;
        // SAFETY: `c_path` is a valid NUL-terminated string; the file is the
        // pinned model (checked above), which the engine parses in bounds.
        let raw = unsafe { (engine.load)(c_path.as_ptr()) };
        let model = NonNull::new(raw).ok_or_else(|| SemanticError::Load {
            path: path.to_path_buf(),
        })?;
        let embedder = Embedder {
            engine,
            model,
            max_query_chars: DEFAULT_QUERY_MAX_CHARS,
            embedded: AtomicU64::new(0),
        };
        // SAFETY: `model` is a live handle of this engine variant.
        let dim = unsafe { (engine.dim)(model.as_ptr()) };
        if dim != DIM as c_int {
            return Err(SemanticError::Load {
                path: path.to_path_buf(),
            });
        }
        Ok(embedder)
    }

    /// Sets how many characters of a question are embedded (at least 1).
    pub fn with_max_query_chars(mut self, chars: usize) -> Embedder {
        self.max_query_chars = chars.max(1);
        self
    }

    /// The vector of a question (`query: ` prefix).
    pub fn embed_query(&self, text: &str) -> Vec<f32> {
        let input = self.prepare(text, self.max_query_chars, WINDOW_TOKENS, true);
        self.embed_prepared(&[input], true)
    }

    /// The vector of a paragraph (`passage: ` prefix).
    pub fn embed_passage(&self, text: &str) -> Vec<f32> {
        let input = self.prepare(text, PASSAGE_MAX_CHARS, WINDOW_TOKENS, false);
        self.embed_prepared(&[input], false)
    }

    /// The vectors of several paragraphs, row after row (`texts.len() * DIM`
    /// floats); faster than one at a time (the engine spreads texts over cores).
    pub fn embed_passages(&self, texts: &[&str]) -> Vec<f32> {
        let inputs: Vec<CString> = texts
            .iter()
            .map(|t| self.prepare(t, PASSAGE_MAX_CHARS, WINDOW_TOKENS, false))
            .collect();
        self.embed_prepared(&inputs, false)
    }

    /// How many texts this embedder has embedded (the cache's tests count on it).
    pub fn embedded_count(&self) -> u64 {
        self.embedded.load(Ordering::Relaxed)
    }

    /// Which compiled variant of the engine runs: "avx2" or "scalar".
    pub fn variant(&self) -> &'static str {
        self.engine.name
    }

    fn embed_prepared(&self, inputs: &[CString], is_query: bool) -> Vec<f32> {
        let mut out = vec![0.0f32; inputs.len() * DIM];
        if inputs.is_empty() {
            return out;
        }
        let pointers: Vec<_> = inputs.iter().map(|s| s.as_ptr()).collect();
        let Ok(n) = c_int::try_from(pointers.len()) else {
            // More texts than the engine can count: do them one by one.
            return inputs
                .iter()
                .flat_map(|one| self.embed_prepared(std::slice::from_ref(one), is_query))
                .collect();
        };
        // SAFETY: live handle of this variant; `pointers` holds `n` valid
        // NUL-terminated strings that outlive the call; `out` has room for
        // `n * DIM` floats, DIM being the model's dimension (checked in `open`).
        let rc = unsafe {
            (self.engine.embed_batch)(
                self.model.as_ptr(),
                pointers.as_ptr(),
                n,
                c_int::from(is_query),
                out.as_mut_ptr(),
            )
        };
        self.embedded
            .fetch_add(inputs.len() as u64, Ordering::Relaxed);
        if rc != 0 || out.iter().any(|x| !x.is_finite()) {
            // Never seen; a zero vector matches nothing rather than everything.
            out.iter_mut().for_each(|x| *x = 0.0);
        }
        out
    }

    /// Text from strangers made safe and bounded for the engine: control
    /// characters (NUL included) become spaces, then the text is cut to
    /// `max_chars` characters and, if it still tokenizes to more than
    /// `max_tokens`, shortened until it fits.
    fn prepare(&self, text: &str, max_chars: usize, max_tokens: usize, is_query: bool) -> CString {
        let cleaned: Vec<char> = text
            .chars()
            .take(max_chars)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut keep = cleaned.len();
        loop {
            let candidate: String = cleaned[..keep].iter().collect();
            // No NUL can remain (it is a control character), so this never fails.
            let c_text = CString::new(candidate).unwrap_or_default();
            let tokens = self.token_count(&c_text, is_query);
            if tokens <= max_tokens || keep == 0 {
                return c_text;
            }
            // Shrink in proportion, and by at least one character.
            let shrunk = (keep as u128 * max_tokens as u128 / tokens as u128) as usize;
            keep = shrunk.min(keep - 1);
        }
    }

    fn token_count(&self, text: &CString, is_query: bool) -> usize {
        // SAFETY: live handle of this variant and a valid NUL-terminated string.
        let n = unsafe {
            (self.engine.token_count)(self.model.as_ptr(), text.as_ptr(), c_int::from(is_query))
        };
        usize::try_from(n).unwrap_or(usize::MAX)
    }
}

impl Drop for Embedder {
    fn drop(&mut self) {
        // SAFETY: the handle came from this variant's `load` and is freed once.
        unsafe { (self.engine.free)(self.model.as_ptr()) }
    }
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("variant", &self.engine.name)
            .field("max_query_chars", &self.max_query_chars)
            .finish()
    }
}

fn path_to_c(path: &Path) -> Option<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).ok()
}
