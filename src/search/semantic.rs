//! Semantic retrieval: the question's multilingual-e5 vector against every
//! paragraph's. It finds what people mean when they use none of the article's
//! words (English questions, paraphrases).
//!
//! e5's cosines are compressed (unrelated text scores 0.8 too), so a cosine
//! means little on its own; what matters is how far a paragraph stands out
//! from the rest of the corpus for this question: its z-score.

use std::sync::Arc;

use crate::semantic::{DenseVectors, Embedder};

/// Paragraph vectors of one corpus and the model that made them.
pub struct SemanticIndex {
    embedder: Arc<Embedder>,
    vectors: DenseVectors,
}

/// One question's similarity to every paragraph.
pub(super) struct Similarities {
    scores: Vec<f32>,
    mean: f32,
    spread: f32,
}

impl SemanticIndex {
    pub fn new(embedder: Arc<Embedder>, vectors: DenseVectors) -> SemanticIndex {
        SemanticIndex { embedder, vectors }
    }

    /// Paragraphs it has vectors for.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Embeds `question` and compares it with every paragraph.
    pub(super) fn similarities(&self, question: &str) -> Similarities {
        let query = self.embedder.embed_query(question);
        Similarities::new(self.vectors.scores(&query))
    }
}

impl Similarities {
    fn new(scores: Vec<f32>) -> Similarities {
        let n = scores.len().max(1) as f32;
        let mean = scores.iter().sum::<f32>() / n;
        let variance = scores.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n;
        Similarities {
            scores,
            mean,
            spread: variance.sqrt().max(1e-4),
        }
    }

    /// The `k` most similar paragraphs, best first.
    pub fn top(&self, k: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.scores.len()).collect();
        let k = k.min(order.len());
        if k == 0 {
            return Vec::new();
        }
        order.select_nth_unstable_by(k - 1, |&a, &b| self.scores[b].total_cmp(&self.scores[a]));
        order.truncate(k);
        order.sort_by(|&a, &b| self.scores[b].total_cmp(&self.scores[a]));
        order
    }

    /// The raw cosine of `passage` with the question.
    pub fn cosine(&self, passage: usize) -> f32 {
        self.scores.get(passage).copied().unwrap_or(0.0)
    }

    /// How many standard deviations `passage` stands above the corpus mean.
    pub fn z(&self, passage: usize) -> f32 {
        self.scores
            .get(passage)
            .map_or(0.0, |s| (s - self.mean) / self.spread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_and_z() {
        let s = Similarities::new(vec![0.80, 0.81, 0.90, 0.79]);
        assert_eq!(s.top(2), [2, 1]);
        assert!(s.z(2) > 1.5 && s.z(3) < 0.0);
        assert!(s.top(10).len() == 4 && Similarities::new(vec![]).top(3).is_empty());
    }
}
