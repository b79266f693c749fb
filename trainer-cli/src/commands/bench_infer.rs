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
fn mastery_timing(m: &dyn Tracer, a: &BenchInferArgs) -> Timed {
    let h = synthetic_histories(m, a.students, a.steps);
    let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
    Timed {
        workload: format!("{} students x {} steps, every skill's probability after the last step (mastery)", a.students, a.steps),
        latency: latency(a.students, a.steps, time_it(a.repeats, || drop(m.mastery_batch(&refs)))),
        gpu: None,
    }
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
    // `time_it` times the first call after loading apart from the steady ones.
    let timed = timing(&model, &a, meta.kind().as_str())?;
    let (device, dispatches, same) = timed.gpu.map_or(("cpu".to_string(), None, None), |g| (g.adapter, Some(g.dispatches), Some(g.same_as_cpu)));
    let report = InferBenchReport {
        pack: a.pack.display().to_string(),
        kind: meta.kind().to_string(),
        quantization: meta.quantization.as_str().into(),
        pack_bytes: bytes.len(),
        machine: cpu_name(),
        load_ms: quantile(&loads, 0.5).expect("ten loads"),
        workload: timed.workload,
        device,
        dispatches_per_batch: dispatches,
        same_as_cpu: same,
        latency: timed.latency,
    };
    emit_json(&report, a.json.as_deref())
}

/// What one call computes and how long it took, on the CPU or (`--device gpu`) the WGSL kernels.
struct Timed {
    workload: String,
    latency: Latency,
    gpu: Option<GpuSide>,
}

/// The GPU run's adapter, dispatches per batch, and whether it answered as the CPU does.
struct GpuSide {
    adapter: String,
    dispatches: usize,
    same_as_cpu: bool,
}

/// Times the pack's workload on `a.device`; on the GPU the answers are first checked against the
/// CPU's.
fn timing(model: &LoadedPack, a: &BenchInferArgs, kind: &str) -> Result<Timed> {
    use classlens_core::infer::recommend::{StudentSuggestions, recommend_gpu};
    use classlens_core::infer::webgpu::{GpuDkt, block_on, study::GpuRecommender};
    let on_gpu = a.device == DeviceArg::Gpu;
    match model {
        LoadedPack::Dkt(m) => {
            let h = synthetic_histories(m, a.students, a.steps);
            let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
            let workload = format!("{} students x {} steps, all steps' probabilities", a.students, a.steps);
            if !on_gpu {
                let latency = latency(a.students, a.steps, time_it(a.repeats, || drop(m.weights.predict(&refs))));
                return Ok(Timed { workload, latency, gpu: None });
            }
            let gpu = block_on(GpuDkt::new(&m.weights))?;
            let (cpu, out) = (m.weights.predict(&refs), block_on(gpu.predict(&refs))?);
            let same_as_cpu = cpu.iter().flatten().zip(out.iter().flatten()).all(|(x, y)| (x - y).abs() < 1e-4);
            let latency = latency(a.students, a.steps, time_it(a.repeats, || drop(block_on(gpu.predict(&refs)))));
            Ok(Timed { workload, latency, gpu: Some(GpuSide { adapter: gpu.adapter().to_string(), dispatches: 2, same_as_cpu }) })
        }
        LoadedPack::Akt(_) | LoadedPack::Bkt(_) if on_gpu => bail!("--device gpu: the attention model and BKT have no GPU path (DKT, STUDY and Individual do)"),
        LoadedPack::Akt(m) => Ok(mastery_timing(m, a)),
        LoadedPack::Bkt(m) => Ok(mastery_timing(m, a)),
        LoadedPack::Recommender(m) => {
            let Some(path) = &a.data else { bail!("--data (one classroom's reading log) is needed for a {kind} pack") };
            let data = a.data_args.load(path)?;
            let request = Request { top: 5, include_read: false, as_of: None };
            let (cpu, _) = recommend(m, &data, &[], &request)?;
            let workload = format!("next reads (top 5) of the {} students of {}", cpu.len(), path.display());
            if !on_gpu {
                let latency = latency(cpu.len(), 1, time_it(a.repeats, || drop(recommend(m, &data, &[], &request))));
                return Ok(Timed { workload, latency, gpu: None });
            }
            let gpu = block_on(GpuRecommender::for_model(m))?;
            let (out, _) = block_on(recommend_gpu(m, &gpu, &data, &[], &request))?;
            let titles = |s: &[StudentSuggestions]| -> Vec<Vec<String>> { s.iter().map(|x| x.suggestions.iter().map(|t| t.title.clone()).collect()).collect() };
            let same_as_cpu = titles(&cpu) == titles(&out);
            let latency = latency(out.len(), 1, time_it(a.repeats, || drop(block_on(recommend_gpu(m, &gpu, &data, &[], &request)))));
            Ok(Timed { workload, latency, gpu: Some(GpuSide { adapter: gpu.adapter().to_string(), dispatches: gpu.dispatches(), same_as_cpu }) })
        }
    }
}
