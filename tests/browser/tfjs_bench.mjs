// The TensorFlow.js peer: `node tests/browser/tfjs_bench.mjs ROOT CSV BACKEND [EPOCHS]` serves ROOT
// (laid out by scripts/bench-tfjs.sh: tests/browser/tfjs/ with tf.min.js and the wasm backend)
// and fits TF.js's DKT of the page's shape to CSV (a path under ROOT) on BACKEND ('cpu', 'wasm',
// 'webgl'). Prints one JSON line, or {"backend", "error"} when the backend is not available.
import { benchPage } from './lib.mjs';

const [root, csv, backend, epochs] = process.argv.slice(2);
await benchPage(root, 'index.html', (page) =>
  page.evaluate((a) => window.fitTfjs(a).catch((e) => ({ backend: a.backend, error: String(e) })), { csv: `/${csv}`, backend, epochs: Number(epochs ?? 3) }));
