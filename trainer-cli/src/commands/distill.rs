//! `distill`: train a smaller student from a trained teacher, on the teacher's own data and
//! split, and print the distillation notebook's table: teacher, the same student trained alone
//! (`--alone DIR`), and the distilled student, with accuracy, parameters, int8 size and latency.
//!
//! The teacher's directory says what kind of model it is; the student copies every setting of
//! the teacher's run (data split, seed, window or steps, learning rate) except its size, so the
//! only differences in the table are the size and the teacher. `--seed` (DKT, STUDY) changes the
//! students' seed only: their split is the teacher's, and their `split.json` records it (a
//! redraw from their own seed would hold out other students or classrooms).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use classlens_core::infer::mastery::synthetic_histories;
use classlens_core::io::write_atomic;
use classlens_core::models::dkt::train::{evaluate_dkt, train_dkt_with};
use classlens_core::models::dkt::{DktDistillConfig, DktModel};
use classlens_core::models::mf::train::{Loader, MfDistillConfig, MfModelDir, MfTeacher};
use classlens_core::models::mf::{Mf, MfEvaluation, MfLoss, MfWeights};
use classlens_core::pack::{Quantization, weights_len, write_dkt};
use classlens_core::runs::{RunKind, run_kind};
use classlens_core::sequences::kt::{KtStep, Scoring, kt_splits_with};
use serde::Serialize;

use super::bench::{quantile, time_it};
use super::data_args::DataArgs;
use crate::progress::TrainBar;

#[derive(Args, Debug, Clone)]
pub struct DistillArgs {
    /// The teacher's model directory (`train dkt`, `train mf`).
    #[arg(long)]
    pub teacher: PathBuf,
    /// The student's size: DKT hidden units, STUDY model width (--d-model), MF factors.
    #[arg(long)]
    pub student_size: usize,
    /// The data the teacher was trained on (its split is redrawn and checked).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// DKT: score the table on every student of this file (a held-out fold) instead of the
    /// split's test students.
    #[arg(long)]
    pub eval_data: Option<PathBuf>,
    /// DKT: the teacher's --valid-data, if it had one.
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    /// The teacher's --valid-frac (default: DKT's 0.1, STUDY's 0.2); DKT checks it against the
    /// teacher's split.json, STUDY against its title vocabulary.
    #[arg(long)]
    pub valid_frac: Option<f64>,
    #[arg(long, default_value_t = 0.1)]
    pub test_frac: f64,
    /// The distilled student's directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Also train the same student without the teacher here, for the comparison.
    #[arg(long)]
    pub alone: Option<PathBuf>,
    /// Weight of the teacher's soft targets (the answers or ratings get 1 − alpha).
    #[arg(long, default_value_t = 0.5)]
    pub alpha: f64,
    /// Softening temperature.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Epochs (DKT, MF) or optimizer steps (STUDY); default: the teacher's.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// DKT and STUDY: the students' seed (initialisation and batch order; both students get
    /// it), default the teacher's. The split stays the teacher's whatever this is, so runs
    /// with several seeds compare on the same held-out students or classrooms.
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub resume: bool,
    /// Also write the table as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[arg(long)]
    pub quiet: bool,
}

/// One line of the table.
#[derive(Debug, Serialize)]
pub struct Row {
    pub model: String,
    pub size: usize,
    pub params: usize,
    /// Metric name → value (AUC for DKT; Recall@k, NDCG@k and RMSE for MF).
    pub metrics: Vec<(String, f64)>,
    pub int8_bytes: usize,
    /// Native, this machine: DKT 32 students × 100 steps; MF every item for 32 students.
    pub latency_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Table {
    pub kind: &'static str,
    pub teacher: String,
    pub alpha: f64,
    pub temperature: f64,
    pub rows: Vec<Row>,
}

/// Median milliseconds of `f` over 30 runs after one warm-up.
fn median_ms(f: impl FnMut()) -> f64 {
    median_ms_of(30, f)
}

fn median_ms_of(runs: usize, f: impl FnMut()) -> f64 {
    let (_, v) = time_it(runs.max(1), f);
    quantile(&v, 0.5).expect("at least one run")
}

pub fn run(a: DistillArgs) -> Result<()> {
    if a.student_size == 0 {
        bail!("--student-size must be at least 1");
    }
    let table = match run_kind(&a.teacher)? {
        RunKind::Dkt => dkt(&a)?,
        RunKind::Recommender => study(&a)?,
        RunKind::Mf => mf(&a)?,
        RunKind::Bkt => bail!("{}: a BKT model is four numbers per skill; there is nothing to distill", a.teacher.display()),
        RunKind::Akt => bail!("{}: distilling an attention model is not implemented (its int8 pack is already small: see BENCHMARKS.md)", a.teacher.display()),
    };
    print_table(&table);
    let path = a.json.clone().unwrap_or_else(|| a.out.join("distill.json"));
    write_atomic(&path, &serde_json::to_vec_pretty(&table)?).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_table(t: &Table) {
    println!("{} distillation from {} (alpha {}, T {}):", t.kind, t.teacher, t.alpha, t.temperature);
    let names: Vec<&String> = t.rows.first().map(|r| r.metrics.iter().map(|(n, _)| n).collect()).unwrap_or_default();
    print!("{:<20} {:>6} {:>10}", "model", "size", "params");
    for n in &names {
        print!(" {n:>10}");
    }
    println!(" {:>11} {:>11}", "int8 bytes", "latency ms");
    for r in &t.rows {
        print!("{:<20} {:>6} {:>10}", r.model, r.size, r.params);
        for (_, v) in &r.metrics {
            print!(" {v:>10.4}");
        }
        println!(" {:>11} {:>11.3}", r.int8_bytes, r.latency_ms);
    }
}

fn dkt(a: &DistillArgs) -> Result<Table> {
    let teacher = DktModel::load(&a.teacher)?;
    let data = a.data_args.load(&a.data)?;
    let valid = a.valid_data.as_deref().map(|p| a.data_args.load(p)).transpose()?;
    let t_cfg = &teacher.config.train;
    let valid_frac = a.valid_frac.unwrap_or(0.1);
    let splits = kt_splits_with(&data, valid.as_ref(), valid_frac, a.test_frac, t_cfg.seed, t_cfg.problem_aware);
    let saved = classlens_core::runs::read_split(&a.teacher)?;
    let ids = |s: &[classlens_core::sequences::kt::KtSequence]| super::dkt::ids(s);
    match saved {
        Some(s) if s.train == ids(&splits.train) && s.valid == ids(&splits.valid) && s.test == ids(&splits.test) => {}
        Some(_) => bail!(
            "{}: this data with --valid-frac {} and --test-frac {} gives another split than the teacher's split.json; pass the teacher's data and fractions",
            a.teacher.display(),
            valid_frac,
            a.test_frac
        ),
        None => bail!("{}: no split.json: the student must be trained on the teacher's split", a.teacher.display()),
    }
    if splits.vocab.names() != teacher.vocab.names() {
        bail!("{}: the teacher's skills differ from this data's: pass the data it was trained on", a.teacher.display());
    }
    // The students train as the teacher did (its window cut included), at their own size.
    let mut cfg = t_cfg.clone();
    cfg.hidden = a.student_size;
    // The student trains its input as the teacher did: factorised at its own size, or the table.
    cfg.embed = if t_cfg.embed > 0 { a.student_size } else { 0 };
    cfg.distill = None;
    if let Some(e) = a.epochs {
        cfg.epochs = e;
    }
    if let Some(seed) = a.seed {
        cfg.seed = seed;
    }
    let held_out = match &a.eval_data {
        Some(path) => Some(teacher.sequences(&a.data_args.load(path)?).0),
        None => None,
    };
    let eval_set = match &held_out {
        Some(seqs) => seqs,
        None if splits.test.is_empty() => &splits.valid,
        None => &splits.test,
    };
    let mut rows = Vec::new();
    let row = |name: &str, m: &DktModel| -> Result<Row> {
        let ev = evaluate_dkt(&m.weights, &m.vocab, eval_set, Scoring::Windows(m.config.train.window));
        let h = synthetic_histories(m, 32, 100);
        let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
        Ok(Row {
            model: name.into(),
            size: m.config.dkt.hidden,
            params: m.weights.n_params(),
            metrics: vec![("AUC".into(), ev.overall.auc.unwrap_or(f64::NAN)), ("accuracy".into(), ev.overall.accuracy)],
            int8_bytes: write_dkt(m, Quantization::Int8)?.len(),
            latency_ms: median_ms(|| drop(m.weights.predict(&refs))),
        })
    };
    rows.push(row("teacher", &teacher)?);
    let train = |dir: &Path,
                 teacher_w: Option<&classlens_core::models::dkt::kernel::DktWeights>,
                 cfg: &classlens_core::models::dkt::DktTrainConfig|
     -> Result<DktModel> {
        let mut bar = TrainBar::new(a.quiet);
        std::fs::create_dir_all(dir)?;
        classlens_core::runs::write_split(dir, &super::dkt::split_of(&a.data, a.valid_data.as_deref(), &splits))?;
        train_dkt_with(&splits.train, &splits.valid, &splits.vocab, &splits.problems, cfg, teacher_w, dir, a.resume, &mut |p| bar.update(p))?;
        Ok(DktModel::load(dir)?)
    };
    if let Some(dir) = &a.alone {
        let alone = train(dir, None, &cfg)?;
        rows.push(row("student alone", &alone)?);
    }
    let mut kd_cfg = cfg.clone();
    kd_cfg.distill = Some(DktDistillConfig { teacher: a.teacher.display().to_string(), alpha: a.alpha, temperature: a.temperature });
    let student = train(&a.out, Some(&teacher.weights), &kd_cfg)?;
    rows.push(row("distilled student", &student)?);
    Ok(Table { kind: "dkt", teacher: a.teacher.display().to_string(), alpha: a.alpha, temperature: a.temperature, rows })
}

fn mf(a: &DistillArgs) -> Result<Table> {
    if a.seed.is_some() {
        // MF draws its held-out ratings with the run's seed: another seed would be another split.
        bail!("--seed applies to DKT and STUDY students; an MF student keeps the teacher's seed (it also draws the split)");
    }
    let (teacher, weights) = super::mf::teacher_weights(&a.teacher)?;
    let t_cfg = teacher.run.train;
    // The student redraws the teacher's split from the same data and settings.
    let args = super::mf::TrainArgs {
        data: a.data.clone(),
        data_args: a.data_args.clone(),
        out: a.out.clone(),
        resume: a.resume,
        loss: match t_cfg.loss {
            MfLoss::Mse => super::mf::LossArg::Mse,
            MfLoss::Bpr => super::mf::LossArg::Bpr,
        },
        rating: None,
        test_frac: t_cfg.test_frac,
        dim: a.student_size,
        epochs: a.epochs.unwrap_or(t_cfg.epochs),
        batch_size: t_cfg.batch_size,
        lr: t_cfg.learning_rate,
        l2: t_cfg.l2,
        seed: t_cfg.seed,
        k: t_cfg.k,
        device: super::study::DeviceArg::Cpu,
        quiet: a.quiet,
    };
    let mut cfg = t_cfg;
    cfg.epochs = args.epochs;
    cfg.loader = Loader::Batch;
    let (_, ids) = super::mf::load_split(&args, &cfg)?;
    if ids != teacher.ids {
        bail!("{}: the teacher was trained on other students or items than {} holds", a.teacher.display(), a.data.display());
    }
    let k = cfg.k;
    // One row per model, from the model in memory: its metrics, then the int8 size and latency.
    let row = |name: &str, model: Mf, ev: MfEvaluation| -> Result<Row> {
        let w = MfWeights::from_model(&model);
        let users: Vec<u32> = (0..32.min(w.config().n_users) as u32).collect();
        let mut metrics = vec![(format!("Recall@{k}"), ev.recall), (format!("NDCG@{k}"), ev.ndcg)];
        if cfg.loss == MfLoss::Mse {
            metrics.insert(0, ("RMSE".into(), ev.rmse));
        }
        Ok(Row {
            model: name.into(),
            size: w.config().dim,
            params: w.config().n_params(),
            metrics,
            int8_bytes: weights_len(model, Quantization::Int8)?,
            latency_ms: median_ms(|| drop(w.score_all(&users))),
        })
    };
    let teacher_eval = teacher.history.last().map(|r| r.test).context("the teacher has no history.json")?;
    let mut rows = vec![row("teacher", teacher.model.clone(), teacher_eval)?];
    if let Some(dir) = &a.alone {
        let alone_args = super::mf::TrainArgs { out: dir.clone(), ..args.clone() };
        let report = super::mf::fit(&alone_args, cfg, None)?;
        rows.push(row("student alone", MfModelDir::load(dir)?.model, report.model)?);
    }
    let t = MfTeacher { weights: &weights, config: MfDistillConfig { teacher: a.teacher.display().to_string(), temperature: a.temperature, alpha: a.alpha } };
    let report = super::mf::fit(&args, cfg, Some(&t))?;
    rows.push(row("distilled student", MfModelDir::load(&a.out)?.model, report.model)?);
    Ok(Table { kind: "mf", teacher: a.teacher.display().to_string(), alpha: a.alpha, temperature: a.temperature, rows })
}

fn study(a: &DistillArgs) -> Result<Table> {
    use burn::module::Module;
    use classlens_core::eval::hits::EvalType;
    use classlens_core::eval::report::model_hits;
    use classlens_core::infer::recommend::{Request, recommend};
    use classlens_core::models::study::train::{RecTeacher, train_recommender_with};
    use classlens_core::models::study::{RecDistillConfig, StudyModel};
    use classlens_core::pack::write_recommender;
    use classlens_core::sequences::study::{TitleVocab, build_study, split_by_classroom};

    let teacher = StudyModel::load(&a.teacher)?;
    let t_run = &teacher.run;
    // The students record the teacher's split: `eval study` reads it instead of redrawing the
    // held-out classrooms from a student's own seed.
    let t_split = classlens_core::runs::read_split(&a.teacher)?;
    if t_split.is_none() && a.seed.is_some_and(|s| s != t_run.train.seed) {
        bail!(
            "{}: records no split.json, so a student with another --seed could not tell which classrooms were held out; retrain the teacher",
            a.teacher.display()
        );
    }
    let record_split = |dir: &Path| -> Result<()> {
        if let Some(s) = &t_split {
            classlens_core::runs::write_split(dir, s)?;
        }
        Ok(())
    };
    let all = super::study::load_reads(&a.data_args, &a.data)?;
    let (train_data, valid_data) = match &a.valid_data {
        Some(path) => (all, super::study::load_reads(&a.data_args, path)?),
        None => split_by_classroom(&all, a.valid_frac.unwrap_or(0.2), t_run.train.seed).map_err(anyhow::Error::msg)?,
    };
    let vocab = TitleVocab::from_training(&train_data, teacher.vocab.num_titles());
    if vocab != teacher.vocab {
        bail!(
            "{}: this data and split give another title vocabulary than the teacher's; pass the teacher's --train-data and --valid-frac",
            a.teacher.display()
        );
    }
    let train = build_study(&train_data, &vocab, &t_run.pack);
    let valid = build_study(&valid_data, &vocab, &t_run.pack);
    let mut run = t_run.clone();
    let t_model = t_run.model;
    run.model.d_model = a.student_size;
    run.model.d_ff = (t_model.d_ff * a.student_size).div_ceil(t_model.d_model.max(1)).max(1);
    while !a.student_size.is_multiple_of(run.model.n_heads) {
        run.model.n_heads -= 1;
    }
    run.model.validate().map_err(anyhow::Error::msg)?;
    if let Some(steps) = a.epochs {
        run.train.steps = steps;
    }
    run.distill = None;
    if let Some(seed) = a.seed {
        run.train.seed = seed;
    }
    let ns = [1usize, 5, 10];
    let request = Request { top: 5, include_read: false, as_of: None };
    let row = |name: &str, m: &StudyModel| -> Result<Row> {
        let (hits, _) = model_hits(name, &m.model, &m.run.model, &m.vocab, &valid_data, &valid, &ns, &classlens_core::models::device::reference_device());
        let metric = |t: EvalType, n: usize| (format!("{}@{n}", if t == EvalType::All { "hits" } else { "novel" }), hits.get(t, n).unwrap_or(f64::NAN));
        Ok(Row {
            model: name.into(),
            size: m.run.model.d_model,
            params: m.model.num_params(),
            metrics: vec![metric(EvalType::All, 1), metric(EvalType::All, 5), metric(EvalType::All, 10), metric(EvalType::NonContinuation, 5)],
            int8_bytes: write_recommender(m, Quantization::Int8)?.len(),
            latency_ms: median_ms_of(5, || drop(recommend(m, &valid_data, &[], &request))),
        })
    };
    let mut rows = vec![row("teacher", &teacher)?];
    let quiet = a.quiet;
    let mut log = |p: classlens_core::models::study::train::RecProgress| {
        if let (false, classlens_core::models::study::train::RecProgress::Record(r)) = (quiet, p) {
            let v = r.valid.map_or(String::new(), |v| format!(", valid loss {:.3}, hits@5 {:.3}", v.loss, v.hits_at_5));
            eprintln!("step {}: train loss {:.3}{v}", r.step, r.train_loss);
        }
    };
    if let Some(dir) = &a.alone {
        train_recommender_with(&train, &valid, None, &vocab, &run, None, dir, a.resume, &mut log)?;
        record_split(dir)?;
        rows.push(row("student alone", &StudyModel::load(dir)?)?);
    }
    let mut kd = run.clone();
    kd.distill = Some(RecDistillConfig { teacher: a.teacher.display().to_string(), temperature: a.temperature, alpha: a.alpha });
    let t = RecTeacher { model: &teacher.model, config: &teacher.run.model };
    train_recommender_with(&train, &valid, None, &vocab, &kd, Some(&t), &a.out, a.resume, &mut log)?;
    record_split(&a.out)?;
    rows.push(row("distilled student", &StudyModel::load(&a.out)?)?);
    Ok(Table { kind: "study", teacher: a.teacher.display().to_string(), alpha: a.alpha, temperature: a.temperature, rows })
}
