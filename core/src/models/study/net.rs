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

use burn::module::{Module, Param};
use burn::nn::activation::ActivationConfig;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::softplus;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;
use std::sync::Arc;

use crate::models::baselines::{ItemKnn, KnnConfig};

use crate::sequences::study::{Classroom, ClassroomKey, PAD, Row, StudentReads, can_attend};

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
    /// Count features added straight to the logits (see [`COUNT_CHANNELS`] and
    /// [`CountContext`]): how often the student read each title before, and (STUDY only) how
    /// often classmates read it in the 7, 28 and 90 days before the token's day, each as
    /// ln(1 + count) with one learned weight; plus a learned bias on the student's current title
    /// by how far into it they are, and a learned finishing length per title. Attention *can* learn to count, but from a few hundred
    /// thousand reads on two CPU cores it does not get there (BENCHMARKS.md); these features give
    /// STUDY the classroom's recent reading directly and Individual the student's own, so the
    /// comparison still isolates what classmates add.
    #[serde(default)]
    pub count_features: bool,
    /// Add the co-read channel to the logits: each title's summed item-item similarity to the
    /// student's last few distinct titles ([`ItemKnn::scores`], the KNN baseline's own score),
    /// with one learned weight. The table is fitted on the training students and travels with
    /// the model (a model directory's `coread.json`, a pack's metadata). Why: which titles go
    /// together is a statistic of the whole training log, and on two CPU cores and a few hundred
    /// steps the attention layers do not recover it from the student's history — without it both
    /// models lost to plain KNN where classmates do not matter (BENCHMARKS.md, regimes). Both
    /// kinds get it (it uses only the student's own reads), so Individual stays STUDY without
    /// classmates. While training, each row reads a table fitted on the *other* half of the
    /// training classrooms ([`CountContext::with_cross_fitted_coread`]), so the weight is learned
    /// on similarities that never counted the row's own reads, as at inference.
    /// Left out of `config.json` when off: older models read as without it.
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub coread: bool,
}

impl RecommenderConfig {
    /// The benchmark shape: 2 layers, 4 heads, 128 dimensions, 4x feed-forward.
    pub fn new(kind: RecommenderKind, vocab_size: usize) -> Self {
        Self {
            kind,
            vocab_size,
            d_model: 128,
            n_heads: 4,
            n_layers: 2,
            d_ff: 512,
            dropout: 0.1,
            num_grade_levels: None,
            durations: true,
            times: true,
            count_features: true,
            coread: false,
        }
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
        let zeros = |n: usize| Param::from_tensor(Tensor::zeros([n], device));
        let count_weights = self.count_features.then(|| zeros(COUNT_CHANNELS));
        let continue_bias = self.count_features.then(|| zeros(RUN_BUCKETS + 1));
        let title_length = self.count_features.then(|| zeros(self.vocab_size));
        let finish_rate = self.count_features.then(|| zeros(1));
        let coread_weight = self.coread.then(|| zeros(1));
        // Set after training, never by the optimizer.
        let coread_boost = self.coread.then(|| zeros(1).set_require_grad(false));
        Recommender {
            titles,
            durations,
            times,
            count_weights,
            continue_bias,
            title_length,
            finish_rate,
            coread_weight,
            coread_boost,
            boost: 0.0,
            coread_table: None,
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
    count_weights: Option<Param<Tensor<1>>>,
    continue_bias: Option<Param<Tensor<1>>>,
    /// Per title: how much reading finishes it, as `ln seconds = FINISH_CENTER + 3 · value`.
    /// Once the run on the current title passes it, continuing becomes unlikely; the bucket bias
    /// alone cannot say so, because a short book is done long before a long one.
    title_length: Option<Param<Tensor<1>>>,
    /// How sharply continuing falls once past the title's length (softplus of `10 · value`).
    finish_rate: Option<Param<Tensor<1>>>,
    /// The co-read channel's weight ([`RecommenderConfig::coread`]).
    coread_weight: Option<Param<Tensor<1>>>,
    /// More co-read weight in the order of the titles the student has not read, chosen after
    /// training for what the app shows ([`crate::models::study::train::choose_coread_boost`])
    /// and applied to the logits read back ([`Recommender::rerank_unread`]). A parameter so the
    /// record and packs carry it; the optimizer never moves it.
    coread_boost: Option<Param<Tensor<1>>>,
    /// `coread_boost`'s value on the host (read once when loaded: a GPU model cannot be read
    /// synchronously in a browser).
    #[module(skip)]
    boost: f32,
    /// The co-read table the model was trained with; not a parameter (it is counted, not
    /// learned), so it is stored beside the weights, not in the record.
    #[module(skip)]
    coread_table: Option<Arc<ItemKnn>>,
    embed_dropout: Dropout,
    encoder: TransformerEncoder,
    norm: LayerNorm,
    head: Linear,
    grade_bias: Option<Embedding>,
    /// Constants kept on the module so a loaded record can be checked against its config.
    kind: String,
    num_grade_levels: usize,
}

/// A [`Recommender`]'s parameters as flat row-major arrays ([`Recommender::weights`]).
#[derive(Debug, Clone)]
pub struct RecWeights {
    /// `[vocab, d]`.
    pub titles: Vec<f32>,
    pub durations: bool,
    pub times: bool,
    /// The input features' weights, the duration rows then the day rows (`[features, d]`), and
    /// their biases summed (`[d]`).
    pub features: Vec<f32>,
    pub features_bias: Vec<f32>,
    pub layers: Vec<LayerWeights>,
    /// The final LayerNorm: gamma then beta.
    pub norm: Vec<f32>,
    /// `[d, vocab]` and `[vocab]`.
    pub head: Vec<f32>,
    pub head_bias: Vec<f32>,
    /// What the logits get on top of the output layer, computed on the host.
    pub host: HostTerms,
}

/// One pre-norm transformer layer's parameters ([`RecWeights`]); LayerNorms as gamma then beta.
#[derive(Debug, Clone)]
pub struct LayerWeights {
    pub attn_norm: Vec<f32>,
    /// Query, key and value side by side, `[d, 3d]`, and their biases `[3d]`.
    pub qkv: Vec<f32>,
    pub qkv_bias: Vec<f32>,
    pub out: Vec<f32>,
    pub out_bias: Vec<f32>,
    pub ff_norm: Vec<f32>,
    pub ff_in: Vec<f32>,
    pub ff_in_bias: Vec<f32>,
    pub ff_out: Vec<f32>,
    pub ff_out_bias: Vec<f32>,
}

/// What [`Recommender::logits`] adds to the output layer's logits, with its parameters read to
/// the host once ([`Recommender::host_terms`]): the grade bias, the count channels' weights and
/// the continuation bias (scaled as there), the titles' finishing lengths with the penalty's
/// rate, and the co-read weight. The GPU path adds [`Self::extra_logits`] in its output kernel;
/// the CPU path computes the same terms as tensors (the parity tests compare the two).
#[derive(Debug, Clone)]
pub struct HostTerms {
    vocab: usize,
    grade_bias: Option<Vec<f32>>,
    counts: Option<(Vec<f32>, Vec<f32>)>,
    finish: Option<(Vec<f32>, f32)>,
    coread: Option<f32>,
}

impl HostTerms {
    /// The terms for `batch`'s queries, `[queries, vocab]`.
    pub fn extra_logits(&self, batch: &RecBatch) -> Vec<f32> {
        let (q, v) = (batch.query.len(), self.vocab);
        let mut out = vec![0.0f32; q * v];
        if let Some(w) = &self.grade_bias {
            for (k, &g) in batch.query_grade.iter().enumerate() {
                out[k * v..(k + 1) * v].iter_mut().zip(&w[g as usize * v..(g as usize + 1) * v]).for_each(|(o, b)| *o += b);
            }
        }
        if let Some((w, cont)) = &self.counts
            && !batch.counts.is_empty()
        {
            for k in 0..q {
                let row = &mut out[k * v..(k + 1) * v];
                for (c, w) in w.iter().enumerate() {
                    row.iter_mut().zip(&batch.counts[(c * q + k) * v..(c * q + k + 1) * v]).for_each(|(o, n)| *o += n * w);
                }
                let penalty = self.finish.as_ref().map_or(0.0, |(length, rate)| {
                    let ln_length = length[batch.current_title[k] as usize] * 3.0 + FINISH_CENTER;
                    softplus_host(batch.current_run[k] - ln_length, 4.0) * rate
                });
                let continuing = cont[batch.current_bucket[k] as usize];
                row.iter_mut().zip(&batch.current[k * v..(k + 1) * v]).for_each(|(o, c)| *o += c * continuing - c * penalty);
            }
        }
        if let Some(w) = self.coread {
            out.iter_mut().zip(&batch.coread).for_each(|(o, s)| *o += s * w);
        }
        out
    }
}

/// burn's `softplus(x, beta)` (with its threshold of 20), on the host.
fn softplus_host(x: f32, beta: f32) -> f32 {
    if beta * x > 20.0 { x } else { (beta * x).exp().ln_1p() / beta }
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
        out[run_bucket(t) - 1] = 1.0;
    }
    out[RUN_BUCKETS] = ((t.seconds as f64).ln_1p() / 8.0) as f32;
    out
}

/// Count channels: the student's own earlier reads of the title; classmates' reads of it in the
/// `COUNT_WINDOWS_DAYS` before the token's day (STUDY only).
pub const COUNT_CHANNELS: usize = 4;
const COUNT_WINDOWS_DAYS: [i64; 3] = [7, 28, 90];
const COUNT_PARAM_SCALE: f32 = 10.0;
/// ln(1800 s): where every title's finishing length starts.
const FINISH_CENTER: f32 = 7.5;

/// Whether `id` is a title the model can score (not PAD, SEP or OOV, and inside the vocabulary).
fn is_title(id: u32, vocab_size: usize) -> bool {
    id >= crate::sequences::study::FIRST_TITLE && (id as usize) < vocab_size
}

/// The run bucket of a token: 0 when the seconds are unknown, else 1 + the `RUN_BUCKET_SECONDS`
/// bucket (the last open-ended). The continuation bias is indexed by it; the input features
/// one-hot its known buckets.
fn run_bucket(t: &crate::sequences::study::Token) -> usize {
    if t.run_seconds == 0 { 0 } else { 1 + ((t.run_seconds / RUN_BUCKET_SECONDS) as usize).min(RUN_BUCKETS - 1) }
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

/// What the count features may look at, beyond the row: every student's whole sequence and every
/// classroom's reads by time. The mask's rules allow a token all of its student's earlier reads
/// and all of its classmates' reads from earlier days; a row holds only some of them (packing cuts
/// students into chunks), so the counts are taken from here instead, under the same rules.
#[derive(Debug, Clone, Default)]
pub struct CountContext {
    /// Source student index → that student's titles in reading order.
    own: HashMap<u32, Vec<u32>>,
    /// Per classroom: (time, student, title), sorted.
    rooms: HashMap<ClassroomKey, Vec<(i64, u32, u32)>>,
    /// The co-read tables rows read ([`RecommenderConfig::coread`]).
    coread: Option<CoRead>,
}

/// Co-read tables and which one each student's rows read (students not listed read the first).
#[derive(Debug, Clone, Default)]
struct CoRead {
    tables: Vec<Arc<ItemKnn>>,
    table_of: HashMap<u32, usize>,
}

/// How the co-read table is fitted: the KNN baseline's window and recent titles, with 50
/// neighbours kept per title (instead of 200) so a pack's table stays small.
pub fn coread_knn_config() -> KnnConfig {
    KnnConfig { max_neighbours: 50, ..KnnConfig::default() }
}

/// The co-read table of a model trained on `seqs`.
pub fn fit_coread<'a>(seqs: impl IntoIterator<Item = &'a StudentReads>, vocab: &crate::sequences::study::TitleVocab) -> ItemKnn {
    ItemKnn::fit(seqs, vocab, &coread_knn_config())
}

impl CountContext {
    pub fn new(seqs: &[StudentReads], classrooms: &[Classroom]) -> Self {
        let own = seqs.iter().map(|s| (s.student, s.reads.iter().map(|r| r.title).collect())).collect();
        let mut rooms = HashMap::new();
        for c in classrooms {
            let mut reads: Vec<(i64, u32, u32)> = Vec::new();
            for m in &c.members {
                let Some(s) = seqs.get(m.seq) else { continue };
                reads.extend(s.reads.get(m.reads.clone()).unwrap_or_default().iter().map(|r| (r.time, s.student, r.title)));
            }
            reads.sort_unstable();
            rooms.insert(c.key, reads);
        }
        Self { own, rooms, coread: None }
    }

    /// Rows read `table` (inference and evaluation: the model's own table).
    pub fn with_coread(mut self, table: Option<Arc<ItemKnn>>) -> Self {
        self.coread = table.map(|t| CoRead { tables: vec![t], table_of: HashMap::new() });
        self
    }

    /// Rows read the table `model` was trained with, when it has one.
    pub fn for_model(self, model: &Recommender) -> Self {
        self.with_coread(model.coread_table.clone())
    }

    /// Training: the classrooms are cut in two halves (alternately, in their order) and each
    /// student's rows read a table fitted on the other half's students, so no similarity a row
    /// reads counted that row's own reads (a student in several classrooms goes with the first).
    pub fn with_cross_fitted_coread(mut self, seqs: &[StudentReads], classrooms: &[Classroom], vocab: &crate::sequences::study::TitleVocab) -> Self {
        let mut table_of: HashMap<u32, usize> = HashMap::new();
        for (i, c) in classrooms.iter().enumerate() {
            for m in &c.members {
                if let Some(s) = seqs.get(m.seq) {
                    table_of.entry(s.student).or_insert(i % 2);
                }
            }
        }
        let tables = (0..2)
            .map(|half| {
                let others = seqs.iter().filter(|s| table_of.get(&s.student).is_some_and(|&h| h != half));
                Arc::new(fit_coread(others, vocab))
            })
            .collect();
        self.coread = Some(CoRead { tables, table_of });
        self
    }

    /// The titles `t`'s student read up to and including `t` (what the app leaves out of the
    /// list it shows after `t`).
    pub(crate) fn read_titles(&self, t: &crate::sequences::study::Token) -> &[u32] {
        let titles = self.own.get(&t.student).map(Vec::as_slice).unwrap_or_default();
        &titles[..titles.len().min(t.position as usize + 1)]
    }

    /// The co-read scores for a read token: similarities to the student's last distinct titles
    /// up to and including this read. `None` without a table.
    fn coread_scores(&self, t: &crate::sequences::study::Token) -> Option<HashMap<u32, f32>> {
        let c = self.coread.as_ref()?;
        let table = &c.tables[c.table_of.get(&t.student).copied().unwrap_or(0)];
        Some(table.scores(self.read_titles(t)))
    }

    /// Per title: the classmates of `student` in `classroom` who read it in `[from, to)`.
    pub fn recent_readers(&self, classroom: &ClassroomKey, student: u32, from: i64, to: i64) -> HashMap<u32, std::collections::HashSet<u32>> {
        let mut out: HashMap<u32, std::collections::HashSet<u32>> = HashMap::new();
        if let Some(reads) = self.rooms.get(classroom) {
            let (start, end) = (reads.partition_point(|r| r.0 < from), reads.partition_point(|r| r.0 < to));
            for &(_, reader, title) in &reads[start..end] {
                if reader != student {
                    out.entry(title).or_default().insert(reader);
                }
            }
        }
        out
    }

    /// Channel counts for a read token of `row` (see [`COUNT_CHANNELS`]); classmates' reads only
    /// when `social`, and only those strictly before `cutoff`.
    fn counts(&self, row: &Row, t: &crate::sequences::study::Token, social: bool, cutoff: i64) -> [Vec<u32>; COUNT_CHANNELS] {
        let mut out: [Vec<u32>; COUNT_CHANNELS] = Default::default();
        if let Some(titles) = self.own.get(&t.student) {
            out[0].extend(titles.iter().take(t.position as usize + 1).copied());
        }
        if social && let Some(reads) = self.rooms.get(&row.classroom) {
            let from = cutoff.saturating_sub(COUNT_WINDOWS_DAYS[2] * 86_400);
            let start = reads.partition_point(|r| r.0 < from);
            let end = reads.partition_point(|r| r.0 < cutoff);
            for &(time, student, title) in &reads[start..end] {
                if student == t.student {
                    continue;
                }
                let age = cutoff - time;
                for (c, days) in COUNT_WINDOWS_DAYS.iter().enumerate() {
                    if age <= days * 86_400 {
                        out[1 + c].push(title);
                    }
                }
            }
        }
        out
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
    /// `COUNT_CHANNELS * queries * vocab` (channel-major), ln(1 + count); empty when the model
    /// has no count features.
    counts: Vec<f32>,
    /// `queries * vocab`: 1 at the query's own title (when it is a title), else 0.
    current: Vec<f32>,
    /// Per query: its [`run_bucket`].
    current_bucket: Vec<i64>,
    /// Per query: ln(1 + run seconds) and its own title id (0 when not a title).
    current_run: Vec<f32>,
    current_title: Vec<i64>,
    /// `queries * vocab`: the co-read scores; empty when the model has no co-read channel.
    coread: Vec<f32>,
    /// `queries * vocab`: 1 for the titles the student has not read up to the query's read
    /// (those the app may suggest); with the co-read channel only.
    unread: Vec<bool>,
    /// Per token: what the attention rule reads, so a GPU kernel can compute the mask instead of
    /// uploading `blocked` ([`Self::mask_follows_meta`] checks the two agree).
    meta: Vec<TokenMeta>,
}

/// What decides, for one token, which tokens it sees: its student and position (own earlier
/// reads), and its classmates' cutoff (their reads strictly before it; the token's own time,
/// or "now" for a next-read query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenMeta {
    pub student: u32,
    pub position: u32,
    pub time: i64,
    pub cutoff: i64,
    pub read: bool,
}

impl TokenMeta {
    /// The attention rule of both models in terms of this metadata: `social` lets a token see
    /// classmates' reads before its cutoff (STUDY).
    pub fn sees(&self, other: &TokenMeta, social: bool) -> bool {
        self.read && other.read && if self.student == other.student { other.position <= self.position } else { social && other.time < self.cutoff }
    }
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
    /// `rows` (all of one length) as a batch for `config`'s model, with count features from `ctx`.
    pub fn new(rows: &[&Row], config: &RecommenderConfig, queries: Queries, ctx: &CountContext) -> Self {
        Self::with_mask(rows, config, queries, ctx, |row, i, j| config.kind.can_attend(row, i, j), |row, i| row.tokens[i].time, |_, _| true)
    }

    /// [`Self::new`] with another attention rule and another "classmates' reads before" cutoff
    /// per token (used to let the query for a next read see everything up to "now"), reading
    /// outputs only at the tokens `want` picks (the head and the count features are paid per
    /// query, so a next-read request asks for one token per student, not for every read).
    pub fn with_mask(
        rows: &[&Row],
        config: &RecommenderConfig,
        queries: Queries,
        ctx: &CountContext,
        mask: impl Fn(&Row, usize, usize) -> bool,
        cutoff: impl Fn(&Row, usize) -> i64,
        want: impl Fn(&Row, usize) -> bool,
    ) -> Self {
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
            counts: Vec::new(),
            current: Vec::new(),
            current_bucket: Vec::new(),
            current_run: Vec::new(),
            current_title: Vec::new(),
            coread: Vec::new(),
            unread: Vec::new(),
            meta: Vec::with_capacity(rows.len() * len),
        };
        assert!(!config.coread || ctx.coread.is_some(), "a model with the co-read channel needs its table in the CountContext (CountContext::for_model)");
        let v = config.vocab_size;
        // Per query, per channel: the titles counted, turned into dense matrices at the end.
        let mut sparse: Vec<[Vec<u32>; COUNT_CHANNELS]> = Vec::new();
        let social = config.kind == RecommenderKind::Study;
        for (r, row) in rows.iter().enumerate() {
            assert_eq!(row.len(), len, "rows of one batch must have one length");
            let grade = config.grade_bucket(row.grade) as i64;
            let row_start = row.tokens.iter().filter(|t| t.is_read()).map(|t| t.time).min().unwrap_or(0);
            for (i, t) in row.tokens.iter().enumerate() {
                b.titles.push(t.title as i64);
                b.meta.push(TokenMeta { student: t.student, position: t.position, time: t.time, cutoff: cutoff(row, i), read: t.is_read() });
                let at = (r * len + i) * d;
                sinusoid(t.position, &mut b.positions[at..at + d]);
                b.durations.extend(duration_features(t));
                if t.is_read() {
                    let at = (r * len + i) * TIME_FEATURES;
                    time_features(day_offset(t.time, row_start), &mut b.times[at..at + TIME_FEATURES]);
                }
                let target = row.targets()[i];
                let wanted = t.is_read()
                    && want(row, i)
                    && match queries {
                        Queries::Targets => target != PAD,
                        Queries::Reads => true,
                    };
                for j in 0..len {
                    b.blocked.push(!mask(row, i, j));
                }
                if wanted && config.count_features {
                    sparse.push(ctx.counts(row, t, social, cutoff(row, i)));
                    b.current_bucket.push(run_bucket(t) as i64);
                    b.current_run.push((t.run_seconds as f32).ln_1p());
                    b.current_title.push(if is_title(t.title, v) { t.title as i64 } else { 0 });
                }
                if wanted && config.coread {
                    let read: std::collections::HashSet<u32> = ctx.read_titles(t).iter().copied().collect();
                    b.unread.extend((0..v as u32).map(|title| is_title(title, v) && !read.contains(&title)));
                    let mut scores = vec![0.0; v];
                    for (&title, &score) in ctx.coread_scores(t).unwrap_or_default().iter().filter(|(t, _)| is_title(**t, v)) {
                        scores[title as usize] = score;
                    }
                    b.coread.extend(scores);
                }
                if wanted {
                    b.query.push(r * len + i);
                    b.query_grade.push(grade);
                    if queries == Queries::Targets {
                        b.targets.push(target as i64);
                    }
                }
            }
        }
        if config.count_features {
            let q = b.query.len();
            b.counts = vec![0.0; COUNT_CHANNELS * q * v];
            b.current = vec![0.0; q * v];
            for (k, channels) in sparse.iter().enumerate() {
                for (c, pairs) in channels.iter().enumerate() {
                    let base = (c * q + k) * v;
                    for &title in pairs.iter().filter(|&&t| is_title(t, v)) {
                        b.counts[base + title as usize] += 1.0;
                    }
                }
                // 0 stands for "no title" in `current_title`, and PAD gets no one-hot.
                if b.current_title[k] > 0 {
                    b.current[k * v + b.current_title[k] as usize] = 1.0;
                }
            }
            b.counts.iter_mut().for_each(|x| *x = x.ln_1p());
        }
        b
    }

    /// Query `k`'s co-read scores, one per vocabulary id (empty without the channel).
    pub(crate) fn coread_of(&self, k: usize) -> &[f32] {
        let v = self.coread.len() / self.query.len().max(1);
        &self.coread[k * v..(k + 1) * v]
    }

    /// Query `k`'s own title (the one being read, which continuing it would read again), when
    /// the query is a title and the model has the count features.
    pub(crate) fn current_title_of(&self, k: usize) -> Option<usize> {
        self.current_title.get(k).filter(|&&t| t > 0).map(|&t| t as usize)
    }

    /// Query `k`'s unread mask, one per vocabulary id (empty without the channel).
    pub(crate) fn unread_of(&self, k: usize) -> &[bool] {
        let v = self.unread.len() / self.query.len().max(1);
        &self.unread[k * v..(k + 1) * v]
    }

    /// Whether every entry of the attention mask is [`TokenMeta::sees`] of the tokens' metadata
    /// (`social` for STUDY): the condition for computing the mask from the metadata.
    pub fn mask_follows_meta(&self, social: bool) -> bool {
        let l = self.len;
        (0..self.rows * l).all(|a| {
            let row = a / l * l;
            (0..l).all(|j| self.blocked[a * l + j] != self.meta[a].sees(&self.meta[row + j], social))
        })
    }

    /// Per token: title id, metadata, and the input features a GPU kernel adds to the title's
    /// embedding: its `d_model` position sinusoids, then the duration features (when
    /// `durations`), then the day sinusoids (when `times`).
    pub fn token_inputs(&self, durations: bool, times: bool) -> (Vec<u32>, &[TokenMeta], Vec<f32>) {
        let d = self.d_model;
        let width = d + if durations { DURATION_FEATURES } else { 0 } + if times { TIME_FEATURES } else { 0 };
        let mut features = Vec::with_capacity(self.titles.len() * width);
        for t in 0..self.titles.len() {
            features.extend_from_slice(&self.positions[t * d..(t + 1) * d]);
            if durations {
                features.extend_from_slice(&self.durations[t * DURATION_FEATURES..(t + 1) * DURATION_FEATURES]);
            }
            if times {
                features.extend_from_slice(&self.times[t * TIME_FEATURES..(t + 1) * TIME_FEATURES]);
            }
        }
        (self.titles.iter().map(|&t| t as u32).collect(), &self.meta, features)
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
            counts: (!self.counts.is_empty()).then(|| {
                let (q, v) = (self.query.len(), self.counts.len() / (COUNT_CHANNELS * self.query.len().max(1)));
                (
                    Tensor::from_data(TensorData::new(self.counts.clone(), [COUNT_CHANNELS, q, v]), device),
                    Tensor::from_data(TensorData::new(self.current.clone(), [q, v]), device),
                    Tensor::from_data(TensorData::new(self.current_bucket.clone(), [q]), device),
                    Tensor::from_data(TensorData::new(self.current_run.clone(), [q]), device),
                    Tensor::from_data(TensorData::new(self.current_title.clone(), [q]), device),
                )
            }),
            coread: (!self.coread.is_empty())
                .then(|| Tensor::from_data(TensorData::new(self.coread.clone(), [self.query.len(), self.coread.len() / self.query.len()]), device)),
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
    /// Count channels `[C, Q, V]`, the current-title one-hot `[Q, V]` and run buckets `[Q]`.
    counts: Option<(Tensor<3>, Tensor<2>, Tensor<1, Int>, Tensor<1>, Tensor<1, Int>)>,
    /// Co-read scores `[Q, V]`.
    coread: Option<Tensor<2>>,
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
        let mut logits = self.head.forward(self.norm.forward(h));
        if let Some(bias) = &self.grade_bias {
            logits = logits + bias.weight.val().select(0, x.query_grade.clone());
        }
        if let (Some(w), Some(cont), Some((counts, current, bucket, run, title))) = (&self.count_weights, &self.continue_bias, &x.counts) {
            let [c, q, v] = counts.dims();
            // Adam moves each parameter by about the learning rate per step, whatever its
            // gradient's scale: the factor lets these few scalars reach useful values (a few
            // units) within a few hundred steps instead of thousands.
            let w = w.val() * COUNT_PARAM_SCALE;
            let weighted = (counts.clone() * w.reshape([c, 1, 1])).sum_dim(0).reshape([q, v]);
            let continuing = current.clone() * (cont.val() * COUNT_PARAM_SCALE).select(0, bucket.clone()).reshape([q, 1]);
            logits = logits + weighted + continuing;
            if let (Some(length), Some(rate)) = (&self.title_length, &self.finish_rate) {
                let ln_length = length.val().select(0, title.clone()) * 3.0 + FINISH_CENTER;
                let past = softplus(run.clone() - ln_length, 4.0);
                let penalty = past * softplus(rate.val() * COUNT_PARAM_SCALE, 1.0);
                logits = logits - current.clone() * penalty.reshape([q, 1]);
            }
        }
        if let Some(w) = &self.coread_weight {
            let scores = x.coread.clone().expect("a co-read model's batch has co-read scores");
            logits = logits + scores * (w.val() * COUNT_PARAM_SCALE).reshape([1, 1]);
        }
        logits
    }

    /// The parameters as flat row-major arrays (`[in, out]`, as burn's `Linear` keeps them), for
    /// the WGSL path ([`crate::infer::webgpu::study`]). Read once when a GPU model is made.
    pub fn weights(&self) -> RecWeights {
        let flat = |t: Tensor<2>| -> Vec<f32> { t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights") };
        let flat1 = |t: Tensor<1>| -> Vec<f32> { t.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights") };
        let bias = |l: &Linear| l.bias.as_ref().map(|b| flat1(b.val())).unwrap_or_else(|| vec![0.0; l.weight.dims()[1]]);
        let norm = |n: &LayerNorm| {
            let mut v = flat1(n.gamma.val());
            v.extend(n.beta.as_ref().map(|b| flat1(b.val())).unwrap_or_else(|| vec![0.0; n.gamma.dims()[0]]));
            v
        };
        let d = self.titles.weight.dims()[1];
        let (mut features, mut features_bias) = (Vec::new(), vec![0.0; d]);
        for linear in [&self.durations, &self.times].into_iter().flatten() {
            features.extend(flat(linear.weight.val()));
            features_bias.iter_mut().zip(bias(linear)).for_each(|(a, b)| *a += b);
        }
        let layers = self
            .encoder
            .layers
            .iter()
            .map(|layer| {
                let (q, k, v) = (flat(layer.mha.query.weight.val()), flat(layer.mha.key.weight.val()), flat(layer.mha.value.weight.val()));
                let qkv = (0..d).flat_map(|r| [&q, &k, &v].into_iter().flat_map(move |m| m[r * d..(r + 1) * d].iter().copied())).collect();
                let qkv_bias = [&layer.mha.query, &layer.mha.key, &layer.mha.value].into_iter().flat_map(bias).collect();
                LayerWeights {
                    // burn's pre-norm layer normalises with `norm_2` before attention and `norm_1`
                    // before the feed-forward block.
                    attn_norm: norm(&layer.norm_2),
                    qkv,
                    qkv_bias,
                    out: flat(layer.mha.output.weight.val()),
                    out_bias: bias(&layer.mha.output),
                    ff_norm: norm(&layer.norm_1),
                    ff_in: flat(layer.pwff.linear_inner.weight.val()),
                    ff_in_bias: bias(&layer.pwff.linear_inner),
                    ff_out: flat(layer.pwff.linear_outer.weight.val()),
                    ff_out_bias: bias(&layer.pwff.linear_outer),
                }
            })
            .collect();
        RecWeights {
            titles: flat(self.titles.weight.val()),
            durations: self.durations.is_some(),
            times: self.times.is_some(),
            features,
            features_bias,
            layers,
            norm: norm(&self.norm),
            head: flat(self.head.weight.val()),
            head_bias: bias(&self.head),
            host: self.host_terms(),
        }
    }

    /// The parameters of what [`Self::logits`] adds to the output layer's logits, read to the
    /// host once ([`HostTerms::extra_logits`] applies them).
    pub fn host_terms(&self) -> HostTerms {
        let values = |p: &Param<Tensor<1>>| -> Vec<f32> { p.val().into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights") };
        let scaled = |p: &Param<Tensor<1>>| -> Vec<f32> { values(p).iter().map(|x| x * COUNT_PARAM_SCALE).collect() };
        HostTerms {
            vocab: self.head.weight.dims()[1],
            grade_bias: self.grade_bias.as_ref().map(|b| b.weight.val().into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 weights")),
            counts: self.count_weights.as_ref().zip(self.continue_bias.as_ref()).map(|(w, cont)| (scaled(w), scaled(cont))),
            finish: self.title_length.as_ref().zip(self.finish_rate.as_ref()).map(|(length, rate)| (values(length), softplus_host(scaled(rate)[0], 1.0))),
            coread: self.coread_weight.as_ref().map(|w| scaled(w)[0]),
        }
    }

    /// The co-read table this model reads (set by training and by loading).
    pub fn coread_table(&self) -> Option<&Arc<ItemKnn>> {
        self.coread_table.as_ref()
    }

    /// The co-read boost on unread titles, per unit of summed similarity (`None` without the
    /// channel).
    pub fn coread_boost(&self) -> Option<f32> {
        self.coread_boost.as_ref().map(|_| self.boost)
    }

    /// This model with co-read boost `boost` (no-op without the channel).
    pub fn with_coread_boost(mut self, boost: f32) -> Self {
        if let Some(b) = self.coread_boost.take() {
            self.coread_boost = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![boost], [1]), &b.val().device())).set_require_grad(false));
            self.boost = boost;
        }
        self
    }

    /// Whether the model has the continuation bias (the count features): what
    /// [`Self::with_continuation_shift`] moves.
    pub fn has_continuation(&self) -> bool {
        self.continue_bias.is_some()
    }

    /// This model with `shift` logits more on continuing the title being read, whatever the run's
    /// bucket: the continuation bias moved by `shift` in every bucket (no-op without it). Only
    /// that one logit per query changes, so the order of every other title, and all that the
    /// app shows without read titles, stays as it was
    /// ([`crate::models::study::train::choose_continuation`]).
    pub fn with_continuation_shift(mut self, shift: f32) -> Self {
        if let Some(b) = self.continue_bias.take() {
            self.continue_bias = Some(Param::from_tensor(b.val() + shift / COUNT_PARAM_SCALE));
        }
        self
    }

    /// After loading a record on the CPU: the stored boost read into the host copy.
    pub fn with_stored_boost(mut self) -> Self {
        if let Some(b) = &self.coread_boost {
            self.boost = b.val().into_scalar::<f32>();
        }
        self
    }

    /// Applies the co-read boost to logits read back from `batch` (`queries * vocab`): per query,
    /// the titles the student has not read are put in the order of logit + boost x co-read
    /// score, and given the logits they had, largest first. Every read title keeps its logit,
    /// and the unread titles keep the same set of values, so the boost changes which new title
    /// comes first and nothing about continuing a title or where new titles stand against it.
    /// Training never applies it (the boost is 0 until training has ended).
    pub fn rerank_unread(&self, logits: &mut [f32], batch: &RecBatch) {
        let v = batch.unread.len() / batch.query.len().max(1);
        if self.boost == 0.0 || v == 0 {
            return;
        }
        for (k, row) in logits.chunks_mut(v).enumerate().take(batch.query.len()) {
            self.rerank_query(row, batch, k);
        }
    }

    /// [`Self::rerank_unread`] of query `k`'s logits `row`.
    pub(crate) fn rerank_query(&self, row: &mut [f32], batch: &RecBatch, k: usize) {
        if self.boost == 0.0 || batch.unread.is_empty() {
            return;
        }
        let (unread, co) = (batch.unread_of(k), batch.coread_of(k));
        let v = row.len();
        let mut ids: Vec<usize> = (0..v).filter(|&t| unread[t]).collect();
        let mut values: Vec<f32> = ids.iter().map(|&t| row[t]).collect();
        values.sort_unstable_by(|a, b| b.total_cmp(a));
        let boosted = |t: usize| row[t] + self.boost * co[t];
        ids.sort_by(|&a, &b| boosted(b).total_cmp(&boosted(a)).then(a.cmp(&b)));
        for (t, value) in ids.into_iter().zip(values) {
            row[t] = value;
        }
    }

    /// This model with `table` as its co-read table.
    pub fn with_coread_table(mut self, table: Option<Arc<ItemKnn>>) -> Self {
        self.coread_table = table;
        self
    }

    /// Mean cross-entropy over the query tokens' targets.
    /// The distillation loss against a teacher's logits for the same queries
    /// ([`crate::models::soft_targets::distillation_loss`]).
    pub fn distillation_loss(&self, x: &RecTensors, teacher: Tensor<2>, temperature: f64, alpha: f64) -> Tensor<1> {
        let targets = x.targets.clone().expect("a training batch has targets");
        crate::models::soft_targets::distillation_loss(self.logits(x), teacher, targets, temperature, alpha)
    }

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

    type Reads<'a> = Vec<R<'a>>;

    fn base() -> Reads<'static> {
        vec![
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T2", day(2021, 1, 1)),
            ("a", "T2", day(2021, 1, 2)),
            ("b", "T3", day(2021, 1, 3)),
            ("a", "T3", day(2021, 1, 3)),
            ("a", "T1", day(2021, 1, 5)),
            ("b", "T1", day(2021, 1, 6)),
        ]
    }

    /// Rows and count context of `reads`, under a vocabulary fixed in advance (as at inference).
    fn built(reads: &[R<'_>]) -> (TitleVocab, Vec<Row>, CountContext) {
        let d = one_school(log(reads));
        let v = TitleVocab::from_titles(["T1", "T2", "T3"].map(String::from));
        let data = build_study(&d, &v, &PackConfig::new(12, 12).unwrap());
        let ctx = CountContext::new(&data.seqs, &data.classrooms);
        (v, data.rows, ctx)
    }

    fn rows() -> (TitleVocab, Vec<Row>, CountContext) {
        built(&base())
    }

    fn logits_of(model: &Recommender, cfg: &RecommenderConfig, rows: &[Row], ctx: &CountContext) -> Vec<f32> {
        let refs: Vec<&Row> = rows.iter().collect();
        let b = RecBatch::new(&refs, cfg, Queries::Reads, ctx);
        model.logits(&b.tensors(&reference_device())).into_data().try_into_vec::<f32>().unwrap()
    }

    /// A model whose count weights are not zero, so a leak through the counts would show.
    fn model(cfg: &RecommenderConfig, seed: u64) -> Recommender {
        let mut m = cfg.init(seed, &reference_device());
        let device = reference_device();
        m.count_weights = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.3f32, 0.5, 0.2, 0.1], [COUNT_CHANNELS]), &device)));
        m.continue_bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.1f32; RUN_BUCKETS + 1], [RUN_BUCKETS + 1]), &device)));
        m
    }

    #[test]
    fn individual_mask_keeps_to_the_student() {
        let (_, rows, _) = rows();
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

    /// Per read token of the first row, in row order: (student, time) and its logits.
    fn per_token(model: &Recommender, cfg: &RecommenderConfig, reads: &[R<'_>]) -> Vec<((u32, i64), Vec<f32>)> {
        let (v, rows, ctx) = built(reads);
        let logits = logits_of(model, cfg, &rows, &ctx);
        let row = &rows[0];
        let keys: Vec<(u32, i64)> = row.tokens.iter().filter(|t| t.is_read()).map(|t| (t.student, t.time)).collect();
        keys.into_iter().zip(logits.chunks(v.len()).map(<[f32]>::to_vec)).collect()
    }

    fn same(x: &[f32], y: &[f32]) -> bool {
        x.iter().zip(y).all(|(a, b)| (a - b).abs() < 1e-5)
    }

    #[test]
    fn a_later_read_never_changes_an_earlier_prediction() {
        // b's last read (day 6) becomes another title: every other read token's logits stay.
        let mut changed = base();
        changed[6].1 = "T2";
        for kind in [RecommenderKind::Study, RecommenderKind::Individual] {
            let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, num_grade_levels: Some(8), ..RecommenderConfig::new(kind, 6) };
            let m = model(&cfg, 3);
            let (before, after) = (per_token(&m, &cfg, &base()), per_token(&m, &cfg, &changed));
            for ((key, x), (key2, y)) in before.iter().zip(&after) {
                assert_eq!(key, key2);
                let is_changed_read = *key == (1, day(2021, 1, 6));
                assert_eq!(same(x, y), !is_changed_read, "{kind:?}: token {key:?}");
            }
        }
    }

    #[test]
    fn study_sees_classmates_and_individual_does_not() {
        // a's read on day 5 may see b's day-3 read under STUDY only: change that read's title.
        let mut changed = base();
        changed[3].1 = "T1";
        let a_day5 = (0, day(2021, 1, 5));
        for (kind, should_change) in [(RecommenderKind::Study, true), (RecommenderKind::Individual, false)] {
            let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, ..RecommenderConfig::new(kind, 6) };
            let m = model(&cfg, 5);
            let pick = |v: Vec<((u32, i64), Vec<f32>)>| v.into_iter().find(|(k, _)| *k == a_day5).unwrap().1;
            let (x, y) = (pick(per_token(&m, &cfg, &base())), pick(per_token(&m, &cfg, &changed)));
            assert_eq!(!same(&x, &y), should_change, "{kind:?}");
        }
        // Through the counts alone (attention cannot reach a classmate in another row): b's
        // day-3 read still moves a's day-5 logits under STUDY.
        let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, ..RecommenderConfig::new(RecommenderKind::Study, 6) };
        let m = model(&cfg, 5);
        let split = |reads: &[R<'_>]| {
            let d = one_school(log(reads));
            let v = TitleVocab::from_titles(["T1", "T2", "T3"].map(String::from));
            let data = build_study(&d, &v, &PackConfig::new(4, 4).unwrap());
            let ctx = CountContext::new(&data.seqs, &data.classrooms);
            let row = data.rows.iter().find(|r| r.tokens.iter().any(|t| t.student == 0 && t.time == a_day5.1)).unwrap().clone();
            assert!(row.tokens.iter().all(|t| !t.is_read() || t.student == 0), "a's row holds no classmate");
            let i = row.tokens.iter().position(|t| t.student == 0 && t.time == a_day5.1).unwrap();
            let logits = logits_of(&m, &cfg, std::slice::from_ref(&row), &ctx);
            let q = row.tokens[..i].iter().filter(|t| t.is_read()).count();
            logits[q * 6..(q + 1) * 6].to_vec()
        };
        assert!(!same(&split(&base()), &split(&changed)));
    }

    #[test]
    fn training_batches_score_targets_only() {
        let (v, rows, ctx) = rows();
        let cfg = RecommenderConfig::new(RecommenderKind::Study, v.len());
        let b = RecBatch::new(&[&rows[0]], &cfg, Queries::Targets, &ctx);
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

    /// Co-read scores of every read token of `student` in `data`, in reading order.
    fn coread_of(ctx: &CountContext, data: &crate::sequences::study::StudyData, student: u32) -> Vec<Vec<(u32, u32)>> {
        let mut out: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
        for row in &data.rows {
            for t in row.tokens.iter().filter(|t| t.is_read() && t.student == student) {
                let mut scores: Vec<(u32, u32)> = ctx.coread_scores(t).unwrap().into_iter().map(|(k, v)| (k, (v * 1e6) as u32)).collect();
                scores.sort_unstable();
                out.push((t.position, scores));
            }
        }
        out.sort_by_key(|(p, _)| *p);
        out.into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn cross_fitted_coread_never_counts_the_rows_own_half() {
        // Two classrooms: a student's rows read the table of the other classroom's students, so
        // removing a classmate changes nothing they read, and removing a student of the other
        // classroom does (the table is not empty). With the full table both change it.
        let full = crate::sequences::study::test_data::synth_reads(&crate::synth::SynthConfig::small());
        let vocab = TitleVocab::from_training(&full, 50);
        let pack = PackConfig::new(24, 6).unwrap();
        let data = build_study(&full, &vocab, &pack);
        assert_eq!(data.classrooms.len(), 2);
        let ctx = |d: &crate::sequences::study::StudyData| CountContext::new(&d.seqs, &d.classrooms).with_cross_fitted_coread(&d.seqs, &d.classrooms, &vocab);
        let whole = |d: &crate::sequences::study::StudyData| CountContext::new(&d.seqs, &d.classrooms).with_coread(Some(Arc::new(fit_coread(&d.seqs, &vocab))));
        let member = |c: usize, k: usize| data.seqs[data.classrooms[c].members[k].seq].student;
        let (me, classmate, other) = (member(0, 0), member(0, 1), member(1, 0));
        let c = ctx(&data);
        assert_eq!(c.coread.as_ref().unwrap().table_of.get(&me), Some(&0));
        let without = |who: u32| {
            let mut d = full.clone();
            d.events.retain(|e| e.student != who);
            build_study(&d, &vocab, &pack)
        };
        let mine = coread_of(&c, &data, me);
        assert!(mine.iter().any(|s| !s.is_empty()), "the other half's table scores this student's titles");
        let no_classmate = without(classmate);
        assert_eq!(coread_of(&ctx(&no_classmate), &no_classmate, me), mine, "a classmate's reads never reach the table this student reads");
        let no_other = without(other);
        assert_ne!(coread_of(&ctx(&no_other), &no_other, me), mine, "the other classroom's reads do");
        assert_ne!(coread_of(&whole(&no_classmate), &no_classmate, me), coread_of(&whole(&data), &data, me), "the full table counts classmates");
    }

    #[test]
    fn the_coread_channel_adds_its_weighted_scores_to_the_logits() {
        let (v, rows, ctx) = rows();
        let data = one_school(log(&base()));
        let built = build_study(&data, &v, &PackConfig::new(12, 12).unwrap());
        let table = Arc::new(fit_coread(&built.seqs, &v));
        let ctx = ctx.with_coread(Some(table.clone()));
        let plain = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let with = RecommenderConfig { coread: true, ..plain };
        let mut m = model(&with, 7).with_coread_table(Some(table));
        let device = reference_device();
        let zero = logits_of(&m, &with, &rows, &ctx);
        m.coread_weight = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![0.05f32], [1]), &device)));
        let on = logits_of(&m, &with, &rows, &ctx);
        let refs: Vec<&Row> = rows.iter().collect();
        let b = RecBatch::new(&refs, &with, Queries::Reads, &ctx);
        assert!(b.coread.iter().any(|&x| x > 0.0), "some title is similar to a student's last titles");
        for ((z, o), s) in zero.iter().zip(&on).zip(&b.coread) {
            assert!((o - z - 0.05 * COUNT_PARAM_SCALE * s).abs() < 1e-4, "{z} + 0.5 x {s} != {o}");
        }
        let plain_batch = RecBatch::new(&refs, &plain, Queries::Reads, &ctx);
        assert!(plain_batch.coread.is_empty(), "a model without the channel gets no scores");
    }

    #[test]
    fn the_continuation_shift_moves_only_the_current_titles_logit() {
        let full = crate::sequences::study::test_data::synth_reads(&crate::synth::SynthConfig::small());
        let v = TitleVocab::from_training(&full, 50);
        let data = build_study(&full, &v, &PackConfig::new(24, 6).unwrap());
        let rows = &data.rows[..data.rows.len().min(8)];
        let ctx = CountContext::new(&data.seqs, &data.classrooms);
        let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let plain = model(&cfg, 9);
        assert!(plain.has_continuation());
        let shifted = plain.clone().with_continuation_shift(3.0);
        let refs: Vec<&Row> = rows.iter().collect();
        let b = RecBatch::new(&refs, &cfg, Queries::Reads, &ctx);
        let (x, y) = (logits_of(&plain, &cfg, rows, &ctx), logits_of(&shifted, &cfg, rows, &ctx));
        let n = v.len();
        let mut moved = 0;
        for k in 0..b.query.len() {
            for t in 0..n {
                let d = y[k * n + t] - x[k * n + t];
                if b.current_title_of(k) == Some(t) {
                    assert!((d - 3.0).abs() < 1e-4, "query {k}: the current title moves by the shift, not {d}");
                    moved += 1;
                } else {
                    assert_eq!(d, 0.0, "query {k}, title {t}");
                }
            }
        }
        assert!(moved > 0);
        let cfg = RecommenderConfig { count_features: false, ..cfg };
        assert!(!cfg.init(9, &reference_device()).has_continuation());
    }

    #[test]
    fn the_coread_boost_reorders_only_the_unread_titles() {
        let full = crate::sequences::study::test_data::synth_reads(&crate::synth::SynthConfig::small());
        let v = TitleVocab::from_training(&full, 50);
        let data = build_study(&full, &v, &PackConfig::new(24, 6).unwrap());
        let rows = &data.rows[..data.rows.len().min(8)];
        let ctx = CountContext::new(&data.seqs, &data.classrooms).with_coread(Some(Arc::new(fit_coread(&data.seqs, &v))));
        let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, coread: true, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let plain = model(&cfg, 9);
        let boosted = plain.clone().with_coread_boost(1000.0);
        assert_eq!((plain.coread_boost(), boosted.coread_boost()), (Some(0.0), Some(1000.0)));
        let refs: Vec<&Row> = rows.iter().collect();
        let b = RecBatch::new(&refs, &cfg, Queries::Reads, &ctx);
        let x = logits_of(&plain, &cfg, rows, &ctx);
        assert_eq!(logits_of(&boosted, &cfg, rows, &ctx), x, "the network's logits do not change: the boost applies to what is read back");
        let mut y = x.clone();
        boosted.rerank_unread(&mut y, &b);
        let mut same = x.clone();
        plain.rerank_unread(&mut same, &b);
        assert_eq!(same, x, "no boost, no change");
        let n = v.len();
        let mut moved = false;
        for k in 0..b.query.len() {
            let (x, y, unread, co) = (&x[k * n..(k + 1) * n], &y[k * n..(k + 1) * n], &b.unread[k * n..(k + 1) * n], b.coread_of(k));
            let sorted = |r: &[f32]| {
                let mut u: Vec<f32> = (0..n).filter(|&t| unread[t]).map(|t| r[t]).collect();
                u.sort_by(f32::total_cmp);
                u
            };
            assert_eq!(sorted(x), sorted(y), "query {k}: the unread titles keep the same values");
            for t in (0..n).filter(|&t| !unread[t]) {
                assert_eq!(x[t], y[t], "query {k}: read title {t} keeps its logit");
            }
            // With a boost this large the unread order is the co-read order.
            for s in (0..n).filter(|&s| unread[s]) {
                for t in (0..n).filter(|&t| unread[t] && co[t] > co[s] + 0.05) {
                    assert!(y[t] > y[s], "query {k}: {t} (co-read {}) before {s} ({})", co[t], co[s]);
                    moved = true;
                }
            }
        }
        assert!(moved, "some unread titles differ in co-read score");
    }
}
