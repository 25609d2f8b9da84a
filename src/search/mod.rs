//! Question → ranked passages → the best quote, or an honest "not in the corpus".
//!
//! The pipeline, one room per stage, reads top to bottom in [`Engine::ask_with`]:
//! [`question`] (tidy, tags, question words, cue) → [`analysis`] (terms and
//! weighted units, from [`statistics`] looked up once; the [`demand`]: what
//! kind of fact is asked) → [`lexical`] (BM25 candidates) → [`rank`] (re-ranking by
//! sentence coverage) → [`gate`] (answer or abstain) → [`select`] (which
//! passages, no near-duplicates) → [`quote`] (best sentence, highlights).

mod analysis;
mod answer;
mod asked;
mod background;
mod colloquial;
mod counted;
mod demand;
pub mod followup;
mod fusion;
mod gate;
mod glossary;
mod lexical;
mod question;
mod quote;
mod rank;
mod select;
mod semantic;
mod statistics;
mod year;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

pub use answer::{Answer, Hit, Outcome, Relevance, Retriever};
pub use followup::Context;
pub use semantic::SemanticIndex;

use crate::corpus::Corpus;
use crate::index::analyzer::person_names;
use crate::index::{IndexError, Passage, SearchIndex};
use crate::text::{fold, tidy};
use analysis::Analysis;
use question::{is_greeting, strip_tags, MAX_ANALYSED_CHARS};
use rank::Ranked;
use select::says_the_same;

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
    /// With the semantic retriever, relevance is decided on both signals
    /// (keyword coverage and the e5 z-score; calibrated on the chat-dev,
    /// dev and cross-corpus questions, README): a Chinese question is answered
    /// when the best passage holds this much of its keyword weight …
    pub hybrid_min_keyword_coverage: f32,
    /// … and stands at least this far out semantically,
    pub hybrid_min_z: f32,
    /// or when it stands this far out …
    pub strong_z: f32,
    /// … holding at least this much of the keyword weight,
    pub strong_min_keyword_coverage: f32,
    /// or when it stands `strong_z` out with at least this raw e5 cosine,
    /// whatever words it shares: a paraphrase in chat words shares few, and
    /// the cosine, unlike z, stays low when the whole corpus is off the
    /// question's topic.
    pub strong_min_cosine: f32,
    /// In any language, a passage holding this much of the keyword weight is
    /// answered unless e5 puts it below the corpus average (z < 0): the
    /// question's words are nearly all there, whatever e5 prefers.
    pub words_min_keyword_coverage: f32,
    /// A question written mostly in Latin letters (English) needs this z …
    pub latin_min_z: f32,
    /// … and this much keyword weight (through aliases): an English question
    /// sharing nothing with the corpus is not about it.
    pub latin_min_keyword_coverage: f32,
    /// … or, holding `hybrid_min_keyword_coverage` of it (through the
    /// glossary), this lower z.
    pub latin_words_min_z: f32,
    /// Share of the semantic score in the fused ranking score.
    pub semantic_weight: f32,
    /// … for a question written mostly in Latin letters (English), which the
    /// Chinese corpus can match only through aliases.
    pub semantic_weight_latin: f32,
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            max_passages: 5,
            min_relevance: 0.30,
            min_keyword_coverage: 0.25,
            min_extra_coverage: 0.3,
            quote_chars: 160,
            candidates: 10,
            hybrid_min_keyword_coverage: 0.4,
            hybrid_min_z: 1.0,
            strong_z: 2.2,
            strong_min_keyword_coverage: 0.25,
            strong_min_cosine: 0.875,
            words_min_keyword_coverage: 0.8,
            latin_min_z: 1.6,
            latin_min_keyword_coverage: 0.12,
            latin_words_min_z: 1.2,
            semantic_weight: 0.2,
            semantic_weight_latin: 0.8,
        }
    }
}

/// A question's candidates ranked, and what the gate needs to judge the best.
struct Ranking {
    analysis: Analysis,
    ranked: Vec<Ranked>,
    /// Whether the semantic retriever ran.
    semantic: bool,
    /// Whether the question is mostly in Latin letters (English).
    latin: bool,
}

/// One candidate passage and the features the gate judges it on
/// ([`Engine::explain`]).
#[derive(Debug, Clone, Serialize)]
pub struct ScoredPassage {
    /// The passage's index in the engine.
    #[serde(skip)]
    pub passage: usize,
    pub id: String,
    pub score: f32,
    pub coverage: f32,
    pub keyword_coverage: f32,
    pub semantic_z: Option<f32>,
    pub semantic_cosine: Option<f32>,
}

/// The answer engine over one corpus. Cheap to share behind an `Arc`; every
/// method takes `&self`.
pub struct Engine {
    index: SearchIndex,
    settings: SearchSettings,
    /// Paragraph vectors, when the semantic retriever is on and ready.
    semantic: Option<SemanticIndex>,
}

impl Engine {
    /// Builds the engine (and its index) for `corpus`.
    pub fn new(corpus: &Corpus, settings: SearchSettings) -> Result<Engine, IndexError> {
        Ok(Engine {
            index: SearchIndex::build(corpus)?,
            settings,
            semantic: None,
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
        Engine {
            index,
            settings,
            semantic: None,
        }
    }

    /// Adds the semantic retriever (vectors of this engine's passages, in order).
    pub fn with_semantic(mut self, semantic: SemanticIndex) -> Engine {
        self.semantic = Some(semantic);
        self
    }

    /// The retrievers that run for every question.
    pub fn retrievers(&self) -> Vec<Retriever> {
        let mut out = vec![Retriever::Lexical];
        if self.semantic.is_some() {
            out.push(Retriever::Semantic);
        }
        out
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
        let (answer, ranking) = self.rank_question(question);
        self.decide(answer, ranking, max_passages)
    }

    /// Answers `question`, a reply to an earlier answer, in its `context`
    /// ([`followup`]): as if asked alone when it is a complete question
    /// answered alone, else searched with the earlier question's words.
    pub fn ask_followup(&self, question: &str, context: &Context, max_passages: usize) -> Answer {
        let alone = self.ask_with(question, max_passages);
        let elliptical = followup::is_elliptical(question);
        if (alone.answered() && !elliptical) || context.question.trim().is_empty() {
            return alone;
        }
        // One search of the earlier question gives its topic words and,
        // when the answer's passage is not known, its best passage.
        let (earlier_answer, earlier_ranking) = self.rank_question(&context.question);
        let topic_units = earlier_ranking
            .as_ref()
            .map(|r| self.topic_units(r))
            .unwrap_or_default();
        let earlier = context.passage.or_else(|| {
            let earlier = self.decide(earlier_answer, earlier_ranking, 1);
            earlier.passages.first().map(|h| h.passage)
        });
        // "他还说了什么": the person is one the earlier answer named.
        let people: Vec<String> = earlier
            .filter(|_| followup::refers_to_a_person(question))
            .and_then(|n| self.passage(n))
            .map(|p| {
                person_names(&p.folded)
                    .into_iter()
                    .take(followup::PEOPLE)
                    .collect()
            })
            .unwrap_or_default();
        let topic = topic_units
            .iter()
            .map(|k| k.text())
            .chain(people.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        let expansion = followup::Expansion {
            topic: &topic,
            passage: earlier,
        };
        let (answer, ranking) = self.rank_in_context(question, Some(&expansion));
        let expanded = self.decide(answer, ranking, max_passages);
        let mut chosen = if expanded.answered() || !alone.answered() {
            expanded
        } else {
            alone
        };
        // A follow-up that cannot stand alone is about what was said before:
        // an answer from another article that shares none of the carried
        // words (其中浙江有几家 answered by the one caption naming 浙江) answers
        // something else. One that only holds a pronoun may be a new question.
        if followup::leans_on_context(question) {
            let earlier_article = earlier
                .and_then(|n| self.passage(n))
                .map(|p| p.article_id.clone());
            let coherent = |h: &Hit| {
                self.passage(h.passage).is_some_and(|p| {
                    earlier_article.as_ref() == Some(&p.article_id)
                        || topic_units.iter().any(|u| u.find(&p).0 != 0)
                        || people.iter().any(|n| p.folded.contains(n.as_str()))
                })
            };
            if chosen.passages.first().is_some_and(|h| !coherent(h)) {
                chosen.passages.clear();
                chosen.outcome = Outcome::NotFound;
            }
        }
        chosen
    }

    /// The weightiest words of a ranked question that its candidate passages
    /// hold: a word no passage has (an English word the glossary does not
    /// know, a typo) weighs most of all and would find nothing.
    fn topic_units(&self, ranking: &Ranking) -> Vec<analysis::Unit> {
        let passages: Vec<Arc<Passage>> = ranking
            .ranked
            .iter()
            .filter_map(|r| self.passage(r.passage))
            .collect();
        let mut keywords: Vec<&analysis::Unit> = ranking
            .analysis
            .keywords
            .iter()
            .filter(|k| passages.iter().any(|p| k.find(p).0 != 0))
            .collect();
        keywords.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        keywords
            .into_iter()
            .take(followup::TOPIC_WORDS)
            .cloned()
            .collect()
    }

    /// Up to `n` articles nearest to `question`, each as the index of its
    /// best-ranked passage (the corpus's first articles when nothing is near):
    /// what a declined question is offered instead of a dead end.
    pub fn nearest_articles(&self, question: &str, n: usize) -> Vec<usize> {
        let ranked: Vec<usize> = self
            .rank_question(question)
            .1
            .map(|r| r.ranked.iter().map(|r| r.passage).collect())
            .unwrap_or_default();
        let all = 0..self.index.passages.len();
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for passage in ranked.into_iter().chain(all) {
            if out.len() == n {
                break;
            }
            let Some(p) = self.passage(passage) else {
                continue;
            };
            if !seen.contains(&p.article_id) {
                seen.push(p.article_id.clone());
                out.push(passage);
            }
        }
        out
    }

    /// The answer to a ranked question: its best passages when the gate
    /// finds the best one relevant, else `answer` as it is (not found).
    fn decide(&self, mut answer: Answer, ranking: Option<Ranking>, max_passages: usize) -> Answer {
        let Some(ranking) = ranking else {
            return answer;
        };
        let Some(best) = ranking.ranked.first() else {
            return answer;
        };
        let (relevance, relevant) = gate::judge(
            best,
            &self.settings,
            ranking.semantic,
            ranking.latin,
            &ranking.analysis,
            |n| self.passage(n),
        );
        answer.relevance = relevance;
        if !relevant {
            return answer;
        }
        answer.outcome = Outcome::Answered;
        answer.passages = self.select(ranking.ranked, &ranking.analysis, max_passages);
        answer
    }

    /// Every candidate passage of `question` with the features the gate sees,
    /// best first, whether or not the gate would quote the best one: what
    /// `eval --dump` writes for calibrating the gate.
    pub fn explain(&self, question: &str) -> Vec<ScoredPassage> {
        let Some(ranking) = self.rank_question(question).1 else {
            return Vec::new();
        };
        ranking
            .ranked
            .iter()
            .filter_map(|r| {
                Some(ScoredPassage {
                    passage: r.passage,
                    id: self.passage(r.passage)?.id.clone(),
                    score: r.score,
                    coverage: r.coverage,
                    keyword_coverage: r.keyword_coverage,
                    semantic_z: ranking.semantic.then_some(r.semantic_z),
                    semantic_cosine: ranking.semantic.then_some(r.semantic_cosine),
                })
            })
            .collect()
    }

    /// The answer so far (outcome `Empty`, `Greeting` or `NotFound`) and, when
    /// the question was searched, its candidates ranked.
    fn rank_question(&self, question: &str) -> (Answer, Option<Ranking>) {
        self.rank_in_context(question, None)
    }

    /// [`Engine::rank_question`] for a follow-up searched with its context:
    /// the context's words are searched too, the demand and cue are the
    /// question's own, and passages of the context's article come first on
    /// near-ties.
    fn rank_in_context(
        &self,
        question: &str,
        context: Option<&followup::Expansion>,
    ) -> (Answer, Option<Ranking>) {
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
            retrievers: Vec::new(),
        };
        let bare: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        if bare.is_empty() {
            return (answer, None);
        }
        if is_greeting(&folded) && context.is_none() {
            answer.outcome = Outcome::Greeting;
            return (answer, None);
        }
        // A follow-up is searched with its context's words; a question alone
        // as it is, folded once.
        let (searched, searched_folded) = match context {
            Some(expansion) => {
                let earlier: String = strip_tags(&tidy(expansion.topic))
                    .chars()
                    .take(MAX_ANALYSED_CHARS)
                    .collect();
                let searched = format!("{analysed}\n{earlier}");
                let folded = fold(&searched);
                (Cow::Owned(searched), Cow::Owned(folded))
            }
            None => (
                Cow::Borrowed(analysed.as_str()),
                Cow::Borrowed(folded.as_str()),
            ),
        };
        let searcher = self.index.reader.searcher();
        let statistics = statistics::Statistics::new(&searcher, self.index.counted_norms.as_ref());
        let mut analysis = analysis::analyse(
            &searched_folded,
            self.index.fields,
            &statistics,
            &self.index.synonyms,
        );
        if context.is_some() {
            analysis.cue = question::cue_of(&folded);
            analysis.demand = demand::demand_of(&folded, analysis.cue);
            analysis.given = demand::digit_runs(&folded);
            analysis.asked = asked::asked_of(&folded);
            followup::weigh_context(&mut analysis, &folded);
        }
        answer.outcome = Outcome::NotFound;
        if analysis.units.is_empty() {
            return (answer, None);
        }
        let lexical = match lexical::candidates(
            &analysis,
            self.index.fields,
            &statistics,
            self.settings.candidates,
        ) {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(%err, "search failed");
                return (answer, None);
            }
        };
        answer.retrievers = self.retrievers();
        let latin = crate::text::mostly_latin(&analysed);
        let similar = self.semantic.as_ref().map(|s| s.similarities(&searched));
        let candidates = fusion::candidates(lexical, similar.as_ref());
        let mut ranked = rank::rank(&candidates, &analysis, |n| self.passage(n));
        fusion::fuse(&mut ranked, similar.as_ref(), latin, &self.settings);
        if let Some(article) = context
            .and_then(|expansion| expansion.passage)
            .and_then(|n| self.passage(n))
            .map(|p| p.article_id.clone())
        {
            for r in ranked.iter_mut() {
                if self
                    .passage(r.passage)
                    .is_some_and(|p| p.article_id == article)
                {
                    r.score += followup::SAME_ARTICLE_BONUS;
                }
            }
            ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        let ranking = Ranking {
            analysis,
            ranked,
            semantic: similar.is_some(),
            latin,
        };
        (answer, Some(ranking))
    }

    /// The passages quoted in an answer, best first: up to `max_passages`,
    /// further ones only when they hold enough of the question, no two alike.
    fn select(&self, ranked: Vec<Ranked>, analysis: &Analysis, max_passages: usize) -> Vec<Hit> {
        let mut chosen: Vec<Hit> = Vec::new();
        for ranked in ranked {
            if chosen.len() >= max_passages {
                break;
            }
            if !chosen.is_empty() && ranked.coverage < self.settings.min_extra_coverage {
                continue;
            }
            let Some(hit) = self.hit(&ranked, analysis) else {
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
        chosen
    }

    /// Turns a ranked passage into a quoted hit.
    fn hit(&self, ranked: &Ranked, analysis: &Analysis) -> Option<Hit> {
        let passage = self.passage(ranked.passage)?;
        let quote = quote::quote_of(&passage, ranked, analysis, self.settings.quote_chars);
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
