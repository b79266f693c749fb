#!/usr/bin/env bash
# Reproduces the web app's figures in BENCHMARKS.md ("The teacher dashboard"): cold load of the
# offline demo to a rendered class of 30 in headless Chromium (CPU path), the main thread's
# longest tasks while loading and while a class is rescored, and the shipped wasm's size.
# Needs no ../shared data. Writes bench/results/app.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --locked --workspace --no-run
bash scripts/web-build.sh
mkdir -p bench/results
node tests/browser/app_bench.mjs target/web/app "${RUNS:-7}" | tee bench/results/app.json
