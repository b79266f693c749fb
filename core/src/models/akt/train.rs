//! Training and evaluating the attention model the way DKT is trained (see
//! [`crate::models::dkt::train`]): the same windows (at multiples of the window, or shifted to a
//! fresh seeded cut each epoch: [`crate::sequences::kt::epoch_windows`]) and seeded epoch shuffles, a checkpoint per epoch (model, optimizer, then
//! `state.json`), exact resume, best-on-validation selection, and
//! the same run-directory files (`config.json`, `skills.json`, `problems.json`, `model.bpk`,
//! `history.json`). Gradients come from burn's autodiff on a CPU backend, or on a GPU through
//! burn's wgpu runtime in builds with the `wgpu-train` feature.

use std::path::Path;
use web_time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use serde::{Deserialize, Serialize};

use super::infer::AktSlices;
use super::net::{Akt, AktBatchTensors, AktConfig};
use crate::metrics::binary_report;
use crate::models::device::{BurnBackend, reference_device};
use crate::models::dkt::train::{DktEvaluation, EpochRecord, Progress, TrainOutcome, skill_scores};
use crate::runs::{CONFIG_FILE, HISTORY_FILE, MODEL_FILE, PROBLEMS_FILE, SKILLS_FILE, TrainError};
use crate::runs::{clear_run_outputs, create_run_dir, epoch_order, json_bytes, latest_checkpoint, load_burn_checkpoint, load_record, read_json};
use crate::runs::{record_bytes, save_burn_checkpoint, write_run_file};
use crate::sequences::kt::{KtBatch, KtSequence, KtStep, ProblemVocab, Scoring, SkillVocab, Window, epoch_windows, scored_pieces, windows};

/// The `model` field of an attention run's `config.json`.
pub const AKT_MODEL: &str = "akt";

/// Training settings. Defaults: the DKT protocol's windows and batches, AKT's width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AktTrainConfig {
    pub window: usize,
    pub batch_size: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay on every parameter.
    pub weight_decay: f64,
    /// L2 penalty on the difficulties of the problems each batch asks ([`Akt::loss`]).
    #[serde(default)]
    pub problem_l2: f64,
    pub seed: u64,
    /// Learn a difficulty per training problem.
    pub problem_aware: bool,
    /// Cut the training histories at a fresh seeded point each epoch instead of at multiples of
    /// the window ([`crate::sequences::kt::epoch_windows`]). Absent from runs written before the
    /// option: those trained on fixed windows.
    #[serde(default)]
    pub shift_windows: bool,
    /// The backend burn's autodiff trains on (not part of the model: a resume may change it).
    pub backend: BurnBackend,
}

impl Default for AktTrainConfig {
    fn default() -> Self {
        Self {
            window: 100,
            batch_size: 64,
            epochs: 20,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            problem_l2: 0.0,
            seed: 42,
            problem_aware: true,
            shift_windows: false,
            backend: BurnBackend::Ndarray,
        }
    }
}

/// What an attention run's `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AktRunConfig {
    pub model: String,
    pub akt: AktConfig,
    pub train: AktTrainConfig,
}

/// A trained attention model, loaded for inference on the reference CPU device.
#[derive(Debug)]
pub struct AktModel {
    pub config: AktRunConfig,
    pub vocab: SkillVocab,
    /// Empty unless the model is problem-aware.
    pub problems: ProblemVocab,
    net: Akt,
    /// `net`'s weights as the mastery call reads them, read out once (private with `net`, so
    /// the two cannot disagree).
    fast: AktSlices,
}

impl AktModel {
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join(CONFIG_FILE);
        let config: AktRunConfig = read_json(&path)?;
        let corrupt = |message: String| TrainError::Corrupt { path: path.display().to_string(), message };
        let vocab = read_json::<SkillVocab>(&dir.join(SKILLS_FILE))?.reindexed();
        let problems = if config.akt.n_problems > 0 { read_json::<ProblemVocab>(&dir.join(PROBLEMS_FILE))?.reindexed() } else { ProblemVocab::default() };
        Self::check(&config, &vocab, &problems).map_err(corrupt)?;
        let net = load_record(config.akt.init(0, &reference_device()), &dir.join(MODEL_FILE))?;
        Ok(Self::new(config, vocab, problems, net))
    }

    pub fn new(config: AktRunConfig, vocab: SkillVocab, problems: ProblemVocab, net: Akt) -> Self {
        let fast = AktSlices::new(&net);
        Self { config, vocab, problems, net, fast }
    }

    pub fn net(&self) -> &Akt {
        &self.net
    }

    /// The configuration and vocabularies agree (a model directory or pack that passes this cannot
    /// index out of its tables).
    pub fn check(config: &AktRunConfig, vocab: &SkillVocab, problems: &ProblemVocab) -> Result<(), String> {
        if config.model != AKT_MODEL {
            return Err(format!("holds a '{}' model, not {AKT_MODEL}", config.model));
        }
        config.akt.validate()?;
        if config.train.window < 2 {
            return Err("expected a window of at least 2 steps".into());
        }
        if vocab.len() != config.akt.n_skills || problems.len() != config.akt.n_problems {
            return Err(format!(
                "{} skills and {} problems in the vocabularies, the configuration says {} and {}",
                vocab.len(),
                problems.len(),
                config.akt.n_skills,
                config.akt.n_problems
            ));
        }
        Ok(())
    }

    /// The last `window` steps of `steps`: what the model reads (it was trained on windows of
    /// that length). `eval akt --scoring deployed` scores predictions made this way.
    pub fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        &steps[steps.len().saturating_sub(self.config.train.window)..]
    }

    /// Per-skill P(correct next) after each history's last `window` steps.
    pub fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        let recent: Vec<&[KtStep]> = histories.iter().map(|h| self.recent(h)).collect();
        recent.chunks(64).flat_map(|c| self.fast.mastery(c)).collect()
    }

    /// The model's sequences for `data` (tagged with problems when the model is problem-aware).
    pub fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, crate::sequences::kt::KtBuildReport) {
        let problems = (self.config.akt.n_problems > 0).then_some(&self.problems);
        crate::sequences::kt::kt_sequences_with_problems(data, &self.vocab, problems)
    }
}

/// Checkpoint metadata; written last, so its presence marks a complete checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    epoch: usize,
    best_epoch: Option<usize>,
    best_auc: Option<f64>,
    history: Vec<EpochRecord>,
}

/// Scores `seqs` as [`crate::models::dkt::train::evaluate_dkt`] does: the steps `scoring`
/// scores, each predicted from its piece's earlier steps. Per skill, a multi-skill step counts
/// its one prediction for each of its skills.
pub fn evaluate_akt(net: &Akt, vocab: &SkillVocab, seqs: &[KtSequence], scoring: Scoring) -> DktEvaluation {
    step_report(vocab, seqs, &score_steps(net, seqs, scoring))
}

/// One scored step: `seqs[seq].steps[step]`, and the model's probability that it is correct.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredStep {
    pub seq: usize,
    pub step: usize,
    pub p: f32,
}

/// The steps [`evaluate_akt`] scores, each with its probability, in piece order.
pub fn score_steps(net: &Akt, seqs: &[KtSequence], scoring: Scoring) -> Vec<ScoredStep> {
    let device = reference_device();
    let mut out = Vec::new();
    let pieces = scored_pieces(seqs, scoring);
    for chunk in pieces.chunks(64) {
        let wins: Vec<Window> = chunk.iter().map(|x| Window { seq: x.seq, start: x.start, len: x.len }).collect();
        let batch = KtBatch::new(seqs, &wins);
        let p = net.next_step_probabilities(&AktBatchTensors::new(&batch, &device)).into_data().try_to_vec::<f32>().expect("f32 probabilities");
        for (row, w) in chunk.iter().enumerate() {
            out.extend((w.first_scored..w.len).map(|t| ScoredStep { seq: w.seq, step: w.start + t, p: p[(t - 1) * chunk.len() + row] }));
        }
    }
    out
}

/// The report of scored steps: overall, and per skill (a multi-skill step counts for each).
pub fn step_report(vocab: &SkillVocab, seqs: &[KtSequence], scored: &[ScoredStep]) -> DktEvaluation {
    let (mut scores, mut labels) = (Vec::with_capacity(scored.len()), Vec::with_capacity(scored.len()));
    let mut per_skill: Vec<(Vec<f32>, Vec<bool>)> = vec![(vec![], vec![]); vocab.len()];
    for s in scored {
        let step = &seqs[s.seq].steps[s.step];
        scores.push(s.p);
        labels.push(step.correct);
        for &k in &step.skills {
            per_skill[k as usize].0.push(s.p);
            per_skill[k as usize].1.push(step.correct);
        }
    }
    DktEvaluation { overall: binary_report(&scores, &labels), per_skill: skill_scores(vocab, &per_skill) }
}

/// Trains the attention model on `train`, keeping the epoch with the best AUC on `valid` (the
/// last one when `valid` is empty), and writes the run directory `out`. With `resume`,
/// continues from the newest complete checkpoint and ends with the weights an uninterrupted
/// run would have.
#[allow(clippy::too_many_arguments)]
pub fn train_akt(
    train: &[KtSequence],
    valid: &[KtSequence],
    vocab: &SkillVocab,
    problems: &ProblemVocab,
    shape: AktConfig,
    cfg: &AktTrainConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainOutcome, TrainError> {
    if vocab.is_empty() || train.is_empty() {
        return Err(TrainError::Invalid("no training data: no student has an answered, skill-tagged problem".into()));
    }
    if cfg.window < 2
        || cfg.batch_size == 0
        || cfg.epochs == 0
        || !(cfg.learning_rate.is_finite()
            && cfg.learning_rate > 0.0
            && cfg.weight_decay.is_finite()
            && cfg.weight_decay >= 0.0
            && cfg.problem_l2.is_finite()
            && cfg.problem_l2 >= 0.0)
    {
        return Err(TrainError::Invalid("window must be ≥ 2; batch size and epochs > 0; learning rate > 0; weight decay and problem L2 ≥ 0".into()));
    }
    if cfg.problem_aware && problems.is_empty() {
        return Err(TrainError::Invalid("a problem-aware model needs problem ids in the training data".into()));
    }
    let akt = AktConfig { n_skills: vocab.len(), n_problems: if cfg.problem_aware { problems.len() } else { 0 }, ..shape };
    akt.validate().map_err(TrainError::Invalid)?;
    let run_cfg = AktRunConfig { model: AKT_MODEL.into(), akt, train: cfg.clone() };
    let train_windows: Vec<Window> = windows(train, cfg.window);
    if train_windows.is_empty() {
        return Err(TrainError::Invalid("no training data: every training student has fewer than two answers".into()));
    }
    let device = cfg.backend.device().autodiff();
    let mut model = akt.init(cfg.seed, &device);
    let mut optim: ModuleOptimizer = AdamWConfig::new().with_epsilon(1e-8).with_weight_decay(cfg.weight_decay as f32).init();
    let mut state = CheckpointState { epoch: 0, best_epoch: None, best_auc: None, history: vec![] };
    create_run_dir(out)?;
    let problems_of_run = if cfg.problem_aware { problems.clone() } else { ProblemVocab::default() };
    if resume && let Some((ckpt, saved)) = latest_checkpoint(out, |s: &CheckpointState| s.epoch) {
        let mut saved_cfg: AktRunConfig = read_json(&out.join(CONFIG_FILE))?;
        saved_cfg.train.epochs = cfg.epochs;
        saved_cfg.train.backend = cfg.backend;
        if saved_cfg != run_cfg {
            return Err(TrainError::Invalid(format!(
                "{}: was trained with a different configuration; resume needs the same one (only --epochs, --device and --backend may change)",
                out.display()
            )));
        }
        let saved_vocab: SkillVocab = read_json(&out.join(SKILLS_FILE))?;
        let saved_problems: ProblemVocab = if cfg.problem_aware { read_json(&out.join(PROBLEMS_FILE))? } else { ProblemVocab::default() };
        if saved_vocab.names() != vocab.names() || saved_problems.names() != problems_of_run.names() {
            return Err(TrainError::Invalid(format!(
                "{}: the skills or problems of this data and split differ from the ones the run started with; resume needs the same data, split and seed",
                out.display()
            )));
        }
        (model, optim) = load_burn_checkpoint(model, optim, &ckpt)?;
        state = saved;
        progress(&Progress::Resumed { epoch: state.epoch });
    } else {
        clear_run_outputs(out, &[MODEL_FILE, HISTORY_FILE, PROBLEMS_FILE])?;
        write_run_file(out, CONFIG_FILE, &json_bytes(&run_cfg))?;
        write_run_file(out, SKILLS_FILE, &json_bytes(vocab))?;
        if cfg.problem_aware {
            write_run_file(out, PROBLEMS_FILE, &json_bytes(problems))?;
        }
    }
    for epoch in state.epoch + 1..=cfg.epochs {
        let train_windows = if cfg.shift_windows { epoch_windows(train, cfg.window, cfg.seed, epoch) } else { train_windows.clone() };
        let batches = train_windows.len().div_ceil(cfg.batch_size);
        progress(&Progress::EpochStart { epoch, epochs: cfg.epochs, batches });
        let started = Instant::now();
        let (mut loss_sum, mut loss_n, mut sample_seconds) = (0.0, 0usize, 0.0);
        for (bi, chunk) in epoch_order(train_windows.len(), cfg.seed, epoch).chunks(cfg.batch_size).enumerate() {
            let t0 = Instant::now();
            let picked: Vec<Window> = chunk.iter().map(|&i| train_windows[i]).collect();
            let x = AktBatchTensors::new(&KtBatch::new(train, &picked), &device);
            sample_seconds += t0.elapsed().as_secs_f64();
            // Dropout's draws, seeded per step so a resumed run repeats them.
            device.seed(cfg.seed ^ ((epoch * batches + bi) as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let loss = model.loss(&x, cfg.problem_l2);
            let value = loss.clone().into_scalar::<f32>() as f64;
            if !value.is_finite() {
                return Err(TrainError::Invalid(format!("loss became {value} at epoch {epoch}, batch {bi}: lower the learning rate")));
            }
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(cfg.learning_rate, model, grads);
            let scored: usize = picked.iter().map(|w| w.len - 1).sum();
            loss_sum += value * scored as f64;
            loss_n += scored;
            let steps: usize = picked.iter().map(|w| w.len).sum();
            progress(&Progress::Batch { batch: bi + 1, loss: value, steps_per_sec: steps as f64 / t0.elapsed().as_secs_f64() });
        }
        let seconds = started.elapsed().as_secs_f64();
        let net = model.valid().to_device(&reference_device());
        let valid_report = (!valid.is_empty()).then(|| evaluate_akt(&net, vocab, valid, Scoring::Windows(cfg.window)).overall);
        let record = EpochRecord { epoch, train_loss: loss_sum / loss_n.max(1) as f64, seconds, sample_seconds: Some(sample_seconds), valid: valid_report };
        let improved = match (record.valid.as_ref().and_then(|v| v.auc), state.best_auc) {
            (Some(a), Some(best)) => a > best,
            (Some(_), None) => true,
            (None, _) => state.best_auc.is_none(),
        };
        if improved {
            state.best_epoch = Some(epoch);
            state.best_auc = record.valid.as_ref().and_then(|v| v.auc);
            write_run_file(out, MODEL_FILE, &record_bytes(&net)?)?;
        }
        state.epoch = epoch;
        state.history.push(record.clone());
        save_burn_checkpoint(out, &format!("epoch-{epoch:04}"), &model.valid(), &optim, &state)?;
        progress(&Progress::EpochEnd(record));
    }
    write_run_file(out, HISTORY_FILE, &json_bytes(&state.history))?;
    Ok(TrainOutcome { history: state.history, best_epoch: state.best_epoch })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::kt::KtStep;

    /// Students whose answers follow a per-skill rule the model can learn: a skill is answered
    /// right once the student has answered it twice before.
    fn seqs(n: usize) -> Vec<KtSequence> {
        let mut init = crate::models::init::Init::new(9);
        (0..n)
            .map(|i| {
                let mut seen = [0u32; 3];
                let steps = init
                    .uniform(24, 1.0)
                    .iter()
                    .enumerate()
                    .map(|(t, x)| {
                        let s = ((x + 1.0) * 1.49) as u32;
                        seen[s as usize] += 1;
                        let mut step = KtStep::new(vec![s], seen[s as usize] > 2);
                        step.problem = Some((t % 5) as u32);
                        step
                    })
                    .collect();
                KtSequence { student: i.to_string(), steps }
            })
            .collect()
    }

    fn small() -> (AktConfig, AktTrainConfig) {
        let shape = AktConfig { n_skills: 0, n_problems: 0, dim: 8, heads: 2, value_layers: 1, layers: 1, ff: 16, dropout: 0.1 };
        // Flex, whose generator only tests holding `SEEDING` reseed (the unlocked model tests
        // elsewhere initialise on NdArray): dropout's draws stay this test's own.
        (shape, AktTrainConfig { window: 10, batch_size: 8, epochs: 3, learning_rate: 1e-2, backend: BurnBackend::Flex, ..Default::default() })
    }

    fn vocabs() -> (SkillVocab, ProblemVocab) {
        (SkillVocab::new((0..3).map(|i| i.to_string()).collect()), crate::data::Interner::from_names((0..5).map(|i| i.to_string())))
    }

    #[test]
    fn training_learns_the_rule_and_a_resumed_run_ends_where_an_uninterrupted_one_does() {
        let _seeding = crate::models::device::SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let (data, valid) = (seqs(48), seqs(60)[48..].to_vec());
        let (vocab, problems) = vocabs();
        // Shifted windows: each epoch's cut is its own, so the resume below must cut the third
        // epoch as the uninterrupted run did.
        let (shape, cfg) = small();
        let cfg = AktTrainConfig { shift_windows: true, ..cfg };
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole");
        let outcome = train_akt(&data, &valid, &vocab, &problems, shape, &cfg, &whole, false, &mut |_| {}).unwrap();
        assert_eq!(outcome.history.len(), 3);
        let fixed = train_akt(
            &data,
            &valid,
            &vocab,
            &problems,
            shape,
            &AktTrainConfig { shift_windows: false, ..cfg.clone() },
            &dir.path().join("fixed"),
            false,
            &mut |_| {},
        )
        .unwrap();
        assert_ne!(fixed.history[0].train_loss, outcome.history[0].train_loss, "the cut is what --window-cut says");
        let model = AktModel::load(&whole).unwrap();
        let auc = evaluate_akt(&model.net, &vocab, &valid, Scoring::Windows(cfg.window)).overall.auc.unwrap();
        assert!(auc > 0.75, "the rule is learnable: AUC {auc}");

        // Two epochs, then resumed to three.
        let split = dir.path().join("split");
        train_akt(&data, &valid, &vocab, &problems, shape, &AktTrainConfig { epochs: 2, ..cfg.clone() }, &split, false, &mut |_| {}).unwrap();
        let mut resumed_from = None;
        train_akt(&data, &valid, &vocab, &problems, shape, &cfg, &split, true, &mut |p| {
            if let Progress::Resumed { epoch } = p {
                resumed_from = Some(*epoch);
            }
        })
        .unwrap();
        assert_eq!(resumed_from, Some(2));
        let a: Vec<f64> = outcome.history.iter().map(|r| r.valid.as_ref().unwrap().auc.unwrap()).collect();
        let b: Vec<f64> = read_json::<Vec<EpochRecord>>(&split.join(HISTORY_FILE)).unwrap().iter().map(|r| r.valid.as_ref().unwrap().auc.unwrap()).collect();
        assert_eq!(a, b, "every epoch's validation AUC is the same after a resume");
        // The records carry per-process parameter ids, so the weights are compared by what they predict.
        let predict = |dir: &Path| {
            let m = AktModel::load(dir).unwrap();
            let b = KtBatch::new(&valid, &windows(&valid, cfg.window));
            m.net.next_step_probabilities(&AktBatchTensors::new(&b, &reference_device())).into_data().try_to_vec::<f32>().unwrap()
        };
        assert_eq!(predict(&whole), predict(&split));

        // A changed configuration is refused, naming the directory.
        let other = AktTrainConfig { learning_rate: 0.5, ..cfg };
        let err = train_akt(&data, &valid, &vocab, &problems, shape, &other, &split, true, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("different configuration"), "{err}");
    }

    /// With the problem penalty the difficulties still learn, end smaller than without it, and
    /// a negligible penalty changes nothing (a decay applied by rewriting the parameter once froze
    /// them after the first step; this test caught it).
    #[test]
    fn the_problem_penalty_shrinks_the_difficulties_it_still_trains() {
        let _seeding = crate::models::device::SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let data = seqs(48);
        let (vocab, problems) = vocabs();
        let (shape, cfg) = small();
        let dir = tempfile::tempdir().unwrap();
        let norm = |decay: f64| {
            let out = dir.path().join(decay.to_string());
            train_akt(&data, &[], &vocab, &problems, shape, &AktTrainConfig { problem_l2: decay, ..cfg.clone() }, &out, false, &mut |_| {}).unwrap();
            let mu = AktModel::load(&out).unwrap().net.difficulty.unwrap().val().into_data().try_to_vec::<f32>().unwrap();
            mu.iter().map(|x| x * x).sum::<f32>().sqrt()
        };
        let (free, tiny, decayed) = (norm(0.0), norm(1e-9), norm(1.0));
        assert!((tiny - free).abs() < 0.01 * free, "a negligible decay changes nothing: {tiny} vs {free}");
        assert!(decayed > 0.0, "the difficulties start at 0 and must still move");
        assert!(decayed < free, "decay {decayed} vs none {free}");
    }

    #[test]
    fn bad_settings_are_refused() {
        let (vocab, problems) = vocabs();
        let (shape, cfg) = small();
        let dir = tempfile::tempdir().unwrap();
        let bad_heads = AktConfig { heads: 3, ..shape };
        let err = train_akt(&seqs(4), &[], &vocab, &problems, bad_heads, &cfg, dir.path(), false, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("multiple of heads"), "{err}");
        let err = train_akt(&seqs(4), &[], &vocab, &ProblemVocab::default(), shape, &cfg, dir.path(), false, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("problem ids"), "{err}");
    }
}
