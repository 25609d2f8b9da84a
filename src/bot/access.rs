//! Who the bot serves and how fast: the chat allowlist (one polite refusal,
//! then silence), admin user ids, per-user flood control (questions and reason
//! replies share one window, button presses have their own), and the "why 👎?"
//! prompts already sent (one per user per answer).
//!
//! All of it is in memory and bounded: past [`PRUNE_AT`] entries a map drops
//! what is older than its window (a day for refusals and prompts). A restart
//! forgets everything, which errs on the side of answering.

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

/// Entries a map holds before old ones are pruned (keeps memory bounded).
pub const PRUNE_AT: usize = 10_000;
/// How long a refused chat and a sent prompt are remembered.
const REMEMBER: Duration = Duration::from_secs(86_400);

#[derive(Default)]
struct Window {
    /// When the requests still inside the window were accepted.
    asked: VecDeque<Instant>,
    told: bool,
}

/// Sliding windows per user.
#[derive(Default)]
struct Windows(Mutex<HashMap<u64, Window>>);

/// Keys remembered for a while, pruned when there are many.
#[derive(Default)]
struct Remembered<K>(Mutex<HashMap<K, Instant>>);

impl<K: std::hash::Hash + Eq> Remembered<K> {
    /// Remembers `key` at `now`; `true` if it was not remembered already.
    fn insert(&self, key: K, now: Instant) -> bool {
        let mut map = lock(&self.0);
        if map.len() >= PRUNE_AT {
            map.retain(|_, at| now.duration_since(*at) < REMEMBER);
        }
        match map.get(&key) {
            Some(at) if now.duration_since(*at) < REMEMBER => false,
            _ => {
                map.insert(key, now);
                true
            }
        }
    }

    fn len(&self) -> usize {
        lock(&self.0).len()
    }
}

pub struct Access {
    allowed: HashSet<i64>,
    admins: HashSet<u64>,
    told: Remembered<i64>,
    max_questions: usize,
    window: Duration,
    questions: Windows,
    presses: Windows,
    /// (chat, answer message, user) of the "why 👎?" prompts sent.
    prompted: Remembered<(i64, i64, u64)>,
}

impl Access {
    pub fn new(settings: &AccessSettings) -> Access {
        Access {
            allowed: settings.allowed_set(),
            admins: settings.admin_set(),
            told: Remembered::default(),
            max_questions: settings.flood_max_questions as usize,
            window: Duration::from_secs(settings.flood_window_secs),
            questions: Windows::default(),
            presses: Windows::default(),
            prompted: Remembered::default(),
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
        if self.told.insert(chat, Instant::now()) {
            Admission::Refuse
        } else {
            Admission::Silence
        }
    }

    pub fn is_admin(&self, user: u64) -> bool {
        self.admins.contains(&user)
    }

    /// Counts a question (or a reason reply) of `user` at `now` against the
    /// flood limit. Dropped ones do not count, so the user is back once the
    /// window of the accepted ones has passed.
    pub fn question(&self, user: u64, now: Instant) -> Flood {
        self.admit_in(&self.questions, user, now)
    }

    /// Counts a button press of `user` at `now` against its own flood limit
    /// (the same numbers as questions).
    pub fn press(&self, user: u64, now: Instant) -> Flood {
        self.admit_in(&self.presses, user, now)
    }

    /// Whether the "why 👎?" prompt for `user` under answer `message` of
    /// `chat` is still to be sent (and notes that it now is).
    pub fn first_prompt(&self, chat: i64, message: i64, user: u64) -> bool {
        self.prompted.insert((chat, message, user), Instant::now())
    }

    /// Entries held in memory: refused chats, users in flood windows
    /// (questions, presses), prompts sent. For tests and metrics.
    pub fn sizes(&self) -> [usize; 4] {
        [
            self.told.len(),
            lock(&self.questions.0).len(),
            lock(&self.presses.0).len(),
            self.prompted.len(),
        ]
    }

    fn admit_in(&self, windows: &Windows, user: u64, now: Instant) -> Flood {
        let mut flood = lock(&windows.0);
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

    #[test]
    fn presses_have_their_own_window_and_prompts_go_once() {
        let a = access(vec![], 2, 30);
        let t0 = Instant::now();
        assert_eq!(a.question(1, t0), Flood::Ask);
        assert_eq!(a.question(1, t0), Flood::Ask);
        assert_eq!(
            a.press(1, t0),
            Flood::Ask,
            "questions do not use up presses"
        );
        assert_eq!(a.press(1, t0), Flood::Ask);
        assert_eq!(a.press(1, t0), Flood::SlowDown);
        assert!(a.first_prompt(5, 10, 1));
        assert!(!a.first_prompt(5, 10, 1), "one prompt per user per answer");
        assert!(a.first_prompt(5, 10, 2) && a.first_prompt(5, 11, 1));
    }

    #[test]
    fn memory_stays_bounded() {
        let a = access(vec![1], 1, 1);
        let t0 = Instant::now();
        for user in 0..(PRUNE_AT as u64 * 3) {
            // Each user's window has passed by the time the next ones come.
            let now = t0 + Duration::from_secs(2 * (user / 1000));
            a.question(user, now);
            a.press(user, now);
        }
        let [_, questions, presses, _] = a.sizes();
        assert!(questions <= PRUNE_AT + 1000, "{questions}");
        assert!(presses <= PRUNE_AT + 1000, "{presses}");
    }
}
