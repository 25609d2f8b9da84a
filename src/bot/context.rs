//! What every handler shares: the Bot API client, the engine, settings, ops
//! state, access rules and the feedback log.

use std::sync::Arc;

use arc_swap::ArcSwap;
use teloxide::adaptors::throttle::Throttle;
use teloxide::Bot;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::access::Access;
use super::buttons::ButtonKey;
use super::route::Identity;
use crate::config::Config;
use crate::feedback::FeedbackStore;
use crate::ops::Ops;
use crate::reload::Reloader;
use crate::search::Engine;

/// Everything a handler needs, shared by all lanes.
pub struct BotContext {
    /// Sends go through Telegram's rate limits (`Throttle`, innermost).
    pub bot: Throttle<Bot>,
    /// Searches that may run at once. Without it a burst of chats starts one
    /// blocking thread per question, each with its own model buffers and
    /// allocator arena: no faster on a few cores, and the memory stays.
    pub searches: Semaphore,
    /// The engine in use; a corpus reload swaps in a new one while questions
    /// in flight finish on the old.
    pub engine: Arc<ArcSwap<Engine>>,
    pub me: Identity,
    pub config: Config,
    /// Metrics and /stats counts.
    pub ops: Arc<Ops>,
    /// Allowlist, admins and flood control.
    pub access: Access,
    /// Rebuilds `engine` for the admin's /reload.
    pub reloader: Arc<Reloader>,
    /// 👍 / 👎 and the question log (written off the async runtime).
    pub feedback: FeedbackStore,
    /// Signs and checks button data.
    pub button_key: ButtonKey,
}

impl BotContext {
    /// The current engine (cheap: one atomic load and a reference count). A
    /// handler takes it once and uses that snapshot for the whole update, so
    /// an answer, its buttons and their fingerprint always agree.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// Waits for a turn to search; hold the permit until the search is done.
    /// `None` only if the semaphore was closed, which nothing does.
    pub async fn search_turn(&self) -> Option<SemaphorePermit<'_>> {
        self.searches.acquire().await.ok()
    }
}

/// The permits for `parallel_searches` searches at once (0 = one per core).
pub fn search_permits(parallel_searches: usize) -> Semaphore {
    let permits = match parallel_searches {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    Semaphore::new(permits)
}
