#!/usr/bin/env bash
# Runs every test: unit tests next to the code and the end-to-end CLI tests in tests/.
# Tests build in release, like the demo, so the heavy burn dependency tree compiles once.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
cargo test --release --workspace --locked
