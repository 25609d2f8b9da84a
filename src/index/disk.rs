//! The index on disk, for corpora too large to index at every start.
//!
//! Under the configured directory (`[index] path`) each index lives in a
//! subdirectory named by its fingerprint: a hash of the corpus files (names,
//! sizes, contents) and of [`FORMAT`]. An unchanged corpus reopens in
//! milliseconds; a changed one is built into a `.building-*` directory, which
//! gets a completion marker last and is then renamed into place, so a crash
//! mid-build leaves nothing that looks finished. Before serving, an index is
//! checked (marker, tantivy opens it, document count, passage numbering);
//! one that fails is logged, removed and rebuilt, never served. Indexes of
//! other fingerprints are removed once the current one is in place.
//!
//! Passages are stored in the index (id, article, title, paragraph, kind,
//! source, date, text) and read when they become candidates, so opening does
//! not touch the corpus beyond hashing it.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tantivy::schema::{NumericOptions, TextOptions};
use tantivy::{DocAddress, Index, ReloadPolicy, TantivyDocument};

use super::store::{OnDisk, StoredFields};
use super::{
    article_infos, passage, register_tokenizers, schema_builder, ArticleInfo, Fields, IndexError,
    LayoutHash, NormKeeping, PassageStore, SearchIndex,
};
use crate::corpus::synonyms::Synonyms;
use crate::corpus::{self, Corpus};
use crate::text::fold;

/// Version of everything that shapes an index besides the corpus: schema,
/// analyzers, passage splitting, stored fields. Bump it when any of them
/// changes, and every index is rebuilt.
pub const FORMAT: &str = "summit-index/2 jieba-rs 0.11 tantivy 0.27 pinyin 0.11";

/// Written last into a finished index directory.
const MARKER: &str = "COMPLETE.json";
/// The article list (for /sources and the help text).
const ARTICLES: &str = "articles.json";
/// Prefix of directories being built.
const BUILDING: &str = ".building-";
/// A `.building-*` directory older than this is left over from a crash.
const ABANDONED: Duration = Duration::from_secs(6 * 3600);

/// Passages from which the index is built by several threads.
const PARALLEL_FROM: usize = 20_000;
/// Indexing memory per writer thread.
const WRITER_BYTES: usize = 96 << 20;

/// Where the index lives (config section `[index]`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexSettings {
    /// Directory of on-disk indexes; empty = build the index in RAM at start.
    pub path: PathBuf,
}

impl IndexSettings {
    /// The index directory, when the index is kept on disk.
    pub fn on_disk(&self) -> Option<&Path> {
        (!self.path.as_os_str().is_empty()).then_some(self.path.as_path())
    }
}

/// The completion marker's content, also the summary of a build.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    pub format: String,
    pub fingerprint: String,
    /// Articles (JSONL records count as articles).
    pub documents: usize,
    /// Passages: paragraphs, captions or records.
    pub paragraphs: usize,
    /// [`LayoutHash`] of the passages.
    pub layout: u64,
}

/// An on-disk index ready to serve, and how it came to be.
pub struct Opened {
    pub index: SearchIndex,
    /// True when it was built now, false when an existing one was reopened.
    pub rebuilt: bool,
    /// Its directory.
    pub dir: PathBuf,
    pub marker: Marker,
}

/// The fingerprint of the corpus at `corpus` (hex): what an index built from
/// it is named by.
pub fn fingerprint(corpus: &Path) -> Result<String, IndexError> {
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    hash.update(FORMAT.as_bytes());
    let mut buffer = vec![0u8; 1 << 20];
    for file in corpus::source_files(corpus)? {
        let io = |source| IndexError::Io {
            path: file.clone(),
            source,
        };
        let name = file
            .file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or(b"");
        let mut reader = File::open(&file).map_err(io)?;
        let size = reader.metadata().map_err(io)?.len();
        hash.update(&(name.len() as u64).to_le_bytes());
        hash.update(name);
        hash.update(&size.to_le_bytes());
        // Streamed: hashing must not hold a large corpus in memory.
        loop {
            let n = reader.read(&mut buffer).map_err(io)?;
            if n == 0 {
                break;
            }
            hash.update(&buffer[..n]);
        }
    }
    Ok(format!("{:032x}", hash.digest128()))
}

/// Opens the index of `corpus` under `root`, building it first when there is
/// none for the corpus as it is now, or the one there is unusable.
pub fn open_or_build(root: &Path, corpus: &Path) -> Result<Opened, IndexError> {
    open_or_build_with(root, corpus, &mut |_, _| {})
}

/// [`open_or_build`], calling `progress(done, total)` as passages are indexed.
/// The synonyms beside the corpus are read at every open (they are not part of
/// the index: editing them never rebuilds it).
pub fn open_or_build_with(
    root: &Path,
    corpus: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Opened, IndexError> {
    let synonyms = Arc::new(Synonyms::load_beside(corpus)?);
    let mut opened = open_or_build_index(root, corpus, progress)?;
    opened.index.synonyms = synonyms;
    Ok(opened)
}

fn open_or_build_index(
    root: &Path,
    corpus: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Opened, IndexError> {
    std::fs::create_dir_all(root).map_err(io_at(root))?;
    let fingerprint = fingerprint(corpus)?;
    let dir = root.join(&fingerprint);
    if dir.exists() {
        match open(&dir, &fingerprint) {
            Ok((index, marker)) => {
                remove_others(root, &fingerprint);
                return Ok(Opened {
                    index,
                    rebuilt: false,
                    dir,
                    marker,
                });
            }
            Err(err) => {
                tracing::warn!(dir = %dir.display(), error = %err, "on-disk index unusable; rebuilding it");
                discard(root, &dir)?;
            }
        }
    }
    let started = Instant::now();
    let loaded = Corpus::load(corpus)?;
    let building = root.join(format!(
        "{BUILDING}{fingerprint}-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    if let Err(err) = build(&building, &loaded, &fingerprint, progress) {
        let _ = std::fs::remove_dir_all(&building);
        return Err(err);
    }
    drop(loaded);
    if let Err(err) = std::fs::rename(&building, &dir) {
        // Another process finished the same index first: use theirs.
        let _ = std::fs::remove_dir_all(&building);
        if !dir.join(MARKER).exists() {
            return Err(IndexError::Io {
                path: dir.clone(),
                source: err,
            });
        }
    }
    sync_dir(root);
    let (index, marker) = open(&dir, &fingerprint)?;
    tracing::info!(
        dir = %dir.display(),
        paragraphs = marker.paragraphs,
        seconds = started.elapsed().as_secs_f32(),
        "on-disk index built"
    );
    remove_others(root, &fingerprint);
    Ok(Opened {
        index,
        rebuilt: true,
        dir,
        marker,
    })
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The on-disk schema: the searched fields, then the stored passage fields.
fn disk_schema() -> (tantivy::schema::Schema, Fields, StoredFields) {
    let (mut builder, fields) = schema_builder(NormKeeping::Tantivy);
    let text = || TextOptions::default().set_stored();
    let number = || NumericOptions::default().set_stored();
    let stored = StoredFields {
        id: builder.add_text_field("p_id", text()),
        article_id: builder.add_text_field("p_article", text()),
        title: builder.add_text_field("p_title", text()),
        paragraph: builder.add_u64_field("p_paragraph", number()),
        kind: builder.add_u64_field("p_kind", number()),
        source: builder.add_text_field("p_source", text()),
        date: builder.add_text_field("p_date", text()),
        text: builder.add_text_field("p_text", text()),
    };
    (builder.build(), fields, stored)
}

/// Builds the index of `corpus` into the new directory `dir`, marker last.
fn build(
    dir: &Path,
    corpus: &Corpus,
    fingerprint: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(), IndexError> {
    std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    let (schema, fields, stored) = disk_schema();
    let index = Index::create_in_dir(dir, schema)?;
    register_tokenizers(&index);
    let total: usize = corpus.articles.iter().map(|a| a.blocks.len()).sum();
    // A small corpus is indexed by one thread into one segment, in passage
    // order, exactly like the in-RAM index: BM25 ties are broken by document
    // address, so its answers are the same to the last tie. Large corpora
    // take the speed of more threads; ties among them (duplicate texts) may
    // then come out in another order.
    let threads = if total < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
    };
    let mut writer =
        index.writer_with_num_threads::<TantivyDocument>(threads, threads * WRITER_BYTES)?;
    let mut layout = LayoutHash::default();
    for (n, p) in passage::bare_passages(corpus).enumerate() {
        layout.add(&p);
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.doc, n as u64);
        // The tokenizers take folded text (see analyzer).
        let folded = fold(&p.text);
        doc.add_text(fields.words, &folded);
        doc.add_text(fields.bigrams, &folded);
        doc.add_text(fields.title, fold(&p.title));
        doc.add_text(fields.homophones, &folded);
        doc.add_text(stored.id, &p.id);
        doc.add_text(stored.article_id, &p.article_id);
        doc.add_text(stored.title, &p.title);
        doc.add_u64(stored.paragraph, p.paragraph as u64);
        doc.add_u64(stored.kind, p.kind.code());
        doc.add_text(stored.source, &p.source);
        if let Some(date) = &p.date {
            doc.add_text(stored.date, date);
        }
        doc.add_text(stored.text, &p.text);
        writer.add_document(doc)?;
        if (n + 1) % 1000 == 0 {
            progress(n + 1, total);
        }
    }
    progress(total, total);
    writer.commit()?;
    // One segment: every question looks each of its terms up in every
    // segment's dictionary and sets up postings per segment (at 100,000
    // paragraphs in 6 segments that was a tenth of the time). The index is
    // built once and served for months, so the merge is worth its seconds.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    // Merges run in the background: the directory must be final before it
    // is marked complete.
    writer.wait_merging_threads()?;

    let articles = article_infos(corpus);
    write_synced(
        &dir.join(ARTICLES),
        &serde_json::to_vec(&articles).expect("articles serialise"),
    )?;
    let marker = Marker {
        format: FORMAT.to_string(),
        fingerprint: fingerprint.to_string(),
        documents: articles.len(),
        paragraphs: total,
        layout: layout.finish(),
    };
    // Every tantivy file is synced by tantivy on commit; the marker goes last.
    write_synced(
        &dir.join(MARKER),
        &serde_json::to_vec_pretty(&marker).expect("marker serialises"),
    )?;
    sync_dir(dir);
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let mut file = File::create(path).map_err(io_at(path))?;
    file.write_all(bytes).map_err(io_at(path))?;
    file.sync_all().map_err(io_at(path))
}

/// Makes a rename or a new file in `dir` durable (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Opens the finished index in `dir` after checking it can be served.
pub fn open(dir: &Path, fingerprint: &str) -> Result<(SearchIndex, Marker), IndexError> {
    let invalid = |message: String| IndexError::Invalid {
        path: dir.to_path_buf(),
        message,
    };
    let marker: Marker = match std::fs::read(dir.join(MARKER)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("unreadable completion marker: {e}")))?,
        Err(_) => return Err(invalid("no completion marker (half-written)".into())),
    };
    if marker.format != FORMAT || marker.fingerprint != fingerprint {
        return Err(invalid(format!(
            "built for {} / {}, expected {FORMAT} / {fingerprint}",
            marker.format, marker.fingerprint
        )));
    }
    let index = Index::open_in_dir(dir)?;
    register_tokenizers(&index);
    let schema = index.schema();
    let field = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| invalid(format!("no field {name}")))
    };
    let fields = Fields {
        doc: field("doc")?,
        words: field("words")?,
        bigrams: field("bigrams")?,
        title: field("title")?,
        homophones: field("homophones")?,
    };
    let stored = StoredFields {
        id: field("p_id")?,
        article_id: field("p_article")?,
        title: field("p_title")?,
        paragraph: field("p_paragraph")?,
        kind: field("p_kind")?,
        source: field("p_source")?,
        date: field("p_date")?,
        text: field("p_text")?,
    };
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    if searcher.num_docs() as usize != marker.paragraphs {
        return Err(invalid(format!(
            "{} documents, the marker says {}",
            searcher.num_docs(),
            marker.paragraphs
        )));
    }
    let articles: Vec<ArticleInfo> = std::fs::read(dir.join(ARTICLES))
        .map_err(|e| invalid(format!("{ARTICLES}: {e}")))
        .and_then(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("{ARTICLES}: {e}")))
        })?;
    if articles.len() != marker.documents {
        return Err(invalid(format!(
            "{} articles listed, the marker says {}",
            articles.len(),
            marker.documents
        )));
    }
    // Passage number → document, each number exactly once.
    let mut addresses: Vec<Option<DocAddress>> = vec![None; marker.paragraphs];
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let column = segment.fast_fields().u64("doc")?;
        for doc_id in 0..segment.max_doc() {
            if segment.is_deleted(doc_id) {
                continue;
            }
            let slot = column
                .first(doc_id)
                .and_then(|n| addresses.get_mut(n as usize));
            match slot {
                Some(slot @ None) => *slot = Some(DocAddress::new(ord as u32, doc_id)),
                _ => return Err(invalid("passage numbers missing or repeated".into())),
            }
        }
    }
    let addresses = addresses
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| invalid("passage numbers missing".into()))?;
    let passages = PassageStore::OnDisk(OnDisk::new(searcher, stored, addresses));
    Ok((
        SearchIndex {
            index,
            reader,
            fields,
            layout: marker.layout,
            passages,
            articles,
            synonyms: Default::default(),
            built_at: Instant::now(),
            counted_norms: None,
        },
        marker,
    ))
}

/// Removes the unusable index `dir` (renamed away first, so that nothing
/// half-removed can be mistaken for it).
fn discard(root: &Path, dir: &Path) -> Result<(), IndexError> {
    let trash = root.join(format!(
        "{BUILDING}discarded-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::rename(dir, &trash).map_err(io_at(dir))?;
    let _ = std::fs::remove_dir_all(&trash);
    Ok(())
}

/// Removes the indexes of other fingerprints and abandoned builds under
/// `root`; nothing else there is touched.
fn remove_others(root: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let index_dir = name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit());
        let abandoned = name.starts_with(BUILDING)
            && (name.starts_with(&format!("{BUILDING}discarded-"))
                || entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > ABANDONED));
        if (index_dir && name != keep) || abandoned {
            match std::fs::remove_dir_all(entry.path()) {
                Ok(()) => tracing::info!(dir = %entry.path().display(), "removed an old index"),
                Err(err) => {
                    tracing::warn!(dir = %entry.path().display(), error = %err, "cannot remove an old index")
                }
            }
        }
    }
}

/// Bytes under `dir` (the size of an index on disk).
pub fn size_on_disk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
