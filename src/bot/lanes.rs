//! One ordered lane per chat: updates of a chat are handled one after another,
//! in the order Telegram sent them, while different chats run concurrently.
//!
//! A lane's worker exits when its chat has been quiet for a while, so months of
//! operation do not accumulate one task per chat ever seen. The race between a
//! worker exiting and a new update arriving is closed by the worker closing its
//! queue first and draining it, and by a replacement worker awaiting its
//! predecessor before it starts.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teloxide::types::Update;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a lane's worker waits for more updates before it exits.
const IDLE: Duration = Duration::from_secs(60);

struct Lane {
    tx: mpsc::UnboundedSender<Update>,
    handle: JoinHandle<()>,
}

/// The lanes and the ids of the updates not yet handled.
pub struct Lanes<H> {
    lanes: HashMap<i64, Lane>,
    handler: H,
    in_flight: Arc<Mutex<BTreeSet<i32>>>,
}

impl<H, Fut> Lanes<H>
where
    H: Fn(Update) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    pub fn new(handler: H) -> Self {
        Lanes {
            lanes: HashMap::new(),
            handler,
            in_flight: Arc::default(),
        }
    }

    /// Queues `update` on the lane of its chat (or of its sender, for updates
    /// without a chat, such as inline queries).
    pub fn dispatch(&mut self, update: Update) {
        let key = update
            .chat()
            .map(|c| c.id.0)
            .or_else(|| update.from().map(|u| u.id.0 as i64))
            .unwrap_or(0);
        lock(&self.in_flight).insert(update.id.0 as i32);
        let update = match self.lanes.get(&key) {
            Some(lane) => match lane.tx.send(update) {
                Ok(()) => return,
                // The worker closed its queue on its way out: start a successor.
                Err(mpsc::error::SendError(update)) => update,
            },
            None => update,
        };
        let previous = self.lanes.remove(&key).map(|lane| lane.handle);
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(update);
        let handle = tokio::spawn(worker(
            previous,
            rx,
            self.handler.clone(),
            self.in_flight.clone(),
        ));
        self.lanes.insert(key, Lane { tx, handle });
    }

    /// Forgets lanes whose worker has exited.
    pub fn prune(&mut self) {
        self.lanes.retain(|_, lane| !lane.handle.is_finished());
    }

    /// Stops taking updates and waits up to `grace` for the queued ones.
    /// Returns the smallest id not handled, if any (the offset to confirm is
    /// then that id: everything from it on will be redelivered).
    pub async fn finish(self, grace: Duration) -> Option<i32> {
        let handles: Vec<JoinHandle<()>> = self
            .lanes
            .into_values()
            .map(|lane| {
                drop(lane.tx);
                lane.handle
            })
            .collect();
        let all = futures_join(handles);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("shutdown grace period over with replies still in flight");
        }
        let first = lock(&self.in_flight).first().copied();
        first
    }
}

async fn futures_join(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn worker<H, Fut>(
    previous: Option<JoinHandle<()>>,
    mut rx: mpsc::UnboundedReceiver<Update>,
    handler: H,
    in_flight: Arc<Mutex<BTreeSet<i32>>>,
) where
    H: Fn(Update) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(previous) = previous {
        let _ = previous.await;
    }
    let run = |update: Update| {
        let id = update.id.0 as i32;
        let fut = handler(update);
        let in_flight = in_flight.clone();
        async move {
            fut.await;
            lock(&in_flight).remove(&id);
        }
    };
    loop {
        match tokio::time::timeout(IDLE, rx.recv()).await {
            Ok(Some(update)) => run(update).await,
            // Channel closed (shutdown): everything queued was received.
            Ok(None) => return,
            Err(_idle) => {
                rx.close();
                while let Ok(update) = rx.try_recv() {
                    run(update).await;
                }
                return;
            }
        }
    }
}
