#!/usr/bin/env bash
# Runs every test: the layer rules of ARCHITECTURE.md (scripts/check-layers.py), formatting,
# unit tests next to the code, the end-to-end CLI tests in tests/, clippy, and the browser tests
# in tests/browser/ (classlens-core as WebAssembly in headless Chromium, checked against the
# native CLI). Installs what is missing first (scripts/setup.sh). Each step's start is stamped in
# the log, so a slow CI run says where its time went.
# Tests build in release, like the demo, so the heavy burn dependency tree compiles once per target.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "[test.sh $(date -u +%H:%M:%S)] $*"; }
step setup
bash scripts/setup.sh
python3 scripts/check-layers.py --self-test
python3 scripts/check-layers.py
cargo fmt --all -- --check

# Clippy runs inside the test build: clippy-driver is rustc plus the lints, so with it as the
# workspace's compiler the release build that the tests need also lints every workspace target
# (--all-targets: tests, examples, the criterion bench) with -D warnings, while the dependencies are
# compiled once by plain rustc. A separate `cargo clippy` checked the whole dependency tree again
# in the dev profile (7 min 56 s of a 51-minute fresh-clone run). CLIPPY_ARGS is how cargo-clippy
# hands its `-- -D warnings` to clippy-driver. Both commands set the same wrapper, so the second
# reuses the first's artifacts.
step "release build of every target, linted (clippy -D warnings)"
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo test --release --workspace --all-targets --locked --no-run
step "native tests"
cargo test --release --workspace --locked
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

step "WebAssembly builds and fixtures"
bash scripts/web-build.sh
step "browser tests"
(cd tests/browser && node --test)
step done
