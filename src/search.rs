//! Question → ranked passages → the best quote, or an honest "not in the corpus".
//!
//! Ranking is lexical and two-staged:
//! 1. tantivy BM25 over an OR of the question's terms — jieba words (0.5), CJK
//!    bigrams (0.5) and title bigrams (0.3) — built from tokens, never through
//!    tantivy's QueryParser (which turns a Chinese question into a phrase query
//!    and would also interpret `AND OR ( " :` typed by users);
//! 2. the top candidates are re-ranked by how much of the question's idf weight
//!    their best sentence covers (`bm25 / best_bm25 + 0.5 × coverage`).
//!
//! Abstention uses the same coverage: if the best passage holds too little of
//! the question's weight, the corpus does not answer it.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, Term};

use crate::corpus::Corpus;
use crate::index::analyzer::{bigram_terms_folded, cut_folded, word_terms_folded};
use crate::index::terms::unit_terms;
use crate::index::{IndexError, Passage, PassageKind, SearchIndex};
use crate::text::{char_len, fold, is_han, tidy};

/// Tunable parts of ranking and answering (config section `[search]`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// Passages returned per question, best first.
    pub max_passages: usize,
    /// Relevance (mean of keyword coverage and unit coverage) the best passage
    /// must reach to be quoted; below it the engine abstains.
    pub min_relevance: f32,
    /// Keyword coverage the best passage must reach as well.
    pub min_keyword_coverage: f32,
    /// Share a further passage must hold to be listed after the best one.
    pub min_extra_coverage: f32,
    /// Longest quote, in chars.
    pub quote_chars: usize,
    /// Candidates taken from BM25 for re-ranking.
    pub candidates: usize,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            max_passages: 5,
            min_relevance: 0.33,
            min_keyword_coverage: 0.25,
            min_extra_coverage: 0.3,
            quote_chars: 160,
            candidates: 10,
        }
    }
}

/// Field weights of the BM25 stage (see module docs and FINDINGS).
const WORDS_BOOST: f32 = 0.5;
const BIGRAMS_BOOST: f32 = 0.5;
const TITLE_BOOST: f32 = 0.3;
/// Weight of the best sentence's coverage in the final score.
const SENTENCE_WEIGHT: f32 = 0.5;
/// Bonus of a sentence that has the kind of thing the question asks for.
const CUE_BONUS: f32 = 0.1;
/// Only this much of a question is analysed: a 10 000-character paste still
/// gets an answer, in bounded time.
const MAX_ANALYSED_CHARS: usize = 500;
/// At most this many distinct terms per field go into the query.
const MAX_TERMS: usize = 64;

/// Words that make a question a question; they say nothing about the answer.
/// Longest first, so that 什么时候 is removed before 什么.
const QUESTION_WORDS: &[&str] = &[
    "什么时候",
    "为什么",
    "什么样",
    "怎么样",
    "是什么",
    "有什么",
    "有哪些",
    "是哪些",
    "是哪个",
    "是多少",
    "是谁",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "哪里",
    "哪儿",
    "哪些",
    "哪个",
    "哪位",
    "哪天",
    "哪年",
    "哪家",
    "多少",
    "何时",
    "何地",
    "何处",
    "为何",
    "是否",
    "哪",
    "谁",
    "几",
    "吗",
    "呢",
    "吧",
    "么",
];

/// Function words dropped from the jieba side only (bigrams keep them: they
/// glue useful bigrams together, and dropping them measurably hurt).
const STOP_WORDS: &[&str] = &[
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "对", "于",
    "中", "有", "为", "以", "之", "其", "这", "那", "这个", "那个", "一个", "我", "你", "他", "她",
    "它", "我们", "你们", "他们", "请问", "请", "告诉", "一下", "知道", "呀", "啊", "哦", "嗯",
    "得", "地", "着", "过", "给", "让", "会", "能", "要", "想", "说说", "介绍",
];

/// Messages that are a greeting or a plea for help rather than a question.
const GREETINGS: &[&str] = &[
    "你好",
    "您好",
    "你好啊",
    "hi",
    "hello",
    "hey",
    "嗨",
    "哈喽",
    "在吗",
    "在不在",
    "help",
    "帮助",
    "怎么用",
    "使用说明",
    "早上好",
    "晚上好",
    "下午好",
    "谢谢",
    "多谢",
    "start",
];

/// What became of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one relevant passage.
    Answered,
    /// Nothing in the corpus is relevant enough.
    NotFound,
    /// A greeting or a request for help: show the help text.
    Greeting,
    /// Nothing to search for (empty, punctuation, emoji only).
    Empty,
}

/// One quoted passage of an answer.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub paragraph: usize,
    pub kind: PassageKind,
    pub text: String,
    /// The best sentence (grown by neighbours up to the quote limit), from `text`.
    pub quote: String,
    /// Byte ranges of `quote` that match the question (for bold type).
    #[serde(skip)]
    pub highlights: Vec<Range<usize>>,
    /// Byte range of `quote` holding the single best sentence: the answer line
    /// of a reply (the quote around it adds neighbouring sentences).
    #[serde(skip)]
    pub answer: Range<usize>,
    /// The passage's index in the engine (for "more context" lookups).
    #[serde(skip)]
    pub passage: usize,
    pub score: f32,
    /// Share of the question's weight this passage holds.
    #[serde(skip)]
    pub coverage: f32,
    pub citation: String,
}

/// The engine's answer to one question.
#[derive(Debug, Clone)]
pub struct Answer {
    pub question: String,
    pub outcome: Outcome,
    pub passages: Vec<Hit>,
    /// Of the best candidate, also when the engine abstained.
    pub relevance: Relevance,
}

impl Hit {
    /// The best sentence, and the highlights inside it relative to it.
    pub fn answer_sentence(&self) -> (&str, Vec<Range<usize>>) {
        let range = self.answer.clone();
        let text = self.quote.get(range.clone()).unwrap_or(&self.quote);
        let highlights = self
            .highlights
            .iter()
            .filter(|h| h.start >= range.start && h.end <= range.end)
            .map(|h| h.start - range.start..h.end - range.start)
            .collect();
        (text, highlights)
    }
}

impl Answer {
    pub fn answered(&self) -> bool {
        self.outcome == Outcome::Answered
    }

    /// The best coverage among candidates (logged, also when abstaining).
    pub fn top_score(&self) -> f32 {
        self.passages.first().map_or(0.0, |h| h.score)
    }
}

/// The answer engine over one corpus. Cheap to share behind an `Arc`; every
/// method takes `&self`.
pub struct Engine {
    index: SearchIndex,
    settings: SearchSettings,
}

/// A piece of the question used to measure how much of it a sentence holds.
#[derive(Debug)]
struct Unit {
    /// Folded text (highlights find it in quotes).
    text: String,
    /// Its term hashes, looked up in passages' [`TermMap`]s.
    terms: Vec<u32>,
    weight: f32,
    /// Long enough to mean something on its own (2+ chars).
    content: bool,
}

/// What the question asks for, from its question words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Number,
    Time,
    None,
}

/// The analysed question: terms for tantivy, units for coverage.
struct Analysis {
    words: Vec<String>,
    bigrams: Vec<String>,
    units: Vec<Unit>,
    /// The question's content words (precise cut), for relevance.
    keywords: Vec<Unit>,
    cue: Cue,
}

/// How well the best candidate matches the question, whatever the outcome.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Relevance {
    /// Share of the idf weight of all units (words and bigrams) it holds.
    pub coverage: f32,
    /// Share of the idf weight of the question's content words it holds (a
    /// long word missing from the passage earns the share of its bigrams present).
    pub keyword_coverage: f32,
}

impl Relevance {
    /// The one number abstention is decided on (calibrated on drcd/cmrc2018 dev
    /// questions against their own corpus and against each other's).
    pub fn score(&self) -> f32 {
        0.5 * (self.coverage + self.keyword_coverage)
    }
}

impl Engine {
    /// Builds the engine (and its index) for `corpus`.
    pub fn new(corpus: &Corpus, settings: SearchSettings) -> Result<Engine, IndexError> {
        Ok(Engine {
            index: SearchIndex::build(corpus)?,
            settings,
        })
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    pub fn settings(&self) -> &SearchSettings {
        &self.settings
    }

    /// Builds the engine over an index already built or opened (on disk: see
    /// [`crate::index::disk`]).
    pub fn with_index(index: SearchIndex, settings: SearchSettings) -> Engine {
        Engine { index, settings }
    }

    pub fn passage(&self, n: usize) -> Option<Arc<Passage>> {
        self.index.passage(n)
    }

    /// Answers one question. Never panics on any input; the worst case is
    /// `Outcome::Empty` or `Outcome::NotFound`.
    pub fn ask(&self, question: &str) -> Answer {
        self.ask_with(question, self.settings.max_passages)
    }

    /// [`Engine::ask`] returning up to `max_passages` passages instead of the
    /// configured number (inline mode and "more sources" list more).
    pub fn ask_with(&self, question: &str, max_passages: usize) -> Answer {
        let tidy_question = tidy(question);
        let analysed: String = strip_tags(&tidy_question)
            .chars()
            .take(MAX_ANALYSED_CHARS)
            .collect();
        let folded = fold(&analysed);
        let mut answer = Answer {
            question: tidy_question,
            outcome: Outcome::Empty,
            passages: Vec::new(),
            relevance: Relevance::default(),
        };
        let bare: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        if bare.is_empty() {
            return answer;
        }
        if is_greeting(&folded) {
            answer.outcome = Outcome::Greeting;
            return answer;
        }
        let searcher = self.index.reader.searcher();
        let analysis = self.analyse(&folded, &searcher);
        answer.outcome = Outcome::NotFound;
        if analysis.units.is_empty() {
            return answer;
        }
        let hits = match self.rank(&analysis, &searcher) {
            Ok(hits) => hits,
            Err(err) => {
                tracing::error!(%err, "search failed");
                return answer;
            }
        };
        let Some(best) = hits.first() else {
            return answer;
        };
        answer.relevance = Relevance {
            coverage: best.coverage,
            keyword_coverage: best.keyword_coverage,
        };
        let relevant = answer.relevance.score() >= self.settings.min_relevance
            && best.keyword_coverage >= self.settings.min_keyword_coverage
            && best.content_matched;
        if !relevant {
            return answer;
        }
        answer.outcome = Outcome::Answered;
        let mut chosen: Vec<Hit> = Vec::new();
        for ranked in hits {
            if chosen.len() >= max_passages {
                break;
            }
            if !chosen.is_empty() && ranked.coverage < self.settings.min_extra_coverage {
                continue;
            }
            let Some(hit) = self.hit(&ranked, &analysis) else {
                continue;
            };
            let Some(passage) = self.passage(hit.passage) else {
                continue;
            };
            if chosen.iter().any(|c| {
                self.passage(c.passage)
                    .is_some_and(|pc| says_the_same(c, &pc, &hit, &passage))
            }) {
                continue;
            }
            chosen.push(hit);
        }
        answer.passages = chosen;
        answer
    }

    /// Terms and weighted units of a folded question.
    fn analyse(&self, folded: &str, searcher: &Searcher) -> Analysis {
        let masked = mask_question_words(folded);
        let words = distinct(
            word_terms_folded(&masked)
                .into_iter()
                .filter(|w| !STOP_WORDS.contains(w)),
        );
        let bigrams = distinct(bigram_terms_folded(&masked).iter().map(String::as_str));

        let fields = self.index.fields;
        let docs = searcher.num_docs() as f32;
        let idf = |field, text: &str| {
            let df = searcher
                .doc_freq(&Term::from_field_text(field, text))
                .unwrap_or(0) as f32;
            (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
        };
        let mut units: Vec<Unit> = Vec::new();
        let mut add = |text: &str, weight: f32| {
            if let Some(unit) = units.iter_mut().find(|u| u.text == text) {
                unit.weight = unit.weight.max(weight);
            } else {
                units.push(Unit {
                    terms: unit_terms(text),
                    text: text.to_string(),
                    weight,
                    content: char_len(text) >= 2,
                });
            }
        };
        for w in &words {
            add(w, idf(fields.words, w));
        }
        for b in &bigrams {
            add(b, idf(fields.bigrams, b));
        }
        let keywords = distinct(
            cut_folded(&masked)
                .into_iter()
                .filter(|w| !STOP_WORDS.contains(w)),
        )
        .into_iter()
        .map(|w| Unit {
            weight: idf(fields.words, &w),
            content: char_len(&w) >= 2,
            terms: unit_terms(&w),
            text: w,
        })
        .collect();
        Analysis {
            words,
            bigrams,
            units,
            keywords,
            cue: cue_of(folded),
        }
    }

    /// BM25 candidates re-ranked by sentence coverage, best first.
    fn rank(&self, analysis: &Analysis, searcher: &Searcher) -> tantivy::Result<Vec<Ranked>> {
        let fields = self.index.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut term = |field, text: &str, boost: f32| {
            let query = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), boost)),
            ));
        };
        for w in &analysis.words {
            term(fields.words, w, WORDS_BOOST);
        }
        for b in &analysis.bigrams {
            term(fields.bigrams, b, BIGRAMS_BOOST);
            term(fields.title, b, TITLE_BOOST);
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(self.settings.candidates).order_by_score(),
        )?;
        let Some(&(best_bm25, _)) = top.first() else {
            return Ok(Vec::new());
        };
        let total: f32 = analysis
            .units
            .iter()
            .map(|u| u.weight)
            .sum::<f32>()
            .max(f32::EPSILON);

        let mut ranked = Vec::with_capacity(top.len());
        for (bm25, address) in top {
            let segment = searcher.segment_reader(address.segment_ord);
            let doc_column = segment.fast_fields().u64("doc")?;
            let Some(doc) = doc_column.first(address.doc_id) else {
                continue;
            };
            let Some(passage) = self.passage(doc as usize) else {
                continue;
            };
            ranked.push(score_passage(
                &passage,
                doc as usize,
                bm25 / best_bm25,
                analysis,
                total,
            ));
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(ranked)
    }

    /// Turns a ranked passage into a quoted hit.
    fn hit(&self, ranked: &Ranked, analysis: &Analysis) -> Option<Hit> {
        let passage = self.passage(ranked.passage)?;
        let quote = quote_of(&passage, ranked, analysis, self.settings.quote_chars);
        Some(Hit {
            id: passage.id.clone(),
            title: passage.title.clone(),
            paragraph: passage.paragraph,
            kind: passage.kind,
            text: passage.text.clone(),
            quote: quote.text,
            highlights: quote.highlights,
            answer: quote.answer,
            passage: ranked.passage,
            score: ranked.score,
            coverage: ranked.coverage,
            citation: passage.citation(),
        })
    }
}

/// A candidate after re-ranking.
struct Ranked {
    passage: usize,
    score: f32,
    coverage: f32,
    keyword_coverage: f32,
    content_matched: bool,
    /// Per sentence: its coverage plus cue bonus.
    sentence_scores: Vec<f32>,
    best_sentence: usize,
}

fn score_passage(
    passage: &Passage,
    doc: usize,
    bm25: f32,
    analysis: &Analysis,
    total: f32,
) -> Ranked {
    let mut covered = 0.0;
    let mut content_matched = false;
    let mut sentence_scores = vec![0.0f32; passage.sentences.len()];
    for unit in &analysis.units {
        let mask = passage.terms.mask_all(&unit.terms);
        if mask == 0 {
            continue;
        }
        covered += unit.weight;
        content_matched |= unit.content;
        for (n, score) in sentence_scores.iter_mut().enumerate() {
            if mask & (1u64 << n.min(63)) != 0 {
                *score += unit.weight / total;
            }
        }
    }
    for (score, range) in sentence_scores.iter_mut().zip(&passage.folded_sentences) {
        if *score > 0.0 && has_cue(&passage.folded[range.clone()], analysis.cue) {
            *score += CUE_BONUS;
        }
    }
    let keyword_total: f32 = analysis
        .keywords
        .iter()
        .map(|k| k.weight)
        .sum::<f32>()
        .max(f32::EPSILON);
    let keyword_covered: f32 = analysis
        .keywords
        .iter()
        .map(|k| k.weight * presence(passage, k))
        .sum();
    let (best_sentence, best) =
        sentence_scores
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, 0.0f32),
                |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
            );
    Ranked {
        passage: doc,
        score: bm25 + SENTENCE_WEIGHT * best,
        coverage: covered / total,
        keyword_coverage: keyword_covered / keyword_total,
        content_matched,
        sentence_scores,
        best_sentence,
    }
}

/// How much of a keyword the passage holds: 1 if some sentence has all its
/// terms, else for a word of three or more chars the share of its terms found
/// (names cut differently, or with one char changed, still count in part).
fn presence(passage: &Passage, keyword: &Unit) -> f32 {
    if passage.terms.mask_all(&keyword.terms) != 0 {
        1.0
    } else if keyword.terms.len() >= 2 {
        passage.terms.share(&keyword.terms)
    } else {
        0.0
    }
}

/// A quote with what to show in bold and where its best sentence is.
struct Quote {
    text: String,
    /// Byte ranges of `text` matching the question.
    highlights: Vec<Range<usize>>,
    /// Byte range of `text` holding the best sentence (the answer line of a reply).
    answer: Range<usize>,
}

/// The quote of a passage: its best sentence, grown with neighbouring sentences
/// (the better-scoring side first) while it stays within `limit` chars; a
/// sentence longer than that is cut to a window around its matches.
fn quote_of(passage: &Passage, ranked: &Ranked, analysis: &Analysis, limit: usize) -> Quote {
    let sentences = &passage.sentences;
    if sentences.is_empty() {
        return Quote {
            text: String::new(),
            highlights: Vec::new(),
            answer: 0..0,
        };
    }
    let best = ranked.best_sentence;
    if char_len(&passage.text[sentences[best].clone()]) > limit {
        return window_quote(passage, &sentences[best], analysis, limit);
    }
    // The answer line: the best sentence, with a neighbour when it is too short
    // to stand alone ("……”李军华说。" needs the words it attributes).
    let answer = grow(passage, ranked, best..best + 1, MIN_ANSWER_CHARS, limit);
    let quote = grow(passage, ranked, answer.clone(), limit, limit);
    let span = |r: &Range<usize>| {
        trimmed(
            &passage.text,
            sentences[r.start].start..sentences[r.end - 1].end,
        )
    };
    let (quote_range, answer_range) = (span(&quote), span(&answer));
    let text = passage.text[quote_range.clone()].to_string();
    let highlights = highlights_in(passage, quote_range.clone(), analysis);
    let answer = answer_range.start - quote_range.start..answer_range.end - quote_range.start;
    Quote {
        text,
        highlights,
        answer,
    }
}

/// An answer line shorter than this many chars takes in a neighbouring sentence.
const MIN_ANSWER_CHARS: usize = 24;

/// Grows the sentence span `span` with neighbours, the better-scoring side
/// first (the earlier one on a tie: attributions follow what they attribute),
/// until it reaches `want` chars or no neighbour fits within `limit`.
fn grow(
    passage: &Passage,
    ranked: &Ranked,
    span: Range<usize>,
    want: usize,
    limit: usize,
) -> Range<usize> {
    let sentences = &passage.sentences;
    let chars = |i: usize| char_len(&passage.text[sentences[i].clone()]);
    let (mut first, mut last) = (span.start, span.end - 1);
    let mut length: usize = (first..=last).map(chars).sum();
    while length < want {
        let before = first.checked_sub(1).map(|i| (i, chars(i)));
        let after = (last + 1 < sentences.len()).then(|| (last + 1, chars(last + 1)));
        let fits = |side: Option<(usize, usize)>| side.filter(|&(_, n)| length + n <= limit);
        let pick = match (fits(before), fits(after)) {
            (Some(b), Some(a)) => {
                if ranked.sentence_scores[b.0] >= ranked.sentence_scores[a.0] {
                    b
                } else {
                    a
                }
            }
            (Some(b), None) => b,
            (None, Some(a)) => a,
            (None, None) => break,
        };
        length += pick.1;
        if pick.0 < first {
            first = pick.0;
        } else {
            last = pick.0;
        }
    }
    first..last + 1
}

/// `range` of `text` without leading and trailing whitespace.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    start..start + slice.trim().len()
}

/// A `limit`-char window of one long sentence, centred on its heaviest match,
/// with "…" where it was cut.
fn window_quote(
    passage: &Passage,
    sentence: &Range<usize>,
    analysis: &Analysis,
    limit: usize,
) -> Quote {
    let folded = &passage.folded[passage.folded_range(sentence)];

    let anchor = analysis
        .units
        .iter()
        .filter(|u| u.content)
        .filter_map(|u| folded.find(u.text.as_str()).map(|at| (u.weight, at)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(0, |(_, at)| char_len(&folded[..at]));
    let total = char_len(folded);
    let start = anchor
        .saturating_sub(limit / 3)
        .min(total.saturating_sub(limit));
    let text = &passage.text[sentence.clone()];
    let from = sentence.start + crate::text::byte_offset(text, start);
    let to = sentence.start + crate::text::byte_offset(text, start + limit);
    let mut quote = String::new();
    if from > sentence.start {
        quote.push('…');
    }
    let lead = quote.len();
    quote.push_str(&passage.text[from..to]);
    let mut highlights: Vec<Range<usize>> = highlights_in(passage, from..to, analysis)
        .into_iter()
        .map(|r| r.start + lead..r.end + lead)
        .collect();
    if to < sentence.end {
        quote.push('…');
    }
    highlights.retain(|r| r.end <= quote.len());
    let answer = 0..quote.len();
    Quote {
        text: quote,
        highlights,
        answer,
    }
}

/// Byte ranges, relative to `range.start`, of the question's content units
/// inside `range` of the passage text; overlapping matches are merged.
fn highlights_in(passage: &Passage, range: Range<usize>, analysis: &Analysis) -> Vec<Range<usize>> {
    let folded_range = passage.folded_range(&range);
    let folded = &passage.folded[folded_range.clone()];
    let mut found: Vec<Range<usize>> = Vec::new();
    for unit in analysis
        .units
        .iter()
        .filter(|u| u.content || !is_han_only(&u.text))
    {
        for (at, m) in folded.match_indices(unit.text.as_str()) {
            let abs = folded_range.start + at..folded_range.start + at + m.len();
            let text = passage.text_range(&abs);
            found.push(text.start - range.start..text.end - range.start);
        }
    }
    found.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in found {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

fn is_han_only(text: &str) -> bool {
    text.chars().all(is_han)
}

/// The question without HTML/XML tags (`<b>`, `</i>`, `<br/>`): pasted markup
/// says nothing about what is asked. Anything else with `<` stays.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let is_tag = after
            .trim_start_matches('/')
            .starts_with(|c: char| c.is_ascii_alphabetic());
        match after.find('>') {
            Some(close) if is_tag && !after[..close].contains('<') => {
                out.push(' ');
                rest = &after[close + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first [`MAX_TERMS`] distinct terms, in order.
fn distinct<'a>(terms: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for term in terms {
        if out.len() == MAX_TERMS {
            break;
        }
        if !out.iter().any(|t| t == term) {
            out.push(term.to_string());
        }
    }
    out
}

/// The question with its question words replaced by spaces, so that neither
/// jieba nor bigrams make terms of them (什么奖 → " 奖", not 么奖).
fn mask_question_words(folded: &str) -> String {
    let mut out = folded.to_string();
    for word in QUESTION_WORDS {
        if out.contains(word) {
            out = out.replace(word, &" ".repeat(word.chars().count()));
        }
    }
    out
}

fn is_greeting(folded: &str) -> bool {
    let core: String = folded
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .trim_start_matches(['/'])
        .to_string();
    GREETINGS.contains(&core.as_str())
}

fn cue_of(folded: &str) -> Cue {
    const TIME: &[&str] = &[
        "何时",
        "什么时候",
        "哪天",
        "哪一天",
        "哪年",
        "哪一年",
        "几月",
        "几号",
        "日期",
        "什么时间",
        "哪个月",
    ];
    const NUMBER: &[&str] = &[
        "多少",
        "几",
        "多大",
        "多长",
        "多高",
        "多远",
        "多久",
        "比例",
        "百分之",
    ];
    if TIME.iter().any(|w| folded.contains(w)) {
        Cue::Time
    } else if NUMBER.iter().any(|w| folded.contains(w)) {
        Cue::Number
    } else {
        Cue::None
    }
}

fn has_cue(sentence: &str, cue: Cue) -> bool {
    const NUMERALS: &str = "0123456789一二三四五六七八九十百千万亿两";
    match cue {
        Cue::Number => sentence.chars().any(|c| NUMERALS.contains(c)),
        Cue::Time => {
            sentence.chars().any(|c| c.is_ascii_digit())
                && sentence.chars().any(|c| matches!(c, '年' | '月' | '日'))
        }
        Cue::None => false,
    }
}

/// Two passages say the same thing when their quotes are equal or their
/// texts share most of their terms (reprinted paragraphs, near-duplicate
/// records).
fn says_the_same(a: &Hit, pa: &Passage, b: &Hit, pb: &Passage) -> bool {
    a.quote == b.quote || pa.folded == pb.folded || pa.terms.similarity(&pb.terms) > NEAR_DUPLICATE
}

/// Term-set Jaccard similarity above which two passages count as one.
const NEAR_DUPLICATE: f32 = 0.7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_only() {
        assert_eq!(strip_tags("<b>蓝皮书</b>是<br/>谁"), " 蓝皮书 是 谁");
        assert_eq!(strip_tags("1 < 2 > 0"), "1 < 2 > 0");
        assert_eq!(strip_tags("<<b>x"), "< x");
        assert_eq!(strip_tags("<未闭合"), "<未闭合");
    }
}
