//! Training and evaluating DKT: seeded shuffles, Adam, a checkpoint per epoch, resume after a
//! kill, best-on-validation model selection.
//!
//! Resuming is exact: epoch `e` cuts its windows (when they are shifted) and shuffles them with
//! generators seeded from `(seed, e)`, and the optimizer's moments are checkpointed, so a run killed after epoch 3 and resumed ends with the
//! same weights as an uninterrupted one.

use std::path::Path;
use web_time::Instant;

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use super::config::{DktRunConfig, DktTrainConfig, Engine, MultiSkillLoss};
use crate::metrics::ranking::auc;
use crate::metrics::{BinaryReport, binary_report};
use crate::models::device::reference_device;
use crate::models::dkt::fused::{Adam, Distill, FactoredInput, InputFactors, loss_and_grads_with};
use crate::models::dkt::kernel::DktWeights;
use crate::models::dkt::model::DktModel;
use crate::models::dkt::net::{Dkt, DktConfig, KtBatchTensors};
use crate::models::lstm_math::sigmoid;
pub use crate::runs::TrainError;
use crate::runs::{CONFIG_FILE, HISTORY_FILE, MODEL_FILE, PROBLEMS_FILE, SKILLS_FILE, create_run_dir, read_bytes, write_run_file};
use crate::runs::{clear_run_outputs, epoch_order, json_bytes, latest_checkpoint, load_record, prune_checkpoints, read_json, record_bytes};
use crate::sequences::kt::{KtBatch, KtSequence, KtStep, ProblemVocab, Scoring, SkillVocab, Window, epoch_windows, scored_pieces, windows};

/// A factorised run's input factors and their moments, in each checkpoint.
const INPUT_FACTORS_FILE: &str = "input_factors.json";

/// The state that changes during training, for either engine.
enum Trainer {
    Fused { w: DktWeights, adam: Adam, input: Option<FactoredInput> },
    Burn { model: Dkt, optim: ModuleOptimizer, device: Device },
}

impl Trainer {
    fn new(cfg: &DktTrainConfig, dkt: DktConfig) -> Self {
        match cfg.engine {
            Engine::Fused => {
                let mut w = DktWeights::from_model(&dkt.init(cfg.seed, &reference_device()));
                let input = (cfg.embed > 0).then(|| FactoredInput::new(InputFactors::init(dkt, cfg.embed, cfg.seed), &mut w));
                Trainer::Fused { adam: Adam::new(&w), w, input }
            }
            engine => {
                let backend = engine.burn_backend().expect("every other engine is burn's");
                let device = backend.device().autodiff();
                // PyTorch's epsilon, so both engines run the same optimizer.
                Trainer::Burn { model: dkt.init(cfg.seed, &device), optim: AdamConfig::new().with_epsilon(1e-8).init(), device }
            }
        }
    }

    /// One optimizer step on `windows`; returns the batch's mean loss and the seconds spent
    /// turning the windows into tensors (the burn engines' loader; the fused engine reads the
    /// sequences in place).
    fn step(
        &mut self,
        seqs: &[KtSequence],
        windows: &[Window],
        lr: f64,
        problem_decay: f64,
        distill: Option<Distill<'_>>,
        multi: MultiSkillLoss,
    ) -> (f64, f64) {
        match self {
            Trainer::Fused { w, adam, input } => {
                let mut g = loss_and_grads_with(w, seqs, windows, distill, multi);
                if let Some(input) = input {
                    input.step(adam, w, &mut g.grads, lr);
                }
                adam.update(w, &g.grads, lr);
                if problem_decay > 0.0 {
                    let keep = (1.0 - lr * problem_decay) as f32;
                    let [.., difficulty, scale, _] = w.params_mut();
                    difficulty.iter_mut().chain(scale.iter_mut()).for_each(|x| *x *= keep);
                }
                (g.loss_sum / g.weight_sum.max(f64::MIN_POSITIVE), 0.0)
            }
            Trainer::Burn { model, optim, device } => {
                let t0 = Instant::now();
                let x = KtBatchTensors::new(&KtBatch::new(seqs, windows), device);
                let loading = t0.elapsed().as_secs_f64();
                let loss = model.loss(&x);
                let value = loss.clone().into_scalar::<f32>() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), model);
                *model = optim.step(lr, model.clone(), grads);
                (value, loading)
            }
        }
    }

    fn weights(&self) -> DktWeights {
        match self {
            Trainer::Fused { w, .. } => w.clone(),
            Trainer::Burn { model, .. } => DktWeights::from_model(model),
        }
    }

    /// Model and optimizer files of a checkpoint; returns the optimizer step to remember.
    fn save(&self, dir: &Path) -> Result<u64, TrainError> {
        let write = |name: &str, bytes: &[u8]| write_run_file(dir, name, bytes);
        write(MODEL_FILE, &record_bytes(&self.weights().to_module(&reference_device()))?)?;
        match self {
            Trainer::Fused { adam, input, .. } => {
                write("adam_m.bpk", &record_bytes(&adam.m.to_module(&reference_device()))?)?;
                write("adam_v.bpk", &record_bytes(&adam.v.to_module(&reference_device()))?)?;
                if let Some(input) = input {
                    write(INPUT_FACTORS_FILE, &serde_json::to_vec(input).expect("plain data serializes"))?;
                }
                Ok(adam.step)
            }
            Trainer::Burn { optim, .. } => {
                let bytes = optim.into_bytes().map_err(|e| TrainError::Invalid(format!("cannot serialize optimizer: {e:?}")))?;
                write("optim.bpk", &bytes)?;
                Ok(0)
            }
        }
    }

    fn load(self, dir: &Path, optimizer_step: u64) -> Result<Self, TrainError> {
        let dev = reference_device();
        let read_w = |name: &str, like: &DktWeights| -> Result<DktWeights, TrainError> {
            Ok(DktWeights::from_model(&load_record(like.to_module(&dev), &dir.join(name))?))
        };
        Ok(match self {
            Trainer::Fused { w, adam, input } => {
                let embed = input.as_ref().map_or(0, |f| f.factors.embed());
                let w = read_w(MODEL_FILE, &w)?;
                let adam = Adam { m: read_w("adam_m.bpk", &adam.m)?, v: read_w("adam_v.bpk", &adam.v)?, step: optimizer_step, ..adam };
                let input = match input {
                    None => None,
                    Some(_) => {
                        let path = dir.join(INPUT_FACTORS_FILE);
                        let input: FactoredInput = read_json(&path)?;
                        let config = w.config();
                        let corrupt = |message: String| TrainError::Corrupt { path: path.display().to_string(), message };
                        for f in [&input.factors, &input.m, &input.v] {
                            f.check(config, embed).map_err(corrupt)?;
                        }
                        Some(input)
                    }
                };
                Trainer::Fused { w, adam, input }
            }
            Trainer::Burn { model, optim, device } => {
                let model = load_record(model, &dir.join(MODEL_FILE))?;
                let path = dir.join("optim.bpk");
                let bytes = read_bytes(&path)?;
                let optim = optim
                    .from_bytes(Bytes::from_bytes_vec(bytes))
                    .map_err(|e| TrainError::Corrupt { path: path.display().to_string(), message: format!("{e:?}") })?;
                Trainer::Burn { model, optim, device }
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub seconds: f64,
    /// Of `seconds`, the time spent drawing batches (the epoch's shuffle, picking windows, and
    /// for the burn engines building their tensors): what `bench sampler` reports. Absent in
    /// histories written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_seconds: Option<f64>,
    pub valid: Option<BinaryReport>,
}

/// Checkpoint metadata; written last, so its presence marks a complete checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    #[serde(default)]
    optimizer_step: u64,
    best_epoch: Option<usize>,
    best_auc: Option<f64>,
    history: Vec<EpochRecord>,
}

#[derive(Debug, Clone)]
pub enum Progress {
    EpochStart { epoch: usize, epochs: usize, batches: usize },
    Batch { batch: usize, loss: f64, steps_per_sec: f64 },
    EpochEnd(EpochRecord),
    Resumed { epoch: usize },
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainOutcome {
    pub history: Vec<EpochRecord>,
    pub best_epoch: Option<usize>,
}

/// Trains DKT on `train`, selecting the epoch with the best AUC on `valid` (the last epoch when
/// `valid` is empty), and writes `config.json`, `skills.json`, `model.bpk`, `history.json` and
/// `checkpoints/` into `out`. With `resume`, continues from the newest complete checkpoint.
#[allow(clippy::too_many_arguments)]
pub fn train_dkt(
    train: &[KtSequence],
    valid: &[KtSequence],
    vocab: &SkillVocab,
    problems: &ProblemVocab,
    cfg: &DktTrainConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutcome, TrainError> {
    train_dkt_with(train, valid, vocab, problems, cfg, None, out, resume, progress)
}

/// One DKT training run as a stepper: each [`DktFit::step`] is one optimizer step (one batch),
/// so a caller that must stay responsive (the browser, which yields to its event loop between
/// steps) and the CLI (which writes a checkpoint at each epoch's end, [`train_dkt_with`]) drive
/// the same code: the same seeded shuffles, the same Adam, the same best-on-validation choice.
/// Files are the caller's business; the stepper only keeps the best epoch's weights.
pub struct DktFit<'a> {
    train: &'a [KtSequence],
    valid: &'a [KtSequence],
    vocab: &'a SkillVocab,
    problems: &'a ProblemVocab,
    cfg: DktTrainConfig,
    run_cfg: DktRunConfig,
    distill: Option<Distill<'a>>,
    trainer: Trainer,
    state: CheckpointState,
    windows: Vec<Window>,
    epoch: Option<EpochRun>,
    best: Option<DktWeights>,
}

/// The epoch being trained.
struct EpochRun {
    epoch: usize,
    order: Vec<usize>,
    next_batch: usize,
    started: Instant,
    loss_sum: f64,
    loss_n: usize,
    sample_seconds: f64,
}

/// What one [`DktFit::step`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum FitStep {
    /// Trained one batch of the epoch under way.
    Batch,
    /// Trained an epoch's last batch and scored `valid`; `improved` when it is the new best.
    EpochEnd { improved: bool },
    /// Every epoch is trained; nothing was done.
    Finished,
}

impl<'a> DktFit<'a> {
    /// Checks the data and settings and initialises the model (seeded by `cfg.seed`).
    pub fn new(
        train: &'a [KtSequence],
        valid: &'a [KtSequence],
        vocab: &'a SkillVocab,
        problems: &'a ProblemVocab,
        cfg: &DktTrainConfig,
        teacher: Option<&'a DktWeights>,
    ) -> Result<Self, TrainError> {
        let distill = match (teacher, &cfg.distill) {
            (None, None) => None,
            (Some(t), Some(d)) => {
                if t.config().n_skills != vocab.len() {
                    return Err(TrainError::Invalid(format!(
                        "the teacher knows {} skills, this data {}: distil on the teacher's data and split",
                        t.config().n_skills,
                        vocab.len()
                    )));
                }
                if cfg.engine != Engine::Fused {
                    return Err(TrainError::Invalid("distillation is implemented by the fused engine only".into()));
                }
                if !((0.0..=1.0).contains(&d.alpha) && d.temperature.is_finite() && d.temperature > 0.0) {
                    return Err(TrainError::Invalid(format!("--alpha must be in [0, 1] and --temperature positive (got {} and {})", d.alpha, d.temperature)));
                }
                Some(Distill { teacher: t, alpha: d.alpha as f32, temperature: d.temperature as f32 })
            }
            _ => return Err(TrainError::Invalid("a distilled run needs both a teacher and its settings".into())),
        };
        if vocab.is_empty() || train.is_empty() {
            return Err(TrainError::Invalid("no training data: no student has an answered, skill-tagged problem".into()));
        }
        if cfg.window < 2 || cfg.batch_size == 0 || cfg.hidden == 0 || cfg.epochs == 0 {
            return Err(TrainError::Invalid("window must be ≥ 2; batch size, hidden size and epochs > 0".into()));
        }
        if cfg.problem_decay > 0.0 && cfg.engine != Engine::Fused {
            return Err(TrainError::Invalid("problem decay is implemented by the fused engine only".into()));
        }
        if cfg.embed > 0 && cfg.engine != Engine::Fused {
            return Err(TrainError::Invalid("a factorised input (embed > 0) is implemented by the fused engine only".into()));
        }
        if cfg.multi_skill_loss != MultiSkillLoss::PerSkill && cfg.engine != Engine::Fused {
            return Err(TrainError::Invalid("the mean-probability loss for multi-skill steps is implemented by the fused engine only".into()));
        }
        if cfg.problem_aware && problems.is_empty() {
            return Err(TrainError::Invalid("a problem-aware model needs problem ids in the training data".into()));
        }
        let train_windows = windows(train, cfg.window);
        if train_windows.is_empty() {
            return Err(TrainError::Invalid(
                "no training data: every training student has fewer than two answers, so there is no next answer to predict".into(),
            ));
        }
        let dkt_cfg = DktConfig { n_skills: vocab.len(), hidden: cfg.hidden, n_problems: if cfg.problem_aware { problems.len() } else { 0 } };
        Ok(Self {
            train,
            valid,
            vocab,
            problems,
            run_cfg: DktRunConfig { model: "dkt".into(), dkt: dkt_cfg, train: cfg.clone() },
            cfg: cfg.clone(),
            distill,
            trainer: Trainer::new(cfg, dkt_cfg),
            state: CheckpointState { epoch: 0, optimizer_step: 0, best_epoch: None, best_auc: None, history: vec![] },
            windows: train_windows,
            epoch: None,
            best: None,
        })
    }

    /// Optimizer steps in one epoch (with shifted windows: the epoch under way, or the last cut).
    pub fn batches_per_epoch(&self) -> usize {
        self.windows.len().div_ceil(self.cfg.batch_size)
    }

    /// Optimizer steps in the whole run (an estimate with shifted windows, whose count varies by epoch).
    pub fn total_steps(&self) -> usize {
        self.batches_per_epoch() * self.cfg.epochs
    }

    /// The best validation AUC so far (the epoch whose model [`DktFit::best_model`] gives).
    pub fn best_valid_auc(&self) -> Option<f64> {
        self.state.best_auc
    }

    /// Trains the next batch (starting the next epoch when none is under way), reporting
    /// through `progress` as [`train_dkt`] does.
    pub fn step(&mut self, progress: &mut dyn FnMut(&Progress)) -> Result<FitStep, TrainError> {
        if self.epoch.is_none() {
            let epoch = self.state.epoch + 1;
            if epoch > self.cfg.epochs {
                return Ok(FitStep::Finished);
            }
            let started = Instant::now();
            if self.cfg.shift_windows {
                self.windows = epoch_windows(self.train, self.cfg.window, self.cfg.seed, epoch);
            }
            // After the cut: a shifted epoch has its own number of windows.
            progress(&Progress::EpochStart { epoch, epochs: self.cfg.epochs, batches: self.batches_per_epoch() });
            let order = epoch_order(self.windows.len(), self.cfg.seed, epoch);
            let sample_seconds = started.elapsed().as_secs_f64();
            self.epoch = Some(EpochRun { epoch, order, next_batch: 0, started, loss_sum: 0.0, loss_n: 0, sample_seconds });
        }
        let run = self.epoch.as_mut().expect("an epoch is under way");
        let bi = run.next_batch;
        let t0 = Instant::now();
        let chunk = &run.order[bi * self.cfg.batch_size..((bi + 1) * self.cfg.batch_size).min(run.order.len())];
        let picked: Vec<Window> = chunk.iter().map(|&i| self.windows[i]).collect();
        run.sample_seconds += t0.elapsed().as_secs_f64();
        let (loss_value, loading) =
            self.trainer.step(self.train, &picked, self.cfg.learning_rate, self.cfg.problem_decay, self.distill, self.cfg.multi_skill_loss);
        run.sample_seconds += loading;
        if !loss_value.is_finite() {
            return Err(TrainError::Invalid(format!("loss became {loss_value} at epoch {}, batch {bi}: lower the learning rate", run.epoch)));
        }
        let scored: usize = picked.iter().map(|w| w.len - 1).sum();
        run.loss_sum += loss_value * scored as f64;
        run.loss_n += scored;
        run.next_batch += 1;
        let steps: usize = picked.iter().map(|w| w.len).sum();
        progress(&Progress::Batch { batch: bi + 1, loss: loss_value, steps_per_sec: steps as f64 / t0.elapsed().as_secs_f64() });
        if run.next_batch * self.cfg.batch_size < run.order.len() {
            return Ok(FitStep::Batch);
        }
        let run = self.epoch.take().expect("an epoch is under way");
        let seconds = run.started.elapsed().as_secs_f64();
        let weights = self.trainer.weights();
        let valid_report = (!self.valid.is_empty()).then(|| evaluate_dkt(&weights, self.vocab, self.valid, Scoring::Windows(self.cfg.window)).overall);
        let record = EpochRecord {
            epoch: run.epoch,
            train_loss: run.loss_sum / run.loss_n.max(1) as f64,
            seconds,
            sample_seconds: Some(run.sample_seconds),
            valid: valid_report,
        };
        let state = &mut self.state;
        let improved = match (&record.valid, state.best_auc) {
            (Some(BinaryReport { auc: Some(a), .. }), Some(best)) => *a > best,
            (Some(BinaryReport { auc: Some(_), .. }), None) => true,
            _ => state.best_auc.is_none(),
        };
        if improved {
            state.best_epoch = Some(run.epoch);
            state.best_auc = record.valid.as_ref().and_then(|v| v.auc);
            self.best = Some(weights);
        }
        state.epoch = run.epoch;
        state.history.push(record.clone());
        progress(&Progress::EpochEnd(record));
        Ok(FitStep::EpochEnd { improved })
    }

    /// The best epoch's model (the configuration, vocabularies and weights a pack holds), once
    /// an epoch has been trained.
    pub fn best_model(&self) -> Option<DktModel> {
        let weights = self.best.clone()?;
        let problems = if self.cfg.problem_aware { self.problems.clone() } else { ProblemVocab::default() };
        Some(DktModel { config: self.run_cfg.clone(), vocab: self.vocab.clone(), problems, weights })
    }
}

/// [`train_dkt`], distilling from `teacher` when given (then `cfg.distill` says how; the
/// teacher must share the vocabulary and the training windows).
#[allow(clippy::too_many_arguments)]
pub fn train_dkt_with(
    train: &[KtSequence],
    valid: &[KtSequence],
    vocab: &SkillVocab,
    problems: &ProblemVocab,
    cfg: &DktTrainConfig,
    teacher: Option<&DktWeights>,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutcome, TrainError> {
    let mut fit = DktFit::new(train, valid, vocab, problems, cfg, teacher)?;
    let run_cfg = fit.run_cfg.clone();
    create_run_dir(out)?;
    if resume && let Some((ckpt, saved)) = latest_checkpoint(out, |s: &CheckpointState| s.epoch) {
        let mut saved_cfg: DktRunConfig = read_json(&out.join(CONFIG_FILE))?;
        // More (or fewer) epochs is the one change a resume may make.
        saved_cfg.train.epochs = cfg.epochs;
        if saved_cfg != run_cfg {
            return Err(TrainError::Invalid(format!("{}: was trained with a different configuration; resume needs the same one", out.display())));
        }
        // Same shapes are not enough: the skill (and problem) order depends on which students
        // were in the training split, so a different split would silently permute the weights.
        let saved_vocab: SkillVocab = read_json(&out.join(SKILLS_FILE))?;
        let saved_problems: ProblemVocab = if cfg.problem_aware { read_json(&out.join(PROBLEMS_FILE))? } else { ProblemVocab::default() };
        let current_problems = if cfg.problem_aware { problems.names() } else { &[] };
        if saved_vocab.names() != vocab.names() || saved_problems.names() != current_problems {
            return Err(TrainError::Invalid(format!(
                "{}: the skills or problems of this data and split differ from the ones the run started with; resume needs the same data, split and seed",
                out.display()
            )));
        }
        fit.trainer = fit.trainer.load(&ckpt, saved.optimizer_step)?;
        fit.state = saved;
        write_run_file(out, CONFIG_FILE, &json_bytes(&run_cfg))?;
        progress(&Progress::Resumed { epoch: fit.state.epoch });
    } else {
        // A fresh run must not inherit anything of an earlier run in the same directory: its
        // checkpoints (the clean-up keeps the newest epochs by name, and --resume would pick
        // them up), its model and its history (which a killed new run would pair with the new
        // configuration).
        clear_run_outputs(out, &[MODEL_FILE, HISTORY_FILE, PROBLEMS_FILE])?;
        write_run_file(out, CONFIG_FILE, &json_bytes(&run_cfg))?;
        write_run_file(out, SKILLS_FILE, &json_bytes(vocab))?;
        if cfg.problem_aware {
            write_run_file(out, PROBLEMS_FILE, &json_bytes(problems))?;
        }
    }
    loop {
        match fit.step(progress)? {
            FitStep::Batch => {}
            FitStep::EpochEnd { improved } => {
                if improved {
                    let best = fit.best.as_ref().expect("an improved epoch keeps its weights");
                    write_run_file(out, MODEL_FILE, &record_bytes(&best.to_module(&reference_device()))?)?;
                }
                save_checkpoint(out, &fit.trainer, &mut fit.state)?;
            }
            FitStep::Finished => break,
        }
    }
    write_run_file(out, HISTORY_FILE, &json_bytes(&fit.state.history))?;
    Ok(TrainOutcome { history: fit.state.history, best_epoch: fit.state.best_epoch })
}

/// Writes `checkpoints/epoch-NNNN/` (model, optimizer, then state.json as the commit marker)
/// and removes all but the two newest checkpoints.
fn save_checkpoint(out: &Path, trainer: &Trainer, state: &mut CheckpointState) -> Result<(), TrainError> {
    let root = out.join("checkpoints");
    let dir = root.join(format!("epoch-{:04}", state.epoch));
    state.optimizer_step = trainer.save(&dir)?;
    write_run_file(&dir, "state.json", &json_bytes(state))?;
    prune_checkpoints(&root, 2)
}

/// Held-out scores: the steps a [`Scoring`] scores, each by the output after the step before it
/// (mean of its skills' probabilities, as pyKT reports).
#[derive(Debug, Clone, Serialize)]
pub struct DktEvaluation {
    pub overall: BinaryReport,
    pub per_skill: Vec<SkillScore>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkillScore {
    pub skill: String,
    pub n: usize,
    pub auc: Option<f64>,
}

pub fn evaluate_dkt(weights: &DktWeights, vocab: &SkillVocab, seqs: &[KtSequence], scoring: Scoring) -> DktEvaluation {
    let n_skills = weights.config().n_skills;
    let (mut scores, mut labels) = (Vec::new(), Vec::new());
    let mut per_skill: Vec<(Vec<f32>, Vec<bool>)> = vec![(vec![], vec![]); n_skills];
    let pieces = scored_pieces(seqs, scoring);
    for chunk in pieces.chunks(256) {
        let hist: Vec<&[KtStep]> = chunk.iter().map(|w| &seqs[w.seq].steps[w.start..w.start + w.len]).collect();
        let logits = weights.predict_logits(&hist);
        for ((h, z), piece) in hist.iter().zip(&logits).zip(chunk) {
            for t in piece.first_scored..h.len() {
                let row = &z[(t - 1) * n_skills..t * n_skills];
                let step = &h[t];
                let d = weights.difficulty(step);
                let probs: Vec<f32> = step.skills.iter().map(|&s| sigmoid(row[s as usize] + d)).collect();
                scores.push(probs.iter().sum::<f32>() / probs.len() as f32);
                labels.push(step.correct);
                for (&s, &p) in step.skills.iter().zip(&probs) {
                    per_skill[s as usize].0.push(p);
                    per_skill[s as usize].1.push(step.correct);
                }
            }
        }
    }
    DktEvaluation { overall: binary_report(&scores, &labels), per_skill: skill_scores(vocab, &per_skill) }
}

/// Each skill's AUC from its (scores, labels), skipping skills with no scored step.
pub(crate) fn skill_scores(vocab: &SkillVocab, per_skill: &[(Vec<f32>, Vec<bool>)]) -> Vec<SkillScore> {
    per_skill
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| !s.is_empty())
        .map(|(i, (s, l))| SkillScore { skill: vocab.label(i).to_string(), n: s.len(), auc: auc(s, l) })
        .collect()
}

/// The baseline a teacher can judge a DKT model by: every answer predicted by its skill's share
/// of correct answers among the `train` students (the mean of its skills' shares for a
/// multi-skill step), scored on exactly the steps [`evaluate_dkt`] scores. A model that does not
/// beat it has learnt nothing about the students beyond how hard each skill is.
pub fn skill_mean_baseline(train: &[KtSequence], seqs: &[KtSequence], n_skills: usize, scoring: Scoring) -> BinaryReport {
    let mut counts = vec![(0.0f64, 0.0f64); n_skills];
    for step in train.iter().flat_map(|q| &q.steps) {
        for &s in &step.skills {
            let c = &mut counts[s as usize];
            c.0 += f64::from(u8::from(step.correct));
            c.1 += 1.0;
        }
    }
    let (all_right, all_n) = counts.iter().fold((0.0, 0.0), |a, c| (a.0 + c.0, a.1 + c.1));
    let overall = if all_n > 0.0 { all_right / all_n } else { 0.5 };
    let mean: Vec<f32> = counts.iter().map(|&(r, n)| if n > 0.0 { (r / n) as f32 } else { overall as f32 }).collect();
    let (mut scores, mut labels) = (Vec::new(), Vec::new());
    for piece in scored_pieces(seqs, scoring) {
        for step in &seqs[piece.seq].steps[piece.scored()] {
            scores.push(step.skills.iter().map(|&s| mean[s as usize]).sum::<f32>() / step.skills.len() as f32);
            labels.push(step.correct);
        }
    }
    binary_report(&scores, &labels)
}

#[cfg(test)]
mod tests {
    use super::super::model::DktModel;
    use super::*;
    use std::fs;

    fn seqs() -> Vec<KtSequence> {
        let mut init = crate::models::init::Init::new(3);
        (0..12)
            .map(|i| {
                let u = init.uniform(60, 1.0);
                let steps = u.chunks(2).map(|x| KtStep::new(vec![((x[0] + 1.0) * 1.99) as u32], x[1] > 0.0)).collect();
                KtSequence { student: i.to_string(), steps }
            })
            .collect()
    }

    fn checkpoints(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir.join("checkpoints")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    /// The loop `train_dkt` ran before the stepper existed, written out again as the reference:
    /// each epoch's seeded order cut into batches, one optimizer step per batch.
    #[test]
    fn the_stepper_trains_what_the_plain_epoch_loop_trains() {
        let data = seqs();
        let vocab = SkillVocab::new((0..4).map(|i| i.to_string()).collect());
        let none = ProblemVocab::default();
        // Window 7 cuts each 30-step history into 7, 7, 7, 7, 2: 60 windows, so batches of 7
        // end with a short one.
        let cfg = DktTrainConfig { hidden: 4, window: 7, batch_size: 7, epochs: 3, ..Default::default() };
        let mut reference = Trainer::new(&cfg, DktConfig { n_skills: 4, hidden: 4, n_problems: 0 });
        let wins = windows(&data, cfg.window);
        assert_eq!(wins.len(), 60);
        for epoch in 1..=cfg.epochs {
            for chunk in epoch_order(wins.len(), cfg.seed, epoch).chunks(cfg.batch_size) {
                let picked: Vec<Window> = chunk.iter().map(|&i| wins[i]).collect();
                reference.step(&data, &picked, cfg.learning_rate, 0.0, None, MultiSkillLoss::PerSkill);
            }
        }
        let mut fit = DktFit::new(&data, &[], &vocab, &none, &cfg, None).unwrap();
        let (mut steps, mut epoch_ends) = (0, 0);
        loop {
            match fit.step(&mut |_| {}).unwrap() {
                FitStep::Batch => steps += 1,
                FitStep::EpochEnd { .. } => {
                    steps += 1;
                    epoch_ends += 1;
                }
                FitStep::Finished => break,
            }
        }
        assert_eq!((steps, epoch_ends), (3 * 60usize.div_ceil(7), 3));
        assert_eq!(fit.trainer.weights().params(), reference.weights().params());
        assert_eq!(fit.best_model().unwrap().weights.params(), reference.weights().params(), "no validation data: the last epoch is the best");
        // No window at all (every student answered once) is an error, not an empty epoch.
        let single: Vec<KtSequence> = data.iter().map(|q| KtSequence { student: q.student.clone(), steps: q.steps[..1].to_vec() }).collect();
        let err = DktFit::new(&single, &[], &vocab, &none, &cfg, None).err().unwrap().to_string();
        assert!(err.contains("fewer than two answers"), "{err}");
    }

    #[test]
    fn a_fresh_run_replaces_an_earlier_runs_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let data = seqs();
        let vocab = SkillVocab::new((0..4).map(|i| i.to_string()).collect());
        let cfg = |epochs| DktTrainConfig { hidden: 4, window: 10, batch_size: 4, epochs, ..Default::default() };
        let none = ProblemVocab::default();
        train_dkt(&data, &data[..3], &vocab, &none, &cfg(3), dir.path(), false, &mut |_| {}).unwrap();
        assert_eq!(checkpoints(dir.path()), ["epoch-0002", "epoch-0003"]);
        train_dkt(&data, &data[..3], &vocab, &none, &cfg(1), dir.path(), false, &mut |_| {}).unwrap();
        assert_eq!(checkpoints(dir.path()), ["epoch-0001"]);
        // Resuming a finished run trains no further epoch; asking for more epochs continues it.
        let out = train_dkt(&data, &data[..3], &vocab, &none, &cfg(1), dir.path(), true, &mut |_| {}).unwrap();
        assert_eq!(out.history.len(), 1);
        let out = train_dkt(&data, &data[..3], &vocab, &none, &cfg(2), dir.path(), true, &mut |_| {}).unwrap();
        assert_eq!(out.history.iter().map(|h| h.epoch).collect::<Vec<_>>(), [1, 2]);
    }

    /// A factorised run trains only the factors' product into the table, and resumes exactly:
    /// two epochs straight equal one epoch, then a resume to two.
    #[test]
    fn a_factorised_run_resumes_exactly_and_saves_one_table() {
        let data = seqs();
        let vocab = SkillVocab::new((0..4).map(|i| i.to_string()).collect());
        let none = ProblemVocab::default();
        let cfg = |epochs| DktTrainConfig { hidden: 4, window: 10, batch_size: 4, epochs, embed: 3, ..Default::default() };
        let (straight, split) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        train_dkt(&data, &data[..3], &vocab, &none, &cfg(2), straight.path(), false, &mut |_| {}).unwrap();
        train_dkt(&data, &data[..3], &vocab, &none, &cfg(1), split.path(), false, &mut |_| {}).unwrap();
        train_dkt(&data, &data[..3], &vocab, &none, &cfg(2), split.path(), true, &mut |_| {}).unwrap();
        let read = |dir: &Path, epoch: &str| {
            let ckpt = dir.join("checkpoints").join(epoch);
            let w = DktWeights::from_model(
                &load_record(DktConfig { n_skills: 4, hidden: 4, n_problems: 0 }.init(0, &reference_device()), &ckpt.join(MODEL_FILE)).unwrap(),
            );
            let input: FactoredInput = read_json(&ckpt.join(INPUT_FACTORS_FILE)).unwrap();
            (w, input)
        };
        let (w, input) = read(straight.path(), "epoch-0002");
        assert_eq!((w.clone(), input.clone()), read(split.path(), "epoch-0002"));
        let mut table = vec![0.0; w.input_gates().len()];
        input.factors.product_into(&mut table);
        assert_eq!(table, w.input_gates(), "the table saved is the factors' product");
        // Training moved the factors, and a plain run with the same seed trains another table.
        assert_ne!(input.factors, InputFactors::init(w.config(), 3, cfg(2).seed));
        let plain = tempfile::tempdir().unwrap();
        train_dkt(&data, &data[..3], &vocab, &none, &DktTrainConfig { embed: 0, ..cfg(2) }, plain.path(), false, &mut |_| {}).unwrap();
        assert!(!plain.path().join("checkpoints/epoch-0002").join(INPUT_FACTORS_FILE).exists());
        // A burn engine refuses the factorised input.
        let err = train_dkt(&data, &[], &vocab, &none, &DktTrainConfig { engine: Engine::BurnNdarray, ..cfg(1) }, plain.path(), false, &mut |_| {});
        assert!(err.err().unwrap().to_string().contains("fused engine only"));
    }

    #[test]
    fn a_corrupt_checkpoint_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let data = seqs();
        let vocab = SkillVocab::new((0..4).map(|i| i.to_string()).collect());
        let cfg = DktTrainConfig { hidden: 4, window: 10, batch_size: 4, epochs: 1, ..Default::default() };
        let none = ProblemVocab::default();
        train_dkt(&data, &[], &vocab, &none, &cfg, dir.path(), false, &mut |_| {}).unwrap();
        fs::write(dir.path().join("checkpoints/epoch-0001/model.bpk"), b"not a burnpack").unwrap();
        let more = DktTrainConfig { epochs: 2, ..cfg.clone() };
        let err = train_dkt(&data, &[], &vocab, &none, &more, dir.path(), true, &mut |_| {}).err().unwrap().to_string();
        assert!(err.contains("epoch-0001/model.bpk"), "{err}");
        // A different model shape is refused before any weights are read.
        let wider = DktTrainConfig { hidden: 5, ..more.clone() };
        let err = train_dkt(&data, &[], &vocab, &none, &wider, dir.path(), true, &mut |_| {}).err().unwrap().to_string();
        assert!(err.contains("different configuration"), "{err}");
        fs::write(dir.path().join(MODEL_FILE), b"truncated").unwrap();
        let err = DktModel::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("model.bpk"), "{err}");
    }
}
