// STUDY's decoder on WebGPU, side by side in one Chromium (--enable-unsafe-webgpu: SwiftShader on a
// machine without a GPU): our WGSL kernels, burn's generic wgpu path, CPU-wasm, and ONNX Runtime
// Web's WebGPU and wasm providers running a decoder of the same shape on a batch of the shape our
// kernels ran (tests/browser/ort_study.html, graph from scripts/peer_study_onnx.py).
// `node tests/browser/study_webgpu_bench.mjs ROOT PACK ACTIVITY INFO ONNX D VOCAB [ROUNDS]`, paths
// under ROOT (served); prints one JSON line per measurement. Run by scripts/bench-study-webgpu.sh.
import { launch, openPage, serve } from './lib.mjs';

const [root, pack, activity, info, onnx, d, vocab, rounds = '2'] = process.argv.slice(2);
const server = await serve(root);
const browser = await launch({ webgpu: true });
try {
  const { page: ours, errors, seen } = await openPage(browser, `${server.url}/bench.html`);
  const { page: peer, seen: peerSeen } = await openPage(browser, `${server.url}/ort_study.html`);
  await peer.waitForFunction(() => document.getElementById('out').textContent === 'ready');
  const run = (backend) =>
    ours.evaluate(([p, a, i, b]) => window.benchStudy({ pack: p, activity: a, info: i, backend: b, reps: 10 }), [`/${pack}`, `/${activity}`, `/${info}`, backend]);
  // Each GPU run's suggestions are checked against the CPU's of the same round (`same_as_cpu`).
  const line = (r, o, cpu) => {
    const { suggested, ...rest } = o;
    console.log(JSON.stringify({ round: r, ...rest, ...(cpu && suggested ? { same_as_cpu: suggested === cpu.suggested } : {}) }));
  };
  for (let r = 0; r < Number(rounds); r++) {
    const cpu = await run('cpu');
    // The shape our kernels ran, for the peer.
    const wgsl = await run('wgsl');
    const shape = await ours.evaluate(() => window.lastWgslShape);
    line(r, { ...wgsl, shape }, cpu);
    for (const ep of ['webgpu', 'wasm']) {
      const o = await peer.evaluate((args) => window.benchOrt(args), { model: `/${onnx}`, ep, rows: shape[0], len: shape[1], queries: shape[2], d: Number(d), vocab: Number(vocab), reps: 10 });
      line(r, o);
    }
    line(r, cpu);
    if (r === 0) line(r, await run('webgpu'), cpu);
  }
  if (errors.length) console.log(JSON.stringify({ page_errors: errors }));
  console.log(JSON.stringify({ browser: browser.version(), offsite_requests: [...seen, ...peerSeen].filter((u) => !u.startsWith(server.url)).length }));
} finally {
  await browser.close();
  await server.close();
}
