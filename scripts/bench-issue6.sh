#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md "BST, matrix factorisation and distillation (issue 6)":
#   1. bench sampler: the share of an epoch spent drawing batches (MF, DKT);
#   2. MF (MSE and BPR) on assist2009 and on the built-in classroom, and MF distillation;
#   3. DKT distillation on assist2009 (scored on valid1) and on the built-in classroom;
#   4. STUDY distillation and BST on the built-in classroom;
#   5. int8 packs of every DKT and STUDY model of 3-4: native `bench infer` and the same in
#      headless Chromium (CPU-wasm).
# Needs ../shared/data/assist2009-pid, the release CLI and the wasm bench build
# (`cargo test --release --workspace --locked --no-run` and `bash scripts/web-build.sh`).
# About 25 minutes on 2 cores. Results in bench/results/issue6/.
set -euo pipefail
cd "$(dirname "$0")/.."
CL=./target/release/classlens
A=../shared/data/assist2009-pid
OUT=bench/results/issue6
R=runs/issue6
P=target/web/packs6
mkdir -p "$OUT" "$R" "$P"
TRAIN1=$A/assist2009_pid_train1.csv
VALID1=$A/assist2009_pid_valid1.csv

# The built-in classroom at the size scripts/demo-packs.sh trains the shipped packs on.
C=$R/class40
[ -f "$C/student_activity.csv" ] || $CL synth --seed 7 --schools 10 --classes-per-school 4 --days 180 --out "$C" > /dev/null 2>&1

# 1. Sampling share of an epoch.
$CL bench sampler --model mf --data "$TRAIN1" --loss bpr --epochs 3 --json "$OUT/sampler-mf-bpr-batch.json" > /dev/null
$CL bench sampler --model mf --data "$TRAIN1" --loss mse --epochs 3 --json "$OUT/sampler-mf-mse-batch.json" > /dev/null
$CL bench sampler --model mf --data "$TRAIN1" --loss bpr --epochs 1 --loader per-item --json "$OUT/sampler-mf-bpr-per-item.json" > /dev/null
$CL bench sampler --model dkt --data "$TRAIN1" --epochs 3 --json "$OUT/sampler-dkt-fused.json" > /dev/null
$CL bench sampler --model dkt --data "$TRAIN1" --epochs 1 --engine burn-ndarray --json "$OUT/sampler-dkt-burn-ndarray.json" > /dev/null

# 2. MF.
$CL train mf --data "$TRAIN1" --loss bpr --dim 64 --epochs 10 --out "$R/a09-mf-bpr" --quiet > "$OUT/a09-mf-bpr.txt"
$CL train mf --data "$TRAIN1" --loss mse --dim 64 --epochs 10 --out "$R/a09-mf-mse" --quiet > "$OUT/a09-mf-mse.txt"
$CL train mf --data "$C/student_activity.csv" --loss bpr --dim 64 --epochs 10 --out "$R/c40-mf-bpr" --quiet > "$OUT/c40-mf-bpr.txt"
$CL distill --teacher "$R/a09-mf-bpr" --student-size 16 --data "$TRAIN1" --out "$R/a09-mf-bpr-kd16" --alone "$R/a09-mf-bpr-alone16" \
  --alpha 0.7 --temperature 3 --json "$OUT/distill-a09-mf-bpr.json" --quiet > "$OUT/distill-a09-mf-bpr.txt"
$CL distill --teacher "$R/c40-mf-bpr" --student-size 16 --data "$C/student_activity.csv" --out "$R/c40-mf-bpr-kd16" \
  --alone "$R/c40-mf-bpr-alone16" --alpha 0.7 --temperature 3 --json "$OUT/distill-c40-mf-bpr.json" --quiet > "$OUT/distill-c40-mf-bpr.txt"
for m in a09-mf-bpr a09-mf-mse c40-mf-bpr; do cp "$R/$m/report.json" "$OUT/$m-report.json"; done

# 3. DKT: hidden 100 on assist2009 (a student of hidden 31 has a quarter of its parameters);
# the demo pack's teacher (hidden 64) on the built-in classroom (hidden 24: a quarter).
$CL train dkt --data "$TRAIN1" --valid-frac 0.1 --test-frac 0 --epochs 20 --embed 0 --multi-skill-loss per-skill --window-cut fixed --out "$R/a09-dkt" --quiet > /dev/null
$CL distill --teacher "$R/a09-dkt" --student-size 31 --data "$TRAIN1" --test-frac 0 --eval-data "$VALID1" --out "$R/a09-dkt-kd31" \
  --alone "$R/a09-dkt-alone31" --json "$OUT/distill-a09-dkt.json" --quiet > "$OUT/distill-a09-dkt.txt"
export RAYON_NUM_THREADS=1  # as scripts/demo-packs.sh, so the built-in classroom's models are the shipped ones
$CL train dkt --data "$C/skill_builder_data.csv" --out "$R/c40-dkt" --embed 0 --multi-skill-loss per-skill --window-cut fixed --hidden 64 --epochs 15 --lr 5e-3 --batch-size 32 --seed 7 --quiet > /dev/null
$CL distill --teacher "$R/c40-dkt" --student-size 24 --data "$C/skill_builder_data.csv" --out "$R/c40-dkt-kd24" \
  --alone "$R/c40-dkt-alone24" --json "$OUT/distill-c40-dkt.json" --quiet > "$OUT/distill-c40-dkt.txt"

# 4. STUDY (the demo pack's teacher: width 64) and its width-32 students; BST.
$CL train study --train-data "$C/student_activity.csv" --out "$R/c40-study" --steps 600 --d-model 64 --heads 4 --layers 2 \
  --d-ff 128 --seq-len 65 --seed 7 --eval-every 200 --save-every 200 --select-frac 0 --quiet > "$OUT/c40-study.txt"
$CL distill --teacher "$R/c40-study" --student-size 32 --data "$C/student_activity.csv" --out "$R/c40-study-kd32" \
  --alone "$R/c40-study-alone32" --temperature 2 --json "$OUT/distill-c40-study.json" --quiet > "$OUT/distill-c40-study.txt"
unset RAYON_NUM_THREADS
$CL train bst --train-data "$C/student_activity.csv" --out "$R/c40-bst" --epochs 6 --lr-milestones 4,5 --seed 7 --select-frac 0 --quiet > "$OUT/c40-bst.txt"
cp "$R/c40-bst/history.json" "$OUT/c40-bst-history.json"

# 5. Packs and latency, native and in the browser (CPU-wasm).
for m in a09-dkt a09-dkt-alone31 a09-dkt-kd31 c40-dkt c40-dkt-alone24 c40-dkt-kd24 c40-study c40-study-alone32 c40-study-kd32; do
  $CL export "$R/$m" --out "$P/$m.pack" --quantize int8 > /dev/null
done
# One classroom (30 students of one school and grade) for the STUDY latency.
python3 scripts/one_classroom.py "$C" "$P/class" > /dev/null
for m in a09-dkt a09-dkt-alone31 a09-dkt-kd31 c40-dkt c40-dkt-alone24 c40-dkt-kd24; do
  $CL bench infer --pack "$P/$m.pack" --repeats 200 --json "$OUT/infer-native-$m.json" > /dev/null
done
for m in c40-study c40-study-alone32 c40-study-kd32; do
  $CL bench infer --pack "$P/$m.pack" --data "$P/class/student_activity.csv" --repeats 50 --json "$OUT/infer-native-$m.json" > /dev/null
done
cd tests/browser
for m in a09-dkt a09-dkt-alone31 a09-dkt-kd31 c40-dkt c40-dkt-alone24 c40-dkt-kd24; do
  REPS=100 node wasm_bench.mjs ../../target/web dkt packs6/$m.pack > "../../$OUT/infer-wasm-cpu-$m.json"
done
for m in c40-study c40-study-alone32 c40-study-kd32; do
  node wasm_bench.mjs ../../target/web study packs6/$m.pack packs6/class/student_activity.csv packs6/class/student_info.csv > "../../$OUT/infer-wasm-cpu-$m.json"
done
cd ../..
cat "$OUT"/distill-*.txt
