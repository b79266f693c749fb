// DKT in TensorFlow.js, the shape the page fits (scripts/bench-tfjs.sh): one-hot (skill, answer)
// inputs of width 2·S, an LSTM of `hidden` units, a dense layer to S logits, sigmoid cross-entropy
// on the next answer's skill, Adam; windows of `window` steps cut from each student's answers (first
// attempts, in order), batches of `batch` windows. Times each epoch's optimizer steps.
/* global tf */
window.fitTfjs = async ({ csv, backend, hidden = 32, batch = 4, window: win = 100, epochs = 3, lr = 0.003 }) => {
  if (backend === 'wasm') tf.wasm.setWasmPaths('./');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  await tf.ready();
  const [header, ...lines] = (await (await fetch(csv)).text()).trim().split(/\r?\n/);
  const cols = header.split(',');
  const col = (n) => cols.indexOf(n);
  const [U, S, K, O, ID] = ['user_id', 'skill_id', 'correct', 'original', 'order_id'].map(col);
  const skills = new Map();
  const byUser = new Map();
  for (const l of lines) {
    const f = l.split(',');
    if (f[O] !== '1' || !f[S]) continue;
    if (!skills.has(f[S])) skills.set(f[S], skills.size);
    if (!byUser.has(f[U])) byUser.set(f[U], []);
    byUser.get(f[U]).push([Number(f[ID]), skills.get(f[S]), f[K] === '1' ? 1 : 0]);
  }
  const n = skills.size;
  const windows = [];
  for (const steps of byUser.values()) {
    steps.sort((a, b) => a[0] - b[0]);
    for (let s = 0; s < steps.length; s += win) if (steps.length - s >= 2) windows.push(steps.slice(s, s + win));
  }
  const lstm = tf.layers.lstm({ units: hidden, returnSequences: true });
  const dense = tf.layers.dense({ units: n });
  const input = tf.input({ shape: [null, 2 * n] });
  const model = tf.model({ inputs: input, outputs: dense.apply(lstm.apply(input)) });
  const opt = tf.train.adam(lr);
  // A batch padded to its longest window (as the fused trainer reads each window at its length).
  const tensors = (ws) => {
    const T = Math.max(...ws.map((w) => w.length));
    const x = new Float32Array(ws.length * T * 2 * n), next = new Float32Array(ws.length * (T - 1) * n);
    const labels = new Float32Array(ws.length * (T - 1)), mask = new Float32Array(ws.length * (T - 1));
    ws.forEach((w, b) => w.forEach(([, k, c], t) => {
      x[(b * T + t) * 2 * n + k + c * n] = 1;
      if (t > 0) { next[(b * (T - 1) + t - 1) * n + k] = 1; labels[b * (T - 1) + t - 1] = c; mask[b * (T - 1) + t - 1] = 1; }
    }));
    return [T, tf.tensor3d(x, [ws.length, T, 2 * n]), tf.tensor3d(next, [ws.length, T - 1, n]), tf.tensor2d(labels, [ws.length, T - 1]), tf.tensor2d(mask, [ws.length, T - 1])];
  };
  const epochSeconds = [];
  let steps = 0, loss = NaN;
  for (let e = 0; e < epochs; e++) {
    const order = windows.map((_, i) => i).sort(() => Math.random() - 0.5);
    const t0 = performance.now();
    for (let i = 0; i < order.length; i += batch) {
      const [T, x, next, labels, mask] = tensors(order.slice(i, i + batch).map((j) => windows[j]));
      const l = opt.minimize(() => {
        const z = model.apply(x).slice([0, 0, 0], [-1, T - 1, -1]);
        return tf.losses.sigmoidCrossEntropy(labels, tf.sum(tf.mul(z, next), -1), mask);
      }, true);
      loss = (await l.data())[0];
      tf.dispose([x, next, labels, mask, l]);
      steps += 1;
    }
    epochSeconds.push((performance.now() - t0) / 1000);
  }
  return { backend: tf.getBackend(), skills: n, windows: windows.length, steps_per_epoch: Math.ceil(windows.length / batch), epoch_seconds: epochSeconds, loss };
};
