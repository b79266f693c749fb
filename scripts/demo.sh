#!/usr/bin/env bash
# Installs what the demo needs, builds the CLI and runs the offline demo: it generates the
# built-in classroom, trains a small DKT on it and prints the class's mastery table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Built exactly as the test command builds it (the whole workspace, dev-dependencies included):
# `cargo build` or `-p classlens-cli` would resolve dependency features differently and compile
# the burn tree a second time. The test build leaves the CLI at target/release/classlens.
cargo test --release --locked --workspace --no-run
./target/release/classlens demo --out runs/demo "$@"
