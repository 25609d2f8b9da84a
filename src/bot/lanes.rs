//! One ordered lane per chat: updates of a chat are handled one after another,
//! in the order they arrived, while different chats run concurrently.
//!
//! A lane's worker exits when its chat has been quiet for a while, so months of
//! operation do not accumulate one task per chat ever seen. The race between a
//! worker exiting and a new update arriving is closed by the worker closing its
//! queue first and draining it, and by a replacement worker awaiting its
//! predecessor before it starts.
//!
//! A lane is small while it waits: its queue holds boxed updates (tokio's
//! unbounded channel allocates 32 slots at once, so unboxed ones cost ~31 KB
//! per lane) and the handler's future is boxed only while it runs (unboxed it
//! is ~9 KB inside every worker task). Thousands of chats arriving at once
//! then no longer leave tens of megabytes of freed blocks behind.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use teloxide::types::Update;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

struct Lane {
    tx: mpsc::UnboundedSender<Box<Update>>,
    handle: JoinHandle<()>,
}

/// The lanes of the chats with updates queued or recently handled.
pub struct Lanes<H> {
    lanes: HashMap<i64, Lane>,
    handler: H,
    idle: Duration,
}

impl<H, Fut> Lanes<H>
where
    H: Fn(Update) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    /// Lanes calling `handler`; a lane quiet for `idle` goes away.
    pub fn new(handler: H, idle: Duration) -> Self {
        Lanes {
            lanes: HashMap::new(),
            handler,
            idle,
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
        let update = Box::new(update);
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
        let handle = tokio::spawn(worker(previous, rx, self.handler.clone(), self.idle));
        self.lanes.insert(key, Lane { tx, handle });
    }

    /// Forgets lanes whose worker has exited; gives the table's spare room
    /// back once it is mostly empty (a burst of chats must not keep its peak).
    pub fn prune(&mut self) {
        self.lanes.retain(|_, lane| !lane.handle.is_finished());
        if self.lanes.capacity() > 64 && self.lanes.len() < self.lanes.capacity() / 4 {
            self.lanes.shrink_to_fit();
        }
    }

    /// Lanes alive (for tests of boundedness).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lanes.len()
    }

    /// Room the lane table holds (for tests of boundedness).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.lanes.capacity()
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
    mut rx: mpsc::UnboundedReceiver<Box<Update>>,
    handler: H,
    idle: Duration,
) where
    H: Fn(Update) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(previous) = previous {
        let _ = previous.await;
    }
    // Boxed: the worker task itself stays small while the lane waits.
    let handle = |update: Box<Update>| Box::pin(handler(*update));
    loop {
        match tokio::time::timeout(idle, rx.recv()).await {
            Ok(Some(update)) => handle(update).await,
            // Channel closed (shutdown): everything queued was received.
            Ok(None) => return,
            Err(_idle) => {
                rx.close();
                while let Ok(update) = rx.try_recv() {
                    handle(update).await;
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

    /// `[telegram] lane_idle_secs` by default.
    const DEFAULT_IDLE: Duration = Duration::from_secs(60);

    fn update(id: u32, chat: i64) -> Update {
        serde_json::from_str(&format!(r#"{{"update_id":{id},"message":{{"message_id":1,"date":0,"chat":{{"id":{chat},"type":"private","first_name":"a"}},"text":"x"}}}}"#)).unwrap()
    }

    #[tokio::test]
    async fn a_chat_keeps_its_order_and_quiet_lanes_go_away() {
        tokio::time::pause();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let mut lanes = Lanes::new(
            move |u: Update| {
                let log = log.clone();
                async move {
                    // Later updates of chat 1 are quicker: order must still hold.
                    tokio::time::sleep(Duration::from_millis(100 - u64::from(u.id.0))).await;
                    log.lock().unwrap().push(u.id.0);
                }
            },
            DEFAULT_IDLE,
        );
        for (id, chat) in [(1, 1), (2, 2), (3, 1), (4, 1)] {
            lanes.dispatch(update(id, chat));
        }
        tokio::time::sleep(DEFAULT_IDLE * 2).await;
        lanes.prune();
        assert_eq!(lanes.len(), 0, "idle lanes exit");
        let seen = seen.lock().unwrap().clone();
        let chat1: Vec<u32> = seen.iter().copied().filter(|id| *id != 2).collect();
        assert_eq!(chat1, [1, 3, 4]);
        assert!(lanes.finish(Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn a_burst_of_chats_leaves_nothing_behind() {
        tokio::time::pause();
        let idle = Duration::from_secs(5);
        let mut lanes = Lanes::new(|_: Update| async {}, idle);
        for chat in 0..5000 {
            lanes.dispatch(update(chat as u32, chat));
        }
        assert_eq!(lanes.len(), 5000);
        tokio::time::sleep(idle * 2).await;
        lanes.prune();
        assert_eq!(lanes.len(), 0, "idle lanes exit");
        assert!(
            lanes.capacity() <= 64,
            "the burst's table room is given back: {}",
            lanes.capacity()
        );
    }

    #[test]
    fn a_waiting_lane_is_small_whatever_the_handler() {
        // A handler whose future is large (a real one is ~9 KB): the worker
        // boxes it while it runs, so a waiting lane does not carry it.
        let handler = |_: Update| async {
            let buffer = [0u8; 16_384];
            tokio::task::yield_now().await;
            std::hint::black_box(&buffer);
        };
        let (_tx, rx) = mpsc::unbounded_channel();
        let worker = worker(None, rx, handler, DEFAULT_IDLE);
        let size = std::mem::size_of_val(&worker);
        assert!(size < 1024, "a waiting lane's task is {size} bytes");
    }
}
