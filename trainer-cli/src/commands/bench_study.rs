//! `bench study`: training throughput of the STUDY model in tokens per second, and the latency of
//! `recommend` for one classroom, measured the same way every time.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use classlens_core::infer::recommend::{Request, recommend};
use classlens_core::models::study::net::{RecommenderConfig, RecommenderKind};
use classlens_core::models::study::train::train_recommender;
use classlens_core::models::study::{RecRunConfig, RecTrainConfig, StudyModel};
use classlens_core::sequences::study::{ClassroomKey, PackConfig, TitleVocab, build_study};
use serde::Serialize;

use super::bench::{Latency, cpu_name, emit_json, latency, peak_rss_mib, time_it};
use super::data_args::DataArgs;
use super::study::{BackendArg, DeviceArg, burn_backend};

#[derive(Args, Debug)]
pub struct BenchStudyArgs {
    /// Reading logs (STUDY student_activity.csv or another log of dated reads).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Optimizer steps to time (the shape: 2 layers, 4 heads, 128 dimensions).
    #[arg(long, default_value_t = 30)]
    pub steps: usize,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 65)]
    pub seq_len: usize,
    #[arg(long, default_value_t = 65)]
    pub student_chunk_size: usize,
    #[arg(long, value_enum, default_value_t = BackendArg::Flex)]
    pub backend: BackendArg,
    /// Train on the CPU or through burn's wgpu runtime (builds with the `wgpu` feature).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Threads sharing each step's rows (`train study --workers`).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// GPUs sharing each step's rows (`train study --devices`; with `--device wgpu`).
    #[arg(long, default_value_t = 1)]
    pub devices: usize,
    /// Time `recommend` with this model directory instead of the one trained here.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Students of the classroom `recommend` answers for.
    #[arg(long, default_value_t = 30)]
    pub classroom_size: usize,
    #[arg(long, default_value_t = 50)]
    pub repeats: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Serialize)]
struct StudyBenchReport {
    data: String,
    machine: String,
    threads: usize,
    backend: String,
    workers: usize,
    devices: usize,
    d_model: usize,
    heads: usize,
    layers: usize,
    seq_len: usize,
    batch_size: usize,
    steps: usize,
    /// Row positions (padding included) per second, excluding evaluation and checkpoints.
    train_tokens_per_sec: f64,
    /// Read tokens (no SEP, no padding) per second.
    train_read_tokens_per_sec: f64,
    /// `recommend` for one classroom: packing its reads and running the model, from loaded data.
    recommend_classroom: Latency,
    peak_rss_mib: Option<f64>,
}

pub fn study(a: BenchStudyArgs) -> Result<()> {
    let data = a.data_args.load(&a.data)?;
    let pack = PackConfig::new(a.seq_len, a.student_chunk_size.min(a.seq_len))?;
    let tmp = tempfile::tempdir()?;
    let vocab = TitleVocab::from_training(&data, 2000);
    let built = build_study(&data, &vocab, &pack);
    let backend = burn_backend(a.device, a.backend)?;
    let model = RecommenderConfig::new(RecommenderKind::Study, vocab.len());
    let train = RecTrainConfig {
        steps: a.steps,
        batch_size: a.batch_size,
        eval_every: a.steps,
        save_every: a.steps,
        backend,
        workers: a.workers,
        devices: a.devices,
        ..Default::default()
    };
    let run = RecRunConfig::new(model, pack, train);
    // Validation on a handful of rows only: evaluation is not what is timed.
    let valid = classlens_core::sequences::study::StudyData { rows: built.rows[..built.rows.len().min(4)].to_vec(), ..built.clone() };
    let history = train_recommender(&built, &valid, &vocab, &run, tmp.path(), false, &mut |_| {})?;
    let last = history.last().expect("at least one record");

    let dir = StudyModel::load(a.model.as_deref().unwrap_or(tmp.path()))?;
    // The first classroom with enough students, as the app would hold it: only its reads.
    let room = built.classrooms.iter().find(|c| c.members.len() >= a.classroom_size && !matches!(c.key, ClassroomKey::Alone(_)));
    let Some(room) = room else { bail!("no classroom in {} has {} students", a.data.display(), a.classroom_size) };
    let students: Vec<u32> = room.members.iter().take(a.classroom_size).map(|m| built.seqs[m.seq].student).collect();
    let mut class_data = data.clone();
    let keep: std::collections::HashSet<u32> = room.members.iter().map(|m| built.seqs[m.seq].student).collect();
    class_data.retain_students(|s| keep.contains(&s));
    let names: Vec<String> = students.iter().map(|&s| data.students.name(s).to_string()).collect();
    // The app's call, with its own `as_of` rule (the day after the newest read).
    let request = Request { top: 5, include_read: false, as_of: None };
    let mut answered = 0;
    let mut failed = None;
    let timing = time_it(a.repeats, || match recommend(&dir, &class_data, &names, &request) {
        Ok((found, _)) => answered = found.len(),
        Err(e) => failed = Some(e),
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    if answered != students.len() {
        bail!("recommend answered for {answered} of {} students", students.len());
    }
    let report = StudyBenchReport {
        data: a.data.display().to_string(),
        machine: cpu_name(),
        threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        backend: format!("{backend:?}").to_lowercase(),
        workers: a.workers,
        devices: a.devices,
        d_model: model.d_model,
        heads: model.n_heads,
        layers: model.n_layers,
        seq_len: a.seq_len,
        batch_size: a.batch_size,
        steps: a.steps,
        train_tokens_per_sec: last.tokens_per_sec,
        train_read_tokens_per_sec: last.read_tokens_per_sec,
        recommend_classroom: latency(students.len(), 1, timing),
        peak_rss_mib: peak_rss_mib(),
    };
    emit_json(&report, a.json.as_deref())
}
