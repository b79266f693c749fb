// The wasm bench: `node tests/browser/wasm_bench.mjs ROOT dkt PACK` or
// `... ROOT study PACK ACTIVITY INFO`, where ROOT is the folder served (it holds bench.html,
// bench.js, pkg/ and the files named, as paths under ROOT). Prints one JSON line.
// CLASSLENS_WEBGPU=1 runs the model on WebGPU (chromium with --enable-unsafe-webgpu); REPS sets the
// number of timed DKT runs after the first (STUDY always times 20).
import { serve, launch, openPage } from './lib.mjs';

const [root, model, pack, activity, info] = process.argv.slice(2);
const server = await serve(root);
const browser = await launch({ webgpu: process.env.CLASSLENS_WEBGPU === '1' });
try {
  const { page, seen, errors } = await openPage(browser, `${server.url}/bench.html`);
  const result =
    model === 'dkt'
      ? await page.evaluate(([p, r, b]) => window.benchDkt({ pack: p, reps: r, backend: b }), [`/${pack}`, Number(process.env.REPS ?? 50), process.env.CLASSLENS_WEBGPU === '1' ? 'webgpu' : 'cpu'])
      : await page.evaluate(([p, a, i, b]) => window.benchStudy({ pack: p, activity: a, info: i, backend: b }), [`/${pack}`, `/${activity}`, `/${info}`, process.env.CLASSLENS_WEBGPU === '1' ? 'webgpu' : 'cpu']);
  result.browser = browser.version();
  result.offsite_requests = seen.filter((u) => !u.startsWith(server.url)).length;
  if (errors.length) result.page_errors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await server.close();
}
