#!/usr/bin/env bash
# Shrinks the app's wasm in place with `wasm-opt -Oz` from npm's binaryen 132 (pinned in
# tests/browser/package.json, installed by scripts/setup.sh; never downloaded at build time).
# Debian bookworm's binaryen 108 is too old: its output breaks wasm-bindgen's externref table
# ("WebAssembly.Table.set(): Argument 1 is invalid"). Usage: scripts/wasm-opt.sh DIR (or as a trunk
# post_build hook, where the folder is $TRUNK_STAGING_DIR). The feature flags are the
# ones rustc's wasm32 target emits. Not part of the shipped build: on the dashboard it saved 7%
# of the gzipped size and slowed the cold load 1.5x (BENCHMARKS.md); scripts/bench-app.sh
# measures the optimized variant beside the shipped one. LEVEL=-O3 picks another level.
set -euo pipefail
WASM_OPT="$(cd "$(dirname "$0")/.." && pwd)/tests/browser/node_modules/.bin/wasm-opt"
DIR=${1:-${TRUNK_STAGING_DIR:?give the folder holding the .wasm}}
for wasm in "$DIR"/*.wasm "$DIR"/pkg/*.wasm; do
  [ -f "$wasm" ] || continue
  "$WASM_OPT" "${LEVEL:--Oz}" --enable-bulk-memory --enable-nontrapping-float-to-int --enable-simd --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
done
