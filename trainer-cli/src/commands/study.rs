//! `train study|individual` and `recommend`.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use classlens_core::calendar::days_from_civil;
use classlens_core::data::Interactions;
use classlens_core::eval::deployed::{ContextReads, deployed_hits, with_history};
use classlens_core::eval::hits::{aggregate_csv, per_student_csv};
use classlens_core::eval::report::{MethodHits, baselines, comparison_table, model_hits};
use classlens_core::infer::recommend::{Request, recommend as infer_recommend};
use classlens_core::io::write_atomic;
use classlens_core::models::device::BurnBackend;
use classlens_core::models::device::reference_device;
use classlens_core::models::study::net::{RecommenderConfig, RecommenderKind};
use classlens_core::models::study::train::{RecProgress, train_recommender_with};
use classlens_core::models::study::{RecRunConfig, RecTrainConfig, StudyModel};
use classlens_core::runs::{SPLIT_FILE, Split, canonical, read_split, write_split};
use classlens_core::sequences::study::{PackConfig, StudyReport, TitleVocab, build_study, split_by_classroom, split_selection};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::data_args::DataArgs;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    Flex,
    Ndarray,
}

impl From<BackendArg> for BurnBackend {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Flex => BurnBackend::Flex,
            BackendArg::Ndarray => BurnBackend::Ndarray,
        }
    }
}

/// Where a burn trainer runs: the CPU (on `--backend`'s backend) or a GPU through burn's wgpu
/// runtime. Always listed, so a build without GPU training says how to get one instead of
/// "invalid value".
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Wgpu,
    /// burn's CUDA runtime (builds with the `cuda` feature).
    Cuda,
}

/// Why `--device cuda` is refused by a build without the `cuda` feature (the default).
#[cfg_attr(feature = "cuda", allow(dead_code))]
pub const NO_CUDA_BUILD: &str = "this classlens was built without CUDA; build it with `--features classlens-cli/cuda` (README, \"Training on a GPU\")";

/// Why a GPU option is refused by a default build.
#[cfg_attr(feature = "wgpu", allow(dead_code))]
pub const NO_GPU_BUILD: &str =
    "this classlens was built without GPU training (`--no-default-features`); build it with its default features (the `wgpu` feature)";

/// The burn backend `--device` asks for instead of a trainer's own CPU backend (`None` for the
/// CPU), for the trainers without `--backend`.
pub fn device_backend(device: DeviceArg) -> Result<Option<BurnBackend>> {
    match device {
        DeviceArg::Cpu => Ok(None),
        #[cfg(feature = "wgpu")]
        DeviceArg::Wgpu => Ok(Some(BurnBackend::Wgpu)),
        #[cfg(not(feature = "wgpu"))]
        DeviceArg::Wgpu => bail!("--device wgpu: {NO_GPU_BUILD}"),
        // Checked here for every trainer: burn's CUDA runtime panics on first use without a driver.
        #[cfg(feature = "cuda")]
        DeviceArg::Cuda => BurnBackend::Cuda.devices(1).map(|_| Some(BurnBackend::Cuda)).map_err(anyhow::Error::msg),
        #[cfg(not(feature = "cuda"))]
        DeviceArg::Cuda => bail!("--device cuda: {NO_CUDA_BUILD}"),
    }
}

/// The burn backend for `--device` and `--backend`.
pub fn burn_backend(device: DeviceArg, backend: BackendArg) -> Result<BurnBackend> {
    Ok(device_backend(device)?.unwrap_or_else(|| backend.into()))
}

/// What `train` writes after training; a fresh run removes an earlier run's copies first, so a
/// run that stops early never leaves an old report beside a new model.
const REPORT_FILES: [&str; 4] = ["recommendations.json", "per_student.csv", "aggregate.csv", "report.json"];

#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// Reading logs to train on (STUDY `student_activity.csv`, or any format with dated reads).
    #[arg(long)]
    pub train_data: PathBuf,
    /// Reading logs to evaluate on; without it, --valid-frac of the classrooms in --train-data
    /// are held out.
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Share of classrooms held out when there is no --valid-data.
    #[arg(long, default_value_t = 0.2)]
    pub valid_frac: f64,
    /// Share of the *training* classrooms held out to choose the step kept: the lowest loss on
    /// them, scored every --eval-every steps (never on the validation classrooms reported).
    /// 0 trains on all of them and keeps the last step.
    #[arg(long, default_value_t = 0.1)]
    pub select_frac: f64,
    /// Stop after this many scores on the selection classrooms without a lower loss (0: run
    /// every --steps).
    #[arg(long, default_value_t = 4)]
    pub patience: usize,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue from the newest complete checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Titles with their own id (the most read in training); the rest share one OOV id.
    #[arg(long, default_value_t = 2000)]
    pub vocab_size: usize,
    /// Tokens per row.
    #[arg(long, default_value_t = 65)]
    pub seq_len: usize,
    /// Reads per student chunk within a row (default: --seq-len, as the reference).
    #[arg(long)]
    pub student_chunk_size: Option<usize>,
    /// Rows per optimizer step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Peak learning rate (AdamW).
    #[arg(long, default_value_t = 1e-3)]
    pub learning_rate: f64,
    #[arg(long, default_value_t = 200)]
    pub warmup_steps: usize,
    #[arg(long, default_value_t = 0.1)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, default_value_t = 128)]
    pub d_model: usize,
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    #[arg(long, default_value_t = 512)]
    pub d_ff: usize,
    #[arg(long, default_value_t = 0.1)]
    pub dropout: f64,
    /// Condition suggestions on grades 1..=N (other and unknown grades share one bucket).
    #[arg(long)]
    pub num_grade_levels: Option<u8>,
    /// Ignore reading times (the reference's model): no session or run seconds in the input.
    #[arg(long)]
    pub no_durations: bool,
    /// Ignore read dates in the input (the reference's model); the mask still uses them.
    #[arg(long)]
    pub no_times: bool,
    /// No count features on the logits (the reference's model): see README.
    #[arg(long)]
    pub no_counts: bool,
    /// No co-read channel (item-item similarity to the student's last titles) on the logits.
    #[arg(long)]
    pub no_coread: bool,
    #[arg(long, default_value_t = 250)]
    pub eval_every: usize,
    #[arg(long, default_value_t = 250)]
    pub save_every: usize,
    /// burn CPU backend for training (with `--device cpu`).
    #[arg(long, value_enum, default_value_t = BackendArg::Flex)]
    pub backend: BackendArg,
    /// Train on the CPU or on a GPU through burn's wgpu runtime (builds with the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Threads that each compute a share of every step's rows, gradients added (data parallel
    /// on one device: burn's Flex backend uses one core per thread). Above 1 a run is not
    /// bit-for-bit repeatable (dropout's draws interleave).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// GPUs each step is spread over (with `--device wgpu`: the first N discrete GPUs), share i of
    /// the rows on GPU i mod N, gradients gathered and added on the first before one optimizer
    /// step. Combine with --workers for more shares than GPUs.
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
    /// The n of hits@n.
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10,20")]
    pub n_recommendations: Vec<usize>,
    #[arg(long)]
    pub quiet: bool,
}

/// What `report.json` holds.
#[derive(Serialize)]
struct Report<'a> {
    model: &'a str,
    train: &'a StudyReport,
    valid: &'a StudyReport,
    methods: &'a [MethodHits],
    /// The same models and baselines in the deployed protocol ([`classlens_core::eval::deployed`]).
    deployed: &'a [MethodHits],
    /// The co-read boost kept (chosen on the selection classrooms; absent without the channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    coread_boost: Option<f32>,
    /// The continuation shift added (logits on continuing the title being read; chosen on the
    /// selection classrooms, absent without them).
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_shift: Option<f32>,
}

pub(super) fn load_reads(args: &DataArgs, path: &Path) -> Result<Interactions> {
    let data = args.load(path)?;
    if data.events.iter().all(|e| e.kind != classlens_core::data::EventKind::Reading) {
        bail!("{}: no reading events (expected STUDY student_activity.csv or another log of dated reads)", path.display());
    }
    Ok(data)
}

pub(super) fn warn_report(what: &str, r: &StudyReport) {
    if r.undated_reads > 0 {
        eprintln!("warning: {what}: {} reads without a date were left out (they cannot be ordered against classmates' reads)", r.undated_reads);
    }
    if r.unplaced_students > 0 {
        eprintln!(
            "warning: {what}: {} students have neither class nor school: each is a classroom of their own (STUDY sees only their own reads)",
            r.unplaced_students
        );
    }
}

/// The heading of the deployed protocol's table (`train` and `eval --protocol deployed`).
const DEPLOYED_TITLE: &str =
    "as deployed: each read scored with the list of the morning of its day, titles read before that day left out (reads after each student's first day):";

/// The list sizes hits@n is scored at (`train` and `eval` share the flag).
pub(super) fn check_ns(ns: &[usize]) -> Result<()> {
    if ns.is_empty() || ns.contains(&0) {
        bail!("--n-recommendations needs values of at least 1");
    }
    Ok(())
}

pub fn train(kind: RecommenderKind, a: TrainArgs) -> Result<()> {
    check_ns(&a.n_recommendations)?;
    let chunk = a.student_chunk_size.unwrap_or(a.seq_len);
    let pack = PackConfig::new(a.seq_len, chunk)?;
    let all = load_reads(&a.data_args, &a.train_data)?;
    let (train_data, valid_data) = match &a.valid_data {
        Some(path) => (all, load_reads(&a.data_args, path)?),
        None => split_by_classroom(&all, a.valid_frac, a.seed).map_err(anyhow::Error::msg)?,
    };
    // The selection classrooms: cut from the training data, so the step kept is never chosen on
    // the classrooms reported. Too few classrooms to cut any: the last step is kept.
    let (fit_data, select_data) = split_selection(&train_data, a.select_frac, a.seed).map_err(anyhow::Error::msg)?;
    let vocab = TitleVocab::from_training(&fit_data, a.vocab_size);
    // Which students (the held-out classrooms' students) the model never trains on: written
    // before training, like DKT's, so `eval study` scores only them and a resume checks it
    // continues the same split.
    let split = Split {
        data: canonical(&a.train_data),
        valid_data: a.valid_data.as_deref().map(canonical),
        train: readers(&train_data),
        valid: readers(&valid_data),
        test: Vec::new(),
    };
    let train = build_study(&fit_data, &vocab, &pack);
    let valid = build_study(&valid_data, &vocab, &pack);
    let select = build_study(&select_data, &vocab, &pack);
    warn_report("training data", &train.report);
    warn_report("validation data", &valid.report);
    let select = if select.rows.is_empty() {
        if a.select_frac > 0.0 && !a.quiet {
            eprintln!("warning: --select-frac {} holds out no training classroom here: the last step is kept", a.select_frac);
        }
        None
    } else {
        Some(select)
    };
    if valid.rows.is_empty() {
        bail!("no validation reads: pass --valid-data or a --valid-frac that holds out at least one classroom");
    }
    let model = RecommenderConfig {
        d_model: a.d_model,
        n_heads: a.heads,
        n_layers: a.layers,
        d_ff: a.d_ff,
        dropout: a.dropout,
        num_grade_levels: a.num_grade_levels,
        durations: !a.no_durations,
        times: !a.no_times,
        count_features: !a.no_counts,
        coread: !a.no_coread,
        ..RecommenderConfig::new(kind, vocab.len())
    };
    model.validate().map_err(anyhow::Error::msg)?;
    let backend = burn_backend(a.device, a.backend)?;
    let train_cfg = RecTrainConfig {
        steps: a.steps,
        batch_size: a.batch_size,
        learning_rate: a.learning_rate,
        warmup_steps: a.warmup_steps,
        weight_decay: a.weight_decay,
        seed: a.seed,
        eval_every: a.eval_every,
        save_every: a.save_every,
        backend,
        select_frac: a.select_frac,
        patience: if select.is_some() { a.patience } else { 0 },
        workers: a.workers,
        devices: a.devices,
    };
    train_cfg.validate().map_err(anyhow::Error::msg)?;
    // The devices exist before anything is written (the trainer asks for them again).
    backend.devices(a.devices).map_err(anyhow::Error::msg)?;
    // Every setting checked: the split is the first file of the run.
    match (a.resume, read_split(&a.out)?) {
        (true, Some(saved)) if saved != split => {
            bail!("{}: {SPLIT_FILE} differs from this data, --valid-frac and seed; resume needs the same ones", a.out.display())
        }
        _ => {
            std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
            write_split(&a.out, &split)?;
        }
    }
    let run = RecRunConfig::new(model, pack, train_cfg);
    if !a.quiet {
        let (t, v) = (&train.report, &valid.report);
        eprintln!(
            "{}: {} titles in the vocabulary; train {} students, {} reads, {} classrooms, {} rows; valid {} students, {} reads, {} rows; {} classrooms to choose the step on",
            kind.as_str(),
            vocab.num_titles(),
            t.students,
            t.reads,
            t.classrooms,
            t.rows,
            v.students,
            v.reads,
            v.rows,
            select.as_ref().map_or(0, |s| s.report.classrooms)
        );
    }
    let bar = ProgressBar::new(a.steps as u64);
    bar.set_style(ProgressStyle::with_template("step [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})").expect("valid template").progress_chars("=> "));
    if a.quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if !a.resume {
        for name in REPORT_FILES {
            let p = a.out.join(name);
            if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing the earlier run's {}", p.display()))?;
            }
        }
        let old = a.out.join("baselines");
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("removing the earlier run's {}", old.display()))?;
        }
    }
    let quiet = a.quiet;
    let mut continuation = None;
    train_recommender_with(&train, &valid, select.as_ref(), &vocab, &run, None, &a.out, a.resume, &mut |p| match p {
        RecProgress::Start { from, .. } => {
            if from > 0 && !quiet {
                bar.suspend(|| eprintln!("resuming after step {from}"));
            }
            bar.set_position(from as u64);
        }
        RecProgress::Step { step, loss, tokens_per_sec } => {
            bar.set_position(step as u64);
            bar.set_message(format!("loss {loss:.3}, {tokens_per_sec:.0} tokens/s"));
        }
        RecProgress::Record(r) => {
            let v = r.valid.map_or(String::new(), |v| {
                format!(", valid loss {:.3}, hits@1 {:.3}, hits@5 {:.3}, hits@20 {:.3}", v.loss, v.hits_at_1, v.hits_at_5, v.hits_at_20)
            });
            let s = r.select.map_or(String::new(), |s| format!(", selection loss {:.3}", s.loss));
            if !quiet {
                bar.suspend(|| eprintln!("step {}: train loss {:.3}, {:.0} tokens/s{s}{v}", r.step, r.train_loss, r.tokens_per_sec));
            }
        }
        RecProgress::Coread(c) => {
            if !quiet {
                bar.suspend(|| {
                    eprintln!(
                        "co-read boost {} (chosen on the selection classrooms' {} new-title reads: mean hits@1/5/20 {:.4} -> {:.4})",
                        c.boost, c.reads, c.score_before, c.score_after
                    )
                });
            }
        }
        RecProgress::Continuation(c) => {
            continuation = Some(c.shift);
            if !quiet {
                bar.suspend(|| {
                    eprintln!(
                        "continuation shift {} (chosen on the selection classrooms' {} reads: mean hits@1/5/20 {:.4} -> {:.4})",
                        c.shift, c.reads, c.score_before, c.score_after
                    )
                });
            }
        }
        RecProgress::Stopped { step, kept } => {
            if !quiet {
                bar.suspend(|| {
                    eprintln!(
                        "stopped after step {step}: the selection loss has not improved since step {} ({:.3}), whose weights are kept",
                        kept.step, kept.loss
                    )
                });
            }
        }
    })?;
    bar.finish_and_clear();

    // The report: the trained model against both baselines, on the same validation reads.
    let loaded = StudyModel::load(&a.out)?;
    let ns = &a.n_recommendations;
    let (hits, recommendations) = model_hits(kind.as_str(), &loaded.model, &loaded.run.model, &vocab, &valid_data, &valid, ns, &reference_device());
    let mut methods = vec![hits];
    methods.extend(baselines(&train.seqs, &valid_data, &valid, &vocab, ns));
    let out = &a.out;
    let write = |name: &str, bytes: &[u8]| write_atomic(&out.join(name), bytes).with_context(|| format!("writing {}", out.join(name).display()));
    let [recs_file, per_student_file, aggregate_file, report_file] = REPORT_FILES;
    write(recs_file, &serde_json::to_vec_pretty(&recommendations)?)?;
    write(per_student_file, per_student_csv(&methods[0].per_student)?.as_bytes())?;
    write(aggregate_file, aggregate_csv(&methods[0].aggregate)?.as_bytes())?;
    for m in &methods[1..] {
        write(&format!("baselines/{}/per_student.csv", m.method), per_student_csv(&m.per_student)?.as_bytes())?;
        write(&format!("baselines/{}/aggregate.csv", m.method), aggregate_csv(&m.aggregate)?.as_bytes())?;
    }
    // Deployed: later reads in a --valid-data file are scored with the student's earlier reads
    // (from --train-data) as their history.
    let as_deployed = (kind.as_str(), &loaded.model, &loaded.run.model, &loaded.run.pack);
    let deployed = match a.valid_data {
        Some(_) => {
            let (scored_data, context) = with_history(&train_data, &valid_data);
            let scored = build_study(&scored_data, &vocab, &pack);
            deployed_hits(Some(as_deployed), Some(&train.seqs), &scored_data, &scored, &context, &vocab, ns, &reference_device())
        }
        None => deployed_hits(Some(as_deployed), Some(&train.seqs), &valid_data, &valid, &ContextReads::new(), &vocab, ns, &reference_device()),
    };
    let report = Report {
        model: kind.as_str(),
        train: &train.report,
        valid: &valid.report,
        methods: &methods,
        deployed: &deployed,
        coread_boost: loaded.model.coread_boost(),
        continuation_shift: continuation,
    };
    write(report_file, &serde_json::to_vec_pretty(&report)?)?;
    println!("hits@n on the validation reads after each student's first (mean over students):");
    print!("{}", comparison_table(&methods, ns));
    println!("{DEPLOYED_TITLE}");
    print!("{}", comparison_table(&deployed, ns));
    if let Some(boost) = loaded.model.coread_boost() {
        println!("co-read boost on unread titles: {boost} (chosen on the selection classrooms; 0 without them)");
    }
    if let Some(shift) = continuation {
        println!("continuation shift: {shift} (chosen on the selection classrooms)");
    }
    Ok(())
}

#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// A model directory or pack (STUDY or Individual).
    #[arg(long)]
    pub model: PathBuf,
    /// Reading logs to score on.
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Which readers to score. `auto`: the classrooms the model held out when --data is the file
    /// it was trained on (its split.json), every reader otherwise; a reader the model trained on
    /// is never scored under `auto`. `valid` and `train` need the model's split.json; `all`
    /// scores everyone.
    #[arg(long, value_enum, default_value_t = StudySplitArg::Auto)]
    pub split: StudySplitArg,
    /// For a pack (which carries no split.json): score only the classrooms that `train
    /// --valid-frac F` held out of --data, redrawn from the model's recorded seed. With a model
    /// directory the redrawn classrooms must be the ones its split.json recorded.
    #[arg(long, conflicts_with = "split")]
    pub held_out_frac: Option<f64>,
    #[arg(long, value_delimiter = ',', default_value = "1,3,5,10,20")]
    pub n_recommendations: Vec<usize>,
    /// `reference`: each read scored from the previous read's token, as the STUDY reference
    /// does. `deployed`: each read scored with the list of the morning of its day, titles read
    /// before that day left out, beside classroom popularity scored the same way.
    #[arg(long, value_enum, default_value_t = Protocol::Reference)]
    pub protocol: Protocol,
    /// With `--protocol deployed`: earlier reads of the same students (the `--train-data` of a
    /// run trained with `--valid-data`), the history --data's reads are scored with; never
    /// scored themselves.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Reference,
    Deployed,
}

/// hits@n of a trained (or exported) model, in the same report as `train` prints.
pub fn eval(a: EvalArgs) -> Result<()> {
    check_ns(&a.n_recommendations)?;
    if a.history.is_some() && a.protocol != Protocol::Deployed {
        bail!("--history is read only with --protocol deployed");
    }
    let dir = super::load_model::recommender(&a.model)?;
    let all = load_reads(&a.data_args, &a.data)?;
    let split = if a.model.is_dir() { read_split(&a.model)? } else { None };
    let data = scored_readers(&a, all, split.as_ref(), dir.run.train.seed)?;
    // Deployed with --history: the earlier reads go in front as context (never scored).
    let (data, context) = match &a.history {
        Some(path) => with_history(&load_reads(&a.data_args, path)?, &data),
        None => (data, ContextReads::new()),
    };
    let built = build_study(&data, &dir.vocab, &dir.run.pack);
    warn_report("evaluation data", &built.report);
    let kind = dir.run.model.kind;
    let ns = &a.n_recommendations;
    let json = match a.protocol {
        Protocol::Reference => {
            let (hits, _) = model_hits(kind.as_str(), &dir.model, &dir.run.model, &dir.vocab, &data, &built, ns, &reference_device());
            println!("hits@n on {} students' reads after each student's first (mean over students):", built.seqs.len());
            print!("{}", comparison_table(std::slice::from_ref(&hits), ns));
            serde_json::to_vec_pretty(&hits)?
        }
        Protocol::Deployed => {
            let model = (kind.as_str(), &dir.model, &dir.run.model, &dir.run.pack);
            let methods = deployed_hits(Some(model), None, &data, &built, &context, &dir.vocab, ns, &reference_device());
            println!("{} students, {DEPLOYED_TITLE}", built.seqs.len());
            print!("{}", comparison_table(&methods, ns));
            serde_json::to_vec_pretty(&methods)?
        }
    };
    if let Some(path) = &a.json {
        write_atomic(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudySplitArg {
    Auto,
    Valid,
    Train,
    All,
}

/// The names of the students with at least one event in `data`, sorted.
fn readers(data: &Interactions) -> Vec<String> {
    let ids: BTreeSet<u32> = data.events.iter().map(|e| e.student).collect();
    let mut names: Vec<String> = ids.into_iter().map(|s| data.students.name(s).to_string()).collect();
    names.sort();
    names
}

/// The part of `all` (read from `a.data`) that `eval study` scores, per `--split` /
/// `--held-out-frac` and the model's recorded `split` (see [`EvalArgs::split`]).
fn scored_readers(a: &EvalArgs, mut all: Interactions, split: Option<&Split>, seed: u64) -> Result<Interactions> {
    if let Some(frac) = a.held_out_frac {
        let held = split_by_classroom(&all, frac, seed).map_err(anyhow::Error::msg)?.1;
        if let Some(s) = split.filter(|s| s.is_data(&a.data))
            && readers(&held) != s.valid
        {
            bail!(
                "{}: --held-out-frac {frac} holds out other classrooms than the model's {SPLIT_FILE} records: drop --held-out-frac (the recorded split is used)",
                a.model.display()
            );
        }
        return Ok(held);
    }
    let keep = |all: &mut Interactions, names: &[String]| {
        let keep: HashSet<&str> = names.iter().map(String::as_str).collect();
        let students = all.students.clone();
        all.retain_students(|s| keep.contains(students.name(s)));
    };
    match (a.split, split) {
        (StudySplitArg::All, _) => {}
        (StudySplitArg::Auto, None) => {}
        (StudySplitArg::Auto, Some(s)) if s.is_data(&a.data) => keep(&mut all, &s.valid),
        (StudySplitArg::Auto, Some(s)) => {
            // Another file (the run's --valid-data, or new data): names that the model trained on
            // are the same students only if the files agree, so they are refused, not guessed.
            let trained: HashSet<&str> = s.train.iter().map(String::as_str).collect();
            let seen: Vec<String> = readers(&all).into_iter().filter(|n| trained.contains(n.as_str())).collect();
            if !seen.is_empty() && !s.is_from(&a.data) {
                bail!(
                    "{}: {} readers of {} share a name with students the model trained on (e.g. {}): pass the file it was trained on to score its held-out classrooms, or --split all to score everyone",
                    a.model.display(),
                    seen.len(),
                    a.data.display(),
                    seen[0]
                );
            }
        }
        (_, None) => bail!("{} has no {SPLIT_FILE}: use --split all (or --held-out-frac for a pack)", a.model.display()),
        (StudySplitArg::Valid, Some(s)) => keep(&mut all, &s.valid),
        (StudySplitArg::Train, Some(s)) => keep(&mut all, &s.train),
    }
    Ok(all)
}

#[derive(Args, Debug, Clone)]
pub struct RecommendArgs {
    /// A model directory written by `train study` or `train individual`, or a pack from `export`.
    #[arg(long)]
    pub model: PathBuf,
    /// The reading history to recommend from (the classmates' reads included).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Students to recommend for (comma-separated ids); default: every student in --data.
    #[arg(long, value_delimiter = ',')]
    pub students: Vec<String>,
    /// Suggestions per student.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Also suggest titles the student has already read.
    #[arg(long)]
    pub include_read: bool,
    /// The date to recommend for (YYYY-MM-DD): classmates' reads before it are visible. Default:
    /// the day after the newest read in --data.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Output: a readable table or JSON.
    #[arg(long, value_enum, default_value_t = OutputArg::Table)]
    pub output: OutputArg,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    Table,
    Json,
}

fn parse_date(text: &str) -> Result<i64> {
    let parts: Vec<&str> = text.split('-').collect();
    let bad = || anyhow::anyhow!("--as-of: expected a date YYYY-MM-DD, found {text:?}");
    let [y, m, d] = parts.as_slice() else { return Err(bad()) };
    let (y, m, d): (i64, u32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400)
}

pub fn recommend(a: RecommendArgs) -> Result<()> {
    let dir = super::load_model::recommender(&a.model)?;
    let data = load_reads(&a.data_args, &a.data)?;
    let as_of = a.as_of.as_deref().map(parse_date).transpose()?;
    let request = Request { top: a.top, include_read: a.include_read, as_of };
    let (out, without) = infer_recommend(&dir, &data, &a.students, &request).with_context(|| format!("{}", a.data.display()))?;
    for name in &without {
        eprintln!("warning: student {name} has no dated read: no suggestion");
    }
    match a.output {
        OutputArg::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        OutputArg::Table => {
            println!("{:<12} {:>4} {:<16} {:>7} {:>22}", "student", "rank", "title", "score", "classmates (last 7 d)");
            for n in &out {
                for (k, s) in n.suggestions.iter().enumerate() {
                    println!("{:<12} {:>4} {:<16} {:>7.4} {:>22}", n.student, k + 1, s.title, s.score, s.classmates_recent);
                }
            }
        }
    }
    Ok(())
}
