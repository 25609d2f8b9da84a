//! Rebuilds the answerability judge (`src/search/judge.json`) from the
//! training data in `tests/data/` and prints its figures on the held-out sets.
//!
//! ```text
//! cargo run --release --example train_judge          # fit, print, write the weights
//! cargo run --release --example train_judge -- --cv  # fit on one training pool, measure on the other
//! cargo run --release --example train_judge -- --dump FILE  # also write every example (JSON lines)
//! ```
//!
//! Every question of a training set gives one or two examples, each the best
//! candidate of the ranking as the judge sees it:
//! - the best passage as ranked: answers if it is a right one;
//! - for an answerable question, the best passage once every right one is
//!   taken out: a passage about the same thing that does not state the fact —
//!   what a near-miss question gets (never answers).
//!
//! Training sets: the summit dev and chat-dev questions (the old hand-set
//! gate was calibrated on them too) and the chat pools
//! `questions.judge-train{1,2,3,4}.jsonl` (written blind from the articles,
//! 600 questions), the drcd and cmrc2018 slices against
//! their own corpora, and both slices' questions against the summit corpus
//! (off-topic). The held-out sets are only measured, never fitted on. The fit
//! is deterministic; the model and the paragraph vectors come as for `ask`
//! (`data/`; the slices' vectors take a few minutes the first time).

use std::path::Path;
use std::sync::Arc;

use summit_bot::eval::{evaluate_engine, read_questions, EvalQuestion, Report};
use summit_bot::index::Passage;
use summit_bot::search::fit::{fit, Sample};
use summit_bot::search::{Engine, Judge, SearchSettings};
use summit_bot::semantic::SemanticSettings;
use summit_bot::startup::{build_engine, SemanticSource};

const WEIGHTS: &str = "src/search/judge.json";
/// L2 strength of the fit (on standardised inputs).
const L2: f64 = 1.0;
/// How much one example of each source counts: the summit chat pools are the
/// questions the bot is for; the public QA slices teach what an answering
/// paragraph looks like in general; cross-corpus questions are plain off-topic.
const SUMMIT_WEIGHT: f64 = 2.0;
const QA_WEIGHT: f64 = 1.0;
const OFF_TOPIC_WEIGHT: f64 = 0.5;

const TRAIN_POOLS: [&str; 6] = [
    "summit/questions.dev.jsonl",
    "summit/questions.chat-dev.jsonl",
    "summit/questions.judge-train1.jsonl",
    "summit/questions.judge-train2.jsonl",
    "summit/questions.judge-train3.jsonl",
    "summit/questions.judge-train4.jsonl",
];
/// Levels of `[search] min_relevance` tried in `--cv`.
const LEVELS: [f32; 5] = [0.2, 0.3, 0.4, 0.5, 0.6];
const HELD_OUT: [&str; 4] = [
    "summit/questions.judge-heldout.jsonl",
    "summit/questions.chat-heldout1.jsonl",
    "summit/questions.chat-heldout2.jsonl",
    "summit/questions.chat-heldout3.jsonl",
];

/// The engines of one corpus, with and without the model.
struct Engines {
    hybrid: Engine,
    lexical: Engine,
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train_judge: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let cross_validate = args.iter().any(|a| a == "--cv");
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|at| args.get(at + 1));
    let data = |p: &str| Path::new("tests/data").join(p);
    let mut summit = engines(Path::new("corpus"))?;
    let drcd = engines(&data("drcd/corpus.jsonl"))?;
    let cmrc = engines(&data("cmrc2018/corpus.jsonl"))?;
    let drcd_questions = read_questions(&data("drcd/queries.dev.jsonl"))?;
    let cmrc_questions = read_questions(&data("cmrc2018/queries.dev.jsonl"))?;
    let pools: Vec<Vec<EvalQuestion>> = TRAIN_POOLS
        .iter()
        .map(|p| read_questions(&data(p)))
        .collect::<Result<_, _>>()?;

    let mut dumped: Vec<String> = Vec::new();
    let mut judges = Vec::new();
    for semantic in [true, false] {
        let mut shared = Vec::new();
        shared.extend(examples("drcd", drcd.pick(semantic), &drcd_questions, QA_WEIGHT));
        shared.extend(examples("cmrc2018", cmrc.pick(semantic), &cmrc_questions, QA_WEIGHT));
        for (source, q) in [("drcd→summit", &drcd_questions), ("cmrc2018→summit", &cmrc_questions)] {
            shared.extend(off_topic(source, summit.pick(semantic), q));
        }
        let pool_examples: Vec<Vec<Example>> = TRAIN_POOLS
            .iter()
            .zip(&pools)
            .map(|(name, p)| examples(name, summit.pick(semantic), p, SUMMIT_WEIGHT))
            .collect();
        for e in shared.iter().chain(pool_examples.iter().flatten()) {
            if dump.is_some() {
                dumped.push(e.to_json(semantic));
            }
        }
        if cross_validate {
            cross_validation(&shared, &pool_examples, &pools, summit.pick_mut(semantic));
        }
        let all: Vec<Sample> = shared
            .iter()
            .chain(pool_examples.iter().flatten())
            .map(|e| e.sample.clone())
            .collect();
        let all = balanced(all);
        let answering = all.iter().filter(|s| s.answers).count();
        println!(
            "{}: {} examples ({answering} answering)",
            mode(semantic),
            all.len()
        );
        judges.push(fit(&all, L2));
    }
    if let Some(path) = dump {
        std::fs::write(path, dumped.join("\n") + "\n")?;
        println!("wrote {path}");
    }
    if cross_validate {
        // Held-out sets are measured once, with the weights shipped, never
        // while choosing how to fit.
        return Ok(());
    }
    let lexical = judges.pop().expect("two fits");
    let hybrid = judges.pop().expect("two fits");
    let judge = Arc::new(Judge { hybrid, lexical });
    std::fs::write(WEIGHTS, serde_json::to_string_pretty(&*judge)? + "\n")?;
    println!("wrote {WEIGHTS}");
    for set in HELD_OUT {
        let questions = read_questions(&data(set))?;
        for semantic in [true, false] {
            let engine = summit.pick_mut(semantic);
            engine.set_judge(judge.clone());
            let report: Report = evaluate_engine(&questions, engine);
            println!("{set} ({}):\n{}", mode(semantic), report.render(0));
        }
    }
    Ok(())
}

/// Leaves each training pool out in turn, fits on the rest and measures
/// the left-out pool at each of [`LEVELS`]: how the default level is chosen.
fn cross_validation(
    shared: &[Example],
    pool_examples: &[Vec<Example>],
    pools: &[Vec<EvalQuestion>],
    engine: &mut Engine,
) {
    let semantic = engine.has_semantic();
    let mut totals = vec![Report::default(); LEVELS.len()];
    for left_out in 0..pools.len() {
        let all: Vec<Sample> = shared
            .iter()
            .chain(
                pool_examples
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| *n != left_out)
                    .flat_map(|(_, e)| e),
            )
            .map(|e| e.sample.clone())
            .collect();
        let model = fit(&balanced(all), L2);
        engine.set_judge(Arc::new(Judge {
            hybrid: model.clone(),
            lexical: model,
        }));
        for (level, total) in LEVELS.iter().zip(totals.iter_mut()) {
            engine.set_settings(SearchSettings {
                min_relevance: *level,
                ..SearchSettings::default()
            });
            total.add(&evaluate_engine(&pools[left_out], engine));
        }
    }
    engine.set_settings(SearchSettings::default());
    for (level, total) in LEVELS.iter().zip(&totals) {
        println!(
            "{} cross-validated, min_relevance {level}:\n{}",
            mode(semantic),
            total.render(0)
        );
    }
}

/// `samples` with the answering ones weighted up to as much, in all, as the
/// others: the judged probability is then 0.5 where the two are equally likely.
fn balanced(mut samples: Vec<Sample>) -> Vec<Sample> {
    let weight = |answers: bool, samples: &[Sample]| -> f64 {
        samples
            .iter()
            .filter(|s| s.answers == answers)
            .map(|s| s.weight)
            .sum()
    };
    let ratio = weight(false, &samples) / weight(true, &samples).max(f64::EPSILON);
    for s in samples.iter_mut().filter(|s| s.answers) {
        s.weight *= ratio;
    }
    samples
}

impl Engines {
    fn pick(&self, semantic: bool) -> &Engine {
        if semantic {
            &self.hybrid
        } else {
            &self.lexical
        }
    }

    fn pick_mut(&mut self, semantic: bool) -> &mut Engine {
        if semantic {
            &mut self.hybrid
        } else {
            &mut self.lexical
        }
    }
}

fn mode(semantic: bool) -> &'static str {
    if semantic {
        "hybrid"
    } else {
        "lexical"
    }
}

/// A training example and where it came from (for `--dump`).
struct Example {
    sample: Sample,
    source: &'static str,
    id: String,
    kind: String,
    /// "best": the best passage as ranked; "rest": the best once the right
    /// passages are taken out.
    role: &'static str,
    answerable: bool,
}

impl Example {
    fn to_json(&self, semantic: bool) -> String {
        serde_json::json!({
            "semantic": semantic,
            "source": self.source,
            "id": self.id,
            "kind": self.kind,
            "role": self.role,
            "answerable": self.answerable,
            "answers": self.sample.answers,
            "weight": self.sample.weight,
            "inputs": self.sample.inputs,
        })
        .to_string()
    }
}

/// The examples of `questions` asked of `engine` (see the file's doc).
fn examples(
    source: &'static str,
    engine: &Engine,
    questions: &[EvalQuestion],
    weight: f64,
) -> Vec<Example> {
    let mut out = Vec::new();
    for q in questions {
        let answerable = !q.is_unanswerable();
        let example = |inputs, answers, role| Example {
            sample: Sample {
                inputs,
                answers,
                weight,
            },
            source,
            id: q.id.clone(),
            kind: q.kind.clone().unwrap_or_default(),
            role,
            answerable,
        };
        let Some(best) = engine.judge_best(&q.question, |_: &Passage| false) else {
            continue;
        };
        let right = |p: &Passage| answerable && q.is_gold(&p.id, &p.text);
        let best_is_right = engine.passage(best.passage).is_some_and(|p| right(&p));
        out.push(example(best.inputs, best_is_right, "best"));
        if answerable {
            if let Some(rest) = engine.judge_best(&q.question, right) {
                out.push(example(rest.inputs, false, "rest"));
            }
        }
    }
    out
}

/// Questions of another corpus asked of `engine`: nothing answers them.
fn off_topic(source: &'static str, engine: &Engine, questions: &[EvalQuestion]) -> Vec<Example> {
    questions
        .iter()
        .filter_map(|q| {
            let best = engine.judge_best(&q.question, |_| false)?;
            Some(Example {
                sample: Sample {
                    inputs: best.inputs,
                    answers: false,
                    weight: OFF_TOPIC_WEIGHT,
                },
                source,
                id: q.id.clone(),
                kind: "offtopic".into(),
                role: "best",
                answerable: false,
            })
        })
        .collect()
}

/// The engines over `corpus`: with the model (JSONL corpora too) and without.
fn engines(corpus: &Path) -> Result<Engines, Box<dyn std::error::Error>> {
    let build = |enabled: bool| {
        let semantic = SemanticSource::new(SemanticSettings {
            enabled,
            jsonl: true,
            ..SemanticSettings::default()
        });
        build_engine(
            corpus,
            &Default::default(),
            SearchSettings::default(),
            &semantic,
        )
    };
    let hybrid = build(true)?;
    if !hybrid.has_semantic() {
        return Err(format!("{}: the model is needed (summit-bot model fetch)", corpus.display()).into());
    }
    Ok(Engines {
        hybrid,
        lexical: build(false)?,
    })
}
