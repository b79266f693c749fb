// Dropping a raw ASSISTments export, which is ISO-8859-1 (tests/fixtures/latin1_assistments.csv:
// students "José", "Ana Núñez", "François"; skills "Fracción", "Ángulos", "Porcentaje del año"), on the
// dashboard (target/web/app, laid out by scripts/web-build.sh). The page hands the file's bytes to
// classlens-core, which decodes them, so every name renders as written: no mojibake ("JosÃ©")
// and no U+FFFD, as a page that read the file with `File.text()` (UTF-8) would show. The cells
// are what `classlens mastery` computes from the same bytes, and the import survives a reload
// (localStorage keeps the bytes, not decoded text).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDashboard, settled } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../../target/web/app/', import.meta.url));
const CSV = fileURLToPath(new URL('../fixtures/latin1_assistments.csv', import.meta.url));
const CLI = fileURLToPath(new URL('../../target/release/classlens', import.meta.url));
// The accented students, all in the first class the page shows.
const STUDENTS = ['Ana Núñez', 'François', 'José'];
let server, browser, page, seen, errors;

before(async () => {
  ({ server, browser, page, seen, errors } = await openDashboard(ROOT));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** The heatmap as a map student → probabilities. */
async function heatmap() {
  await settled(page);
  return new Map(await page.$$eval('table.heatmap tbody tr', (trs) => trs.map((tr) => [tr.querySelector('th').textContent.trim(), [...tr.querySelectorAll('td')].map((td) => Number(td.dataset.p))])));
}

/** What `classlens mastery` makes of the same file with the page's DKT pack. */
async function cliTable() {
  const dir = await mkdtemp(join(tmpdir(), 'classlens-latin1-'));
  try {
    execFileSync(CLI, ['mastery', '--model', ROOT + 'demo/dkt.pack', '--data', CSV, '--table', 'csv', '--out', join(dir, 'mastery.csv')]);
    const lines = (await readFile(join(dir, 'mastery.csv'), 'utf8')).trim().split('\n');
    return new Map(lines.slice(1).map((l) => { const [id, ...p] = l.split(','); return [id, p.map(Number)]; }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Text that a wrong decoding leaves behind: UTF-8 read as Latin-1 ("Ã©"), or bytes that are not UTF-8 (U+FFFD). */
function assertNoMojibake(text, where) {
  assert.doesNotMatch(text, /\uFFFD/, `${where}: a replacement character`);
  assert.doesNotMatch(text, /Ã[\u0080-\u00BF]|Â[\u0080-\u00BF]/, `${where}: mojibake`);
}

/** The file decoded by hand (ISO-8859-1 maps each byte to the code point of its value): José's skill names. */
async function skillsOf(student) {
  const [header, ...lines] = (await readFile(CSV)).toString('latin1').split('\r\n').filter((l) => l);
  const col = (name) => header.split(',').indexOf(name);
  return [...new Set(lines.map((l) => l.split(',')).filter((f) => f[col('user_id')] === student).map((f) => f[col('skill_name')]))].sort();
}

async function assertImported() {
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('latin1_assistments.csv'));
  await page.waitForFunction(() => {
    const n = document.querySelectorAll('table.heatmap tbody tr').length;
    return n > 0 && document.querySelector('.progress').textContent.includes(`${n} students scored`);
  });
  const rows = await heatmap();
  for (const s of STUDENTS) assert.ok(rows.has(s), `${s} is on the heatmap: ${[...rows.keys()]}`);
  const native = await cliTable();
  for (const s of STUDENTS) assert.ok(native.has(s), `the CLI reads ${s} from the same bytes: ${[...native.keys()]}`);
  for (const [student, cells] of rows) {
    assert.ok(native.has(student), `${student} is not in the CLI's table`);
    assert.equal(cells.length, native.get(student).length);
    cells.forEach((p, k) => assert.ok(Math.abs(p - native.get(student)[k]) <= 1e-4, `${student}, skill ${k}: ${p} vs ${native.get(student)[k]}`));
  }
  assertNoMojibake(await page.textContent('body'), 'the dashboard');
}

test('a Latin-1 ASSISTments export renders its accented student and skill names, and the CLI\'s numbers', async () => {
  const bytes = await readFile(CSV);
  assert.ok(bytes.includes(0xe9) && !bytes.toString('utf8').includes('José'), 'the fixture is ISO-8859-1, not UTF-8');
  await page.click('details.import summary');
  await page.setInputFiles('details.import input[type=file]', CSV);
  await assertImported();
  assert.equal(await page.locator('details.import [role=alert]').count(), 0);

  // José's page: the recent answers name the skills as the file does.
  await page.click('tbody th button:text-is("José")');
  await page.waitForSelector('section.student');
  assert.equal((await page.textContent('#student-title')).trim(), 'Student José');
  const skills = await page.$$eval('table.history tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  const want = await skillsOf('José');
  assert.ok(want.some((s) => /[^\x00-\x7f]/.test(s)), `José answered an accented skill: ${want}`);
  assert.deepEqual([...new Set(skills.flatMap((s) => s.split(', ')))].sort(), want);
  assertNoMojibake(await page.textContent('section.student'), 'the student page');
  await page.click('button.back');
  await settled(page);
});

test('the import comes back from localStorage after a reload with the same names', async () => {
  await page.reload();
  await settled(page);
  await assertImported();
  assert.equal(await page.locator('.notice').count(), 0, 'the kept import was read again, not dropped');
  await page.click('details.import summary');
  await page.click('text=Forget this data');
  await page.waitForFunction(() => document.querySelector('[data-testid=source]').textContent.startsWith('built-in demo classroom'));
  assert.equal(await page.evaluate(() => localStorage.getItem('classlens.import.v1')), null);
});

test('no request leaves the origin; no page error', async () => {
  assert.deepEqual(seen.filter((u) => !u.startsWith(server.url)), []);
  assert.deepEqual(errors, []);
});
