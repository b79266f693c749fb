//! `bench dkt`: the figures BENCHMARKS.md quotes, measured the same way every time.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use classlens_core::io::write_atomic;
use classlens_core::models::dkt::net::KtBatchTensors;
use classlens_core::models::dkt::train::train_dkt;
use classlens_core::models::dkt::{DktModel, DktTrainConfig};
use classlens_core::sequences::kt::{KtBatch, KtStep, Window, kt_splits_with};
use serde::Serialize;

use super::data_args::DataArgs;
use super::dkt::EngineArg;

#[derive(Args, Debug)]
pub struct BenchDktArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long)]
    pub valid_data: Option<PathBuf>,
    /// Training epochs to time.
    #[arg(long, default_value_t = 2)]
    pub epochs: usize,
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    #[arg(long, default_value_t = 100)]
    pub window: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, value_enum, default_value_t = EngineArg::Fused)]
    pub engine: EngineArg,
    /// Inference batch: students × steps.
    #[arg(long, default_value_t = 32)]
    pub infer_students: usize,
    #[arg(long, default_value_t = 100)]
    pub infer_steps: usize,
    /// Timed inference repetitions (after the first, which is reported apart).
    #[arg(long, default_value_t = 50)]
    pub repeats: usize,
    /// Skip training; time inference of an existing model directory instead.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Problem-aware DKT (see `train dkt --problems`).
    #[arg(long)]
    pub problems: bool,
    /// Factorised input (see `train dkt --embed`; the same default).
    #[arg(long)]
    pub embed: Option<usize>,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Serialize)]
pub(super) struct Latency {
    students: usize,
    steps: usize,
    first_ms: f64,
    median_ms: f64,
    p90_ms: f64,
    repeats: usize,
}

#[derive(Serialize)]
struct BenchReport {
    data: String,
    machine: String,
    threads: usize,
    engine: String,
    /// The factorised input's embedding size (0: the table trained directly); none with --model.
    embed: Option<usize>,
    train_students: usize,
    train_steps: usize,
    epoch_seconds: Vec<f64>,
    mean_epoch_seconds: Option<f64>,
    valid_auc: Vec<Option<f64>>,
    infer_kernel: Latency,
    infer_burn_graph: Latency,
    n_params: usize,
    peak_rss_mib: Option<f64>,
}

/// Prints a benchmark report as JSON and, when asked, writes it (atomically) to `path` as well.
pub(super) fn emit_json<T: Serialize>(report: &T, path: Option<&std::path::Path>) -> Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    println!("{json}");
    if let Some(p) = path {
        write_atomic(p, json.as_bytes())?;
    }
    Ok(())
}

pub(super) fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Peak resident memory of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The `p` quantile (0..=1) of `values` by the nearest rank `round((n - 1) p)`: the one
/// median and p90 of every timing the CLI reports. `None` for no values.
pub(super) fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize).copied()
}

/// Milliseconds of the first call of `f`, then of `repeats` more (sorted).
pub(super) fn time_it(repeats: usize, mut f: impl FnMut()) -> (f64, Vec<f64>) {
    let t = Instant::now();
    f();
    let first = t.elapsed().as_secs_f64() * 1e3;
    let mut v: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (first, v)
}

pub(super) fn latency(students: usize, steps: usize, (first, v): (f64, Vec<f64>)) -> Latency {
    let q = |p: f64| quantile(&v, p).unwrap_or(first);
    Latency { students, steps, first_ms: first, median_ms: q(0.5), p90_ms: q(0.9), repeats: v.len() }
}

pub fn dkt(a: BenchDktArgs) -> Result<()> {
    let embed = super::dkt::embed_or_default(a.embed, a.engine, a.hidden);
    let data = a.data_args.load(&a.data)?;
    let valid = a.valid_data.as_deref().map(|p| a.data_args.load(p)).transpose()?;
    let splits = kt_splits_with(&data, valid.as_ref(), 0.1, 0.0, 42, a.problems);
    let tmp = tempfile::tempdir()?;
    let (model_dir, history) = match &a.model {
        Some(dir) => (dir.clone(), vec![]),
        None => {
            let cfg = DktTrainConfig {
                hidden: a.hidden,
                window: a.window,
                batch_size: a.batch_size,
                epochs: a.epochs,
                learning_rate: 1e-3,
                seed: 42,
                engine: a.engine.engine()?,
                problem_aware: a.problems,
                embed,
                // Per-skill, the loss every engine implements, so engines compare like for like.
                ..Default::default()
            };
            let mut bar = crate::progress::TrainBar::new(false);
            let out = train_dkt(&splits.train, &splits.valid, &splits.vocab, &splits.problems, &cfg, tmp.path(), false, &mut |p| bar.update(p))?;
            (tmp.path().to_path_buf(), out.history)
        }
    };
    let model = DktModel::load(&model_dir)?;
    if a.infer_students == 0 || a.infer_steps == 0 {
        bail!("--infer-students and --infer-steps must be at least 1");
    }
    // The inference batch is indexed with the model's own vocabulary (a given --model may have
    // been trained on other data or another split).
    let (seqs, _) = model.sequences(&data);

    // The inference batch: real windows of exactly `infer_steps` steps where the data has them.
    let pool: Vec<&[KtStep]> = seqs.iter().flat_map(|q| q.steps.chunks_exact(a.infer_steps)).take(a.infer_students).collect();
    if pool.len() < a.infer_students {
        bail!("the data has only {} windows of {} steps; need {}", pool.len(), a.infer_steps, a.infer_students);
    }
    let kernel = time_it(a.repeats, || {
        std::hint::black_box(model.weights.predict(&pool));
    });
    let owned: Vec<_> = pool.iter().map(|s| classlens_core::sequences::kt::KtSequence { student: String::new(), steps: s.to_vec() }).collect();
    let wins: Vec<Window> = (0..owned.len()).map(|i| Window { seq: i, start: 0, len: a.infer_steps }).collect();
    let batch = KtBatch::new(&owned, &wins);
    #[allow(deprecated)]
    let infer_device = burn::tensor::Device::ndarray();
    let graph_model = model.weights.to_module(&infer_device);
    let graph = time_it(a.repeats.min(10), || {
        let x = KtBatchTensors::new(&batch, &infer_device);
        std::hint::black_box(burn::tensor::activation::sigmoid(graph_model.logits(&x)).into_data());
    });
    let epoch_seconds: Vec<f64> = history.iter().map(|h| h.seconds).collect();
    let report = BenchReport {
        data: a.data.display().to_string(),
        machine: cpu_name(),
        threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        engine: format!("{:?}", a.engine).to_lowercase(),
        embed: a.model.is_none().then_some(embed),
        train_students: splits.train.len(),
        train_steps: splits.train.iter().map(|q| q.steps.len()).sum(),
        mean_epoch_seconds: (!epoch_seconds.is_empty()).then(|| epoch_seconds.iter().sum::<f64>() / epoch_seconds.len() as f64),
        epoch_seconds,
        valid_auc: history.iter().map(|h| h.valid.as_ref().and_then(|v| v.auc)).collect(),
        infer_kernel: latency(a.infer_students, a.infer_steps, kernel),
        infer_burn_graph: latency(a.infer_students, a.infer_steps, graph),
        n_params: model.weights.n_params(),
        peak_rss_mib: peak_rss_mib(),
    };
    emit_json(&report, a.json.as_deref())
}

#[derive(Args, Debug)]
pub struct BenchLoadArgs {
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Loader throughput and peak memory: shows that memory follows the loaded events, not the
/// file's size (the loaders stream).
pub fn load(a: BenchLoadArgs) -> Result<()> {
    let bytes = std::fs::metadata(&a.data)?.len();
    let t = Instant::now();
    let data = a.data_args.load(&a.data)?;
    let seconds = t.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "data": a.data.display().to_string(),
        "file_mib": bytes as f64 / (1 << 20) as f64,
        "events": data.events.len(),
        "students": data.students.len(),
        "seconds": seconds,
        "mib_per_second": bytes as f64 / (1 << 20) as f64 / seconds,
        "peak_rss_mib": peak_rss_mib(),
    });
    emit_json(&report, a.json.as_deref())
}
