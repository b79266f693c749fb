//! DKT on WebGPU: the whole recurrence in one compute dispatch, the output layer in a second,
//! one read at the end.
//!
//! Why a hand-written kernel and not burn's wgpu backend: through a general tensor backend every
//! time step is ~14 small kernels (matmul, slices, sigmoids, products) and, in the browser, each
//! dependent step waits on the last. A first measure of a plain burn `Lstm` on this machine's
//! SwiftShader WebGPU took 19 s per 32 × 100 batch, against 538 ms for ONNX Runtime Web. Here one
//! workgroup owns one student's row for all `T` steps: its `H` invocations each hold one hidden
//! unit's cell state in a register, compute that unit's four gates from the shared previous `h`
//! (the step's input rows are looked up, not multiplied), and meet at a barrier per step. The
//! hidden states of all steps then go through the output layer as one `[T·B × H] · [H × S]`
//! dispatch. The maths are those of [`crate::models::dkt::kernel`] (gates `[i, f, o, g]`, mean of
//! a multi-skill step's token rows, `μ_q · V[token]` for known problems); the browser tests check
//! both give the same probabilities.
//!
//! The dashboard runs it on the browser's WebGPU; natively the same WGSL runs on Vulkan
//! ([`super::Gpu::request`]), which is how CI checks it on Mesa's lavapipe.

use super::{Gpu, GpuError, bind, buffer, pipeline, read_f32, scratch};

use crate::models::dkt::kernel::DktWeights;
use crate::sequences::kt::KtStep;

/// The largest hidden size one workgroup can hold (WebGPU guarantees 256 invocations).
pub const MAX_HIDDEN: usize = 256;

const RECURRENCE: &str = r#"
struct Params { b: u32, t: u32, has_var: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> ig: array<f32>;
@group(0) @binding(1) var<storage, read> var_tab: array<f32>;
@group(0) @binding(2) var<storage, read> whh: array<f32>;
@group(0) @binding(3) var<storage, read> offsets: array<u32>;
@group(0) @binding(4) var<storage, read> toks: array<u32>;
@group(0) @binding(5) var<storage, read> coefs: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> hs: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> h_prev: array<f32, HIDDEN>;

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.x;
  let j = lid.x;
  let live = j < HIDDEN;
  var c = 0.0;
  var h_new = 0.0;
  if (live) { h_prev[j] = 0.0; }
  workgroupBarrier();
  for (var t = 0u; t < p.t; t = t + 1u) {
    let s = t * p.b + row;
    if (live) {
      var gi = 0.0; var gf = 0.0; var go = 0.0; var gg = 0.0;
      for (var k = offsets[s]; k < offsets[s + 1u]; k = k + 1u) {
        let base = toks[k] * G4 + j;
        let w = coefs[k];
        gi = gi + w.x * ig[base];
        gf = gf + w.x * ig[base + HIDDEN];
        go = go + w.x * ig[base + 2u * HIDDEN];
        gg = gg + w.x * ig[base + 3u * HIDDEN];
        if (p.has_var != 0u) {
          gi = gi + w.y * var_tab[base];
          gf = gf + w.y * var_tab[base + HIDDEN];
          go = go + w.y * var_tab[base + 2u * HIDDEN];
          gg = gg + w.y * var_tab[base + 3u * HIDDEN];
        }
      }
      for (var m = 0u; m < HIDDEN; m = m + 1u) {
        let hm = h_prev[m];
        let wb = m * G4 + j;
        gi = gi + hm * whh[wb];
        gf = gf + hm * whh[wb + HIDDEN];
        go = go + hm * whh[wb + 2u * HIDDEN];
        gg = gg + hm * whh[wb + 3u * HIDDEN];
      }
      c = sigm(gf) * c + sigm(gi) * tanh(gg);
      h_new = sigm(go) * tanh(c);
    }
    workgroupBarrier();
    if (live) {
      h_prev[j] = h_new;
      hs[s * HIDDEN + j] = h_new;
    }
    workgroupBarrier();
  }
}
"#;

const OUTPUT: &str = r#"
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> hs: array<f32>;
@group(0) @binding(1) var<storage, read> wout: array<f32>;
@group(0) @binding(2) var<storage, read> bout: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let s = gid.x;
  let n = gid.y + gid.z * 65535u;
  if (s >= SKILLS || n >= p.n) { return; }
  var z = bout[s];
  for (var j = 0u; j < HIDDEN; j = j + 1u) {
    z = z + hs[n * HIDDEN + j] * wout[j * SKILLS + s];
  }
  out[n * SKILLS + s] = 1.0 / (1.0 + exp(-z));
}
"#;

/// A DKT model resident on a WebGPU device.
pub struct GpuDkt {
    device: wgpu::Device,
    queue: wgpu::Queue,
    recurrence: wgpu::ComputePipeline,
    output: wgpu::ComputePipeline,
    input_gates: wgpu::Buffer,
    variation: wgpu::Buffer,
    recurrent: wgpu::Buffer,
    output_weights: wgpu::Buffer,
    output_bias: wgpu::Buffer,
    has_variation: bool,
    /// `μ_q` per problem: the step lists are assembled on the CPU side.
    problem_scale: Vec<f32>,
    prior: Vec<f32>,
    n_skills: usize,
    hidden: usize,
    adapter: String,
    software: bool,
}

impl GpuDkt {
    /// Requests the browser's WebGPU adapter and uploads the weights once.
    pub async fn new(w: &DktWeights) -> Result<Self, GpuError> {
        let (s, h) = (w.config().n_skills, w.config().hidden);
        if h > MAX_HIDDEN {
            return Err(GpuError::TooWide(h));
        }
        let Gpu { device, queue, adapter, software } = Gpu::request().await?;
        // Shader and pipeline errors surface here, not as silent zeros at the first read.
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let workgroup = h.div_ceil(32) * 32;
        let shader = |src: &str, label: &str| {
            let text = src
                .replace("WORKGROUP", &workgroup.to_string())
                .replace("G4", &format!("{}u", 4 * h))
                .replace("HIDDEN", &format!("{h}u"))
                .replace("SKILLS", &format!("{s}u"));
            // `array<f32, HIDDEN>` needs a plain integer literal.
            pipeline(&device, text.replace(&format!("array<f32, {h}u>"), &format!("array<f32, {h}>")), label)
        };
        let recurrence = shader(RECURRENCE, "dkt recurrence");
        let output = shader(OUTPUT, "dkt output");
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Device(e.to_string()));
        }
        let storage = |label: &str, data: &[f32]| buffer(&device, label, bytemuck::cast_slice(data), wgpu::BufferUsages::STORAGE);
        let has_variation = !w.input_variation().is_empty() && !w.problem_scale().is_empty();
        Ok(Self {
            input_gates: storage("input gates", w.input_gates()),
            variation: storage("input variation", if has_variation { w.input_variation() } else { &[] }),
            recurrent: storage("recurrent", w.recurrent()),
            output_weights: storage("output", w.output()),
            output_bias: storage("output bias", w.output_bias()),
            prior: w.mastery(&[]),
            has_variation,
            recurrence,
            output,
            device,
            queue,
            n_skills: s,
            hidden: h,
            adapter,
            software,
            problem_scale: if has_variation { w.problem_scale().to_vec() } else { Vec::new() },
        })
    }

    /// What the browser gave us, for the header and the bench.
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// Whether the adapter is a software one ([`Gpu::software`]).
    pub fn software(&self) -> bool {
        self.software
    }

    /// Per-skill probabilities after every step of every history, as
    /// [`DktWeights::predict`]: `out[b][t * n_skills + s]`.
    pub async fn predict(&self, histories: &[&[KtStep]]) -> Result<Vec<Vec<f32>>, GpuError> {
        let (s, h) = (self.n_skills, self.hidden);
        let b = histories.len();
        let t_max = histories.iter().map(|r| r.len()).max().unwrap_or(0);
        if b == 0 || t_max == 0 {
            return Ok(vec![Vec::new(); b]);
        }
        // The steps' token rows as a compact list, time-major: offsets[t * b + row].
        let mut offsets = Vec::with_capacity(t_max * b + 1);
        let mut toks = Vec::new();
        let mut coefs = Vec::new();
        offsets.push(0u32);
        for t in 0..t_max {
            for hist in histories {
                if let Some(step) = hist.get(t) {
                    let weight = 1.0 / step.skills.len() as f32;
                    let mu = match step.problem {
                        Some(p) if self.has_variation => self.problem_scale[p as usize],
                        _ => 0.0,
                    };
                    for &sk in &step.skills {
                        toks.push(2 * sk + u32::from(step.correct));
                        coefs.extend([weight, weight * mu]);
                    }
                }
                offsets.push(toks.len() as u32);
            }
        }
        let dev = &self.device;
        let scope = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        let init = |label: &str, data: &[u8], usage: wgpu::BufferUsages| buffer(dev, label, data, usage);
        let n = t_max * b;
        let offsets = init("offsets", bytemuck::cast_slice(&offsets), wgpu::BufferUsages::STORAGE);
        let toks = init("tokens", bytemuck::cast_slice(&toks), wgpu::BufferUsages::STORAGE);
        let coefs = init("coefficients", bytemuck::cast_slice(&coefs), wgpu::BufferUsages::STORAGE);
        let params = init("recurrence params", bytemuck::cast_slice(&[b as u32, t_max as u32, u32::from(self.has_variation), 0]), wgpu::BufferUsages::UNIFORM);
        let out_params = init("output params", bytemuck::cast_slice(&[n as u32, 0, 0, 0]), wgpu::BufferUsages::UNIFORM);
        let hs = scratch(dev, "hidden states", n * h * 4, wgpu::BufferUsages::STORAGE);
        let out_size = n * s * 4;
        let out = scratch(dev, "probabilities", out_size, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC);
        let staging = scratch(dev, "readback", out_size, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let rec_group = bind(dev, &self.recurrence, &[&self.input_gates, &self.variation, &self.recurrent, &offsets, &toks, &coefs, &hs, &params]);
        let out_group = bind(dev, &self.output, &[&hs, &self.output_weights, &self.output_bias, &out, &out_params]);
        let mut encoder = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("dkt") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("recurrence"), timestamp_writes: None });
            pass.set_pipeline(&self.recurrence);
            pass.set_bind_group(0, &rec_group, &[]);
            pass.dispatch_workgroups(b as u32, 1, 1);
        }
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("output"), timestamp_writes: None });
            pass.set_pipeline(&self.output);
            pass.set_bind_group(0, &out_group, &[]);
            let rows = n as u32;
            pass.dispatch_workgroups(s.div_ceil(64) as u32, rows.min(65_535), rows.div_ceil(65_535));
        }
        encoder.copy_buffer_to_buffer(&out, 0, &staging, 0, out_size as u64);
        self.queue.submit([encoder.finish()]);
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Device(e.to_string()));
        }
        let probs = read_f32(dev, &staging).await?;
        Ok(histories
            .iter()
            .enumerate()
            .map(|(row, hist)| {
                let mut o = Vec::with_capacity(hist.len() * s);
                for t in 0..hist.len() {
                    let at = (t * b + row) * s;
                    o.extend_from_slice(&probs[at..at + s]);
                }
                o
            })
            .collect())
    }

    /// Probabilities after each whole history (the prior for an empty one).
    pub async fn mastery_batch(&self, histories: &[&[KtStep]]) -> Result<Vec<Vec<f32>>, GpuError> {
        let s = self.n_skills;
        Ok(self.predict(histories).await?.into_iter().map(|all| if all.is_empty() { self.prior.clone() } else { all[all.len() - s..].to_vec() }).collect())
    }
}

/// The kernel natively on Vulkan (lavapipe on CI), against the fused CPU kernel; the browser
/// tests check the same on SwiftShader.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::infer::webgpu::block_on;
    use crate::models::device::reference_device;
    use crate::models::dkt::net::DktConfig;

    #[test]
    fn probabilities_match_the_cpu_kernel_with_and_without_problems() {
        if crate::infer::webgpu::gpu_tests_skipped() {
            return;
        }
        for n_problems in [0, 9] {
            let w = DktWeights::from_model(&DktConfig { n_skills: 7, hidden: 24, n_problems }.init(3, &reference_device()));
            let gpu =
                block_on(GpuDkt::new(&w)).unwrap_or_else(|e| panic!("{e}: install a Vulkan driver (Debian: mesa-vulkan-drivers) or set CLASSLENS_SKIP_GPU=1"));
            // Ragged histories, multi-skill steps, known and unknown problems.
            let histories: Vec<Vec<KtStep>> = (0..5u32)
                .map(|b| {
                    (0..(6 + 5 * b))
                        .map(|t| KtStep {
                            skills: if t % 4 == 0 { vec![(b + t) % 7, (b + 2 * t + 1) % 7] } else { vec![(b * 3 + t) % 7] },
                            correct: (b + t) % 3 != 0,
                            problem: (n_problems > 0 && t % 2 == 0).then_some((b + t) % 9),
                        })
                        .collect()
                })
                .collect();
            let refs: Vec<&[KtStep]> = histories.iter().map(Vec::as_slice).collect();
            let (cpu, on_gpu) = (w.predict(&refs), block_on(gpu.predict(&refs)).unwrap());
            assert_eq!(cpu.iter().map(Vec::len).collect::<Vec<_>>(), on_gpu.iter().map(Vec::len).collect::<Vec<_>>());
            let worst = cpu.iter().flatten().zip(on_gpu.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "problems {n_problems}: largest difference {worst} ({})", gpu.adapter());
        }
    }
}
