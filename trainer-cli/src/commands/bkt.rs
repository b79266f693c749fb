//! `train bkt` and `eval bkt`: Bayesian knowledge tracing as a model of its own, split and scored
//! as `train dkt` / `eval dkt` do (same students held out for the same seed, same scored steps),
//! so its run directory exports to a pack the dashboard and `classlens mastery` read.
//!
//! BKT has no epochs: EM fits each skill to convergence on the training students, so the
//! validation students choose nothing; they are scored and printed, and kept out of training so
//! that a seed holds out the same test students as `train dkt`'s.

use anyhow::{Result, bail};
use clap::Args;
use classlens_core::io::write_atomic;
use classlens_core::models::bkt::{BktConfig, BktModel};
use classlens_core::models::dkt::train::skill_mean_baseline;
use classlens_core::sequences::kt::Scoring;

use super::dkt::print_report;
use super::kt_split::{KtEvalArgs, KtSplitArgs};

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    // The validation students are scored, and kept out of training so that a seed holds out the
    // same test students as `train dkt`'s.
    #[command(flatten)]
    pub split: KtSplitArgs,
    /// The window of the DKT evaluation BKT's reports line up with (BKT itself reads every
    /// earlier answer; each window's first step is not scored, as for DKT).
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    /// At most this many EM iterations per skill.
    #[arg(long, default_value_t = BktConfig::default().max_iterations)]
    pub max_iterations: usize,
    /// Stop a skill's EM once an iteration raises its log-likelihood by less than this.
    #[arg(long, default_value_t = BktConfig::default().tolerance)]
    pub tolerance: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// No summary line on stderr.
    #[arg(long)]
    pub quiet: bool,
}

pub fn train(a: TrainArgs) -> Result<()> {
    if a.window < 2 || a.max_iterations == 0 || a.tolerance.is_nan() || a.tolerance < 0.0 {
        bail!("--window must be at least 2, --max-iterations at least 1 and --tolerance a number ≥ 0");
    }
    let (splits, _) = a.split.splits(a.seed, false, a.quiet, |_| Ok(false))?;
    let out = &a.split.out;
    if splits.train.is_empty() {
        bail!("{}: no training student has a usable answer", a.split.data.display());
    }
    let fit = BktConfig { max_iterations: a.max_iterations, tolerance: a.tolerance };
    let model = BktModel::fit(&splits.train, splits.vocab.clone(), a.window, fit);
    model.save(out)?;
    if !a.quiet {
        eprintln!("BKT fitted on {} students ({} skills); model written to {}", splits.train.len(), model.vocab.len(), out.display());
    }
    let n = model.vocab.len();
    let mut metrics = serde_json::Map::new();
    for (name, seqs) in [("valid", &splits.valid), ("test", &splits.test)] {
        if seqs.is_empty() {
            continue;
        }
        let report = model.bkt.report(seqs, Scoring::Windows(a.window));
        let baseline = skill_mean_baseline(&splits.train, seqs, n, Scoring::Windows(a.window));
        print_report(name, &report);
        print_report(&format!("baseline: each skill's mean, {name}"), &baseline);
        if name == "test" {
            metrics.insert("overall".into(), serde_json::to_value(&report)?);
            metrics.insert("baseline".into(), serde_json::to_value(&baseline)?);
        } else {
            metrics.insert("valid".into(), serde_json::to_value(&report)?);
        }
    }
    if metrics.contains_key("overall") {
        write_atomic(&out.join("test_metrics.json"), &serde_json::to_vec_pretty(&metrics)?)?;
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub eval: KtEvalArgs,
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let Some(model) = super::load_model::tracer(&a.eval.model)?.bkt().cloned() else {
        bail!("{}: not a BKT model (eval dkt and eval akt score the others)", a.eval.model.display());
    };
    let seqs = a.eval.students(&model)?;
    let report = model.bkt.report(&seqs, Scoring::Windows(model.config.window));
    print_report("eval", &report);
    a.eval.write_json(&serde_json::json!({ "overall": report }))
}
