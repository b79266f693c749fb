//! BST, the Behaviour Sequence Transformer (Chen et al., 2019, Alibaba), as in the BST seed
//! notebook: a transformer encoder over a student's most recent reads, mean-pooled, concatenated
//! with embeddings of context features (grade, school, class), then an MLP head over the title
//! vocabulary that scores the next read.
//!
//! What differs from the reference notebook, and why:
//! - The reference notebook's target is the *last item of its own input* (`targets = x[..., -1:]` on the same `x`
//!   the encoder reads): the model is asked to predict what it was shown. Here the input is the reads
//!   *before* the target, so nothing leaks.
//! - The mean pools only the real reads (the reference notebook averages the padding in too), and the padding is
//!   on the left, so the newest read always sits at the last position; that position's output is
//!   concatenated to the mean (with the mean alone the model could not tell which read is current,
//!   and reached only the popularity baseline's hits on the built-in classroom: BENCHMARKS.md).
//! - Title embeddings start at N(0, 1/d), so that after the reference notebook's `× √d` they have the scale of
//!   the positions.
//! - Positions are sinusoidal (the reference notebook's) or learned (`Positions::Learned`), chosen in the config.

use burn::module::Module;
use burn::nn::activation::ActivationConfig;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::sequences::study::PAD;

/// How a read's position in the window is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Positions {
    Sinusoidal,
    Learned,
}

/// The context features, in the order of [`BstBatch::context`].
pub const CONTEXT_FEATURES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BstConfig {
    /// Output classes: every title id, specials included ([`crate::sequences::study::TitleVocab::len`]).
    pub vocab_size: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    pub d_ff: usize,
    /// Reads the encoder sees (the most recent ones).
    pub max_len: usize,
    pub positions: Positions,
    /// Buckets of each context feature (0 is "unknown" in all three): grades, schools, classes.
    pub context_sizes: [usize; CONTEXT_FEATURES],
    pub context_dim: usize,
    pub mlp_hidden: usize,
    pub dropout: f64,
}

impl BstConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.d_model == 0 || self.n_heads == 0 || self.n_layers == 0 || self.d_ff == 0 || self.max_len == 0 || self.mlp_hidden == 0 {
            return Err("BST dimensions, heads, layers and --max-len must be at least 1".into());
        }
        if !self.d_model.is_multiple_of(self.n_heads) || !self.d_model.is_multiple_of(2) {
            return Err(format!("--d-model ({}) must be even and a multiple of --heads ({})", self.d_model, self.n_heads));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if self.vocab_size <= crate::sequences::study::FIRST_TITLE as usize {
            return Err("the vocabulary holds no title: nothing to recommend".into());
        }
        Ok(())
    }

    pub fn init(&self, seed: u64, device: &Device) -> Bst {
        device.seed(seed);
        let emb = |n: usize, d: usize| EmbeddingConfig::new(n.max(1), d).init(device);
        // N(0, 1/d): times √d in the forward pass that is unit variance, the scale of the
        // positions. PyTorch's N(0, 1) (the reference notebook's) makes the title 8× the position at d = 64.
        let items = EmbeddingConfig::new(self.vocab_size, self.d_model)
            .with_initializer(Initializer::Normal { mean: 0.0, std: 1.0 / (self.d_model as f64).sqrt() })
            .init(device);
        Bst {
            items,
            positions: (self.positions == Positions::Learned).then(|| emb(self.max_len, self.d_model)),
            grade: emb(self.context_sizes[0], self.context_dim),
            school: emb(self.context_sizes[1], self.context_dim),
            class: emb(self.context_sizes[2], self.context_dim),
            encoder: TransformerEncoderConfig::new(self.d_model, self.d_ff, self.n_heads, self.n_layers)
                .with_dropout(self.dropout)
                .with_activation(ActivationConfig::Relu)
                .init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            hidden: LinearConfig::new(2 * self.d_model + CONTEXT_FEATURES * self.context_dim, self.mlp_hidden).init(device),
            head: LinearConfig::new(self.mlp_hidden, self.vocab_size).init(device),
            d_model: self.d_model,
        }
    }

    /// Parameters of a model of this shape.
    pub fn n_params(&self) -> usize {
        self.init(0, &crate::models::device::reference_device()).num_params()
    }
}

#[derive(Module, Debug)]
pub struct Bst {
    items: Embedding,
    positions: Option<Embedding>,
    grade: Embedding,
    school: Embedding,
    class: Embedding,
    encoder: TransformerEncoder,
    dropout: Dropout,
    hidden: Linear,
    head: Linear,
    d_model: usize,
}

/// Examples on the host: `rows` windows of `len` title ids (left-padded with [`PAD`]), their
/// context ids, and (training and evaluation) the next read's id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BstBatch {
    pub rows: usize,
    pub len: usize,
    pub items: Vec<i64>,
    pub context: Vec<i64>,
    pub targets: Vec<i64>,
}

impl BstBatch {
    /// `histories` (oldest first; only the last `len` are used) with their context ids.
    pub fn new(histories: &[&[u32]], context: &[[i64; CONTEXT_FEATURES]], targets: &[u32], len: usize) -> Self {
        let mut b = BstBatch { rows: histories.len(), len, ..Default::default() };
        for h in histories {
            let recent = &h[h.len().saturating_sub(len)..];
            b.items.extend(std::iter::repeat_n(PAD as i64, len - recent.len()));
            b.items.extend(recent.iter().map(|&t| t as i64));
        }
        b.context = context.iter().flatten().copied().collect();
        b.targets = targets.iter().map(|&t| t as i64).collect();
        b
    }

    pub fn tensors(&self, device: &Device) -> BstTensors {
        let (n, l) = (self.rows, self.len);
        let pad: Vec<bool> = self.items.iter().map(|&t| t == PAD as i64).collect();
        let causal: Vec<bool> = (0..n).flat_map(|_| (0..l).flat_map(move |i| (0..l).map(move |j| j > i))).collect();
        let real: Vec<f32> = pad.iter().map(|&p| if p { 0.0 } else { 1.0 }).collect();
        let count: Vec<f32> = real.chunks(l.max(1)).map(|r| r.iter().sum::<f32>().max(1.0)).collect();
        BstTensors {
            items: Tensor::from_data(TensorData::new(self.items.clone(), [n, l]), device),
            pad: Tensor::from_data(TensorData::new(pad, [n, l]), device),
            causal: Tensor::from_data(TensorData::new(causal, [n, l, l]), device),
            weights: Tensor::<2>::from_data(TensorData::new(real, [n, l]), device) / Tensor::<2>::from_data(TensorData::new(count, [n, 1]), device),
            context: Tensor::from_data(TensorData::new(self.context.clone(), [n, CONTEXT_FEATURES]), device),
            targets: (!self.targets.is_empty()).then(|| Tensor::from_data(TensorData::new(self.targets.clone(), [n]), device)),
        }
    }
}

/// A [`BstBatch`] on a device.
pub struct BstTensors {
    items: Tensor<2, Int>,
    /// True at padding (burn's convention: true is masked).
    pad: Tensor<2, Bool>,
    /// True where a position may not look (later positions).
    causal: Tensor<3, Bool>,
    /// Per position: 1 / (real reads of the row) at real reads, 0 at padding (the mean's weights).
    weights: Tensor<2>,
    context: Tensor<2, Int>,
    targets: Option<Tensor<1, Int>>,
}

/// Sine / cosine positions, the reference notebook's layout (sines in the first half).
fn sinusoidal(len: usize, d: usize, device: &Device) -> Tensor<2> {
    let half = d / 2;
    let scale = -(10_000f64.ln()) / (half.max(2) - 1) as f64;
    let mut v = vec![0.0f32; len * d];
    for p in 0..len {
        for k in 0..half {
            let a = p as f64 * (k as f64 * scale).exp();
            v[p * d + k] = a.sin() as f32;
            v[p * d + half + k] = a.cos() as f32;
        }
    }
    Tensor::from_data(TensorData::new(v, [len, d]), device)
}

impl Bst {
    /// Next-read logits, `[rows, vocab]`.
    pub fn logits(&self, x: &BstTensors) -> Tensor<2> {
        let [n, l] = x.items.dims();
        let d = self.d_model;
        let device = x.items.device();
        let pos = match &self.positions {
            Some(p) => p.weight.val().slice([0..l, 0..d]),
            None => sinusoidal(l, d, &device),
        };
        let h = self.items.forward(x.items.clone()) * (d as f64).sqrt() + pos.unsqueeze_dim(0);
        let h = self.dropout.forward(h);
        let h = self.encoder.forward(TransformerEncoderInput::new(h).mask_pad(x.pad.clone()).mask_attn(x.causal.clone()));
        let pooled = (h.clone() * x.weights.clone().unsqueeze_dim(2)).sum_dim(1).reshape([n, d]);
        // The newest read's output too: under the causal mask it has seen the whole window, and
        // a mean over 20 reads alone hides which one is current (the title a student is in the
        // middle of is the most likely next read).
        let last = h.slice([0..n, l - 1..l, 0..d]).reshape([n, d]);
        let ctx = |k: usize, e: &Embedding| {
            let ids = x.context.clone().slice([0..n, k..k + 1]);
            let out = e.forward(ids);
            let dim = out.dims()[2];
            out.reshape([n, dim])
        };
        let features = Tensor::cat(vec![pooled, last, ctx(0, &self.grade), ctx(1, &self.school), ctx(2, &self.class)], 1);
        self.head.forward(leaky_relu(self.hidden.forward(self.dropout.forward(features)), 0.01))
    }

    /// Mean cross-entropy on the batch's targets.
    pub fn loss(&self, x: &BstTensors) -> Tensor<1> {
        let logits = self.logits(x);
        let targets = x.targets.clone().expect("a training batch has targets");
        CrossEntropyLossConfig::new().init(&logits.device()).forward(logits, targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(positions: Positions) -> BstConfig {
        BstConfig {
            vocab_size: 12,
            d_model: 8,
            n_heads: 2,
            n_layers: 1,
            d_ff: 16,
            max_len: 4,
            positions,
            context_sizes: [3, 2, 2],
            context_dim: 4,
            mlp_hidden: 16,
            dropout: 0.0,
        }
    }

    #[test]
    fn padding_does_not_change_the_prediction_and_the_window_keeps_the_newest_reads() {
        for positions in [Positions::Sinusoidal, Positions::Learned] {
            let device = crate::models::device::reference_device();
            let model = config(positions).init(3, &device);
            let run = |h: &[u32], len: usize| -> Vec<f32> {
                let b = BstBatch::new(&[h], &[[1, 1, 0]], &[], len);
                model.logits(&b.tensors(&device)).into_data().convert::<f32>().try_into_vec::<f32>().unwrap()
            };
            // The window keeps the last 4 reads: an older read changes nothing.
            assert_eq!(run(&[9, 4, 5, 6, 7], 4), run(&[8, 4, 5, 6, 7], 4));
            // Different recent reads do change the prediction.
            assert_ne!(run(&[4, 5, 6, 7], 4), run(&[4, 5, 6, 8], 4));
            let b = BstBatch::new(&[&[5, 6]], &[[0, 0, 0]], &[7], 4);
            assert_eq!(b.items, [PAD as i64, PAD as i64, 5, 6]);
            assert_eq!(b.targets, [7]);
            // A batch gives each row what it gives alone.
            let both = BstBatch::new(&[&[4, 5, 6, 7], &[5, 6]], &[[1, 1, 0], [1, 1, 0]], &[], 4);
            let out = model.logits(&both.tensors(&device)).into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
            let alone = run(&[5, 6], 4);
            for (a, b) in out[12..].iter().zip(&alone) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }
}
