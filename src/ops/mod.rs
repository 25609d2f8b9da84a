//! Running the bot unattended: metrics, the health and metrics endpoint, and
//! the counts /stats reports.

pub mod metrics;
pub mod server;
pub mod stats;

use std::sync::atomic::{AtomicBool, Ordering};

pub use metrics::{ChatType, Metrics, Verdict};
pub use stats::Stats;

/// Operational state shared by the handlers, the reloader and the endpoint.
pub struct Ops {
    pub metrics: Metrics,
    pub stats: Stats,
    /// Set once the engine is loaded and Telegram accepted the token.
    ready: AtomicBool,
}

impl Ops {
    pub fn new() -> Result<Ops, prometheus::Error> {
        Ok(Ops {
            metrics: Metrics::new()?,
            stats: Stats::default(),
            ready: AtomicBool::new(false),
        })
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Shutting down: /healthz answers 503 again so a load balancer stops
    /// sending updates while the replies in flight finish.
    pub fn set_draining(&self) {
        self.ready.store(false, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Counts a question in the metrics and in /stats.
    pub fn question(&self, verdict: Verdict, chat: ChatType, question: &str) {
        self.metrics.question(verdict, chat);
        self.stats.record(verdict, question);
    }
}
