//! Values kept across questions for one index: term-dictionary entries and
//! weighed units. Questions share most of their terms and words (four in five
//! of drcd's question bigrams were asked before), and finding one in a kept
//! table costs a fraction of looking it up or weighing it again.
//!
//! A table is bounded: shards (two threads rarely want the same lock), each
//! with a recent and an older generation — when the recent one is full it
//! becomes the older one and the former older one is dropped, so values still
//! asked for survive a turnover. Each shard remembers the segments of the
//! index its values came from and starts over for another index.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, MutexGuard};

use rustc_hash::{FxBuildHasher, FxHashMap};
use tantivy::index::SegmentId;

const SHARDS: usize = 16;

pub(super) struct Kept<K, V> {
    shards: Vec<Mutex<Shard<K, V>>>,
    /// Values a shard's generation holds.
    per_generation: usize,
}

struct Shard<K, V> {
    segments: Vec<SegmentId>,
    recent: FxHashMap<K, V>,
    older: FxHashMap<K, V>,
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    /// A table of at most `2 × 16 × per_generation` values.
    pub fn new(per_generation: usize) -> Kept<K, V> {
        let shard = || Shard {
            segments: Vec::new(),
            recent: FxHashMap::default(),
            older: FxHashMap::default(),
        };
        Kept {
            shards: (0..SHARDS).map(|_| Mutex::new(shard())).collect(),
            per_generation,
        }
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> MutexGuard<'_, Shard<K, V>> {
        let shard = &self.shards[FxBuildHasher.hash_one(key) as usize % SHARDS];
        // A panic under the lock leaves nothing half-done that matters here.
        shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value kept for `key` from the index of `segments`.
    pub fn get<Q>(&self, segments: &[SegmentId], key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let mut shard = self.shard(key);
        if shard.segments != segments {
            return None;
        }
        if let Some(value) = shard.recent.get(key) {
            return Some(value.clone());
        }
        let value = shard.older.get(key)?.clone();
        shard.keep(key.to_owned(), value.clone(), self.per_generation);
        Some(value)
    }

    /// Keeps `value` for `key`, from the index of `segments`.
    pub fn put(&self, segments: &[SegmentId], key: K, value: V) {
        let mut shard = self.shard(&key);
        if shard.segments != segments {
            shard.segments = segments.to_vec();
            shard.recent.clear();
            shard.older.clear();
        }
        shard.keep(key, value, self.per_generation);
    }
}

impl<K: Hash + Eq, V> Shard<K, V> {
    fn keep(&mut self, key: K, value: V, per_generation: usize) {
        if self.recent.len() >= per_generation {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keeps_what_is_asked_for() {
        let segments = [SegmentId::generate_random()];
        let kept: Kept<u32, u32> = Kept::new(4);
        for n in 0..1000 {
            kept.put(&segments, n, n * 2);
            // 0 is asked for all along: it survives every turnover.
            assert_eq!(kept.get(&segments, &0), Some(0));
        }
        assert_eq!(kept.get(&segments, &999), Some(1998));
        let held: usize = kept
            .shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap();
                s.recent.len() + s.older.len()
            })
            .sum();
        assert!(held <= 2 * SHARDS * 4, "{held}");
    }

    #[test]
    fn values_never_cross_indexes() {
        let (a, b) = (
            [SegmentId::generate_random()],
            [SegmentId::generate_random()],
        );
        let kept: Kept<String, u32> = Kept::new(8);
        kept.put(&a, "乌镇".to_string(), 1);
        assert_eq!(kept.get(&b, "乌镇"), None);
        kept.put(&b, "乌镇".to_string(), 2);
        assert_eq!(kept.get(&b, "乌镇"), Some(2));
        assert_eq!(kept.get(&a, "乌镇"), None);
    }
}
