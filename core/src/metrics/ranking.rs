//! Ranking: choosing the best items and scoring a ranking, one implementation of each.
//!
//! Every trainer's monitor, evaluator, baseline and benchmark ranks through here, so "hits@5"
//! means the same thing in a training log, in `classlens eval` and in BENCHMARKS.md:
//!
//! - [`top_k`] picks the `k` highest scores (ties: lower id first; NaN ranks last), and
//!   [`first_n`] takes the first `n` distinct kept ids of an already ranked list;
//! - [`rank_of`] is a target's 0-based rank among candidates by score, counting only strictly
//!   higher scores (a tie does not push the target down), and [`position`] its rank in a list;
//! - [`hit`] turns a rank into hits@n, [`recall_at_k`] and [`ndcg_at_k`] score a top-k list
//!   against a set of relevant items, and [`auc`] scores a binary prediction by its ranking.

use std::cmp::Ordering;
use std::collections::HashSet;

/// Best-first order of two scored ids: higher score first, then lower id; NaN after any number.
fn better(a: (f32, u32), b: (f32, u32)) -> Ordering {
    let key = |s: f32| if s.is_nan() { f32::NEG_INFINITY } else { s };
    key(b.0).total_cmp(&key(a.0)).then_with(|| b.0.is_nan().cmp(&a.0.is_nan()).reverse()).then(a.1.cmp(&b.1))
}

/// The ids of the `k` highest `scores` that `keep`, best first (ties: lower id first; NaN last).
/// An id is its index in `scores`.
pub fn top_k(scores: &[f32], k: usize, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut kept: Vec<(f32, u32)> = (0..scores.len() as u32).filter(|&i| keep(i)).map(|i| (scores[i as usize], i)).collect();
    if kept.len() > k {
        kept.select_nth_unstable_by(k, |&a, &b| better(a, b));
        kept.truncate(k);
    }
    kept.sort_unstable_by(|&a, &b| better(a, b));
    kept.into_iter().map(|(_, i)| i).collect()
}

/// The first `n` distinct ids of `ranked` that `keep`, in order.
pub fn first_n(ranked: impl IntoIterator<Item = u32>, n: usize, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut out = Vec::with_capacity(n);
    let mut taken = HashSet::with_capacity(n);
    for id in ranked {
        if out.len() >= n {
            break;
        }
        if keep(id) && taken.insert(id) {
            out.push(id);
        }
    }
    out
}

/// The 0-based rank of `target` among `candidates` by `scores`: how many candidates score
/// strictly higher. The target need not be a candidate (its score is still read).
pub fn rank_of(scores: &[f32], target: u32, candidates: impl IntoIterator<Item = u32>) -> usize {
    let t = scores[target as usize];
    candidates.into_iter().filter(|&id| scores[id as usize] > t).count()
}

/// The 0-based position of `target` in `ranked`, if there.
pub fn position<T: PartialEq>(ranked: &[T], target: &T) -> Option<usize> {
    ranked.iter().position(|r| r == target)
}

/// Hits@n of a rank: the target is among the first `n` (a missing rank is never a hit).
pub fn hit(rank: Option<usize>, n: usize) -> bool {
    rank.is_some_and(|r| r < n)
}

/// Recall@k of `top` (a list of at most `k`) against `relevant` (sorted ascending): the share
/// of the relevant items found, out of at most `k` findable. `None` with nothing relevant.
pub fn recall_at_k(top: &[u32], relevant: &[u32], k: usize) -> Option<f64> {
    debug_assert!(top.len() <= k);
    let findable = relevant.len().min(k);
    (findable > 0).then(|| top.iter().filter(|i| relevant.binary_search(i).is_ok()).count() as f64 / findable as f64)
}

/// NDCG@k of `top` (a list of at most `k`) against `relevant` (sorted ascending), binary
/// gains. `None` with nothing relevant.
pub fn ndcg_at_k(top: &[u32], relevant: &[u32], k: usize) -> Option<f64> {
    let gain = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let ideal: f64 = (0..relevant.len().min(k)).map(gain).sum();
    let dcg: f64 = top.iter().enumerate().filter(|(_, i)| relevant.binary_search(i).is_ok()).map(|(rank, _)| gain(rank)).sum();
    (ideal > 0.0).then(|| dcg / ideal)
}

/// Area under the ROC curve; `None` when only one class is present (AUC is undefined).
///
/// Computed exactly from ranks with ties averaged (Mann-Whitney U), so a constant predictor
/// scores 0.5 and results match scikit-learn's `roc_auc_score`.
pub fn auc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_order_ties_and_filters() {
        let s = [0.1, 0.9, 0.5, 0.7, 0.5];
        assert_eq!(top_k(&s, 3, |_| true), [1, 3, 2]);
        assert_eq!(top_k(&s, 2, |i| i != 1), [3, 2]);
        assert_eq!(top_k(&s, 10, |i| i % 2 == 0), [2, 4, 0]);
        assert_eq!(top_k(&s, 0, |_| true), Vec::<u32>::new());
        assert_eq!(top_k(&[f32::NAN, 0.2, f32::NEG_INFINITY], 3, |_| true), [1, 2, 0], "NaN ranks last");
    }

    #[test]
    fn top_k_matches_a_full_sort() {
        let mut x = 12345u64;
        let scores: Vec<f32> = (0..500)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 40) % 50) as f32 // many ties
            })
            .collect();
        let mut all: Vec<u32> = (0..500).collect();
        all.sort_by(|&a, &b| scores[b as usize].total_cmp(&scores[a as usize]).then(a.cmp(&b)));
        for k in [1, 7, 50, 499, 500, 600] {
            assert_eq!(top_k(&scores, k, |_| true), all[..k.min(500)]);
        }
    }

    #[test]
    fn first_n_dedups_and_filters() {
        assert_eq!(first_n([5, 3, 5, 8, 2, 9], 3, |i| i != 8), [5, 3, 2]);
        assert_eq!(first_n([1, 2], 5, |_| true), [1, 2]);
    }

    #[test]
    fn ranks_and_hits() {
        let s = [0.3, 0.9, 0.3, 0.1];
        assert_eq!(rank_of(&s, 0, 0..4), 1, "a tie does not push the target down");
        assert_eq!(rank_of(&s, 3, 0..4), 3);
        assert_eq!(rank_of(&s, 3, 2..4), 1, "only candidates count");
        assert!(hit(Some(0), 1) && hit(Some(4), 5) && !hit(Some(5), 5) && !hit(None, 20));
        assert_eq!(position(&[3, 1, 2], &1), Some(1));
        assert!(hit(position(&[3, 1, 2], &1), 2) && !hit(position(&[3, 1, 2], &2), 2));
    }

    #[test]
    fn recall_and_ndcg_by_hand() {
        // Relevant {2, 7}; top-3 [7, 1, 2]: both found.
        assert_eq!(recall_at_k(&[7, 1, 2], &[2, 7], 3), Some(1.0));
        let ndcg = (1.0 + 1.0 / 4f64.log2()) / (1.0 + 1.0 / 3f64.log2());
        assert!((ndcg_at_k(&[7, 1, 2], &[2, 7], 3).unwrap() - ndcg).abs() < 1e-12);
        // Three relevant, k = 2: at most two findable.
        assert_eq!(recall_at_k(&[4, 9], &[1, 4, 6], 2), Some(0.5));
        assert_eq!(ndcg_at_k(&[1, 4], &[1, 4, 6], 2), Some(1.0));
        // A short list (few candidates left) is still judged out of k.
        assert_eq!(recall_at_k(&[4], &[1, 4, 6], 2), Some(0.5));
        assert_eq!(recall_at_k(&[1], &[], 1), None);
        assert_eq!(ndcg_at_k(&[1], &[], 1), None);
    }

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
}
