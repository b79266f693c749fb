//! Deep Knowledge Tracing (Piech et al., 2015): an LSTM over (skill, correct) tokens with one
//! sigmoid output per skill.
//!
//! Two choices keep the per-step work small, because the recurrence is sequential and every
//! operation inside it is paid `T` times:
//! - The token embedding and the LSTM's input projection are one table (`input_gates`, tokens ×
//!   4H, bias folded in): looking a row up *is* `W_ih · embed(token) + b`, so all time steps'
//!   input projections cost one gather instead of `T` matmuls.
//! - Gates are laid out `[input, forget, output | cell]`, so one sigmoid covers three gates.
//!
//! The outputs of all steps are stacked and projected to skills with a single matmul.

use burn::module::{Module, Param};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::models::init::Init;
use crate::sequences::kt::KtBatch;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DktConfig {
    pub n_skills: usize,
    pub hidden: usize,
    /// Problems with their own parameters (0: plain DKT). A problem-aware model adds, Rasch
    /// style (as AKT does), a scalar difficulty `d_q` to the logit of every skill the answered
    /// problem `q` is scored on, and `μ_q · V[token]` to the step's input, where `V` is a second
    /// token table: two numbers per problem, so it stays small enough for the browser.
    #[serde(default)]
    pub n_problems: usize,
}

impl DktConfig {
    /// Input tokens: `2 * skill + correct`.
    pub fn n_tokens(&self) -> usize {
        2 * self.n_skills
    }

    pub fn init(&self, seed: u64, device: &Device) -> Dkt {
        let (h, s) = (self.hidden, self.n_skills);
        let bound = 1.0 / (h as f32).sqrt();
        let mut init = Init::new(seed);
        let input_gates = {
            // The table stands for `W_ih · embedding + b`. PyTorch's defaults (embedding ~ N(0, 1),
            // W_ih ~ U(±1/√H)) give those pre-activations a standard deviation of ~0.58 whatever H
            // is; U(±1) matches it. A table as small as the recurrent weights learns far slower.
            // The forget-gate bias starts at +1 (Jozefowicz et al., 2015) so early training keeps state.
            let mut v = init.uniform(self.n_tokens() * 4 * h, 1.0);
            for row in v.chunks_mut(4 * h) {
                row[h..2 * h].iter_mut().for_each(|x| *x += 1.0);
            }
            Param::from_tensor(Tensor::from_data(TensorData::new(v, [self.n_tokens(), 4 * h]), device))
        };
        let recurrent = init.param2([h, 4 * h], bound, device);
        let output = init.param2([h, s], bound, device);
        let output_bias = init.param1(s, bound, device);
        let (problem_difficulty, problem_scale, input_variation) = if self.n_problems > 0 {
            // Difficulties and scales start at zero (the plain DKT model); the variation table
            // must not, or the scales would get no gradient.
            let zeros = |n: usize| Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.0f32; n], [n]), device));
            (Some(zeros(self.n_problems)), Some(zeros(self.n_problems)), Some(init.param2([self.n_tokens(), 4 * h], bound, device)))
        } else {
            (None, None, None)
        };
        Dkt { input_gates, recurrent, output, output_bias, problem_difficulty, problem_scale, input_variation }
    }
}

#[derive(Module, Debug)]
pub struct Dkt {
    /// Token → gate pre-activations `[i, f, o, g]` (embedding × input weights + bias).
    pub input_gates: Param<Tensor<2>>,
    /// `h_{t-1}` → gate pre-activations.
    pub recurrent: Param<Tensor<2>>,
    /// Hidden state → per-skill logit.
    pub output: Param<Tensor<2>>,
    pub output_bias: Param<Tensor<1>>,
    /// Problem-aware models only: `d_q`, added to the logits a problem is scored on.
    pub problem_difficulty: Option<Param<Tensor<1>>>,
    /// Problem-aware models only: `μ_q`, the weight of `V[token]` in the problem's input.
    pub problem_scale: Option<Param<Tensor<1>>>,
    /// Problem-aware models only: `V`, tokens × 4H.
    pub input_variation: Option<Param<Tensor<2>>>,
}

/// A [`KtBatch`] moved onto a device.
pub struct KtBatchTensors {
    pub batch: usize,
    pub steps: usize,
    pub slots: usize,
    input_token: Tensor<1, Int>,
    input_weight: Tensor<2>,
    target_skill: Tensor<2, Int>,
    target_weight: Tensor<2>,
    target_correct: Tensor<2>,
    /// Per slot: the step's problem index, and 1/k × known (0 for padding or unknown problems).
    input_problem_slot: Tensor<1, Int>,
    input_problem_weight: Tensor<2>,
    target_problem: Tensor<1, Int>,
    target_problem_known: Tensor<2>,
}

impl KtBatchTensors {
    pub fn new(b: &KtBatch, device: &Device) -> Self {
        let cells = b.steps * b.batch;
        Self {
            batch: b.batch,
            steps: b.steps,
            slots: b.slots,
            input_token: Tensor::from_data(TensorData::new(b.input_token.clone(), [cells * b.slots]), device),
            input_weight: Tensor::from_data(TensorData::new(b.input_weight.clone(), [cells * b.slots, 1]), device),
            target_skill: Tensor::from_data(TensorData::new(b.target_skill.clone(), [cells, b.slots]), device),
            target_weight: Tensor::from_data(TensorData::new(b.target_weight.clone(), [cells, b.slots]), device),
            target_correct: Tensor::from_data(TensorData::new(b.target_correct.clone(), [cells, 1]), device),
            input_problem_slot: Tensor::from_data(
                TensorData::new(b.input_problem.iter().flat_map(|&p| std::iter::repeat_n(p, b.slots)).collect::<Vec<i64>>(), [cells * b.slots]),
                device,
            ),
            input_problem_weight: Tensor::from_data(
                TensorData::new(
                    b.input_weight.iter().enumerate().map(|(i, w)| w * b.input_problem_known[i / b.slots]).collect::<Vec<f32>>(),
                    [cells * b.slots, 1],
                ),
                device,
            ),
            target_problem: Tensor::from_data(TensorData::new(b.target_problem.clone(), [cells]), device),
            target_problem_known: Tensor::from_data(TensorData::new(b.target_problem_known.clone(), [cells, 1]), device),
        }
    }
}

impl Dkt {
    pub fn config(&self) -> DktConfig {
        let [h, s] = self.output.val().dims();
        let n_problems = self.problem_difficulty.as_ref().map_or(0, |p| p.val().dims()[0]);
        DktConfig { n_skills: s, hidden: h, n_problems }
    }

    /// Hidden states after every step, time-major: `[steps * batch, hidden]`.
    pub fn hidden_states(&self, x: &KtBatchTensors) -> Tensor<2> {
        let h = self.config().hidden;
        let (b, t) = (x.batch, x.steps);
        let mut gathered = self.input_gates.val().select(0, x.input_token.clone()) * x.input_weight.clone();
        if let (Some(scale), Some(variation)) = (&self.problem_scale, &self.input_variation) {
            let mu = scale.val().select(0, x.input_problem_slot.clone()).unsqueeze_dim(1) * x.input_problem_weight.clone();
            gathered = gathered + variation.val().select(0, x.input_token.clone()) * mu;
        }
        let inputs = gathered.reshape([t * b, x.slots, 4 * h]).sum_dim(1).reshape([t * b, 4 * h]);
        let recurrent = self.recurrent.val();
        let mut outs = Vec::with_capacity(t);
        let mut state: Option<(Tensor<2>, Tensor<2>)> = None;
        for (step, xt) in inputs.chunk(t, 0).into_iter().enumerate() {
            debug_assert_eq!(xt.dims()[0], b, "step {step}");
            let gates = match &state {
                Some((h_prev, _)) => xt + h_prev.clone().matmul(recurrent.clone()),
                None => xt,
            };
            let ifo = sigmoid(gates.clone().slice([0..b, 0..3 * h]));
            let g = gates.slice([0..b, 3 * h..4 * h]).tanh();
            let i = ifo.clone().slice([0..b, 0..h]);
            let f = ifo.clone().slice([0..b, h..2 * h]);
            let o = ifo.slice([0..b, 2 * h..3 * h]);
            let c = match state {
                Some((_, c_prev)) => f * c_prev + i * g,
                None => i * g,
            };
            let h_t = o * c.clone().tanh();
            outs.push(h_t.clone());
            state = Some((h_t, c));
        }
        Tensor::cat(outs, 0)
    }

    /// Per-skill logits after every step: `[steps * batch, n_skills]`.
    pub fn logits(&self, x: &KtBatchTensors) -> Tensor<2> {
        self.hidden_states(x).matmul(self.output.val()) + self.output_bias.val().unsqueeze()
    }

    /// Logits of the next step's skills, with its problem's difficulty: `[steps * batch, slots]`.
    fn target_logits(&self, x: &KtBatchTensors) -> Tensor<2> {
        let z = self.logits(x).gather(1, x.target_skill.clone());
        match &self.problem_difficulty {
            Some(d) => z + d.val().select(0, x.target_problem.clone()).unsqueeze_dim(1) * x.target_problem_known.clone(),
            None => z,
        }
    }

    /// Mean binary cross-entropy over scored steps (a multi-skill step's skills share its weight).
    pub fn loss(&self, x: &KtBatchTensors) -> Tensor<1> {
        let z = self.target_logits(x);
        // Stable BCE with logits: max(z, 0) - z*y + log(1 + exp(-|z|)).
        let bce = relu(z.clone()) - z.clone() * x.target_correct.clone() + z.abs().neg().exp().log1p();
        let total = x.target_weight.clone().sum();
        (bce * x.target_weight.clone()).sum() / total
    }

    /// Predicted probability of each scored next step (mean over its skills), time-major
    /// `[steps * batch]`; padding cells hold 0 and must be skipped with the batch's weights.
    pub fn next_step_probabilities(&self, x: &KtBatchTensors) -> Tensor<1> {
        let p = sigmoid(self.target_logits(x)) * x.target_weight.clone();
        p.sum_dim(1).reshape([x.steps * x.batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::kt::{KtSequence, KtStep, windows};

    #[test]
    fn future_steps_never_change_earlier_outputs() {
        let cfg = DktConfig { n_skills: 4, hidden: 8, n_problems: 0 };
        let model = cfg.init(1, &crate::models::device::reference_device());
        let mk = |last: bool| {
            let steps = [(0, true), (1, false), (2, true), (3, last)].iter().map(|&(s, c)| KtStep::new(vec![s], c)).collect();
            vec![KtSequence { student: "a".into(), steps }]
        };
        let run = |seqs: Vec<KtSequence>| {
            let b = KtBatch::new(&seqs, &windows(&seqs, 10));
            model.logits(&KtBatchTensors::new(&b, &crate::models::device::reference_device())).into_data().try_to_vec::<f32>().unwrap()
        };
        let (a, b) = (run(mk(true)), run(mk(false)));
        // Outputs after steps 0..=2 (3 rows of 4 skills) do not depend on step 3's answer.
        assert_eq!(&a[..12], &b[..12]);
        assert_ne!(&a[12..], &b[12..]);
    }
}
