//! Who the bot serves and how fast: the chat allowlist (one polite refusal,
//! then silence), admin user ids, per-user flood control (questions and reason
//! replies share one window, button presses have their own), and the "why 👎?"
//! prompts already sent (one per user per answer).
//!
//! All of it is in memory and bounded: each table drops its expired entries
//! once per window (a day for refusals and prompts), and never holds more
//! than `[access] max_tracked` entries: when full, the least recently seen
//! half is forgotten. A restart, or being forgotten, errs on the side of
//! answering.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
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

/// How long a refused chat and a sent prompt are remembered.
const REMEMBER: Duration = Duration::from_secs(86_400);

#[derive(Default)]
struct Window {
    /// When the requests still inside the window were accepted.
    asked: VecDeque<Instant>,
    told: bool,
}

/// A map whose entries expire after `ttl` and which never holds more than
/// `max` of them.
struct Bounded<K, V> {
    map: HashMap<K, V>,
    ttl: Duration,
    max: usize,
    /// When expired entries were last dropped.
    swept: Option<Instant>,
}

impl<K: Hash + Eq, V> Bounded<K, V> {
    fn new(ttl: Duration, max: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            ttl,
            max: max.max(2),
            swept: None,
        }
    }

    /// Makes room for one more entry at `now`. `seen` says when an entry was
    /// last used (`None`: nothing worth keeping). Expired entries go once per
    /// `ttl` (so a quiet table empties) or when full; if that is not enough,
    /// the least recently seen half goes.
    fn make_room(&mut self, now: Instant, seen: impl Fn(&V) -> Option<Instant>) {
        let ttl = self.ttl;
        let due = self.swept.is_none_or(|at| now.duration_since(at) >= ttl);
        if due || self.map.len() >= self.max {
            self.map
                .retain(|_, v| seen(v).is_some_and(|at| now.duration_since(at) < ttl));
            self.swept = Some(now);
        }
        if self.map.len() >= self.max {
            let mut times: Vec<Instant> = self.map.values().filter_map(&seen).collect();
            let middle = times.len() / 2;
            let cut = *times.select_nth_unstable(middle).1;
            self.map.retain(|_, v| seen(v).is_some_and(|at| at > cut));
        }
        // A burst's peak is not kept as spare room for months.
        if self.map.capacity() > 64 && self.map.len() < self.map.capacity() / 4 {
            self.map.shrink_to_fit();
        }
    }
}

/// Sliding windows per user.
struct Windows(Mutex<Bounded<u64, Window>>);

impl Windows {
    fn new(window: Duration, max: usize) -> Self {
        Windows(Mutex::new(Bounded::new(window, max)))
    }
}

/// Keys remembered for a day, within the table's bound.
struct Remembered<K>(Mutex<Bounded<K, Instant>>);

impl<K: Hash + Eq> Remembered<K> {
    fn new(max: usize) -> Self {
        Remembered(Mutex::new(Bounded::new(REMEMBER, max)))
    }

    /// Remembers `key` at `now`; `true` if it was not remembered already.
    fn insert(&self, key: K, now: Instant) -> bool {
        let mut table = lock(&self.0);
        if let Some(at) = table.map.get(&key) {
            if now.duration_since(*at) < REMEMBER {
                return false;
            }
        }
        table.make_room(now, |at| Some(*at));
        table.map.insert(key, now);
        true
    }

    fn len(&self) -> usize {
        lock(&self.0).map.len()
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
        let window = Duration::from_secs(settings.flood_window_secs);
        Access {
            allowed: settings.allowed_set(),
            admins: settings.admin_set(),
            told: Remembered::new(settings.max_tracked),
            max_questions: settings.flood_max_questions as usize,
            window: Duration::from_secs(settings.flood_window_secs),
            questions: Windows::new(window, settings.max_tracked),
            presses: Windows::new(window, settings.max_tracked),
            prompted: Remembered::new(settings.max_tracked),
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
            lock(&self.questions.0).map.len(),
            lock(&self.presses.0).map.len(),
            self.prompted.len(),
        ]
    }

    fn admit_in(&self, windows: &Windows, user: u64, now: Instant) -> Flood {
        let mut table = lock(&windows.0);
        if !table.map.contains_key(&user) {
            table.make_room(now, |w| w.asked.back().copied());
        }
        let w = table.map.entry(user).or_default();
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
        bounded_access(allowed, max, secs, AccessSettings::default().max_tracked)
    }

    fn bounded_access(allowed: Vec<i64>, max: u32, secs: u64, max_tracked: usize) -> Access {
        Access::new(&AccessSettings {
            allowed_chats: allowed,
            admins: vec![7],
            flood_max_questions: max,
            flood_window_secs: secs,
            max_tracked,
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
        const MAX: usize = 500;
        let a = bounded_access(vec![1], 1, 30, MAX);
        let t0 = Instant::now();
        // Many more users, chats and prompts than the bound, all within one
        // window and one day: nothing has expired, the bound alone holds.
        for n in 0..(MAX as u64 * 5) {
            let now = t0 + Duration::from_millis(n);
            a.question(n, now);
            a.press(n, now);
            a.admit(-(n as i64) - 2);
            a.first_prompt(-5, n as i64, n);
            let [told, questions, presses, prompted] = a.sizes();
            for (table, len) in [
                ("refusals", told),
                ("questions", questions),
                ("presses", presses),
                ("prompts", prompted),
            ] {
                assert!(len <= MAX, "{table}: {len} entries past the bound {MAX}");
            }
        }
        // The most recent users are the ones kept: the last one is still limited.
        let last = MAX as u64 * 5 - 1;
        let now = t0 + Duration::from_millis(last);
        assert_eq!(a.question(last, now), Flood::SlowDown);
    }

    #[test]
    fn quiet_flood_windows_are_dropped() {
        let a = access(vec![], 3, 30);
        let t0 = Instant::now();
        for user in 0..1000 {
            a.question(user, t0);
            a.press(user, t0);
        }
        assert_eq!(a.sizes()[1], 1000);
        // One window later the next user finds the others expired.
        let later = t0 + Duration::from_secs(31);
        a.question(5000, later);
        a.press(5000, later);
        let [_, questions, presses, _] = a.sizes();
        assert_eq!((questions, presses), (1, 1), "expired windows are swept");
    }
}
