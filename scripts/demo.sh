#!/usr/bin/env bash
# Installs what the app needs and serves the offline demo at http://127.0.0.1:8080/: the teacher
# dashboard on the built-in classroom, with the DKT and STUDY packs of public/demo/, everything
# computed in the browser. trunk 0.21.14 builds it from index.html (Trunk.toml: release, offline,
# the wasm-bindgen that scripts/setup.sh installs); it is installed here once if missing (about
# 10 minutes of `cargo install`). PORT=... picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! trunk --version 2>/dev/null | grep -q "0.21.14"; then
  cargo install --locked trunk --version 0.21.14
fi
exec trunk serve --address 127.0.0.1 --port "${PORT:-8080}" --no-autoreload
