// The dashboard bench: `node tests/browser/app_bench.mjs ROOT [RUNS]` (ROOT: target/web/app or
// trunk's dist). Prints one JSON line:
// - cold load: navigation start to the app's `classlens-ready` (scores in the DOM) of the demo class of 30 (CPU path), in a
//   fresh browser context each run (nothing cached; the server sends no-store), median and all;
// - the main thread's long tasks (PerformanceObserver 'longtask', > 50 ms) during the cold load,
//   and while a class is rescored (a class switch), the longest of each;
// - the wasm module's size, raw and gzipped (level 9).
import { readdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serve, launch, watchedPage } from './lib.mjs';

const [root, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const server = await serve(root);
const browser = await launch();
const loads = [], loadLong = [], switchLong = [], switchMs = [];
try {
  for (let i = 0; i < runs; i++) {
    const { context, page } = await watchedPage(browser);
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => window.__ready >= 1 && document.querySelectorAll('td[role=gridcell]').length > 0, null, { timeout: 60000, polling: 'raf' });
    loads.push(await page.evaluate(() => window.__readyAt));
    loadLong.push(Math.max(0, ...(await page.evaluate(() => window.__long.map((t) => t[1])))));
    const t0 = await page.evaluate(() => { window.__long = []; return performance.now(); });
    await page.selectOption('.toolbar select', '1');
    await page.waitForFunction(() => window.__ready >= 2, null, { polling: 'raf' });
    switchMs.push((await page.evaluate(() => window.__readyAt)) - t0);
    switchLong.push(Math.max(0, ...(await page.evaluate(() => window.__long.map((t) => t[1])))));
    await context.close();
  }
  const wasmDir = (await readdir(join(root, 'pkg')).catch(() => null)) ? join(root, 'pkg') : root;
  const wasmName = (await readdir(wasmDir)).find((f) => f.endsWith('.wasm'));
  const wasm = await readFile(join(wasmDir, wasmName));
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log(JSON.stringify({
    cold_load_ms_median: Math.round(median(loads)), cold_load_ms: loads.map(Math.round),
    longest_task_during_load_ms: Math.round(Math.max(...loadLong)),
    class_switch_ms_median: Math.round(median(switchMs)),
    longest_task_while_rescoring_ms: Math.round(Math.max(...switchLong)),
    wasm: wasmName, wasm_bytes: wasm.length, wasm_gzip_bytes: gzipSync(wasm, { level: 9 }).length,
    browser: browser.version(),
  }));
} finally {
  await browser.close();
  await server.close();
}
