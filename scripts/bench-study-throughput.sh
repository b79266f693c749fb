#!/usr/bin/env bash
# Issue 18 item 0: STUDY training throughput, ours beside the JAX reference, in one run on one
# machine, alternating: for each round, `classlens bench study` with one worker and with
# WORKERS (2) workers (`--workers`: each thread computes a share of every step's rows, burn's
# GradientsAccumulator adds the gradients), then the reference's training loop for REF_STEPS
# (300) steps on the same world's training students. Same shape: 2 layers, 4 heads, 128 dims,
# MLP 512, 32 rows × 65 tokens a step, f32, dropout 0.1.
#
# Needs REF_DIR and REF_PY as scripts/bench-study-reference.sh (see its header for the pip line),
# and that script's split of the world (runs/study-reference/$NAME-ref-data; NAME=social-s1).
# Results: bench/results/study-throughput/ (per-run JSON and logs, summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/study-ref-common.sh
CL=./target/release/classlens
NAME=${NAME:-social-s1}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
REF_STEPS=${REF_STEPS:-300}
RUNS=runs/study-reference
OUT=bench/results/study-throughput
HERE=$(pwd)
world=$RUNS/$NAME
data=$RUNS/$NAME-ref-data
[ -f "$data/train_activity.csv" ] || { echo "no $data: run scripts/bench-study-reference.sh first (REGIMES=${NAME%-s*})" >&2; exit 1; }
mkdir -p "$OUT"
for round in $(seq 1 "$ROUNDS"); do
  for w in 1 "$WORKERS"; do
    $CL bench study --data "$world/student_activity.csv" --steps 40 --repeats 3 --workers "$w" --json "$OUT/ours-w$w-r$round.json" > /dev/null 2>&1
  done
  rm -rf "$RUNS/$NAME-throughput-ref"
  study_ref_train "$HERE/$data" "$HERE/$RUNS/$NAME-throughput-ref" "$REF_STEPS" 1 | grep STEP_TIME > "$OUT/ref-r$round.log" || true
done
python3 scripts/study_throughput_table.py "$OUT" "$ROUNDS" "$WORKERS" | tee "$OUT/summary.md"
