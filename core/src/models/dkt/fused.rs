//! DKT training on plain arrays: fused forward, back-propagation through time, and Adam.
//!
//! Why: through burn's autodiff on a CPU backend every one of the ~14 ops per time step records
//! a node, allocates, and is replayed backwards, and that bookkeeping costs more than the
//! arithmetic for these shapes (64 × 100 by 100 × 400): measured 27 s per ASSISTments epoch
//! against PyTorch's ~4 s. Here a step is one SGEMM plus one fused pass over the gates, the
//! output layer is evaluated only at the skills that are actually scored (a gather-dot instead of
//! a full `[steps × skills]` GEMM), and the recurrent weight gradient is one large GEMM over all
//! steps. Rows of a batch are split across threads. The burn module ([`crate::models::dkt::net::Dkt`]) stays
//! the reference: a test checks these gradients against burn's autodiff (for the per-skill loss,
//! the one burn implements; the mean-probability loss of multi-skill steps is checked against
//! central differences).

use serde::{Deserialize, Serialize};

use crate::models::dkt::config::MultiSkillLoss;
use crate::models::dkt::kernel::{DktWeights, worker_threads};
use crate::models::dkt::net::DktConfig;
use crate::models::init::Init;
use crate::models::lstm_math::{lstm_cell, sigmoid};
use crate::models::recurrent_gemm::RecurrentWeights;
use crate::models::sgemm::sgemm as gemm;
use crate::sequences::kt::{KtSequence, KtStep, Window};

/// Sums over a batch before normalisation: Σ w·BCE, Σ w, and the unnormalised gradients.
pub struct BatchGrads {
    pub loss_sum: f64,
    pub weight_sum: f64,
    pub grads: DktWeights,
}

/// Knowledge distillation from a trained DKT teacher (Hinton et al., 2015): at every scored step
/// the student's per-skill probabilities are also pulled towards the teacher's, for *all* skills,
/// not only the one answered next. That is what a small student cannot get from the answers
/// alone: the teacher's estimate of the skills the student did not practise.
#[derive(Debug, Clone, Copy)]
pub struct Distill<'a> {
    pub teacher: &'a DktWeights,
    /// Weight of the soft term; the answers get `1 − alpha`.
    pub alpha: f32,
    /// Both logits are divided by it before the sigmoid; the term is scaled by `T²` so its
    /// gradients keep their size as `T` changes.
    pub temperature: f32,
}

/// Mean BCE of the batch and its gradients with respect to every weight.
pub fn loss_and_grads(w: &DktWeights, seqs: &[KtSequence], windows: &[Window]) -> BatchGrads {
    loss_and_grads_with(w, seqs, windows, None, MultiSkillLoss::PerSkill)
}

/// [`loss_and_grads`], with a distillation term when `distill` is given:
/// `(1 − α) · BCE(answers) + α · T² · mean over skills of BCE(σ(z_t / T), σ(z_s / T))`, per scored step.
/// `multi` says how a step with several skills is trained ([`MultiSkillLoss`]).
pub fn loss_and_grads_with(w: &DktWeights, seqs: &[KtSequence], windows: &[Window], distill: Option<Distill<'_>>, multi: MultiSkillLoss) -> BatchGrads {
    // The teacher's logits for the same windows, computed once for the batch (its own kernel
    // splits the rows over threads).
    let teacher_logits: Vec<Vec<f32>> = match distill {
        Some(d) => {
            let hist: Vec<&[KtStep]> = windows.iter().map(|x| &seqs[x.seq].steps[x.start..x.start + x.len]).collect();
            d.teacher.predict_logits(&hist)
        }
        None => Vec::new(),
    };
    let threads = worker_threads(windows.len());
    let per = windows.len().div_ceil(threads.max(1)).max(1);
    let soft = |k: usize, n: usize| distill.map(|d| (d, &teacher_logits[k * per..k * per + n]));
    let mut parts: Vec<BatchGrads> = if threads <= 1 {
        vec![rows_loss_and_grads(w, seqs, windows, soft(0, windows.len()), multi)]
    } else {
        std::thread::scope(|scope| {
            let hs: Vec<_> = windows
                .chunks(per)
                .enumerate()
                .map(|(k, c)| {
                    let soft = soft(k, c.len());
                    scope.spawn(move || rows_loss_and_grads(w, seqs, c, soft, multi))
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("DKT training worker panicked")).collect()
        })
    };
    let mut total = parts.pop().expect("at least one part");
    for p in parts {
        total.loss_sum += p.loss_sum;
        total.weight_sum += p.weight_sum;
        for (acc, g) in total.grads.params_mut().into_iter().zip(p.grads.params()) {
            acc.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
    }
    let scale = 1.0 / total.weight_sum.max(f64::MIN_POSITIVE) as f32;
    for g in total.grads.params_mut() {
        g.iter_mut().for_each(|x| *x *= scale);
    }
    total
}

fn rows_loss_and_grads(
    w: &DktWeights,
    seqs: &[KtSequence],
    windows: &[Window],
    distill: Option<(Distill<'_>, &[Vec<f32>])>,
    multi: MultiSkillLoss,
) -> BatchGrads {
    let (s_n, h) = (w.config().n_skills, w.config().hidden);
    let g4 = 4 * h;
    let b = windows.len();
    let t_n = windows.iter().map(|x| x.len).max().unwrap_or(0);
    let rows: Vec<&[KtStep]> = windows.iter().map(|x| &seqs[x.seq].steps[x.start..x.start + x.len]).collect();
    let mut grads = w.zeros_like();
    // The output layer transposed (skill-major), so a skill's weights are one contiguous row.
    let mut out_t = vec![0.0f32; s_n * h];
    for j in 0..h {
        for s in 0..s_n {
            out_t[s * h + j] = w.output()[j * s_n + s];
        }
    }
    let mut d_out_t = vec![0.0f32; s_n * h];
    let hard_weight = distill.map_or(1.0, |(d, _)| 1.0 - d.alpha);

    let recurrent = RecurrentWeights::new(w.recurrent(), h, g4);
    let recurrent_t = RecurrentWeights::transposed(w.recurrent(), g4, h);

    // ---- forward: keep activations for the backward pass (time-major) ----
    let mut acts = vec![0.0f32; t_n * b * g4];
    let mut cs = vec![0.0f32; t_n * b * h];
    let mut tcs = vec![0.0f32; t_n * b * h];
    let mut hs = vec![0.0f32; t_n * b * h];
    for t in 0..t_n {
        let gates = &mut acts[t * b * g4..(t + 1) * b * g4];
        for (row, steps) in rows.iter().enumerate() {
            if let Some(step) = steps.get(t) {
                w.add_step_input(step, &mut gates[row * g4..(row + 1) * g4]);
            }
        }
        if t > 0 {
            recurrent.accumulate(&hs[(t - 1) * b * h..t * b * h], b, gates);
        }
        for row in 0..b {
            let at = (t * b + row) * h;
            if t > 0 {
                cs.copy_within(at - b * h..at - b * h + h, at);
            }
            lstm_cell(&mut gates[row * g4..(row + 1) * g4], &mut cs[at..at + h], &mut tcs[at..at + h], &mut hs[at..at + h]);
        }
    }

    // ---- loss at the scored skills only, and its gradient into h ----
    let mut dhs = vec![0.0f32; t_n * b * h];
    let mut dzs: Vec<(usize, f32)> = Vec::new();
    let (mut loss_sum, mut weight_sum) = (0.0f64, 0.0f64);
    let [_, _, g_output, g_output_bias, g_difficulty, _, _] = grads.params_mut();
    for (row, steps) in rows.iter().enumerate() {
        for t in 0..steps.len().saturating_sub(1) {
            let next = &steps[t + 1];
            let y = if next.correct { 1.0f32 } else { 0.0 };
            let share = 1.0 / next.skills.len() as f32;
            // With a teacher the answers carry 1 − α of each step's weight.
            let wk = share * hard_weight;
            let at = (t * b + row) * h;
            let h_t = &hs[at..at + h];
            let d = w.difficulty(next);
            let logit = |sk: usize| h_t.iter().zip(&out_t[sk * h..(sk + 1) * h]).map(|(a, b)| a * b).sum::<f32>() + w.output_bias()[sk] + d;
            // dL/dz per skill of the step (a buffer reused across steps); its loss and weight
            // added here.
            dzs.clear();
            if multi == MultiSkillLoss::MeanProbability && next.skills.len() > 1 {
                // Each skill's probability, kept in the buffer until it becomes its dL/dz.
                dzs.extend(next.skills.iter().map(|&sk| (sk as usize, sigmoid(logit(sk as usize)))));
                let mean = dzs.iter().map(|&(_, q)| share * q).sum::<f32>();
                let p = mean.clamp(1e-6, 1.0 - 1e-6);
                loss_sum += (hard_weight * -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())) as f64;
                weight_sum += 1.0;
                // As the peer's clamp does: no gradient where the mean was clamped (every skill
                // saturated towards the wrong answer then teaches nothing; its loss, ~13.8, still
                // counts).
                let dp = if p == mean { hard_weight * (p - y) / (p * (1.0 - p)) } else { 0.0 };
                dzs.iter_mut().for_each(|(_, q)| *q = dp * share * *q * (1.0 - *q));
            } else {
                for &sk in &next.skills {
                    let z = logit(sk as usize);
                    loss_sum += (wk * (z.max(0.0) - z * y + (-z.abs()).exp().ln_1p())) as f64;
                    weight_sum += share as f64;
                    dzs.push((sk as usize, wk * (sigmoid(z) - y)));
                }
            }
            for &(sk, dz) in &dzs {
                g_output_bias[sk] += dz;
                if let (Some(q), false) = (next.problem, g_difficulty.is_empty()) {
                    g_difficulty[q as usize] += dz;
                }
                let dh = &mut dhs[at..at + h];
                dh.iter_mut().zip(&out_t[sk * h..(sk + 1) * h]).for_each(|(d, &wv)| *d += dz * wv);
                d_out_t[sk * h..(sk + 1) * h].iter_mut().zip(h_t).for_each(|(d, &hv)| *d += dz * hv);
            }
        }
    }
    for j in 0..h {
        for s in 0..s_n {
            g_output[j * s_n + s] = d_out_t[s * h + j];
        }
    }
    if let Some((d, teacher)) = distill {
        loss_sum += soft_targets(w, &rows, teacher, d, &hs, &mut dhs, &mut grads);
    }

    // ---- back-propagation through time ----
    let mut dgates = vec![0.0f32; t_n * b * g4];
    let mut dh_next = vec![0.0f32; b * h];
    let mut dc_next = vec![0.0f32; b * h];
    for t in (0..t_n).rev() {
        let dg_t = &mut dgates[t * b * g4..(t + 1) * b * g4];
        for row in 0..b {
            let a = &acts[(t * b + row) * g4..(t * b + row + 1) * g4];
            let dg = &mut dg_t[row * g4..(row + 1) * g4];
            let at = (t * b + row) * h;
            for j in 0..h {
                let (i, f, o, g) = (a[j], a[h + j], a[2 * h + j], a[3 * h + j]);
                let dh = dhs[at + j] + dh_next[row * h + j];
                let tc = tcs[at + j];
                let dc = dh * o * (1.0 - tc * tc) + dc_next[row * h + j];
                let c_prev = if t > 0 { cs[at - b * h + j] } else { 0.0 };
                dc_next[row * h + j] = dc * f;
                dg[j] = dc * g * i * (1.0 - i);
                dg[h + j] = dc * c_prev * f * (1.0 - f);
                dg[2 * h + j] = dh * tc * o * (1.0 - o);
                dg[3 * h + j] = dc * i * (1.0 - g * g);
            }
        }
        if t > 0 {
            // dh_{t-1} = dgates_t · W_hhᵀ  (W_hh is h × 4h; its transpose read with swapped strides).
            dh_next.fill(0.0);
            recurrent_t.accumulate(dg_t, b, &mut dh_next);
        }
    }
    if t_n > 1 {
        // dW_hh = Σ_t h_{t-1}ᵀ · dgates_t, as one GEMM over all steps: [h × (T-1)b] · [(T-1)b × 4h].
        let n = (t_n - 1) * b;
        let [_, g_recurrent, ..] = grads.params_mut();
        gemm(h, n, g4, &hs[..n * h], (1, h), &dgates[b * g4..], (g4, 1), 1.0, g_recurrent);
    }
    let [g_input_gates, _, _, _, _, g_scale, g_variation] = grads.params_mut();
    for (row, steps) in rows.iter().enumerate() {
        for (t, step) in steps.iter().enumerate() {
            let dg = &dgates[(t * b + row) * g4..(t * b + row + 1) * g4];
            let wk = 1.0 / step.skills.len() as f32;
            let problem = step.problem.filter(|_| !w.problem_scale().is_empty()).map(|q| q as usize);
            for &sk in &step.skills {
                let tok = 2 * sk as usize + usize::from(step.correct);
                g_input_gates[tok * g4..(tok + 1) * g4].iter_mut().zip(dg).for_each(|(a, &d)| *a += wk * d);
                if let Some(q) = problem {
                    // input += wk · μ_q · V[tok]: gradients into V and into μ_q.
                    let v = &w.input_variation()[tok * g4..(tok + 1) * g4];
                    g_scale[q] += wk * v.iter().zip(dg).map(|(a, b)| a * b).sum::<f32>();
                    let mu = w.problem_scale()[q];
                    g_variation[tok * g4..(tok + 1) * g4].iter_mut().zip(dg).for_each(|(a, &d)| *a += wk * mu * d);
                }
            }
        }
    }
    BatchGrads { loss_sum, weight_sum, grads }
}

/// The distillation term of [`loss_and_grads_with`] for one group of rows: adds its gradients to
/// `dhs` (into h), `grads.output` and `grads.output_bias`, and returns its unnormalised loss. The
/// student's full logits at every scored position are one GEMM, and so are both gradients.
fn soft_targets(w: &DktWeights, rows: &[&[KtStep]], teacher: &[Vec<f32>], d: Distill<'_>, hs: &[f32], dhs: &mut [f32], grads: &mut DktWeights) -> f64 {
    let (s_n, h) = (w.config().n_skills, w.config().hidden);
    let b = rows.len();
    let t_n = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let n = t_n * b;
    if n == 0 {
        return 0.0;
    }
    // z = hs · W_out + b_out, [(t·b + row) × skills].
    let mut z = vec![0.0f32; n * s_n];
    for r in z.chunks_mut(s_n) {
        r.copy_from_slice(w.output_bias());
    }
    gemm(n, h, s_n, hs, (h, 1), w.output(), (s_n, 1), 1.0, &mut z);
    let (t, alpha) = (d.temperature.max(1e-3), d.alpha);
    // Per scored position: α · T² · mean_s BCE; its gradient in z is α · T · (σ(z/T) − σ(zt/T)) / S.
    let scale = alpha * t / s_n as f32;
    let mut loss = 0.0f64;
    for (row, steps) in rows.iter().enumerate() {
        for step in 0..steps.len().saturating_sub(1) {
            let at = (step * b + row) * s_n;
            let zt = &teacher[row][step * s_n..(step + 1) * s_n];
            let zs = &mut z[at..at + s_n];
            let mut bce = 0.0f32;
            for (x, &y) in zs.iter_mut().zip(zt) {
                let (q, u) = (sigmoid(y / t), *x / t);
                bce += u.max(0.0) - u * q + (-u.abs()).exp().ln_1p();
                *x = scale * (sigmoid(u) - q);
            }
            loss += (alpha * t * t * bce / s_n as f32) as f64;
        }
        // Positions past the row's last scored step carry no gradient.
        for step in steps.len().saturating_sub(1)..t_n {
            let at = (step * b + row) * s_n;
            z[at..at + s_n].iter_mut().for_each(|x| *x = 0.0);
        }
    }
    // dh += dz · W_outᵀ; dW_out += hsᵀ · dz; db_out += Σ dz.
    gemm(n, s_n, h, &z, (s_n, 1), w.output(), (1, s_n), 1.0, dhs);
    let [_, _, g_output, g_output_bias, ..] = grads.params_mut();
    gemm(h, n, s_n, hs, (1, h), &z, (s_n, 1), 1.0, g_output);
    for r in z.chunks(s_n) {
        g_output_bias.iter_mut().zip(r).for_each(|(a, &g)| *a += g);
    }
    loss
}

/// Adam (Kingma & Ba) with PyTorch's defaults, on [`DktWeights`]-shaped moments.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub step: u64,
    pub m: DktWeights,
    pub v: DktWeights,
}

impl Adam {
    pub fn new(like: &DktWeights) -> Self {
        Self { beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 0, m: like.zeros_like(), v: like.zeros_like() }
    }

    pub fn update(&mut self, w: &mut DktWeights, g: &DktWeights, lr: f64) {
        self.step += 1;
        let rule = self.rule(self.step, lr);
        for (((p, g), m), v) in w.params_mut().into_iter().zip(g.params()).zip(self.m.params_mut()).zip(self.v.params_mut()) {
            rule.apply(p, g, m, v);
        }
    }

    /// The update of optimizer step `step` (counted from 1), also for parameters kept outside
    /// [`DktWeights`] with their own moments ([`FactoredInput`]).
    fn rule(&self, step: u64, lr: f64) -> AdamRule {
        let (b1, b2) = (self.beta1, self.beta2);
        let bc1 = 1.0 - (b1 as f64).powi(step as i32);
        let bc2 = 1.0 - (b2 as f64).powi(step as i32);
        AdamRule { b1, b2, step_size: (lr * bc2.sqrt() / bc1) as f32, eps: self.eps * bc2.sqrt() as f32 }
    }
}

/// One Adam step's constants, bias corrections folded in.
struct AdamRule {
    b1: f32,
    b2: f32,
    step_size: f32,
    eps: f32,
}

impl AdamRule {
    fn apply(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let AdamRule { b1, b2, step_size, eps } = *self;
        for k in 0..p.len() {
            m[k] = b1 * m[k] + (1.0 - b1) * g[k];
            v[k] = b2 * v[k] + (1.0 - b2) * g[k] * g[k];
            p[k] -= step_size * m[k] / (v[k].sqrt() + eps);
        }
    }
}

/// The input table trained as PyTorch's `Embedding → LSTM` trains it: `input_gates = E · W + b`,
/// with an embedding `E` (tokens × `embed`, N(0, 1)), the LSTM's input weights `W` (`embed` × 4H,
/// U(±1/√H)) and a bias `b` (4H, PyTorch's two biases' sum).
///
/// Why: trained directly, a token's row moves only when that token is in the batch, so rare
/// skills learn slowly; through the shared `W`, every answer moves the projection all tokens use.
/// On a cut of ASSISTments 2009 `train1` (never the reported fold) the same PyTorch model learns
/// faster and ends higher factorised than with the table trained directly (BENCHMARKS.md). Only
/// training sees the factors: the model saved is the product, one table, so inference, packs and
/// the browser are the same either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFactors {
    tokens: usize,
    embed: usize,
    gates: usize,
    /// `[tokens, embed]`.
    embedding: Vec<f32>,
    /// `[embed, gates]`.
    weights: Vec<f32>,
    /// `[gates]`.
    bias: Vec<f32>,
}

impl InputFactors {
    /// Factors for `config`'s input table (PyTorch's initialisation, seeded).
    pub fn init(config: DktConfig, embed: usize, seed: u64) -> Self {
        let (tokens, gates) = (config.n_tokens(), 4 * config.hidden);
        let bound = 1.0 / (config.hidden as f32).sqrt();
        // A stream apart from the network's own initialisation, so the other weights are the
        // same as an unfactorised run's with the same seed.
        let mut init = Init::new(seed ^ 0x6661_6374_6f72_7321);
        let embedding = init.normal(tokens * embed);
        let weights = init.uniform(embed * gates, bound);
        let bias = init.uniform(gates, bound).into_iter().zip(init.uniform(gates, bound)).map(|(a, b)| a + b).collect();
        Self { tokens, embed, gates, embedding, weights, bias }
    }

    /// Checks the shapes against the model's and the run's embedding size, and the lengths
    /// against the shapes (a factors file read back from a checkpoint).
    pub fn check(&self, config: DktConfig, embed: usize) -> Result<(), String> {
        let (t, e, g) = (self.tokens, self.embed, self.gates);
        if t != config.n_tokens() || g != 4 * config.hidden {
            return Err(format!("input factors for {t} tokens × {g} gates, the model has {} × {}", config.n_tokens(), 4 * config.hidden));
        }
        if e != embed {
            return Err(format!("input factors of embedding size {e}, the run's is {embed}"));
        }
        let sizes =
            [("embedding", self.embedding.len(), t.checked_mul(e)), ("weights", self.weights.len(), e.checked_mul(g)), ("bias", self.bias.len(), Some(g))];
        for (name, len, want) in sizes {
            if Some(len) != want {
                return Err(format!("input factors: {name} holds {len} values, {t} tokens × {e} × {g} gates need {want:?}"));
            }
        }
        Ok(())
    }

    pub fn embed(&self) -> usize {
        self.embed
    }

    /// Writes `E · W + b` into `table` (`[tokens, gates]`).
    pub fn product_into(&self, table: &mut [f32]) {
        let (t, e, g) = (self.tokens, self.embed, self.gates);
        for row in table[..t * g].chunks_mut(g) {
            row.copy_from_slice(&self.bias);
        }
        gemm(t, e, g, &self.embedding, (e, 1), &self.weights, (g, 1), 1.0, table);
    }

    /// The factors' gradients from the table's: `dE = dT · Wᵀ`, `dW = Eᵀ · dT`, `db = Σ_rows dT`.
    pub fn grads(&self, d_table: &[f32]) -> Self {
        let (t, e, g) = (self.tokens, self.embed, self.gates);
        let mut d = self.zeros_like();
        gemm(t, g, e, d_table, (g, 1), &self.weights, (1, g), 0.0, &mut d.embedding);
        gemm(e, t, g, &self.embedding, (1, e), d_table, (g, 1), 0.0, &mut d.weights);
        for row in d_table[..t * g].chunks(g) {
            d.bias.iter_mut().zip(row).for_each(|(a, &x)| *a += x);
        }
        d
    }

    pub fn zeros_like(&self) -> Self {
        let mut z = self.clone();
        z.params_mut().into_iter().for_each(|p| p.fill(0.0));
        z
    }

    fn params(&self) -> [&[f32]; 3] {
        [&self.embedding, &self.weights, &self.bias]
    }

    fn params_mut(&mut self) -> [&mut [f32]; 3] {
        [&mut self.embedding, &mut self.weights, &mut self.bias]
    }
}

/// [`InputFactors`] with their Adam moments: what a factorised run trains and checkpoints
/// besides the weights and their [`Adam`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactoredInput {
    pub factors: InputFactors,
    pub m: InputFactors,
    pub v: InputFactors,
}

impl FactoredInput {
    /// Starts from `factors`, writing their product into `w`'s input table.
    pub fn new(factors: InputFactors, w: &mut DktWeights) -> Self {
        factors.product_into(w.params_mut()[0]);
        Self { m: factors.zeros_like(), v: factors.zeros_like(), factors }
    }

    /// One optimizer step on the factors, from the input table's gradient in `g` (which is then
    /// zeroed, so `adam` leaves the table to them), and the new product written into `w`. Call
    /// before `adam.update(w, g, lr)`: both use that step's count.
    pub fn step(&mut self, adam: &Adam, w: &mut DktWeights, g: &mut DktWeights, lr: f64) {
        let d = self.factors.grads(g.params()[0]);
        g.params_mut()[0].fill(0.0);
        let rule = adam.rule(adam.step + 1, lr);
        for (((p, g), m), v) in self.factors.params_mut().into_iter().zip(d.params()).zip(self.m.params_mut()).zip(self.v.params_mut()) {
            rule.apply(p, g, m, v);
        }
        self.factors.product_into(w.params_mut()[0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::dkt::kernel::DktWeightsParts;
    use crate::models::dkt::net::{DktConfig, KtBatchTensors};
    use crate::sequences::kt::{KtBatch, windows};

    /// The factors' gradients are the chain rule through `E · W + b`: checked against central
    /// differences of the batch loss along random directions in each factor.
    #[test]
    fn input_factor_gradients_match_finite_differences() {
        let data = tiny_data();
        let wins = windows(&data, 5);
        let config = DktConfig { n_skills: 5, hidden: 3, n_problems: 0 };
        let base = DktWeights::from_model(&config.init(7, &crate::models::device::reference_device()));
        let factors = InputFactors::init(config, 4, 7);
        factors.check(config, 4).unwrap();
        let loss = |f: &InputFactors| {
            let mut w = base.clone();
            f.product_into(w.params_mut()[0]);
            let g = loss_and_grads(&w, &data, &wins);
            (g.loss_sum / g.weight_sum, w, g.grads)
        };
        let (_, w, g) = loss(&factors);
        // The product is E · W + b, element by element.
        let (t, e, g4) = (config.n_tokens(), 4, 12);
        for (r, c) in [(0, 0), (3, 7), (t - 1, g4 - 1)] {
            let want = factors.bias[c] + (0..e).map(|k| factors.embedding[r * e + k] * factors.weights[k * g4 + c]).sum::<f32>();
            assert!((w.input_gates()[r * g4 + c] - want).abs() < 1e-5);
        }
        let d = factors.grads(g.params()[0]);
        let mut rng = crate::models::init::Init::new(11);
        for which in 0..3 {
            let dir = rng.uniform(factors.params()[which].len(), 1.0);
            let analytic: f64 = d.params()[which].iter().zip(&dir).map(|(a, b)| (a * b) as f64).sum();
            let eps = 1e-2f32;
            let moved = |sign: f32| {
                let mut f = factors.clone();
                f.params_mut()[which].iter_mut().zip(&dir).for_each(|(p, x)| *p += sign * eps * x);
                loss(&f).0
            };
            let numeric = (moved(1.0) - moved(-1.0)) / (2.0 * eps as f64);
            assert!(analytic.abs() > 1e-3, "factor {which}: a direction the loss depends on");
            assert!((analytic - numeric).abs() < 0.02 * analytic.abs() + 1e-4, "factor {which}: analytic {analytic}, numeric {numeric}");
        }
        // A factors file for another shape is refused.
        let other = InputFactors::init(DktConfig { n_skills: 6, ..config }, 4, 7);
        assert!(other.check(config, 4).unwrap_err().contains("tokens"));
        assert!(factors.check(config, 5).unwrap_err().contains("embedding size 4"));
    }

    fn tiny_data() -> Vec<KtSequence> {
        let mut rng = crate::models::init::Init::new(4);
        (0..6)
            .map(|i| {
                let len = 3 + i * 2;
                let u = rng.uniform(len * 2, 1.0);
                let steps = (0..len)
                    .map(|t| {
                        let sk = ((u[2 * t] + 1.0) * 2.49) as u32;
                        let skills = if t % 4 == 1 { vec![sk, (sk + 2) % 5] } else { vec![sk] };
                        KtStep { skills, correct: u[2 * t + 1] > -0.2, problem: (t % 3 != 2).then_some(((i + t) % 4) as u32) }
                    })
                    .collect();
                KtSequence { student: i.to_string(), steps }
            })
            .collect()
    }

    #[test]
    fn gradients_match_burn_autodiff() {
        for n_problems in [0, 4] {
            gradients_match_burn_autodiff_for(DktConfig { n_skills: 5, hidden: 6, n_problems });
        }
    }

    fn gradients_match_burn_autodiff_for(cfg: DktConfig) {
        let device = crate::models::device::reference_device().autodiff();
        let mut model = cfg.init(2, &device);
        if cfg.n_problems > 0 {
            // Non-zero problem parameters, so every path of the problem-aware maths is exercised.
            let parts = DktWeights::from_model(&model).into_parts();
            let w =
                DktWeights::new(DktWeightsParts { problem_difficulty: vec![0.3, -0.2, 0.5, -0.4], problem_scale: vec![0.7, -0.5, 0.2, 1.1], ..parts }).unwrap();
            model = w.to_module(&device);
        }
        let w = DktWeights::from_model(&model);
        let seqs = tiny_data();
        let win = windows(&seqs, 8);
        let batch = KtBatch::new(&seqs, &win);
        let loss = model.loss(&KtBatchTensors::new(&batch, &device));
        let burn_loss = loss.clone().into_scalar::<f32>();
        let g = loss.backward();
        let get = |t: burn::tensor::Tensor<2>| t.grad(&g).expect("grad").into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        let get1 = |t: burn::tensor::Tensor<1>| t.grad(&g).expect("grad").into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        let reference = [
            get(model.input_gates.val()),
            get(model.recurrent.val()),
            get(model.output.val()),
            get1(model.output_bias.val()),
            model.problem_difficulty.as_ref().map_or(vec![], |p| get1(p.val())),
            model.problem_scale.as_ref().map_or(vec![], |p| get1(p.val())),
            model.input_variation.as_ref().map_or(vec![], |p| get(p.val())),
        ];
        let ours = loss_and_grads(&w, &seqs, &win);
        assert!(((ours.loss_sum / ours.weight_sum) as f32 - burn_loss).abs() < 1e-5);
        let names = ["input_gates", "recurrent", "output", "output_bias", "problem_difficulty", "problem_scale", "input_variation"];
        for (name, (r, o)) in names.iter().zip(reference.iter().zip(ours.grads.params())) {
            assert_eq!(r.len(), o.len(), "{name}");
            let scale = r.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            for (k, (a, b)) in r.iter().zip(o).enumerate() {
                assert!((a - b).abs() <= 1e-4 * scale.max(1e-3), "{name}[{k}]: burn {a} vs fused {b}");
            }
        }
    }

    #[test]
    fn distillation_gradients_match_finite_differences() {
        let cfg = DktConfig { n_skills: 5, hidden: 6, n_problems: 0 };
        let teacher = DktWeights::from_model(&DktConfig { hidden: 9, ..cfg }.init(7, &crate::models::device::reference_device()));
        let w = DktWeights::from_model(&cfg.init(3, &crate::models::device::reference_device()));
        let seqs = tiny_data();
        let win = windows(&seqs, 8);
        let d = Distill { teacher: &teacher, alpha: 0.6, temperature: 2.0 };
        let loss = |w: &DktWeights| {
            let g = loss_and_grads_with(w, &seqs, &win, Some(d), MultiSkillLoss::PerSkill);
            g.loss_sum / g.weight_sum
        };
        let g = loss_and_grads_with(&w, &seqs, &win, Some(d), MultiSkillLoss::PerSkill).grads;
        let plain = loss_and_grads(&w, &seqs, &win).grads;
        assert_ne!(g.output(), plain.output(), "the soft term changes the gradients");
        let eps = 1e-2f32;
        for (p, name) in [(0usize, "input_gates"), (1, "recurrent"), (2, "output"), (3, "output_bias")] {
            for k in [0usize, 7, 13] {
                let k = k % w.params()[p].len();
                let mut up = w.clone();
                up.params_mut()[p][k] += eps;
                let mut down = w.clone();
                down.params_mut()[p][k] -= eps;
                let numeric = ((loss(&up) - loss(&down)) / (2.0 * eps as f64)) as f32;
                let analytic = g.params()[p][k];
                assert!((numeric - analytic).abs() <= 2e-3 + 2e-2 * analytic.abs(), "{name}[{k}]: numeric {numeric} vs analytic {analytic}");
            }
        }
    }

    /// The mean-probability loss's gradients (chain rule through the mean of the skills'
    /// sigmoids) against central differences along a random direction in every weight; on
    /// single-skill steps it is the per-skill loss exactly, on multi-skill steps another loss.
    #[test]
    fn mean_probability_gradients_match_finite_differences() {
        let data = tiny_data();
        let wins = windows(&data, 5);
        let config = DktConfig { n_skills: 5, hidden: 3, n_problems: 4 };
        let w = DktWeights::from_model(&config.init(5, &crate::models::device::reference_device()));
        let mean = MultiSkillLoss::MeanProbability;
        let loss = |w: &DktWeights, m: MultiSkillLoss| {
            let g = loss_and_grads_with(w, &data, &wins, None, m);
            g.loss_sum / g.weight_sum
        };
        let g = loss_and_grads_with(&w, &data, &wins, None, mean).grads;
        let mut rng = crate::models::init::Init::new(13);
        let dirs: Vec<Vec<f32>> = g.params().iter().map(|p| rng.uniform(p.len(), 1.0)).collect();
        let analytic: f64 = g.params().iter().zip(&dirs).flat_map(|(a, d)| a.iter().zip(d).map(|(x, y)| (x * y) as f64)).sum();
        let eps = 1e-2f32;
        let moved = |sign: f32| {
            let mut m = w.clone();
            m.params_mut().into_iter().zip(&dirs).for_each(|(p, d)| p.iter_mut().zip(d).for_each(|(x, y)| *x += sign * eps * y));
            loss(&m, mean)
        };
        let numeric = (moved(1.0) - moved(-1.0)) / (2.0 * eps as f64);
        assert!(analytic.abs() > 1e-3);
        assert!((analytic - numeric).abs() < 0.02 * analytic.abs() + 1e-4, "analytic {analytic}, numeric {numeric}");
        assert!((loss(&w, mean) - loss(&w, MultiSkillLoss::PerSkill)).abs() > 1e-4, "tiny_data has multi-skill steps");
        let single: Vec<KtSequence> = data
            .iter()
            .map(|s| KtSequence { student: s.student.clone(), steps: s.steps.iter().map(|t| KtStep { skills: vec![t.skills[0]], ..t.clone() }).collect() })
            .collect();
        let (a, b) = (loss_and_grads_with(&w, &single, &wins, None, mean), loss_and_grads_with(&w, &single, &wins, None, MultiSkillLoss::PerSkill));
        assert_eq!((a.loss_sum, a.grads.params()), (b.loss_sum, b.grads.params()));
    }

    #[test]
    fn split_over_threads_equals_one_pass() {
        let cfg = DktConfig { n_skills: 5, hidden: 6, n_problems: 4 };
        let w = DktWeights::from_model(&cfg.init(3, &crate::models::device::reference_device()));
        let seqs: Vec<KtSequence> = (0..5).flat_map(|_| tiny_data()).collect();
        let win = windows(&seqs, 8);
        let all = loss_and_grads(&w, &seqs, &win);
        let one = rows_loss_and_grads(&w, &seqs, &win, None, MultiSkillLoss::PerSkill);
        assert!((all.loss_sum - one.loss_sum).abs() < 1e-6 * one.loss_sum.abs());
        let s = 1.0 / one.weight_sum as f32;
        for (a, b) in all.grads.params().iter().zip(one.grads.params()) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y * s).abs() < 1e-6, "{x} vs {}", y * s);
            }
        }
    }

    #[test]
    fn adam_descends_on_the_batch() {
        let cfg = DktConfig { n_skills: 5, hidden: 6, n_problems: 4 };
        let mut w = DktWeights::from_model(&cfg.init(3, &crate::models::device::reference_device()));
        let seqs = tiny_data();
        let win = windows(&seqs, 8);
        let mut adam = Adam::new(&w);
        let first = loss_and_grads(&w, &seqs, &win);
        let mut last = first.loss_sum / first.weight_sum;
        for _ in 0..50 {
            let g = loss_and_grads(&w, &seqs, &win);
            last = g.loss_sum / g.weight_sum;
            adam.update(&mut w, &g.grads, 1e-2);
        }
        assert!(last < first.loss_sum / first.weight_sum - 0.05, "loss did not fall: {last}");
    }
}
