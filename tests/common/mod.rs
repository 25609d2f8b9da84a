//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use summit_bot::corpus::Corpus;
use summit_bot::search::{Engine, SearchSettings};

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A file of the evaluation data beside the repository (../shared/eval/…).
/// Missing data fails the test loudly rather than letting it pass unchecked.
pub fn shared(path: &str) -> PathBuf {
    let p = repo("../shared").join(path);
    assert!(
        p.exists(),
        "{} is missing: the tests need ../shared beside the repository",
        p.display()
    );
    p
}

/// The engine over the committed corpus, built once per test binary.
pub fn summit_engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let corpus = Corpus::load(&repo("corpus")).expect("corpus/ loads");
            Arc::new(Engine::new(&corpus, SearchSettings::default()).expect("index builds"))
        })
        .clone()
}
