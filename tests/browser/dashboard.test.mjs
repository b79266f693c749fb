// The dashboard's offline demo (app/src/components/, laid out by scripts/web-build.sh in
// target/web/app) on the CPU path: it renders, its cells are what the CLI computes, the heatmap
// is a keyboard-navigable ARIA grid, the student view shows STUDY's suggestions as the CLI gives
// them, thresholds are settings, imports replace the data (and a bad file keeps the old), the
// import survives a reload until "forget", an opened attention pack takes the mastery role, and
// axe-core finds no serious violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openDashboard, settled } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../../target/web/app/', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../target/web/fixture/', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../target/web/screenshots/', import.meta.url));
const AXE = fileURLToPath(new URL('./node_modules/axe-core/axe.min.js', import.meta.url));
let server, browser, page, seen, errors;

/** `classlens mastery --table csv` as a map student → probabilities. */
async function cliTable(path) {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  return new Map(lines.slice(1).map((l) => { const [id, ...p] = l.split(','); return [id, p.map(Number)]; }));
}

async function heatmapRows() {
  await settled(page);
  return page.$$eval('table.heatmap tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th').textContent.trim(), [...tr.querySelectorAll('td')].map((td) => Number(td.dataset.p))]));
}

function assertMatches(rows, native, n) {
  assert.equal(rows.length, n);
  for (const [student, cells] of rows) {
    const want = native.get(student);
    assert.ok(want, `${student} is in the CLI's table`);
    assert.equal(cells.length, want.length);
    cells.forEach((p, k) => assert.ok(Math.abs(p - want[k]) <= 1e-4, `${student}, skill ${k}: ${p} vs ${want[k]}`));
  }
}

/** Runs `action` and waits until the app has rendered the scores it causes: the source line
 * changes with the data at once, the heatmap only when the rescoring ends (`classlens-ready`). */
async function rescored(action) {
  await page.evaluate(() => { window.__rescored = false; addEventListener('classlens-ready', () => { window.__rescored = true; }, { once: true }); });
  await action();
  await page.waitForFunction(() => window.__rescored);
}

async function axeSerious() {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes, e.g. ${v.nodes[0]?.html})`);
}

before(async () => {
  ({ server, browser, page, seen, errors } = await openDashboard(ROOT));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the demo heatmap shows what `classlens mastery` computes, to 1e-4, on the CPU', async () => {
  assertMatches(await heatmapRows(), await cliTable(ROOT + 'demo/mastery.csv'), 30);
  assert.match(await page.textContent('[data-testid=backend]'), /CPU \(WebAssembly\) · no WebGPU/);
  assert.match(await page.textContent('[data-testid=backend-used]'), /Scored on: CPU/);
  assert.match(await page.textContent('[data-testid=source]'), /built-in demo classroom/);
  assert.match(await page.textContent('.progress'), /30 students scored/);
});

test('every cell carries its level as text, not only colour, and its evidence on hover and focus', async () => {
  const cells = await page.$$eval('td[role=gridcell]', (tds) => tds.map((td) => ({ text: td.textContent.trim(), level: td.dataset.level, answers: Number(td.dataset.answers), label: td.getAttribute('aria-label'), title: td.title })));
  assert.ok(cells.length > 100);
  for (const c of cells) {
    assert.equal(c.title, c.label, 'hover and focus say the same');
    if (c.answers === 0) {
      assert.deepEqual([c.text, c.level], ['–', 'NotStarted']);
      assert.match(c.label, /no answers on this skill yet/);
    } else if (c.answers < 3) {
      assert.deepEqual([c.text, c.level], ['?', 'NotEnoughData'], 'fewer answers than the setting: no level, not a guess dressed as one');
      assert.match(c.label, new RegExp(`Not enough data \\(${c.answers} of the 3 answers a level needs`));
    } else {
      assert.match(c.text, /^[PNR] \d{1,3}$/);
      assert.match(c.label, new RegExp(`\\d+\\.\\d% from ${c.answers} answers on this skill`));
    }
  }
  assert.ok(cells.some((c) => c.answers >= 3));
});

test('the heatmap is one tab stop whose arrow keys reach every cell (roving tabindex)', async () => {
  assert.equal(await page.locator('td[role=gridcell][tabindex="0"]').count(), 1);
  const rows = await page.locator('table.heatmap tbody tr').count();
  const cols = await page.locator('table.heatmap tbody tr:first-child td').count();
  await page.focus('#cell-0-0');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-1-1');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.id), `cell-1-${cols - 1}`);
  for (let r = 1; r < rows; r++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.id), `cell-${rows - 1}-${cols - 1}`, 'the last cell is reachable');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement.id), `cell-${rows - 1}-0`);
  assert.equal(await page.locator('td[role=gridcell][tabindex="0"]').count(), 1, 'still one tab stop');
});

test('sorting by a skill orders students by that skill, lowest first', async () => {
  await page.click('thead th:nth-child(2) button');
  await settled(page);
  const ps = await page.$$eval('table.heatmap tbody tr td:nth-of-type(1)', (tds) => tds.map((td) => Number(td.dataset.p)));
  assert.deepEqual(ps, [...ps].sort((a, b) => a - b));
});

test('a clicked cell takes the tab stop, and a re-render keeps one stop where it was', async () => {
  await page.click('#cell-2-3');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-2-3');
  assert.deepEqual(await page.$$eval('td[role=gridcell][tabindex="0"]', (tds) => tds.map((td) => td.id)), ['cell-2-3']);
  await page.click('thead th:nth-child(3) button');
  await settled(page);
  assert.deepEqual(await page.$$eval('td[role=gridcell][tabindex="0"]', (tds) => tds.map((td) => td.id)), ['cell-2-3'], 'after sorting');
});

test('"Export CSV" saves the table as shown: students in display order, each skill\'s probability', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Export CSV')]);
  assert.equal(download.suggestedFilename(), 'mastery.csv');
  const lines = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  const shown = await heatmapRows();
  assert.equal(lines.length, shown.length + 1);
  const students = lines.slice(1).map((l) => l.split(',')[0]);
  assert.deepEqual(students, shown.map(([s]) => s));
});

test('the class summaries list weakest skills, next problems and STUDY readings', async () => {
  assert.ok(await page.locator('.summaries ol li').count() >= 1);
  assert.ok(await page.locator('.class-next li').count() >= 1);
  const readings = await page.$$eval('.class-readings li', (lis) => lis.map((li) => li.textContent));
  assert.ok(readings.length >= 1 && readings.length <= 5);
  for (const r of readings) assert.match(r, /suggested to \d+ students; read this week by \d+ classmates/);
});

test('axe-core finds no serious or critical violation on the dashboard', async () => {
  assert.deepEqual(await axeSerious(), []);
});

test('the student view: an SVG chart, the recent answers, what to practise, and STUDY readings as the CLI gives them', async () => {
  const student = (await page.textContent('table.heatmap tbody tr:first-child th button')).trim();
  await page.click('table.heatmap tbody tr:first-child th button');
  await page.waitForSelector('section.student');
  assert.equal((await page.textContent('#student-title')).trim(), `Student ${student}`);
  assert.ok(await page.locator('svg.chart polyline').count() >= 1);
  assert.match(await page.getAttribute('svg.chart', 'aria-label'), /Mastery after each of \d+ answers/);
  const history = await page.locator('table.history tbody tr').count();
  assert.ok(history >= 1 && history <= 10);
  const native = JSON.parse(await readFile(ROOT + 'demo/recommend.json', 'utf8'));
  const want = native.find((s) => s.student === student);
  const titles = await page.$$eval('section.student li[data-title]', (lis) => lis.map((li) => li.dataset.title));
  assert.deepEqual(titles, want.suggestions.map((s) => s.title));
  assert.deepEqual(await axeSerious(), []);
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: SHOTS + 'student.png', fullPage: true });
  await page.click('button.back');
  await settled(page);
});

test('thresholds are settings: lowering them moves cells up a level, and they are kept', async () => {
  const count = async (code) => (await settled(page), await page.$$eval('td[role=gridcell]', (tds) => tds.map((td) => td.textContent.trim()[0]))).filter((c) => c === code).length;
  const before = await count('R');
  await page.click('details.settings summary');
  await page.fill('details.settings input >> nth=0', '60');
  await page.fill('details.settings input >> nth=1', '30');
  await page.click('details.settings button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.legend').textContent.includes('≥ 60%'));
  assert.ok((await count('R')) < before, 'fewer cells at "remediation"');
  await page.fill('details.settings input >> nth=0', '20');
  await page.click('details.settings button[type=submit]');
  assert.match(await page.textContent('details.settings [role=alert]'), /expected 0 < near/);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('classlens.thresholds.v1')).proficient), 0.6);
  await page.click('details.settings button.preset-mathia');
  await page.waitForFunction(() => document.querySelector('.legend').textContent.includes('≥ 95%'));
  assert.equal(await count('P'), 0, 'at MATHia\'s 95% no DKT cell is proficient here (see levels.rs)');
  await page.click('details.settings button.preset-default');
  await page.waitForFunction(() => document.querySelector('.legend').textContent.includes('≥ 80%'));
});

test('import: a CSV replaces the class, a broken one shows file:line and keeps it, a reload keeps it until "forget"', async () => {
  await page.click('details.import summary');
  await rescored(() => page.setInputFiles('details.import input[type=file]', FIXTURE + 'import/skill_builder_data.csv'));
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('skill_builder_data.csv'));
  await page.waitForFunction(() => document.querySelectorAll('table.heatmap tbody tr').length === 30 && document.querySelector('.progress').textContent.includes('30 students scored'));
  const imported = await cliTable(FIXTURE + 'import/mastery.csv');
  await page.waitForFunction((first) => document.querySelector('table.heatmap tbody tr th').textContent.trim() === first, [...imported.keys()].sort()[0]);
  assertMatches(await heatmapRows(), imported, 30);

  const lines = (await readFile(FIXTURE + 'import/broken.csv', 'utf8')).trimEnd().split('\n').length;
  await page.setInputFiles('details.import input[type=file]', FIXTURE + 'import/broken.csv');
  const alert = page.locator('details.import [role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), new RegExp(`broken\\.csv:${lines}`));
  assertMatches(await heatmapRows(), imported, 30);
  assert.match(await page.textContent('[data-testid=source]'), /^skill_builder_data\.csv/);

  await page.reload();
  await settled(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('skill_builder_data.csv'));
  assertMatches(await heatmapRows(), imported, 30);

  await page.click('details.import summary');
  await rescored(() => page.click('text=Forget this data'));
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('built-in demo classroom'));
  assert.equal(await page.evaluate(() => localStorage.getItem('classlens.import.v1')), null);
  await page.waitForFunction(() => document.querySelector('.progress').textContent.includes('30 students scored'));
  assertMatches(await heatmapRows(), await cliTable(ROOT + 'demo/mastery.csv'), 30);
});

test('import: a CSV of unknown columns is refused with its column list, and loads with a mapping', async () => {
  // The import fixture with its columns renamed: only a column mapping can read it.
  const [header, ...rows] = (await readFile(FIXTURE + 'import/skill_builder_data.csv', 'latin1')).trim().split('\n');
  const cols = header.split(',');
  const pick = ['user_id', 'problem_id', 'skill_id', 'correct', 'student_class_id'].map((c) => cols.indexOf(c));
  const text = ['kid,question,topic,right,klass', ...rows.map((r) => { const f = r.split(','); return pick.map((i) => f[i]).join(','); })].join('\n');
  const file = { name: 'gradebook.csv', mimeType: 'text/csv', buffer: Buffer.from(text) };
  await page.setInputFiles('details.import input[type=file]', file);
  const alert = page.locator('details.import [role=alert]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /^gradebook\.csv:1: .*columns are kid, question, topic, right, klass/);
  await page.fill('details.import input[type=text]', 'student=kid,item=question,skill=topic,correct=right,class=klass');
  await page.setInputFiles('details.import input[type=file]', file);
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('gradebook.csv'));
  await page.waitForFunction(() => document.querySelectorAll('table.heatmap tbody tr').length === 30 && document.querySelector('.progress').textContent.includes('30 students scored'));
  assert.equal(await page.locator('details.import [role=alert]').count(), 0);
  await page.click('text=Forget this data');
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('built-in demo classroom'));
});

/** Waits until the heatmap was scored by the mastery pack `file` (the header's first line ends
 * with it) with `n` skill columns for the 30 demo students. */
const scoredWith = (file, n) => page.waitForFunction(([f, k]) =>
  document.querySelector('[data-testid=models] li')?.textContent.endsWith(f)
    && document.querySelector('table.heatmap tbody tr')?.querySelectorAll('td').length === k
    && !document.querySelector('table.heatmap[aria-busy]')
    && document.querySelector('.progress')?.textContent.includes('30 students scored'), [file, n]);

test('an attention (AKT) pack opened here takes the mastery role: the heatmap is what `classlens mastery` computes with it, on the CPU, with a student view; forget brings the demo DKT back', async () => {
  // Waits for the scored state itself, not the next ready event: a run started by the test
  // before may still be ending. The fixture's model knows fewer skills than the demo's 20, so
  // the heatmap's width says which model scored it.
  const akt = await cliTable(FIXTURE + 'akt.mastery.csv');
  const width = akt.values().next().value.length;
  assert.notEqual(width, 20);
  if (!(await page.$eval('details.models-panel', (d) => d.open))) await page.click('details.models-panel summary');
  await page.setInputFiles('[data-testid=open-pack]', FIXTURE + 'akt.pack');
  await scoredWith('akt.pack', width);
  const lines = await page.$$eval('[data-testid=models] li', (lis) => lis.map((l) => l.textContent));
  assert.match(lines[0], /^Mastery: AKT · \d+ skills · trained on .* · held-out AUC 0\.\d{3}.* · opened pack akt\.pack$/);
  assertMatches(await heatmapRows(), akt, 30);
  assert.match(await page.textContent('[data-testid=backend-used]'), /Scored on: CPU/);
  // The WebGPU probe is not even asked for this model, and the header says why.
  await page.waitForFunction(() => document.querySelector('[data-testid=backend]').textContent.includes('not for the attention model'));
  const student = (await page.textContent('table.heatmap tbody tr:first-child th button')).trim();
  await page.click('table.heatmap tbody tr:first-child th button');
  await page.waitForSelector('section.student');
  assert.equal((await page.textContent('#student-title')).trim(), `Student ${student}`);
  assert.match(await page.getAttribute('svg.chart', 'aria-label'), /Mastery after each of \d+ answers/);
  await page.click('button.back');
  await settled(page);
  if (!(await page.$eval('details.models-panel', (d) => d.open))) await page.click('details.models-panel summary');
  await page.click('button.forget-models');
  await scoredWith('demo/dkt.pack', 20);
  assertMatches(await heatmapRows(), await cliTable(ROOT + 'demo/mastery.csv'), 30);
});

test('a BKT pack opened here scores the heatmap as `classlens mastery` does and shows each skill\'s four parameters in words', async () => {
  const bkt = await cliTable(FIXTURE + 'bkt.mastery.csv');
  const width = bkt.values().next().value.length;
  if (!(await page.$eval('details.models-panel', (d) => d.open))) await page.click('details.models-panel summary');
  await page.setInputFiles('[data-testid=open-pack]', FIXTURE + 'bkt.pack');
  await scoredWith('bkt.pack', width);
  const lines = await page.$$eval('[data-testid=models] li', (lis) => lis.map((l) => l.textContent));
  assert.match(lines[0], /^Mastery: BKT · \d+ skills · trained on .* · held-out AUC 0\.\d{3}.* · opened pack bkt\.pack$/);
  assertMatches(await heatmapRows(), bkt, 30);
  await page.waitForFunction(() => document.querySelector('[data-testid=backend]').textContent.includes('not for BKT'));
  // One row per skill, each with its sentence.
  const params = await page.$$eval('[data-testid=bkt-params] tbody tr', (rows) => rows.map((r) => ({
    skill: r.querySelector('th').textContent, cells: [...r.querySelectorAll('td')].map((td) => td.textContent), title: r.title })));
  assert.equal(params.length, width);
  for (const p of params) {
    assert.equal(p.cells.length, 4);
    assert.ok(p.cells.every((c) => /^\d{1,3}%$/.test(c)), p.cells.join(' '));
    assert.ok(p.title.startsWith(`${p.skill}: known before practice by about ${p.cells[0]} of students`), p.title);
  }
  await page.click('button.forget-models');
  await scoredWith('demo/dkt.pack', 20);
  assert.equal(await page.locator('[data-testid=bkt-params]').count(), 0, 'the table goes with the model');
});

test('while the worker\'s wasm downloads, the loading line counts its bytes', async () => {
  const other = await browser.newPage();
  try {
    await other.addInitScript(() => {
      window.__lines = [];
      new MutationObserver(() => {
        const line = document.querySelector('[data-testid=loading]')?.textContent;
        if (line && window.__lines.at(-1) !== line) window.__lines.push(line);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await other.goto(`${server.url}/index.html`);
    await settled(other);
    const lines = await other.evaluate(() => window.__lines);
    assert.ok(lines.some((l) => /^Downloading the models' code: [\d.]+ (of [\d.]+ MB \(\d+%\)|MB)…$/.test(l)), lines.join(' | '));
    assert.ok(lines.indexOf(lines.find((l) => l.startsWith('Downloading'))) < lines.indexOf(lines.find((l) => l.startsWith('Fetching the demo packs'))), lines.join(' | '));
  } finally {
    await other.close();
  }
});

test('the page\'s wasm carries no model code (no burn symbol), the worker\'s does (ARCHITECTURE.md)', async () => {
  const burn = (bytes) => (bytes.toString('latin1').match(/burn_[a-z_]+/g) ?? []).length;
  assert.equal(burn(await readFile(ROOT + 'pkg/classlens-app_bg.wasm')), 0);
  assert.ok(burn(await readFile(ROOT + 'pkg/classlens-worker_bg.wasm')) > 0, 'the check reads symbol names (a stripped worker would make it vacuous)');
});

test('no request leaves the origin; no page error; a screenshot is saved', async () => {
  assert.deepEqual(seen.filter((u) => !u.startsWith(server.url)), []);
  assert.deepEqual(errors, []);
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: SHOTS + 'dashboard.png', fullPage: true });
});
