//! `summit-bot eval`: scores the engine on a question file, in either format:
//! - summit: `{"id","question","evidence":[..],"answers":[..]}` or `{"id","question","unanswerable":..}`
//! - retrieval: `{"id","question","gold_id","answers":[..]}`
//!
//! A question may carry a `kind` (chat-style sets: colloquial, typo, alias, …);
//! figures are then also given per kind, and a kinded question with no
//! `evidence` (off-topic, near-miss) counts as unanswerable.

use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::search::{Answer, Engine};

#[derive(Debug, Deserialize)]
pub struct EvalQuestion {
    #[serde(default)]
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    #[serde(default)]
    pub answers: Vec<String>,
    #[serde(default)]
    pub gold_id: Option<String>,
    #[serde(default)]
    pub unanswerable: Option<serde_json::Value>,
    #[serde(default)]
    pub kind: Option<String>,
}

impl EvalQuestion {
    /// Must get no quote: marked so, or a kinded question without evidence.
    pub fn is_unanswerable(&self) -> bool {
        self.unanswerable.is_some()
            || (self.kind.is_some() && self.gold_id.is_none() && self.evidence.is_empty())
    }

    /// Whether the passage `id` with `text` answers it: its gold id, or a text
    /// holding one of its evidence strings (whitespace ignored).
    fn is_gold(&self, id: &str, text: &str) -> bool {
        match &self.gold_id {
            Some(gold) => id == gold,
            None => {
                let text = squeeze(text);
                self.evidence.iter().any(|e| text.contains(&squeeze(e)))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

/// Reads a question file (JSON lines; blank lines skipped).
pub fn read_questions(path: &Path) -> Result<Vec<EvalQuestion>, EvalError> {
    read_json_lines(path, |q: EvalQuestion| {
        if q.gold_id.is_none() && q.evidence.is_empty() && !q.is_unanswerable() {
            return Err("needs `gold_id`, `evidence` or `unanswerable`".into());
        }
        Ok(q)
    })
}

/// Reads a file of JSON lines (blank lines skipped), each parsed and then
/// checked by `check`; an error names the file and the line.
fn read_json_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
    check: impl Fn(T) -> Result<T, String>,
) -> Result<Vec<T>, EvalError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: name.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(line)
            .map_err(|e| e.to_string())
            .and_then(&check)
            .map_err(|message| EvalError::Invalid {
                path: name.clone(),
                line: n + 1,
                message,
            })?;
        out.push(item);
    }
    Ok(out)
}

/// Totals over a question file.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub answerable: usize,
    pub hit1: usize,
    pub hit3: usize,
    pub hit5: usize,
    pub mrr10: f64,
    pub answer_in_quote1: usize,
    /// Answerable questions the engine declined.
    pub false_abstentions: usize,
    pub unanswerable: usize,
    /// Unanswerable questions correctly declined.
    pub abstained: usize,
    pub misses: Vec<String>,
    /// Per kind: (hits at 1 or correct abstentions, questions).
    pub by_kind: std::collections::BTreeMap<String, (usize, usize)>,
    /// One JSON line per question: its relevance features and whether the
    /// top passage was gold (for calibrating abstention).
    pub features: Vec<serde_json::Value>,
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Scores every question. `answer` runs one question (the engine, normally).
pub fn evaluate(questions: &[EvalQuestion], answer: impl FnMut(&str) -> Answer) -> Report {
    let refs: Vec<&EvalQuestion> = questions.iter().collect();
    let mut answer = answer;
    evaluate_refs(&refs, |_, q| answer(q))
}

/// [`evaluate`] over borrowed questions; `answer` gets each question's
/// position too (a follow-up's context is kept beside it).
fn evaluate_refs(
    questions: &[&EvalQuestion],
    mut answer: impl FnMut(usize, &str) -> Answer,
) -> Report {
    let mut r = Report::default();
    for (n, &q) in questions.iter().enumerate() {
        let a = answer(n, &q.question);
        let top_gold = a
            .passages
            .first()
            .is_some_and(|h| q.is_gold(&h.id, &h.text));
        r.features.push(serde_json::json!({
            "id": q.id,
            "answerable": !q.is_unanswerable(),
            "kind": q.kind,
            "top_gold": top_gold,
            "coverage": a.relevance.coverage,
            "keyword_coverage": a.relevance.keyword_coverage,
            "semantic_z": a.relevance.semantic_z,
            "semantic_cosine": a.relevance.semantic_cosine,
            "top": a.passages.first().map(|h| &h.id),
            "top_score": a.passages.first().map(|h| h.score),
        }));
        if let Some(kind) = &q.kind {
            let good = if q.is_unanswerable() {
                !a.answered()
            } else {
                a.answered() && top_gold
            };
            let entry = r.by_kind.entry(kind.clone()).or_default();
            entry.0 += usize::from(good);
            entry.1 += 1;
        }
        if q.is_unanswerable() {
            r.unanswerable += 1;
            if a.answered() {
                r.misses.push(format!(
                    "{} answered an unanswerable question: {} → {}",
                    q.id, q.question, a.passages[0].quote
                ));
            } else {
                r.abstained += 1;
            }
            continue;
        }
        r.answerable += 1;
        if !a.answered() {
            r.false_abstentions += 1;
            r.misses.push(format!("{} abstained: {}", q.id, q.question));
            continue;
        }
        let rank = a
            .passages
            .iter()
            .take(10)
            .position(|h| q.is_gold(&h.id, &h.text));
        if let Some(rank) = rank {
            r.hit1 += usize::from(rank == 0);
            r.hit3 += usize::from(rank < 3);
            r.hit5 += usize::from(rank < 5);
            r.mrr10 += 1.0 / (rank as f64 + 1.0);
        }
        let top = &a.passages[0];
        let quote = squeeze(&top.quote);
        let quoted = rank == Some(0)
            && (q.answers.is_empty() || q.answers.iter().any(|ans| quote.contains(&squeeze(ans))));
        r.answer_in_quote1 += usize::from(quoted);
        if rank != Some(0) {
            r.misses.push(format!(
                "{} rank {:?}: {} → {} {}",
                q.id,
                rank.map(|r| r + 1),
                q.question,
                top.id,
                top.quote
            ));
        } else if !quoted {
            r.misses.push(format!(
                "{} quote lacks {:?}: {} → {}",
                q.id, q.answers, q.question, top.quote
            ));
        }
    }
    r
}

impl Report {
    /// The human-readable summary (misses first, at most `show_misses`).
    pub fn render(&self, show_misses: usize) -> String {
        let mut out = String::new();
        for m in self.misses.iter().take(show_misses) {
            let _ = writeln!(out, "miss: {m}");
        }
        if self.misses.len() > show_misses {
            let _ = writeln!(out, "… {} more misses", self.misses.len() - show_misses);
        }
        let n = self.answerable.max(1) as f64;
        if self.answerable > 0 {
            let _ = writeln!(
                out,
                "answerable {}: hit@1 {:.3} ({}/{})  hit@3 {:.3}  recall@5 {:.3}  MRR@10 {:.3}  answer-in-quote@1 {:.3} ({}/{})  false abstentions {}",
                self.answerable,
                self.hit1 as f64 / n,
                self.hit1,
                self.answerable,
                self.hit3 as f64 / n,
                self.hit5 as f64 / n,
                self.mrr10 / n,
                self.answer_in_quote1 as f64 / n,
                self.answer_in_quote1,
                self.answerable,
                self.false_abstentions,
            );
        }
        if !self.by_kind.is_empty() {
            let kinds: Vec<String> = self
                .by_kind
                .iter()
                .map(|(kind, (good, all))| format!("{kind} {good}/{all}"))
                .collect();
            let _ = writeln!(
                out,
                "by kind (hit@1; abstained for off-topic/near-miss): {}",
                kinds.join("  ")
            );
        }
        if self.unanswerable > 0 {
            let _ = writeln!(
                out,
                "unanswerable {}: abstained {}/{}",
                self.unanswerable, self.abstained, self.unanswerable
            );
        }
        out
    }
}

/// Adds to each question's features its candidates as the gate sees them
/// ([`Engine::explain`]), each marked gold or not: what the gate is
/// calibrated on. Asks every question again, so only for `eval --dump`.
pub fn explain_into(report: &mut Report, questions: &[EvalQuestion], engine: &Engine) {
    for (features, q) in report.features.iter_mut().zip(questions) {
        let candidates: Vec<serde_json::Value> = engine
            .explain(&q.question)
            .into_iter()
            .map(|c| {
                let gold = engine
                    .passage(c.passage)
                    .is_some_and(|p| q.is_gold(&c.id, &p.text));
                let mut value = serde_json::to_value(&c).unwrap_or_default();
                value["gold"] = gold.into();
                value
            })
            .collect();
        features["candidates"] = candidates.into();
    }
}

/// A two-turn conversation: the second question is a reply to the answer
/// to the first (`{"id", "kind", "turns": [{"question", "evidence", "answers"}, …]}`).
#[derive(Debug, Deserialize)]
pub struct Conversation {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub kind: Option<String>,
    pub turns: Vec<EvalQuestion>,
}

/// Whether `path` holds conversations (its first line has `turns`).
pub fn holds_conversations(path: &Path) -> Result<bool, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|v| v.get("turns").is_some()))
}

/// Reads a conversation file (JSON lines; blank lines skipped).
pub fn read_conversations(path: &Path) -> Result<Vec<Conversation>, EvalError> {
    read_json_lines(path, |mut c: Conversation| {
        if c.turns.len() < 2 {
            return Err("needs two `turns`".into());
        }
        // The follow-up is scored by the conversation's kind.
        for turn in &mut c.turns {
            turn.kind = c.kind.clone().or_else(|| Some("follow-up".into()));
        }
        Ok(c)
    })
}

/// Scores the last turn of every conversation, asked as a reply to the
/// answer to the turns before it (`follow_up`), and the same question asked
/// alone (`alone`), for comparison.
pub fn evaluate_conversations(conversations: &[Conversation], engine: &Engine) -> (Report, Report) {
    let follow_ups: Vec<(&EvalQuestion, crate::search::Context)> = conversations
        .iter()
        .map(|c| {
            let (last, earlier) = c.turns.split_last().expect("two turns");
            let mut context = crate::search::Context::default();
            for turn in earlier {
                let answer = engine.ask_followup(&turn.question, &context, 1);
                context = crate::search::Context {
                    question: turn.question.clone(),
                    passage: answer.passages.first().map(|h| h.passage),
                };
            }
            (last, context)
        })
        .collect();
    let max = engine.settings().max_passages;
    let questions: Vec<&EvalQuestion> = follow_ups.iter().map(|(q, _)| *q).collect();
    let follow_up = evaluate_refs(&questions, |n, question| {
        engine.ask_followup(question, &follow_ups[n].1, max)
    });
    let alone = evaluate_refs(&questions, |_, question| engine.ask(question));
    (follow_up, alone)
}

/// Runs `evaluate` with `engine`.
pub fn evaluate_engine(questions: &[EvalQuestion], engine: &Engine) -> Report {
    evaluate(questions, |q| engine.ask(q))
}
