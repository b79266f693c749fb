#!/usr/bin/env bash
# Runs every test: unit tests next to the code, the end-to-end CLI tests in tests/, and the
# browser tests in tests/browser/ (classlens-core as WebAssembly in headless Chromium, checked
# against the native CLI). Installs what is missing first (scripts/setup.sh).
# Tests build in release, like the demo, so the heavy burn dependency tree compiles once per target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --workspace --locked
bash scripts/web-build.sh
(cd tests/browser && node --test)
