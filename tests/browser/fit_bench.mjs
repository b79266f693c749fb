// The dashboard's fit, timed: `node tests/browser/fit_bench.mjs ROOT CSV` opens the dashboard at
// ROOT (target/web/app), imports CSV, clicks "Fit a model to this data" and waits for the
// heatmap rescored with the fitted model. Prints one JSON line: milliseconds from the click to
// the rendered dashboard, the verdict, and the main thread's long tasks (> 50 ms, the browser's
// `longtask` entries) from navigation to the first rendered dashboard, during the import's
// scoring, and during the fit.
import { serve, launch, watchedPage } from './lib.mjs';

const [root, csv] = process.argv.slice(2);
const server = await serve(root);
const browser = await launch();
try {
  const { page } = await watchedPage(browser);
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => window.__ready >= 1, null, { timeout: 60000 });
  const load = await page.evaluate(() => window.__long.splice(0).map(([, d]) => d));
  await page.click('details.import summary');
  await page.setInputFiles('details.import input[type=file]', csv);
  await page.waitForFunction(() => window.__ready >= 2, null, { timeout: 60000 });
  const importing = await page.evaluate(() => window.__long.splice(0).map(([, d]) => d));
  const t0 = await page.evaluate(() => performance.now());
  if (!(await page.$eval('details.models-panel', (d) => d.open))) await page.click('details.models-panel summary');
  await page.click('button.fit-start');
  await page.waitForSelector('[data-testid=fit-result]', { timeout: 300000 });
  if ((await page.getAttribute('[data-testid=fit-result]', 'data-used')) === 'true') await page.waitForFunction(() => window.__ready >= 3, null, { timeout: 60000, polling: 'raf' });
  else await page.evaluate(() => { window.__readyAt = performance.now(); });
  const ms = (await page.evaluate(() => window.__readyAt)) - t0;
  const fitting = await page.evaluate(() => window.__long.splice(0).map(([, d]) => d));
  const verdict = await page.$eval('[data-testid=fit-result]', (d) => ({ used: d.dataset.used, auc: Number(d.dataset.score), baseline: Number(d.dataset.baseline) }));
  console.log(JSON.stringify({ fit_to_rendered_ms: Math.round(ms), verdict, long_tasks_ms: { load, importing, fitting }, browser: browser.version() }));
} finally {
  await browser.close();
  await server.close();
}
