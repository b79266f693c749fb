// One cold load of the dashboard under Chromium's tracing: `node tests/browser/load_trace.mjs ROOT
// OUT.json` opens ROOT (a laid-out dashboard, e.g. target/web/app) in a fresh context, records a
// trace (timeline, V8 and wasm compilation categories) until `classlens-ready` and 300 ms after,
// writes it to OUT.json (open it in chrome://tracing or Perfetto, or read it with
// scripts/trace_tasks.py) and prints the main thread's long tasks (> 50 ms) as [start, duration].
// Tracing slows the page: time with load_bench.mjs, look inside with this.
import { serve, launch, watchedPage } from './lib.mjs';

const [root, out] = process.argv.slice(2);
const server = await serve(root);
const browser = await launch();
try {
  const { page } = await watchedPage(browser);
  await browser.startTracing(page, {
    path: out,
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'disabled-by-default-v8.compile', 'blink', 'toplevel', 'v8.wasm', 'disabled-by-default-v8.wasm.detailed', 'disabled-by-default-v8.wasm.turbofan'],
  });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.__ready >= 1, null, { timeout: 60000 });
  await page.waitForTimeout(300);
  await browser.stopTracing();
  console.log(JSON.stringify(await page.evaluate(() => window.__long)));
} finally {
  await browser.close();
  await server.close();
}
