//! Scores for binary predictions (knowledge tracing); everything that ranks (top-k, hits@n,
//! Recall/NDCG, AUC) is in [`ranking`].

pub mod ranking;

use serde::{Deserialize, Serialize};

use ranking::auc;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
