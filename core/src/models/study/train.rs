//! Training the Individual and STUDY recommenders: seeded row sampling, AdamW with the
//! reference's warm-up then inverse-square-root schedule, checkpoints every `save_every` steps,
//! exact resume after a kill, and a validation monitor every `eval_every` steps.
//!
//! Training is counted in optimizer steps, as in the reference (`--n_steps`), not epochs: the
//! rows of step `s` are a pure function of `(seed, s)` (consecutive slices of per-epoch
//! shuffles), and dropout is reseeded from `(seed, s)` at every step, so a run resumed from the
//! checkpoint of step `s` continues exactly as the uninterrupted run would.
//!
//! With selection data (classrooms cut from the *training* data, never the ones reported), the
//! step kept is the one with the lowest loss on them, and training stops itself once that loss
//! has not improved for `patience` scores: a school's log is over-fitted long before the
//! default step count, and the last step is not the best.
//!
//! A model directory holds `config.json` ([`RecRunConfig`]), `vocab.json`, `model.bpk` (the
//! weights kept: the best selection step's, else the last), `best.bpk` (the best selection
//! step's so far, while training), `history.json` and `checkpoints/step-NNNNNNNN/` (model,
//! optimizer, then `state.json` as the commit marker; the newest two are kept).

use std::path::Path;
use std::sync::Arc;
use web_time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::config::{RecDistillConfig, RecRunConfig};
use crate::metrics::ranking::{hit, rank_of};
use crate::models::device::reference_device;
use crate::models::study::net::{CountContext, Queries, RecBatch, Recommender, RecommenderConfig, fit_coread};
use crate::runs::{CONFIG_FILE, COREAD_FILE, HISTORY_FILE, MODEL_FILE, VOCAB_FILE, write_run_file};
use crate::runs::{
    TrainError, clear_run_outputs, epoch_order, json_bytes, latest_checkpoint, load_burn_checkpoint, load_record, read_bytes, read_json, record_bytes,
    save_burn_checkpoint,
};
use crate::sequences::study::{Row, StudyData, TitleVocab};

/// A trained recommender whose logits a student learns from (on the same rows and queries).
pub struct RecTeacher<'a> {
    pub model: &'a Recommender,
    pub config: &'a RecommenderConfig,
}

/// The training monitor on validation rows: micro-averaged over scored tokens (the report's
/// per-student tables come from [`crate::models::study::infer`] after training).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    pub loss: f64,
    pub hits_at_1: f64,
    pub hits_at_5: f64,
    pub hits_at_20: f64,
    pub tokens: usize,
}

/// The weights of the best selection step so far, beside `model.bpk`.
pub const BEST_FILE: &str = "best.bpk";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: usize,
    /// Mean training loss since the previous record.
    pub train_loss: f64,
    /// Row positions (`rows * seq_len`, padding included) per second of training since the
    /// previous record, the usual transformer throughput figure.
    pub tokens_per_sec: f64,
    /// Read tokens (no SEP, no padding) per second.
    pub read_tokens_per_sec: f64,
    pub valid: Option<EvalRecord>,
    /// On the selection classrooms, when there are some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<EvalRecord>,
}

/// The step with the lowest selection loss so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    pub step: usize,
    pub loss: f64,
}

/// Which step to keep, and when to stop: the one rule of the CLI's runs and the page's fits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default)]
    pub best: Option<Kept>,
    /// Scores since the best one.
    #[serde(default)]
    pub since_best: usize,
}

impl Selection {
    /// Records the selection loss of `step`; `true` when it is the lowest so far.
    pub fn score(&mut self, step: usize, loss: f64) -> bool {
        let improved = self.best.is_none_or(|b| loss < b.loss);
        if improved {
            (self.best, self.since_best) = (Some(Kept { step, loss }), 0);
        } else {
            self.since_best += 1;
        }
        improved
    }

    /// Whether `patience` scores have passed without a lower loss (never, for 0).
    pub fn stopped(&self, patience: usize) -> bool {
        patience > 0 && self.since_best >= patience
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    step: usize,
    history: Vec<StepRecord>,
    #[serde(flatten)]
    selection: Selection,
}

#[derive(Debug, Clone)]
pub enum RecProgress {
    Start {
        steps: usize,
        from: usize,
    },
    Step {
        step: usize,
        loss: f64,
        tokens_per_sec: f64,
    },
    Record(StepRecord),
    /// The co-read boost chosen after training ([`choose_coread_boost`]).
    Coread(CoreadChoice),
    /// The continuation shift chosen after training ([`choose_continuation`]).
    Continuation(ContinuationChoice),
    /// Training ended early: the selection loss stopped improving.
    Stopped {
        step: usize,
        kept: Kept,
    },
}

/// The rows of step `step`: consecutive slices of per-epoch seeded shuffles of `0..n`.
pub fn step_rows(n: usize, batch: usize, seed: u64, step: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(batch);
    let mut k = step * batch;
    let mut cached: Option<(usize, Vec<usize>)> = None;
    while out.len() < batch {
        let epoch = k / n;
        if cached.as_ref().is_none_or(|(e, _)| *e != epoch) {
            cached = Some((epoch, epoch_order(n, seed, epoch + 1)));
        }
        out.push(cached.as_ref().expect("just set").1[k % n]);
        k += 1;
    }
    out
}

/// Monitor metrics of `model` on `rows` (batches of `batch` rows).
pub fn monitor(
    model: &Recommender,
    config: &RecommenderConfig,
    vocab: &TitleVocab,
    rows: &[Row],
    ctx: &CountContext,
    batch: usize,
    device: &Device,
) -> Option<EvalRecord> {
    let (mut loss_sum, mut tokens, mut hits) = (0.0f64, 0usize, [0usize; 3]);
    for chunk in rows.chunks(batch.max(1)) {
        let refs: Vec<&Row> = chunk.iter().collect();
        let b = RecBatch::new(&refs, config, Queries::Targets, ctx);
        if b.query.is_empty() {
            continue;
        }
        let logits: Vec<f32> = model.logits(&b.tensors(device)).into_data().convert::<f32>().try_into_vec().expect("f32 logits");
        let v = config.vocab_size;
        for (q, &target) in b.targets.iter().enumerate() {
            let row = &logits[q * v..(q + 1) * v];
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_z = max as f64 + row.iter().map(|&x| ((x - max) as f64).exp()).sum::<f64>().ln();
            loss_sum += log_z - row[target as usize] as f64;
            // Rank among recommendable titles; an OOV target is never a hit.
            if vocab.is_recommendable(target as u32) {
                let rank = rank_of(row, target as u32, vocab.title_ids());
                for (k, n) in [1usize, 5, 20].into_iter().enumerate() {
                    hits[k] += usize::from(hit(Some(rank), n));
                }
            }
            tokens += 1;
        }
    }
    (tokens > 0).then(|| {
        let rate = |h: usize| h as f64 / tokens as f64;
        EvalRecord { loss: loss_sum / tokens as f64, hits_at_1: rate(hits[0]), hits_at_5: rate(hits[1]), hits_at_20: rate(hits[2]), tokens }
    })
}

/// Co-read boosts tried by [`choose_coread_boost`], in logit units per unit of summed
/// similarity (the scores are sums of five cosines, mostly below 2). The grid went to 16 at
/// first; STUDY in the `solo` choice world (seed 7, never reported) chose 16, so it was extended:
/// at 64 the unread order is the co-read order with the model breaking ties.
pub const COREAD_BOOSTS: [f32; 10] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// What [`choose_coread_boost`] chose and how the selection reads scored with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoreadChoice {
    pub boost: f32,
    /// Mean of hits@1, @5 and @20 on the selection classrooms' new-title reads, without and with
    /// the boost.
    pub score_before: f64,
    pub score_after: f64,
    /// The reads scored.
    pub reads: usize,
}

/// How much the co-read score should re-order the unread titles the app shows, chosen on the
/// selection classrooms (cut from the training ones; never the reported ones).
///
/// Training fits the next read, and about a third of next reads continue or repeat a title, so
/// the learned weights rank the student's own titles well and new titles less well; the app
/// leaves the titles already read out of its list. The boost re-orders only the unread titles
/// among themselves ([`Recommender::rerank_unread`]), so a continuation ranks where it did. This
/// scores only what the app is for: each read of a title its student had not read before, ranked
/// among the titles they had not read, by the mean of hits@1, @5 and @20, and keeps the boost from
/// [`COREAD_BOOSTS`] that scores best (ties: the smaller). `None` when the model has no co-read channel or `select` has no
/// such read.
pub fn choose_coread_boost(model: &Recommender, config: &RecommenderConfig, select: &StudyData, device: &Device) -> Option<CoreadChoice> {
    model.coread_boost()?;
    let model = &model.clone().with_coread_boost(0.0);
    let boosted: Vec<Recommender> = COREAD_BOOSTS.iter().map(|&b| model.clone().with_coread_boost(b)).collect();
    let mut hits = vec![[0usize; 3]; COREAD_BOOSTS.len()];
    let mut reads = 0usize;
    let mut scores = vec![0.0f32; config.vocab_size];
    for_each_selection_query(model, config, select, device, |b, k, target, logits| {
        // The batch's unread mask: titles of the vocabulary the student had not read.
        let unread = b.unread_of(k);
        if !unread.get(target).copied().unwrap_or(false) {
            return;
        }
        reads += 1;
        for (i, boosted) in boosted.iter().enumerate() {
            scores.copy_from_slice(logits);
            boosted.rerank_query(&mut scores, b, k);
            let rank = rank_of(&scores, target as u32, (0..scores.len() as u32).filter(|&t| unread[t as usize]));
            count_hits(&mut hits[i], rank);
        }
    });
    best_of(&hits, reads).map(|(best, score_before, score_after)| CoreadChoice { boost: COREAD_BOOSTS[best], score_before, score_after, reads })
}

/// Shifts of the continuation logit tried by [`choose_continuation`] (logits; 0 first, so a tie
/// keeps the model as trained; then the smaller shifts before the larger). At 64 the title being
/// read comes first whenever the student has one: the continuation baseline's first suggestion.
pub const CONTINUATION_SHIFTS: [f32; 13] = [0.0, -0.5, 0.5, -1.0, 1.0, -2.0, 2.0, -4.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// What [`choose_continuation`] chose and how the selection reads scored with it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContinuationChoice {
    pub shift: f32,
    /// Mean of hits@1, @5 and @20 on every selection read (read titles ranked too), without and
    /// with the shift.
    pub score_before: f64,
    pub score_after: f64,
    /// The reads scored.
    pub reads: usize,
}

/// How strongly the list ranks continuing the title being read, chosen on the selection
/// classrooms (cut from the training ones; never the reported ones).
///
/// The model learns continuing from its training loss, a likelihood over every next read, and
/// there it can be slightly over- or under-confident about the first place: on generated
/// classrooms "the title being read, then classroom popularity" was level with or above
/// STUDY's hits@1 on all reads. This moves only the logit of the query's own title
/// ([`Recommender::with_continuation_shift`]), so it decides where continuing ranks against new
/// titles and changes nothing among the others: the app's lists without read titles are the
/// same. Scored on every selection read, read titles included (the lists that can continue), by
/// the mean of hits@1, @5 and @20; the shift from [`CONTINUATION_SHIFTS`] that scores best is
/// kept (ties: the earlier). `None` without the continuation bias or without selection reads.
pub fn choose_continuation(model: &Recommender, config: &RecommenderConfig, select: &StudyData, device: &Device) -> Option<ContinuationChoice> {
    if !model.has_continuation() {
        return None;
    }
    let mut hits = vec![[0usize; 3]; CONTINUATION_SHIFTS.len()];
    let mut reads = 0usize;
    let mut scores = vec![0.0f32; config.vocab_size];
    for_each_selection_query(model, config, select, device, |b, k, target, logits| {
        reads += 1;
        scores.copy_from_slice(logits);
        model.rerank_query(&mut scores, b, k);
        let above: Vec<f32> = (crate::sequences::study::FIRST_TITLE as usize..scores.len()).filter(|&t| t != target).map(|t| scores[t]).collect();
        let current = b.current_title_of(k);
        for (i, &shift) in CONTINUATION_SHIFTS.iter().enumerate() {
            let shifted = |t: usize| if Some(t) == current { scores[t] + shift } else { scores[t] };
            let mine = shifted(target);
            // Titles other than the target above it; only the current title's score moves.
            let rank = match current {
                Some(c) if c != target => above.iter().filter(|&&x| x > mine).count() - usize::from(scores[c] > mine) + usize::from(shifted(c) > mine),
                _ => above.iter().filter(|&&x| x > mine).count(),
            };
            count_hits(&mut hits[i], rank);
        }
    });
    best_of(&hits, reads).map(|(best, score_before, score_after)| ContinuationChoice { shift: CONTINUATION_SHIFTS[best], score_before, score_after, reads })
}

/// Runs `model` on the selection rows and calls `f(batch, k, target, logits)` for each query
/// `k` with its target id and its logits as read back (before any re-ranking).
fn for_each_selection_query(
    model: &Recommender,
    config: &RecommenderConfig,
    select: &StudyData,
    device: &Device,
    mut f: impl FnMut(&RecBatch, usize, usize, &[f32]),
) {
    let ctx = CountContext::new(&select.seqs, &select.classrooms).for_model(model);
    let v = config.vocab_size;
    for chunk in select.rows.chunks(64) {
        let refs: Vec<&Row> = chunk.iter().collect();
        let b = RecBatch::new(&refs, config, Queries::Targets, &ctx);
        if b.query.is_empty() {
            continue;
        }
        let logits: Vec<f32> = model.logits(&b.tensors(device)).into_data().convert::<f32>().try_into_vec().expect("f32 logits");
        for (k, &target) in b.targets.iter().enumerate() {
            f(&b, k, target as usize, &logits[k * v..(k + 1) * v]);
        }
    }
}

/// Adds a rank's hits@1, @5 and @20 to `hits`.
fn count_hits(hits: &mut [usize; 3], rank: usize) {
    for (j, n) in [1usize, 5, 20].into_iter().enumerate() {
        hits[j] += usize::from(hit(Some(rank), n));
    }
}

/// The candidate whose mean of hits@1, @5 and @20 over `reads` is best (ties: the earlier), with
/// the first candidate's score and its own; `None` without reads.
fn best_of(hits: &[[usize; 3]], reads: usize) -> Option<(usize, f64, f64)> {
    (reads > 0).then(|| {
        let score = |h: &[usize; 3]| h.iter().sum::<usize>() as f64 / (3 * reads) as f64;
        let best = (0..hits.len()).fold(0, |best, i| if score(&hits[i]) > score(&hits[best]) { i } else { best });
        (best, score(&hits[0]), score(&hits[best]))
    })
}

fn save_checkpoint(out: &Path, model: &Recommender, optim: &ModuleOptimizer, state: &CheckpointState) -> Result<(), TrainError> {
    save_burn_checkpoint(out, &format!("step-{:08}", state.step), &model.valid(), optim, state)
}

/// Trains on `train_rows`, monitoring `valid_rows`, and writes the model directory `out` (see
/// the module docs). With `resume`, continues from the newest checkpoint of an identical run
/// (only `steps` may differ); otherwise an earlier run's files in `out` are replaced.
pub fn train_recommender(
    train: &StudyData,
    valid: &StudyData,
    vocab: &TitleVocab,
    run: &RecRunConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(RecProgress),
) -> Result<Vec<StepRecord>, TrainError> {
    train_recommender_with(train, valid, None, vocab, run, None, out, resume, progress)
}

/// One optimizer step after another on a run's training rows: the body of
/// [`train_recommender_with`] and of the page's fit ([`crate::fit::study`]), so a class fitted in
/// the browser trains exactly as `classlens train study` does. Plain memory, no files or clock.
pub struct RecStepper<'a> {
    run: &'a RecRunConfig,
    rows: &'a [Row],
    ctx: CountContext,
    /// Where the weights and the optimizer live: `devices[0]`.
    device: Device,
    /// Every device a step is spread over (`run.train.devices` of them; just `device` for one).
    devices: Vec<Device>,
    distill: Option<(&'a RecTeacher<'a>, RecDistillConfig)>,
    /// Always `Some` between calls: the optimizer takes the model by value.
    model: Option<Recommender>,
    optim: ModuleOptimizer,
}

/// What one optimizer step trained on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stepped {
    pub loss: f64,
    pub rows: usize,
    pub reads: usize,
}

impl<'a> RecStepper<'a> {
    /// Checks the run against the data (and the teacher, when distilling) and initialises the
    /// model from the run's seed.
    pub fn new(train: &'a StudyData, vocab: &TitleVocab, run: &'a RecRunConfig, teacher: Option<&'a RecTeacher<'a>>) -> Result<Self, TrainError> {
        let distill = match (teacher, &run.distill) {
            (None, None) => None,
            (Some(t), Some(d)) => {
                if t.config.vocab_size != run.model.vocab_size || t.config.kind != run.model.kind {
                    return Err(TrainError::Invalid("the teacher has another vocabulary or kind than the student: distil on the teacher's data".into()));
                }
                if !((0.0..=1.0).contains(&d.alpha) && d.temperature.is_finite() && d.temperature > 0.0) {
                    return Err(TrainError::Invalid(format!("--alpha must be in [0, 1] and --temperature positive (got {} and {})", d.alpha, d.temperature)));
                }
                Some((t, d.clone()))
            }
            _ => return Err(TrainError::Invalid("a distilled run needs both a teacher and its settings".into())),
        };
        run.model.validate().map_err(TrainError::Invalid)?;
        run.train.validate().map_err(TrainError::Invalid)?;
        if run.model.vocab_size != vocab.len() {
            return Err(TrainError::Invalid(format!("model vocabulary size {} differs from the vocabulary's {}", run.model.vocab_size, vocab.len())));
        }
        if train.rows.iter().all(|r| r.targets().iter().all(|&t| t == crate::sequences::study::PAD)) {
            return Err(TrainError::Invalid("the training data has no student with two or more dated reads: nothing to learn from".into()));
        }
        let devices: Vec<Device> = run.train.backend.devices(run.train.devices).map_err(TrainError::Invalid)?.into_iter().map(|d| d.autodiff()).collect();
        let device = devices[0].clone();
        let mut model = run.model.init(run.train.seed, &device);
        if run.train.workers > 1 || devices.len() > 1 {
            // Before any thread forks it (one worker keeps burn's lazy draw, as runs always did).
            crate::models::device::draw_initial_weights(&model);
        }
        let mut ctx = CountContext::new(&train.seqs, &train.classrooms);
        if run.model.coread {
            model = model.with_coread_table(Some(Arc::new(fit_coread(&train.seqs, vocab))));
        }
        if run.model.coread || teacher.is_some_and(|t| t.config.coread) {
            ctx = ctx.with_cross_fitted_coread(&train.seqs, &train.classrooms, vocab);
        }
        let optim = AdamWConfig::new().with_weight_decay(run.train.weight_decay as f32).init();
        Ok(Self { run, rows: &train.rows, ctx, device, devices, distill, model: Some(model), optim })
    }

    fn model(&self) -> &Recommender {
        self.model.as_ref().expect("the model is put back after every step")
    }

    /// Optimizer step `step` (0-based) on its seeded rows; `None` when those rows have no target.
    ///
    /// With `workers` > 1 the rows are cut into that many shares, each share's loss and gradients
    /// are computed on its own thread (forward and backward on the run's device, each thread its
    /// own autodiff graph over the same weights), each loss weighted by its share of the step's
    /// queries so the sum is the whole batch's mean, and burn's `GradientsAccumulator` adds the
    /// gradients before one optimizer step: the same update as one thread up to f32 rounding
    /// (a test checks it). Dropout's masks then come from the device's one generator in whatever
    /// order the threads ask, so such a run is not bit-for-bit repeatable (a resume is exact only
    /// with one worker).
    ///
    /// With several devices there are at least as many shares as devices, share `i` on device
    /// `i mod devices`: the weights are forked onto it, its gradients moved back to the first
    /// device (burn's `GradientsParams::to_device`) and added there. burn 0.22's collective
    /// `all_reduce` would keep them on the devices, but cubecl 0.11 implements it for CUDA only
    /// (NCCL; wgpu's server answers `NoDeviceTransport`), so the sum is gathered on one device.
    pub fn step(&mut self, step: usize) -> Option<Stepped> {
        let cfg = &self.run.train;
        let picked = step_rows(self.rows.len(), cfg.batch_size, cfg.seed, step);
        let rows: Vec<&Row> = picked.iter().map(|&i| &self.rows[i]).collect();
        let shares: Vec<(&[&Row], RecBatch)> = rows
            .chunks(rows.len().div_ceil(cfg.workers.max(self.devices.len()).max(1)).max(1))
            .map(|share| (share, RecBatch::new(share, &self.run.model, Queries::Targets, &self.ctx)))
            .filter(|(_, b)| !b.query.is_empty())
            .collect();
        let queries: usize = shares.iter().map(|(_, b)| b.query.len()).sum();
        if queries == 0 {
            return None;
        }
        for device in &self.devices {
            device.seed(cfg.seed ^ (step as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        }
        let model = self.model.take().expect("the model is put back after every step");
        let share_of = |(share, b): &(&[&Row], RecBatch), model: &Recommender, device: &Device| {
            let x = b.tensors(device);
            let loss = match &self.distill {
                Some((t, d)) => {
                    // The teacher's logits for the same queries, from its own inputs (its
                    // positions have its width), as plain data: no gradient flows into the teacher.
                    let tb = RecBatch::new(share, t.config, Queries::Targets, &self.ctx);
                    let soft = burn::tensor::Tensor::<2>::from_data(t.model.logits(&tb.tensors(&reference_device())).into_data(), device);
                    model.distillation_loss(&x, soft, d.temperature, d.alpha)
                }
                None => model.loss(&x),
            };
            let loss = if shares.len() > 1 { loss * (b.query.len() as f64 / queries as f64) } else { loss };
            let value = loss.clone().into_scalar::<f32>() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), model);
            (value, if device == &self.device { grads } else { grads.to_device(&self.device, model) })
        };
        let parts: Vec<(f64, GradientsParams)> = if shares.len() == 1 {
            vec![share_of(&shares[0], &model, &self.device)]
        } else {
            // wasm: the page's fit always runs one worker (`RecTrainConfig::default`), so no
            // thread is started there.
            std::thread::scope(|scope| {
                let running: Vec<_> = shares
                    .iter()
                    .zip(self.devices.iter().cycle())
                    .map(|(share, device)| {
                        // Forked: the same weights as fresh autodiff leaves, so each thread's
                        // graph is its own (burn merges graphs that share a node under one lock,
                        // which would run the backward passes one after the other); the
                        // parameter ids stay, so the gradients add up by parameter.
                        let model = model.clone().fork(device);
                        scope.spawn(move || share_of(share, &model, device))
                    })
                    .collect();
                running.into_iter().map(|h| h.join().expect("a training thread panicked")).collect()
            })
        };
        let loss = parts.iter().map(|(v, _)| v).sum();
        let grads = if parts.len() == 1 {
            parts.into_iter().next().expect("one part").1
        } else {
            let mut sum = GradientsAccumulator::new();
            for (_, g) in parts {
                sum.accumulate(&model, g);
            }
            sum.grads()
        };
        self.model = Some(self.optim.step(cfg.lr_at(step), model, grads));
        Some(Stepped { loss, rows: rows.len(), reads: rows.iter().map(|r| r.reads()).sum() })
    }

    /// [`monitor`] of the current weights on `data`.
    pub fn monitor(&self, vocab: &TitleVocab, data: &StudyData) -> Option<EvalRecord> {
        let ctx = CountContext::new(&data.seqs, &data.classrooms).for_model(self.model());
        monitor(&self.model().valid(), &self.run.model, vocab, &data.rows, &ctx, 64, &self.device.clone().inner())
    }

    /// The current weights, for inference (no autodiff) on the reference CPU device, where
    /// packs and the evaluation load models.
    pub fn inference_model(&self) -> Recommender {
        self.model().valid().to_device(&reference_device())
    }
}

/// [`train_recommender`], choosing the step kept on `select` when given (see the module docs)
/// and distilling from `teacher` when given (`run.distill` says how).
#[allow(clippy::too_many_arguments)]
pub fn train_recommender_with(
    train: &StudyData,
    valid: &StudyData,
    select: Option<&StudyData>,
    vocab: &TitleVocab,
    run: &RecRunConfig,
    teacher: Option<&RecTeacher<'_>>,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(RecProgress),
) -> Result<Vec<StepRecord>, TrainError> {
    let mut stepper = RecStepper::new(train, vocab, run, teacher)?;
    let cfg = &run.train;
    let mut state = CheckpointState { step: 0, history: Vec::new(), selection: Selection::default() };

    let resumed = if resume { latest_checkpoint(out, |s: &CheckpointState| s.step) } else { None };
    if let Some((ckpt, saved)) = resumed {
        let mut saved_cfg: RecRunConfig = read_json(&out.join(CONFIG_FILE))?;
        saved_cfg.train.steps = cfg.steps;
        // Where the run goes on is not part of the model: a run started on a GPU may resume on
        // the CPU and back (the checkpoint's record is read onto this run's device).
        saved_cfg.train.backend = cfg.backend;
        saved_cfg.train.workers = cfg.workers;
        saved_cfg.train.devices = cfg.devices;
        if &saved_cfg != run {
            return Err(TrainError::Invalid(format!(
                "{}: was trained with a different configuration; resume needs the same one (only --steps, --device, --backend, --workers and --devices may change)",
                out.display()
            )));
        }
        let saved_vocab = TitleVocab::load(&out.join(VOCAB_FILE)).map_err(|e| TrainError::Invalid(e.to_string()))?;
        if &saved_vocab != vocab {
            return Err(TrainError::Invalid(format!(
                "{}: the training data gives another title vocabulary than the run started with; resume needs the same data",
                out.display()
            )));
        }
        let model = stepper.model.take().expect("fresh stepper");
        let optim = std::mem::replace(&mut stepper.optim, AdamWConfig::new().init());
        let (model, optim) = load_burn_checkpoint(model, optim, &ckpt)?;
        (stepper.model, stepper.optim) = (Some(model), optim);
        state = saved;
    } else {
        clear_run_outputs(out, &[MODEL_FILE, HISTORY_FILE, BEST_FILE, COREAD_FILE])?;
        write_run_file(out, CONFIG_FILE, &json_bytes(run))?;
        write_run_file(out, VOCAB_FILE, vocab.to_json().as_bytes())?;
        if let Some(table) = stepper.model().coread_table() {
            write_run_file(out, COREAD_FILE, &json_bytes(table.as_ref()))?;
        }
    }
    progress(RecProgress::Start { steps: cfg.steps, from: state.step });

    let seq_len = run.pack.seq_len();
    let (mut loss_sum, mut loss_n, mut window_rows, mut window_reads) = (0.0, 0usize, 0usize, 0usize);
    let mut window_start = Instant::now();
    while state.step < cfg.steps && !state.selection.stopped(cfg.patience) {
        if let Some(done) = stepper.step(state.step) {
            loss_sum += done.loss;
            loss_n += 1;
            let elapsed = window_start.elapsed().as_secs_f64().max(1e-9);
            window_rows += done.rows;
            window_reads += done.reads;
            progress(RecProgress::Step { step: state.step + 1, loss: done.loss, tokens_per_sec: (window_rows * seq_len) as f64 / elapsed });
        }
        state.step += 1;
        let last = state.step == cfg.steps;
        if state.step.is_multiple_of(cfg.eval_every) || last {
            let elapsed = window_start.elapsed().as_secs_f64().max(1e-9);
            let record = StepRecord {
                step: state.step,
                train_loss: loss_sum / loss_n.max(1) as f64,
                tokens_per_sec: (window_rows * seq_len) as f64 / elapsed,
                read_tokens_per_sec: window_reads as f64 / elapsed,
                valid: stepper.monitor(vocab, valid),
                select: select.and_then(|s| stepper.monitor(vocab, s)),
            };
            if let Some(sel) = &record.select
                && state.selection.score(state.step, sel.loss)
            {
                // Written before the checkpoint that records it: a resume replays the steps
                // after its checkpoint exactly, so it writes the same file again.
                write_run_file(out, BEST_FILE, &record_bytes(&stepper.inference_model())?)?;
            }
            state.history.push(record.clone());
            progress(RecProgress::Record(record));
            (loss_sum, loss_n, window_rows, window_reads) = (0.0, 0, 0, 0);
            if let (true, Some(kept)) = (state.selection.stopped(cfg.patience) && !last, state.selection.best) {
                progress(RecProgress::Stopped { step: state.step, kept });
            }
        }
        let last = last || state.selection.stopped(cfg.patience);
        if state.step.is_multiple_of(cfg.save_every) || last {
            save_checkpoint(out, stepper.model(), &stepper.optim, &state)?;
        }
        if state.step.is_multiple_of(cfg.eval_every) || last {
            // Checkpoint and evaluation time is not training time.
            window_start = Instant::now();
        }
    }
    // Chosen after training on the selection classrooms: the co-read boost, then the
    // continuation shift (each moves only what the other does not read).
    let calibrated = match select {
        Some(select) if run.model.coread || run.model.count_features => {
            let mut model = match state.selection.best {
                Some(_) => load_record(stepper.inference_model(), &out.join(BEST_FILE))?,
                None => stepper.inference_model(),
            };
            if let Some(choice) = choose_coread_boost(&model, &run.model, select, &reference_device()) {
                progress(RecProgress::Coread(choice));
                model = model.with_coread_boost(choice.boost);
            }
            if let Some(choice) = choose_continuation(&model, &run.model, select, &reference_device()) {
                progress(RecProgress::Continuation(choice));
                model = model.with_continuation_shift(choice.shift);
            }
            Some(model)
        }
        _ => None,
    };
    let kept = match (calibrated, state.selection.best) {
        (Some(model), _) => record_bytes(&model)?,
        (None, Some(_)) => read_bytes(&out.join(BEST_FILE))?,
        (None, None) => record_bytes(&stepper.inference_model())?,
    };
    write_run_file(out, MODEL_FILE, &kept)?;
    write_run_file(out, HISTORY_FILE, &json_bytes(&state.history))?;
    Ok(state.history)
}

#[cfg(test)]
mod tests {
    use super::super::config::RecTrainConfig;
    use super::super::model::StudyModel;
    use super::*;
    use crate::models::study::net::RecommenderKind;
    use crate::sequences::study::PackConfig;
    use crate::sequences::study::build_study;
    use crate::sequences::study::test_data::synth_reads;
    use crate::synth::SynthConfig;
    use std::fs;

    #[test]
    fn step_rows_cover_every_row_once_per_epoch() {
        let mut seen: Vec<usize> = (0..5).flat_map(|s| step_rows(10, 2, 3, s)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(step_rows(10, 4, 3, 7), step_rows(10, 4, 3, 7));
        assert_ne!(step_rows(10, 4, 3, 0), step_rows(10, 4, 4, 0));
        assert_eq!(step_rows(3, 5, 1, 0).len(), 5, "a batch larger than the data wraps into the next epoch");
        assert!(step_rows(0, 5, 1, 0).is_empty());
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let c = RecTrainConfig { learning_rate: 1.0, warmup_steps: 10, ..Default::default() };
        assert!((c.lr_at(0) - 0.1).abs() < 1e-12);
        assert!((c.lr_at(9) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(39) - 0.5).abs() < 1e-12);
    }

    use crate::models::device::SEEDING;

    fn ctx(d: &StudyData) -> CountContext {
        CountContext::new(&d.seqs, &d.classrooms)
    }

    fn tiny() -> (TitleVocab, StudyData, RecRunConfig) {
        let data = synth_reads(&SynthConfig::small());
        let vocab = TitleVocab::from_training(&data, 50);
        let pack = PackConfig::new(24, 6).unwrap();
        let rows = build_study(&data, &vocab, &pack);
        let model = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, n_layers: 1, ..RecommenderConfig::new(RecommenderKind::Study, vocab.len()) };
        let train = RecTrainConfig { steps: 6, batch_size: 4, warmup_steps: 2, eval_every: 3, save_every: 2, learning_rate: 3e-3, ..Default::default() };
        (vocab, rows, RecRunConfig::new(model, pack, train))
    }

    #[test]
    fn training_lowers_the_loss_and_writes_the_model_directory() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, mut run) = tiny();
        run.train.steps = 30;
        run.train.eval_every = 15;
        let dir = tempfile::tempdir().unwrap();
        let history = train_recommender(&rows, &rows, &vocab, &run, dir.path(), false, &mut |_| {}).unwrap();
        let (first, last) = (history[0].valid.unwrap(), history.last().unwrap().valid.unwrap());
        assert!(last.loss < first.loss, "{first:?} -> {last:?}");
        let loaded = StudyModel::load(dir.path()).unwrap();
        assert_eq!((loaded.run, loaded.vocab), (run.clone(), vocab.clone()));
        let again = monitor(&loaded.model, &run.model, &vocab, &rows.rows, &ctx(&rows), 64, &reference_device()).unwrap();
        assert!((again.loss - last.loss).abs() < 1e-4, "the saved model is the final one");
        let ckpts = fs::read_dir(dir.path().join("checkpoints")).unwrap().count();
        assert_eq!(ckpts, 2, "the newest two checkpoints are kept");
    }

    #[test]
    fn a_coread_model_writes_its_table_and_reads_it_back() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, mut run) = tiny();
        run.model.coread = true;
        let dir = tempfile::tempdir().unwrap();
        let history = train_recommender(&rows, &rows, &vocab, &run, dir.path(), false, &mut |_| {}).unwrap();
        let loaded = StudyModel::load(dir.path()).unwrap();
        let table = loaded.model.coread_table().expect("the table is loaded with the model");
        assert_eq!(table.as_ref(), &fit_coread(&rows.seqs, &vocab), "the table of every training student");
        let ctx = CountContext::new(&rows.seqs, &rows.classrooms).for_model(&loaded.model);
        let again = monitor(&loaded.model, &run.model, &vocab, &rows.rows, &ctx, 64, &reference_device()).unwrap();
        assert!((again.loss - history.last().unwrap().valid.unwrap().loss).abs() < 1e-4, "the model scores as it did in training");
        fs::remove_file(dir.path().join(COREAD_FILE)).unwrap();
        let err = StudyModel::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains(COREAD_FILE), "{err}");
    }

    #[test]
    fn the_coread_boost_is_chosen_on_new_title_reads_from_no_boost() {
        let (vocab, rows, mut run) = tiny();
        // Untrained weights rank titles at random; the table ranks by what goes together, so
        // some boost must score better on the new-title reads, and none is worse than none.
        run.model.coread = true;
        let table = Arc::new(fit_coread(&rows.seqs, &vocab));
        let model = run.model.init(1, &reference_device()).with_coread_table(Some(table));
        let c = choose_coread_boost(&model, &run.model, &rows, &reference_device()).unwrap();
        assert!(c.reads > 0 && c.boost > 0.0 && c.score_after > c.score_before, "{c:?}");
        assert_eq!(model.coread_boost(), Some(0.0));
        let boosted = model.with_coread_boost(c.boost);
        assert_eq!(boosted.coread_boost(), Some(c.boost));
        let again = choose_coread_boost(&boosted, &run.model, &rows, &reference_device()).unwrap();
        assert_eq!(again, c, "the choice starts from no boost, whatever the model has");
        run.model.coread = false;
        let plain = run.model.init(1, &reference_device());
        assert!(choose_coread_boost(&plain, &run.model, &rows, &reference_device()).is_none());
    }

    #[test]
    fn the_continuation_shift_is_chosen_on_every_read_and_moves_only_continuing() {
        let (vocab, rows, mut run) = tiny();
        // Untrained weights rank continuing at random, while many generated reads continue the
        // title before: some shift up must score better, and none is worse than none.
        run.model.coread = true;
        let table = Arc::new(fit_coread(&rows.seqs, &vocab));
        let model = run.model.init(1, &reference_device()).with_coread_table(Some(table)).with_coread_boost(2.0);
        let c = choose_continuation(&model, &run.model, &rows, &reference_device()).unwrap();
        assert!(c.reads > 0 && c.shift > 0.0 && c.score_after > c.score_before, "{c:?}");
        // The ranks counted without re-running the model are those of the shifted model (one
        // read's tie may differ by float rounding).
        let shifted = model.clone().with_continuation_shift(c.shift);
        let again = choose_continuation(&shifted, &run.model, &rows, &reference_device()).unwrap();
        assert_eq!(again.reads, c.reads);
        assert!((again.score_before - c.score_after).abs() <= 1.0 / c.reads as f64, "{again:?} after {c:?}");
        // The app's lists (read titles left out) are the same with and without it.
        let pack = crate::sequences::study::PackConfig::new(24, 6).unwrap();
        let data = build_study(&synth_reads(&SynthConfig::small()), &vocab, &pack);
        let students: Vec<u32> = (0..10).collect();
        let options = crate::models::study::infer::NextOptions { n: 5, include_read: false, as_of: i64::MAX };
        let next = |m: &Recommender| crate::models::study::infer::recommend_next(m, &run.model, &vocab, &data, &students, &options, &reference_device());
        let titles = |r: Vec<crate::models::study::infer::NextRead>| {
            r.into_iter().map(|n| n.suggestions.into_iter().map(|s| s.title).collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        let before = titles(next(&model));
        assert!(!before.is_empty());
        assert_eq!(titles(next(&shifted)), before);
        run.model.count_features = false;
        let plain = run.model.init(1, &reference_device());
        assert!(choose_continuation(&plain, &run.model, &rows, &reference_device()).is_none());
    }

    #[test]
    fn resume_continues_exactly() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, run) = tiny();
        let full = tempfile::tempdir().unwrap();
        train_recommender(&rows, &rows, &vocab, &run, full.path(), false, &mut |_| {}).unwrap();
        // Stop after 4 steps (as a kill after the step-4 checkpoint would), then resume to 6.
        let part = tempfile::tempdir().unwrap();
        let short = RecRunConfig { train: RecTrainConfig { steps: 4, ..run.train }, ..run.clone() };
        train_recommender(&rows, &rows, &vocab, &short, part.path(), false, &mut |_| {}).unwrap();
        let mut from = None;
        let resumed = train_recommender(&rows, &rows, &vocab, &run, part.path(), true, &mut |p| {
            if let RecProgress::Start { from: f, .. } = p {
                from = Some(f);
            }
        })
        .unwrap();
        assert_eq!(from, Some(4));
        // Record bytes carry random parameter ids, so compare what the models compute.
        let eval = |d: &Path| monitor(&StudyModel::load(d).unwrap().model, &run.model, &vocab, &rows.rows, &ctx(&rows), 64, &reference_device()).unwrap();
        let (a, b) = (eval(full.path()), eval(part.path()));
        assert!((a.loss - b.loss).abs() < 1e-6 && a.hits_at_5 == b.hits_at_5, "same weights as the uninterrupted run: {a:?} vs {b:?}");
        // The short run recorded steps 3 and its last, 4; the resumed one adds 6.
        assert_eq!(resumed.iter().map(|r| r.step).collect::<Vec<_>>(), [3, 4, 6]);
        // A different configuration is refused.
        let other = RecRunConfig { train: RecTrainConfig { learning_rate: 1e-2, ..run.train }, ..run.clone() };
        let err = train_recommender(&rows, &rows, &vocab, &other, part.path(), true, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("different configuration"), "{err}");
        // Another backend is not another configuration: the run goes on where it stopped.
        let elsewhere = RecTrainConfig { steps: 8, backend: crate::models::device::BurnBackend::Ndarray, ..run.train };
        let moved = train_recommender(&rows, &rows, &vocab, &RecRunConfig { train: elsewhere, ..run.clone() }, part.path(), true, &mut |_| {}).unwrap();
        assert_eq!(moved.last().map(|r| r.step), Some(8));
    }

    #[test]
    fn selection_keeps_the_lowest_loss_and_counts_scores_since() {
        let mut s = Selection::default();
        assert!(s.score(10, 3.0) && s.score(20, 2.5));
        assert!(!s.score(30, 2.5), "a tie is not an improvement");
        assert!(!s.score(40, 2.7));
        assert_eq!((s.best, s.since_best), (Some(Kept { step: 20, loss: 2.5 }), 2));
        assert!(s.stopped(2) && !s.stopped(3) && !s.stopped(0), "patience 0 never stops");
        assert!(s.score(50, 1.0) && !s.stopped(1));
    }

    #[test]
    fn selection_keeps_the_best_step_and_stops_itself() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, mut run) = tiny();
        // Other classrooms of the same world to choose on; a high rate over-fits the tiny data.
        let other = synth_reads(&SynthConfig { seed: 99, ..SynthConfig::small() });
        let select = build_study(&other, &vocab, &run.pack);
        run.train = RecTrainConfig { steps: 300, eval_every: 5, save_every: 5, patience: 3, learning_rate: 3e-2, select_frac: 0.1, ..run.train };
        let dir = tempfile::tempdir().unwrap();
        let (mut stopped, mut shift) = (None, None);
        let history = train_recommender_with(&rows, &rows, Some(&select), &vocab, &run, None, dir.path(), false, &mut |p| match p {
            RecProgress::Stopped { step, kept } => stopped = Some((step, kept)),
            RecProgress::Continuation(c) => shift = Some(c.shift),
            _ => {}
        })
        .unwrap();
        let losses: Vec<(usize, f64)> = history.iter().map(|r| (r.step, r.select.unwrap().loss)).collect();
        let best = *losses.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        let (at, kept) = stopped.expect("the selection loss stopped improving before step 300");
        assert_eq!((kept.step, kept.loss), best, "the lowest selection loss is kept");
        assert_eq!(at, best.0 + 3 * 5, "stopped three scores after the best");
        assert_eq!(history.last().unwrap().step, at);
        // model.bpk holds the kept step's weights, not the last step's, with the continuation
        // shift chosen after training on top.
        let loaded = StudyModel::load(dir.path()).unwrap();
        let shift = shift.expect("a continuation shift is chosen on the selection classrooms");
        let unshifted = loaded.model.clone().with_continuation_shift(-shift);
        let again = monitor(&unshifted, &run.model, &vocab, &select.rows, &ctx(&select), 64, &reference_device()).unwrap();
        assert!((again.loss - kept.loss).abs() < 1e-4, "{} vs {}", again.loss, kept.loss);
        // Without selection data nothing is kept early: the last step's weights, all steps.
        run.train.steps = 20;
        let plain = train_recommender(&rows, &rows, &vocab, &run, dir.path(), false, &mut |_| {}).unwrap();
        assert_eq!(plain.last().unwrap().step, 20);
        assert!(!dir.path().join(BEST_FILE).exists(), "a fresh run removes the earlier run's best weights");
    }

    #[test]
    fn data_without_targets_is_refused() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, run) = tiny();
        let lonely = StudyData { rows: rows.rows.iter().map(|r| r.without_targets()).collect(), ..rows.clone() };
        let dir = tempfile::tempdir().unwrap();
        let err = train_recommender(&lonely, &rows, &vocab, &run, dir.path(), false, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("nothing to learn"), "{err}");
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
    }

    /// The small run with dropout off (each backend or thread would draw its own masks) and
    /// the co-read channel on: runs that differ only in where they compute compute the same
    /// function.
    fn same_function_setup() -> (TitleVocab, StudyData, RecRunConfig) {
        let (vocab, rows, mut run) = tiny();
        run.model.dropout = 0.0;
        run.model.coread = true;
        (vocab, rows, run)
    }

    /// `steps` training losses and the held-out loss after them, from fixed starting weights.
    /// burn draws a parameter's initial value lazily, on the device that first uses it and from
    /// that device's generator: every run compared starts from these weights, drawn on Flex.
    fn loss_curve(vocab: &TitleVocab, rows: &StudyData, run: &RecRunConfig, steps: usize) -> (Vec<f64>, f64) {
        loss_curve_on(vocab, rows, run, steps, &[])
    }

    /// [`loss_curve`] with `more` devices after the run's own (a data-parallel run over devices
    /// that [`BurnBackend::devices`](crate::models::device::BurnBackend::devices) would not list
    /// on this machine, such as a second wgpu device on lavapipe's one adapter).
    fn loss_curve_on(vocab: &TitleVocab, rows: &StudyData, run: &RecRunConfig, steps: usize, more: &[Device]) -> (Vec<f64>, f64) {
        let start = run.model.init(7, &crate::models::device::BurnBackend::Flex.device().autodiff());
        crate::models::device::draw_initial_weights(&start);
        let mut stepper = RecStepper::new(rows, vocab, run, None).unwrap();
        stepper.devices.extend(more.iter().map(|d| d.clone().autodiff()));
        let table = stepper.model().coread_table().cloned();
        stepper.model = Some(start.fork(&stepper.device).with_coread_table(table));
        let losses: Vec<f64> = (0..steps).filter_map(|step| stepper.step(step)).map(|s| s.loss).collect();
        (losses, stepper.monitor(vocab, rows).unwrap().loss)
    }

    /// Two loss curves of the same length whose every step agrees to 1e-4 (relative above 1).
    fn assert_same_curve(what: &str, expected: &[f64], got: &[f64]) {
        assert_eq!(expected.len(), got.len(), "{what}: {expected:?}\n{got:?}");
        for (step, (e, g)) in expected.iter().zip(got).enumerate() {
            assert!((e - g).abs() <= 1e-4 * e.abs().max(1.0), "{what}, step {step}: {e} vs {g}\n{expected:?}\n{got:?}");
        }
    }

    /// issue 18 item 3: STUDY on burn's wgpu runtime (lavapipe in CI) follows the Flex run's
    /// loss curve, with one worker and with two sharing the device. Dropout is off so both runs
    /// compute the same function (each backend draws its own masks); the weights start equal and
    /// the batches are the same seeded rows, so what is left is f32 rounding in different kernels.
    #[cfg(feature = "wgpu-train")]
    #[test]
    fn wgpu_training_follows_the_cpu_loss_curve() {
        use crate::models::device::BurnBackend;
        if crate::infer::webgpu::gpu_tests_skipped() {
            return;
        }
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, run) = same_function_setup();
        let curve = |backend: BurnBackend, workers: usize| {
            loss_curve(&vocab, &rows, &RecRunConfig { train: RecTrainConfig { backend, workers, ..run.train }, ..run.clone() }, 20)
        };
        let (cpu, cpu_valid) = curve(BurnBackend::Flex, 1);
        let (gpu, gpu_valid) = curve(BurnBackend::Wgpu, 1);
        // Two workers on the one device (two threads sharing the adapter) make the same update.
        let (gpu2, _) = curve(BurnBackend::Wgpu, 2);
        // So do two devices: burn's default wgpu device and its `Cpu` one are two wgpu devices
        // (two cubecl clients, each with its own memory) on lavapipe's one adapter. Each step's
        // second share runs on the second, its gradients moved to the first and added there.
        let second = Device::wgpu(burn::tensor::DeviceKind::Cpu);
        let two_devices = RecRunConfig { train: RecTrainConfig { backend: BurnBackend::Wgpu, ..run.train }, ..run.clone() };
        let (gpus, gpus_valid) = loss_curve_on(&vocab, &rows, &two_devices, 20, &[second]);
        assert!(cpu.last() < cpu.first(), "the CPU run learns: {cpu:?}");
        let worst = cpu.iter().zip(&gpu).map(|(c, g)| (c - g).abs()).fold(0.0, f64::max);
        eprintln!("wgpu vs Flex over {} steps: largest loss difference {worst:.2e}; held-out {cpu_valid} vs {gpu_valid}", cpu.len());
        assert_same_curve("wgpu against Flex", &cpu, &gpu);
        assert_same_curve("two wgpu workers against Flex", &cpu, &gpu2);
        assert_same_curve("two wgpu devices against Flex", &cpu, &gpus);
        assert!((cpu_valid - gpu_valid).abs() <= 1e-4 * cpu_valid.max(1.0), "held-out loss: CPU {cpu_valid}, wgpu {gpu_valid}");
        assert!((cpu_valid - gpus_valid).abs() <= 1e-4 * cpu_valid.max(1.0), "held-out loss: CPU {cpu_valid}, two wgpu devices {gpus_valid}");
        // `--devices 2` lists discrete GPUs only: here (lavapipe) it says what the driver has.
        match BurnBackend::Wgpu.devices(2) {
            Ok(devices) => assert_eq!(devices.len(), 2),
            Err(e) => assert!(e.contains("needs 2 discrete GPUs"), "{e}"),
        }
    }

    /// Issue 18 item 3's "two devices match one on the same global batch", on the CPU: two
    /// workers (each a share of the step's rows on its own thread, gradients added) make the
    /// update one worker makes, up to f32 rounding. Dropout off, same starting weights.
    #[test]
    fn two_workers_make_the_one_worker_update() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (vocab, rows, run) = same_function_setup();
        let curve = |workers: usize| loss_curve(&vocab, &rows, &RecRunConfig { train: RecTrainConfig { workers, ..run.train }, ..run.clone() }, 12);
        let (one, one_valid) = curve(1);
        let (two, two_valid) = curve(2);
        let (three, _) = curve(3);
        assert!(one.last() < one.first(), "the run learns: {one:?}");
        assert_same_curve("two workers against one", &one, &two);
        assert_same_curve("three workers against one", &one, &three);
        assert!((one_valid - two_valid).abs() <= 1e-4 * one_valid.max(1.0), "held-out loss: {one_valid} vs {two_valid}");
        assert!(RecTrainConfig { workers: 0, ..run.train }.validate().is_err());
        assert!(RecTrainConfig { devices: 0, ..run.train }.validate().is_err());
        // A CPU backend is one device: more is refused at the start, pointing at --workers.
        let err =
            RecStepper::new(&rows, &vocab, &RecRunConfig { train: RecTrainConfig { devices: 2, ..run.train }, ..run.clone() }, None).err().expect("refused");
        assert!(err.to_string().contains("--workers 2"), "{err}");
    }
}
