#!/usr/bin/env bash
# Reproduces the web app's figures in BENCHMARKS.md ("The teacher dashboard"): cold load of the
# offline demo to a rendered class of 30 in headless Chromium (CPU path), the main thread's
# longest tasks while loading and while a class is rescored, and the shipped wasm's size; then
# the same with the wasm through wasm-opt (npm binaryen 132) at -Oz and -O3; then the cold load's
# long tasks (tests/browser/load_bench.mjs), beside BASE when it names another laid-out build
# (e.g. an older commit's target/web/app copied aside): the two alternate in one browser.
# Needs no ../shared data. Writes bench/results/app*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --locked --workspace --no-run
bash scripts/web-build.sh
mkdir -p bench/results
node tests/browser/app_bench.mjs target/web/app "${RUNS:-7}" | tee bench/results/app.json
for module in classlens-app classlens-worker; do
  python3 scripts/wasm_size.py "target/web/app/pkg/${module}_bg.wasm"
  echo "$module: $(wc -c < "target/web/app/pkg/${module}_bg.wasm") bytes, $(gzip -9 -c "target/web/app/pkg/${module}_bg.wasm" | wc -c) gzipped"
done | tee bench/results/app-wasm-size.txt
# The same page with the wasm through wasm-opt -Oz and -O3 (not shipped: see BENCHMARKS.md).
for level in -Oz -O3; do
  rm -rf target/web/app-opt && cp -r target/web/app target/web/app-opt
  LEVEL=$level bash scripts/wasm-opt.sh target/web/app-opt/pkg
  node tests/browser/app_bench.mjs target/web/app-opt "${RUNS:-7}" | tee "bench/results/app-wasm-opt$level.json"
done
node tests/browser/load_bench.mjs "${RUNS:-7}" ${BASE:+"$BASE"} target/web/app | tee bench/results/app-load-tasks.jsonl
