//! Who the bot serves and how fast: the chat allowlist (one polite refusal,
//! then silence), admin user ids, and per-user flood control.
//!
//! All of it is in memory: a restart forgets which chats were told and resets
//! the flood windows, which errs on the side of answering.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AccessSettings;

/// What to do with a message from a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Serve,
    /// Not allowed, and not told yet: say so once.
    Refuse,
    /// Not allowed and already told.
    Silence,
}

/// What to do with a user's next question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flood {
    Ask,
    /// Over the limit for the first time in this window: ask them to slow down.
    SlowDown,
    /// Over the limit and already told: drop silently.
    Drop,
}

/// Users tracked before idle ones are forgotten (keeps memory bounded).
const PRUNE_AT: usize = 10_000;

#[derive(Default)]
struct Window {
    /// When the questions still inside the window were accepted.
    asked: VecDeque<Instant>,
    told: bool,
}

pub struct Access {
    allowed: HashSet<i64>,
    admins: HashSet<u64>,
    told: Mutex<HashSet<i64>>,
    max_questions: usize,
    window: Duration,
    flood: Mutex<HashMap<u64, Window>>,
}

impl Access {
    pub fn new(settings: &AccessSettings) -> Access {
        Access {
            allowed: settings.allowed_set(),
            admins: settings.admin_set(),
            told: Mutex::default(),
            max_questions: settings.flood_max_questions as usize,
            window: Duration::from_secs(settings.flood_window_secs),
            flood: Mutex::default(),
        }
    }

    /// Whether `chat` is served. A chat gets [`Admission::Refuse`] once.
    /// Whether `chat` (a user id for inline queries) is served at all, without
    /// counting a refusal: for updates that have no chat to answer in.
    pub fn allows(&self, chat: i64) -> bool {
        self.allowed.is_empty() || self.allowed.contains(&chat)
    }

    pub fn admit(&self, chat: i64) -> Admission {
        if self.allowed.is_empty() || self.allowed.contains(&chat) {
            return Admission::Serve;
        }
        if lock(&self.told).insert(chat) {
            Admission::Refuse
        } else {
            Admission::Silence
        }
    }

    pub fn is_admin(&self, user: u64) -> bool {
        self.admins.contains(&user)
    }

    /// Counts a question of `user` asked at `now` against the flood limit.
    /// Dropped questions do not count, so the user is back once the window
    /// of the accepted ones has passed.
    pub fn question(&self, user: u64, now: Instant) -> Flood {
        let mut flood = lock(&self.flood);
        if flood.len() >= PRUNE_AT {
            let window = self.window;
            flood.retain(|_, w| {
                w.asked
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let w = flood.entry(user).or_default();
        while w
            .asked
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            w.asked.pop_front();
        }
        if w.asked.len() < self.max_questions {
            w.asked.push_back(now);
            w.told = false;
            Flood::Ask
        } else if !w.told {
            w.told = true;
            Flood::SlowDown
        } else {
            Flood::Drop
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(allowed: Vec<i64>, max: u32, secs: u64) -> Access {
        Access::new(&AccessSettings {
            allowed_chats: allowed,
            admins: vec![7],
            flood_max_questions: max,
            flood_window_secs: secs,
        })
    }

    #[test]
    fn allowlist_refuses_once_then_stays_silent() {
        let open = access(vec![], 8, 30);
        assert_eq!(open.admit(5), Admission::Serve);
        let a = access(vec![1, -100], 8, 30);
        assert_eq!(a.admit(1), Admission::Serve);
        assert_eq!(a.admit(-100), Admission::Serve);
        assert_eq!(a.admit(2), Admission::Refuse);
        assert_eq!(a.admit(2), Admission::Silence);
        assert_eq!(a.admit(3), Admission::Refuse);
        assert!(a.is_admin(7) && !a.is_admin(8));
    }

    #[test]
    fn flood_warns_once_per_window_and_spares_others() {
        let a = access(vec![], 3, 30);
        let t0 = Instant::now();
        let verdicts: Vec<Flood> = (0..6).map(|_| a.question(1, t0)).collect();
        assert_eq!(
            verdicts,
            [
                Flood::Ask,
                Flood::Ask,
                Flood::Ask,
                Flood::SlowDown,
                Flood::Drop,
                Flood::Drop
            ]
        );
        assert_eq!(a.question(2, t0), Flood::Ask, "other users unaffected");
        let later = t0 + Duration::from_secs(31);
        assert_eq!(a.question(1, later), Flood::Ask, "window passed");
    }
}
