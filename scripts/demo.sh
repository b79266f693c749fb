#!/usr/bin/env bash
# Installs what the demo needs, builds the CLI and runs the offline demo: it generates the
# built-in classroom, trains a small DKT on it and prints the class's mastery table.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
# The whole workspace, not -p classlens-cli: a single package resolves dependency features
# differently and would compile the burn tree a second time.
cargo build --release --locked --workspace
./target/release/classlens demo --out runs/demo "$@"
