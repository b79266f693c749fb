//! `train akt` and `eval akt`: the attention knowledge-tracing model, trained, split, checkpointed
//! and scored as `train dkt` / `eval dkt` do (same splits, same scored steps, same baselines).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use classlens_core::io::write_atomic;
use classlens_core::models::akt::{AktConfig, AktModel, AktRunConfig, AktTrainConfig, evaluate_akt, score_steps, step_report, train_akt};
use classlens_core::runs::{CONFIG_FILE, read_json};
use classlens_core::sequences::kt::Scoring;

use super::dkt::{ScoringArg, WindowCutArg, baselines, has_problem_ids, print_report};
use super::kt_split::{KtEvalArgs, KtSplitArgs};
use super::study::{BackendArg, DeviceArg, burn_backend};
use crate::progress::TrainBar;

/// Whether `train akt` cuts shifted windows without `--window-cut`: no. On selection cuts 30–32
/// of train1 shifted windows were level with fixed ones (mean −0.0003 AUC; BENCHMARKS.md).
const DEFAULT_SHIFTED: bool = false;

/// The window cut of the run in `out`, if there is one.
fn resumed_cut(out: &Path) -> Result<Option<bool>> {
    let path = out.join(CONFIG_FILE);
    Ok(if path.exists() { Some(read_json::<AktRunConfig>(&path)?.train.shift_windows) } else { None })
}

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    #[command(flatten)]
    pub split: KtSplitArgs,
    /// Continue from the newest complete checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Model width.
    #[arg(long, default_value_t = 64)]
    pub dim: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Self-attention blocks over the answers.
    #[arg(long, default_value_t = 1)]
    pub value_layers: usize,
    /// Retriever blocks (next question → earlier questions → answers).
    #[arg(long, default_value_t = 1)]
    pub layers: usize,
    /// Feed-forward and output MLP width.
    #[arg(long, default_value_t = 256)]
    pub ff: usize,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f64,
    /// Steps per window; longer histories are cut into consecutive windows (as for DKT).
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// L2 penalty on the difficulties of the problems each batch asks (AKT's).
    #[arg(long, default_value_t = 0.0)]
    pub problem_l2: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Skills only: no per-problem difficulty (the default learns one per training problem when
    /// the data has problem ids).
    #[arg(long)]
    pub no_problems: bool,
    /// How training histories are cut into --window-long windows, as `train dkt --window-cut`:
    /// `fixed` (the default) at multiples of --window, `shifted` at a fresh seeded point each
    /// epoch. A resumed run keeps its own. See BENCHMARKS.md for how the default was chosen.
    #[arg(long, value_enum)]
    pub window_cut: Option<WindowCutArg>,
    /// burn CPU backend for autodiff (with `--device cpu`).
    #[arg(long, value_enum, default_value_t = BackendArg::Ndarray)]
    pub backend: BackendArg,
    /// Train on the CPU or through burn's wgpu runtime (builds with the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

pub fn train(a: TrainArgs) -> Result<()> {
    let (splits, problems) = a.split.splits(a.seed, a.resume, a.quiet, |data| Ok(!a.no_problems && has_problem_ids(data)))?;
    let out = &a.split.out;
    let shape =
        AktConfig { n_skills: 0, n_problems: 0, dim: a.dim, heads: a.heads, value_layers: a.value_layers, layers: a.layers, ff: a.ff, dropout: a.dropout };
    let cfg = AktTrainConfig {
        window: a.window,
        batch_size: a.batch_size,
        epochs: a.epochs,
        learning_rate: a.lr,
        weight_decay: a.weight_decay,
        problem_l2: a.problem_l2,
        seed: a.seed,
        problem_aware: problems,
        shift_windows: match (a.window_cut, a.resume) {
            // A resumed run keeps its own cut; a run from before the option trained fixed.
            (None, true) => resumed_cut(out)?.unwrap_or(DEFAULT_SHIFTED),
            (None, false) => DEFAULT_SHIFTED,
            (Some(cut), _) => cut == WindowCutArg::Shifted,
        },
        backend: burn_backend(a.device, a.backend)?,
    };
    let mut bar = TrainBar::new(a.quiet);
    let outcome = train_akt(&splits.train, &splits.valid, &splits.vocab, &splits.problems, shape, &cfg, out, a.resume, &mut |p| bar.update(p))?;
    if let Some(best) = outcome.best_epoch {
        eprintln!("best epoch: {best}; model written to {}", out.display());
    }
    if !splits.test.is_empty() {
        let model = AktModel::load(out)?;
        let ev = evaluate_akt(model.net(), &model.vocab, &splits.test, Scoring::Windows(a.window));
        print_report("test", &ev.overall);
        let (baseline, bkt, _) = baselines(&splits.train, &splits.test, splits.vocab.len(), Scoring::Windows(a.window), ", test");
        let metrics = serde_json::json!({ "overall": ev.overall, "per_skill": ev.per_skill, "baseline": baseline, "bkt": bkt });
        write_atomic(&out.join("test_metrics.json"), &serde_json::to_vec_pretty(&metrics)?)?;
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub eval: KtEvalArgs,
    /// Also score the baselines on the same steps, fitted on this file's students (the model's
    /// training data): each skill's mean and BKT per skill (EM).
    #[arg(long)]
    pub baselines_from: Option<PathBuf>,
    /// Also write every scored step as CSV here: student, step (its index in the student's
    /// folded sequence), problem, skills (how many the step has), correct, p.
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// Which steps are scored, and from what (as `eval dkt --scoring`).
    #[arg(long, value_enum, default_value_t = ScoringArg::Windows)]
    pub scoring: ScoringArg,
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let model = super::load_model::akt(&a.eval.model)?;
    let seqs = a.eval.students(&model)?;
    let scoring = a.scoring.with_window(model.config.train.window);
    let scored = score_steps(model.net(), &seqs, scoring);
    let ev = step_report(&model.vocab, &seqs, &scored);
    print_report("eval", &ev.overall);
    if let Some(path) = &a.predictions {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["student", "step", "problem", "skills", "correct", "p"])?;
        for s in &scored {
            let (q, step) = (&seqs[s.seq], &seqs[s.seq].steps[s.step]);
            let problem = step.problem.map(|i| model.problems.name(i).to_string()).unwrap_or_default();
            let fields =
                [q.student.clone(), s.step.to_string(), problem, step.skills.len().to_string(), u8::from(step.correct).to_string(), format!("{:.6}", s.p)];
            w.write_record(&fields)?;
        }
        write_atomic(path, &w.into_inner()?)?;
    }
    let mut json = serde_json::to_value(&ev)?;
    json["scoring"] = a.scoring.name().into();
    if let Some(path) = &a.baselines_from {
        let (train, _) = model.sequences(&a.eval.data_args.load(path)?);
        let (baseline, bkt, _) = baselines(&train, &seqs, model.vocab.len(), scoring, "");
        json["baseline"] = serde_json::to_value(baseline)?;
        json["bkt"] = serde_json::to_value(bkt)?;
    }
    a.eval.write_json(&json)
}
