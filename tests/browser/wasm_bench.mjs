// The wasm bench: `node tests/browser/wasm_bench.mjs ROOT dkt|akt PACK` or
// `... ROOT study PACK ACTIVITY INFO` or `... ROOT fit CSV` (fitting DKT in the page; SETTINGS: a
// DktFitSettings as JSON), where ROOT is the folder served (it holds bench.html,
// bench.js, pkg/ and the files named, as paths under ROOT). Prints one JSON line.
// CLASSLENS_WEBGPU=1 runs the model on WebGPU (chromium with --enable-unsafe-webgpu); REPS sets the
// number of timed DKT runs after the first (STUDY always times 20).
import { benchPage } from './lib.mjs';

const [root, model, pack, activity, info] = process.argv.slice(2);
const webgpu = process.env.CLASSLENS_WEBGPU === '1';
const backend = webgpu ? 'webgpu' : 'cpu';
await benchPage(root, 'bench.html', (page) =>
  model === 'fit'
    ? page.evaluate(([c, s, r]) => window.benchFit({ csv: c, settings: s, reps: r }), [`/${pack}`, process.env.SETTINGS ?? '', Number(process.env.REPS ?? 1)])
    : model === 'dkt'
      ? page.evaluate(([p, r, b]) => window.benchDkt({ pack: p, reps: r, backend: b }), [`/${pack}`, Number(process.env.REPS ?? 50), backend])
      : model === 'akt'
        ? page.evaluate(([p, r]) => window.benchAkt({ pack: p, reps: r }), [`/${pack}`, Number(process.env.REPS ?? 20)])
        : page.evaluate(([p, a, i, b]) => window.benchStudy({ pack: p, activity: a, info: i, backend: b }), [`/${pack}`, `/${activity}`, `/${info}`, backend]),
{ webgpu });
