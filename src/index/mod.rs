//! The searchable form of a corpus: one passage per paragraph or caption, in a
//! tantivy index held in RAM with three fields (jieba words, CJK bigrams, title
//! bigrams), plus the passages themselves for quoting.

pub mod analyzer;
mod passage;
pub mod terms;

use std::time::Instant;

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument};

pub use passage::{Passage, PassageKind};

use crate::corpus::Corpus;
use analyzer::{BigramTokenizer, JiebaTokenizer, BIGRAM_TOKENIZER, JIEBA_TOKENIZER};

/// Errors from building the index (tantivy's own, which should not happen for
/// an in-RAM index, but are reported rather than unwrapped).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// The fields of the schema; `doc` is the passage's position in [`SearchIndex::passages`].
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub doc: Field,
    pub words: Field,
    pub bigrams: Field,
    pub title: Field,
}

/// An index over one corpus, ready to search.
pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    pub passages: Vec<Passage>,
    /// Article titles with their dates, for /sources and the help text.
    pub articles: Vec<ArticleInfo>,
    /// When the index was built (health checks report its age).
    pub built_at: Instant,
}

/// What an article contributes to listings (not to ranking).
#[derive(Debug, Clone)]
pub struct ArticleInfo {
    pub id: String,
    pub title: String,
    pub source: String,
    pub date: Option<String>,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Term frequencies are enough: we never run phrase queries.
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        doc: builder.add_u64_field("doc", NumericOptions::default().set_fast()),
        words: builder.add_text_field("words", text(JIEBA_TOKENIZER)),
        bigrams: builder.add_text_field("bigrams", text(BIGRAM_TOKENIZER)),
        title: builder.add_text_field("title", text(BIGRAM_TOKENIZER)),
    };
    (builder.build(), fields)
}

impl SearchIndex {
    /// Builds the index of `corpus` in RAM.
    pub fn build(corpus: &Corpus) -> Result<SearchIndex, IndexError> {
        let passages = passage::passages_of(corpus);
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(JIEBA_TOKENIZER, JiebaTokenizer);
        index
            .tokenizers()
            .register(BIGRAM_TOKENIZER, BigramTokenizer);
        // One thread: the corpus is small and the other core keeps answering.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
        for (n, passage) in passages.iter().enumerate() {
            writer.add_document(doc!(
                fields.doc => n as u64,
                fields.words => passage.text.as_str(),
                fields.bigrams => passage.text.as_str(),
                fields.title => passage.title.as_str(),
            ))?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let articles = corpus
            .articles
            .iter()
            .map(|a| ArticleInfo {
                id: a.id.clone(),
                title: a.title.clone(),
                source: a.source.clone(),
                date: a.date.clone(),
            })
            .collect();
        Ok(SearchIndex {
            index,
            reader,
            fields,
            passages,
            articles,
            built_at: Instant::now(),
        })
    }
}
