//! One way to reach passages, wherever they live.
//!
//! A small corpus keeps every passage in RAM with its derived data (sentences,
//! folded text, term map) computed once: a question touches about ten of them
//! and nothing is faster. A large on-disk corpus cannot: at 100 000 paragraphs
//! the term maps alone would take ~600 MB. There a passage is read from the
//! index's document store when it becomes a candidate, derived then, and kept
//! in a bounded cache (popular passages stay warm, memory stays flat).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::{Passage, PassageKind};

/// Passages by position (the `doc` field of their index entry).
pub enum PassageStore {
    /// Every passage, derived, in RAM.
    InMemory(Vec<Arc<Passage>>),
    /// Passages read from an on-disk index on demand.
    OnDisk(OnDisk),
}

impl PassageStore {
    pub fn len(&self) -> usize {
        match self {
            PassageStore::InMemory(all) => all.len(),
            PassageStore::OnDisk(disk) => disk.addresses.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Passage `n`, if there is one. On disk, a read failure is logged and
    /// reported as no passage (the index was checked when it was opened).
    pub fn get(&self, n: usize) -> Option<Arc<Passage>> {
        match self {
            PassageStore::InMemory(all) => all.get(n).cloned(),
            PassageStore::OnDisk(disk) => disk.get(n),
        }
    }

    /// Every passage in order. On disk this reads the whole store: for
    /// occasional whole-corpus work, never per question.
    pub fn iter(&self) -> impl Iterator<Item = Arc<Passage>> + '_ {
        (0..self.len()).filter_map(|n| self.get(n))
    }
}

impl<'a> IntoIterator for &'a PassageStore {
    type Item = Arc<Passage>;
    type IntoIter = Box<dyn Iterator<Item = Arc<Passage>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// The stored fields an on-disk passage is rebuilt from.
#[derive(Debug, Clone, Copy)]
pub struct StoredFields {
    pub id: Field,
    pub article_id: Field,
    pub title: Field,
    pub paragraph: Field,
    pub kind: Field,
    pub source: Field,
    pub date: Field,
    pub text: Field,
}

/// Passages of an on-disk index: where each one is, and a cache of the
/// recently used ones.
pub struct OnDisk {
    searcher: Searcher,
    fields: StoredFields,
    /// Passage number → its document (segments do not keep insertion order
    /// once merged, so this is read from the `doc` fast field at open).
    addresses: Vec<DocAddress>,
    cache: Mutex<Cache>,
}

/// Passages kept derived; about 10-15 KB each. A corpus of up to half this
/// many passages stays derived whole (drcd's 2,000: at 2,048 half the
/// instructions of 1,000 questions went to deriving passages evicted earlier).
const CACHE_PASSAGES: usize = 4096;

impl OnDisk {
    pub fn new(searcher: Searcher, fields: StoredFields, addresses: Vec<DocAddress>) -> OnDisk {
        OnDisk {
            searcher,
            fields,
            addresses,
            cache: Mutex::new(Cache::new(CACHE_PASSAGES)),
        }
    }

    fn get(&self, n: usize) -> Option<Arc<Passage>> {
        let address = *self.addresses.get(n)?;
        if let Some(hit) = self.cache.lock().ok()?.get(n) {
            return Some(hit);
        }
        // Read and derive outside the lock: two threads may both derive the
        // same passage, which is harmless.
        let passage = match self.read(address) {
            Ok(p) => Arc::new(p.derived()),
            Err(err) => {
                tracing::error!(passage = n, error = %err, "cannot read a passage from the index");
                return None;
            }
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(n, passage.clone());
        }
        Some(passage)
    }

    fn read(&self, address: DocAddress) -> Result<Passage, String> {
        let doc: TantivyDocument = self.searcher.doc(address).map_err(|e| e.to_string())?;
        let f = &self.fields;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let number = |field: Field| doc.get_first(field).and_then(|v| v.as_u64());
        let missing = |what: &str| format!("document {address:?} has no {what}");
        let kind = number(f.kind)
            .and_then(PassageKind::from_code)
            .ok_or_else(|| missing("kind"))?;
        Ok(Passage::bare(
            text(f.id).ok_or_else(|| missing("id"))?,
            text(f.article_id).ok_or_else(|| missing("article id"))?,
            text(f.title).ok_or_else(|| missing("title"))?,
            number(f.paragraph).ok_or_else(|| missing("paragraph"))? as usize,
            kind,
            text(f.source).unwrap_or_default(),
            text(f.date),
            text(f.text).ok_or_else(|| missing("text"))?,
        ))
    }
}

/// A bounded cache of two generations: lookups promote into the current one;
/// when it is full the previous one is dropped. Cheaper than an exact LRU and
/// as good for this (hot passages survive every turnover).
struct Cache {
    capacity: usize,
    current: HashMap<usize, Arc<Passage>>,
    previous: HashMap<usize, Arc<Passage>>,
}

impl Cache {
    fn new(capacity: usize) -> Cache {
        Cache {
            capacity: capacity.max(2),
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    fn get(&mut self, n: usize) -> Option<Arc<Passage>> {
        if let Some(hit) = self.current.get(&n) {
            return Some(hit.clone());
        }
        let hit = self.previous.remove(&n)?;
        self.put(n, hit.clone());
        Some(hit)
    }

    fn put(&mut self, n: usize, passage: Arc<Passage>) {
        if self.current.len() >= self.capacity / 2 {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(n, passage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(n: usize) -> Arc<Passage> {
        Arc::new(Passage::bare(
            n.to_string(),
            "a".into(),
            "t".into(),
            n,
            PassageKind::Paragraph,
            String::new(),
            None,
            "正文。".into(),
        ))
    }

    #[test]
    fn cache_is_bounded_and_keeps_hot_entries() {
        let mut cache = Cache::new(4);
        cache.put(0, passage(0));
        for n in 1..100 {
            cache.put(n, passage(n));
            // Passage 0 is asked for all the time: it stays.
            assert!(cache.get(0).is_some(), "hot passage evicted at {n}");
            assert!(cache.current.len() + cache.previous.len() <= 4);
        }
        cache.put(1000, passage(1000));
        assert!(cache.get(1000).is_some());
        assert!(cache.get(1).is_none());
    }
}
