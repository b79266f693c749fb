//! `train dkt`, `eval dkt` and `mastery`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use classlens_core::infer::mastery::{MasteryTable, Tracer, mastery_table};
use classlens_core::io::write_atomic;
use classlens_core::metrics::BinaryReport;
use classlens_core::models::bkt::{Bkt, BktConfig};
use classlens_core::models::dkt::train::{evaluate_dkt, skill_mean_baseline, train_dkt};
use classlens_core::models::dkt::{DktModel, DktRunConfig, DktTrainConfig, Engine, MultiSkillLoss};
use classlens_core::runs::{CONFIG_FILE, SPLIT_FILE, Split, canonical, read_json, read_split, write_split};
use classlens_core::sequences::kt::{KtSequence, Scoring};

use super::data_args::DataArgs;
use super::kt_split::{KtEvalArgs, KtSplitArgs};
use crate::progress::TrainBar;

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    #[command(flatten)]
    pub split: KtSplitArgs,
    /// Continue from the newest complete checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    /// Steps per training window; longer histories are cut into consecutive windows.
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How gradients are computed: the fused CPU kernels (default, fastest) or burn autodiff.
    #[arg(long, value_enum, default_value_t = EngineArg::Fused)]
    pub engine: EngineArg,
    /// Problem-aware DKT: learn a difficulty and an input scale for every training problem
    /// (needs problem ids: raw ASSISTments or the 4-line format).
    #[arg(long)]
    pub problems: bool,
    /// With --problems: weight decay on the per-problem parameters (see BENCHMARKS.md).
    #[arg(long, default_value_t = 0.0)]
    pub problem_decay: f64,
    /// Train the input table factorised as an embedding of this size times the LSTM's input
    /// weights, as PyTorch's Embedding → LSTM does (default: --hidden with the fused engine;
    /// 0 trains the table itself, as the burn engines do). The saved model is one table either
    /// way. See BENCHMARKS.md for why it is the default.
    #[arg(long)]
    pub embed: Option<usize>,
    /// How a step with several skills is trained: one loss of the mean of their probabilities,
    /// the quantity scored (mean-probability, as the PyTorch peer trains; the default with the
    /// fused engine), or each skill's own loss (per-skill; the burn engines' only choice).
    /// Single-skill steps train the same either way. See BENCHMARKS.md for how it was chosen.
    #[arg(long, value_enum)]
    pub multi_skill_loss: Option<MultiSkillLossArg>,
    /// How training histories are cut into --window-long windows: `shifted` (the default) at a
    /// fresh seeded point in each history every epoch, so the model learns to start from a zero
    /// state anywhere in a history, as the dashboard reads a student's last --window answers;
    /// `fixed` at multiples of --window every epoch (the DKT papers' and the PyTorch peer's cut,
    /// and how runs before this option trained). A resumed run keeps its own. See BENCHMARKS.md
    /// for how the default was chosen.
    #[arg(long, value_enum)]
    pub window_cut: Option<WindowCutArg>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MultiSkillLossArg {
    PerSkill,
    MeanProbability,
}

impl From<MultiSkillLossArg> for MultiSkillLoss {
    fn from(m: MultiSkillLossArg) -> Self {
        match m {
            MultiSkillLossArg::PerSkill => MultiSkillLoss::PerSkill,
            MultiSkillLossArg::MeanProbability => MultiSkillLoss::MeanProbability,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Fused,
    BurnNdarray,
    BurnFlex,
    /// burn's engine on a GPU through burn's wgpu runtime (builds with the `wgpu` feature).
    BurnWgpu,
    /// burn's engine on an NVIDIA GPU through burn's CUDA runtime (builds with the `cuda` feature).
    BurnCuda,
}

impl EngineArg {
    /// The core's engine; a GPU engine in a build without GPU training says how to get one.
    pub fn engine(self) -> anyhow::Result<Engine> {
        Ok(match self {
            EngineArg::Fused => Engine::Fused,
            EngineArg::BurnNdarray => Engine::BurnNdarray,
            EngineArg::BurnFlex => Engine::BurnFlex,
            #[cfg(feature = "wgpu")]
            EngineArg::BurnWgpu => Engine::BurnWgpu,
            #[cfg(not(feature = "wgpu"))]
            EngineArg::BurnWgpu => anyhow::bail!("--engine burn-wgpu: {}", super::study::NO_GPU_BUILD),
            #[cfg(feature = "cuda")]
            EngineArg::BurnCuda => {
                classlens_core::models::device::BurnBackend::Cuda.devices(1).map_err(anyhow::Error::msg)?;
                Engine::BurnCuda
            }
            #[cfg(not(feature = "cuda"))]
            EngineArg::BurnCuda => anyhow::bail!("--engine burn-cuda: {}", super::study::NO_CUDA_BUILD),
        })
    }
}

/// `--embed` when given; otherwise the hidden size with the fused engine (PyTorch's shape,
/// chosen on cuts of ASSISTments 2009 `train1`, BENCHMARKS.md) and the table itself with the burn
/// engines, which train it directly.
pub(crate) fn embed_or_default(embed: Option<usize>, engine: EngineArg, hidden: usize) -> usize {
    embed.unwrap_or(if engine == EngineArg::Fused { hidden } else { 0 })
}

/// `--multi-skill-loss` when given; otherwise mean-probability with the fused engine (chosen on
/// cuts of ASSISTments 2009 `train1`, BENCHMARKS.md) and per-skill with the burn engines.
pub(crate) fn multi_skill_loss_or_default(m: Option<MultiSkillLossArg>, engine: EngineArg) -> MultiSkillLoss {
    m.map_or(if engine == EngineArg::Fused { MultiSkillLoss::MeanProbability } else { MultiSkillLoss::PerSkill }, MultiSkillLoss::from)
}

/// A resumed run without `--embed` keeps the input it was started with: its `config.json`'s
/// (a run from before `--embed` existed reads as 0, the table). None when there is no run yet.
/// The run in `out` being resumed, if there is one.
fn resumed_config(out: &Path) -> Result<Option<DktRunConfig>> {
    let path = out.join(CONFIG_FILE);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(read_json::<DktRunConfig>(&path)?))
}

/// Line formats without problem ids use the skill as the item; a problem-aware model would
/// then learn a second per-skill bias, not per-problem difficulties.
pub(crate) fn has_problem_ids(data: &classlens_core::data::Interactions) -> bool {
    data.problem_events().any(|e| e.skills.len() != 1 || data.items.name(e.item) != data.skills.name(e.skills[0]))
}

pub(crate) fn ids(seqs: &[KtSequence]) -> Vec<String> {
    seqs.iter().map(|s| s.student.clone()).collect()
}

/// One line on what a knowledge-tracing run trains on.
pub(crate) fn split_summary(splits: &classlens_core::sequences::kt::KtSplits, problems: bool) -> String {
    let r = &splits.report;
    let problems = if problems { format!(", {} problems", splits.problems.len()) } else { String::new() };
    format!(
        "{} skills{problems}; students train/valid/test {}/{}/{}; {} steps ({} untagged and {} with unknown skills left out)",
        splits.vocab.len(),
        splits.train.len(),
        splits.valid.len(),
        splits.test.len(),
        r.steps,
        r.untagged,
        r.unknown_skill
    )
}

/// Writes the run's `split.json` before training, so a killed run still says which students it
/// held out, and a resume can check it is continuing the same split (a fresh run also drops an
/// earlier run's `test_metrics.json`).
pub(crate) fn record_split(out: &Path, resume: bool, split: &Split) -> Result<()> {
    match (resume, read_split(out)?) {
        (true, Some(saved)) if &saved != split => bail!("{}: {SPLIT_FILE} differs from this data and seed; resume needs the same ones", out.display()),
        _ => {
            std::fs::create_dir_all(out)?;
            let stale = out.join("test_metrics.json");
            if !resume && stale.exists() {
                std::fs::remove_file(&stale)?;
            }
            write_split(out, split)?;
        }
    }
    Ok(())
}

pub fn train(a: TrainArgs) -> Result<()> {
    let (splits, _) = a.split.splits(a.seed, a.resume, a.quiet, |data| {
        if a.problems && !has_problem_ids(data) {
            bail!("{}: has no problem ids (every item is its own skill), so --problems cannot learn problem difficulties", a.split.data.display());
        }
        Ok(a.problems)
    })?;
    let out = &a.split.out;
    // A resumed run keeps its own settings where no flag is given.
    let resumed = if a.resume { resumed_config(out)? } else { None };
    let cfg = DktTrainConfig {
        hidden: a.hidden,
        window: a.window,
        batch_size: a.batch_size,
        epochs: a.epochs,
        learning_rate: a.lr,
        seed: a.seed,
        engine: a.engine.engine()?,
        problem_aware: a.problems,
        problem_decay: a.problem_decay,
        embed: match (a.embed, a.resume) {
            (None, true) => resumed.as_ref().map_or_else(|| embed_or_default(None, a.engine, a.hidden), |c| c.train.embed),
            (embed, _) => embed_or_default(embed, a.engine, a.hidden),
        },
        // A resumed run without the flag keeps its own (a run from before it existed: per-skill).
        multi_skill_loss: match (a.multi_skill_loss, a.resume) {
            (None, true) => resumed.as_ref().map_or_else(|| multi_skill_loss_or_default(None, a.engine), |c| c.train.multi_skill_loss),
            (m, _) => multi_skill_loss_or_default(m, a.engine),
        },
        shift_windows: match (a.window_cut, a.resume) {
            // A run from before the option has none in its config: it trained fixed.
            (None, true) => resumed.as_ref().is_none_or(|c| c.train.shift_windows),
            (cut, _) => cut != Some(WindowCutArg::Fixed),
        },
        distill: None,
    };
    let mut bar = TrainBar::new(a.quiet);
    let outcome = train_dkt(&splits.train, &splits.valid, &splits.vocab, &splits.problems, &cfg, out, a.resume, &mut |p| bar.update(p))?;
    if let Some(best) = outcome.best_epoch {
        eprintln!("best epoch: {best}; model written to {}", out.display());
    }
    if !splits.test.is_empty() {
        let model = DktModel::load(out)?;
        let ev = evaluate_dkt(&model.weights, &model.vocab, &splits.test, Scoring::Windows(a.window));
        print_report("test", &ev.overall);
        let (baseline, bkt_report, bkt) = baselines(&splits.train, &splits.test, splits.vocab.len(), Scoring::Windows(a.window), ", test");
        let bkt_params: serde_json::Map<String, serde_json::Value> =
            splits.vocab.names().iter().zip(&bkt.skills).map(|(skill, p)| (skill.clone(), serde_json::json!(p))).collect();
        let metrics = serde_json::json!({
            "overall": ev.overall, "per_skill": ev.per_skill, "baseline": baseline, "bkt": bkt_report, "bkt_params": bkt_params,
        });
        write_atomic(&out.join("test_metrics.json"), &serde_json::to_vec_pretty(&metrics)?)?;
    }
    Ok(())
}

/// The baselines a knowledge-tracing model is judged by, fitted on `train` and scored on exactly
/// the steps the model's evaluation scores in `seqs`: each skill's mean and BKT per skill (EM).
/// Printed (names ending in `suffix`) and returned with the fitted BKT.
pub(crate) fn baselines(train: &[KtSequence], seqs: &[KtSequence], n_skills: usize, scoring: Scoring, suffix: &str) -> (BinaryReport, BinaryReport, Bkt) {
    let baseline = skill_mean_baseline(train, seqs, n_skills, scoring);
    let bkt = Bkt::fit(train, n_skills, &BktConfig::default());
    let bkt_report = bkt.report(seqs, scoring);
    print_report(&format!("baseline: each skill's mean{suffix}"), &baseline);
    print_report(&format!("baseline: BKT per skill (EM){suffix}"), &bkt_report);
    (baseline, bkt_report, bkt)
}

/// The students of `seqs` that `which` selects for scoring `model` (see [`held_out`]), said on
/// stderr; an error when none is left.
pub(crate) fn students_to_score(which: SplitArg, model: &Path, data: &Path, mut seqs: Vec<KtSequence>, unknown_skill: usize) -> Result<Vec<KtSequence>> {
    let keep = held_out(which, model, data)?;
    let chosen = if keep.is_some() { "the model's held-out split" } else { "all students" };
    if let Some(keep) = &keep {
        seqs.retain(|q| keep.contains(&q.student));
    }
    if seqs.is_empty() {
        bail!("no student in {} has a usable step for this model", data.display());
    }
    eprintln!("evaluating on {} students ({chosen}); {unknown_skill} steps with skills unknown to the model left out", seqs.len());
    Ok(seqs)
}

pub(crate) fn print_report(name: &str, r: &classlens_core::metrics::BinaryReport) {
    println!(
        "{name}: AUC {} | accuracy {:.4} | RMSE {:.4} | log-loss {:.4} | {} scored steps",
        r.auc.map_or("n/a".into(), |a| format!("{a:.4}")),
        r.accuracy,
        r.rmse,
        r.log_loss,
        r.n
    );
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum WindowCutArg {
    Fixed,
    Shifted,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// The model's test students when --data is the file it was trained on; every student of
    /// another file. Refused when that could score students the model trained on: a model
    /// without a recorded test split (a pack, or a run with --test-frac 0) on unknown data.
    Auto,
    Test,
    Valid,
    Train,
    All,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub eval: KtEvalArgs,
    /// Print every skill's AUC, not only the weakest and strongest five.
    #[arg(long)]
    pub all_skills: bool,
    /// Also score the baselines on the same steps, fitted on this file's students (the model's
    /// training data): each skill's mean and BKT per skill (EM).
    #[arg(long)]
    pub baselines_from: Option<PathBuf>,
    /// Which steps are scored, and from what: `windows` (the DKT papers' protocol and the PyTorch
    /// peer's: non-overlapping windows of the training window, each read from a zero state, each
    /// window's first step left out) or `deployed` (what the dashboard shows: every step but a
    /// student's first, read from the window of steps before it).
    #[arg(long, value_enum, default_value_t = ScoringArg::Windows)]
    pub scoring: ScoringArg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScoringArg {
    Windows,
    Deployed,
}

impl ScoringArg {
    /// As on the command line (clap's name for it), for the JSON reports.
    pub fn name(self) -> String {
        self.to_possible_value().expect("no variant is skipped").get_name().to_owned()
    }

    pub fn with_window(self, window: usize) -> Scoring {
        match self {
            ScoringArg::Windows => Scoring::Windows(window),
            ScoringArg::Deployed => Scoring::Deployed(window),
        }
    }
}

/// The [`Split`] of `splits`, cut from `data` (and `valid_data`, when the run had one).
pub(crate) fn split_of(data: &Path, valid_data: Option<&Path>, splits: &classlens_core::sequences::kt::KtSplits) -> Split {
    Split { data: canonical(data), valid_data: valid_data.map(canonical), train: ids(&splits.train), valid: ids(&splits.valid), test: ids(&splits.test) }
}

/// The students `which` selects from `data` for scoring `model` (`None`: all of them), refusing
/// a choice that could score students the model trained on. Shared by `eval dkt`, `eval akt` and `eval bkt`.
pub(crate) fn held_out(which: SplitArg, model: &Path, data: &Path) -> Result<Option<HashSet<String>>> {
    let split = read_split(model)?;
    Ok(match (which, &split) {
        (SplitArg::All, _) => None,
        (SplitArg::Auto, None) => bail!(
            "{} records no split (a pack, or a run without split.json), so `--split auto` cannot tell which students it trained on: pass --split all to score every student of {}",
            model.display(),
            data.display()
        ),
        // Student ids only mean the same students in the file the split was cut from (line
        // formats number students by position).
        (SplitArg::Auto, Some(s)) if s.is_data(data) && s.test.is_empty() => bail!(
            "{} was trained on {} with no test students (--test-frac 0): `--split auto` would score the students it trained on; pass --split valid, --split train or --split all",
            model.display(),
            data.display()
        ),
        (SplitArg::Auto, Some(s)) if s.is_data(data) => Some(s.test.iter().cloned().collect()),
        (SplitArg::Auto, Some(_)) => None,
        (_, None) => bail!("{} has no {SPLIT_FILE}: use --split all", model.display()),
        (SplitArg::Test, Some(s)) => Some(s.test.iter().cloned().collect()),
        (SplitArg::Valid, Some(s)) => Some(s.valid.iter().cloned().collect()),
        (SplitArg::Train, Some(s)) => Some(s.train.iter().cloned().collect()),
    })
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let model = super::load_model::dkt(&a.eval.model)?;
    let seqs = a.eval.students(&model)?;
    let scoring = a.scoring.with_window(model.config.train.window);
    let ev = evaluate_dkt(&model.weights, &model.vocab, &seqs, scoring);
    print_report("eval", &ev.overall);
    let mut json = serde_json::to_value(&ev)?;
    json["scoring"] = a.scoring.name().into();
    if let Some(path) = &a.baselines_from {
        let (train, _) = model.sequences(&a.eval.data_args.load(path)?);
        let (baseline, bkt, _) = baselines(&train, &seqs, model.vocab.len(), scoring, "");
        json["baseline"] = serde_json::to_value(baseline)?;
        json["bkt"] = serde_json::to_value(bkt)?;
    }
    let mut ranked: Vec<_> = ev.per_skill.iter().filter(|s| s.auc.is_some()).collect();
    ranked.sort_by(|x, y| x.auc.partial_cmp(&y.auc).expect("finite AUC"));
    let show: Vec<_> =
        if a.all_skills || ranked.len() <= 10 { ranked.clone() } else { ranked[..5].iter().chain(&ranked[ranked.len() - 5..]).copied().collect() };
    println!("per-skill AUC ({} skills with both outcomes{}):", ranked.len(), if show.len() < ranked.len() { "; weakest and strongest five" } else { "" });
    for s in show {
        println!("  {:<40} {:.4}  (n={})", truncate(&s.skill, 40), s.auc.expect("filtered"), s.n);
    }
    a.eval.write_json(&json)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Pretty,
    Csv,
}

#[derive(Args, Debug)]
pub struct MasteryArgs {
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Comma-separated student ids (default: every student in --data).
    #[arg(long, value_delimiter = ',')]
    pub students: Vec<String>,
    /// How to print the table.
    #[arg(long, value_enum, default_value_t = TableFormat::Pretty)]
    pub table: TableFormat,
    /// Write the table here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn render_table(t: &MasteryTable, format: TableFormat) -> Result<String> {
    match format {
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(std::iter::once("student").chain(t.skills.iter().map(String::as_str)))?;
            for (id, p) in &t.rows {
                w.write_record(std::iter::once(id.clone()).chain(p.iter().map(|x| format!("{x:.6}"))))?;
            }
            Ok(String::from_utf8(w.into_inner()?)?)
        }
        TableFormat::Pretty => {
            let mut s = String::new();
            let idw = t.rows.iter().map(|(id, _)| id.len()).max().unwrap_or(7).max(7);
            s += &format!("{:<idw$}", "student");
            for (i, _) in t.skills.iter().enumerate() {
                s += &format!(" {:>5}", format!("s{i}"));
            }
            s += "\n";
            for (id, p) in &t.rows {
                s += &format!("{id:<idw$}");
                for x in p {
                    s += &format!(" {:>5.2}", x);
                }
                s += "\n";
            }
            s += "skills:\n";
            for (i, (id, label)) in t.skills.iter().zip(&t.labels).enumerate() {
                s += &format!("  s{i:<3} {label}{}\n", if label != id { format!(" (id {id})") } else { String::new() });
            }
            Ok(s)
        }
    }
}

pub fn mastery(a: MasteryArgs) -> Result<()> {
    let model = super::load_model::tracer(&a.model)?;
    let data = a.data_args.load(&a.data)?;
    let (seqs, report) = model.sequences(&data);
    if report.unknown_skill > 0 {
        eprintln!(
            "warning: {}: {} answers are on skills the model does not know and were left out{}",
            a.data.display(),
            report.unknown_skill,
            if seqs.is_empty() { " (all of them: the table is empty; train a model on this data, `classlens train dkt`)" } else { "" }
        );
    }
    let table = mastery_table(&model, &seqs, &a.students).with_context(|| format!("{}", a.data.display()))?;
    let text = render_table(&table, a.table)?;
    match &a.out {
        Some(p) => write_atomic(p, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(())
}
