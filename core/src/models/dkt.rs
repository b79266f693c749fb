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

use super::init::Init;
use crate::sequences::kt::KtBatch;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DktConfig {
    pub n_skills: usize,
    pub hidden: usize,
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
        Dkt {
            input_gates,
            recurrent: init.param2([h, 4 * h], bound, device),
            output: init.param2([h, s], bound, device),
            output_bias: init.param1(s, bound, device),
        }
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
        }
    }
}

impl Dkt {
    pub fn config(&self) -> DktConfig {
        let [h, s] = self.output.val().dims();
        DktConfig { n_skills: s, hidden: h }
    }

    /// Hidden states after every step, time-major: `[steps * batch, hidden]`.
    pub fn hidden_states(&self, x: &KtBatchTensors) -> Tensor<2> {
        let h = self.config().hidden;
        let (b, t) = (x.batch, x.steps);
        let gathered = self.input_gates.val().select(0, x.input_token.clone()) * x.input_weight.clone();
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

    /// Logits of the next step's skills: `[steps * batch, slots]`.
    fn target_logits(&self, x: &KtBatchTensors) -> Tensor<2> {
        self.logits(x).gather(1, x.target_skill.clone())
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
        let cfg = DktConfig { n_skills: 4, hidden: 8 };
        let model = cfg.init(1, &crate::models::device::reference_device());
        let mk = |last: bool| {
            let steps = [(0, true), (1, false), (2, true), (3, last)].iter().map(|&(s, c)| KtStep { skills: vec![s], correct: c }).collect();
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
