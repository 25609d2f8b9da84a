//! One ordered lane per chat: updates of a chat are handled one after another,
//! in the order Telegram sent them, while different chats run concurrently.
//!
//! A lane's worker exits when its chat has been quiet for a while, so months of
//! operation do not accumulate one task per chat ever seen. The race between a
//! worker exiting and a new update arriving is closed by the worker closing its
//! queue first and draining it, and by a replacement worker awaiting its
//! predecessor before it starts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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

/// Which updates are queued or running, and which finished while an earlier
/// one was still unfinished (those matter at shutdown: see [`Finished`]).
#[derive(Default)]
struct Progress {
    /// Kept whole: if shutdown ends before they are answered, they are saved
    /// for the next start (Telegram may already have forgotten them).
    in_flight: BTreeMap<i32, Update>,
    done: BTreeSet<i32>,
}

impl Progress {
    fn finished(&mut self, id: i32) {
        self.in_flight.remove(&id);
        match self.in_flight.first_key_value().map(|(id, _)| id) {
            // Nothing is pending: a restart would see none of these again.
            None => self.done.clear(),
            Some(&oldest) => {
                if id > oldest {
                    self.done.insert(id);
                }
                self.done.retain(|&d| d > oldest);
            }
        }
    }
}

/// What shutdown left behind.
#[derive(Debug, Default)]
pub struct Finished {
    /// The oldest update not handled: the offset to confirm (it and everything
    /// after it will be delivered again).
    pub first_unfinished: Option<i32>,
    /// Updates after `first_unfinished` that were handled anyway: the next run
    /// must skip them, or it would answer them twice.
    pub done_after: Vec<i32>,
    /// The updates not handled, for the next run to handle first.
    pub unfinished: Vec<Update>,
}

/// The lanes and the progress of their updates.
pub struct Lanes<H> {
    lanes: HashMap<i64, Lane>,
    handler: H,
    progress: Arc<Mutex<Progress>>,
    /// Updates a previous run already answered (see [`Finished::done_after`]).
    skip: HashSet<i32>,
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
            progress: Arc::default(),
            skip: HashSet::new(),
        }
    }

    /// The oldest update queued or running, if any.
    pub fn oldest_pending(&self) -> Option<i32> {
        lock(&self.progress).in_flight.keys().next().copied()
    }

    /// Resumes where a previous run stopped: drops the updates it answered,
    /// and queues the ones it left unanswered (dropping their redelivery).
    pub fn resume(&mut self, answered: HashSet<i32>, unanswered: Vec<Update>) {
        self.skip = answered;
        self.skip.extend(unanswered.iter().map(|u| u.id.0 as i32));
        for update in unanswered {
            self.queue(update);
        }
    }

    /// Queues `update` on the lane of its chat (or of its sender, for updates
    /// without a chat, such as inline queries).
    pub fn dispatch(&mut self, update: Update) {
        let id = update.id.0 as i32;
        if self.skip.remove(&id) {
            tracing::info!(update = id, "taken care of before the restart; skipped");
            return;
        }
        self.queue(update);
    }

    /// Queues `update` on its lane, whatever came before.
    fn queue(&mut self, update: Update) {
        let key = update
            .chat()
            .map(|c| c.id.0)
            .or_else(|| update.from().map(|u| u.id.0 as i64))
            .unwrap_or(0);
        let id = update.id.0 as i32;
        lock(&self.progress).in_flight.insert(id, update.clone());
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
            self.progress.clone(),
        ));
        self.lanes.insert(key, Lane { tx, handle });
    }

    /// Forgets lanes whose worker has exited.
    pub fn prune(&mut self) {
        self.lanes.retain(|_, lane| !lane.handle.is_finished());
    }

    /// Stops taking updates and waits up to `grace` for the queued ones.
    pub async fn finish(self, grace: Duration) -> Finished {
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
        let progress = lock(&self.progress);
        Finished {
            first_unfinished: progress.in_flight.keys().next().copied(),
            unfinished: progress.in_flight.values().cloned().collect(),
            done_after: progress.done.iter().copied().collect(),
        }
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
    progress: Arc<Mutex<Progress>>,
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
        let progress = progress.clone();
        async move {
            fut.await;
            lock(&progress).finished(id);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn update(id: i32) -> Update {
        serde_json::from_str(&format!(r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":1,"type":"private","first_name":"a"}},"text":"x"}}}}"#)).unwrap()
    }

    #[test]
    fn progress_remembers_what_finished_after_an_unfinished_update() {
        let mut p = Progress::default();
        for id in 1..=4 {
            p.in_flight.insert(id, update(id));
        }
        p.finished(2);
        p.finished(4);
        assert_eq!(p.done.iter().copied().collect::<Vec<_>>(), [2, 4]);
        p.finished(1);
        assert_eq!(
            p.done.iter().copied().collect::<Vec<_>>(),
            [4],
            "2 is now below the oldest pending"
        );
        p.finished(3);
        assert!(p.done.is_empty() && p.in_flight.is_empty());
    }
}
