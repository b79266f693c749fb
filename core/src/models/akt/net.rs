//! The attention knowledge-tracing network, of the AKT / simpleKT family (Ghosh et al. 2020,
//! Liu et al. 2023): Rasch-style embeddings and causal attention whose weights decay with the
//! distance between steps.
//!
//! Embeddings (per step, a multi-skill step takes the mean over its skills, as DKT's input does):
//! - question `x = c[skill] + μ_problem · dc[skill]`: a concept vector plus the problem's learnt
//!   difficulty `μ` times a per-concept variation vector, so a problem costs one number;
//! - interaction `y = x + e[2·skill + correct] + μ_problem · f[2·skill + correct]`.
//!
//! Rows follow [`KtBatch`]: row `t` of a window predicts step `t + 1` from steps `0..=t`. Its
//! query is step `t + 1`'s question (known before it is answered); its keys and values are the
//! questions and interactions of steps `0..=t`. So every row has at least one key, no row sees
//! an answer it predicts, and the scored steps are exactly DKT's.
//!
//! Layers: `value_layers` self-attention blocks over the interactions (each step sees itself and
//! earlier steps), then `layers` retriever blocks (query: the next question; key: the past
//! questions; value: the encoded interactions). Every attention logit is reduced by
//! `softplus(θ_head) · (t − j)`, a monotonic decay per head (AKT's motivation; its
//! context-aware distance is not reproduced). The output MLP reads the retrieved knowledge beside
//! the next question's embedding.

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid, softmax, softplus};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::models::init::Init;
use crate::sequences::kt::{KtBatch, KtStep};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AktConfig {
    pub n_skills: usize,
    /// Problems with a learnt difficulty (0: skills only).
    pub n_problems: usize,
    /// Model width.
    pub dim: usize,
    pub heads: usize,
    /// Self-attention blocks over the interactions.
    pub value_layers: usize,
    /// Retriever blocks (next question → past questions → interactions).
    pub layers: usize,
    /// Width of the feed-forward layers and of the output MLP.
    pub ff: usize,
    pub dropout: f64,
}

impl AktConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.n_skills == 0 || self.dim == 0 || self.heads == 0 || self.ff == 0 || self.layers == 0 {
            return Err("expected n_skills, dim, heads, ff and layers > 0".into());
        }
        if !self.dim.is_multiple_of(self.heads) {
            return Err(format!("dim {} is not a multiple of heads {}", self.dim, self.heads));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        Ok(())
    }

    /// A freshly initialised model, the same for the same seed: tables from [`Init`], linear
    /// layers from burn's initialisers with the device's generator seeded first.
    pub fn init(&self, seed: u64, device: &Device) -> Akt {
        device.seed(seed);
        let (s, d) = (self.n_skills, self.dim);
        let mut init = Init::new(seed);
        // Embeddings ~ N(0, 1/d): each table's contribution has about unit norm.
        let mut table = |rows: usize| {
            let scale = 1.0 / (d as f32).sqrt();
            let v: Vec<f32> = init.normal(rows * d).into_iter().map(|x| x * scale).collect();
            Param::from_tensor(Tensor::from_data(TensorData::new(v, [rows, d]), device))
        };
        let concept = table(s);
        let interaction = table(2 * s);
        let (difficulty, concept_variation, interaction_variation) = if self.n_problems > 0 {
            // Difficulties start at 0 (every problem its skill's average); the variation tables
            // must not, or the difficulties would get no gradient.
            let zeros = Param::from_tensor(Tensor::zeros([self.n_problems], device));
            (Some(zeros), Some(table(s)), Some(table(2 * s)))
        } else {
            (None, None, None)
        };
        let linear = |i: usize, o: usize| LinearConfig::new(i, o).with_initializer(Initializer::XavierUniform { gain: 1.0 }).init(device);
        let block = || Block {
            attention: Attention {
                query_key: linear(d, d),
                value: linear(d, d),
                out: linear(d, d),
                // softplus(-2) ≈ 0.13: a step 10 answers back weighs e^-1.3 of the latest at the start.
                decay: Param::from_tensor(Tensor::full([self.heads], -2.0, device)),
                heads: self.heads,
            },
            norm1: LayerNormConfig::new(d).init(device),
            ff1: linear(d, self.ff),
            ff2: linear(self.ff, d),
            norm2: LayerNormConfig::new(d).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        };
        Akt {
            concept,
            interaction,
            difficulty,
            concept_variation,
            interaction_variation,
            value_blocks: (0..self.value_layers).map(|_| block()).collect(),
            blocks: (0..self.layers).map(|_| block()).collect(),
            out1: linear(2 * d, self.ff),
            out2: linear(self.ff, 1),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

#[derive(Module, Debug)]
pub struct Attention {
    /// Queries and keys share one projection (both are question embeddings).
    pub(super) query_key: Linear,
    pub(super) value: Linear,
    pub(super) out: Linear,
    /// Per head: the decay rate before softplus.
    pub(super) decay: Param<Tensor<1>>,
    heads: usize,
}

impl Attention {
    /// `q`: `[batch, queries, dim]`; `k`, `v`: `[batch, keys, dim]`; `mask`: `[1 or batch, 1,
    /// queries, keys]`, 0 where query `t` may see key `j` and a large negative number elsewhere;
    /// `distance`: how many steps back key `j` is from query `t`, same shape.
    fn forward(&self, q: Tensor<3>, k: Tensor<3>, v: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>, dropout: &Dropout) -> Tensor<3> {
        self.attend(self.query_key.forward(q), self.query_key.forward(k), v, mask, distance, dropout)
    }

    /// Self-attention over `x` (queries, keys and values the same steps): the shared query/key
    /// projection is computed once.
    fn forward_self(&self, x: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>, dropout: &Dropout) -> Tensor<3> {
        let qk = self.query_key.forward(x.clone());
        self.attend(qk.clone(), qk, x, mask, distance, dropout)
    }

    /// Attention from queries and keys already projected (`query_key`): `q` is `[batch,
    /// queries, dim]`, `k` is `[batch, keys, dim]`; `v` is projected here.
    fn attend(&self, q: Tensor<3>, k: Tensor<3>, v: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>, dropout: &Dropout) -> Tensor<3> {
        let ([b, tk, d], tq) = (k.dims(), q.dims()[1]);
        let h = self.heads;
        let split = |x: Tensor<3>, t: usize| x.reshape([b, t, h, d / h]).swap_dims(1, 2);
        let (q, k, v) = (split(q, tq), split(k, tk), split(self.value.forward(v), tk));
        let rate = softplus(self.decay.val(), 1.0).reshape([1, h, 1, 1]);
        let scores = q.matmul(k.swap_dims(2, 3)) / ((d / h) as f64).sqrt() - distance.clone() * rate + mask.clone();
        let weights = dropout.forward(softmax(scores, 3));
        self.out.forward(weights.matmul(v).swap_dims(1, 2).reshape([b, tq, d]))
    }
}

#[derive(Module, Debug)]
pub struct Block {
    pub(super) attention: Attention,
    pub(super) norm1: LayerNorm,
    pub(super) ff1: Linear,
    pub(super) ff2: Linear,
    pub(super) norm2: LayerNorm,
    dropout: Dropout,
}

impl Block {
    fn forward(&self, q: Tensor<3>, k: Tensor<3>, v: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>) -> Tensor<3> {
        let a = self.attention.forward(q.clone(), k, v, mask, distance, &self.dropout);
        self.feed_forward(q, a)
    }

    /// A block whose queries, keys and values are all `x`.
    fn forward_self(&self, x: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>) -> Tensor<3> {
        let a = self.attention.forward_self(x.clone(), mask, distance, &self.dropout);
        self.feed_forward(x, a)
    }

    /// The residual, norm and feed-forward after attention `a` of queries `q`.
    fn feed_forward(&self, q: Tensor<3>, a: Tensor<3>) -> Tensor<3> {
        let h = self.norm1.forward(q + self.dropout.forward(a));
        let f = self.ff2.forward(self.dropout.forward(relu(self.ff1.forward(h.clone()))));
        self.norm2.forward(h + self.dropout.forward(f))
    }
}

#[derive(Module, Debug)]
pub struct Akt {
    /// Skill → question embedding `c`.
    pub concept: Param<Tensor<2>>,
    /// `2·skill + correct` → interaction embedding `e`.
    pub interaction: Param<Tensor<2>>,
    /// Problem → difficulty `μ` (problem-aware models).
    pub difficulty: Option<Param<Tensor<1>>>,
    pub concept_variation: Option<Param<Tensor<2>>>,
    pub interaction_variation: Option<Param<Tensor<2>>>,
    pub(super) value_blocks: Vec<Block>,
    pub(super) blocks: Vec<Block>,
    pub(super) out1: Linear,
    pub(super) out2: Linear,
    dropout: Dropout,
}

/// A [`KtBatch`] moved onto a device, with the masks for its length.
pub struct AktBatchTensors {
    pub batch: usize,
    pub steps: usize,
    slots: usize,
    input_skill: Tensor<1, Int>,
    input_token: Tensor<1, Int>,
    input_weight: Tensor<2>,
    input_problem: Tensor<1, Int>,
    input_known: Tensor<2>,
    target_skill: Tensor<1, Int>,
    target_weight: Tensor<2>,
    target_problem: Tensor<1, Int>,
    target_known: Tensor<2>,
    target_correct: Tensor<2>,
    /// 1 for rows with a next step to score, time-major `[steps * batch, 1]`.
    scored: Tensor<2>,
    mask: Tensor<4>,
    distance: Tensor<4>,
}

impl AktBatchTensors {
    pub fn new(b: &KtBatch, device: &Device) -> Self {
        let cells = b.steps * b.batch;
        let n = cells * b.slots;
        let ints = |v: Vec<i64>, len: usize| Tensor::<1, Int>::from_data(TensorData::new(v, [len]), device);
        let floats = |v: Vec<f32>, len: usize| Tensor::<2>::from_data(TensorData::new(v, [len, 1]), device);
        let scored: Vec<f32> = b.target_weight.chunks(b.slots).map(|c| if c.iter().any(|&w| w > 0.0) { 1.0 } else { 0.0 }).collect();
        let (mask, distance) = causal_masks(b.steps, device);
        Self {
            batch: b.batch,
            steps: b.steps,
            slots: b.slots,
            input_skill: ints(b.input_token.iter().map(|&k| k / 2).collect(), n),
            input_token: ints(b.input_token.clone(), n),
            input_weight: floats(b.input_weight.clone(), n),
            input_problem: ints(b.input_problem.clone(), cells),
            input_known: floats(b.input_problem_known.clone(), cells),
            target_skill: ints(b.target_skill.clone(), n),
            target_weight: floats(b.target_weight.clone(), n),
            target_problem: ints(b.target_problem.clone(), cells),
            target_known: floats(b.target_problem_known.clone(), cells),
            target_correct: floats(b.target_correct.clone(), cells),
            scored: floats(scored, cells),
            mask,
            distance,
        }
    }
}

/// `[1, 1, t, t]`: 0 where row `r` may see column `j ≤ r`, −1e9 elsewhere; and `r − j`.
fn causal_masks(t: usize, device: &Device) -> (Tensor<4>, Tensor<4>) {
    let (mut mask, mut distance) = (vec![0.0f32; t * t], vec![0.0f32; t * t]);
    for row in 0..t {
        for col in 0..t {
            if col > row {
                mask[row * t + col] = -1e9;
            } else {
                distance[row * t + col] = (row - col) as f32;
            }
        }
    }
    (Tensor::from_data(TensorData::new(mask, [1, 1, t, t]), device), Tensor::from_data(TensorData::new(distance, [1, 1, t, t]), device))
}

impl Akt {
    /// Weighted sum over each cell's slots of `table[ids]`: `[cells, dim]`.
    fn pooled(&self, table: &Param<Tensor<2>>, ids: &Tensor<1, Int>, weight: &Tensor<2>, cells: usize, slots: usize) -> Tensor<2> {
        let d = table.val().dims()[1];
        (table.val().select(0, ids.clone()) * weight.clone()).reshape([cells, slots, d]).sum_dim(1).reshape([cells, d])
    }

    /// Time-major `[cells, dim]` → batch-major `[batch, steps, dim]`.
    fn batch_major(x: Tensor<2>, steps: usize, batch: usize) -> Tensor<3> {
        let d = x.dims()[1];
        x.reshape([steps, batch, d]).swap_dims(0, 1)
    }

    /// One logit per row, time-major `[steps * batch, 1]` (padding rows hold garbage; weight them
    /// out with the batch's `scored`).
    pub fn logits(&self, x: &AktBatchTensors) -> Tensor<2> {
        let (cells, k) = (x.steps * x.batch, x.slots);
        let (keys, values) = self.keys_values(x, cells, k);
        let mut query = self.pooled(&self.concept, &x.target_skill, &x.target_weight, cells, k);
        if let (Some(mu), Some(dc)) = (&self.difficulty, &self.concept_variation) {
            let mu_tg = mu.val().select(0, x.target_problem.clone()).unsqueeze_dim(1) * x.target_known.clone();
            query = query + self.pooled(dc, &x.target_skill, &x.target_weight, cells, k) * mu_tg;
        }
        let (t, b) = (x.steps, x.batch);
        let (keys, query, mut values) = (Self::batch_major(keys, t, b), Self::batch_major(query, t, b), Self::batch_major(values, t, b));
        for block in &self.value_blocks {
            values = block.forward_self(values, &x.mask, &x.distance);
        }
        // [batch, steps, 1] → time-major rows.
        self.retrieve(query, keys, values, &x.mask, &x.distance).swap_dims(0, 1).reshape([cells, 1])
    }

    /// The answered steps' keys (their questions: concept + μ·variation) and values (their
    /// interactions, plus the key), time-major `[cells, dim]`.
    fn keys_values(&self, x: &AktBatchTensors, cells: usize, k: usize) -> (Tensor<2>, Tensor<2>) {
        let mut keys = self.pooled(&self.concept, &x.input_skill, &x.input_weight, cells, k);
        let mut values = self.pooled(&self.interaction, &x.input_token, &x.input_weight, cells, k);
        if let (Some(mu), Some(dc), Some(f)) = (&self.difficulty, &self.concept_variation, &self.interaction_variation) {
            let mu_in = mu.val().select(0, x.input_problem.clone()).unsqueeze_dim(1) * x.input_known.clone();
            keys = keys + self.pooled(dc, &x.input_skill, &x.input_weight, cells, k) * mu_in.clone();
            values = values + self.pooled(f, &x.input_token, &x.input_weight, cells, k) * mu_in;
        }
        let values = values + keys.clone();
        (keys, values)
    }

    /// The retriever blocks and the output MLP: one logit per query, `[batch, queries, 1]`.
    fn retrieve(&self, query: Tensor<3>, keys: Tensor<3>, values: Tensor<3>, mask: &Tensor<4>, distance: &Tensor<4>) -> Tensor<3> {
        let mut h = query.clone();
        for block in &self.blocks {
            h = block.forward(h, keys.clone(), values.clone(), mask, distance);
        }
        self.out2.forward(self.dropout.forward(relu(self.out1.forward(Tensor::cat(vec![h, query], 2)))))
    }

    /// Per-skill P(correct) on each history's next step, for an average problem of the skill
    /// (difficulty 0): `out[student][skill]`. Each history is encoded once and every skill's
    /// question attends to it, as row `len − 1` of a training window would. An empty history
    /// reads one all-zero step (the model's answer when it knows nothing about the student).
    ///
    /// Reads every weight out of the module first: for one-off calls and tests. Repeated calls
    /// go through [`super::AktModel`], which keeps the [`super::infer::AktSlices`].
    pub fn mastery(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        super::infer::AktSlices::new(self).mastery(histories)
    }

    /// Mean binary cross-entropy over the scored rows, plus `problem_l2` times the mean squared
    /// difficulty of the problems those rows ask (AKT's penalty: a problem is pulled towards its
    /// skill's average each time it is answered, so rarely seen ones stay near it).
    pub fn loss(&self, x: &AktBatchTensors, problem_l2: f64) -> Tensor<1> {
        let z = self.logits(x);
        let bce = relu(z.clone()) - z.clone() * x.target_correct.clone() + z.abs().neg().exp().log1p();
        let n = x.scored.clone().sum();
        let loss = (bce * x.scored.clone()).sum() / n.clone();
        match &self.difficulty {
            Some(mu) if problem_l2 > 0.0 => {
                let mu = mu.val().select(0, x.target_problem.clone()).unsqueeze_dim(1) * x.target_known.clone();
                loss + (mu.powi_scalar(2) * x.scored.clone()).sum() / n * problem_l2
            }
            _ => loss,
        }
    }

    /// P(correct) of each row's next step, time-major `[steps * batch]` (0 on padding rows).
    pub fn next_step_probabilities(&self, x: &AktBatchTensors) -> Tensor<1> {
        (sigmoid(self.logits(x)) * x.scored.clone()).reshape([x.steps * x.batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::device::reference_device;
    use crate::sequences::kt::{KtSequence, KtStep, windows};

    fn cfg(n_problems: usize) -> AktConfig {
        AktConfig { n_skills: 4, n_problems, dim: 8, heads: 2, value_layers: 1, layers: 1, ff: 16, dropout: 0.0 }
    }

    fn probs(model: &Akt, seqs: &[KtSequence]) -> Vec<f32> {
        let b = KtBatch::new(seqs, &windows(seqs, 200));
        model.next_step_probabilities(&AktBatchTensors::new(&b, &reference_device())).into_data().try_to_vec::<f32>().unwrap()
    }

    /// Row `t` predicts step `t + 1`: it may depend on step `t + 1`'s question, never on its
    /// answer or on anything later.
    #[test]
    fn a_prediction_never_sees_its_answer_or_later_steps() {
        for n_problems in [0, 5] {
            let model = cfg(n_problems).init(3, &reference_device());
            let mk = |third: bool, last_skill: u32| {
                let mut steps: Vec<KtStep> = [(0, true), (1, false), (2, third), (last_skill, true)].iter().map(|&(s, c)| KtStep::new(vec![s], c)).collect();
                for (i, s) in steps.iter_mut().enumerate() {
                    s.problem = (n_problems > 0).then_some(i as u32);
                }
                vec![KtSequence { student: "a".into(), steps }]
            };
            let base = probs(&model, &mk(true, 3));
            // Row 1 predicts step 2: its answer changes nothing up to row 1, but row 2 sees it.
            let flipped = probs(&model, &mk(false, 3));
            assert_eq!(&base[..2], &flipped[..2]);
            assert_ne!(base[2], flipped[2]);
            // Step 3's skill is row 2's query: rows 0..=1 do not change, row 2 does.
            let other = probs(&model, &mk(true, 0));
            assert_eq!(&base[..2], &other[..2]);
            assert_ne!(base[2], other[2]);
            assert_eq!(base[3], 0.0, "the last step has no next step to score");
        }
    }

    /// Mastery of skill `s` (the slice path of `infer`) is what a window ending in an
    /// (unknown-problem) step on `s` predicts for that step (burn's training path), for
    /// histories of different lengths in one batch, multi-skill steps, an empty history, and
    /// models of one and of two blocks of each kind.
    #[test]
    fn mastery_is_the_next_step_prediction_for_each_skill() {
        for (n_problems, layers) in [(0, 1), (5, 1), (5, 2)] {
            let model = AktConfig { value_layers: layers, layers, ..cfg(n_problems) }.init(11, &reference_device());
            let hist = |n: usize| -> Vec<KtStep> {
                (0..n)
                    .map(|i| {
                        let skills = if i % 4 == 2 { vec![(i % 4) as u32, 0] } else { vec![(i % 4) as u32] };
                        let mut s = KtStep::new(skills, i % 3 != 1);
                        s.problem = (n_problems > 0).then_some((i % 5) as u32);
                        s
                    })
                    .collect()
            };
            let (a, b, long) = (hist(5), hist(2), hist(100));
            let m = model.mastery(&[&a, &b, &[], &long]);
            assert_eq!((m.len(), m[0].len()), (4, 4));
            for (h, row) in [(&a, &m[0]), (&b, &m[1]), (&long, &m[3])] {
                for skill in 0..4u32 {
                    let mut steps = h.clone();
                    steps.push(KtStep::new(vec![skill], true));
                    let p = probs(&model, &[KtSequence { student: "x".into(), steps }]);
                    let want = p[h.len() - 1];
                    assert!((row[skill as usize] - want).abs() < 1e-5, "skill {skill}: {} vs {want}", row[skill as usize]);
                }
            }
            assert!(m[2].iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
            assert_eq!(m[2], model.mastery(&[&[]])[0], "the empty history's answer does not depend on the batch");
        }
    }

    /// Padding a window (a longer window beside it in the batch) changes none of its outputs.
    #[test]
    fn padding_changes_nothing() {
        let model = cfg(0).init(5, &reference_device());
        let short = KtSequence { student: "s".into(), steps: (0..3).map(|i| KtStep::new(vec![i % 4], i % 2 == 0)).collect() };
        let long = KtSequence { student: "l".into(), steps: (0..7).map(|i| KtStep::new(vec![(i * 3) % 4, 1], i % 3 == 0)).collect() };
        let alone = probs(&model, std::slice::from_ref(&short));
        let both = probs(&model, &[short, long]);
        // Time-major with two rows per step: the short sequence is column 0.
        for (t, p) in alone.iter().enumerate() {
            assert!((p - both[2 * t]).abs() < 1e-6, "row {t}: {p} vs {}", both[2 * t]);
        }
    }
}
