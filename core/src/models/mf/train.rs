//! Training matrix factorisation (MSE or BPR) with burn's autodiff and Adam: whole batches from
//! [`BatchSampler`], a checkpoint per epoch, exact resume after a kill, the held-out report after
//! every epoch, and the time split between sampling and computing that `bench sampler` reports.
//!
//! With a teacher ([`MfTeacher`]) the same loop is the distillation notebook's: the student's BPR
//! differences are pulled towards the teacher's on the same (user, positive, negative) triples.
//!
//! A model directory holds `config.json` ([`MfRunConfig`]), `ids.json` (the student and item ids
//! the factor rows stand for), `model.bpk`, `history.json` and `checkpoints/epoch-NNNN/`.

use std::path::Path;
use web_time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::models::device::reference_device;
use crate::models::mf::{Mf, MfBatchTensors, MfConfig, MfEvaluation, MfLoss, MfWeights, evaluate_mf};
use crate::runs::{CONFIG_FILE, HISTORY_FILE, MODEL_FILE, create_run_dir, write_run_file};
use crate::runs::{
    TrainError, clear_run_outputs, json_bytes, latest_checkpoint, load_burn_checkpoint, load_record, read_json, record_bytes, save_burn_checkpoint,
};
use crate::sequences::mf::{BatchSampler, MfSplit, RatingKind};

pub const IDS_FILE: &str = "ids.json";
use crate::runs::MF_FORMAT as FORMAT;

/// How a batch becomes tensors: the vectorised sampler, or the reference notebook's one-example-at-a-time
/// loader (kept only so `bench sampler` can measure the difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loader {
    #[default]
    Batch,
    PerItem,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MfTrainConfig {
    pub loss: MfLoss,
    pub rating: RatingKind,
    pub test_frac: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// L2 on the factors a batch touches, `l2 · mean ‖p_u‖² + ‖q_i‖²`.
    pub l2: f64,
    pub seed: u64,
    /// The k of Recall@k and NDCG@k.
    pub k: usize,
    #[serde(default)]
    pub loader: Loader,
    /// Another burn backend than the trainer's own (NdArray), e.g. a GPU's (`--device wgpu`).
    /// Not part of the model: a resume may change it; left out of `config.json` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<crate::models::device::BurnBackend>,
}

impl Default for MfTrainConfig {
    fn default() -> Self {
        Self {
            loss: MfLoss::Bpr,
            rating: RatingKind::Implicit,
            test_frac: 0.2,
            epochs: 20,
            batch_size: 1024,
            learning_rate: 5e-3,
            l2: 1e-4,
            seed: 0,
            k: 10,
            loader: Loader::Batch,
            backend: None,
        }
    }
}

impl MfTrainConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.epochs == 0 || self.batch_size == 0 || self.k == 0 {
            return Err("--epochs, --batch-size and --k must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!("--lr must be positive, got {}", self.learning_rate));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(format!("--l2 must be at least 0, got {}", self.l2));
        }
        Ok(())
    }
}

/// Distillation settings, recorded in the student's `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfDistillConfig {
    pub teacher: String,
    pub temperature: f64,
    pub alpha: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfRunConfig {
    pub format: String,
    pub model: MfConfig,
    pub train: MfTrainConfig,
    /// The data file's name, for people (the ids file is what is checked).
    pub data: String,
    #[serde(default)]
    pub distill: Option<MfDistillConfig>,
}

impl MfRunConfig {
    pub fn new(model: MfConfig, train: MfTrainConfig, data: String) -> Self {
        Self { format: FORMAT.into(), model, train, data, distill: None }
    }
}

/// The external ids of the factor rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MfIds {
    pub students: Vec<String>,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MfEpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub seconds: f64,
    /// Drawing batches and turning them into tensors (the "data loader" share).
    pub sample_seconds: f64,
    /// Forward, backward and the optimizer step.
    pub compute_seconds: f64,
    pub test: MfEvaluation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    history: Vec<MfEpochRecord>,
}

#[derive(Debug, Clone)]
pub enum MfProgress {
    Resumed { epoch: usize },
    Epoch { epoch: usize, epochs: usize, batches: usize },
    Batch { batch: usize, loss: f64 },
    EpochEnd(MfEpochRecord),
}

/// A trained model whose outputs a student learns from.
pub struct MfTeacher<'a> {
    pub weights: &'a MfWeights,
    pub config: MfDistillConfig,
}

/// Trains on `split.train`, reporting `split.test` after every epoch, and writes `out`.
pub fn train_mf(
    split: &MfSplit,
    ids: &MfIds,
    run: &MfRunConfig,
    teacher: Option<&MfTeacher<'_>>,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(MfProgress),
) -> Result<Vec<MfEpochRecord>, TrainError> {
    let cfg = &run.train;
    cfg.validate().map_err(TrainError::Invalid)?;
    if split.train.is_empty() {
        return Err(TrainError::Invalid("no training cells".into()));
    }
    if run.model.n_users != split.train.n_users || run.model.n_items != split.train.n_items || run.model.dim == 0 {
        return Err(TrainError::Invalid("the model's shape does not fit the data (or --dim is 0)".into()));
    }
    if let Some(t) = teacher
        && (t.weights.config().n_users != run.model.n_users || t.weights.config().n_items != run.model.n_items)
    {
        return Err(TrainError::Invalid("the teacher was trained on other students or items: distil on the teacher's data".into()));
    }
    let device = cfg.backend.map_or_else(reference_device, |b| b.device()).autodiff();
    let mean = if cfg.loss == MfLoss::Mse { split.train.mean_rating() } else { 0.0 };
    let mut model = run.model.init(cfg.seed, mean, &device);
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let mut state = CheckpointState { epoch: 0, history: Vec::new() };
    create_run_dir(out)?;
    let resumed = if resume { latest_checkpoint(out, |s: &CheckpointState| s.epoch) } else { None };
    if let Some((ckpt, saved)) = resumed {
        let mut saved_cfg: MfRunConfig = read_json(&out.join(CONFIG_FILE))?;
        saved_cfg.train.epochs = cfg.epochs;
        saved_cfg.train.backend = cfg.backend;
        if &saved_cfg != run {
            return Err(TrainError::Invalid(format!(
                "{}: was trained with a different configuration; resume needs the same one (only --epochs and --device may change)",
                out.display()
            )));
        }
        let saved_ids: MfIds = read_json(&out.join(IDS_FILE))?;
        if &saved_ids != ids {
            return Err(TrainError::Invalid(format!(
                "{}: the data has other students or items than the run started with; resume needs the same data",
                out.display()
            )));
        }
        (model, optim) = load_burn_checkpoint(model, optim, &ckpt)?;
        state = saved;
        progress(MfProgress::Resumed { epoch: state.epoch });
    } else {
        clear_run_outputs(out, &[MODEL_FILE, HISTORY_FILE])?;
        write_run_file(out, CONFIG_FILE, &json_bytes(run))?;
        write_run_file(out, IDS_FILE, &json_bytes(ids))?;
    }
    let negatives = cfg.loss == MfLoss::Bpr;
    for epoch in state.epoch + 1..=cfg.epochs {
        let started = Instant::now();
        let mut sampler = BatchSampler::new(&split.train, cfg.batch_size, negatives, cfg.seed, epoch);
        progress(MfProgress::Epoch { epoch, epochs: cfg.epochs, batches: sampler.batches() });
        let (mut sample_s, mut compute_s, mut loss_sum, mut batches) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        loop {
            let t0 = Instant::now();
            let Some(batch) = sampler.next() else { break };
            let x = match cfg.loader {
                Loader::Batch => MfBatchTensors::new(&batch, &device),
                Loader::PerItem => MfBatchTensors::per_item(&batch, &device),
            };
            // The teacher's outputs for the same rows (plain arrays, no graph).
            let soft = teacher.map(|t| {
                let w = t.weights;
                let v: Vec<f32> = (0..batch.users.len())
                    .map(|k| {
                        let (u, i) = (batch.users[k] as u32, batch.items[k] as u32);
                        if negatives { w.score(u, i) - w.score(u, batch.negatives[k] as u32) } else { w.score(u, i) }
                    })
                    .collect();
                (Tensor::<1>::from_data(TensorData::new(v, [batch.users.len()]), &device), t.config.temperature, t.config.alpha)
            });
            let t1 = Instant::now();
            let loss = model.loss(&x, cfg.loss, cfg.l2, soft.as_ref().map(|(t, temp, a)| (t, *temp, *a)));
            let value = loss.clone().into_scalar::<f32>() as f64;
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!("loss became {value} at epoch {epoch}, batch {batches}: lower the learning rate")));
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(cfg.learning_rate, model, grads);
            let t2 = Instant::now();
            sample_s += (t1 - t0).as_secs_f64();
            compute_s += (t2 - t1).as_secs_f64();
            loss_sum += value;
            batches += 1;
            progress(MfProgress::Batch { batch: batches, loss: value });
        }
        let seconds = started.elapsed().as_secs_f64();
        let weights = MfWeights::from_model(&model.valid());
        let test = evaluate_mf(&weights, &split.train, &split.test, cfg.k);
        let record = MfEpochRecord { epoch, train_loss: loss_sum / batches.max(1) as f64, seconds, sample_seconds: sample_s, compute_seconds: compute_s, test };
        state.epoch = epoch;
        state.history.push(record);
        save_checkpoint(out, &model.valid(), &optim, &state)?;
        progress(MfProgress::EpochEnd(record));
    }
    write_run_file(out, MODEL_FILE, &record_bytes(&model.valid())?)?;
    write_run_file(out, HISTORY_FILE, &json_bytes(&state.history))?;
    Ok(state.history)
}

fn save_checkpoint(out: &Path, model: &Mf, optim: &ModuleOptimizer, state: &CheckpointState) -> Result<(), TrainError> {
    save_burn_checkpoint(out, &format!("epoch-{:04}", state.epoch), model, optim, state)
}

/// A trained MF directory, loaded.
#[derive(Debug)]
pub struct MfModelDir {
    pub run: MfRunConfig,
    pub ids: MfIds,
    pub model: Mf,
    pub history: Vec<MfEpochRecord>,
}

impl MfModelDir {
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let run: MfRunConfig = read_json(&dir.join(CONFIG_FILE))?;
        if run.format != FORMAT {
            return Err(TrainError::Corrupt {
                path: dir.join(CONFIG_FILE).display().to_string(),
                message: format!("not a {FORMAT} model (found {})", run.format),
            });
        }
        let ids: MfIds = read_json(&dir.join(IDS_FILE))?;
        if ids.students.len() != run.model.n_users || ids.items.len() != run.model.n_items {
            return Err(TrainError::Corrupt { path: dir.join(IDS_FILE).display().to_string(), message: "the ids do not match the model's shape".into() });
        }
        let model = load_record(run.model.init(0, 0.0, &reference_device()), &dir.join(MODEL_FILE))?;
        let history = read_json(&dir.join(HISTORY_FILE)).unwrap_or_default();
        Ok(Self { run, ids, model, history })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::mf::{Cell, Ratings};

    /// Two groups of users who like two disjoint halves of the items; the newest item of each user
    /// is held out, so a model that learns the groups ranks it high.
    fn grouped() -> (MfSplit, MfIds) {
        let (users, items) = (40u32, 20u32);
        let mut train = Vec::new();
        let mut test = Vec::new();
        for u in 0..users {
            let base = if u % 2 == 0 { 0 } else { items / 2 };
            for k in 0..items / 2 {
                let cell = Cell { user: u, item: base + k, rating: 1.0 };
                if k == (u / 2) % (items / 2) {
                    test.push(cell)
                } else if (k + u) % 3 != 0 {
                    train.push(cell)
                }
            }
        }
        let split = MfSplit {
            train: Ratings::from_cells(users as usize, items as usize, &train),
            test: Ratings::from_cells(users as usize, items as usize, &test),
            cold_items_dropped: 0,
            users_without_test: 0,
        };
        let ids = MfIds { students: (0..users).map(|u| u.to_string()).collect(), items: (0..items).map(|i| format!("i{i}")).collect() };
        (split, ids)
    }

    fn run(epochs: usize) -> MfRunConfig {
        let train = MfTrainConfig { epochs, batch_size: 64, learning_rate: 0.05, l2: 1e-4, k: 5, ..Default::default() };
        MfRunConfig::new(MfConfig { n_users: 40, n_items: 20, dim: 4 }, train, "grouped".into())
    }

    #[test]
    fn bpr_learns_the_groups_and_resumes_exactly() {
        let (split, ids) = grouped();
        let dir = tempfile::tempdir().unwrap();
        let full = train_mf(&split, &ids, &run(8), None, dir.path(), false, &mut |_| {}).unwrap();
        let last = full.last().unwrap().test;
        // Chance is about 5 / 14 of the unmasked items; the groups put the held-out item in the top 5.
        assert!(last.recall > 0.8, "{last:?}");
        assert!(full.iter().all(|r| r.sample_seconds >= 0.0 && r.compute_seconds > 0.0));
        // Killed after epoch 5, resumed to 8: the same weights as the uninterrupted run.
        let part = tempfile::tempdir().unwrap();
        train_mf(&split, &ids, &run(5), None, part.path(), false, &mut |_| {}).unwrap();
        let resumed = train_mf(&split, &ids, &run(8), None, part.path(), true, &mut |_| {}).unwrap();
        assert_eq!(resumed.len(), 8);
        let (a, b) = (MfModelDir::load(dir.path()).unwrap(), MfModelDir::load(part.path()).unwrap());
        assert_eq!(MfWeights::from_model(&a.model), MfWeights::from_model(&b.model));
        // Another configuration is refused.
        let mut other = run(9);
        other.train.learning_rate = 0.01;
        let err = train_mf(&split, &ids, &other, None, part.path(), true, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("different configuration"), "{err}");
    }

    #[test]
    fn a_distilled_student_moves_towards_its_teacher() {
        let (split, ids) = grouped();
        let dir = tempfile::tempdir().unwrap();
        train_mf(&split, &ids, &run(8), None, dir.path(), false, &mut |_| {}).unwrap();
        let teacher = MfWeights::from_model(&MfModelDir::load(dir.path()).unwrap().model);
        let mut student_run = run(3);
        student_run.model.dim = 2;
        let alone_dir = tempfile::tempdir().unwrap();
        train_mf(&split, &ids, &student_run, None, alone_dir.path(), false, &mut |_| {}).unwrap();
        let t = MfTeacher { weights: &teacher, config: MfDistillConfig { teacher: "t".into(), temperature: 1.0, alpha: 0.9 } };
        let kd_dir = tempfile::tempdir().unwrap();
        train_mf(&split, &ids, &student_run, Some(&t), kd_dir.path(), false, &mut |_| {}).unwrap();
        // Agreement with the teacher's BPR differences, score(u, i) − score(u, j), on the training cells.
        let gap = |w: &MfWeights| -> f64 {
            let tr = &split.train;
            let diff = |m: &MfWeights, c: usize| m.score(tr.users[c], tr.items[c]) - m.score(tr.users[c], (tr.items[c] + 7) % 20);
            (0..tr.len()).map(|c| ((diff(w, c) - diff(&teacher, c)) as f64).powi(2)).sum::<f64>()
        };
        let alone = MfWeights::from_model(&MfModelDir::load(alone_dir.path()).unwrap().model);
        let kd = MfWeights::from_model(&MfModelDir::load(kd_dir.path()).unwrap().model);
        assert!(gap(&kd) < gap(&alone), "distilled {} vs alone {}", gap(&kd), gap(&alone));
    }
}
