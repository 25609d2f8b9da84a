//! Why the Telegram service could not run.

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("Telegram rejected the bot token (401 Unauthorized); check TELOXIDE_TOKEN")]
    InvalidToken,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("setWebhook failed: {0}")]
    Webhook(String),
    #[error("cannot set up metrics: {0}")]
    Metrics(String),
    /// Another process holds the data directory, or it cannot be used.
    #[error("{0}")]
    DataDir(#[from] super::data_dir::DataDirError),
    #[error("{0}")]
    Journal(#[from] super::journal::JournalError),
}

impl BotError {
    /// Whether this is the operator's setting to fix (exit code 2) rather
    /// than a failure at run time.
    pub fn is_setting(&self) -> bool {
        matches!(
            self,
            BotError::InvalidToken | BotError::DataDir(super::data_dir::DataDirError::InUse { .. })
        )
    }
}
