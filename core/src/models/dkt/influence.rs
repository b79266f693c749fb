//! The influence between skills a DKT model has learned (Piech et al., 2015, §5): `J[i][j]` is
//! the probability of answering `j` correctly after one correct answer on `i` from the start
//! state, normalised over `i`. Clustering skills by it recovers latent concepts: the paper's
//! check on its simulated students, where the true concept of each exercise is known.

use crate::models::dkt::kernel::DktWeights;
use crate::sequences::kt::KtStep;

/// `J[i][j] = y(j | i) / Σ_k y(j | k)`, the paper's definition.
pub fn influence_matrix(w: &DktWeights) -> Vec<Vec<f32>> {
    let y = after_one_answer(w, true);
    let s = y.len();
    let col_sum: Vec<f32> = (0..s).map(|j| (0..s).map(|i| y[i][j]).sum()).collect();
    (0..s).map(|i| (0..s).map(|j| y[i][j] / col_sum[j]).collect()).collect()
}

/// `y(j | i right) − y(j | i wrong)`: how much the answer on `i` moves the prediction for `j`.
/// Unlike [`influence_matrix`] it cancels what any first answer says about the student in
/// general (their overall ability), leaving what it says about related skills.
pub fn answer_effect_matrix(w: &DktWeights) -> Vec<Vec<f32>> {
    let (right, wrong) = (after_one_answer(w, true), after_one_answer(w, false));
    right.iter().zip(&wrong).map(|(r, q)| r.iter().zip(q).map(|(a, b)| a - b).collect()).collect()
}

/// `y[i][j]`: predicted probability of `j` after one answer (`correct`) on `i`.
fn after_one_answer(w: &DktWeights, correct: bool) -> Vec<Vec<f32>> {
    let s = w.config().n_skills;
    let steps: Vec<[KtStep; 1]> = (0..s as u32).map(|i| [KtStep::new(vec![i], correct)]).collect();
    let hist: Vec<&[KtStep]> = steps.iter().map(|x| x.as_slice()).collect();
    w.predict(&hist)
}

/// For each skill `i`, the share of the `top` skills it influences most (itself excluded) that
/// share its concept; averaged over skills. Chance level is about `(size of a concept - 1) /
/// (n - 1)`.
pub fn same_concept_precision(j: &[Vec<f32>], concept: &[usize], top: usize) -> f64 {
    let n = j.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut others: Vec<usize> = (0..n).filter(|&k| k != i).collect();
        others.sort_by(|&a, &b| j[i][b].total_cmp(&j[i][a]));
        let hits = others.iter().take(top).filter(|&&k| concept[k] == concept[i]).count();
        total += hits as f64 / top.min(n - 1) as f64;
    }
    total / n as f64
}

/// The precision a random ranking would get, for comparison.
pub fn chance_precision(concept: &[usize]) -> f64 {
    let n = concept.len();
    concept.iter().map(|&c| (concept.iter().filter(|&&d| d == c).count() - 1) as f64 / (n - 1) as f64).sum::<f64>() / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_counts_same_concept_neighbours() {
        // Skills 0,1 are concept 0; 2,3 concept 1. Each skill influences its partner most.
        let j = vec![vec![0.0, 0.9, 0.1, 0.2], vec![0.8, 0.0, 0.3, 0.1], vec![0.1, 0.2, 0.0, 0.7], vec![0.3, 0.1, 0.9, 0.0]];
        assert_eq!(same_concept_precision(&j, &[0, 0, 1, 1], 1), 1.0);
        assert!((chance_precision(&[0, 0, 1, 1]) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn influence_columns_are_normalised() {
        let cfg = crate::models::dkt::net::DktConfig { n_skills: 4, hidden: 5, n_problems: 0 };
        let w = DktWeights::from_model(&cfg.init(1, &crate::models::device::reference_device()));
        let j = influence_matrix(&w);
        for col in 0..4 {
            let s: f32 = (0..4).map(|i| j[i][col]).sum();
            assert!((s - 1.0).abs() < 1e-5);
        }
    }
}
