//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use summit_bot::corpus::Corpus;
use summit_bot::search::{Engine, SearchSettings};

/// A path inside the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A file of the committed test data (`tests/data/…`, see its README).
/// Missing data fails the test and names the file, never lets it pass unchecked.
pub fn data(path: &str) -> PathBuf {
    let p = repo("tests/data").join(path);
    assert!(
        p.is_file(),
        "test data {} is missing (it is committed under tests/data/; see tests/data/README.md)",
        p.display()
    );
    p
}

/// The `summit-bot` binary, run from the repository root but isolated from the
/// developer's machine: `.env` is not loaded (`--no-dotenv`), and `SUMMIT_*`,
/// `TELOXIDE_*` and `RUST_LOG` variables of the calling shell are removed, so
/// only what the test sets counts.
pub fn summit_bot() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_summit-bot"));
    cmd.current_dir(repo("")).arg("--no-dotenv");
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("SUMMIT_") || name.starts_with("TELOXIDE_") || name == "RUST_LOG" {
            cmd.env_remove(name.as_ref());
        }
    }
    // Lexical only unless a test turns the model on (tests/chat_questions.rs
    // and tests/semantic.rs run it): CLI behaviour is under test here.
    cmd.env("SUMMIT_SEMANTIC_ENABLED", "false");
    cmd
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
