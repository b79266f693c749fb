#!/usr/bin/env bash
# Installs what the tests, the browser tests and the demo need, and nothing twice: rustfmt and
# clippy, the wasm32 target, wasm-bindgen-cli 0.2.130 (the version the app links), Debian's chromium,
# Debian's mesa-vulkan-drivers (lavapipe: the WGSL kernels' parity tests run on Vulkan on the CPU), and the npm
# packages of tests/browser (playwright-core, axe-core, and binaryen for wasm-opt; pinned by
# tests/browser/package-lock.json).
# Nothing is downloaded at build or test time after this.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
WASM_BINDGEN=0.2.130

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c-" || rustup component add "$c"
done
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN\$"; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN"
fi
PKGS=""
[ -x /usr/bin/chromium ] || PKGS="$PKGS chromium"
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || PKGS="$PKGS mesa-vulkan-drivers"
if [ -n "$PKGS" ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PKGS > /dev/null
fi
command -v node >/dev/null || { echo "node not found: install Node.js (Debian: apt-get install nodejs npm)" >&2; exit 1; }
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
