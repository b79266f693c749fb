// The dashboard's offline demo (app/src/main.rs, laid out by scripts/web-build.sh in
// target/web/app): it renders, its cells are what the CLI computes, and the heatmap is a
// keyboard-navigable ARIA grid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../../target/web/app/', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../target/web/screenshots/', import.meta.url));
let server, browser, page, seen, errors;

before(async () => {
  server = await serve(ROOT);
  browser = await launch();
  ({ page, seen, errors } = await openPage(browser, `${server.url}/index.html`));
  await page.waitForSelector('td[role=gridcell]', { timeout: 60000 });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the demo heatmap shows what `classlens mastery` computes, to 1e-4', async () => {
  const lines = (await readFile(ROOT + 'demo/mastery.csv', 'utf8')).trim().split('\n');
  const native = new Map(lines.slice(1).map((l) => { const [id, ...p] = l.split(','); return [id, p.map(Number)]; }));
  const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th').textContent, [...tr.querySelectorAll('td')].map((td) => Number(td.dataset.p))]));
  assert.equal(rows.length, 30, 'the demo class has 30 students');
  for (const [student, cells] of rows) {
    const want = native.get(student);
    assert.ok(want, `${student} is in the CLI's table`);
    assert.equal(cells.length, want.length);
    cells.forEach((p, k) => assert.ok(Math.abs(p - want[k]) <= 1e-4, `${student}, skill ${k}: ${p} vs ${want[k]}`));
  }
});

test('every cell carries its level as text, not only colour', async () => {
  const texts = await page.$$eval('td[role=gridcell]', (tds) => tds.map((td) => td.textContent.trim()));
  assert.ok(texts.length > 100);
  for (const t of texts) assert.match(t, /^([PNR] \d{1,3}|–)$/);
  const label = await page.getAttribute('#cell-0-0', 'aria-label');
  assert.match(label, /\d+\.\d%, \d+ attempts/);
});

test('the heatmap is one tab stop with arrow-key navigation (roving tabindex)', async () => {
  assert.equal(await page.locator('td[role=gridcell][tabindex="0"]').count(), 1);
  await page.focus('#cell-0-0');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-1-1');
  await page.keyboard.press('End');
  const last = await page.evaluate(() => document.activeElement.id);
  assert.match(last, /^cell-1-\d+$/);
  assert.ok(Number(last.split('-')[2]) > 5);
  assert.equal(await page.locator('td[role=gridcell][tabindex="0"]').count(), 1, 'still one tab stop');
  assert.equal(await page.getAttribute(`#${last}`, 'tabindex'), '0');
});

test('sorting by a skill orders students by that skill, lowest first', async () => {
  await page.click('thead th:nth-child(2) button');
  const ps = await page.$$eval('tbody tr td:nth-of-type(1)', (tds) => tds.map((td) => Number(td.dataset.p)));
  assert.deepEqual(ps, [...ps].sort((a, b) => a - b));
});

test('no request leaves the origin; no page error; a screenshot is saved', async () => {
  assert.deepEqual(seen.filter((u) => !u.startsWith(server.url)), []);
  assert.deepEqual(errors, []);
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: SHOTS + 'dashboard.png', fullPage: true });
});
