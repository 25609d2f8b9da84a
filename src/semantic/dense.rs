//! Paragraph vectors in one flat array, and the nearest ones to a question
//! (dot product = cosine, the vectors being unit length).

/// `len()` vectors of `dim` floats each, row after row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DenseVectors {
    dim: usize,
    data: Vec<f32>,
}

impl DenseVectors {
    /// `data.len()` must be a multiple of `dim`; a ragged tail is dropped.
    pub fn new(dim: usize, mut data: Vec<f32>) -> DenseVectors {
        let rows = data.len().checked_div(dim).unwrap_or(0);
        data.truncate(rows * dim);
        DenseVectors { dim, data }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of vectors (paragraphs).
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Vector `i`; empty when out of range.
    pub fn row(&self, i: usize) -> &[f32] {
        self.data
            .get(i * self.dim..(i + 1) * self.dim)
            .unwrap_or(&[])
    }

    /// The whole array, row after row.
    pub fn as_flat(&self) -> &[f32] {
        &self.data
    }

    /// The score of every vector for `query` (index = paragraph); all zero when
    /// `query` has the wrong length.
    pub fn scores(&self, query: &[f32]) -> Vec<f32> {
        if query.len() != self.dim || self.dim == 0 {
            return vec![0.0; self.len()];
        }
        self.data
            .chunks_exact(self.dim)
            .map(|row| dot(row, query))
            .collect()
    }

    /// The `k` best (index, score) pairs, best first; ties keep index order.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        if query.len() != self.dim {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self.scores(query).into_iter().enumerate().collect();
        let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if k < scored.len() {
            if k == 0 {
                return Vec::new();
            }
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.sort_by(order);
        scored
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_ranks_by_dot_product_and_ignores_bad_queries() {
        let v = DenseVectors::new(2, vec![1.0, 0.0, 0.0, 1.0, 0.6, 0.8, 0.0, 1.0]);
        assert_eq!(v.len(), 4);
        let top = v.top_k(&[0.0, 1.0], 2);
        assert_eq!(top, vec![(1, 1.0), (3, 1.0)]);
        assert_eq!(v.top_k(&[0.0, 1.0], 10).len(), 4);
        assert!(v.top_k(&[1.0], 2).is_empty());
        assert!(v.top_k(&[0.0, 1.0], 0).is_empty());
        assert_eq!(v.row(2), &[0.6, 0.8]);
        assert!(v.row(9).is_empty());
    }
}
