#!/usr/bin/env bash
# The in-page DKT fit against TensorFlow.js (npm; the mainstream library that trains in a page)
# fitting the same DKT shape (hidden 32, batches of 4 windows of up to 100 answers, Adam 3e-3) on
# the same generated class of 30, in the same headless Chromium, side by side in one run: TF.js on
# each backend it offers here (cpu, wasm, webgl), then classlens's fit (scripts/bench-fit.sh's
# page bench), alternating. TF.js is installed into target/tfjs (never committed).
# Usage: scripts/bench-tfjs.sh [rounds]   (after scripts/web-build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
CL=./target/release/classlens
WEB=target/web
T=target/tfjs
if [ ! -f "$T/node_modules/@tensorflow/tfjs/dist/tf.min.js" ]; then
  npm install --silent --no-save --prefix "$T" @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 > /dev/null
fi
R=$T/root
rm -rf "$R"
mkdir -p "$R"
cp tests/browser/tfjs/index.html tests/browser/tfjs/dkt.js "$R/"
cp "$T/node_modules/@tensorflow/tfjs/dist/tf.min.js" "$T/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js" "$R/"
cp "$T"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$R/"
$CL synth --schools 1 --classes-per-school 1 --students-per-class 30 --days 30 --seed 14 --out "$T/class" > /dev/null
cp "$T/class/skill_builder_data.csv" "$R/class.csv"
cp "$T/class/skill_builder_data.csv" "$WEB/fit-class.csv"
for _ in $(seq "$ROUNDS"); do
  for b in cpu wasm webgl; do
    echo "tfjs $(node tests/browser/tfjs_bench.mjs "$R" class.csv $b 3)"
  done
  echo "classlens $(node tests/browser/wasm_bench.mjs "$WEB" fit fit-class.csv)"
done
