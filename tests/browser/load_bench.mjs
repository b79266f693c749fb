// The dashboard's cold load, side by side: `node tests/browser/load_bench.mjs RUNS ROOT...` opens
// each ROOT (a laid-out dashboard, e.g. target/web/app) RUNS times, alternating between them, each
// in a fresh browser context (no HTTP or service-worker cache), and prints one JSON line per
// load: milliseconds from navigation to `classlens-ready` (the scored class in the DOM) and the
// main thread's long tasks (> 50 ms, the browser's `longtask` entries) as [start, duration].
import { serve, launch, watchedPage } from './lib.mjs';

const [runs, ...roots] = process.argv.slice(2);
const browser = await launch();
try {
  for (let i = 0; i < Number(runs); i++) {
    for (const root of roots) {
      const server = await serve(root);
      const { context, page } = await watchedPage(browser);
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction(() => window.__ready >= 1, null, { timeout: 60000 });
      // The frame after ready (its layout) belongs to the load.
      await page.waitForTimeout(300);
      const { ready, long } = await page.evaluate(() => ({ ready: Math.round(window.__readyAt), long: window.__long.filter(([s]) => s <= window.__readyAt + 300) }));
      console.log(JSON.stringify({ root, run: i, ready_ms: ready, long_tasks: long, longest_ms: Math.max(0, ...long.map(([, d]) => d)), browser: browser.version() }));
      await context.close();
      await server.close();
    }
  }
} finally {
  await browser.close();
}
