//! Run directories: what `classlens train …` writes and every later command reads.
//!
//! One place for the files' names, burn module records, JSON files, checkpoints (written last-
//! file-commits, so a kill never leaves one half-written), the held-out split, the kind of model
//! a directory holds, and the one error type every trainer reports. A library user reads and
//! resumes what the CLI writes through these functions; the trainers and model loaders in
//! [`crate::models`] call them rather than touching paths themselves.

use std::fs;
use std::path::Path;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

/// The run's settings (model kind, network shape, training settings).
pub const CONFIG_FILE: &str = "config.json";
/// The trained weights, as burn record bytes.
pub const MODEL_FILE: &str = "model.bpk";
/// One record per epoch or evaluation step.
pub const HISTORY_FILE: &str = "history.json";
/// DKT's skill vocabulary.
pub const SKILLS_FILE: &str = "skills.json";
/// Problem-aware DKT's problem vocabulary.
pub const PROBLEMS_FILE: &str = "problems.json";
/// STUDY's and BST's title vocabulary.
pub const VOCAB_FILE: &str = "vocab.json";
/// A STUDY or Individual model's co-read table, when it has the co-read channel.
pub const COREAD_FILE: &str = "coread.json";
/// Which students (DKT) or classrooms (STUDY) were held out, so evaluation never scores training
/// data.
pub const SPLIT_FILE: &str = "split.json";
/// The `format` in a STUDY or Individual run's `config.json`.
pub const RECOMMENDER_FORMAT: &str = "classlens.recommender";
/// The `format` in an MF run's `config.json`.
pub const MF_FORMAT: &str = "classlens.mf";

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The I/O error is part of the message (not a `source`, which reports would print twice).
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {message}")]
    Corrupt { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |error| TrainError::Io { path: path.display().to_string(), error }
}

/// Creates the run directory `out` (and its parents). Trainers reach files only through this
/// module, so the browser's trainers (issue 14) need one seam, here.
pub(crate) fn create_run_dir(out: &Path) -> Result<(), TrainError> {
    fs::create_dir_all(out).map_err(io_err(out))
}

/// `bytes` written atomically (temporary file, then rename) as `dir/name`.
pub(crate) fn write_run_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), TrainError> {
    let path = dir.join(name);
    crate::io::write_atomic(&path, bytes).map_err(io_err(&path))
}

/// For `skip_serializing_if`: a field added to a run's configuration is left out while it has
/// its default, so runs that do not use it write the bytes they wrote before it existed.
pub(crate) fn is_default<T: Default + PartialEq>(x: &T) -> bool {
    *x == T::default()
}

/// A run file's bytes.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, TrainError> {
    fs::read(path).map_err(io_err(path))
}

/// A module's parameters as burn's record bytes.
pub(crate) fn record_bytes<M: Module + Clone>(model: &M) -> Result<Vec<u8>, TrainError> {
    let bytes = model.clone().into_record().into_bytes().map_err(|e| TrainError::Invalid(format!("cannot serialize model: {e:?}")))?;
    Ok(bytes.to_vec())
}

/// `model` with the parameters stored at `path`; a file that does not fit the model's shape is
/// [`TrainError::Corrupt`], never a panic.
pub(crate) fn load_record<M: Module>(model: M, path: &Path) -> Result<M, TrainError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    let corrupt = |e: String| TrainError::Corrupt { path: path.display().to_string(), message: e };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| corrupt(format!("{e:?}")))?;
    model.try_load_record(record).map_err(|e| corrupt(format!("{e:?}")))
}

/// Which students a run trained on and which it held out: `split.json`, written before training
/// starts (so a killed run still says it) and read by evaluation, so a model is never scored on
/// the students it learned from. DKT holds out students (`valid`, `test`); STUDY and Individual
/// hold out whole classrooms, recorded as their students (`valid`; `test` empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Split {
    /// The training data file (canonical path, see [`canonical`]): student ids only name the
    /// same students in the file they were read from (line formats number them by position).
    #[serde(default)]
    pub data: String,
    /// The validation file (canonical path) when the run was given one; then every student of it
    /// is held out and `valid` lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_data: Option<String>,
    pub train: Vec<String>,
    pub valid: Vec<String>,
    pub test: Vec<String>,
}

impl Split {
    /// Whether `path` is the training file this split was cut from.
    pub fn is_data(&self, path: &Path) -> bool {
        canonical(path) == self.data
    }

    /// Whether `path` is the file (training or validation) this split was cut from.
    pub fn is_from(&self, path: &Path) -> bool {
        let p = canonical(path);
        p == self.data || self.valid_data.as_deref() == Some(p.as_str())
    }
}

/// `path` made absolute with links resolved, as [`Split`] records it; a path that does not
/// resolve is kept as given.
pub fn canonical(path: &Path) -> String {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// Writes `dir/split.json` atomically.
pub fn write_split(dir: &Path, split: &Split) -> Result<(), TrainError> {
    let path = dir.join(SPLIT_FILE);
    crate::io::write_atomic(&path, &json_bytes(split)).map_err(io_err(&path))
}

/// `dir/split.json`, or `None` when the run recorded none (a pack, or a run from before splits
/// were recorded).
pub fn read_split(dir: &Path) -> Result<Option<Split>, TrainError> {
    let path = dir.join(SPLIT_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    read_json(&path).map(Some)
}

/// What a run directory holds, read from its `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// `train dkt` (plain or problem-aware) or a DKT distillation.
    Dkt,
    /// `train study` or `train individual` (STUDY's decoder, with or without classmates).
    Recommender,
    /// `train mf`.
    Mf,
    /// `train akt` (attention knowledge tracing).
    Akt,
    /// `train bkt` (Bayesian knowledge tracing per skill).
    Bkt,
}

/// The kind of run in `dir`: DKT configs say `"model": "dkt"`, the others name their `format`.
/// A missing or foreign `config.json` is an error that says so.
pub fn run_kind(dir: &Path) -> Result<RunKind, TrainError> {
    let path = dir.join(CONFIG_FILE);
    if !path.is_file() {
        return Err(TrainError::Invalid(format!("{}: no {CONFIG_FILE}: not a model directory written by `classlens train`", dir.display())));
    }
    let v: serde_json::Value = read_json(&path)?;
    let field = |k: &str| v.get(k).and_then(|m| m.as_str());
    match (field("model"), field("format")) {
        (Some("dkt"), _) => Ok(RunKind::Dkt),
        (Some("akt"), _) => Ok(RunKind::Akt),
        (Some("bkt"), _) => Ok(RunKind::Bkt),
        (_, Some(RECOMMENDER_FORMAT)) => Ok(RunKind::Recommender),
        (_, Some(MF_FORMAT)) => Ok(RunKind::Mf),
        (_, Some(other)) => Err(TrainError::Corrupt { path: path.display().to_string(), message: format!("a {other} model, which classlens does not read") }),
        _ => Err(TrainError::Corrupt { path: path.display().to_string(), message: "not a classlens model configuration (no \"model\" or \"format\")".into() }),
    }
}

/// A run file's JSON; errors name the file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, TrainError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    serde_json::from_slice(&bytes).map_err(|e| TrainError::Corrupt { path: path.display().to_string(), message: e.to_string() })
}

pub(crate) fn json_bytes<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(v).expect("plain data serializes")
}

/// The newest complete checkpoint under `dir/checkpoints`: the one whose `state.json` (written
/// last, so its presence marks a complete checkpoint) parses and has the largest `key`.
pub(crate) fn latest_checkpoint<S: serde::de::DeserializeOwned>(dir: &Path, key: impl Fn(&S) -> usize) -> Option<(std::path::PathBuf, S)> {
    let entries = fs::read_dir(dir.join("checkpoints")).ok()?;
    entries
        .filter_map(|e| {
            let p = e.ok()?.path();
            let state: S = serde_json::from_slice(&fs::read(p.join("state.json")).ok()?).ok()?;
            Some((p, state))
        })
        .max_by_key(|(_, s)| key(s))
}

/// The order of `0..n` for `epoch`: a seeded shuffle, the same on every run and after a resume.
pub(crate) fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    order
}

/// Keeps the `keep` newest complete checkpoints under `root` (those with a `state.json`) and
/// removes everything else there; a removal that fails is left for the next save.
pub(crate) fn prune_checkpoints(root: &Path, keep: usize) -> Result<(), TrainError> {
    let mut entries: Vec<std::path::PathBuf> = fs::read_dir(root).map_err(io_err(root))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let kept: Vec<&std::path::PathBuf> = entries.iter().rev().filter(|p| p.join("state.json").exists()).take(keep).collect();
    for p in entries.iter().filter(|p| !kept.contains(p)) {
        let _ = fs::remove_dir_all(p);
    }
    Ok(())
}

/// Removes an earlier run's `checkpoints/` and `files` from `out`, so a fresh run never leaves
/// stale outputs beside its own.
pub(crate) fn clear_run_outputs(out: &Path, files: &[&str]) -> Result<(), TrainError> {
    let old = out.join("checkpoints");
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    for name in files {
        let p = out.join(name);
        if p.exists() {
            fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    Ok(())
}

/// Writes the checkpoint `checkpoints/<name>/` of a burn-trained model: `model.bpk`, `optim.bpk`,
/// then `state.json` (the commit marker), and keeps the two newest checkpoints. `model` is saved as
/// given (pass the `valid()` copy of an autodiff model).
pub(crate) fn save_burn_checkpoint<M: Module + Clone, S: serde::Serialize>(
    out: &Path,
    name: &str,
    model: &M,
    optim: &ModuleOptimizer,
    state: &S,
) -> Result<(), TrainError> {
    let root = out.join("checkpoints");
    let dir = root.join(name);
    let write = |file: &str, bytes: &[u8]| crate::io::write_atomic(&dir.join(file), bytes).map_err(io_err(&dir));
    write("model.bpk", &record_bytes(model)?)?;
    let optim_bytes = optim.into_bytes().map_err(|e| TrainError::Invalid(format!("cannot serialize optimizer: {e:?}")))?;
    write("optim.bpk", &optim_bytes)?;
    write("state.json", &json_bytes(state))?;
    prune_checkpoints(&root, 2)
}

/// The model and optimizer of a checkpoint written by [`save_burn_checkpoint`].
pub(crate) fn load_burn_checkpoint<M: Module>(model: M, optim: ModuleOptimizer, ckpt: &Path) -> Result<(M, ModuleOptimizer), TrainError> {
    let model = load_record(model, &ckpt.join("model.bpk"))?;
    let path = ckpt.join("optim.bpk");
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    let optim =
        optim.from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| TrainError::Corrupt { path: path.display().to_string(), message: format!("{e:?}") })?;
    Ok((model, optim))
}
