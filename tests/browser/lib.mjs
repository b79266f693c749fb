// Shared by the browser tests and the wasm bench: a static server for one folder (the only
// origin the page may talk to) and Debian's chromium driven by playwright-core.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.pack': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** Serves `root` on 127.0.0.1 (random port); `requests` lists every path asked for. */
export async function serve(root) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  // closeAllConnections: keep-alive sockets would hold close() open (and the offline test needs the server really gone).
  return { url, requests, close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }) };
}

export const CHROMIUM = process.env.CLASSLENS_CHROMIUM ?? '/usr/bin/chromium';

/** Headless chromium; `webgpu` adds --enable-unsafe-webgpu (SwiftShader on a machine without a GPU). */
export async function launch({ webgpu = false } = {}) {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader');
  // Diagnostics only (BENCHMARKS.md says where): extra flags, space-separated.
  if (process.env.CLASSLENS_CHROMIUM_FLAGS) args.push(...process.env.CLASSLENS_CHROMIUM_FLAGS.split(' ').filter(Boolean));
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A page whose every request is recorded, so tests can check none leaves the origin. */
export async function openPage(browser, url) {
  const page = await browser.newPage();
  const seen = [];
  // A blob: URL (the Web Worker's script) is memory of the page, named after its origin
  // (blob:http://host:port/uuid): kept with that origin, so one of another origin still shows.
  page.on('request', (r) => seen.push(r.url().replace(/^blob:/, '')));
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, seen, errors };
}

/** Waits until the scored class is all there: the page adds the heatmap's rows a few per task
 * and the summaries in a task of their own, each region `aria-busy` until then
 * (app/src/components/heatmap.rs, class_panel.rs). */
export function settled(page) {
  return page.waitForFunction(() => document.querySelector('table.heatmap td[role=gridcell]') && !document.querySelector('[aria-busy=true]'), null, { timeout: 60000 });
}

/** The dashboard at `root` served, opened in a fresh headless chromium and scored once (its first heatmap cell drawn). */
export async function openDashboard(root) {
  const server = await serve(root);
  const browser = await launch();
  const { page, seen, errors } = await openPage(browser, `${server.url}/index.html`);
  await settled(page);
  return { server, browser, page, seen, errors };
}

/** Serves `root`, opens `path` in a fresh chromium and prints `await run(page)` as one JSON line, with the browser's version, how many requests left the origin, and page errors. */
export async function benchPage(root, path, run, { webgpu = false } = {}) {
  const server = await serve(root);
  const browser = await launch({ webgpu });
  try {
    const { page, seen, errors } = await openPage(browser, `${server.url}/${path}`);
    const result = await run(page);
    result.browser = browser.version();
    result.offsite_requests = seen.filter((u) => !u.startsWith(server.url)).length;
    if (errors.length) result.page_errors = errors;
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await server.close();
  }
}

/** A page in a fresh context of `browser` (no HTTP or service-worker cache) that, before it
 * loads anything, records the main thread's long tasks (> 50 ms, the browser's `longtask`
 * entries) in `window.__long` as [start, duration] (ms), counts `classlens-ready` events in
 * `window.__ready` and keeps the latest one's time in `window.__readyAt`. */
export async function watchedPage(browser) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__long = [];
    window.__ready = 0;
    addEventListener('classlens-ready', () => { window.__ready += 1; window.__readyAt = performance.now(); });
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push([Math.round(e.startTime), Math.round(e.duration)]))).observe({ type: 'longtask', buffered: true });
  });
  return { context, page };
}
