#!/usr/bin/env bash
# STUDY on WebGPU (issue 17), side by side in one Chromium run: our WGSL kernels
# (core/src/infer/webgpu/study.rs), burn's generic wgpu path, CPU-wasm, and ONNX Runtime Web's
# WebGPU and wasm providers on a decoder of the same shape (scripts/peer_study_onnx.py) and the
# same batch shape. Here WebGPU is SwiftShader (no GPU): that says how much work each side does,
# not what a real GPU would give.
# Also the native harness: the same WGSL on Vulkan (`classlens bench infer --device gpu`; Mesa's
# lavapipe here, a real GPU on a machine that has one) beside the native CPU.
# Usage: scripts/bench-study-webgpu.sh [ROUNDS]. Needs target/web from
# `CLASSLENS_WEB_FEATURES=burn-webgpu bash scripts/web-build.sh` (burn's path is in no other build) and
# `pip install onnx numpy` for the peer's graph (PEER_PY names that Python; default python3).
# onnxruntime-web 1.30.0 is installed from npm into target/ortweb (never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
PY=${PEER_PY:-python3}
CL=./target/release/classlens
WEB=target/web
B=$WEB/study-webgpu
grep -q GpuRecSession "$WEB/pkg/classlens_web.js" 2>/dev/null ||
  { echo "run CLASSLENS_WEB_FEATURES=burn-webgpu bash scripts/web-build.sh first (the bench page with burn's wgpu path)" >&2; exit 1; }
rm -rf "$B" && mkdir -p "$B"
cp tests/browser/ort_study.html "$WEB/"
# The issue's shape: 2 layers, 4 heads, 128 dimensions, feed-forward 512, rows of 65; weights from
# a few steps of training (timing does not depend on them), on the built-in classroom.
$CL synth --seed 7 --out "$B/classroom" > /dev/null 2>&1
$CL train study --train-data "$B/classroom/student_activity.csv" --out "$B/study128" --steps 2 --d-model 128 --heads 4 \
  --layers 2 --d-ff 512 --seq-len 65 --eval-every 1 --save-every 1 --select-frac 0 --no-coread --quiet > /dev/null
$CL export "$B/study128" --out "$B/study128.pack" --quantize none > /dev/null
# One class of 30 from it (the dashboard's unit of work).
python3 - "$B/classroom" "$B/class" <<'PY'
import csv, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
info = list(csv.DictReader(open(os.path.join(src, "student_info.csv"))))
room = info[0]["OrgnID"], info[0]["GRADE_LVL_NBR"]
keep = {r["StudentID"] for r in info if (r["OrgnID"], r["GRADE_LVL_NBR"]) == room}
for name in ["student_info.csv", "student_activity.csv"]:
    rows = list(csv.DictReader(open(os.path.join(src, name))))
    with open(os.path.join(dst, name), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(r for r in rows if r["StudentID"] in keep)
print(f"class of {len(keep)} students", file=sys.stderr)
PY
VOCAB=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['model']['vocab_size'])" "$B/study128/config.json")
"$PY" scripts/peer_study_onnx.py "$B/study128.onnx" --d-model 128 --heads 4 --layers 2 --d-ff 512 --vocab "$VOCAB" > /dev/null
if [ ! -f target/ortweb/node_modules/onnxruntime-web/package.json ]; then
  mkdir -p target/ortweb
  (cd target/ortweb && { [ -f package.json ] || npm init -y > /dev/null; } && npm install --no-audit --no-fund --loglevel=error onnxruntime-web@1.30.0 > /dev/null)
fi
mkdir -p "$WEB/ortweb"
cp target/ortweb/node_modules/onnxruntime-web/dist/{ort.all.min.mjs,ort-wasm-simd-threaded.jsep.mjs,ort-wasm-simd-threaded.jsep.wasm,ort-wasm-simd-threaded.mjs,ort-wasm-simd-threaded.wasm} "$WEB/ortweb/"
echo "# browser: WGSL / burn wgpu / CPU-wasm / ORT Web webgpu+wasm, $ROUNDS rounds"
node tests/browser/study_webgpu_bench.mjs "$WEB" study-webgpu/study128.pack study-webgpu/class/student_activity.csv \
  study-webgpu/class/student_info.csv study-webgpu/study128.onnx 128 "$VOCAB" "$ROUNDS"
echo "# native: the same WGSL on Vulkan, then the CPU"
for device in gpu cpu; do
  $CL bench infer --pack "$B/study128.pack" --data "$B/class/student_activity.csv" --device "$device" --repeats 20
done
