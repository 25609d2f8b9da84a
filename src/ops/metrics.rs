//! The bot's Prometheus metrics, in one registry of its own (not the global
//! default one) so that tests and several bots in one process stay apart.

use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::search::{Engine, Outcome};

/// Where a question was asked, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatType {
    Private,
    Group,
}

impl ChatType {
    fn label(self) -> &'static str {
        match self {
            ChatType::Private => "private",
            ChatType::Group => "group",
        }
    }
}

/// What became of a question, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A passage was quoted.
    Answered,
    /// Searched, but nothing relevant enough: the bot said so.
    Abstained,
    /// Not searched: too long, nothing to search for, a greeting, a flood or a
    /// chat that is not allowed.
    Rejected,
}

impl Verdict {
    pub fn of(outcome: Outcome) -> Verdict {
        match outcome {
            Outcome::Answered => Verdict::Answered,
            Outcome::NotFound => Verdict::Abstained,
            Outcome::Greeting | Outcome::Empty => Verdict::Rejected,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Answered => "answered",
            Verdict::Abstained => "abstained",
            Verdict::Rejected => "rejected",
        }
    }
}

/// Every metric the bot exports.
pub struct Metrics {
    registry: Registry,
    questions: IntCounterVec,
    latency: Histogram,
    api_errors: IntCounterVec,
    api_retries: IntCounterVec,
    articles: IntGauge,
    paragraphs: IntGauge,
    reloads: IntCounter,
    reload_failures: IntCounter,
    panics: IntCounter,
    callbacks_rejected: IntCounterVec,
    journal_failures: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("summit".to_string()), None)?;
        let questions = IntCounterVec::new(
            Opts::new(
                "questions_total",
                "Questions by outcome (answered, abstained, rejected) and chat type",
            ),
            &["outcome", "chat_type"],
        )?;
        let latency = Histogram::with_opts(
            HistogramOpts::new(
                "answer_latency_seconds",
                "Time from receiving a question to having its reply ready (search and render)",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )?;
        let api_errors = IntCounterVec::new(
            Opts::new(
                "telegram_errors_total",
                "Failed Telegram API requests (retried or not), by method and failure kind",
            ),
            &["method", "kind"],
        )?;
        let api_retries = IntCounterVec::new(
            Opts::new(
                "telegram_retries_total",
                "Telegram API requests retried, by method and failure kind",
            ),
            &["method", "kind"],
        )?;
        let articles = IntGauge::new("corpus_articles", "Articles in the corpus in use")?;
        let paragraphs = IntGauge::new(
            "corpus_paragraphs",
            "Paragraphs (searchable passages) in the corpus in use",
        )?;
        let reloads = IntCounter::new("reloads_total", "Corpus reloads that succeeded")?;
        let reload_failures = IntCounter::new(
            "reload_failures_total",
            "Corpus reloads that failed (the previous corpus stayed in use)",
        )?;
        let panics = IntCounter::new(
            "handler_panics_total",
            "Updates whose handler panicked (caught: the user got an apology)",
        )?;
        let callbacks_rejected = IntCounterVec::new(
            Opts::new(
                "callbacks_rejected_total",
                "Button presses refused: stale (another corpus or version) or invalid (bad MAC, not ours)",
            ),
            &["reason"],
        )?;
        let journal_failures = IntCounter::new(
            "journal_failures_total",
            "Update journal writes that failed (those updates are not crash-safe)",
        )?;
        let build = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "Always 1; the version label says which build runs",
            ),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        for collector in [
            Box::new(questions.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(api_errors.clone()),
            Box::new(api_retries.clone()),
            Box::new(articles.clone()),
            Box::new(paragraphs.clone()),
            Box::new(reloads.clone()),
            Box::new(reload_failures.clone()),
            Box::new(panics.clone()),
            Box::new(callbacks_rejected.clone()),
            Box::new(journal_failures.clone()),
            Box::new(build),
        ] {
            registry.register(collector)?;
        }
        // Zero series exist from the start, so dashboards see 0 rather than nothing.
        for outcome in [Verdict::Answered, Verdict::Abstained, Verdict::Rejected] {
            for chat in [ChatType::Private, ChatType::Group] {
                questions.with_label_values(&[outcome.label(), chat.label()]);
            }
        }
        for reason in ["stale", "invalid"] {
            callbacks_rejected.with_label_values(&[reason]);
        }
        Ok(Metrics {
            registry,
            questions,
            latency,
            api_errors,
            api_retries,
            articles,
            paragraphs,
            reloads,
            reload_failures,
            panics,
            callbacks_rejected,
            journal_failures,
        })
    }

    pub fn question(&self, verdict: Verdict, chat: ChatType) {
        self.questions
            .with_label_values(&[verdict.label(), chat.label()])
            .inc();
    }

    pub fn latency(&self, elapsed: Duration) {
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// A failed Telegram request (`kind` from `delivery::kind`); `retried`
    /// when it is tried again, so errors minus retries is what was given up.
    pub fn api_failure(&self, method: &str, kind: &str, retried: bool) {
        self.api_errors.with_label_values(&[method, kind]).inc();
        if retried {
            self.api_retries.with_label_values(&[method, kind]).inc();
        }
    }

    /// Sets the corpus gauges from the engine now in use.
    pub fn corpus(&self, engine: &Engine) {
        let index = engine.index();
        self.articles.set(index.articles.len() as i64);
        self.paragraphs.set(index.passages.len() as i64);
    }

    pub fn reload(&self, ok: bool) {
        if ok {
            self.reloads.inc();
        } else {
            self.reload_failures.inc();
        }
    }

    /// A handler panicked (caught and answered with an apology).
    pub fn panic(&self) {
        self.panics.inc();
    }

    /// A button press refused; `reason` is `stale` or `invalid`.
    pub fn callback_rejected(&self, reason: &str) {
        self.callbacks_rejected.with_label_values(&[reason]).inc();
    }

    /// An update journal write failed.
    pub fn journal_failure(&self) {
        self.journal_failures.inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %err, "cannot encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::new().unwrap();
        m.question(Verdict::Answered, ChatType::Private);
        m.api_failure("sendMessage", "transient", true);
        m.reload(false);
        let text = m.render();
        assert!(
            text.contains(r#"summit_questions_total{chat_type="private",outcome="answered"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"summit_questions_total{chat_type="group",outcome="rejected"} 0"#));
        assert!(text.contains("summit_reload_failures_total 1"));
        assert!(text.contains(r#"summit_build_info{version=""#));
        assert!(text.contains("summit_answer_latency_seconds_bucket"));
    }
}
