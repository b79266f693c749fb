#!/usr/bin/env bash
# Reproduces the model-pack figures in BENCHMARKS.md ("Model packs and in-browser inference"):
# pack sizes, held-out accuracy of f32 / f16 / int8 packs, native `bench infer`, and the same
# measurements in headless Chromium on CPU-wasm and on WebGPU (SwiftShader here).
# Needs the trained models of scripts/bench-dkt.sh (runs/assist2009-dkt, runs/assist2009-dktq)
# and scripts/bench-study.sh (runs/study-bench/s1-inf0.6-*), and ../shared/data/assist2009-pid.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --locked --workspace --no-run
bash scripts/web-build.sh
CL=./target/release/classlens
A=../shared/data/assist2009-pid
OUT=bench/results
P=target/web/packs
mkdir -p "$OUT" "$P"

# 1. Packs and held-out accuracy per weight format.
for m in dkt dktq; do
  for q in none f16 int8; do
    $CL export runs/assist2009-$m --out $P/assist2009-$m-$q.pack --quantize $q
    $CL eval dkt --model $P/assist2009-$m-$q.pack --data $A/assist2009_pid_valid1.csv --split all --json $OUT/pack-assist2009-$m-$q-valid1.json > /dev/null
  done
done
for kind in study individual; do
  for q in none int8; do
    $CL export runs/study-bench/s1-inf0.6-$kind --out $P/s1-$kind-$q.pack --quantize $q
    $CL eval study --model $P/s1-$kind-$q.pack --data runs/study-bench/s1-inf0.6/student_activity.csv --held-out-frac 0.2 \
      --json $OUT/pack-s1-$kind-$q-hits.json > $OUT/pack-s1-$kind-$q-hits.txt
  done
done

# 2. One classroom of the seed-1 data (30 students) for the STUDY latency, native and in the browser.
python3 scripts/one_classroom.py runs/study-bench/s1-inf0.6 $P/class

# 3. Native: load, first and steady latency.
for q in none int8; do
  $CL bench infer --pack $P/assist2009-dkt-$q.pack --repeats 200 --json $OUT/infer-native-dkt-$q.json > /dev/null
  $CL bench infer --pack $P/s1-study-$q.pack --data $P/class/student_activity.csv --repeats 50 --json $OUT/infer-native-study-$q.json > /dev/null
done

# 4. Browser: CPU-wasm and WebGPU (chromium --enable-unsafe-webgpu).
cd tests/browser
for q in none int8; do
  REPS=100 node wasm_bench.mjs ../../target/web dkt packs/assist2009-dkt-$q.pack > ../../$OUT/infer-wasm-cpu-dkt-$q.json
  REPS=20 CLASSLENS_WEBGPU=1 node wasm_bench.mjs ../../target/web dkt packs/assist2009-dkt-$q.pack > ../../$OUT/infer-wasm-webgpu-dkt-$q.json
  node wasm_bench.mjs ../../target/web study packs/s1-study-$q.pack packs/class/student_activity.csv packs/class/student_info.csv > ../../$OUT/infer-wasm-cpu-study-$q.json
  CLASSLENS_WEBGPU=1 node wasm_bench.mjs ../../target/web study packs/s1-study-$q.pack packs/class/student_activity.csv packs/class/student_info.csv > ../../$OUT/infer-wasm-webgpu-study-$q.json
done
cd ../..
for f in $OUT/infer-*.json; do echo "$f"; cat "$f"; echo; done
