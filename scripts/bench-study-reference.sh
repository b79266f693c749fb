#!/usr/bin/env bash
# Issue 15 item 6 (and issue 18's CPU figure): the STUDY reference (JAX/Flax, google-research's
# `study_recommend/`) beside `classlens train study` on the same generated worlds and the same
# split, with a matching model (2 layers, 4 heads, 128 dims, MLP 512, rows of 65, 32 rows a step,
# f32), in one run on one machine.
#
# Needs REF_DIR: a folder holding the reference's `study_recommend/` package (with empty
# __init__.py files in it and in utils/), and REF_PY: a Python that imports it; neither is ever
# committed. The reference's stated requirements no longer install; what ran here (2026-12-07):
#   python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install "jax==0.4.30" "jaxlib==0.4.30" \
#     "flax==0.8.5" "optax==0.2.3" "numpy<2" "pandas==2.2.2" absl-py ml-collections clu \
#     "tensorflow-cpu==2.17.1" "tensorstore==0.1.65"
#
# For each regime (seed 1; REGIMES and SEED override): ours trains as bench-regimes.sh does
# (defaults, --steps 750, 20% of classrooms held out, 10% of the training classrooms choosing the
# step); scripts/study_ref_split.py writes that run's training and held-out students as the
# reference's train and valid files (grades rewritten so its classrooms are ours); the reference
# trains REF_STEPS (2,000) steps with its own schedule (warm-up 1,000, inverse-square-root decay,
# AdamW, dropout 0.1) at the learning rate its run.sh passes (0.0016), then scores the held-out
# classrooms with its own inference and evaluation. Its checkpoints are off (its saver calls an
# API jax 0.4.30 removed) and its logged metric samples are 1,024 rows (they feed no result).
# Results: bench/results/study-reference/ and bench/results/study-reference.md. Nothing here is
# chosen on these worlds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/study-ref-common.sh
CL=./target/release/classlens
OUT=bench/results/study-reference
RUNS=runs/study-reference
REGIMES=${REGIMES:-"social solo school-year"}
SEED=${SEED:-1}
REF_STEPS=${REF_STEPS:-2000}
HERE=$(pwd)
mkdir -p "$OUT" "$RUNS"
for regime in $REGIMES; do
  name=$regime-s$SEED
  world=$RUNS/$name
  [ -f "$world/student_activity.csv" ] || $CL synth --config "bench/regimes/$regime.json" --seed "$SEED" --out "$world" 2> /dev/null
  if [ ! -f "$RUNS/$name-study/report.json" ]; then
    $CL train study --train-data "$world/student_activity.csv" --out "$RUNS/$name-study" --steps 750 --quiet > "$OUT/$name-ours.txt" 2> "$RUNS/$name-study.log"
  fi
  cp "$RUNS/$name-study/aggregate.csv" "$OUT/$name-ours-aggregate.csv"
  cp "$RUNS/$name-study/history.json" "$OUT/$name-ours-history.json"
  cp "$RUNS/$name-study/report.json" "$OUT/$name-ours-report.json"
  python3 scripts/study_ref_split.py "$world" "$RUNS/$name-study" "$RUNS/$name-ref-data" > "$OUT/$name-split.json"
  ref_out=$HERE/$RUNS/$name-ref
  rm -rf "$ref_out"
  start=$(date +%s)
  study_ref_train "$HERE/$RUNS/$name-ref-data" "$ref_out" "$REF_STEPS" "$SEED" > "$RUNS/$name-ref.log"
  echo "{\"wall_seconds\": $(( $(date +%s) - start ))}" > "$OUT/$name-ref-wall.json"
  cp "$ref_out/aggregate.csv" "$OUT/$name-ref-aggregate.csv"
  grep '^STEP_TIME' "$RUNS/$name-ref.log" > "$OUT/$name-ref-steps.txt" \
    || { echo "no STEP_TIME lines: the reference did not train, see $RUNS/$name-ref.log" >&2; exit 1; }
done
python3 scripts/study_ref_tables.py "$OUT" "$RUNS" "$REF_STEPS" $REGIMES --seed "$SEED" > bench/results/study-reference.md
cat bench/results/study-reference.md
