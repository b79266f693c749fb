//! `bench sampler`: how much of a training epoch goes to drawing batches rather than computing
//! on them, for MF (the reference notebook's 65–90% with a per-item loader) and for DKT.
//!
//! What counts as sampling: for MF, drawing a batch (indices, gathers, BPR negatives with
//! rejection) and turning it into tensors; for DKT, the epoch's shuffle and picking windows, plus,
//! for the burn engines, building the batch tensors (the fused engine reads the sequences in
//! place, so it has no such step). Everything else in the epoch loop (forward, backward,
//! optimizer) is computing. Evaluation after the epoch is in neither.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use classlens_core::models::dkt::DktTrainConfig;
use classlens_core::models::dkt::train::train_dkt;
use classlens_core::models::mf::train::Loader;
use classlens_core::sequences::kt::kt_splits_with;
use serde::Serialize;

use super::bench::{cpu_name, emit_json};
use super::data_args::DataArgs;
use super::dkt::EngineArg;
use super::mf::{LossArg, TrainArgs as MfTrainArgs};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerModel {
    Mf,
    Dkt,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoaderArg {
    /// Whole batches at once (what training uses).
    Batch,
    /// The reference notebook's loader: one example's tensors at a time, then concatenated (MF only).
    PerItem,
}

#[derive(Args, Debug)]
pub struct BenchSamplerArgs {
    #[arg(long, value_enum)]
    pub model: SamplerModel,
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long, default_value_t = 2)]
    pub epochs: usize,
    /// MF: the loss (BPR draws negatives).
    #[arg(long, value_enum, default_value_t = LossArg::Bpr)]
    pub loss: LossArg,
    /// MF: factors.
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    /// MF: 1024; DKT: 64.
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long, value_enum, default_value_t = LoaderArg::Batch)]
    pub loader: LoaderArg,
    /// DKT: the engine.
    #[arg(long, value_enum, default_value_t = EngineArg::Fused)]
    pub engine: EngineArg,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Serialize)]
struct EpochShare {
    epoch: usize,
    seconds: f64,
    sample_seconds: f64,
    sample_share: f64,
}

#[derive(Serialize)]
struct SamplerReport {
    model: &'static str,
    data: String,
    machine: String,
    setup: String,
    epochs: Vec<EpochShare>,
    /// Over all epochs: sampling seconds / epoch seconds.
    sample_share: f64,
}

fn share(epochs: Vec<EpochShare>) -> (Vec<EpochShare>, f64) {
    let (s, t) = epochs.iter().fold((0.0, 0.0), |(s, t), e| (s + e.sample_seconds, t + e.seconds));
    (epochs, s / f64::max(t, 1e-12))
}

pub fn sampler(a: BenchSamplerArgs) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (setup, (epochs, total)) = match a.model {
        SamplerModel::Mf => {
            let args = MfTrainArgs {
                data: a.data.clone(),
                data_args: a.data_args.clone(),
                out: tmp.path().to_path_buf(),
                resume: false,
                loss: a.loss,
                rating: None,
                test_frac: 0.2,
                dim: a.dim,
                epochs: a.epochs,
                batch_size: a.batch_size.unwrap_or(1024),
                lr: 5e-3,
                l2: 1e-4,
                seed: 0,
                k: 10,
                device: super::study::DeviceArg::Cpu,
                quiet: true,
            };
            let loader = if a.loader == LoaderArg::PerItem { Loader::PerItem } else { Loader::Batch };
            let report = super::mf::fit(&args, args.train_config(loader)?, None)?;
            let setup = format!("mf {}, dim {}, batch {}, loader {:?}, {} training cells", report.loss, a.dim, args.batch_size, a.loader, report.train_cells)
                .to_lowercase();
            // MF's epoch seconds include the held-out report; the share is over the epoch loop.
            let epochs = report
                .epochs
                .iter()
                .map(|r| {
                    let seconds = r.sample_seconds + r.compute_seconds;
                    EpochShare { epoch: r.epoch, seconds, sample_seconds: r.sample_seconds, sample_share: r.sample_seconds / seconds.max(1e-12) }
                })
                .collect();
            (setup, share(epochs))
        }
        SamplerModel::Dkt => {
            let data = a.data_args.load(&a.data)?;
            let splits = kt_splits_with(&data, None, 0.1, 0.0, 42, false);
            let batch = a.batch_size.unwrap_or(64);
            let cfg = DktTrainConfig { batch_size: batch, epochs: a.epochs, engine: a.engine.engine()?, ..Default::default() };
            let out = train_dkt(&splits.train, &splits.valid, &splits.vocab, &splits.problems, &cfg, tmp.path(), false, &mut |_| {})?;
            let epochs = out
                .history
                .iter()
                .map(|r| {
                    let s = r.sample_seconds.unwrap_or(0.0);
                    EpochShare { epoch: r.epoch, seconds: r.seconds, sample_seconds: s, sample_share: s / r.seconds.max(1e-12) }
                })
                .collect();
            (
                format!("dkt hidden 100, window 100, batch {batch}, engine {:?}, {} training students", a.engine, splits.train.len()).to_lowercase(),
                share(epochs),
            )
        }
    };
    let report = SamplerReport {
        model: match a.model {
            SamplerModel::Mf => "mf",
            SamplerModel::Dkt => "dkt",
        },
        data: a.data.display().to_string(),
        machine: cpu_name(),
        setup,
        epochs,
        sample_share: total,
    };
    emit_json(&report, a.json.as_deref()).context("writing the report")
}
