//! The attention model's mastery call on plain `f32` slices: the weights are read out of the
//! burn module once (when [`super::AktModel`] is built) and every layer runs as `sgemm`
//! products and loops over rows.
//!
//! Why not burn's graph: the dashboard asks for a class's mastery on every import and every
//! student view, in CPU-wasm, and the model is small (width 32–64, one block of each kind). At
//! that size burn's per-op cost (a tensor per activation, layer norms and reshapes as separate
//! passes, `[students, heads, queries, keys]` score tensors written several times over) was most
//! of the call: profiling put the remaining time in burn's linear layers and layer norms after
//! attention itself had moved to slices. Here:
//! - histories are **ragged**: a student's rows are only their own steps (no padding to the
//!   batch's longest history), so linear layers run on one `[Σ steps, dim]` matrix;
//! - the skill queries are the same for every student: their projection in the first retriever
//!   block and the output MLP's query half (with its bias) are computed once, with the weights;
//! - attention is per student and head on small blocks (scores, decay and softmax in place).
//!
//! The numbers are [`Akt::logits`]' (burn, the training path) to rounding: `mastery` tests
//! compare the two on every skill, for histories of different lengths in one call (up to 100
//! steps) and an empty one.

use burn::module::Param;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::softplus;

use super::net::{Akt, Attention, Block};
use crate::models::sgemm::sgemm;
use crate::models::vexp::softmax_biased;
use crate::sequences::kt::KtStep;

/// burn's `LayerNormConfig` default, which [`super::AktConfig::init`] uses.
const LAYER_NORM_EPSILON: f32 = 1e-5;

fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 weights")
}

fn param<const D: usize>(p: &Param<Tensor<D>>) -> Vec<f32> {
    floats(p.val())
}

/// `y = x · w + b`, `w` row-major `[inputs, outputs]` as burn stores it.
struct Dense {
    w: Vec<f32>,
    b: Option<Vec<f32>>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    fn new(l: &Linear) -> Self {
        let [inputs, outputs] = l.weight.val().dims();
        Self { w: param(&l.weight), b: l.bias.as_ref().map(param), inputs, outputs }
    }

    /// `x` is `[rows, inputs]` row-major; returns `[rows, outputs]`.
    fn forward(&self, x: &[f32], rows: usize) -> Vec<f32> {
        self.forward_with(x, rows, &self.w)
    }

    /// `x · w + b` with `w` (`[inputs, outputs]`) given: this layer's weights or a block of
    /// its rows (`inputs` then being the block's height).
    fn forward_with(&self, x: &[f32], rows: usize, w: &[f32]) -> Vec<f32> {
        let inputs = w.len() / self.outputs;
        let mut y = match &self.b {
            Some(b) => b.repeat(rows),
            None => vec![0.0; rows * self.outputs],
        };
        sgemm(rows, inputs, self.outputs, x, (inputs, 1), w, (self.outputs, 1), 1.0, &mut y);
        y
    }
}

struct Norm {
    gamma: Vec<f32>,
    beta: Option<Vec<f32>>,
}

impl Norm {
    fn new(n: &LayerNorm) -> Self {
        Self { gamma: param(&n.gamma), beta: n.beta.as_ref().map(param) }
    }

    /// Normalises each row of `x` (width `gamma.len()`) in place.
    fn apply(&self, x: &mut [f32]) {
        let d = self.gamma.len();
        for row in x.chunks_mut(d) {
            let mean = row.iter().sum::<f32>() / d as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d as f32;
            let inv = 1.0 / (var + LAYER_NORM_EPSILON).sqrt();
            for (i, v) in row.iter_mut().enumerate() {
                *v = (*v - mean) * inv * self.gamma[i] + self.beta.as_ref().map_or(0.0, |b| b[i]);
            }
        }
    }
}

/// One attention block's weights ([`Block`]).
struct BlockW {
    query_key: Dense,
    value: Dense,
    out: Dense,
    /// `softplus(decay)` per head.
    rate: Vec<f32>,
    norm1: Norm,
    ff1: Dense,
    ff2: Dense,
    norm2: Norm,
}

impl BlockW {
    fn new(b: &Block) -> Self {
        let Attention { query_key, value, out, decay, .. } = &b.attention;
        Self {
            query_key: Dense::new(query_key),
            value: Dense::new(value),
            out: Dense::new(out),
            rate: floats(softplus(decay.val(), 1.0)),
            norm1: Norm::new(&b.norm1),
            ff1: Dense::new(&b.ff1),
            ff2: Dense::new(&b.ff2),
            norm2: Norm::new(&b.norm2),
        }
    }

    /// The residual, norm and feed-forward after attention output `a` (already through `out`) of
    /// queries `q`, both `[rows, dim]`; the result replaces `a`.
    fn feed_forward(&self, q: &[f32], a: &mut [f32]) {
        let d = self.query_key.inputs;
        let rows = a.len() / d;
        a.iter_mut().zip(q).for_each(|(x, y)| *x += y);
        self.norm1.apply(a);
        let mut f = self.ff1.forward(a, rows);
        f.iter_mut().for_each(|x| *x = x.max(0.0));
        let f = self.ff2.forward(&f, rows);
        a.iter_mut().zip(&f).for_each(|(x, y)| *x += y);
        self.norm2.apply(a);
    }
}

/// The mastery call's weights, read out of an [`Akt`].
pub struct AktSlices {
    dim: usize,
    heads: usize,
    ff: usize,
    n_skills: usize,
    concept: Vec<f32>,
    interaction: Vec<f32>,
    /// Difficulty, concept variation, interaction variation (problem-aware models).
    rasch: Option<(Vec<f32>, Vec<f32>, Vec<f32>)>,
    value_blocks: Vec<BlockW>,
    blocks: Vec<BlockW>,
    /// The first retriever block's projection of every skill's query, `[skills, dim]`.
    first_queries: Vec<f32>,
    /// `out1`'s half that reads the retrieved knowledge, `[dim, ff]`.
    out1_h: Vec<f32>,
    /// `out1`'s query half applied to every skill's query, plus its bias: `[skills, ff]`.
    out1_query: Vec<f32>,
    out2_w: Vec<f32>,
    out2_b: f32,
}

impl std::fmt::Debug for AktSlices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AktSlices")
            .field("dim", &self.dim)
            .field("heads", &self.heads)
            .field("ff", &self.ff)
            .field("n_skills", &self.n_skills)
            .finish_non_exhaustive()
    }
}

impl AktSlices {
    pub fn new(m: &Akt) -> Self {
        let [n_skills, dim] = m.concept.val().dims();
        let concept = param(&m.concept);
        let blocks: Vec<BlockW> = m.blocks.iter().map(BlockW::new).collect();
        let heads = blocks.first().map_or(1, |b| b.rate.len());
        let first_queries = blocks.first().map_or_else(|| concept.clone(), |b| b.query_key.forward(&concept, n_skills));
        let out1 = Dense::new(&m.out1);
        let ff = out1.outputs;
        let (out1_h, out1_q) = out1.w.split_at(dim * ff);
        let out1_query = out1.forward_with(&concept, n_skills, out1_q);
        let out2 = Dense::new(&m.out2);
        let rasch = match (&m.difficulty, &m.concept_variation, &m.interaction_variation) {
            (Some(mu), Some(dc), Some(f)) => Some((param(mu), param(dc), param(f))),
            _ => None,
        };
        Self {
            dim,
            heads,
            ff,
            n_skills,
            interaction: param(&m.interaction),
            concept,
            rasch,
            value_blocks: m.value_blocks.iter().map(BlockW::new).collect(),
            blocks,
            first_queries,
            out1_h: out1_h.to_vec(),
            out1_query,
            out2_b: out2.b.as_ref().map_or(0.0, |b| b[0]),
            out2_w: out2.w,
        }
    }

    /// A step's key (its question: concept + μ·variation, averaged over its skills) and value
    /// (its interaction, plus the key), written into `key` and `value` (`dim` each).
    fn embed(&self, step: &KtStep, key: &mut [f32], value: &mut [f32]) {
        let d = self.dim;
        let w = 1.0 / step.skills.len() as f32;
        let mu = match (&self.rasch, step.problem) {
            (Some((mu, _, _)), Some(p)) => mu[p as usize],
            _ => 0.0,
        };
        for &s in &step.skills {
            let (s, token) = (s as usize, 2 * s as usize + usize::from(step.correct));
            let (c, e) = (&self.concept[s * d..(s + 1) * d], &self.interaction[token * d..(token + 1) * d]);
            for i in 0..d {
                key[i] += w * c[i];
                value[i] += w * e[i];
            }
            if let Some((_, dc, f)) = &self.rasch
                && mu != 0.0
            {
                let (dc, f) = (&dc[s * d..(s + 1) * d], &f[token * d..(token + 1) * d]);
                for i in 0..d {
                    key[i] += w * mu * dc[i];
                    value[i] += w * mu * f[i];
                }
            }
        }
        value.iter_mut().zip(key.iter()).for_each(|(v, k)| *v += k);
    }

    /// Per-skill P(correct) on each history's next step, for an average problem of the skill
    /// (difficulty 0): `out[student][skill]`, as [`Akt::mastery`] documents.
    pub fn mastery(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        let (d, s, ff) = (self.dim, self.n_skills, self.ff);
        // Ragged rows: student `bi` owns rows `start[bi]..start[bi] + len[bi]`; an empty history
        // is one all-zero step.
        let len: Vec<usize> = histories.iter().map(|h| h.len().max(1)).collect();
        let mut start = Vec::with_capacity(len.len());
        let mut n = 0;
        for &l in &len {
            start.push(n);
            n += l;
        }
        let (mut keys, mut values) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
        for (bi, h) in histories.iter().enumerate() {
            for (t, step) in h.iter().enumerate() {
                let at = (start[bi] + t) * d;
                self.embed(step, &mut keys[at..at + d], &mut values[at..at + d]);
            }
        }
        // Self-attention over each student's interactions: step t sees steps 0..=t.
        for block in &self.value_blocks {
            let qk = block.query_key.forward(&values, n);
            let v = block.value.forward(&values, n);
            let mut a = vec![0.0f32; n * d];
            for (bi, &l) in len.iter().enumerate() {
                let rows = start[bi] * d..(start[bi] + l) * d;
                let sh = Shape { tq: l, tk: l, d, heads: self.heads };
                attend(&qk[rows.clone()], &qk[rows.clone()], &v[rows.clone()], sh, &block.rate, &|i| i, &mut a[rows]);
            }
            let mut a = block.out.forward(&a, n);
            block.feed_forward(&values, &mut a);
            values = a;
        }
        // Retriever blocks: every skill's question attends to all of a student's steps, counted
        // back from the last one. `h` is `[students · skills, dim]`.
        let b = histories.len();
        let mut h: Vec<f32> = self.concept.repeat(b);
        for (layer, block) in self.blocks.iter().enumerate() {
            let q_own;
            let q: &[f32] = if layer == 0 {
                &self.first_queries
            } else {
                q_own = block.query_key.forward(&h, b * s);
                &q_own
            };
            let k = block.query_key.forward(&keys, n);
            let v = block.value.forward(&values, n);
            let mut a = vec![0.0f32; b * s * d];
            for (bi, &l) in len.iter().enumerate() {
                let rows = start[bi] * d..(start[bi] + l) * d;
                let qs = if layer == 0 { q } else { &q[bi * s * d..(bi + 1) * s * d] };
                let sh = Shape { tq: s, tk: l, d, heads: self.heads };
                attend(qs, &k[rows.clone()], &v[rows], sh, &block.rate, &|_| l - 1, &mut a[bi * s * d..(bi + 1) * s * d]);
            }
            let mut a = block.out.forward(&a, b * s);
            block.feed_forward(&h, &mut a);
            h = a;
        }
        // Output MLP: relu(h · W_h + (query · W_q + bias)) · w2 + b2, then the sigmoid.
        let mut hidden = self.out1_query.repeat(b);
        sgemm(b * s, d, ff, &h, (d, 1), &self.out1_h, (ff, 1), 1.0, &mut hidden);
        hidden.iter_mut().for_each(|x| *x = x.max(0.0));
        let mut z = vec![self.out2_b; b * s];
        sgemm(b * s, ff, 1, &hidden, (ff, 1), &self.out2_w, (1, 1), 1.0, &mut z);
        z.chunks(s).map(|row| row.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect()).collect()
    }
}

/// One student's attention extents: `tq` queries and `tk` keys, `heads` splitting `d`.
#[derive(Clone, Copy)]
struct Shape {
    tq: usize,
    tk: usize,
    d: usize,
    heads: usize,
}

/// `softmax(q·kᵀ/√dh − rate·(end(i) − j))·v` per head over keys `j ≤ end(i)` for query row `i`,
/// written into `out` (`[tq, d]`); `q` is `[tq, d]`, `k` and `v` `[tk, d]`, all row-major.
fn attend(q: &[f32], k: &[f32], v: &[f32], sh: Shape, rate: &[f32], end: &dyn Fn(usize) -> usize, out: &mut [f32]) {
    let Shape { tq, tk, d, heads } = sh;
    let dh = d / heads;
    let scale = 1.0 / (dh as f32).sqrt();
    let (mut scores, mut head_out) = (vec![0.0f32; tq * tk], vec![0.0f32; tq * dh]);
    for (hh, &rate) in rate.iter().enumerate().take(heads) {
        // Row i's logits are reduced by rate · (end(i) − j): one ramp of −rate · (tk − 1 − j)
        // serves every row, read from its offset tk − 1 − end(i) (0 at the row's last key, where
        // the weight is, so no precision is lost to a large shared offset).
        let ramp: Vec<f32> = (0..tk).map(|j| -rate * (tk - 1 - j) as f32).collect();
        // scores[i][j] = q_i · k_j: a is q's rows (stride d), b is kᵀ (k's rows as columns).
        sgemm(tq, dh, tk, &q[hh * dh..], (d, 1), &k[hh * dh..], (1, d), 0.0, &mut scores);
        for (i, row) in scores.chunks_mut(tk).enumerate() {
            let last = end(i).min(tk - 1);
            let (seen, hidden) = row.split_at_mut(last + 1);
            softmax_biased(seen, scale, &ramp[tk - 1 - last..]);
            hidden.fill(0.0);
        }
        sgemm(tq, tk, dh, &scores, (tk, 1), &v[hh * dh..], (d, 1), 0.0, &mut head_out);
        for (i, row) in head_out.chunks(dh).enumerate() {
            out[i * d + hh * dh..i * d + hh * dh + dh].copy_from_slice(row);
        }
    }
}
