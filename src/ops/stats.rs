//! What /stats tells an admin: counts since start and the questions the
//! corpus could not answer most often (a to-do list for the next articles).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::metrics::Verdict;

/// Distinct unanswered questions remembered; past it the rarest are forgotten,
/// so months of traffic cannot grow memory without bound.
const MAX_UNANSWERED: usize = 2000;
/// Longest question kept (characters).
const MAX_QUESTION_CHARS: usize = 100;

#[derive(Default)]
struct Counts {
    answered: u64,
    abstained: u64,
    rejected: u64,
    unanswered: HashMap<String, u64>,
}

/// Counts since the process started.
pub struct Stats {
    started: Instant,
    counts: Mutex<Counts>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            counts: Mutex::default(),
        }
    }
}

impl Stats {
    /// Counts one question; an abstained one is also remembered (normalised).
    pub fn record(&self, verdict: Verdict, question: &str) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        match verdict {
            Verdict::Answered => c.answered += 1,
            Verdict::Rejected => c.rejected += 1,
            Verdict::Abstained => {
                c.abstained += 1;
                let key = normalize(question);
                if key.is_empty() {
                    return;
                }
                if !c.unanswered.contains_key(&key) && c.unanswered.len() >= MAX_UNANSWERED {
                    evict_rarest(&mut c.unanswered);
                }
                *c.unanswered.entry(key).or_insert(0) += 1;
            }
        }
    }

    /// The /stats reply (Chinese, plain text).
    pub fn report(&self, top: usize) -> String {
        let c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let hours = self.started.elapsed().as_secs_f64() / 3600.0;
        let mut out = format!(
            "自启动以来（{hours:.1} 小时）：\n回答 {} 个问题，未找到答案 {} 个，拒绝 {} 个。",
            c.answered, c.abstained, c.rejected
        );
        let mut top_list: Vec<(&String, &u64)> = c.unanswered.iter().collect();
        top_list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if top_list.is_empty() {
            out.push_str("\n暂无未回答的问题。");
        } else {
            out.push_str("\n\n最常见的未回答问题：");
            for (question, count) in top_list.into_iter().take(top) {
                out.push_str(&format!("\n• {question}（{count} 次）"));
            }
        }
        out
    }
}

/// Drops the least asked questions (the bottom quarter at once, so eviction is rare).
fn evict_rarest(map: &mut HashMap<String, u64>) {
    let mut counts: Vec<u64> = map.values().copied().collect();
    counts.sort_unstable();
    let cut = counts[counts.len() / 4];
    map.retain(|_, n| *n > cut);
}

/// The same question asked with other punctuation, spacing or width counts once.
fn normalize(question: &str) -> String {
    let folded = crate::text::fold(question);
    let kept: String = folded
        .chars()
        .filter(|c| !c.is_whitespace() && !is_punct(*c))
        .take(MAX_QUESTION_CHARS)
        .collect();
    kept.to_lowercase()
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() || "，。？！、；：“”‘’（）《》【】…—·".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ranks_unanswered_questions() {
        let s = Stats::default();
        s.record(Verdict::Answered, "乌镇峰会在哪里举行？");
        s.record(Verdict::Abstained, "今天天气怎么样？");
        s.record(Verdict::Abstained, "今天 天气怎么样");
        s.record(Verdict::Abstained, "谁是冠军");
        s.record(Verdict::Rejected, "");
        let r = s.report(5);
        assert!(
            r.contains("回答 1 个问题，未找到答案 3 个，拒绝 1 个"),
            "{r}"
        );
        let first = r.find("今天天气怎么样（2 次）").expect(&r);
        assert!(first < r.find("谁是冠军（1 次）").expect(&r));
    }

    #[test]
    fn memory_is_bounded() {
        let s = Stats::default();
        for i in 0..(MAX_UNANSWERED * 2) {
            s.record(Verdict::Abstained, &format!("问题{i}"));
        }
        assert!(s.counts.lock().unwrap().unanswered.len() <= MAX_UNANSWERED);
    }
}
