// Where the page's DKT fit spends its time: `node tests/browser/fit_profile.mjs ROOT CSV` (ROOT laid
// out by scripts/web-build.sh, CSV a path under it; scripts/bench-fit.sh writes fit-school.csv)
// fits the school settings of bench-fit.sh once under Chromium's sampling profiler and prints the
// seconds, then the 40 functions with the most self time (wasm names come from the name section).
import { readFileSync } from 'node:fs';
import { serve, launch, openPage } from './lib.mjs';
const [root, csv] = process.argv.slice(2);
const server = await serve(root);
const browser = await launch({});
const { page } = await openPage(browser, `${server.url}/bench.html`);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const SCHOOL_JSON = readFileSync(new URL('../../scripts/school-fit.json', import.meta.url), 'utf8').trim();
const r = await page.evaluate(([c, s]) => window.benchFit({ csv: c, settings: s, reps: 1 }), [`/${csv}`, SCHOOL_JSON]);
const { profile } = await cdp.send('Profiler.stop');
console.log(JSON.stringify(r.seconds));
// self time per function
const self = new Map(); const dt = profile.timeDeltas; const byId = new Map(profile.nodes.map(n => [n.id, n]));
const counts = new Map();
profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) || 0) + (dt[i] || 0)));
let total = 0;
for (const [id, t] of counts) { const n = byId.get(id); const k = n.callFrame.functionName || n.callFrame.url; self.set(k, (self.get(k) || 0) + t); total += t; }
[...self].sort((a, b) => b[1] - a[1]).slice(0, 40).forEach(([k, t]) => console.log((t / 1e3).toFixed(0).padStart(7), (100 * t / total).toFixed(1).padStart(5) + '%', k.slice(0, 150)));
await browser.close(); await server.close();
