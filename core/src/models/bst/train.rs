//! Training BST on reading logs: one example per read after a student's first (the reads before
//! it are the input), AdamW, a step learning-rate schedule, gradient clipping at a running norm as
//! in the reference notebook, the best epoch on validation kept, a checkpoint per epoch and exact resume.
//!
//! The reference notebook's clipping: `clip_grad_norm_` over all parameters at a threshold that, after every
//! epoch, becomes the mean plus one standard deviation of that epoch's gradient norms
//! (`GradientClipping.update_clip_value`). So a rare large step is cut to what is usual for the
//! run, wherever the run's gradients settle, without a hand-tuned constant.
//!
//! A model directory holds `config.json` ([`BstRunConfig`]), `vocab.json` (titles),
//! `context.json` (schools and classes), `model.bpk` (the best epoch), `history.json` and
//! `checkpoints/epoch-NNNN/`.

use std::collections::HashSet;
use std::path::Path;
use web_time::Instant;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::data::{Interactions, StudentInfo};
use crate::metrics::ranking::{hit, rank_of};
use crate::models::baselines::PerRead;
use crate::models::bst::net::{Bst, BstBatch, BstConfig, CONTEXT_FEATURES};
use crate::models::device::{BurnBackend, reference_device};
use crate::models::study::infer::top_titles;
use crate::runs::{CONFIG_FILE, HISTORY_FILE, MODEL_FILE, VOCAB_FILE, create_run_dir, write_run_file};
use crate::runs::{
    TrainError, clear_run_outputs, epoch_order, json_bytes, latest_checkpoint, load_burn_checkpoint, load_record, read_json, record_bytes, save_burn_checkpoint,
};
use crate::sequences::study::{StudentReads, TitleVocab};

pub const CONTEXT_FILE: &str = "context.json";
const FORMAT: &str = "classlens.bst";
/// Grades 0..=15 get their own bucket (1 + grade); unknown and higher grades share bucket 0.
pub const GRADE_BUCKETS: usize = 17;

/// Which schools and classes have their own embedding: those of the training students, by name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContextVocab {
    pub schools: Vec<String>,
    pub classes: Vec<String>,
}

impl ContextVocab {
    pub fn from_training(data: &Interactions) -> Self {
        let mut schools: Vec<String> = Vec::new();
        let mut classes: Vec<String> = Vec::new();
        for info in &data.student_info {
            if let Some(s) = info.school {
                schools.push(data.schools.name(s).to_string());
            }
            if let Some(c) = info.class {
                classes.push(data.classes.name(c).to_string());
            }
        }
        for v in [&mut schools, &mut classes] {
            v.sort();
            v.dedup();
        }
        Self { schools, classes }
    }

    pub fn sizes(&self) -> [usize; CONTEXT_FEATURES] {
        [GRADE_BUCKETS, self.schools.len() + 1, self.classes.len() + 1]
    }

    /// Grade, school and class ids of a student of `data` (0 where unknown to the model).
    pub fn ids(&self, data: &Interactions, info: &StudentInfo) -> [i64; CONTEXT_FEATURES] {
        let find = |names: &[String], name: &str| names.binary_search_by(|n| n.as_str().cmp(name)).map_or(0, |i| i as i64 + 1);
        let grade = info.grade.filter(|&g| (g as usize) < GRADE_BUCKETS - 1).map_or(0, |g| g as i64 + 1);
        let school = info.school.map_or(0, |s| find(&self.schools, data.schools.name(s)));
        let class = info.class.map_or(0, |c| find(&self.classes, data.classes.name(c)));
        [grade, school, class]
    }
}

/// The examples of `seqs`: every read after a student's first, its reads before it as input.
/// Reads of out-of-vocabulary titles are input but never targets (nothing can recommend them).
pub struct Examples {
    pub titles: Vec<Vec<u32>>,
    pub context: Vec<[i64; CONTEXT_FEATURES]>,
    /// (student, index of the target read).
    pub index: Vec<(usize, usize)>,
}

impl Examples {
    pub fn new(data: &Interactions, seqs: &[StudentReads], vocab: &TitleVocab, ctx: &ContextVocab) -> Self {
        let titles: Vec<Vec<u32>> = seqs.iter().map(|s| s.reads.iter().map(|r| r.title).collect()).collect();
        let context = seqs.iter().map(|s| ctx.ids(data, &s.info)).collect();
        let index = titles.iter().enumerate().flat_map(|(s, t)| (1..t.len()).filter(|&i| vocab.is_recommendable(t[i])).map(move |i| (s, i))).collect();
        Self { titles, context, index }
    }

    fn batch(&self, picked: &[usize], len: usize) -> BstBatch {
        let hist: Vec<&[u32]> = picked
            .iter()
            .map(|&k| {
                let (s, i) = self.index[k];
                &self.titles[s][..i]
            })
            .collect();
        let ctx: Vec<[i64; CONTEXT_FEATURES]> = picked.iter().map(|&k| self.context[self.index[k].0]).collect();
        let targets: Vec<u32> = picked
            .iter()
            .map(|&k| {
                let (s, i) = self.index[k];
                self.titles[s][i]
            })
            .collect();
        BstBatch::new(&hist, &ctx, &targets, len)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BstTrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// Epochs after which the learning rate is multiplied by `lr_gamma` (PyTorch's MultiStepLR).
    pub lr_milestones: Vec<usize>,
    pub lr_gamma: f64,
    /// The clipping threshold of the first epoch; later epochs use the running one (see module
    /// docs). `None`: no clipping.
    pub clip: Option<f64>,
    pub seed: u64,
    /// Share of the training classrooms the CLI held out to choose the epoch (recorded so a
    /// resume checks it; 0 in runs from before it existed, which chose on their validation data,
    /// and then left out of `config.json` as those runs wrote it).
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub select_frac: f64,
    /// Another burn backend than the trainer's own (Flex), e.g. a GPU's (`--device wgpu`). Not
    /// part of the model: a resume may change it; left out of `config.json` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BurnBackend>,
}

impl Default for BstTrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 64,
            learning_rate: 1e-3,
            weight_decay: 0.01,
            lr_milestones: vec![6, 8],
            lr_gamma: 0.3,
            clip: Some(1.0),
            seed: 0,
            select_frac: 0.0,
            backend: None,
        }
    }
}

impl BstTrainConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err("--epochs and --batch-size must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.lr_gamma.is_finite() && self.lr_gamma > 0.0) {
            return Err("--lr and --lr-gamma must be positive".into());
        }
        if self.clip.is_some_and(|c| !(c.is_finite() && c > 0.0)) {
            return Err("--clip must be positive".into());
        }
        Ok(())
    }

    /// The rate of `epoch` (1-based): the base rate times `gamma` per milestone already passed.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        self.learning_rate * self.lr_gamma.powi(self.lr_milestones.iter().filter(|&&m| m < epoch).count() as i32)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BstRunConfig {
    pub format: String,
    pub model: BstConfig,
    pub train: BstTrainConfig,
}

impl BstRunConfig {
    pub fn new(model: BstConfig, train: BstTrainConfig) -> Self {
        Self { format: FORMAT.into(), model, train }
    }
}

/// Validation monitor: micro-averaged over held-out examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BstMonitor {
    pub loss: f64,
    pub hits_at_1: f64,
    pub hits_at_10: f64,
    pub examples: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BstEpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub learning_rate: f64,
    /// The threshold used this epoch, and the mean gradient norm before clipping.
    pub clip: Option<f64>,
    pub mean_grad_norm: f64,
    pub clipped_steps: usize,
    pub seconds: f64,
    pub valid: Option<BstMonitor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    clip: Option<f64>,
    best_epoch: Option<usize>,
    best_loss: Option<f64>,
    history: Vec<BstEpochRecord>,
}

#[derive(Debug, Clone)]
pub enum BstProgress {
    Resumed { epoch: usize },
    Epoch { epoch: usize, epochs: usize, batches: usize },
    Batch { batch: usize, loss: f64 },
    EpochEnd(BstEpochRecord),
}

/// Sum of squares of every gradient (the global norm's square).
struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    sum: f64,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            self.sum += g.square().sum().into_scalar::<f32>() as f64;
        }
    }
}

/// Multiplies every gradient by `factor`.
struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, g * self.factor);
        }
    }
}

/// Clips `grads` to a global norm of `max` (as `torch.nn.utils.clip_grad_norm_`); returns the norm
/// before clipping.
pub fn clip_global_norm<M: Module>(model: &M, grads: &mut GradientsParams, max: Option<f64>) -> f64 {
    let mut v = SquaredNorm { grads, sum: 0.0 };
    model.visit(&mut v);
    let norm = v.sum.sqrt();
    if let Some(max) = max
        && norm > max
    {
        model.visit(&mut Scale { grads, factor: max / (norm + 1e-6) });
    }
    norm
}

/// Validation loss and hits of `model` on `examples`.
pub fn monitor(model: &Bst, config: &BstConfig, vocab: &TitleVocab, examples: &Examples, device: &Device) -> Option<BstMonitor> {
    let (mut loss, mut h1, mut h10) = (0.0f64, 0usize, 0usize);
    let all: Vec<usize> = (0..examples.index.len()).collect();
    for chunk in all.chunks(256) {
        let b = examples.batch(chunk, config.max_len);
        let logits: Vec<f32> = model.logits(&b.tensors(device)).into_data().convert::<f32>().try_into_vec().expect("f32 logits");
        let v = config.vocab_size;
        for (q, &target) in b.targets.iter().enumerate() {
            let row = &logits[q * v..(q + 1) * v];
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_z = max as f64 + row.iter().map(|&x| ((x - max) as f64).exp()).sum::<f64>().ln();
            loss += log_z - row[target as usize] as f64;
            let rank = Some(rank_of(row, target as u32, vocab.title_ids()));
            h1 += usize::from(hit(rank, 1));
            h10 += usize::from(hit(rank, 10));
        }
    }
    let n = examples.index.len();
    (n > 0).then(|| BstMonitor { loss: loss / n as f64, hits_at_1: h1 as f64 / n as f64, hits_at_10: h10 as f64 / n as f64, examples: n })
}

fn save_checkpoint(out: &Path, model: &Bst, optim: &ModuleOptimizer, state: &CheckpointState) -> Result<(), TrainError> {
    save_burn_checkpoint(out, &format!("epoch-{:04}", state.epoch), model, optim, state)
}

/// Trains on `train`, keeps the epoch with the lowest validation loss on `valid`, writes `out`.
#[allow(clippy::too_many_arguments)]
pub fn train_bst(
    train: &Examples,
    valid: &Examples,
    vocab: &TitleVocab,
    context: &ContextVocab,
    run: &BstRunConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(BstProgress),
) -> Result<Vec<BstEpochRecord>, TrainError> {
    run.model.validate().map_err(TrainError::Invalid)?;
    run.train.validate().map_err(TrainError::Invalid)?;
    if train.index.is_empty() {
        return Err(TrainError::Invalid("the training data has no student with two or more dated reads: nothing to learn from".into()));
    }
    if run.model.vocab_size != vocab.len() || run.model.context_sizes != context.sizes() {
        return Err(TrainError::Invalid("the model's vocabulary or context sizes differ from the data's".into()));
    }
    let cfg = &run.train;
    // Flex, as for STUDY: measured faster there, and its reductions run in a fixed order, so a
    // resumed run ends with the uninterrupted run's weights.
    let device = cfg.backend.unwrap_or(BurnBackend::Flex).device().autodiff();
    let mut model = run.model.init(cfg.seed, &device);
    let mut optim = AdamWConfig::new().with_weight_decay(cfg.weight_decay as f32).init();
    let mut state = CheckpointState { epoch: 0, clip: cfg.clip, best_epoch: None, best_loss: None, history: Vec::new() };
    create_run_dir(out)?;
    let resumed = if resume { latest_checkpoint(out, |s: &CheckpointState| s.epoch) } else { None };
    if let Some((ckpt, saved)) = resumed {
        let mut saved_cfg: BstRunConfig = read_json(&out.join(CONFIG_FILE))?;
        saved_cfg.train.epochs = cfg.epochs;
        saved_cfg.train.backend = cfg.backend;
        if &saved_cfg != run {
            return Err(TrainError::Invalid(format!(
                "{}: was trained with a different configuration; resume needs the same one (only --epochs and --device may change)",
                out.display()
            )));
        }
        let saved_vocab = TitleVocab::load(&out.join(VOCAB_FILE)).map_err(|e| TrainError::Invalid(e.to_string()))?;
        let saved_ctx: ContextVocab = read_json(&out.join(CONTEXT_FILE))?;
        if &saved_vocab != vocab || &saved_ctx != context {
            return Err(TrainError::Invalid(format!(
                "{}: the training data gives other titles, schools or classes than the run started with; resume needs the same data",
                out.display()
            )));
        }
        (model, optim) = load_burn_checkpoint(model, optim, &ckpt)?;
        state = saved;
        progress(BstProgress::Resumed { epoch: state.epoch });
    } else {
        clear_run_outputs(out, &[MODEL_FILE, HISTORY_FILE])?;
        write_run_file(out, CONFIG_FILE, &json_bytes(run))?;
        write_run_file(out, VOCAB_FILE, vocab.to_json().as_bytes())?;
        write_run_file(out, CONTEXT_FILE, &json_bytes(context))?;
    }
    let inner = device.clone().inner();
    for epoch in state.epoch + 1..=cfg.epochs {
        let started = Instant::now();
        let order = epoch_order(train.index.len(), cfg.seed, epoch);
        let batches = order.len().div_ceil(cfg.batch_size);
        progress(BstProgress::Epoch { epoch, epochs: cfg.epochs, batches });
        let lr = cfg.lr_at(epoch);
        let (mut loss_sum, mut norms, mut clipped) = (0.0f64, Vec::with_capacity(batches), 0usize);
        for (bi, chunk) in order.chunks(cfg.batch_size).enumerate() {
            // Dropout is reseeded per step, so a resumed run draws what the uninterrupted one did.
            device.seed(cfg.seed ^ ((epoch * 1_000_003 + bi) as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let x = train.batch(chunk, run.model.max_len).tensors(&device);
            let loss = model.loss(&x);
            let value = loss.clone().into_scalar::<f32>() as f64;
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!("loss became {value} at epoch {epoch}, batch {bi}: lower the learning rate")));
            }
            let mut grads = GradientsParams::from_grads(loss.backward(), &model);
            let norm = clip_global_norm(&model, &mut grads, state.clip);
            clipped += usize::from(state.clip.is_some_and(|c| norm > c));
            norms.push(norm);
            model = optim.step(lr, model, grads);
            loss_sum += value;
            progress(BstProgress::Batch { batch: bi + 1, loss: value });
        }
        let seconds = started.elapsed().as_secs_f64();
        let mean = norms.iter().sum::<f64>() / norms.len().max(1) as f64;
        let std = (norms.iter().map(|n| (n - mean).powi(2)).sum::<f64>() / norms.len().max(1) as f64).sqrt();
        let valid_model = model.valid();
        let valid_report = monitor(&valid_model, &run.model, vocab, valid, &inner);
        let record = BstEpochRecord {
            epoch,
            train_loss: loss_sum / batches.max(1) as f64,
            learning_rate: lr,
            clip: state.clip,
            mean_grad_norm: mean,
            clipped_steps: clipped,
            seconds,
            valid: valid_report,
        };
        let loss_now = valid_report.map(|v| v.loss);
        let improved = match (loss_now, state.best_loss) {
            (Some(l), Some(best)) => l < best,
            (Some(_), None) => true,
            (None, _) => true,
        };
        if improved {
            state.best_epoch = Some(epoch);
            state.best_loss = loss_now;
            write_run_file(out, MODEL_FILE, &record_bytes(&valid_model)?)?;
        }
        // The reference notebook's running threshold for the next epoch.
        if state.clip.is_some() && !norms.is_empty() {
            state.clip = Some(mean + std);
        }
        state.epoch = epoch;
        state.history.push(record.clone());
        save_checkpoint(out, &valid_model, &optim, &state)?;
        progress(BstProgress::EpochEnd(record));
    }
    write_run_file(out, HISTORY_FILE, &json_bytes(&state.history))?;
    Ok(state.history)
}

/// A trained BST directory (the best epoch), loaded for inference.
#[derive(Debug)]
pub struct BstModelDir {
    pub run: BstRunConfig,
    pub vocab: TitleVocab,
    pub context: ContextVocab,
    pub model: Bst,
}

impl BstModelDir {
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let run: BstRunConfig = read_json(&dir.join(CONFIG_FILE))?;
        let corrupt = |message: String| TrainError::Corrupt { path: dir.join(CONFIG_FILE).display().to_string(), message };
        if run.format != FORMAT {
            return Err(corrupt(format!("not a {FORMAT} model (found {})", run.format)));
        }
        run.model.validate().map_err(corrupt)?;
        let vocab = TitleVocab::load(&dir.join(VOCAB_FILE)).map_err(|e| TrainError::Invalid(e.to_string()))?;
        let context: ContextVocab = read_json(&dir.join(CONTEXT_FILE))?;
        if vocab.len() != run.model.vocab_size || context.sizes() != run.model.context_sizes {
            return Err(corrupt("the vocabulary or context files do not match the model's sizes".into()));
        }
        let model = load_record(run.model.init(0, &reference_device()), &dir.join(MODEL_FILE))?;
        Ok(Self { run, vocab, context, model })
    }

    /// Suggestion lists (top `n`, best first) before every read of every student of `seqs` after
    /// their first, in the shape the hits@n scoring takes ([`PerRead`]).
    pub fn per_read(&self, data: &Interactions, seqs: &[StudentReads], n: usize) -> PerRead {
        let device = reference_device();
        let titles: Vec<Vec<u32>> = seqs.iter().map(|s| s.reads.iter().map(|r| r.title).collect()).collect();
        let queries: Vec<(usize, usize)> = titles.iter().enumerate().flat_map(|(s, t)| (1..t.len()).map(move |i| (s, i))).collect();
        let mut out: PerRead = titles.iter().map(|t| Vec::with_capacity(t.len().saturating_sub(1))).collect();
        let none = HashSet::new();
        let v = self.run.model.vocab_size;
        for chunk in queries.chunks(256) {
            let hist: Vec<&[u32]> = chunk.iter().map(|&(s, i)| &titles[s][..i]).collect();
            let ctx: Vec<[i64; CONTEXT_FEATURES]> = chunk.iter().map(|&(s, _)| self.context.ids(data, &seqs[s].info)).collect();
            let b = BstBatch::new(&hist, &ctx, &[], self.run.model.max_len);
            let logits: Vec<f32> = self.model.logits(&b.tensors(&device)).into_data().convert::<f32>().try_into_vec().expect("f32 logits");
            for (q, &(s, _)) in chunk.iter().enumerate() {
                out[s].push(top_titles(&logits[q * v..(q + 1) * v], &self.vocab, n, &none).into_iter().map(|(id, _)| id).collect());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::bst::net::Positions;
    use crate::sequences::study::test_data::synth_reads;
    use crate::sequences::study::{PackConfig, build_study};
    use crate::synth::SynthConfig;

    use crate::models::device::SEEDING;

    fn tiny() -> (Interactions, TitleVocab, ContextVocab, Examples, BstRunConfig) {
        let data = synth_reads(&SynthConfig::small());
        let vocab = TitleVocab::from_training(&data, 50);
        let ctx = ContextVocab::from_training(&data);
        let study = build_study(&data, &vocab, &PackConfig::new(24, 6).unwrap());
        let ex = Examples::new(&data, &study.seqs, &vocab, &ctx);
        let model = BstConfig {
            vocab_size: vocab.len(),
            d_model: 16,
            n_heads: 2,
            n_layers: 1,
            d_ff: 32,
            max_len: 8,
            positions: Positions::Sinusoidal,
            context_sizes: ctx.sizes(),
            context_dim: 4,
            mlp_hidden: 32,
            dropout: 0.1,
        };
        let train = BstTrainConfig { epochs: 4, batch_size: 32, learning_rate: 3e-3, lr_milestones: vec![3], ..Default::default() };
        (data, vocab, ctx, ex, BstRunConfig::new(model, train))
    }

    #[test]
    fn the_schedule_steps_down_at_milestones() {
        let c = BstTrainConfig { learning_rate: 1.0, lr_milestones: vec![2, 4], lr_gamma: 0.5, ..Default::default() };
        assert_eq!([1, 2, 3, 4, 5].map(|e| c.lr_at(e)), [1.0, 1.0, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn training_learns_keeps_the_best_epoch_and_resumes_exactly() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (data, vocab, ctx, ex, run) = tiny();
        let dir = tempfile::tempdir().unwrap();
        let history = train_bst(&ex, &ex, &vocab, &ctx, &run, dir.path(), false, &mut |_| {}).unwrap();
        let (first, last) = (history[0].valid.unwrap(), history.last().unwrap().valid.unwrap());
        assert!(last.loss < first.loss, "{first:?} -> {last:?}");
        // The threshold follows the gradients: epoch 2 uses epoch 1's mean + std.
        assert_eq!(history[0].clip, Some(1.0));
        assert!(history[1].clip.unwrap() >= history[0].mean_grad_norm);
        let best = history.iter().map(|r| r.valid.unwrap().loss).fold(f64::INFINITY, f64::min);
        let loaded = BstModelDir::load(dir.path()).unwrap();
        let again = monitor(&loaded.model, &run.model, &vocab, &ex, &reference_device()).unwrap();
        assert!((again.loss - best).abs() < 1e-4, "model.bpk is the best epoch: {} vs {best}", again.loss);
        let lists = loaded.per_read(&data, &build_study(&data, &vocab, &PackConfig::new(24, 6).unwrap()).seqs, 5);
        assert!(lists.iter().all(|l| l.iter().all(|x| x.len() == 5)));
        // Killed after epoch 2, resumed to 4: the same model.
        let part = tempfile::tempdir().unwrap();
        let short = BstRunConfig { train: BstTrainConfig { epochs: 2, ..run.train.clone() }, ..run.clone() };
        train_bst(&ex, &ex, &vocab, &ctx, &short, part.path(), false, &mut |_| {}).unwrap();
        let resumed = train_bst(&ex, &ex, &vocab, &ctx, &run, part.path(), true, &mut |_| {}).unwrap();
        assert_eq!(resumed.len(), 4);
        let b = monitor(&BstModelDir::load(part.path()).unwrap().model, &run.model, &vocab, &ex, &reference_device()).unwrap();
        assert!((b.loss - again.loss).abs() < 1e-6, "{b:?} vs {again:?}");
    }
}
