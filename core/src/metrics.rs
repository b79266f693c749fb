//! Scores for binary predictions (knowledge tracing) and ranked suggestions.
//!
//! AUC is computed exactly from ranks with ties averaged, so a constant predictor scores 0.5
//! and results match scikit-learn's `roc_auc_score`.

use serde::{Deserialize, Serialize};

/// Area under the ROC curve; `None` when only one class is present (AUC is undefined).
pub fn auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives: Mann-Whitney U.
    let mut rank_sum_pos = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] {
                rank_sum_pos += avg_rank;
            }
        }
        i = j + 1;
    }
    let (p, n) = (pos as f64, neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * n))
}

/// The usual binary-prediction report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryReport {
    pub n: usize,
    pub auc: Option<f64>,
    pub accuracy: f64,
    pub rmse: f64,
    pub log_loss: f64,
}

pub fn binary_report(scores: &[f32], labels: &[bool]) -> BinaryReport {
    let n = scores.len();
    let (mut correct, mut se, mut ll) = (0usize, 0.0f64, 0.0f64);
    for (&s, &l) in scores.iter().zip(labels) {
        let p = (s as f64).clamp(1e-7, 1.0 - 1e-7);
        let y = if l { 1.0 } else { 0.0 };
        correct += usize::from((p >= 0.5) == l);
        se += (p - y) * (p - y);
        ll -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
    }
    let nf = n.max(1) as f64;
    BinaryReport { n, auc: auc(scores, labels), accuracy: correct as f64 / nf, rmse: (se / nf).sqrt(), log_loss: ll / nf }
}

/// Hits@n: 1 when `target` is among the first `n` of `ranked`, else 0.
pub fn hit_at(ranked: &[u32], target: u32, n: usize) -> bool {
    ranked.iter().take(n).any(|&r| r == target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_hand_computed_cases() {
        // Perfect ranking, inverted ranking, and all-tied scores.
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), Some(0.0));
        assert_eq!(auc(&[0.5; 4], &[false, true, false, true]), Some(0.5));
        // sklearn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        // Ties across classes count one half: pairs (pos,neg) = 4, one tie.
        assert_eq!(auc(&[0.3, 0.5, 0.5, 0.9], &[false, false, true, true]), Some(0.875));
        assert_eq!(auc(&[0.3, 0.4], &[true, true]), None);
    }

    #[test]
    fn binary_report_values() {
        let r = binary_report(&[0.9, 0.2, 0.6, 0.4], &[true, false, false, true]);
        assert_eq!(r.n, 4);
        assert!((r.accuracy - 0.5).abs() < 1e-12);
        let rmse = ((0.01 + 0.04 + 0.36 + 0.36) / 4.0f64).sqrt();
        assert!((r.rmse - rmse).abs() < 1e-6);
        let ll = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.4f64.ln()) / 4.0;
        assert!((r.log_loss - ll).abs() < 1e-6);
    }

    #[test]
    fn hits() {
        assert!(hit_at(&[3, 1, 2], 1, 2));
        assert!(!hit_at(&[3, 1, 2], 2, 2));
    }
}
