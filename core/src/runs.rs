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
/// Which students (DKT) or classrooms (STUDY) were held out, so evaluation never scores training
/// data.
pub const SPLIT_FILE: &str = "split.json";

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

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, TrainError> {
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
pub(crate) fn save_burn_checkpoint<M: Module + Clone, S: serde::Serialize>(out: &Path, name: &str, model: &M, optim: &ModuleOptimizer, state: &S) -> Result<(), TrainError> {
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
    let optim = optim.from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| TrainError::Corrupt { path: path.display().to_string(), message: format!("{e:?}") })?;
    Ok((model, optim))
}
