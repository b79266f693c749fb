// classlens-core compiled to WebAssembly, in headless Chromium, against the native CLI on the
// same packs and files (made by scripts/web-build.sh in target/web/fixture).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve, launch, openPage } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../../target/web/', import.meta.url));
const F = 'fixture';
let server, browser, page, seen, errors;

before(async () => {
  server = await serve(ROOT);
  browser = await launch();
  ({ page, seen, errors } = await openPage(browser, `${server.url}/bench.html`));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** `classlens mastery --table csv` output → Map(student → probabilities), plus the skill order. */
async function nativeMastery(file) {
  const lines = (await readFile(ROOT + file, 'utf8')).trim().split('\n');
  const skills = lines[0].split(',').slice(1);
  const rows = new Map(lines.slice(1).map((l) => { const [id, ...p] = l.split(','); return [id, p.map(Number)]; }));
  return { skills, rows };
}

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

/** The same students, each with the same titles in the same order and scores within 1e-4. */
function sameSuggestions(got, want) {
  assert.deepEqual(got.map((s) => s.student), want.map((s) => s.student));
  for (const [k, c] of want.entries()) {
    assert.deepEqual(got[k].suggestions.map((s) => s.title), c.suggestions.map((s) => s.title), c.student);
    assert.ok(maxDiff(got[k].suggestions.map((s) => s.score), c.suggestions.map((s) => s.score)) <= 1e-4, c.student);
  }
}

for (const q of ['none', 'int8']) {
  test(`DKT ${q}: the class mastery table in wasm equals the native CLI's to 1e-4`, async () => {
    const native = await nativeMastery(`${F}/dkt-${q}.mastery.csv`);
    const wasm = await page.evaluate(([p, c]) => window.masteryTable(p, c), [`/${F}/dkt-${q}.pack`, `/${F}/demo/classroom/skill_builder_data.csv`]);
    assert.deepEqual(wasm.skills, native.skills);
    assert.equal(wasm.rows.length, native.rows.size);
    assert.ok(wasm.rows.length >= 100, 'the whole built-in classroom');
    assert.equal(wasm.report.students, wasm.rows.length, 'the build report comes with the table');
    let worst = 0;
    for (const [id, p] of wasm.rows) {
      assert.ok(native.rows.has(id), `student ${id} missing natively`);
      worst = Math.max(worst, maxDiff(p, native.rows.get(id)));
    }
    // The CSV has six decimals; the arithmetic is the same kernel in f32.
    assert.ok(worst <= 1e-4, `max difference ${worst}`);
  });
}

test('DKT int8 stays within 0.02 of f32 on every cell (the stated int8 tolerance)', async () => {
  const f32 = await nativeMastery(`${F}/dkt-none.mastery.csv`);
  const int8 = await page.evaluate(([p, c]) => window.masteryTable(p, c), [`/${F}/dkt-int8.pack`, `/${F}/demo/classroom/skill_builder_data.csv`]);
  const worst = Math.max(...int8.rows.map(([id, p]) => maxDiff(p, f32.rows.get(id))));
  assert.ok(worst > 0 && worst < 0.02, `max |int8 - f32| = ${worst}`);
});

for (const q of ['none', 'int8']) {
  test(`STUDY ${q}: next-read suggestions in wasm equal the native CLI's`, async () => {
    const native = JSON.parse(await readFile(`${ROOT}${F}/study-${q}.recommend.json`, 'utf8'));
    const wasm = await page.evaluate(([p, a, i]) => window.recommendations(p, a, i, 5), [`/${F}/study-${q}.pack`, `/${F}/reads/student_activity.csv`, `/${F}/reads/student_info.csv`]);
    assert.ok(native.length > 10);
    assert.deepEqual(wasm.map((s) => s.student), native.map((s) => s.student));
    for (const [k, n] of native.entries()) {
      assert.deepEqual(wasm[k].suggestions.map((s) => s.title), n.suggestions.map((s) => s.title), n.student);
      assert.ok(maxDiff(wasm[k].suggestions.map((s) => s.score), n.suggestions.map((s) => s.score)) <= 1e-4, n.student);
    }
  });
}

test('damaged or wrong packs fail with a clear message, not a crash', async () => {
  assert.match(await page.evaluate((u) => window.loadError(u), `/${F}/truncated.pack`), /truncated: the pack is \d+ bytes, its header says \d+/);
  assert.match(await page.evaluate((u) => window.loadError(u), `/${F}/corrupted.pack`), /checksum mismatch/);
  assert.match(await page.evaluate((u) => window.loadError(u), `/${F}/study-int8.pack`), /holds a study model, expected dkt/);
  assert.match(await page.evaluate((u) => window.loadError(u), `/${F}/demo/classroom/skill_builder_data.csv`), /not a classlens model pack/);
  assert.equal(await page.evaluate((u) => window.packKind(u), `/${F}/dkt-int8.pack`), 'dkt');
  // The module still works after the errors.
  const t = await page.evaluate(([p, c]) => window.masteryTable(p, c), [`/${F}/dkt-int8.pack`, `/${F}/demo/classroom/skill_builder_data.csv`]);
  assert.ok(t.rows.length > 0);
});

test('no request leaves the origin and the page raised no error', () => {
  assert.ok(seen.length > 3);
  assert.deepEqual(seen.filter((u) => !u.startsWith(server.url)), []);
  assert.deepEqual(errors, []);
});

test('WebGPU (chromium --enable-unsafe-webgpu; SwiftShader here) gives the CPU-wasm results: DKT to 1e-4, STUDY the same suggestions (the WGSL kernels)', async () => {
  const gpuBrowser = await launch({ webgpu: true });
  try {
    const { page: gpuPage, errors: gpuErrors } = await openPage(gpuBrowser, `${server.url}/bench.html`);
    for (const q of ['none', 'int8']) {
      const r = await gpuPage.evaluate((p) => window.dktBothBackends(p, 12, 40), `/${F}/dkt-${q}.pack`);
      assert.equal(r.gpu.length, r.cpu.length);
      const worst = maxDiff(r.gpu, r.cpu);
      assert.ok(worst <= 1e-4, `${q}: max |webgpu - cpu| = ${worst}`);
      assert.ok(r.gpu.some((x) => x > 0.01), 'real probabilities, not an empty buffer');
    }
    // STUDY through the WGSL kernels: every student's top 5 in the same order, a handful of
    // dispatches a layer. (burn's generic wgpu path is not in this build: see the `burn-webgpu`
    // feature in app/Cargo.toml; scripts/bench-study-webgpu.sh compares it with the CPU.)
    for (const q of ['none', 'int8']) {
      const r = await gpuPage.evaluate(([p, a, i]) => window.studyBothBackends(p, a, i, 5), [`/${F}/study-${q}.pack`, `/${F}/reads/student_activity.csv`, `/${F}/reads/student_info.csv`]);
      assert.ok(r.cpu.length > 10);
      assert.ok(r.dispatches <= 12, `${r.dispatches} dispatches per batch`);
      sameSuggestions(r.wgsl, r.cpu);
    }
    // The demo pack on the built-in classroom: wider layers than the fixture's (more than 64
    // output columns per invocation group), which is where SwiftShader once kept a loop's sums.
    const demo = await gpuPage.evaluate(([p, a, i]) => window.studyBothBackends(p, a, i, 5), ['/app/demo/study.pack', `/${F}/classroom/student_activity.csv`, `/${F}/classroom/student_info.csv`]);
    assert.equal(demo.cpu.length, 120);
    sameSuggestions(demo.wgsl, demo.cpu);
    assert.deepEqual(gpuErrors, []);
  } finally {
    await gpuBrowser.close();
  }
});

test('without WebGPU the GPU path says so (and the page keeps the CPU path)', async () => {
  const msg = await page.evaluate((p) => window.webgpuError(p), `/${F}/dkt-int8.pack`);
  assert.match(msg, /no WebGPU adapter/);
  const t = await page.evaluate(([p, c]) => window.masteryTable(p, c), [`/${F}/dkt-int8.pack`, `/${F}/demo/classroom/skill_builder_data.csv`]);
  assert.ok(t.rows.length > 0);
});
