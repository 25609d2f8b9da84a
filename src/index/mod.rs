//! The searchable form of a corpus: one passage per paragraph or caption, in a
//! tantivy index with three fields (jieba words, CJK bigrams, title bigrams),
//! plus the passages themselves for quoting.
//!
//! Two forms: built in RAM from a loaded corpus (the default, right for the
//! summit's few hundred paragraphs), or kept on disk under `[index] path`
//! ([`disk`]), where passages are stored in the index and loaded when they
//! are candidates. Callers reach passages through [`PassageStore`] either way.

pub mod analyzer;
pub mod disk;
pub mod homophone;
pub mod norms;
mod passage;
mod store;
pub mod terms;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, SchemaBuilder, TextFieldIndexing, TextOptions,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument};

pub use disk::IndexSettings;
pub use norms::{CountedNorms, Norms};
pub use passage::{Passage, PassageKind};
pub use store::PassageStore;

use crate::corpus::synonyms::Synonyms;
use crate::corpus::Corpus;
use crate::text::fold;
use analyzer::{
    span_counts, BigramTokenizer, HomophoneTokenizer, JiebaTokenizer, BIGRAM_TOKENIZER,
    HOMOPHONE_TOKENIZER, JIEBA_TOKENIZER,
};

/// Errors from building or opening the index (tantivy's own, which should not
/// happen for an in-RAM index, but are reported rather than unwrapped).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An on-disk index that cannot be served (it is rebuilt, never used).
    #[error("search index {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// The corpus an on-disk index is built from does not load.
    #[error("corpus: {0}")]
    Corpus(#[from] crate::corpus::CorpusError),
}

/// The fields of the schema; `doc` is the passage's position in [`SearchIndex::passages`].
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub doc: Field,
    pub words: Field,
    pub bigrams: Field,
    pub title: Field,
    /// Pairs of ideographs by sound (typo tolerance, a weak signal).
    pub homophones: Field,
}

/// An index over one corpus, ready to search.
pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// The passages, by position (`doc`); in RAM or loaded from the index on demand.
    pub passages: PassageStore,
    /// [`layout_hash`] of the passages: equal values mean equal passage
    /// numbering (button data made for one index is refused by another).
    pub layout: u64,
    /// Article titles with their dates, for /sources and the help text.
    pub articles: Vec<ArticleInfo>,
    /// The corpus's aliases, applied to questions.
    pub synonyms: Arc<Synonyms>,
    /// When the index was built (health checks report its age).
    pub built_at: Instant,
    /// Length norms of the fields indexed without tantivy's (in RAM only).
    pub counted_norms: Option<CountedNorms>,
}

/// What an article contributes to listings (not to ranking).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ArticleInfo {
    pub id: String,
    pub title: String,
    pub source: String,
    pub date: Option<String>,
}

/// Which fields tantivy keeps length norms for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NormKeeping {
    /// Every text field (the on-disk index).
    Tantivy,
    /// Words only; the other fields' norms are counted by us ([`norms`]).
    WordsOnly,
}

/// The searched fields; the on-disk schema adds stored fields after them.
fn schema_builder(keeping: NormKeeping) -> (SchemaBuilder, Fields) {
    let mut builder = Schema::builder();
    // Term frequencies are enough: we never run phrase queries.
    let text = |tokenizer: &str| {
        let norms = keeping == NormKeeping::Tantivy || tokenizer == JIEBA_TOKENIZER;
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs)
                .set_fieldnorms(norms),
        )
    };
    let fields = Fields {
        doc: builder.add_u64_field(DOC_FIELD, NumericOptions::default().set_fast()),
        words: builder.add_text_field("words", text(JIEBA_TOKENIZER)),
        bigrams: builder.add_text_field("bigrams", text(BIGRAM_TOKENIZER)),
        title: builder.add_text_field("title", text(BIGRAM_TOKENIZER)),
        homophones: builder.add_text_field("homophones", text(HOMOPHONE_TOKENIZER)),
    };
    (builder, fields)
}

/// The fast field holding each document's passage number.
pub const DOC_FIELD: &str = "doc";

/// Registers our analyzers on `index` under the names the schema uses.
fn register_tokenizers(index: &Index) {
    index.tokenizers().register(JIEBA_TOKENIZER, JiebaTokenizer);
    index
        .tokenizers()
        .register(BIGRAM_TOKENIZER, BigramTokenizer);
    index
        .tokenizers()
        .register(HOMOPHONE_TOKENIZER, HomophoneTokenizer);
}

impl SearchIndex {
    /// Builds the index of `corpus` in RAM.
    pub fn build(corpus: &Corpus) -> Result<SearchIndex, IndexError> {
        let (builder, fields) = schema_builder(NormKeeping::WordsOnly);
        let index = Index::create_in_ram(builder.build());
        register_tokenizers(&index);
        // Two indexing threads (tokenizing and hashing terms is most of the
        // start-up time; answers do not depend on how passages fall into
        // segments); this thread derives each passage meanwhile.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(2, 60_000_000)?;
        let mut passages = Vec::new();
        // Token counts of the fields without tantivy's norms, by passage.
        let mut counts = Vec::new();
        for (n, passage) in passage::bare_passages(corpus)
            .map(Passage::derived)
            .enumerate()
        {
            // The tokenizers take folded text (see analyzer).
            let title = fold(&passage.title);
            let (bigrams, homophones) = span_counts(&passage.folded);
            counts.push([bigrams, span_counts(&title).0, homophones]);
            writer.add_document(doc!(
                fields.doc => n as u64,
                fields.words => passage.folded.as_str(),
                fields.bigrams => passage.folded.as_str(),
                fields.title => title,
                fields.homophones => passage.folded.as_str(),
            ))?;
            passages.push(passage);
        }
        writer.commit()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let counted_norms = CountedNorms::arrange(
            &reader.searcher(),
            DOC_FIELD,
            &[fields.bigrams, fields.title, fields.homophones],
            &counts,
        )?;
        let mut layout = LayoutHash::default();
        for p in &passages {
            layout.add(p);
        }
        Ok(SearchIndex {
            index,
            reader,
            fields,
            layout: layout.finish(),
            passages: PassageStore::InMemory(passages.into_iter().map(Arc::new).collect()),
            articles: article_infos(corpus),
            synonyms: Arc::new(corpus.synonyms.clone()),
            built_at: Instant::now(),
            counted_norms: Some(counted_norms),
        })
    }

    /// The index of the corpus at `corpus`: built in RAM, or opened from (or
    /// built into) the on-disk index when `settings` names a directory.
    pub fn load(
        corpus: &std::path::Path,
        settings: &IndexSettings,
    ) -> Result<SearchIndex, IndexError> {
        match settings.on_disk() {
            None => SearchIndex::build(&Corpus::load(corpus)?),
            Some(root) => Ok(disk::open_or_build(root, corpus)?.index),
        }
    }

    /// Passage `n` (the `doc` of its index entry), if there is one.
    pub fn passage(&self, n: usize) -> Option<Arc<Passage>> {
        self.passages.get(n)
    }

    /// The paragraphs just before and after paragraph passage `n` in its
    /// article (none for captions and records). Passages are numbered in
    /// article order, so they are near `n`: only captions lie between.
    pub fn neighbours(&self, n: usize) -> (Option<Arc<Passage>>, Option<Arc<Passage>>) {
        /// Captions looked past on each side.
        const REACH: usize = 16;
        let Some(at) = self.passage(n) else {
            return (None, None);
        };
        if at.kind != PassageKind::Paragraph {
            return (None, None);
        }
        let find = |candidates: &mut dyn Iterator<Item = usize>, paragraph: usize| {
            candidates
                .filter_map(|m| self.passage(m))
                .take_while(|p| p.article_id == at.article_id)
                .find(|p| p.kind == PassageKind::Paragraph && p.paragraph == paragraph)
        };
        let before = match at.paragraph.checked_sub(1).filter(|&p| p > 0) {
            Some(p) => find(&mut (n.saturating_sub(REACH)..n).rev(), p),
            None => None,
        };
        let after = find(&mut (n + 1..n + 1 + REACH), at.paragraph + 1);
        (before, after)
    }
}

/// XXH3 over every passage's id and text length, in order: a cheap identity
/// of the passage numbering (computed while building, stored on disk).
#[derive(Default)]
pub struct LayoutHash(xxhash_rust::xxh3::Xxh3);

impl LayoutHash {
    pub fn add(&mut self, p: &Passage) {
        self.0.update(p.id.as_bytes());
        self.0.update(&(p.text.len() as u64).to_le_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.0.digest()
    }
}

fn article_infos(corpus: &Corpus) -> Vec<ArticleInfo> {
    corpus
        .articles
        .iter()
        .map(|a| ArticleInfo {
            id: a.id.clone(),
            title: a.title.clone(),
            source: a.source.clone(),
            date: a.date.clone(),
        })
        .collect()
}
