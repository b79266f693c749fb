//! The DKT forward pass as one fused CPU kernel, for inference natively and in WebAssembly.
//!
//! Why not the burn graph: the recurrence runs `T` dependent steps of small ops (32×100 by
//! 100×400 per step); through a general tensor backend each of the ~14 ops per step allocates and
//! dispatches, which costs more than its arithmetic. Here each step is one SGEMM into a reused
//! gate buffer followed by one pass of fused gate maths, the input projection is a row lookup,
//! and the per-skill outputs of all steps are one SGEMM at the end. Rows of a batch are split over
//! threads where the platform has them. The burn module in [`crate::models::dkt::net`] stays the training
//! definition; a test checks both give the same probabilities.

use serde::{Deserialize, Serialize};

use crate::models::dkt::net::{Dkt, DktConfig};
use crate::models::lstm_math::{lstm_cell, sigmoid, sigmoid_in_place};
use crate::models::recurrent_gemm::RecurrentWeights;
use crate::models::sgemm::sgemm;
use crate::sequences::kt::KtStep;

/// DKT weights as plain row-major arrays (the same layout as [`Dkt`]'s parameters).
///
/// The kernels index the arrays by the config's shapes, so the fields are private: every
/// `DktWeights` was made by [`DktWeights::new`] (deserializing included), which checks each
/// array's length against the config, and nothing can change a length afterwards. The element
/// values can change ([`DktWeights::params_mut`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DktWeightsParts")]
pub struct DktWeights {
    config: DktConfig,
    input_gates: Vec<f32>,
    recurrent: Vec<f32>,
    output: Vec<f32>,
    output_bias: Vec<f32>,
    problem_difficulty: Vec<f32>,
    problem_scale: Vec<f32>,
    input_variation: Vec<f32>,
}

/// The arrays of a [`DktWeights`] before they are checked: what [`DktWeights::new`] takes and
/// [`DktWeights::into_parts`] gives back, and the serialized form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DktWeightsParts {
    pub config: DktConfig,
    /// `[2 * n_skills, 4 * hidden]`, gates `[i, f, o, g]`.
    pub input_gates: Vec<f32>,
    /// `[hidden, 4 * hidden]`.
    pub recurrent: Vec<f32>,
    /// `[hidden, n_skills]`.
    pub output: Vec<f32>,
    /// `[n_skills]`.
    pub output_bias: Vec<f32>,
    /// `[n_problems]` for problem-aware models (see [`DktConfig::n_problems`]); empty otherwise.
    #[serde(default)]
    pub problem_difficulty: Vec<f32>,
    /// `[n_problems]`, or empty.
    #[serde(default)]
    pub problem_scale: Vec<f32>,
    /// `[2 * n_skills, 4 * hidden]` when problem-aware; empty otherwise.
    #[serde(default)]
    pub input_variation: Vec<f32>,
}

impl TryFrom<DktWeightsParts> for DktWeights {
    type Error = String;

    fn try_from(parts: DktWeightsParts) -> Result<Self, String> {
        Self::new(parts)
    }
}

fn to_vec<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 tensor data")
}

impl DktWeights {
    /// Checks every array's length against `parts.config`: an error names the first array that
    /// does not fit (or a config whose sizes overflow).
    pub fn new(parts: DktWeightsParts) -> Result<Self, String> {
        let DktConfig { n_skills: s, hidden: h, n_problems: q } = parts.config;
        let size = |dims: &[usize]| dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let per_problem = Some(q);
        let variation = if q > 0 { size(&[2, s, 4, h]) } else { Some(0) };
        let expected = [
            ("input_gates", &parts.input_gates, size(&[2, s, 4, h])),
            ("recurrent", &parts.recurrent, size(&[h, 4, h])),
            ("output", &parts.output, size(&[h, s])),
            ("output_bias", &parts.output_bias, Some(s)),
            ("problem_difficulty", &parts.problem_difficulty, per_problem),
            ("problem_scale", &parts.problem_scale, per_problem),
            ("input_variation", &parts.input_variation, variation),
        ];
        for (name, values, want) in expected {
            let config = format!("n_skills {s}, hidden {h}, n_problems {q}");
            match want {
                None => return Err(format!("DKT weights: {name}'s size overflows for a config of {config}")),
                Some(n) if values.len() != n => return Err(format!("DKT weights: {name} holds {} values, a config of {config} needs {n}", values.len())),
                Some(_) => {}
            }
        }
        let DktWeightsParts { config, input_gates, recurrent, output, output_bias, problem_difficulty, problem_scale, input_variation } = parts;
        Ok(Self { config, input_gates, recurrent, output, output_bias, problem_difficulty, problem_scale, input_variation })
    }

    /// The arrays, unchecked again (to change one and [`Self::new`] the result).
    pub fn into_parts(self) -> DktWeightsParts {
        let Self { config, input_gates, recurrent, output, output_bias, problem_difficulty, problem_scale, input_variation } = self;
        DktWeightsParts { config, input_gates, recurrent, output, output_bias, problem_difficulty, problem_scale, input_variation }
    }

    /// The weights of a burn module. Panics if its parameters disagree with one another, which a
    /// module made by [`DktConfig::init`] or loaded by burn-store (which checks shapes) never does.
    pub fn from_model(m: &Dkt) -> Self {
        let parts = DktWeightsParts {
            config: m.config(),
            input_gates: to_vec(m.input_gates.val()),
            recurrent: to_vec(m.recurrent.val()),
            output: to_vec(m.output.val()),
            output_bias: to_vec(m.output_bias.val()),
            problem_difficulty: m.problem_difficulty.as_ref().map_or(vec![], |p| to_vec(p.val())),
            problem_scale: m.problem_scale.as_ref().map_or(vec![], |p| to_vec(p.val())),
            input_variation: m.input_variation.as_ref().map_or(vec![], |p| to_vec(p.val())),
        };
        Self::new(parts).unwrap_or_else(|e| panic!("a DKT module with inconsistent parameters: {e}"))
    }

    pub fn config(&self) -> DktConfig {
        self.config
    }

    /// `[2 * n_skills, 4 * hidden]`, gates `[i, f, o, g]`: row `2 * skill + correct` is an
    /// answer's input to the gates.
    pub fn input_gates(&self) -> &[f32] {
        &self.input_gates
    }

    /// `[hidden, 4 * hidden]`.
    pub fn recurrent(&self) -> &[f32] {
        &self.recurrent
    }

    /// `[hidden, n_skills]`.
    pub fn output(&self) -> &[f32] {
        &self.output
    }

    /// `[n_skills]`.
    pub fn output_bias(&self) -> &[f32] {
        &self.output_bias
    }

    /// `[n_problems]` for a problem-aware model, else empty.
    pub fn problem_difficulty(&self) -> &[f32] {
        &self.problem_difficulty
    }

    /// `[n_problems]` for a problem-aware model, else empty.
    pub fn problem_scale(&self) -> &[f32] {
        &self.problem_scale
    }

    /// `[2 * n_skills, 4 * hidden]` for a problem-aware model, else empty.
    pub fn input_variation(&self) -> &[f32] {
        &self.input_variation
    }

    /// The burn module holding these weights (to save as a record or run the reference graph).
    pub fn to_module(&self, device: &burn::tensor::Device) -> Dkt {
        use burn::module::Param;
        use burn::tensor::{Tensor, TensorData};
        let DktConfig { n_skills: s, hidden: h, n_problems: q } = self.config;
        let p2 = |v: &[f32], shape: [usize; 2]| Param::from_tensor(Tensor::from_data(TensorData::new(v.to_vec(), shape), device));
        let p1 = |v: &[f32]| Param::from_tensor(Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device));
        let aware = q > 0;
        Dkt {
            input_gates: p2(&self.input_gates, [2 * s, 4 * h]),
            recurrent: p2(&self.recurrent, [h, 4 * h]),
            output: p2(&self.output, [h, s]),
            output_bias: p1(&self.output_bias),
            problem_difficulty: aware.then(|| p1(&self.problem_difficulty)),
            problem_scale: aware.then(|| p1(&self.problem_scale)),
            input_variation: aware.then(|| p2(&self.input_variation, [2 * s, 4 * h])),
        }
    }

    /// Same shapes, all zeros (gradient accumulators, optimizer moments).
    pub fn zeros_like(&self) -> Self {
        let mut z = self.clone();
        for p in z.params_mut() {
            p.fill(0.0);
        }
        z
    }

    /// The parameter arrays, in a fixed order (input gates, recurrent, output, output bias,
    /// problem difficulty, problem scale, input variation), empty ones included.
    pub fn params(&self) -> [&[f32]; 7] {
        [&self.input_gates, &self.recurrent, &self.output, &self.output_bias, &self.problem_difficulty, &self.problem_scale, &self.input_variation]
    }

    /// [`Self::params`], writable: values change, lengths cannot.
    pub fn params_mut(&mut self) -> [&mut [f32]; 7] {
        [
            &mut self.input_gates,
            &mut self.recurrent,
            &mut self.output,
            &mut self.output_bias,
            &mut self.problem_difficulty,
            &mut self.problem_scale,
            &mut self.input_variation,
        ]
    }

    /// The gate pre-activations a step contributes before the recurrence: the mean of its
    /// skills' token rows, plus `μ_q · V[token]` for a known problem of a problem-aware model.
    pub(crate) fn add_step_input(&self, step: &KtStep, gates: &mut [f32]) {
        let g4 = gates.len();
        let w = 1.0 / step.skills.len() as f32;
        let mu = match step.problem {
            Some(p) if !self.problem_scale.is_empty() => self.problem_scale[p as usize],
            _ => 0.0,
        };
        for &sk in &step.skills {
            let tok = 2 * sk as usize + usize::from(step.correct);
            gates.iter_mut().zip(&self.input_gates[tok * g4..(tok + 1) * g4]).for_each(|(a, &x)| *a += w * x);
            if mu != 0.0 {
                gates.iter_mut().zip(&self.input_variation[tok * g4..(tok + 1) * g4]).for_each(|(a, &x)| *a += w * mu * x);
            }
        }
    }

    /// The difficulty added to the logits a step is scored on (0 for unknown problems).
    pub fn difficulty(&self, step: &KtStep) -> f32 {
        match step.problem {
            Some(p) if !self.problem_difficulty.is_empty() => self.problem_difficulty[p as usize],
            _ => 0.0,
        }
    }

    pub fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.len()).sum()
    }

    /// Per-skill probabilities after every step of every history: `out[b][t * n_skills + s]` is
    /// the predicted probability that history `b`'s student answers skill `s` correctly next,
    /// having seen steps `0..=t`. An empty history gives an empty vector.
    pub fn predict(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        self.predict_with(histories, true)
    }

    /// [`Self::predict`] before the sigmoid: per-skill logits of an average problem, to which a
    /// problem-aware model adds the scored problem's [`Self::difficulty`].
    pub fn predict_logits(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        self.predict_with(histories, false)
    }

    fn predict_with(&self, histories: &[&[KtStep]], probabilities: bool) -> Vec<Vec<f32>> {
        let threads = worker_threads(histories.len());
        if threads <= 1 {
            return self.predict_rows(histories, probabilities);
        }
        let per = histories.len().div_ceil(threads);
        // wasm: never reached there, `worker_threads` is 1 in WebAssembly.
        std::thread::scope(|scope| {
            let handles: Vec<_> = histories.chunks(per).map(|rows| scope.spawn(move || self.predict_rows(rows, probabilities))).collect();
            handles.into_iter().flat_map(|h| h.join().expect("DKT worker panicked")).collect()
        })
    }

    /// Probabilities after the whole history (the student's current mastery). With no history
    /// this is the model's prior: the output from the zero state.
    pub fn mastery(&self, history: &[KtStep]) -> Vec<f32> {
        self.mastery_batch(&[history]).pop().expect("one history in, one row out")
    }

    /// [`Self::mastery`] for many students at once (one batched pass).
    pub fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        let s = self.config.n_skills;
        let prior: Vec<f32> = self.output_bias.iter().map(|&z| sigmoid(z)).collect();
        self.predict(histories).into_iter().map(|all| if all.is_empty() { prior.clone() } else { all[all.len() - s..].to_vec() }).collect()
    }

    fn predict_rows(&self, rows: &[&[KtStep]], probabilities: bool) -> Vec<Vec<f32>> {
        let DktConfig { n_skills: s, hidden: h, .. } = self.config;
        let b = rows.len();
        let t_max = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let g4 = 4 * h;
        let recurrent = RecurrentWeights::new(&self.recurrent, h, g4);
        let mut gates = vec![0.0f32; b * g4];
        let mut c = vec![0.0f32; b * h];
        let mut tanh_c = vec![0.0f32; h];
        // Hidden states of all steps, time-major `[t, b, h]`, fed to one output SGEMM at the end.
        let mut hs = vec![0.0f32; t_max * b * h];
        for t in 0..t_max {
            for (row, hist) in rows.iter().enumerate() {
                let g = &mut gates[row * g4..(row + 1) * g4];
                g.fill(0.0);
                if let Some(step) = hist.get(t) {
                    self.add_step_input(step, g);
                }
            }
            if t > 0 {
                recurrent.accumulate(&hs[(t - 1) * b * h..t * b * h], b, &mut gates);
            }
            let h_t = &mut hs[t * b * h..(t + 1) * b * h];
            for row in 0..b {
                lstm_cell(&mut gates[row * g4..(row + 1) * g4], &mut c[row * h..(row + 1) * h], &mut tanh_c, &mut h_t[row * h..(row + 1) * h]);
            }
        }
        let n = t_max * b;
        let mut logits = Vec::with_capacity(n * s);
        for _ in 0..n {
            logits.extend_from_slice(&self.output_bias);
        }
        // logits (n × s) += hs (n × h) · output (h × s).
        sgemm(n, h, s, &hs, (h, 1), &self.output, (s, 1), 1.0, &mut logits);
        if probabilities {
            sigmoid_in_place(&mut logits);
        }
        rows.iter()
            .enumerate()
            .map(|(row, hist)| {
                let mut out = Vec::with_capacity(hist.len() * s);
                for t in 0..hist.len() {
                    let at = (t * b + row) * s;
                    out.extend_from_slice(&logits[at..at + s]);
                }
                out
            })
            .collect()
    }
}

/// How many threads to split `rows` over: one per core natively (rows are independent),
/// one in WebAssembly (no threads without SharedArrayBuffer).
pub(crate) fn worker_threads(rows: usize) -> usize {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = rows;
        1
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        // wasm: compiled only outside WebAssembly (the cfg above).
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        // Below ~8 rows per thread the spawn costs more than it saves.
        cores.min(rows / 8).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::dkt::net::KtBatchTensors;

    #[test]
    fn weights_that_do_not_fit_their_config_are_refused() {
        let device = crate::models::device::reference_device();
        let w = DktWeights::from_model(&DktConfig { n_skills: 3, hidden: 4, n_problems: 2 }.init(1, &device));
        let parts = w.clone().into_parts();
        assert_eq!(DktWeights::new(parts.clone()).unwrap(), w);
        let short = DktWeightsParts { recurrent: vec![0.0; 63], ..parts.clone() };
        assert_eq!(DktWeights::new(short).unwrap_err(), "DKT weights: recurrent holds 63 values, a config of n_skills 3, hidden 4, n_problems 2 needs 64");
        let plain = DktWeightsParts { config: DktConfig { n_problems: 0, ..parts.config }, ..parts.clone() };
        assert!(DktWeights::new(plain).unwrap_err().contains("problem_difficulty holds 2 values"), "a plain model has no problem arrays");
        let huge = DktWeightsParts { config: DktConfig { hidden: usize::MAX / 2, ..parts.config }, ..parts.clone() };
        assert!(DktWeights::new(huge).unwrap_err().contains("overflows"));

        // Deserializing checks too: JSON that does not fit its config is an error, not weights.
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<DktWeights>(&json).unwrap(), w);
        let mut bad: serde_json::Value = serde_json::from_str(&json).unwrap();
        bad["output_bias"].as_array_mut().unwrap().pop();
        let err = serde_json::from_value::<DktWeights>(bad).unwrap_err().to_string();
        assert!(err.contains("output_bias holds 2 values"), "{err}");
    }
    use crate::sequences::kt::{KtBatch, KtSequence, windows};

    #[test]
    fn kernel_matches_the_burn_module() {
        for n_problems in [0, 3] {
            kernel_matches_the_burn_module_for(DktConfig { n_skills: 7, hidden: 16, n_problems });
        }
    }

    fn kernel_matches_the_burn_module_for(cfg: DktConfig) {
        let device = crate::models::device::reference_device();
        let mut w = DktWeights::from_model(&cfg.init(5, &device));
        if cfg.n_problems > 0 {
            w = DktWeights::new(DktWeightsParts { problem_scale: vec![0.8, -0.6, 1.2], ..w.into_parts() }).unwrap();
        }
        let model = w.to_module(&device);
        let mut rng = crate::models::init::Init::new(9);
        let seqs: Vec<KtSequence> = (0..20)
            .map(|i| {
                let len = 2 + (i * 7) % 30;
                let u = rng.uniform(len * 2, 1.0);
                let steps = (0..len)
                    .map(|t| {
                        let sk = ((u[2 * t] + 1.0) * 3.49) as u32;
                        let skills = if t % 5 == 0 { vec![sk, (sk + 1) % 7] } else { vec![sk] };
                        KtStep { skills, correct: u[2 * t + 1] > 0.0, problem: (cfg.n_problems > 0 && t % 4 != 3).then_some((t % 3) as u32) }
                    })
                    .collect();
                KtSequence { student: i.to_string(), steps }
            })
            .collect();
        let win = windows(&seqs, 100);
        let batch = KtBatch::new(&seqs, &win);
        let logits = model.logits(&KtBatchTensors::new(&batch, &device)).into_data().try_to_vec::<f32>().unwrap();
        let hist: Vec<&[KtStep]> = seqs.iter().map(|s| s.steps.as_slice()).collect();
        let fast = w.predict(&hist);
        for (b, s) in seqs.iter().enumerate() {
            for t in 0..s.steps.len() {
                for k in 0..7 {
                    let reference = 1.0 / (1.0 + (-logits[(t * seqs.len() + b) * 7 + k]).exp());
                    let got = fast[b][t * 7 + k];
                    assert!((reference - got).abs() < 1e-5, "b{b} t{t} k{k}: {reference} vs {got}");
                }
            }
        }
        // Mastery is the last row; the prior with no history is sigmoid(bias).
        assert_eq!(w.mastery(&seqs[0].steps), fast[0][fast[0].len() - 7..].to_vec());
        assert_eq!(w.mastery(&[]).len(), 7);
    }
}
