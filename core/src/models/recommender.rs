//! The Individual and STUDY reading recommenders (Ahmed et al., 2023, "STUDY: Socially Aware
//! Temporally Causal Decoder Recommender Systems") as one burn module.
//!
//! Both are the same pre-LayerNorm transformer decoder over the packed rows of
//! [`crate::sequences::study`]; they differ only in the attention mask ([`RecommenderKind`]):
//! - **Individual**: a token sees its own student's reads at earlier or equal positions;
//! - **STUDY**: additionally every classmate's read with a strictly earlier timestamp
//!   ([`can_attend`]).
//!
//! Training both on the *same* rows keeps the comparison fair: the only thing STUDY has that
//! Individual lacks is the classmates' reads.
//!
//! As in the reference: title embeddings (N(0, 1)), sinusoidal embeddings of each read's position
//! in its student's sequence (so two chunks of one student order correctly and a long history is
//! never clipped), ReLU feed-forward blocks, a final LayerNorm and a dense layer over the
//! vocabulary, plus optional grade-level conditioning: one learned bias per (grade, title),
//! added to the logits, which lets the model suggest grade-appropriate titles from a cold start.
//!
//! Unlike the reference, a token's input is its *own* title and its output predicts the same
//! student's next read (see the `rows` module): nothing is shifted across a packed row.

use burn::module::Module;
use burn::nn::activation::ActivationConfig;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::sequences::study::{PAD, Row, can_attend};

/// Which tokens a token may attend to (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecommenderKind {
    Individual,
    Study,
}

impl RecommenderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecommenderKind::Individual => "individual",
            RecommenderKind::Study => "study",
        }
    }

    /// Whether token `i` of `row` may attend to token `j` under this model's rules.
    pub fn can_attend(self, row: &Row, i: usize, j: usize) -> bool {
        match self {
            RecommenderKind::Study => can_attend(row, i, j),
            RecommenderKind::Individual => can_attend(row, i, j) && row.tokens[i].student == row.tokens[j].student,
        }
    }
}

/// Model shape; saved in `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecommenderConfig {
    pub kind: RecommenderKind,
    /// Output classes: every vocabulary id, specials included ([`crate::sequences::study::TitleVocab::len`]).
    pub vocab_size: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub n_layers: usize,
    pub d_ff: usize,
    pub dropout: f64,
    /// Grades 1..=n get their own logit biases, every other grade (and unknown) shares bucket 0,
    /// as the reference's `--experimental_num_grade_levels`. `None`: no grade conditioning.
    pub num_grade_levels: Option<u8>,
    /// Add each read's reading time (this session's, and the run of sessions on the title so far)
    /// to its input. The reference ignores `Seconds Read`; without it a model cannot tell a book
    /// just started from one about to be finished, so it suggests "continue" first every time
    /// and never gets a non-continuation read right at n = 1.
    pub durations: bool,
    /// Add each read's date, in days since the row's first read, as sinusoids through a learned
    /// projection. The mask already keeps classmates' later reads out; this tells the model
    /// *how long ago* a visible read was, so it can weigh last week's classmate reads over last
    /// month's. Relative days fit in an i32 for any date (GPU paths need 32-bit integers).
    #[serde(default)]
    pub times: bool,
}

impl RecommenderConfig {
    /// The benchmark shape: 2 layers, 4 heads, 128 dimensions, 4x feed-forward.
    pub fn new(kind: RecommenderKind, vocab_size: usize) -> Self {
        Self { kind, vocab_size, d_model: 128, n_heads: 4, n_layers: 2, d_ff: 512, dropout: 0.1, num_grade_levels: None, durations: true, times: true }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.d_model == 0 || self.n_heads == 0 || self.n_layers == 0 || self.d_ff == 0 {
            return Err("model dimensions, heads and layers must be at least 1".into());
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return Err(format!("--d-model ({}) must be a multiple of --heads ({})", self.d_model, self.n_heads));
        }
        if !self.d_model.is_multiple_of(2) {
            return Err(format!("--d-model ({}) must be even for the sinusoidal positions", self.d_model));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if self.vocab_size <= crate::sequences::study::FIRST_TITLE as usize {
            return Err("the vocabulary holds no title: nothing to recommend".into());
        }
        Ok(())
    }

    /// The grade bucket of a row (see [`Self::num_grade_levels`]).
    pub fn grade_bucket(&self, grade: Option<u8>) -> usize {
        match (self.num_grade_levels, grade) {
            (Some(n), Some(g)) if (1..=n).contains(&g) => g as usize,
            _ => 0,
        }
    }

    /// A freshly initialised model; burn's initialisers draw from the device's generator, which
    /// is seeded here so the same seed gives the same weights.
    pub fn init(&self, seed: u64, device: &Device) -> Recommender {
        device.seed(seed);
        let encoder = TransformerEncoderConfig::new(self.d_model, self.d_ff, self.n_heads, self.n_layers)
            .with_dropout(self.dropout)
            .with_norm_first(true)
            .with_activation(ActivationConfig::Relu)
            .init(device);
        let titles = EmbeddingConfig::new(self.vocab_size, self.d_model).with_initializer(Initializer::Normal { mean: 0.0, std: 1.0 }).init(device);
        let grade_bias = self
            .num_grade_levels
            .map(|n| EmbeddingConfig::new(n as usize + 1, self.vocab_size).with_initializer(Initializer::Normal { mean: 0.0, std: 0.01 }).init(device));
        let durations = self.durations.then(|| LinearConfig::new(DURATION_FEATURES, self.d_model).init(device));
        let times = self.times.then(|| LinearConfig::new(TIME_FEATURES, self.d_model).init(device));
        Recommender {
            titles,
            durations,
            times,
            embed_dropout: DropoutConfig::new(self.dropout).init(),
            encoder,
            norm: LayerNormConfig::new(self.d_model).init(device),
            head: LinearConfig::new(self.d_model, self.vocab_size).with_initializer(Initializer::XavierUniform { gain: 1.0 }).init(device),
            grade_bias,
            kind: self.kind.as_str().to_string(),
            num_grade_levels: self.num_grade_levels.unwrap_or(0) as usize,
        }
    }
}

#[derive(Module, Debug)]
pub struct Recommender {
    titles: Embedding,
    durations: Option<Linear>,
    times: Option<Linear>,
    embed_dropout: Dropout,
    encoder: TransformerEncoder,
    norm: LayerNorm,
    head: Linear,
    grade_bias: Option<Embedding>,
    /// Constants kept on the module so a loaded record can be checked against its config.
    kind: String,
    num_grade_levels: usize,
}

/// Run seconds in one-hot buckets of `RUN_BUCKET_SECONDS` (the last one open-ended), plus the
/// session's ln(1 + seconds) / 8. Buckets rather than one scaled number: "finished" is a
/// threshold that differs per title, which the feed-forward layers can read off a (title,
/// bucket) pair far more easily than off a small shift of one input.
const RUN_BUCKETS: usize = 16;
const RUN_BUCKET_SECONDS: u32 = 300;
const DURATION_FEATURES: usize = RUN_BUCKETS + 1;

fn duration_features(t: &crate::sequences::study::Token) -> [f32; DURATION_FEATURES] {
    let mut out = [0.0; DURATION_FEATURES];
    if t.is_read() && t.run_seconds > 0 {
        out[((t.run_seconds / RUN_BUCKET_SECONDS) as usize).min(RUN_BUCKETS - 1)] = 1.0;
    }
    out[RUN_BUCKETS] = ((t.seconds as f64).ln_1p() / 8.0) as f32;
    out
}

/// Sine and cosine of the day offset at `TIME_FEATURES / 2` periods from 2 to 512 days.
const TIME_FEATURES: usize = 16;

fn time_features(days: i32, out: &mut [f32]) {
    let half = TIME_FEATURES / 2;
    for k in 0..half {
        let period = 2.0 * 256f64.powf(k as f64 / (half - 1) as f64);
        let angle = std::f64::consts::TAU * days as f64 / period;
        out[k] = angle.sin() as f32;
        out[half + k] = angle.cos() as f32;
    }
}

/// A token's day relative to the first read of its row, clamped into an i32.
fn day_offset(time: i64, row_start: i64) -> i32 {
    (time - row_start).div_euclid(86_400).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// Sinusoidal embedding of position `p` into `out` (the reference's layout: sines in the first
/// half, cosines in the second, timescales from 1 to 10 000).
fn sinusoid(p: u32, out: &mut [f32]) {
    let half = out.len() / 2;
    let scale = -(10_000f64.ln()) / (half.max(2) - 1) as f64;
    for k in 0..half {
        let angle = p as f64 * (k as f64 * scale).exp();
        out[k] = angle.sin() as f32;
        out[half + k] = angle.cos() as f32;
    }
}

/// Rows turned into the model's inputs, on the host; [`RecBatch::tensors`] moves them to a
/// device.
#[derive(Debug, Clone, PartialEq)]
pub struct RecBatch {
    pub rows: usize,
    pub len: usize,
    d_model: usize,
    titles: Vec<i64>,
    positions: Vec<f32>,
    durations: Vec<f32>,
    times: Vec<f32>,
    /// `rows * len * len`, true where attention is *blocked* (burn's convention).
    blocked: Vec<bool>,
    /// Flat indices (`row * len + i`) of the tokens whose outputs are wanted.
    pub query: Vec<usize>,
    /// Per query: the row's grade bucket.
    query_grade: Vec<i64>,
    /// Per query: the target id (training and evaluation only; empty otherwise).
    pub targets: Vec<i64>,
}

/// Which tokens of a batch to read outputs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queries {
    /// Every read token with a target (training loss, evaluation).
    Targets,
    /// Every read token.
    Reads,
}

impl RecBatch {
    /// `rows` (all of one length) as a batch for `config`'s model; `mask` overrides
    /// [`RecommenderKind::can_attend`] when given (used to let a query see up to "now").
    pub fn new(rows: &[&Row], config: &RecommenderConfig, queries: Queries) -> Self {
        Self::with_mask(rows, config, queries, |row, i, j| config.kind.can_attend(row, i, j))
    }

    pub fn with_mask(rows: &[&Row], config: &RecommenderConfig, queries: Queries, mask: impl Fn(&Row, usize, usize) -> bool) -> Self {
        let len = rows.first().map_or(0, |r| r.len());
        let d = config.d_model;
        let mut b = RecBatch {
            rows: rows.len(),
            len,
            d_model: d,
            titles: Vec::with_capacity(rows.len() * len),
            positions: vec![0.0; rows.len() * len * d],
            durations: Vec::with_capacity(rows.len() * len * DURATION_FEATURES),
            times: vec![0.0; rows.len() * len * TIME_FEATURES],
            blocked: Vec::with_capacity(rows.len() * len * len),
            query: Vec::new(),
            query_grade: Vec::new(),
            targets: Vec::new(),
        };
        for (r, row) in rows.iter().enumerate() {
            assert_eq!(row.len(), len, "rows of one batch must have one length");
            let grade = config.grade_bucket(row.grade) as i64;
            let row_start = row.tokens.iter().filter(|t| t.is_read()).map(|t| t.time).min().unwrap_or(0);
            for (i, t) in row.tokens.iter().enumerate() {
                b.titles.push(t.title as i64);
                let at = (r * len + i) * d;
                sinusoid(t.position, &mut b.positions[at..at + d]);
                b.durations.extend(duration_features(t));
                if t.is_read() {
                    let at = (r * len + i) * TIME_FEATURES;
                    time_features(day_offset(t.time, row_start), &mut b.times[at..at + TIME_FEATURES]);
                }
                for j in 0..len {
                    b.blocked.push(!mask(row, i, j));
                }
                let target = row.targets()[i];
                let wanted = t.is_read()
                    && match queries {
                        Queries::Targets => target != PAD,
                        Queries::Reads => true,
                    };
                if wanted {
                    b.query.push(r * len + i);
                    b.query_grade.push(grade);
                    if queries == Queries::Targets {
                        b.targets.push(target as i64);
                    }
                }
            }
        }
        b
    }

    pub fn tensors(&self, device: &Device) -> RecTensors {
        let (n, l, d) = (self.rows, self.len, self.d_model);
        RecTensors {
            titles: Tensor::from_data(TensorData::new(self.titles.clone(), [n, l]), device),
            positions: Tensor::from_data(TensorData::new(self.positions.clone(), [n, l, d]), device),
            durations: Tensor::from_data(TensorData::new(self.durations.clone(), [n, l, DURATION_FEATURES]), device),
            times: Tensor::from_data(TensorData::new(self.times.clone(), [n, l, TIME_FEATURES]), device),
            blocked: Tensor::from_data(TensorData::new(self.blocked.clone(), [n, l, l]), device),
            query: Tensor::from_data(TensorData::new(self.query.iter().map(|&q| q as i64).collect::<Vec<_>>(), [self.query.len()]), device),
            query_grade: Tensor::from_data(TensorData::new(self.query_grade.clone(), [self.query_grade.len()]), device),
            targets: (!self.targets.is_empty()).then(|| Tensor::from_data(TensorData::new(self.targets.clone(), [self.targets.len()]), device)),
        }
    }
}

/// A [`RecBatch`] on a device.
pub struct RecTensors {
    titles: Tensor<2, Int>,
    positions: Tensor<3>,
    durations: Tensor<3>,
    times: Tensor<3>,
    blocked: Tensor<3, Bool>,
    query: Tensor<1, Int>,
    query_grade: Tensor<1, Int>,
    targets: Option<Tensor<1, Int>>,
}

impl Recommender {
    /// Logits `[queries, vocab]` for the batch's query tokens. A batch without queries gives an
    /// empty result without running the model.
    pub fn logits(&self, x: &RecTensors) -> Tensor<2> {
        let [n, l] = x.titles.dims();
        let mut h = self.titles.forward(x.titles.clone()) + x.positions.clone();
        if let Some(durations) = &self.durations {
            h = h + durations.forward(x.durations.clone());
        }
        if let Some(times) = &self.times {
            h = h + times.forward(x.times.clone());
        }
        let h = self.embed_dropout.forward(h);
        let h = self.encoder.forward(TransformerEncoderInput::new(h).mask_attn(x.blocked.clone()));
        let d = h.dims()[2];
        let h = h.reshape([n * l, d]).select(0, x.query.clone());
        let logits = self.head.forward(self.norm.forward(h));
        match &self.grade_bias {
            Some(bias) => logits + bias.weight.val().select(0, x.query_grade.clone()),
            None => logits,
        }
    }

    /// Mean cross-entropy over the query tokens' targets.
    pub fn loss(&self, x: &RecTensors) -> Tensor<1> {
        let logits = self.logits(x);
        let targets = x.targets.clone().expect("a training batch has targets");
        CrossEntropyLossConfig::new().init(&logits.device()).forward(logits, targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::device::reference_device;
    use crate::sequences::study::test_data::*;
    use crate::sequences::study::{PackConfig, TitleVocab, build_study};

    fn rows() -> (TitleVocab, Vec<Row>) {
        let d = one_school(log(&[
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T2", day(2021, 1, 1)),
            ("a", "T2", day(2021, 1, 2)),
            ("b", "T3", day(2021, 1, 3)),
            ("a", "T3", day(2021, 1, 3)),
            ("a", "T1", day(2021, 1, 5)),
            ("b", "T1", day(2021, 1, 6)),
        ]));
        let v = TitleVocab::from_training(&d, 10);
        let rows = build_study(&d, &v, &PackConfig::new(12, 12).unwrap()).rows;
        (v, rows)
    }

    fn logits_of(model: &Recommender, cfg: &RecommenderConfig, rows: &[Row]) -> Vec<f32> {
        let refs: Vec<&Row> = rows.iter().collect();
        let b = RecBatch::new(&refs, cfg, Queries::Reads);
        model.logits(&b.tensors(&reference_device())).into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn individual_mask_keeps_to_the_student() {
        let (_, rows) = rows();
        let row = &rows[0];
        let k = RecommenderKind::Individual;
        for i in 0..row.len() {
            for j in 0..row.len() {
                let (a, b) = (row.tokens[i], row.tokens[j]);
                let expected = a.is_read() && b.is_read() && a.student == b.student && b.position <= a.position;
                assert_eq!(k.can_attend(row, i, j), expected, "{i} -> {j}");
            }
        }
    }

    #[test]
    fn a_later_read_never_changes_an_earlier_prediction() {
        let (v, rows) = rows();
        for kind in [RecommenderKind::Study, RecommenderKind::Individual] {
            let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, num_grade_levels: Some(8), ..RecommenderConfig::new(kind, v.len()) };
            let model = cfg.init(3, &reference_device());
            let before = logits_of(&model, &cfg, &rows);
            // b's last read (day 6) becomes another title: every other read token's logits stay.
            let row = &rows[0];
            let last_b = (0..row.len()).rev().find(|&i| row.tokens[i].is_read() && row.tokens[i].student == 1).unwrap();
            let mut changed = rows.clone();
            changed[0].tokens[last_b].title = v.encode("T2");
            let after = logits_of(&model, &cfg, &changed);
            let reads: Vec<usize> = (0..row.len()).filter(|&i| row.tokens[i].is_read()).collect();
            let width = v.len();
            for (q, &i) in reads.iter().enumerate() {
                let same = before[q * width..(q + 1) * width].iter().zip(&after[q * width..(q + 1) * width]).all(|(x, y)| (x - y).abs() < 1e-5);
                assert_eq!(same, i != last_b, "{kind:?}: token {i}");
            }
        }
    }

    #[test]
    fn study_sees_classmates_and_individual_does_not() {
        let (v, rows) = rows();
        // a's read on day 5 may see b's day-3 read under STUDY only.
        let row = &rows[0];
        let b_day3 = (0..row.len()).find(|&i| row.tokens[i].student == 1 && row.tokens[i].time == day(2021, 1, 3)).unwrap();
        let a_day5 = (0..row.len()).find(|&i| row.tokens[i].student == 0 && row.tokens[i].time == day(2021, 1, 5)).unwrap();
        let mut changed = rows.clone();
        changed[0].tokens[b_day3].title = v.encode("T1");
        let reads: Vec<usize> = (0..row.len()).filter(|&i| row.tokens[i].is_read()).collect();
        let q = reads.iter().position(|&i| i == a_day5).unwrap();
        let width = v.len();
        for (kind, should_change) in [(RecommenderKind::Study, true), (RecommenderKind::Individual, false)] {
            let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, ..RecommenderConfig::new(kind, v.len()) };
            let model = cfg.init(5, &reference_device());
            let (x, y) = (logits_of(&model, &cfg, &rows), logits_of(&model, &cfg, &changed));
            let differs = x[q * width..(q + 1) * width].iter().zip(&y[q * width..(q + 1) * width]).any(|(a, b)| (a - b).abs() > 1e-5);
            assert_eq!(differs, should_change, "{kind:?}");
        }
    }

    #[test]
    fn training_batches_score_targets_only() {
        let (v, rows) = rows();
        let cfg = RecommenderConfig::new(RecommenderKind::Study, v.len());
        let b = RecBatch::new(&[&rows[0]], &cfg, Queries::Targets);
        // 7 reads, 2 students: 5 have a next read.
        assert_eq!((b.query.len(), b.targets.len()), (5, 5));
        assert!(b.targets.iter().all(|&t| t != PAD as i64));
        let model = cfg.init(1, &reference_device());
        let loss = model.loss(&b.tensors(&reference_device())).into_scalar::<f32>();
        // An untrained model is near uniform over the vocabulary.
        assert!(loss.is_finite() && loss > 0.5 * (v.len() as f32).ln(), "loss {loss}");
    }

    #[test]
    fn config_is_checked() {
        let ok = RecommenderConfig::new(RecommenderKind::Study, 10);
        assert!(ok.validate().is_ok());
        assert!(RecommenderConfig { n_heads: 3, ..ok }.validate().unwrap_err().contains("multiple"));
        assert!(RecommenderConfig { vocab_size: 3, ..ok }.validate().is_err());
        assert!(RecommenderConfig { dropout: 1.0, ..ok }.validate().is_err());
        let graded = RecommenderConfig { num_grade_levels: Some(5), ..ok };
        assert_eq!((graded.grade_bucket(Some(3)), graded.grade_bucket(Some(6)), graded.grade_bucket(None), ok.grade_bucket(Some(3))), (3, 0, 0, 0));
    }

    #[test]
    fn day_offsets_are_relative_and_fit_an_i32() {
        let d2040 = crate::calendar::days_from_civil(2040, 3, 1) * 86_400;
        assert_eq!(day_offset(d2040 + 3 * 86_400 + 5, d2040), 3, "dates after 2038 work");
        assert_eq!(day_offset(i64::MAX, 0), i32::MAX);
        let mut f = [0.0f32; TIME_FEATURES];
        time_features(0, &mut f);
        assert!(f[..TIME_FEATURES / 2].iter().all(|&x| x == 0.0) && f[TIME_FEATURES / 2..].iter().all(|&x| x == 1.0));
        time_features(1, &mut f);
        assert!((f[0] - 0.0).abs() < 1e-6 && (f[TIME_FEATURES / 2] + 1.0).abs() < 1e-6, "the 2-day period flips each day");
    }

    #[test]
    fn sinusoid_matches_the_formula() {
        let mut out = [0.0f32; 8];
        sinusoid(3, &mut out);
        let scale = -(10_000f64.ln()) / 3.0;
        for k in 0..4 {
            let a = 3.0 * (k as f64 * scale).exp();
            assert!((out[k] as f64 - a.sin()).abs() < 1e-6 && (out[4 + k] as f64 - a.cos()).abs() < 1e-6);
        }
    }
}
