//! The data and held-out students of a knowledge-tracing run, shared by `train dkt`, `train akt`
//! and `train bkt`: one set of flags, one way to cut the split, so the same seed holds out the
//! same students for every model and their test scores compare. The `eval` commands share their
//! flags and the choice of students to score the same way.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use classlens_core::data::Interactions;
use classlens_core::infer::mastery::Tracer;
use classlens_core::io::write_atomic;
use classlens_core::sequences::kt::{KtSequence, KtSplits, kt_splits_with};
use classlens_core::sequences::split::check_fractions;

use super::data_args::DataArgs;
use super::dkt::{SplitArg, record_split, split_of, split_summary, students_to_score};

#[derive(Args, Debug, Clone)]
pub struct KtSplitArgs {
    /// Training logs (all students are split into train/valid/test unless --valid-data is given).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Separate validation logs; then all of --data is used for training.
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    /// Share of students held out for validation (DKT and AKT choose their epoch on them; BKT,
    /// which has nothing to choose, only scores them).
    #[arg(long, default_value_t = 0.1)]
    pub valid_frac: f64,
    /// Share of students held out for the final test.
    #[arg(long, default_value_t = 0.1)]
    pub test_frac: f64,
    /// Output directory (config.json, skills.json, problems.json for a problem-aware model, the
    /// model's parameters, split.json, test_metrics.json, and checkpoints/ for the models trained
    /// by epochs).
    #[arg(long)]
    pub out: PathBuf,
}

impl KtSplitArgs {
    /// Loads the data and cuts the split with `seed`; `problems` says, from the training data,
    /// whether steps are tagged with problems (or refuses the data). Prints the split's summary
    /// unless `quiet`, and records it in `--out` (see [`record_split`]).
    pub fn splits(&self, seed: u64, resume: bool, quiet: bool, problems: impl FnOnce(&Interactions) -> Result<bool>) -> Result<(KtSplits, bool)> {
        if let Err(e) = check_fractions(self.valid_frac, self.test_frac) {
            bail!("--valid-frac and --test-frac {e}");
        }
        let data = self.data_args.load(&self.data)?;
        let problems = problems(&data)?;
        let valid = self.valid_data.as_deref().map(|p| self.data_args.load(p)).transpose()?;
        let splits = kt_splits_with(&data, valid.as_ref(), self.valid_frac, self.test_frac, seed, problems);
        if !quiet {
            eprintln!("{}", split_summary(&splits, problems));
        }
        record_split(&self.out, resume, &split_of(&self.data, self.valid_data.as_deref(), &splits))?;
        Ok((splits, problems))
    }
}

/// What `eval dkt`, `eval akt` and `eval bkt` share: the model, the data and which of its
/// students to score, and where the report goes.
#[derive(Args, Debug)]
pub struct KtEvalArgs {
    /// Directory written by `classlens train …`, or a pack from `classlens export`.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long, value_enum, default_value_t = SplitArg::Auto)]
    pub split: SplitArg,
    /// Write the report as JSON here (`{"overall": …}`; eval dkt and eval akt add every
    /// skill's AUC).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

impl KtEvalArgs {
    /// `model`'s sequences of the students `--split` selects from `--data` (see [`students_to_score`]).
    pub fn students(&self, model: &dyn Tracer) -> Result<Vec<KtSequence>> {
        let (seqs, report) = model.sequences(&self.data_args.load(&self.data)?);
        students_to_score(self.split, &self.model, &self.data, seqs, report.unknown_skill)
    }

    /// Writes `report` to `--json`, when given.
    pub fn write_json(&self, report: &impl serde::Serialize) -> Result<()> {
        if let Some(p) = &self.json {
            write_atomic(p, &serde_json::to_vec_pretty(report)?)?;
        }
        Ok(())
    }
}
