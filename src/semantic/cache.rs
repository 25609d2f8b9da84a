//! Paragraph vectors cached on disk, keyed by the model's sha256 and by each
//! paragraph's text hash: an unchanged corpus is never embedded again, and
//! after a reload only new or changed paragraphs are.
//!
//! File (`<dir>/e5-small-q4-<sha256 prefix>.vectors`, little endian):
//! magic `SBVECS01`, the model's sha256 (64 hex bytes), recipe `u32`, dim
//! `u32`, count `u64`, `count` xxh3 text hashes (`u64`), `count × dim` floats,
//! then the xxh3 of everything before it. A file that fails any check is
//! ignored and rewritten — never trusted.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use xxhash_rust::xxh3::xxh3_64;

use super::dense::DenseVectors;
use super::embedder::{Embedder, DIM};
use super::error::SemanticError;
use super::model::MODEL_SHA256;

const MAGIC: &[u8; 8] = b"SBVECS01";

/// Bumped whenever what goes into a vector changes (prefix, length caps), so
/// old files are rebuilt rather than mixed with new vectors.
const RECIPE: u32 = 1;

/// Paragraphs handed to the engine at once (it spreads them over the cores).
const BATCH: usize = 8;

/// While a large corpus is embedded, what is done is saved this often, so an
/// interrupted build resumes instead of starting over.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(30);

const HEADER_LEN: usize = 8 + 64 + 4 + 4 + 8;

/// Vectors of one corpus's paragraphs, cached under a directory.
pub struct VectorStore;

impl VectorStore {
    /// The vectors of `texts` (row `i` = `texts[i]`): those cached under
    /// `cache_dir` are reused, the others embedded (with `progress(done, total)`
    /// after each batch) and the cache rewritten. A cache that cannot be
    /// written only costs a warning; the vectors are returned anyway.
    pub fn load_or_build(
        embedder: &Embedder,
        cache_dir: &Path,
        texts: &[&str],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DenseVectors, SemanticError> {
        let path = cache_file(cache_dir);
        let stored = match fs::read(&path) {
            Ok(bytes) => parse(&bytes).unwrap_or_else(|why| {
                tracing::warn!(path = %path.display(), why, "vector cache damaged; rebuilding it");
                Cached::default()
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Cached::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the vector cache; rebuilding it");
                Cached::default()
            }
        };
        let keys: Vec<u64> = texts.iter().map(|t| xxh3_64(t.as_bytes())).collect();
        let mut known: HashMap<u64, Vec<f32>> = stored.into_map();

        // Each distinct text not cached yet, once.
        let mut missing: Vec<usize> = Vec::new();
        let mut queued: std::collections::HashSet<u64> = Default::default();
        for (i, key) in keys.iter().enumerate() {
            if !known.contains_key(key) && queued.insert(*key) {
                missing.push(i);
            }
        }
        let reused = texts.len() - missing.len();
        let total = missing.len();
        let mut last_save = Instant::now();
        if total > 0 {
            progress(0, total);
        }
        for (done_batches, batch) in missing.chunks(BATCH).enumerate() {
            let batch_texts: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
            let flat = embedder.embed_passages(&batch_texts);
            for (&i, row) in batch.iter().zip(flat.chunks_exact(DIM)) {
                known.insert(keys[i], row.to_vec());
            }
            let done = (done_batches * BATCH + batch.len()).min(total);
            progress(done, total);
            if done < total && last_save.elapsed() >= CHECKPOINT_EVERY {
                save(&path, &keys, &known);
                last_save = Instant::now();
            }
        }

        let mut data = Vec::with_capacity(texts.len() * DIM);
        for key in &keys {
            match known.get(key) {
                Some(row) => data.extend_from_slice(row),
                None => data.extend(std::iter::repeat_n(0.0, DIM)),
            }
        }
        let unchanged = total == 0 && known.len() == keys.len() && fs::metadata(&path).is_ok();
        if !unchanged {
            save(&path, &keys, &known);
        }
        tracing::info!(
            paragraphs = texts.len(),
            reused,
            embedded = total,
            "paragraph vectors ready"
        );
        Ok(DenseVectors::new(DIM, data))
    }

    /// Where the vectors for this model live under `cache_dir`.
    pub fn cache_path(cache_dir: &Path) -> PathBuf {
        cache_file(cache_dir)
    }
}

fn cache_file(cache_dir: &Path) -> PathBuf {
    cache_dir.join(format!("e5-small-q4-{}.vectors", &MODEL_SHA256[..16]))
}

/// What a valid cache file holds.
#[derive(Default)]
struct Cached {
    keys: Vec<u64>,
    vectors: Vec<f32>,
}

impl Cached {
    fn into_map(self) -> HashMap<u64, Vec<f32>> {
        self.keys
            .into_iter()
            .zip(self.vectors.chunks_exact(DIM).map(<[f32]>::to_vec))
            .collect()
    }
}

/// Reads a cache file, or says why it cannot be trusted.
fn parse(bytes: &[u8]) -> Result<Cached, &'static str> {
    if bytes.len() < HEADER_LEN + 8 {
        return Err("truncated header");
    }
    let (body, trailer) = bytes.split_at(bytes.len() - 8);
    if xxh3_64(body) != u64::from_le_bytes(trailer.try_into().map_err(|_| "trailer")?) {
        return Err("checksum mismatch (truncated or damaged)");
    }
    if &body[..8] != MAGIC {
        return Err("not a vector cache");
    }
    if &body[8..72] != MODEL_SHA256.as_bytes() {
        return Err("made by another model");
    }
    let u32_at = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap_or([0; 4]));
    if u32_at(72) != RECIPE || u32_at(76) as usize != DIM {
        return Err("made by another recipe");
    }
    let count = u64::from_le_bytes(body[80..88].try_into().unwrap_or([0; 8]));
    let expected = (count as u128) * (8 + 4 * DIM as u128) + HEADER_LEN as u128;
    if expected != body.len() as u128 {
        return Err("length does not match its count");
    }
    let count = count as usize;
    let key_bytes = &body[HEADER_LEN..HEADER_LEN + 8 * count];
    let keys = key_bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect();
    let vectors: Vec<f32> = body[HEADER_LEN + 8 * count..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
        .collect();
    if vectors.iter().any(|x| !x.is_finite()) {
        return Err("non-finite value");
    }
    Ok(Cached { keys, vectors })
}

/// Writes the vectors of `keys` that are known, atomically (temporary file,
/// then rename); failure is logged, not returned.
fn save(path: &Path, keys: &[u64], known: &HashMap<u64, Vec<f32>>) {
    if let Err(e) = write_atomically(path, &encode(keys, known)) {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the vector cache");
    }
}

fn encode(keys: &[u64], known: &HashMap<u64, Vec<f32>>) -> Vec<u8> {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<(u64, &Vec<f32>)> = keys
        .iter()
        .filter(|k| seen.insert(**k))
        .filter_map(|k| known.get(k).map(|v| (*k, v)))
        .collect();
    let mut out = Vec::with_capacity(HEADER_LEN + rows.len() * (8 + 4 * DIM) + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(MODEL_SHA256.as_bytes());
    out.extend_from_slice(&RECIPE.to_le_bytes());
    out.extend_from_slice(&(DIM as u32).to_le_bytes());
    out.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    for (key, _) in &rows {
        out.extend_from_slice(&key.to_le_bytes());
    }
    for (_, row) in &rows {
        for x in row.iter() {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    let checksum = xxh3_64(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_any_damage_is_refused() {
        let mut known = HashMap::new();
        known.insert(7u64, vec![0.5f32; DIM]);
        known.insert(9u64, vec![-0.25f32; DIM]);
        let bytes = encode(&[9, 7, 9], &known);
        let back = parse(&bytes).expect("valid file");
        assert_eq!(back.keys, vec![9, 7]);
        assert_eq!(back.into_map(), known);
        for cut in [0, 10, HEADER_LEN, bytes.len() - 1] {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN + 20] ^= 1;
        assert!(parse(&flipped).is_err());
    }
}
