// The page side of the wasm bench and of the parity tests: everything runs through the
// `classlens_web` module (classlens-core compiled to WebAssembly).
import init, * as wasm from './pkg/classlens_web.js';

const { AktSession, DktSession, GpuDktSession, RecSession, WgslRecSession, fitDkt, packKind } = wasm;

/** burn's generic wgpu path for STUDY: only in a build with the `burn-webgpu` feature (the bench's). */
async function burnRecSession(bytes) {
  if (!wasm.GpuRecSession) throw new Error("this build has no burn wgpu path: CLASSLENS_WEB_FEATURES=burn-webgpu bash scripts/web-build.sh");
  return wasm.GpuRecSession.create(bytes);
}

const t0 = performance.now();
const ready = init().then(() => performance.now() - t0);

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A DKT session on `backend` ('cpu' or 'webgpu'); both answer `predict(batch)` (a promise on the GPU). */
async function dktSession(bytes, backend) {
  if (backend === 'webgpu') return GpuDktSession.create(bytes);
  return new DktSession(bytes);
}

/** Times `call` once (the first call after loading), then `reps` more, sorted. */
async function timeCalls(call, reps) {
  const f0 = performance.now();
  const first = await call();
  const firstMs = performance.now() - f0;
  const times = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    await call();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { first, firstMs, times };
}

/** Shows a benchmark's result on the page and keeps it for the harness. */
function publish(result) {
  window.lastResult = result;
  document.getElementById('out').textContent = JSON.stringify(result, null, 2);
  return result;
}

const CPU_ADAPTER = 'wasm32 (1 thread, SIMD128)';

/** A knowledge-tracing session opened from `pack`, timed on one synthetic `students` × `steps`
 * batch (the same histories as `classlens bench infer`); `describe` names the model and backend. */
async function benchBatch({ pack, open, call, describe, students, steps, reps }) {
  const initMs = await ready;
  const bytes = await fetchBytes(pack);
  const l0 = performance.now();
  const session = await open(bytes);
  const loadMs = performance.now() - l0;
  const batch = session.syntheticBatch(students, steps);
  const { first, firstMs, times } = await timeCalls(() => call(session, batch), reps);
  return publish({
    ...describe(session), pack, pack_bytes: bytes.length, students, steps,
    outputs: first.length, wasm_init_ms: initMs, pack_load_ms: loadMs, first_ms: firstMs,
    steady_median_ms: percentile(times, 0.5), steady_p90_ms: percentile(times, 0.9), steady_min_ms: times[0], reps,
  });
}

window.benchDkt = ({ pack, backend = 'cpu', students = 32, steps = 100, reps = 50 }) => benchBatch({
  pack, students, steps, reps,
  open: (bytes) => dktSession(bytes, backend),
  call: (session, batch) => session.predict(batch),
  describe: (session) => ({ model: 'dkt', backend, adapter: backend === 'webgpu' ? session.adapter : CPU_ADAPTER }),
});

/** The attention model's mastery call (the dashboard's) on a `students` × `steps` batch, CPU-wasm. */
window.benchAkt = ({ pack, students = 32, steps = 100, reps = 20 }) => benchBatch({
  pack, students, steps, reps,
  open: (bytes) => new AktSession(bytes),
  call: (session, batch) => session.mastery(batch),
  describe: () => ({ model: 'akt', call: 'mastery', backend: 'cpu', adapter: CPU_ADAPTER }),
});

/** CPU and WebGPU probabilities for the same batch (the WebGPU parity test). */
window.dktBothBackends = async (pack, students, steps) => {
  await ready;
  const bytes = await fetchBytes(pack);
  const cpu = new DktSession(bytes);
  const gpu = await GpuDktSession.create(bytes);
  const batch = cpu.syntheticBatch(students, steps);
  return { adapter: gpu.adapter, cpu: Array.from(cpu.predict(batch)), gpu: Array.from(await gpu.predict(batch)) };
};

/** CPU and WebGPU suggestions for the same classroom (the WebGPU parity test for STUDY): the WGSL
 * kernels' and, when `burn` is true (a `burn-webgpu` build), burn's generic wgpu path's. */
window.studyBothBackends = async (pack, activity, info, top, { burn = false } = {}) => {
  await ready;
  const bytes = await fetchBytes(pack);
  const [act, inf] = await Promise.all([fetch(activity).then((r) => r.text()), fetch(info).then((r) => r.text())]);
  const cpu = JSON.parse(new RecSession(bytes).recommendFromCsv(act, inf, top));
  const gpu = burn ? JSON.parse(await (await burnRecSession(bytes)).recommendFromCsv(act, inf, top)) : undefined;
  const wgslSession = await WgslRecSession.create(bytes);
  const wgsl = JSON.parse(await wgslSession.recommendFromCsv(act, inf, top));
  return { cpu, gpu, wgsl, adapter: wgslSession.adapter, dispatches: wgslSession.dispatches };
};

/** The error a page without WebGPU gets when it asks for the GPU path (it then uses the CPU). */
window.webgpuError = async (pack) => {
  await ready;
  try {
    await GpuDktSession.create(await fetchBytes(pack));
    return null;
  } catch (e) {
    return String(e.message ?? e);
  }
};

window.benchStudy = async ({ pack, activity, info, top = 5, reps = 20, backend = 'cpu' }) => {
  const initMs = await ready;
  const bytes = await fetchBytes(pack);
  const [act, inf] = await Promise.all([fetch(activity).then((r) => r.text()), fetch(info).then((r) => r.text())]);
  const l0 = performance.now();
  const session = backend === 'webgpu' ? await burnRecSession(bytes) : backend === 'wgsl' ? await WgslRecSession.create(bytes) : new RecSession(bytes);
  const loadMs = performance.now() - l0;
  const f0 = performance.now();
  const first = JSON.parse(await session.recommendFromCsv(act, inf, top));
  const firstMs = performance.now() - f0;
  // What was suggested, so a driver can check two backends agree.
  const suggested = first.map((s) => `${s.student}:${s.suggestions.map((t) => t.title).join(',')}`).join(' ');
  if (backend === 'wgsl') window.lastWgslShape = session.lastShape;
  const times = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    await session.recommendFromCsv(act, inf, top);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return publish({
    model: 'study', backend, pack, pack_bytes: bytes.length, ...(backend === 'wgsl' ? { adapter: session.adapter, dispatches_per_batch: session.dispatches } : {}), students: first.length, wasm_init_ms: initMs, pack_load_ms: loadMs, first_ms: firstMs,
    steady_median_ms: percentile(times, 0.5), steady_p90_ms: percentile(times, 0.9), reps, suggested,
  });
};

// For the parity tests: the same calls the CLI makes, on the same files.
window.masteryTable = async (pack, csv) => {
  await ready;
  const session = new DktSession(await fetchBytes(pack));
  return JSON.parse(session.masteryTableFromCsv(await (await fetch(csv)).text(), csv));
};
window.recommendations = async (pack, activity, info, top) => {
  await ready;
  const session = new RecSession(await fetchBytes(pack));
  const [act, inf] = await Promise.all([fetch(activity).then((r) => r.text()), fetch(info).then((r) => r.text())]);
  return JSON.parse(session.recommendFromCsv(act, inf, top));
};
window.loadError = async (url) => {
  await ready;
  try {
    new DktSession(await fetchBytes(url));
    return null;
  } catch (e) {
    return String(e.message ?? e);
  }
};
window.packKind = async (url) => {
  await ready;
  return packKind(await fetchBytes(url));
};

/** Fits DKT to the answer log at `csv` in the page (the dashboard's fit; `settings` as JSON, '' for the page's defaults), `reps` times: seconds per fit and the verdict. */
window.benchFit = async ({ csv, settings = '', reps = 1 }) => {
  await ready;
  const bytes = await fetchBytes(csv);
  const seconds = [];
  let verdict;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    verdict = JSON.parse(fitDkt(csv.split('/').pop(), bytes, settings));
    seconds.push((performance.now() - t) / 1000);
  }
  return { model: 'fit-dkt', seconds, verdict };
};
