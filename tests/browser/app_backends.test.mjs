// The dashboard's WebGPU path and its offline reload. With --enable-unsafe-webgpu the adapter here
// is SwiftShader, a software fallback: the page keeps the CPU by default and says why; "Use WebGPU
// anyway" runs DKT and STUDY on it, with the cells still equal to `classlens mastery` and the
// same readings. After one visit the service worker serves the app with the server gone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage, settled } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../../target/web/app/', import.meta.url));
const browsers = [];
after(async () => Promise.all(browsers.map((b) => b.close())));

async function cells(page) {
  await settled(page);
  return page.$$eval('table.heatmap tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.querySelector('th').textContent.trim(), [...tr.querySelectorAll('td')].map((td) => Number(td.dataset.p))])));
}

test('on a software fallback adapter the CPU is kept and says why; "Use WebGPU anyway" gives the same cells and readings', async () => {
  const server = await serve(ROOT);
  const browser = await launch({ webgpu: true });
  browsers.push(browser);
  after(() => server.close());
  const { page, seen, errors } = await openPage(browser, `${server.url}/index.html`);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend]')?.textContent.includes('software fallback'), null, { timeout: 120000 });
  assert.match(await page.textContent('[data-testid=backend]'), /CPU \(WebAssembly\) · this browser's WebGPU is a software fallback/);
  assert.match(await page.textContent('.force-cpu'), /Use WebGPU anyway/);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-used]')?.textContent.includes('CPU'), null, { timeout: 60000 });
  const cpu = await cells(page);
  const cpuReadings = await page.$$eval('.class-readings li', (lis) => lis.map((li) => li.textContent));
  await page.check('.force-cpu input');
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-used]')?.textContent.includes('WebGPU'), null, { timeout: 120000 });
  assert.match(await page.textContent('[data-testid=backend]'), /DKT and STUDY on WebGPU \(.*a software fallback\), chosen over the CPU/);
  assert.match(await page.textContent('[data-testid=backend-used]'), /DKT and STUDY/);
  const gpu = await cells(page);
  const lines = (await readFile(ROOT + 'demo/mastery.csv', 'utf8')).trim().split('\n').slice(1);
  assert.equal(Object.keys(gpu).length, 30);
  for (const l of lines) {
    const [id, ...p] = l.split(',');
    if (!(id in gpu)) continue;
    p.map(Number).forEach((want, k) => assert.ok(Math.abs(gpu[id][k] - want) <= 1e-4, `${id}, skill ${k}: WebGPU ${gpu[id][k]} vs CLI ${want}`));
  }
  for (const [id, ps] of Object.entries(cpu)) ps.forEach((p, k) => assert.ok(Math.abs(p - gpu[id][k]) <= 1e-4, `${id}, skill ${k}`));
  // STUDY's suggestions through the WGSL kernels: the class's readings as on the CPU.
  assert.ok(cpuReadings.length >= 1);
  assert.deepEqual(await page.$$eval('.class-readings li', (lis) => lis.map((li) => li.textContent)), cpuReadings);
  assert.deepEqual(seen.filter((u) => !u.startsWith(server.url)), []);
  assert.deepEqual(errors, []);
});

test('after one visit the app reloads and works with the server gone (service worker)', async () => {
  const server = await serve(ROOT);
  const browser = await launch();
  browsers.push(browser);
  after(() => server.close());
  const { page, errors } = await openPage(browser, `${server.url}/index.html`);
  await settled(page);
  await page.waitForFunction(() => document.documentElement.dataset.offlineReady === 'true', null, { timeout: 30000 });
  const online = await cells(page);
  await server.close();
  await page.reload();
  await settled(page);
  assert.deepEqual(await cells(page), online);
  assert.deepEqual(errors, []);
});
