//! The STUDY / Individual decoder as a few WGSL dispatches per layer.
//!
//! The weights are uploaded once ([`GpuRecommender::new`]). A call runs one [`RecBatch`] (the
//! same batches the CPU path runs, so the inputs, the count features and the ranking after the
//! logits are one implementation) as one command buffer with one read back:
//! - `embed`: title embedding + position sinusoids + duration and day features through their
//!   linear layers, one invocation per (token, dimension);
//! - per layer, five dispatches: LayerNorm and the query/key/value projection as one
//!   [`ROW_MATMUL`]; the masked multi-head attention ([`ATTENTION`], one workgroup per (token,
//!   head)); the output projection plus residual; LayerNorm, the first feed-forward layer and
//!   ReLU; the second plus residual;
//! - the output: the query tokens gathered, the final LayerNorm, the vocabulary layer and the
//!   host-computed count, grade and co-read terms ([`HostTerms::extra_logits`]) added.
//!
//! So `2 + 5 · layers` dispatches per batch (12 for the 2-layer benchmark shape), against
//! hundreds per layer through burn's generic wgpu path.
//!
//! **The mask is computed in the kernel** from each token's student, position and times
//! ([`crate::models::study::net::TokenMeta::sees`]), never uploaded as a dense
//! `rows × len × len` matrix. Times go up as their rank among the batch's times and cutoffs
//! (exact order, 32 bits whatever the dates). Every
//! call first checks on the host that the batch's mask *is* that rule (a batch built with another
//! rule is refused, not silently run with the wrong one).
//!
//! What stays on the host: the count features (sparse counts the CPU path already builds), the
//! ranking and the co-read re-ranking of the logits read back (`rerank_unread` needs every
//! logit). Top-k on the GPU is not done: the logits of a class (30 × vocabulary) are one small
//! read.

use super::{Gpu, GpuError, bind, buffer, pipeline, read_f32, scratch};
use crate::models::study::net::{HostTerms, RecBatch, RecWeights, Recommender, RecommenderConfig, RecommenderKind};

/// Invocations per workgroup in every kernel here.
const WG: u32 = 64;
/// The longest row the attention kernel's workgroup memory holds (8 KB of scores).
pub const MAX_ROW: usize = 2048;

/// Workgroup index over a 2-D grid (a dimension holds at most 65 535 workgroups), and sums and
/// maxima over a workgroup of 64 (called by all its invocations).
const COMMON: &str = r#"
fn wg_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.x + wid.y * nwg.x; }

var<workgroup> red: array<f32, 64>;

fn reduce(lid: u32, v: f32, is_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      if (is_max) { red[lid] = max(red[lid], red[lid + s]); } else { red[lid] = red[lid] + red[lid + s]; }
    }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
"#;

/// `out[t, c] = emb[title_t, c] + pos[t, c] + Σ_k feat[t, k] · W[k, c] + b[c]`.
const EMBED: &str = r#"
struct P { tokens: u32, d: u32, nf: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> titles: array<u32>;
@group(0) @binding(1) var<storage, read> emb: array<f32>;
@group(0) @binding(2) var<storage, read> feats: array<f32>;
@group(0) @binding(3) var<storage, read> featw: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> p: P;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wg_index(wid, nwg) * 64u + lid;
  if (g >= p.tokens * p.d) { return; }
  let t = g / p.d;
  let c = g % p.d;
  let stride = p.d + p.nf;
  var acc = emb[titles[t] * p.d + c] + feats[t * stride + c];
  if (p.nf > 0u) {
    var f = 0.0;
    for (var k = 0u; k < p.nf; k = k + 1u) {
      f = f + feats[t * stride + p.d + k] * featw[k * p.d + c];
    }
    acc = acc + (f + featw[p.nf * p.d + c]);
  }
  out[g] = acc;
}
"#;

/// One workgroup per `ROWS` output rows: `out[r] = act(LN?(x[src(r)]) · W + b) (+ res[r]) (+
/// extra[r])`. `aux` holds the bias `[n]`, then (with LayerNorm) gamma `[k]` and beta `[k]`. Each
/// weight read serves `ROWS` rows (the rows sit in workgroup memory), so the weights are read
/// `rows / ROWS` times instead of `rows` times.
const ROW_MATMUL: &str = r#"
struct P { rows: u32, k: u32, n: u32, flags: u32 }
const LN: u32 = 1u;
const RELU: u32 = 2u;
const RESIDUAL: u32 = 4u;
const GATHER: u32 = 8u;
const EXTRA: u32 = 16u;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read> res: array<f32>;
@group(0) @binding(4) var<storage, read> index: array<u32>;
@group(0) @binding(5) var<storage, read> extra: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<uniform> p: P;

var<workgroup> xs: array<f32, XS_LEN>;
var<workgroup> stats: array<f32, 16>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r0 = wg_index(wid, nwg) * ROWSu;
  if (r0 >= p.rows) { return; }
  for (var rr = 0u; rr < ROWSu; rr = rr + 1u) {
    let r = r0 + rr;
    var src = r;
    if (r < p.rows && (p.flags & GATHER) != 0u) { src = index[r]; }
    for (var k = lid; k < p.k; k = k + 64u) {
      var v = 0.0;
      if (r < p.rows) { v = x[src * p.k + k]; }
      xs[rr * p.k + k] = v;
    }
  }
  workgroupBarrier();
  if ((p.flags & LN) != 0u) {
    // One invocation per row adds its row up: no tree reduction, two barriers in all (barriers
    // are what software adapters pay for most).
    if (lid < ROWSu) {
      let o = lid * p.k;
      var s = 0.0;
      for (var k = 0u; k < p.k; k = k + 1u) { s = s + xs[o + k]; }
      let mean = s / f32(p.k);
      var v = 0.0;
      for (var k = 0u; k < p.k; k = k + 1u) { let c = xs[o + k] - mean; v = v + c * c; }
      stats[2u * lid] = mean;
      stats[2u * lid + 1u] = 1.0 / sqrt(v / f32(p.k) + 1e-5);
    }
    workgroupBarrier();
    for (var rr = 0u; rr < ROWSu; rr = rr + 1u) {
      let o = rr * p.k;
      for (var k = lid; k < p.k; k = k + 64u) { xs[o + k] = (xs[o + k] - stats[2u * rr]) * stats[2u * rr + 1u] * aux[p.n + k] + aux[p.n + p.k + k]; }
    }
    workgroupBarrier();
  }
  for (var c = lid; c < p.n; c = c + 64u) {
    // Zeroed by hand: a `var` in a loop body is zero again at each iteration by the WGSL spec,
    // but SwiftShader (Chromium 156) kept the previous column's sums (found by the browser
    // parity test; lavapipe was right).
    var acc: array<f32, ROWS>;
    for (var rr = 0u; rr < ROWSu; rr = rr + 1u) { acc[rr] = 0.0; }
    for (var k = 0u; k < p.k; k = k + 1u) {
      let wv = w[k * p.n + c];
      for (var rr = 0u; rr < ROWSu; rr = rr + 1u) { acc[rr] = acc[rr] + xs[rr * p.k + k] * wv; }
    }
    for (var rr = 0u; rr < ROWSu; rr = rr + 1u) {
      let r = r0 + rr;
      if (r >= p.rows) { break; }
      var a = acc[rr] + aux[c];
      if ((p.flags & RELU) != 0u) { a = max(a, 0.0); }
      if ((p.flags & RESIDUAL) != 0u) { a = res[r * p.n + c] + a; }
      if ((p.flags & EXTRA) != 0u) { a = a + extra[r * p.n + c]; }
      out[r * p.n + c] = a;
    }
  }
}
"#;

/// One workgroup per (token, head): scores against the row's tokens with the mask computed from
/// `meta` (student, position, time rank, cutoff rank, read), softmax, weighted sum of values.
/// Blocked scores are -10 000 as in burn's `MultiHeadAttention` (not -inf), so a token that sees
/// nothing averages the row as there.
const ATTENTION: &str = r#"
struct P { tokens: u32, len: u32, d: u32, heads: u32, social: u32, p1: u32, p2: u32, p3: u32 }
@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> tok: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;

var<workgroup> sc: array<f32, LMAX>;

fn sees(i: u32, j: u32) -> bool {
  if (tok[i * 5u + 4u] == 0u || tok[j * 5u + 4u] == 0u) { return false; }
  if (tok[i * 5u] == tok[j * 5u]) { return tok[j * 5u + 1u] <= tok[i * 5u + 1u]; }
  return p.social != 0u && tok[j * 5u + 2u] < tok[i * 5u + 3u];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = wg_index(wid, nwg);
  if (idx >= p.tokens * p.heads) { return; }
  let t = idx / p.heads;
  let h = idx % p.heads;
  let base = (t / p.len) * p.len;
  let dk = p.d / p.heads;
  let d3 = 3u * p.d;
  let scale = sqrt(f32(dk));
  var m = -3.0e38;
  for (var jj = lid; jj < p.len; jj = jj + 64u) {
    let j = base + jj;
    var s = -10000.0;
    if (sees(t, j)) {
      var dot = 0.0;
      for (var e = 0u; e < dk; e = e + 1u) { dot = dot + qkv[t * d3 + h * dk + e] * qkv[j * d3 + p.d + h * dk + e]; }
      s = dot / scale;
    }
    sc[jj] = s;
    m = max(m, s);
  }
  let mx = reduce(lid, m, true);
  var z = 0.0;
  for (var jj = lid; jj < p.len; jj = jj + 64u) { let e = exp(sc[jj] - mx); sc[jj] = e; z = z + e; }
  let total = reduce(lid, z, false);
  for (var e = lid; e < dk; e = e + 64u) {
    var acc = 0.0;
    for (var jj = 0u; jj < p.len; jj = jj + 1u) { acc = acc + sc[jj] * qkv[(base + jj) * d3 + 2u * p.d + h * dk + e]; }
    out[t * p.d + h * dk + e] = acc / total;
  }
}
"#;

const LN: u32 = 1;
const RELU: u32 = 2;
const RESIDUAL: u32 = 4;
const GATHER: u32 = 8;
const EXTRA: u32 = 16;

/// One [`ROW_MATMUL`] step's weights on the device.
struct Dense {
    w: wgpu::Buffer,
    aux: wgpu::Buffer,
    k: usize,
    n: usize,
}

struct Layer {
    qkv: Dense,
    out: Dense,
    ff_in: Dense,
    ff_out: Dense,
}

/// A STUDY or Individual model resident on a GPU.
pub struct GpuRecommender {
    gpu: Gpu,
    embed: wgpu::ComputePipeline,
    row_matmul: wgpu::ComputePipeline,
    attention: wgpu::ComputePipeline,
    titles: wgpu::Buffer,
    features: wgpu::Buffer,
    layers: Vec<Layer>,
    head: Dense,
    dummy: wgpu::Buffer,
    /// The count, grade and co-read terms' parameters, read once.
    host: HostTerms,
    /// The CPU model: batches are planned (its co-read table) and re-ranked (its boost) with it.
    model: Recommender,
    config: RecommenderConfig,
    n_features: usize,
    rows_per_group: usize,
    /// The last batch's rows, row length and queries (for a peer run on the same shape).
    last_shape: std::cell::Cell<[usize; 3]>,
}

fn grid(workgroups: usize) -> (u32, u32) {
    let n = workgroups.max(1) as u32;
    (n.min(65_535), n.div_ceil(65_535))
}

impl GpuRecommender {
    /// Uploads `model`'s weights once and compiles the kernels for rows of up to `max_row` tokens
    /// (the pack's `seq_len`).
    pub async fn new(model: &Recommender, config: &RecommenderConfig, max_row: usize) -> Result<Self, GpuError> {
        if max_row > MAX_ROW {
            return Err(GpuError::Unsupported(format!("rows of {max_row} tokens (at most {MAX_ROW})")));
        }
        let w: RecWeights = model.weights();
        let gpu = Gpu::request().await?;
        let device = &gpu.device;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let kmax = config.d_model.max(config.d_ff);
        // Rows per row-matmul workgroup: as many as 14 KB of workgroup memory holds, at most 8
        // (WebGPU guarantees 16 KB; the reductions take the rest).
        let rows_per_group = (3584 / kmax).clamp(1, 8);
        let shader = |src: &str, label: &str| {
            let text = format!("{COMMON}{src}")
                .replace("XS_LEN", &(rows_per_group * kmax).to_string())
                .replace("ROWSu", &format!("{rows_per_group}u"))
                .replace("ROWS", &rows_per_group.to_string())
                .replace("LMAX", &max_row.max(1).to_string());
            pipeline(device, text, label)
        };
        let embed = shader(EMBED, "study embed");
        let row_matmul = shader(ROW_MATMUL, "study row matmul");
        let attention = shader(ATTENTION, "study attention");
        let storage = |label: &str, data: &[f32]| buffer(device, label, bytemuck::cast_slice(data), wgpu::BufferUsages::STORAGE);
        let dense = |label: &str, weights: &[f32], bias: &[f32], norm: Option<&[f32]>| {
            let mut aux = bias.to_vec();
            aux.extend_from_slice(norm.unwrap_or_default());
            Dense { w: storage(label, weights), aux: storage(label, &aux), k: weights.len() / bias.len(), n: bias.len() }
        };
        let layers = w
            .layers
            .iter()
            .map(|l| Layer {
                qkv: dense("qkv", &l.qkv, &l.qkv_bias, Some(&l.attn_norm)),
                out: dense("attention output", &l.out, &l.out_bias, None),
                ff_in: dense("feed-forward in", &l.ff_in, &l.ff_in_bias, Some(&l.ff_norm)),
                ff_out: dense("feed-forward out", &l.ff_out, &l.ff_out_bias, None),
            })
            .collect();
        let mut features = w.features.clone();
        features.extend_from_slice(&w.features_bias);
        let n_features = w.features.len() / config.d_model;
        let this = Self {
            embed,
            row_matmul,
            attention,
            titles: storage("title embeddings", &w.titles),
            features: storage("input features", &features),
            layers,
            head: dense("output", &w.head, &w.head_bias, Some(&w.norm)),
            dummy: storage("unused", &[0.0; 4]),
            host: w.host,
            model: model.clone(),
            config: *config,
            n_features,
            rows_per_group,
            last_shape: std::cell::Cell::new([0; 3]),
            gpu: gpu.clone(),
        };
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Device(e.to_string()));
        }
        Ok(this)
    }

    /// [`Self::new`] for a loaded pack or model directory.
    pub async fn for_model(m: &crate::models::study::StudyModel) -> Result<Self, GpuError> {
        Self::new(&m.model, &m.run.model, m.run.pack.seq_len()).await
    }

    /// [`crate::models::study::infer::recommend_next`] on the kernels (`model` is the one this
    /// was made from).
    pub async fn recommend_next(
        &self,
        vocab: &crate::sequences::study::TitleVocab,
        data: &crate::sequences::study::StudyData,
        students: &[u32],
        options: &crate::models::study::infer::NextOptions,
    ) -> Result<Vec<crate::models::study::infer::NextRead>, GpuError> {
        let plan = crate::models::study::infer::NextPlan::new(&self.model, &self.config, data, students, options);
        let mut logits = Vec::with_capacity(plan.batches().len());
        for batch in plan.batches() {
            logits.push(self.logits(batch).await?);
        }
        Ok(plan.finish(vocab, logits))
    }

    /// The adapter in words.
    pub fn adapter(&self) -> &str {
        &self.gpu.adapter
    }

    /// Whether the adapter is a software one ([`Gpu::software`]).
    pub fn software(&self) -> bool {
        self.gpu.software
    }

    /// Rows, row length and queries of the last batch run.
    pub fn last_shape(&self) -> [usize; 3] {
        self.last_shape.get()
    }

    /// Compute dispatches per batch: embed, five per layer, the output.
    pub fn dispatches(&self) -> usize {
        2 + 5 * self.layers.len()
    }

    /// The batch's logits, one `vocab_size` slice per query, as the CPU path's
    /// `Recommender::logits` followed by `rerank_unread`.
    pub async fn logits(&self, batch: &RecBatch) -> Result<Vec<f32>, GpuError> {
        let cfg = &self.config;
        let (d, v, q) = (cfg.d_model, cfg.vocab_size, batch.query.len());
        if q == 0 {
            return Ok(Vec::new());
        }
        let social = cfg.kind == RecommenderKind::Study;
        if !batch.mask_follows_meta(social) {
            return Err(GpuError::Unsupported("the batch's attention mask is not the model's rule".into()));
        }
        self.last_shape.set([batch.rows, batch.len, q]);
        let (titles, meta, feats) = batch.token_inputs(cfg.durations, cfg.times);
        let tokens = titles.len();
        // Times and cutoffs as their rank: the kernel compares them in 32 bits, exactly.
        let mut times: Vec<i64> = meta.iter().flat_map(|m| [m.time, m.cutoff]).collect();
        times.sort_unstable();
        times.dedup();
        let rank = |t: i64| times.binary_search(&t).unwrap_or(0) as u32;
        let meta: Vec<u32> = meta.iter().flat_map(|m| [m.student, m.position, rank(m.time), rank(m.cutoff), u32::from(m.read)]).collect();
        let query: Vec<u32> = batch.query.iter().map(|&i| i as u32).collect();
        let mut extra = self.host.extra_logits(batch);
        let has_extra = extra.iter().any(|&x| x != 0.0);
        if !has_extra {
            extra = vec![0.0];
        }

        let dev = &self.gpu.device;
        let scope = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        let init = |label: &str, data: &[u8], usage: wgpu::BufferUsages| buffer(dev, label, data, usage);
        let st = wgpu::BufferUsages::STORAGE;
        let titles = init("titles", bytemuck::cast_slice(&titles), st);
        let feats = init("token features", bytemuck::cast_slice(&feats), st);
        let meta = init("token metadata", bytemuck::cast_slice(&meta), st);
        let query = init("queries", bytemuck::cast_slice(&query), st);
        let extra = init("extra logits", bytemuck::cast_slice(&extra), st);
        let h_a = scratch(dev, "hidden a", tokens * d * 4, st);
        let h_b = scratch(dev, "hidden b", tokens * d * 4, st);
        let qkv = scratch(dev, "qkv", tokens * 3 * d * 4, st);
        let ctx = scratch(dev, "attention", tokens * d * 4, st);
        let ff = scratch(dev, "feed-forward", tokens * cfg.d_ff * 4, st);
        let logits = scratch(dev, "logits", q * v * 4, st | wgpu::BufferUsages::COPY_SRC);
        let staging = scratch(dev, "readback", q * v * 4, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST);
        let uniform = |values: &[u32]| init("params", bytemuck::cast_slice(values), wgpu::BufferUsages::UNIFORM);
        let bind = |pipeline: &wgpu::ComputePipeline, buffers: &[&wgpu::Buffer]| bind(dev, pipeline, buffers);
        // (pipeline, bind group, workgroups) in order.
        let mut steps: Vec<(&wgpu::ComputePipeline, wgpu::BindGroup, usize)> = Vec::new();
        let params = uniform(&[tokens as u32, d as u32, self.n_features as u32, 0]);
        steps.push((&self.embed, bind(&self.embed, &[&titles, &self.titles, &feats, &self.features, &h_a, &params]), (tokens * d).div_ceil(WG as usize)));
        let dummy = &self.dummy;
        let row = |dense: &Dense, rows: usize, x: &wgpu::Buffer, res: Option<&wgpu::Buffer>, out: &wgpu::Buffer, flags: u32| {
            let flags = flags | if res.is_some() { RESIDUAL } else { 0 };
            let params = uniform(&[rows as u32, dense.k as u32, dense.n as u32, flags]);
            let index = if flags & GATHER != 0 { &query } else { dummy };
            let extra = if flags & EXTRA != 0 { &extra } else { dummy };
            (
                &self.row_matmul,
                bind(&self.row_matmul, &[x, &dense.w, &dense.aux, res.unwrap_or(dummy), index, extra, out, &params]),
                rows.div_ceil(self.rows_per_group),
            )
        };
        let attn_params = uniform(&[tokens as u32, batch.len as u32, d as u32, cfg.n_heads as u32, u32::from(social), 0, 0, 0]);
        let attn_group = bind(&self.attention, &[&qkv, &meta, &ctx, &attn_params]);
        for layer in &self.layers {
            steps.push(row(&layer.qkv, tokens, &h_a, None, &qkv, LN));
            steps.push((&self.attention, attn_group.clone(), tokens * cfg.n_heads));
            steps.push(row(&layer.out, tokens, &ctx, Some(&h_a), &h_b, 0));
            steps.push(row(&layer.ff_in, tokens, &h_b, None, &ff, LN | RELU));
            steps.push(row(&layer.ff_out, tokens, &ff, Some(&h_b), &h_a, 0));
        }
        steps.push(row(&self.head, q, &h_a, None, &logits, LN | GATHER | if has_extra { EXTRA } else { 0 }));
        let mut encoder = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("study") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("study"), timestamp_writes: None });
            for (pipeline, group, workgroups) in &steps {
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, group, &[]);
                let (x, y) = grid(*workgroups);
                pass.dispatch_workgroups(x, y, 1);
            }
        }
        encoder.copy_buffer_to_buffer(&logits, 0, &staging, 0, (q * v * 4) as u64);
        self.gpu.queue.submit([encoder.finish()]);
        if let Some(e) = scope.pop().await {
            return Err(GpuError::Device(e.to_string()));
        }
        let mut out = read_f32(dev, &staging).await?;
        self.model.rerank_unread(&mut out, batch);
        Ok(out)
    }
}

/// The parity tests run natively on whatever Vulkan adapter there is: on CI, Mesa's lavapipe
/// (`scripts/test.sh` installs `mesa-vulkan-drivers`). Without any adapter they fail, saying so;
/// `CLASSLENS_SKIP_GPU=1` skips them on a machine that cannot have one.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::data::Interactions;
    use crate::data::study::{read_study_activity, read_study_info};
    use crate::infer::webgpu::block_on;
    use crate::models::device::reference_device;
    use crate::models::study::StudyModel;
    use crate::models::study::infer::{NextOptions, recommend_next, top_titles};
    use crate::models::study::net::{CountContext, Queries};
    use crate::sequences::study::{PackConfig, Row, StudyData, TitleVocab, build_study};
    use crate::synth::{STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, SynthConfig, generate, render_files};

    fn gpu_or_skip(model: &Recommender, config: &RecommenderConfig, max_row: usize) -> Option<GpuRecommender> {
        if crate::infer::webgpu::gpu_tests_skipped() {
            return None;
        }
        match block_on(GpuRecommender::new(model, config, max_row)) {
            Ok(g) => Some(g),
            Err(e) => panic!("{e}: install a Vulkan driver (Debian: mesa-vulkan-drivers, lavapipe) or set CLASSLENS_SKIP_GPU=1"),
        }
    }

    fn reads(classroom: &crate::synth::SynthClassroom) -> Interactions {
        let files = render_files(classroom).unwrap();
        let file = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let mut data = read_study_activity(&file(STUDENT_ACTIVITY_FILE)[..], STUDENT_ACTIVITY_FILE).unwrap();
        read_study_info(&mut data, &file(STUDENT_INFO_FILE)[..], STUDENT_INFO_FILE).unwrap();
        data
    }

    /// Every read token's logits on both paths: the largest difference, and that each query's
    /// top 5 agree (a swap only between titles whose CPU logits are within 1e-4).
    fn compare(model: &Recommender, config: &RecommenderConfig, vocab: &TitleVocab, data: &StudyData, gpu: &GpuRecommender) -> (f32, usize) {
        let ctx = CountContext::new(&data.seqs, &data.classrooms).for_model(model);
        let (mut worst, mut queries) = (0.0f32, 0);
        let none = HashSet::new();
        for chunk in data.rows.chunks(64) {
            let refs: Vec<&Row> = chunk.iter().collect();
            let batch = RecBatch::new(&refs, config, Queries::Reads, &ctx);
            let mut cpu: Vec<f32> = model.logits(&batch.tensors(&reference_device())).into_data().convert::<f32>().try_into_vec().unwrap();
            model.rerank_unread(&mut cpu, &batch);
            let on_gpu = block_on(gpu.logits(&batch)).unwrap();
            assert_eq!(cpu.len(), on_gpu.len());
            for (c, g) in cpu.chunks(config.vocab_size).zip(on_gpu.chunks(config.vocab_size)) {
                worst = c.iter().zip(g).map(|(a, b)| (a - b).abs()).fold(worst, f32::max);
                let (tc, tg) = (top_titles(c, vocab, 5, &none), top_titles(g, vocab, 5, &none));
                for ((a, _), (b, _)) in tc.iter().zip(&tg) {
                    assert!(a == b || (c[*a as usize] - c[*b as usize]).abs() < 1e-4, "top 5 differ beyond a tie: {tc:?} vs {tg:?}");
                }
                queries += 1;
            }
        }
        (worst, queries)
    }

    #[test]
    fn the_demo_pack_gives_the_cpus_logits_and_suggestions_on_the_demo_classroom() {
        // wasm: a native test; the demo pack as the page fetches it.
        let bytes = std::fs::read(format!("{}/../public/demo/study.pack", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let StudyModel { run, vocab, model } = crate::pack::load(&bytes).unwrap().into_recommender().unwrap();
        let data = build_study(&reads(&crate::synth::default_classroom()), &vocab, &run.pack);
        let Some(gpu) = gpu_or_skip(&model, &run.model, run.pack.seq_len()) else { return };
        assert_eq!(gpu.dispatches(), 2 + 5 * run.model.n_layers);
        let (worst, queries) = compare(&model, &run.model, &vocab, &data, &gpu);
        eprintln!("demo pack: {queries} queries, largest logit difference {worst} on {}", gpu.adapter());
        assert!(queries > 1000 && worst < 1e-4, "{queries} queries, largest logit difference {worst} ({})", gpu.adapter());
        // Every student's next reads, as the dashboard asks for them.
        let students: Vec<u32> = data.seqs.iter().map(|s| s.student).collect();
        let as_of = data.seqs.iter().flat_map(|s| s.reads.iter().map(|r| r.time)).max().unwrap() + 86_400;
        let options = NextOptions { n: 5, include_read: false, as_of };
        let cpu = recommend_next(&model, &run.model, &vocab, &data, &students, &options, &reference_device());
        let on_gpu = block_on(gpu.recommend_next(&vocab, &data, &students, &options)).unwrap();
        assert_eq!(cpu.len(), students.len());
        for (c, g) in cpu.iter().zip(&on_gpu) {
            let titles = |n: &crate::models::study::infer::NextRead| n.suggestions.iter().map(|s| s.title.clone()).collect::<Vec<_>>();
            assert_eq!((c.student, titles(c)), (g.student, titles(g)));
            for (a, b) in c.suggestions.iter().zip(&g.suggestions) {
                assert!((a.score - b.score).abs() < 1e-5, "{} vs {}", a.score, b.score);
            }
        }
    }

    #[test]
    fn both_kinds_with_every_channel_match_the_cpu() {
        let classroom = generate(&SynthConfig::small());
        let data = reads(&classroom);
        let vocab = TitleVocab::from_training(&data, 500);
        let pack = PackConfig::new(48, 16).unwrap();
        let built = build_study(&data, &vocab, &pack);
        for kind in [RecommenderKind::Study, RecommenderKind::Individual] {
            let config = RecommenderConfig {
                d_model: 32,
                n_heads: 4,
                n_layers: 2,
                d_ff: 80,
                num_grade_levels: Some(6),
                coread: true,
                ..RecommenderConfig::new(kind, vocab.len())
            };
            let table = crate::models::study::net::fit_coread(&built.seqs, &vocab);
            let model = config.init(5, &reference_device()).with_coread_table(Some(std::sync::Arc::new(table))).with_coread_boost(0.7);
            let Some(gpu) = gpu_or_skip(&model, &config, pack.seq_len()) else { return };
            let (worst, queries) = compare(&model, &config, &vocab, &built, &gpu);
            eprintln!("{kind:?}: {queries} queries, largest logit difference {worst} on {}", gpu.adapter());
            assert!(queries > 100 && worst < 1e-4, "{kind:?}: {queries} queries, largest logit difference {worst}");
        }
    }

    #[test]
    fn a_batch_whose_mask_is_not_the_models_rule_is_refused() {
        let classroom = generate(&SynthConfig::small());
        let data = reads(&classroom);
        let vocab = TitleVocab::from_training(&data, 500);
        let pack = PackConfig::new(48, 16).unwrap();
        let built = build_study(&data, &vocab, &pack);
        let config = RecommenderConfig { d_model: 16, n_heads: 2, n_layers: 1, d_ff: 32, ..RecommenderConfig::new(RecommenderKind::Individual, vocab.len()) };
        let model = config.init(1, &reference_device());
        let Some(gpu) = gpu_or_skip(&model, &config, pack.seq_len()) else { return };
        let ctx = CountContext::new(&built.seqs, &built.classrooms);
        let refs: Vec<&Row> = built.rows.iter().take(4).collect();
        // A STUDY-masked batch given to an Individual model.
        let study = RecommenderConfig { kind: RecommenderKind::Study, ..config };
        let batch = RecBatch::new(&refs, &study, Queries::Reads, &ctx);
        let err = block_on(gpu.logits(&batch)).unwrap_err().to_string();
        assert!(err.contains("attention mask is not the model's rule"), "{err}");
        let rows_too_long = block_on(GpuRecommender::new(&model, &config, MAX_ROW + 1)).err().unwrap().to_string();
        assert!(rows_too_long.contains("rows of 2049 tokens"), "{rows_too_long}");
    }
}
