#!/usr/bin/env bash
# The attention model's packs and inference beside problem-aware DKT trained on the same cut
# (issue 16 item 2; BENCHMARKS.md "The attention model"): pack sizes and valid1 AUC per weight
# format, native `bench infer` and CPU-wasm in headless Chromium for one 32 × 100 batch, in one
# run so the ratio holds. Both models' calls are timed as the product makes them: the attention
# model's mastery (every skill after the last step), DKT's all-steps prediction (its mastery is
# the last step of it). Needs scripts/web-build.sh (target/web), the cut-1 runs of
# `STEPS=5 scripts/bench-dkt.sh` (runs/assist2009-cut1/{akt,dktq}) and ../shared/data/assist2009-pid.
set -euo pipefail
cd "$(dirname "$0")/.."
CL=./target/release/classlens
A=../shared/data/assist2009-pid
RUN=${RUN:-runs/assist2009-cut1}
OUT=bench/results/akt-infer
P=target/web/packs-akt
mkdir -p "$OUT" "$P"
for m in akt akt-d32 dktq; do
  for q in none f16 int8; do
    $CL export $RUN/$m --out $P/$m-$q.pack --quantize $q > /dev/null
    kind=$([ $m = dktq ] && echo dkt || echo akt)
    $CL eval $kind --model $P/$m-$q.pack --data $A/assist2009_pid_valid1.csv --split all --json $OUT/$m-$q-valid1.json > /dev/null
  done
  for q in none int8; do
    $CL bench infer --pack $P/$m-$q.pack --repeats 50 --json $OUT/native-$m-$q.json > /dev/null
  done
done
cd tests/browser
for q in none int8; do
  REPS=20 node wasm_bench.mjs ../../target/web akt packs-akt/akt-$q.pack > ../../$OUT/wasm-akt-$q.json
  REPS=20 node wasm_bench.mjs ../../target/web akt packs-akt/akt-d32-$q.pack > ../../$OUT/wasm-akt-d32-$q.json
  REPS=50 node wasm_bench.mjs ../../target/web dkt packs-akt/dktq-$q.pack > ../../$OUT/wasm-dktq-$q.json
done
cd ../..
python3 - "$OUT" "$P" <<'PY'
import json, os, sys
out, packs = sys.argv[1:]
print("| model | weights | pack bytes | valid1 AUC | native steady median ms | CPU-wasm steady median ms [min, p90] |")
print("| --- | --- | --- | --- | --- | --- |")
for m in ("akt", "akt-d32", "dktq"):
    for q in ("none", "f16", "int8"):
        size = os.path.getsize(f"{packs}/{m}-{q}.pack")
        auc = json.load(open(f"{out}/{m}-{q}-valid1.json"))["overall"]["auc"]
        nat = wasm = ""
        if q != "f16":
            n = json.load(open(f"{out}/native-{m}-{q}.json"))
            nat = f"{n['latency']['median_ms']:.2f}"
            w = json.load(open(f"{out}/wasm-{m}-{q}.json"))
            wasm = f"{w['steady_median_ms']:.1f} [{w['steady_min_ms']:.1f}, {w['steady_p90_ms']:.1f}]"
        print(f"| {m} | {q} | {size:,} | {auc:.4f} | {nat} | {wasm} |")
PY
