//! One ordered lane per chat: updates of a chat are handled one after another,
//! in the order they arrived, while different chats run concurrently.
//!
//! A lane's worker exits when its chat has been quiet for a while, so months of
//! operation do not accumulate one task per chat ever seen. The race between a
//! worker exiting and a new update arriving is closed by the worker closing its
//! queue first and draining it, and by a replacement worker awaiting its
//! predecessor before it starts.

use std::collections::HashMap;
use std::future::Future;
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

/// The lanes of the chats with updates queued or recently handled.
pub struct Lanes<H> {
    lanes: HashMap<i64, Lane>,
    handler: H,
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
        let handle = tokio::spawn(worker(previous, rx, self.handler.clone()));
        self.lanes.insert(key, Lane { tx, handle });
    }

    /// Forgets lanes whose worker has exited.
    pub fn prune(&mut self) {
        self.lanes.retain(|_, lane| !lane.handle.is_finished());
    }

    /// Lanes alive (for tests of boundedness).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Stops taking updates and waits up to `grace` for the queued ones;
    /// `false` if some were still unfinished (the journal keeps them).
    pub async fn finish(self, grace: Duration) -> bool {
        let handles: Vec<JoinHandle<()>> = self
            .lanes
            .into_values()
            .map(|lane| {
                drop(lane.tx);
                lane.handle
            })
            .collect();
        let all = async {
            for handle in handles {
                let _ = handle.await;
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("shutdown grace period over with replies still in flight");
            return false;
        }
        true
    }
}

async fn worker<H, Fut>(
    previous: Option<JoinHandle<()>>,
    mut rx: mpsc::UnboundedReceiver<Update>,
    handler: H,
) where
    H: Fn(Update) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(previous) = previous {
        let _ = previous.await;
    }
    loop {
        match tokio::time::timeout(IDLE, rx.recv()).await {
            Ok(Some(update)) => handler(update).await,
            // Channel closed (shutdown): everything queued was received.
            Ok(None) => return,
            Err(_idle) => {
                rx.close();
                while let Ok(update) = rx.try_recv() {
                    handler(update).await;
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn update(id: u32, chat: i64) -> Update {
        serde_json::from_str(&format!(r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":{chat},"type":"private","first_name":"a"}},"text":"x"}}}}"#)).unwrap()
    }

    #[tokio::test]
    async fn a_chat_keeps_its_order_and_quiet_lanes_go_away() {
        tokio::time::pause();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let mut lanes = Lanes::new(move |u: Update| {
            let log = log.clone();
            async move {
                // Later updates of chat 1 are quicker: order must still hold.
                tokio::time::sleep(Duration::from_millis(100 - u64::from(u.id.0))).await;
                log.lock().unwrap().push(u.id.0);
            }
        });
        for (id, chat) in [(1, 1), (2, 2), (3, 1), (4, 1)] {
            lanes.dispatch(update(id, chat));
        }
        tokio::time::sleep(IDLE * 2).await;
        lanes.prune();
        assert_eq!(lanes.len(), 0, "idle lanes exit");
        let seen = seen.lock().unwrap().clone();
        let chat1: Vec<u32> = seen.iter().copied().filter(|id| *id != 2).collect();
        assert_eq!(chat1, [1, 3, 4]);
        assert!(lanes.finish(Duration::from_secs(1)).await);
    }
}
