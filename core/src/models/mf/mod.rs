//! Matrix factorisation: `score(u, i) = p_u · q_i + b_u + b_i + μ`, trained with MSE on ratings or
//! with BPR on implicit feedback, and scored the way a recommender is used: RMSE on held-out cells,
//! Recall@k and NDCG@k over a *full* ranking of every item (a sampled ranking flatters a model).
//!
//! Unlike the MF reference notebook, whose model sums the whole batch into one number
//! (`torch.mul(u, i).sum()`), a score here is per (user, item) row, and the user's training items
//! are masked out of the ranking instead of being counted as hits (the distillation seed scores
//! on its own training pairs).

pub mod train;

use burn::module::{Module, Param};
use burn::tensor::activation::softplus;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::metrics::ranking::{ndcg_at_k, recall_at_k, top_k};
use crate::models::init::Init;
use crate::models::sgemm::sgemm;
use crate::sequences::mf::{MfBatch, Ratings};

/// Which loss the model is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfLoss {
    Mse,
    Bpr,
}

impl MfLoss {
    pub fn as_str(self) -> &'static str {
        match self {
            MfLoss::Mse => "mse",
            MfLoss::Bpr => "bpr",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MfConfig {
    pub n_users: usize,
    pub n_items: usize,
    pub dim: usize,
}

impl MfConfig {
    /// Parameters: two factor tables, two bias vectors, the global bias.
    pub fn n_params(&self) -> usize {
        (self.n_users + self.n_items) * (self.dim + 1) + 1
    }

    /// Factors ~ U(±0.1) (the seeds use N(0, 0.01²), which starts BPR in a flat region), biases at
    /// zero, the global bias at `mean` (the training ratings' mean for MSE).
    pub fn init(&self, seed: u64, mean: f32, device: &Device) -> Mf {
        let mut init = Init::new(seed);
        let zeros = |n: usize| Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.0f32; n], [n]), device));
        Mf {
            users: init.param2([self.n_users, self.dim], 0.1, device),
            items: init.param2([self.n_items, self.dim], 0.1, device),
            user_bias: zeros(self.n_users),
            item_bias: zeros(self.n_items),
            global: Param::from_tensor(Tensor::from_data(TensorData::new(vec![mean], [1]), device)),
        }
    }
}

#[derive(Module, Debug)]
pub struct Mf {
    pub users: Param<Tensor<2>>,
    pub items: Param<Tensor<2>>,
    pub user_bias: Param<Tensor<1>>,
    pub item_bias: Param<Tensor<1>>,
    pub global: Param<Tensor<1>>,
}

/// An [`MfBatch`] on a device.
pub struct MfBatchTensors {
    users: Tensor<1, Int>,
    items: Tensor<1, Int>,
    ratings: Tensor<1>,
    negatives: Option<Tensor<1, Int>>,
}

impl MfBatchTensors {
    pub fn new(b: &MfBatch, device: &Device) -> Self {
        let n = b.users.len();
        let int = |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), device);
        Self {
            users: int(&b.users),
            items: int(&b.items),
            ratings: Tensor::from_data(TensorData::new(b.ratings.clone(), [n]), device),
            negatives: (!b.negatives.is_empty()).then(|| int(&b.negatives)),
        }
    }

    /// The reference notebook's per-item loader, for `bench sampler`: every example becomes its own tensors
    /// and the batch is concatenated from them, as a `Dataset.__getitem__` + collate does.
    pub fn per_item(b: &MfBatch, device: &Device) -> Self {
        let one_int = |x: i64| Tensor::<1, Int>::from_data(TensorData::new(vec![x], [1]), device);
        let n = b.users.len();
        let users = Tensor::cat((0..n).map(|k| one_int(b.users[k])).collect(), 0);
        let items = Tensor::cat((0..n).map(|k| one_int(b.items[k])).collect(), 0);
        let ratings = Tensor::cat((0..n).map(|k| Tensor::<1>::from_data(TensorData::new(vec![b.ratings[k]], [1]), device)).collect(), 0);
        let negatives = (!b.negatives.is_empty()).then(|| Tensor::cat((0..n).map(|k| one_int(b.negatives[k])).collect(), 0));
        Self { users, items, ratings, negatives }
    }
}

impl Mf {
    pub fn config(&self) -> MfConfig {
        let [n_users, dim] = self.users.val().dims();
        MfConfig { n_users, n_items: self.items.val().dims()[0], dim }
    }

    /// Scores of (user, item) pairs, `[n]`; also the rows' factors for the L2 term.
    fn scores(&self, users: &Tensor<1, Int>, items: &Tensor<1, Int>) -> (Tensor<1>, Tensor<2>, Tensor<2>) {
        let p = self.users.val().select(0, users.clone());
        let q = self.items.val().select(0, items.clone());
        let n = p.dims()[0];
        let dot = (p.clone() * q.clone()).sum_dim(1).reshape([n]);
        let s = dot + self.user_bias.val().select(0, users.clone()) + self.item_bias.val().select(0, items.clone()) + self.global.val();
        (s, p, q)
    }

    pub fn score(&self, x: &MfBatchTensors) -> Tensor<1> {
        self.scores(&x.users, &x.items).0
    }

    /// BPR's `score(u, pos) − score(u, neg)` per row.
    pub fn bpr_difference(&self, x: &MfBatchTensors) -> Tensor<1> {
        let neg = x.negatives.as_ref().expect("a BPR batch has negatives");
        self.scores(&x.users, &x.items).0 - self.scores(&x.users, neg).0
    }

    /// Mean loss of the batch plus `l2 · mean ‖factors touched‖²`, and, with `teacher` (its BPR
    /// differences for the same rows), the distillation notebook's combination:
    /// `(1 − α) · BPR + α · T² · MSE(student diff, teacher diff)`. With MSE the teacher term is
    /// `MSE(student score, teacher score)`.
    pub fn loss(&self, x: &MfBatchTensors, loss: MfLoss, l2: f64, teacher: Option<(&Tensor<1>, f64, f64)>) -> Tensor<1> {
        let (hard, out, factors) = match loss {
            MfLoss::Mse => {
                let (s, p, q) = self.scores(&x.users, &x.items);
                ((s.clone() - x.ratings.clone()).powi_scalar(2).mean(), s, p.powi_scalar(2).sum_dim(1).mean() + q.powi_scalar(2).sum_dim(1).mean())
            }
            MfLoss::Bpr => {
                let neg = x.negatives.as_ref().expect("a BPR batch has negatives");
                let (sp, p, q) = self.scores(&x.users, &x.items);
                let (sn, _, qn) = self.scores(&x.users, neg);
                let diff = sp - sn;
                // −log σ(d) = softplus(−d).
                (
                    softplus(diff.clone().neg(), 1.0).mean(),
                    diff,
                    p.powi_scalar(2).sum_dim(1).mean() + q.powi_scalar(2).sum_dim(1).mean() + qn.powi_scalar(2).sum_dim(1).mean(),
                )
            }
        };
        let reg = factors.reshape([1]) * l2;
        match teacher {
            None => hard + reg,
            Some((t, temperature, alpha)) => {
                let soft = (out - t.clone()).powi_scalar(2).mean() * (temperature * temperature);
                hard * (1.0 - alpha) + soft * alpha + reg
            }
        }
    }
}

/// Held-out scores of a factor model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MfEvaluation {
    /// RMSE on the held-out cells (meaningful for MSE models).
    pub rmse: f64,
    /// Recall@k and NDCG@k over a full ranking of every item the user has not trained on, mean over
    /// users with a held-out item.
    pub recall: f64,
    pub ndcg: f64,
    pub k: usize,
    pub users: usize,
    pub cells: usize,
}

/// The weights as plain arrays, for ranking every item of many users quickly.
///
/// The fields are private: every `MfWeights` was made by [`MfWeights::new`], which checks each
/// array's length against the config the scoring code indexes them by.
#[derive(Debug, Clone, PartialEq)]
pub struct MfWeights {
    config: MfConfig,
    /// `[n_users, dim]`, row-major.
    users: Vec<f32>,
    /// `[n_items, dim]`, row-major.
    items: Vec<f32>,
    /// `[n_users]`.
    user_bias: Vec<f32>,
    /// `[n_items]`.
    item_bias: Vec<f32>,
    global: f32,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights")
}

impl MfWeights {
    /// Checks that `users` is `n_users × dim`, `items` `n_items × dim`, and the biases one per
    /// user and per item; an error names the first array that does not fit.
    pub fn new(config: MfConfig, users: Vec<f32>, items: Vec<f32>, user_bias: Vec<f32>, item_bias: Vec<f32>, global: f32) -> Result<Self, String> {
        let MfConfig { n_users, n_items, dim } = config;
        let expected = [
            ("users", users.len(), n_users.checked_mul(dim)),
            ("items", items.len(), n_items.checked_mul(dim)),
            ("user_bias", user_bias.len(), Some(n_users)),
            ("item_bias", item_bias.len(), Some(n_items)),
        ];
        for (name, len, want) in expected {
            let config = format!("n_users {n_users}, n_items {n_items}, dim {dim}");
            match want {
                None => return Err(format!("MF weights: {name}'s size overflows for a config of {config}")),
                Some(n) if len != n => return Err(format!("MF weights: {name} holds {len} values, a config of {config} needs {n}")),
                Some(_) => {}
            }
        }
        Ok(Self { config, users, items, user_bias, item_bias, global })
    }

    /// The weights of a burn module. Panics if its parameters disagree with one another, which a
    /// module made by [`MfConfig::init`] or loaded by burn-store (which checks shapes) never does.
    pub fn from_model(m: &Mf) -> Self {
        let global = to_vec(m.global.val())[0];
        Self::new(m.config(), to_vec(m.users.val()), to_vec(m.items.val()), to_vec(m.user_bias.val()), to_vec(m.item_bias.val()), global)
            .unwrap_or_else(|e| panic!("an MF module with inconsistent parameters: {e}"))
    }

    pub fn config(&self) -> MfConfig {
        self.config
    }

    /// `[n_users, dim]`, row-major.
    pub fn users(&self) -> &[f32] {
        &self.users
    }

    /// `[n_items, dim]`, row-major.
    pub fn items(&self) -> &[f32] {
        &self.items
    }

    /// `[n_users]`.
    pub fn user_bias(&self) -> &[f32] {
        &self.user_bias
    }

    /// `[n_items]`.
    pub fn item_bias(&self) -> &[f32] {
        &self.item_bias
    }

    pub fn global(&self) -> f32 {
        self.global
    }

    pub fn score(&self, u: u32, i: u32) -> f32 {
        let d = self.config.dim;
        let (u, i) = (u as usize, i as usize);
        let dot: f32 = self.users[u * d..(u + 1) * d].iter().zip(&self.items[i * d..(i + 1) * d]).map(|(a, b)| a * b).sum();
        dot + self.user_bias[u] + self.item_bias[i] + self.global
    }

    /// Scores of every item for `users`: `[users.len() × n_items]`, one GEMM.
    pub fn score_all(&self, users: &[u32]) -> Vec<f32> {
        let (d, n) = (self.config.dim, self.config.n_items);
        let a: Vec<f32> = users.iter().flat_map(|&u| self.users[u as usize * d..(u as usize + 1) * d].iter().copied()).collect();
        let mut c = vec![0.0f32; users.len() * n];
        for (r, &u) in users.iter().enumerate() {
            let base = self.user_bias[u as usize] + self.global;
            c[r * n..(r + 1) * n].iter_mut().zip(&self.item_bias).for_each(|(x, b)| *x = base + b);
        }
        // c (users × n) += a (users × d) · itemsᵀ: items is n × d, read transposed (strides 1, d).
        sgemm(users.len(), d, n, &a, (d, 1), &self.items, (1, d), 1.0, &mut c);
        c
    }
}

/// RMSE on `test`, and Recall@k / NDCG@k ranking every item not in the user's `train` row.
pub fn evaluate_mf(w: &MfWeights, train: &Ratings, test: &Ratings, k: usize) -> MfEvaluation {
    let se: f64 = (0..test.len()).map(|c| (w.score(test.users[c], test.items[c]) - test.ratings[c]) as f64).map(|e| e * e).sum();
    let rmse = if test.is_empty() { f64::NAN } else { (se / test.len() as f64).sqrt() };
    let users: Vec<u32> = (0..test.n_users as u32).filter(|&u| !test.user_items(u).is_empty()).collect();
    let (mut recall, mut ndcg) = (0.0f64, 0.0f64);
    for chunk in users.chunks(256) {
        let scores = w.score_all(chunk);
        let n = w.config().n_items;
        for (r, &u) in chunk.iter().enumerate() {
            let row = &scores[r * n..(r + 1) * n];
            let seen = train.user_items(u);
            let top = top_k(row, k, |i| seen.binary_search(&i).is_err());
            let relevant = test.user_items(u);
            recall += recall_at_k(&top, relevant, k).unwrap_or(0.0);
            ndcg += ndcg_at_k(&top, relevant, k).unwrap_or(0.0);
        }
    }
    let n = users.len().max(1) as f64;
    MfEvaluation { rmse, recall: recall / n, ndcg: ndcg / n, k, users: users.len(), cells: test.len() }
}

/// The baselines on the same protocol: the ranking gives every user the items most users trained
/// on (popularity); the RMSE predicts each item's mean training rating (the global mean for an
/// item with one rating or none), the usual floor a factor model must beat.
pub fn evaluate_popularity(train: &Ratings, test: &Ratings, k: usize) -> MfEvaluation {
    let mut counts = vec![0.0f32; train.n_items];
    let mut sums = vec![0.0f64; train.n_items];
    for c in 0..train.len() {
        counts[train.items[c] as usize] += 1.0;
        sums[train.items[c] as usize] += train.ratings[c] as f64;
    }
    let zero = |n: usize| vec![0.0f32; n];
    let config = MfConfig { n_users: train.n_users, n_items: train.n_items, dim: 0 };
    let popular = MfWeights::new(config, vec![], vec![], zero(train.n_users), counts.clone(), 0.0).expect("dim 0: no factors, a bias per user and item");
    let mut e = evaluate_mf(&popular, train, test, k);
    let mean = train.mean_rating();
    let item_mean = counts.iter().zip(&sums).map(|(&n, &s)| if n >= 2.0 { (s / n as f64) as f32 - mean } else { 0.0 }).collect();
    let means = MfWeights::new(config, vec![], vec![], zero(train.n_users), item_mean, mean).expect("dim 0: no factors, a bias per user and item");
    e.rmse = {
        let se: f64 = (0..test.len()).map(|c| (means.score(test.users[c], test.items[c]) - test.ratings[c]) as f64).map(|x| x * x).sum();
        if test.is_empty() { f64::NAN } else { (se / test.len() as f64).sqrt() }
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::mf::Cell;

    #[test]
    fn weights_that_do_not_fit_their_config_are_refused() {
        let cfg = MfConfig { n_users: 2, n_items: 3, dim: 4 };
        let ok = |users: usize, items: usize, ub: usize, ib: usize| MfWeights::new(cfg, vec![0.0; users], vec![0.0; items], vec![0.0; ub], vec![0.0; ib], 0.0);
        assert!(ok(8, 12, 2, 3).is_ok());
        assert_eq!(ok(8, 11, 2, 3).unwrap_err(), "MF weights: items holds 11 values, a config of n_users 2, n_items 3, dim 4 needs 12");
        assert!(ok(8, 12, 1, 3).unwrap_err().contains("user_bias holds 1 values"));
        assert!(ok(8, 12, 2, 4).unwrap_err().contains("item_bias holds 4 values"));
        let huge = MfConfig { n_users: usize::MAX, n_items: 3, dim: 4 };
        assert!(MfWeights::new(huge, vec![], vec![], vec![], vec![], 0.0).unwrap_err().contains("overflows"));
    }

    #[test]
    fn score_all_equals_score() {
        let cfg = MfConfig { n_users: 3, n_items: 5, dim: 4 };
        let m = MfWeights::from_model(&cfg.init(1, 0.3, &crate::models::device::reference_device()));
        let w = MfWeights::new(cfg, m.users().to_vec(), m.items().to_vec(), m.user_bias().to_vec(), vec![0.1, -0.2, 0.0, 0.4, 0.05], m.global()).unwrap();
        let all = w.score_all(&[2, 0]);
        for (r, u) in [2u32, 0].into_iter().enumerate() {
            for i in 0..5u32 {
                assert!((all[r * 5 + i as usize] - w.score(u, i)).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn a_perfect_ranking_scores_one_and_training_items_are_masked() {
        // Item scores = item bias; user 0 trained on item 4 (the best), holds out items 3 and 2.
        let config = MfConfig { n_users: 1, n_items: 5, dim: 0 };
        let w = MfWeights::new(config, vec![], vec![], vec![0.0], vec![0.0, 0.1, 0.2, 0.3, 0.4], 0.0).unwrap();
        let train = Ratings::from_cells(1, 5, &[Cell { user: 0, item: 4, rating: 1.0 }]);
        let test = Ratings::from_cells(1, 5, &[Cell { user: 0, item: 3, rating: 1.0 }, Cell { user: 0, item: 2, rating: 0.0 }]);
        let e = evaluate_mf(&w, &train, &test, 2);
        assert_eq!((e.recall, e.users, e.cells), (1.0, 1, 2));
        assert!((e.ndcg - 1.0).abs() < 1e-12);
        // RMSE: predictions 0.3 and 0.2 against 1 and 0.
        assert!((e.rmse - ((0.49 + 0.04) / 2.0f64).sqrt()).abs() < 1e-6);
        // At k = 1 only item 3 is retrieved: recall 1 / min(1, 2) = 1; one miss at k = 1 for item 2's user would be 0.
        let worst = MfWeights::new(config, vec![], vec![], vec![0.0], vec![0.4, 0.3, 0.0, 0.1, 0.2], 0.0).unwrap();
        let e = evaluate_mf(&worst, &train, &test, 2);
        assert_eq!(e.recall, 0.0);
        assert_eq!(e.ndcg, 0.0);
    }
}
