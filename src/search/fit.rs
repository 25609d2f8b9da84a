//! Fitting the judge ([`super::judge`]): L2-regularised, weighted logistic
//! regression by Newton's method. Deterministic (no random start, no
//! sampling), so the trainer rebuilds the shipped weights byte for byte.

use super::judge::{Inputs, Model, INPUTS};

/// One labelled example: a question's candidate passage, whether quoting it
/// is right, and how much the example counts.
#[derive(Debug, Clone)]
pub struct Sample {
    pub inputs: Inputs,
    pub answers: bool,
    pub weight: f64,
}

/// Newton steps at most; it converges in about ten.
const MAX_STEPS: usize = 100;

/// Fits a model to `samples` with L2 strength `l2` (on the standardised
/// weights, not the bias).
pub fn fit(samples: &[Sample], l2: f64) -> Model {
    let n = INPUTS.len();
    let total: f64 = samples.iter().map(|s| s.weight).sum::<f64>().max(f64::EPSILON);
    let mut mean = vec![0.0f64; n];
    for s in samples {
        for (m, x) in mean.iter_mut().zip(&s.inputs) {
            *m += s.weight * f64::from(*x) / total;
        }
    }
    let mut scale = vec![0.0f64; n];
    for s in samples {
        for ((v, x), m) in scale.iter_mut().zip(&s.inputs).zip(&mean) {
            *v += s.weight * (f64::from(*x) - m).powi(2) / total;
        }
    }
    // A constant input (all semantic inputs of the lexical model) keeps scale 1
    // and, regularised, weight 0.
    let scale: Vec<f64> = scale
        .iter()
        .map(|v| if *v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    let rows: Vec<Vec<f64>> = samples
        .iter()
        .map(|s| {
            let mut row: Vec<f64> = s
                .inputs
                .iter()
                .zip(&mean)
                .zip(&scale)
                .map(|((x, m), sc)| (f64::from(*x) - m) / sc)
                .collect();
            row.push(1.0);
            row
        })
        .collect();

    let dim = n + 1;
    let mut w = vec![0.0f64; dim];
    for _ in 0..MAX_STEPS {
        let mut gradient = vec![0.0f64; dim];
        let mut hessian = vec![vec![0.0f64; dim]; dim];
        for (row, s) in rows.iter().zip(samples) {
            let logit: f64 = row.iter().zip(&w).map(|(x, w)| x * w).sum();
            let p = 1.0 / (1.0 + (-logit).exp());
            let y = if s.answers { 1.0 } else { 0.0 };
            for i in 0..dim {
                gradient[i] += s.weight * (p - y) * row[i];
                for j in 0..dim {
                    hessian[i][j] += s.weight * p * (1.0 - p) * row[i] * row[j];
                }
            }
        }
        for i in 0..n {
            gradient[i] += l2 * w[i];
            hessian[i][i] += l2;
        }
        hessian[n][n] += 1e-9;
        let Some(step) = solve(hessian, gradient) else {
            break;
        };
        let size: f64 = step.iter().map(|s| s.abs()).fold(0.0, f64::max);
        for (w, s) in w.iter_mut().zip(&step) {
            *w -= s;
        }
        if size < 1e-9 {
            break;
        }
    }
    Model {
        inputs: INPUTS.iter().map(|s| s.to_string()).collect(),
        mean: mean.iter().map(|m| *m as f32).collect(),
        scale: scale.iter().map(|s| *s as f32).collect(),
        weights: w[..n].iter().map(|w| *w as f32).collect(),
        bias: w[n] as f32,
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (`None`
/// when `a` is singular).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= factor * a[col][k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0f64; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(first: f32, answers: bool) -> Sample {
        let mut inputs = [0.0; INPUTS.len()];
        inputs[0] = first;
        Sample {
            inputs,
            answers,
            weight: 1.0,
        }
    }

    #[test]
    fn learns_a_separating_input_and_ignores_constant_ones() {
        let samples: Vec<Sample> = (0..40)
            .map(|n| {
                let x = n as f32 / 40.0;
                // Mostly above 0.5 answers; a little noise keeps it finite.
                sample(x, (x > 0.5) != (n % 13 == 0))
            })
            .collect();
        let model = fit(&samples, 1.0);
        assert!(model.weights[0] > 1.0, "{:?}", model.weights);
        assert!(model.weights[1..].iter().all(|w| w.abs() < 1e-6));
        let mut low = [0.0; INPUTS.len()];
        let mut high = low;
        low[0] = 0.1;
        high[0] = 0.9;
        assert!(model.probability(&low) < 0.3);
        assert!(model.probability(&high) > 0.7);
    }

    #[test]
    fn solves_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
    }
}
