#!/usr/bin/env bash
# Builds classlens-core's WebAssembly surface (app/src/js_api.rs, feature js-api) and lays out target/web/: the
# bench page, the wasm module, and a fixture of packs made by the CLI with their native outputs.
# Used by scripts/test.sh (browser tests) and scripts/bench-infer.sh. Assumes scripts/setup.sh.
# CLASSLENS_WEB_FEATURES=burn-webgpu adds burn's generic wgpu path for STUDY (`GpuRecSession`) to
# the bench page, for scripts/bench-study-webgpu.sh; the tests' build leaves it out (cubecl for
# wasm32 is most of this build's time, and that path ships nowhere).
set -euo pipefail
cd "$(dirname "$0")/.."
WEB=target/web
cargo build --release --locked --target wasm32-unknown-unknown -p classlens-app --lib --features "${CLASSLENS_WEB_FEATURES:-js-api}"
rm -rf "$WEB/pkg"
wasm-bindgen --target web --out-dir "$WEB/pkg" target/wasm32-unknown-unknown/release/classlens_web.wasm
cp tests/browser/bench.html tests/browser/bench.js "$WEB/"

# The fixture: a DKT and an attention model on the built-in classroom and a small STUDY model on a generated
# classroom, exported as packs, with what the native CLI answers for each.
CL=./target/release/classlens
F=$WEB/fixture
rm -rf "$F"
mkdir -p "$F"
$CL demo --out "$F/demo" --epochs 3 > /dev/null
CSV=$F/demo/classroom/skill_builder_data.csv
for q in none int8; do
  $CL export "$F/demo/dkt" --out "$F/dkt-$q.pack" --quantize "$q" > /dev/null
  $CL mastery --model "$F/dkt-$q.pack" --data "$CSV" --table csv --out "$F/dkt-$q.mastery.csv"
done
# An attention model on the same classroom, as a pack the dashboard opens in the mastery role.
$CL train akt --data "$CSV" --out "$F/akt" --epochs 3 --dim 16 --heads 2 --ff 32 --lr 0.02 --window 50 --quiet > /dev/null
$CL export "$F/akt" --out "$F/akt.pack" --quantize int8 > /dev/null
# BKT on the same classroom and split, as a pack the dashboard opens in the mastery role.
$CL train bkt --data "$CSV" --out "$F/bkt" --quiet > /dev/null 2>&1
$CL export "$F/bkt" --out "$F/bkt.pack" > /dev/null
$CL synth --seed 5 --out "$F/reads" --small > /dev/null 2>&1
$CL train study --train-data "$F/reads/student_activity.csv" --out "$F/study" --steps 20 --seq-len 24 --d-model 16 --heads 2 \
  --layers 1 --d-ff 32 --batch-size 8 --warmup-steps 5 --eval-every 10 --save-every 10 --valid-frac 0.25 --quiet > /dev/null
for q in none int8; do
  $CL export "$F/study" --out "$F/study-$q.pack" --quantize "$q" > /dev/null
  $CL recommend --model "$F/study-$q.pack" --data "$F/reads/student_activity.csv" --top 5 --output json > "$F/study-$q.recommend.json"
done
# Damaged packs: the last byte cut off, and one byte flipped in the weights.
head -c -1 "$F/dkt-int8.pack" > "$F/truncated.pack"
python3 - "$F/dkt-int8.pack" "$F/corrupted.pack" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 0x10; open(sys.argv[2], 'wb').write(b)
PY

# The dashboard (app/src/main.rs) with the offline demo's packs (public/demo/, committed; see
# scripts/demo-packs.sh), as trunk lays it out: the same cargo build and wasm-bindgen call,
# without trunk, so the tests need no extra tool.
# The `web` profile (release + LTO), as trunk builds what ships. No wasm-opt: it saved 7% of the
# gzipped size and made the cold load 1.5x slower (BENCHMARKS.md; scripts/bench-app.sh measures both).
# Two wasm modules: the page's (renders) and its Web Worker's (every model), side by side in pkg/.
cargo build --profile web --locked --target wasm32-unknown-unknown -p classlens-app --bin classlens-app --bin classlens-worker
APP=$WEB/app
rm -rf "$APP"
mkdir -p "$APP"
for bin in classlens-app classlens-worker; do
  wasm-bindgen --target web --out-dir "$APP/pkg" "target/wasm32-unknown-unknown/web/$bin.wasm"
done
cp -r public/demo "$APP/demo"
cp app/style.css public/sw.js "$APP/"
# index.html is trunk's entry; here its trunk links become plain ones.
sed -e '/data-trunk rel="rust"/d' -e '/data-trunk rel="copy-dir"/d' -e '/data-trunk rel="copy-file"/d' \
  -e 's|<link data-trunk rel="css" href="app/style.css" />|<link rel="stylesheet" href="style.css" />|' \
  -e 's|</head>|  <script type="module">import init from "./pkg/classlens-app.js"; init();</script>\n  </head>|' \
  index.html > "$APP/index.html"
# What the CLI says for the same packs and the built-in classroom (`classlens synth` writes the
# classroom the page generates), for the dashboard tests.
$CL synth --out "$F/classroom" > /dev/null 2>&1
$CL mastery --model public/demo/dkt.pack --data "$F/classroom/skill_builder_data.csv" --table csv --out "$APP/demo/mastery.csv"
$CL recommend --model public/demo/study.pack --data "$F/classroom/student_activity.csv" --top 5 --output json > "$APP/demo/recommend.json"
$CL mastery --model "$F/akt.pack" --data "$F/classroom/skill_builder_data.csv" --table csv --out "$F/akt.mastery.csv"
$CL mastery --model "$F/bkt.pack" --data "$F/classroom/skill_builder_data.csv" --table csv --out "$F/bkt.mastery.csv"
# A second classroom to import (another seed: other students, the same skills), and a broken copy.
$CL synth --seed 11 --schools 1 --classes-per-school 1 --out "$F/import" > /dev/null 2>&1
$CL mastery --model public/demo/dkt.pack --data "$F/import/skill_builder_data.csv" --table csv --out "$F/import/mastery.csv"
{ cat "$F/import/skill_builder_data.csv"; echo "1,2,not-a-student"; } > "$F/import/broken.csv"
