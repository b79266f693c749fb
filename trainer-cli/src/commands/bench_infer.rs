//! `bench infer`: a model pack as the app uses it, natively: size, load time, first and steady
//! latency. DKT: one batch of students × steps (all steps' per-skill probabilities, as ONNX
//! Runtime's DKT graph outputs). STUDY / Individual: next-read suggestions for one classroom's
//! log. The browser side of the same measurement is `tests/browser/wasm_bench.mjs`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use classlens_core::infer::mastery::{Tracer, synthetic_histories};
use classlens_core::infer::recommend::{Request, recommend};
use classlens_core::infer::{LoadedPack, load_pack};
use classlens_core::pack::read_meta;
use classlens_core::sequences::kt::KtStep;
use serde::Serialize;

use super::bench::{Latency, cpu_name, emit_json, latency, quantile, time_it};
use super::data_args::DataArgs;

#[derive(Args, Debug)]
pub struct BenchInferArgs {
    /// The pack to measure (`classlens export`).
    #[arg(long)]
    pub pack: PathBuf,
    /// DKT, attention model and BKT: students per batch.
    #[arg(long, default_value_t = 32)]
    pub students: usize,
    /// DKT: answers per student.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// STUDY / Individual: one classroom's reading log (with its student_info.csv beside it).
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub data_args: DataArgs,
    /// Timed runs after the first.
    #[arg(long, default_value_t = 50)]
    pub repeats: usize,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// `gpu`: DKT and STUDY/Individual on the WGSL kernels (`classlens_core::infer::webgpu`)
    /// through Vulkan: a real GPU when the machine has one, Mesa's lavapipe otherwise.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceArg {
    Cpu,
    Gpu,
}

#[derive(Serialize)]
struct InferBenchReport {
    pack: String,
    kind: String,
    quantization: String,
    pack_bytes: usize,
    machine: String,
    /// Pack bytes → model ready (checksum, metadata, burnpack, dequantization); median of 10.
    load_ms: f64,
    /// What one call computes.
    workload: String,
    /// `cpu`, or the GPU adapter in words.
    device: String,
    /// GPU only: compute dispatches per batch, and whether the suggestions (STUDY) or the
    /// probabilities to 1e-4 (DKT) equal the CPU's.
    #[serde(skip_serializing_if = "Option::is_none")]
    dispatches_per_batch: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    same_as_cpu: Option<bool>,
    /// The first call after loading, then the steady state.
    latency: Latency,
}

/// The dashboard's mastery call of a knowledge-tracing model on synthetic histories.
fn mastery_timing(m: &dyn Tracer, a: &BenchInferArgs) -> (String, Latency) {
    let h = synthetic_histories(m, a.students, a.steps);
    let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
    (
        format!("{} students x {} steps, every skill's probability after the last step (mastery)", a.students, a.steps),
        latency(a.students, a.steps, time_it(a.repeats, || drop(m.mastery_batch(&refs)))),
    )
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

pub fn infer(a: BenchInferArgs) -> Result<()> {
    if a.repeats == 0 || a.students == 0 || a.steps == 0 {
        bail!("--repeats, --students and --steps must be at least 1");
    }
    let bytes = std::fs::read(&a.pack).with_context(|| format!("reading {}", a.pack.display()))?;
    let (meta, _) = read_meta(&bytes).with_context(|| a.pack.display().to_string())?;
    let loads: Vec<f64> = (0..10)
        .map(|_| {
            let t = Instant::now();
            load_pack(&bytes).map(|_| ms(t))
        })
        .collect::<Result<_, _>>()?;
    let model = load_pack(&bytes)?;
    let gpu = if a.device == DeviceArg::Gpu { Some(gpu_timing(&model, &a)?) } else { None };
    let (device, dispatches, same) = gpu.as_ref().map_or(("cpu".to_string(), None, None), |g| (g.adapter.clone(), Some(g.dispatches), Some(g.same_as_cpu)));
    // `time_it` times the first call after loading apart from the steady ones.
    let (workload, timing) = match (gpu, &model) {
        (Some(g), _) => (g.workload, g.latency),
        (None, model) => match model {
            LoadedPack::Dkt(m) => {
                let h = synthetic_histories(m, a.students, a.steps);
                let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
                (
                    format!("{} students x {} steps, all steps' probabilities", a.students, a.steps),
                    latency(a.students, a.steps, time_it(a.repeats, || drop(m.weights.predict(&refs)))),
                )
            }
            LoadedPack::Akt(m) => mastery_timing(m, &a),
            LoadedPack::Bkt(m) => mastery_timing(m, &a),
            LoadedPack::Recommender(m) => {
                let Some(path) = &a.data else { bail!("--data (one classroom's reading log) is needed for a {} pack", meta.kind()) };
                let data = a.data_args.load(path)?;
                let request = Request { top: 5, include_read: false, as_of: None };
                let (out, _) = recommend(m, &data, &[], &request)?;
                let timing = time_it(a.repeats, || drop(recommend(m, &data, &[], &request)));
                (format!("next reads (top 5) of the {} students of {}", out.len(), path.display()), latency(out.len(), 1, timing))
            }
        },
    };
    let report = InferBenchReport {
        pack: a.pack.display().to_string(),
        kind: meta.kind().to_string(),
        quantization: meta.quantization.as_str().into(),
        pack_bytes: bytes.len(),
        machine: cpu_name(),
        load_ms: quantile(&loads, 0.5).expect("ten loads"),
        workload,
        device,
        dispatches_per_batch: dispatches,
        same_as_cpu: same,
        latency: timing,
    };
    emit_json(&report, a.json.as_deref())
}

/// One workload timed on the WGSL kernels.
struct GpuRun {
    adapter: String,
    dispatches: usize,
    same_as_cpu: bool,
    workload: String,
    latency: Latency,
}

/// The CPU's workloads on the WGSL kernels, checked against the CPU's answers first.
fn gpu_timing(model: &LoadedPack, a: &BenchInferArgs) -> Result<GpuRun> {
    use classlens_core::infer::recommend::recommend_gpu;
    use classlens_core::infer::webgpu::{GpuDkt, block_on, study::GpuRecommender};
    match model {
        LoadedPack::Dkt(m) => {
            let gpu = block_on(GpuDkt::new(&m.weights))?;
            let h = synthetic_histories(m, a.students, a.steps);
            let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
            let (cpu, on_gpu) = (m.weights.predict(&refs), block_on(gpu.predict(&refs))?);
            let same = cpu.iter().flatten().zip(on_gpu.iter().flatten()).all(|(x, y)| (x - y).abs() < 1e-4);
            let timing = latency(a.students, a.steps, time_it(a.repeats, || drop(block_on(gpu.predict(&refs)))));
            let workload = format!("{} students x {} steps, all steps' probabilities", a.students, a.steps);
            Ok(GpuRun { adapter: gpu.adapter().to_string(), dispatches: 2, same_as_cpu: same, workload, latency: timing })
        }
        LoadedPack::Recommender(m) => {
            let Some(path) = &a.data else { bail!("--data (one classroom's reading log) is needed for a recommender pack") };
            let data = a.data_args.load(path)?;
            let gpu = block_on(GpuRecommender::for_model(m))?;
            let request = Request { top: 5, include_read: false, as_of: None };
            let (cpu, _) = recommend(m, &data, &[], &request)?;
            let (out, _) = block_on(recommend_gpu(m, &gpu, &data, &[], &request))?;
            let titles = |s: &[classlens_core::infer::recommend::StudentSuggestions]| -> Vec<Vec<String>> {
                s.iter().map(|x| x.suggestions.iter().map(|t| t.title.clone()).collect()).collect()
            };
            let same = titles(&cpu) == titles(&out);
            let timing = time_it(a.repeats, || drop(block_on(recommend_gpu(m, &gpu, &data, &[], &request))));
            let workload = format!("next reads (top 5) of the {} students of {}", out.len(), path.display());
            Ok(GpuRun { adapter: gpu.adapter().to_string(), dispatches: gpu.dispatches(), same_as_cpu: same, workload, latency: latency(out.len(), 1, timing) })
        }
        LoadedPack::Akt(_) | LoadedPack::Bkt(_) => bail!("--device gpu: the attention model and BKT have no GPU path (DKT, STUDY and Individual do)"),
    }
}
