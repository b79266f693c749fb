#!/usr/bin/env bash
# Runs every test: the layer rules of ARCHITECTURE.md (scripts/check-layers.py), formatting,
# unit tests next to the code, the end-to-end CLI tests in tests/, clippy, and the browser tests
# in tests/browser/ (classlens-core as WebAssembly in headless Chromium, checked against the
# native CLI). Installs what is missing first (scripts/setup.sh).
# Tests build in release, like the demo, so the heavy burn dependency tree compiles once per target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 scripts/check-layers.py --self-test
python3 scripts/check-layers.py
cargo fmt --all -- --check
cargo test --release --workspace --locked
cargo clippy --workspace --all-targets --locked -- -D warnings
bash scripts/web-build.sh
(cd tests/browser && node --test)
