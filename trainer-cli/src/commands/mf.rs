//! `train mf` and the MF half of `distill`: matrix factorisation on a student × item matrix.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use classlens_core::io::write_atomic;
use classlens_core::models::mf::train::{Loader, MfEpochRecord, MfIds, MfModelDir, MfProgress, MfRunConfig, MfTeacher, MfTrainConfig, train_mf};
use classlens_core::models::mf::{MfConfig, MfEvaluation, MfLoss, MfWeights, evaluate_popularity};
use classlens_core::sequences::mf::{MfSplit, RatingKind, mf_split};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::data_args::DataArgs;
use super::study::{DeviceArg, device_backend};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    Mse,
    Bpr,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum RatingArg {
    /// Share of correct answers on the problem.
    Correct,
    /// ln(1 + seconds read) of the title.
    Seconds,
    /// 1 for every (student, item) seen (the BPR default).
    Implicit,
}

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Logs to factorise: answers (ASSISTments, line formats) or reads (STUDY).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_enum, default_value_t = LossArg::Bpr)]
    pub loss: LossArg,
    /// What a cell holds (default: correct for MSE, implicit for BPR).
    #[arg(long, value_enum)]
    pub rating: Option<RatingArg>,
    /// Share of each student's most recent distinct items held out for the report.
    #[arg(long, default_value_t = 0.2)]
    pub test_frac: f64,
    /// Factors per student and item.
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 1024)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 5e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 1e-4)]
    pub l2: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The k of Recall@k and NDCG@k.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Train on the CPU or through burn's wgpu runtime (builds with the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    #[arg(long)]
    pub quiet: bool,
}

impl TrainArgs {
    pub fn train_config(&self, loader: Loader) -> Result<MfTrainConfig> {
        let loss = match self.loss {
            LossArg::Mse => MfLoss::Mse,
            LossArg::Bpr => MfLoss::Bpr,
        };
        let rating = match (self.rating, loss) {
            (Some(RatingArg::Correct), _) | (None, MfLoss::Mse) => RatingKind::Correct,
            (Some(RatingArg::Seconds), _) => RatingKind::Seconds,
            (Some(RatingArg::Implicit), _) | (None, MfLoss::Bpr) => RatingKind::Implicit,
        };
        Ok(MfTrainConfig {
            loss,
            rating,
            test_frac: self.test_frac,
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            l2: self.l2,
            seed: self.seed,
            k: self.k,
            loader,
            backend: device_backend(self.device)?,
        })
    }
}

/// The matrix and its held-out split, with the ids the factor rows stand for.
pub fn load_split(a: &TrainArgs, cfg: &MfTrainConfig) -> Result<(MfSplit, MfIds)> {
    let data = a.data_args.load(&a.data)?;
    let split = mf_split(&data, cfg.rating, cfg.test_frac).map_err(|e| anyhow::anyhow!("{}: {e}", a.data.display()))?;
    let ids = MfIds { students: data.students.names().to_vec(), items: data.items.names().to_vec() };
    Ok((split, ids))
}

/// What `report.json` holds: the final epoch's held-out scores beside the popularity baseline.
#[derive(Serialize)]
pub struct MfReport {
    pub loss: &'static str,
    pub rating: &'static str,
    pub params: usize,
    pub train_cells: usize,
    pub test_cells: usize,
    pub cold_items_dropped: usize,
    pub model: MfEvaluation,
    /// Item-mean RMSE and popularity ranking ([`evaluate_popularity`]).
    pub popularity: MfEvaluation,
    pub epochs: Vec<MfEpochRecord>,
}

/// Trains (alone, or from a teacher) and writes `report.json`; returns the report.
pub fn fit(a: &TrainArgs, cfg: MfTrainConfig, teacher: Option<&MfTeacher<'_>>) -> Result<MfReport> {
    let (split, ids) = load_split(a, &cfg)?;
    let model = MfConfig { n_users: split.train.n_users, n_items: split.train.n_items, dim: a.dim };
    let mut run = MfRunConfig::new(model, cfg, a.data.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()));
    run.distill = teacher.map(|t| t.config.clone());
    if !a.quiet {
        eprintln!(
            "mf ({}, {}): {} students × {} items, {} training cells, {} held out ({} on items no training student has, dropped); {} parameters",
            cfg.loss.as_str(),
            cfg.rating.as_str(),
            model.n_users,
            model.n_items,
            split.train.len(),
            split.test.len(),
            split.cold_items_dropped,
            model.n_params()
        );
    }
    let quiet = a.quiet;
    let mut bar: Option<ProgressBar> = None;
    let history = train_mf(&split, &ids, &run, teacher, &a.out, a.resume, &mut |p| {
        if quiet {
            return;
        }
        match p {
            MfProgress::Resumed { epoch } => eprintln!("resuming after epoch {epoch}"),
            MfProgress::Epoch { epoch, epochs, batches } => {
                let b = ProgressBar::new(batches as u64);
                b.set_style(ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} batches {msg}").expect("valid template").progress_chars("=> "));
                b.set_prefix(format!("{epoch}/{epochs}"));
                bar = Some(b);
            }
            MfProgress::Batch { batch, loss } => {
                if let Some(b) = &bar {
                    b.set_position(batch as u64);
                    b.set_message(format!("loss {loss:.4}"));
                }
            }
            MfProgress::EpochEnd(r) => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                eprintln!(
                    "epoch {}: loss {:.4}; held out: RMSE {:.4}, Recall@{k} {:.4}, NDCG@{k} {:.4} ({:.2} s, sampling {:.1}%)",
                    r.epoch,
                    r.train_loss,
                    r.test.rmse,
                    r.test.recall,
                    r.test.ndcg,
                    r.seconds,
                    100.0 * r.sample_seconds / (r.sample_seconds + r.compute_seconds).max(1e-12),
                    k = r.test.k
                );
            }
        }
    })?;
    let last = history.last().context("no epoch was trained")?.test;
    let report = MfReport {
        loss: cfg.loss.as_str(),
        rating: cfg.rating.as_str(),
        params: model.n_params(),
        train_cells: split.train.len(),
        test_cells: split.test.len(),
        cold_items_dropped: split.cold_items_dropped,
        model: last,
        popularity: evaluate_popularity(&split.train, &split.test, cfg.k),
        epochs: history,
    };
    let path = a.out.join("report.json");
    write_atomic(&path, &serde_json::to_vec_pretty(&report)?).with_context(|| format!("writing {}", path.display()))?;
    let k = cfg.k;
    println!("held out ({} cells, {} students):", last.cells, last.users);
    println!("{:<12} {:>8} {:>10} {:>10}", "method", "RMSE", format!("Recall@{k}"), format!("NDCG@{k}"));
    // BPR scores are not ratings: their RMSE means nothing.
    let rmse = |x: f64| if cfg.loss == MfLoss::Mse { format!("{x:.4}") } else { "n/a".into() };
    println!("{:<12} {:>8} {:>10.4} {:>10.4}", "mf", rmse(last.rmse), last.recall, last.ndcg);
    println!("{:<12} {:>8} {:>10.4} {:>10.4}", "baseline", rmse(report.popularity.rmse), report.popularity.recall, report.popularity.ndcg);
    println!("(baseline: RMSE of each item's mean rating; ranking by popularity among training students)");
    Ok(report)
}

pub fn train(a: TrainArgs) -> Result<()> {
    fit(&a, a.train_config(Loader::Batch)?, None).map(|_| ())
}

/// The teacher's weights for `distill`.
pub fn teacher_weights(dir: &Path) -> Result<(MfModelDir, MfWeights)> {
    let t = MfModelDir::load(dir)?;
    let w = MfWeights::from_model(&t.model);
    Ok((t, w))
}
