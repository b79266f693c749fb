#!/usr/bin/env bash
# Issue 16 item 4: the distillation tables of BENCHMARKS.md ("Distillation: teacher, student
# alone, distilled student") with three student seeds each, so "the distilled student beats the
# same student alone" is a claim with a range, not one run. Each teacher is trained once (the
# commands of scripts/bench-issue6.sh); `distill --seed S` trains both students (alone and
# distilled) with seed S on the teacher's split, so the seeds differ only in initialisation and
# batch order. Summary: scripts/distill_seeds.py. The STUDY teacher reads the co-read table (the
# default); the shipped demo student does not (scripts/demo-packs.sh, --no-coread).
# Needs ../shared/data/assist2009-pid and the release CLI. About 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
CL=./target/release/classlens
A=../shared/data/assist2009-pid
OUT=bench/results/distill-seeds
R=runs/distill-seeds
mkdir -p "$OUT" "$R"
TRAIN1=$A/assist2009_pid_train1.csv
VALID1=$A/assist2009_pid_valid1.csv
C=$R/class40
[ -f "$C/student_activity.csv" ] || $CL synth --seed 7 --schools 10 --classes-per-school 4 --days 180 --out "$C" > /dev/null 2>&1

# DKT on assist2009: hidden 100 teacher (seed 1, the default), hidden 31 students, scored on valid1.
$CL train dkt --data "$TRAIN1" --valid-frac 0.1 --test-frac 0 --epochs 20 --embed 0 --multi-skill-loss per-skill --window-cut fixed --out "$R/a09-dkt" --quiet > /dev/null
for s in 1 2 3; do
  $CL distill --teacher "$R/a09-dkt" --student-size 31 --data "$TRAIN1" --test-frac 0 --eval-data "$VALID1" --out "$R/a09-dkt-kd31-s$s" \
    --alone "$R/a09-dkt-alone31-s$s" --seed $s --json "$OUT/a09-dkt-s$s.json" --quiet > "$OUT/a09-dkt-s$s.txt"
done

export RAYON_NUM_THREADS=1  # as scripts/demo-packs.sh and bench-issue6.sh for the built-in classroom
# DKT on the built-in classroom: the demo's hidden-64 teacher (seed 7), hidden-24 students.
$CL train dkt --data "$C/skill_builder_data.csv" --out "$R/c40-dkt" --embed 0 --multi-skill-loss per-skill --window-cut fixed --hidden 64 --epochs 15 --lr 5e-3 --batch-size 32 --seed 7 --quiet > /dev/null
for s in 7 8 9; do
  $CL distill --teacher "$R/c40-dkt" --student-size 24 --data "$C/skill_builder_data.csv" --out "$R/c40-dkt-kd24-s$s" \
    --alone "$R/c40-dkt-alone24-s$s" --seed $s --json "$OUT/c40-dkt-s$s.json" --quiet > "$OUT/c40-dkt-s$s.txt"
done
# STUDY on the built-in classroom: the width-64 teacher (seed 7), width-32 students, T 2.
$CL train study --train-data "$C/student_activity.csv" --out "$R/c40-study" --steps 600 --d-model 64 --heads 4 --layers 2 \
  --d-ff 128 --seq-len 65 --seed 7 --eval-every 200 --save-every 200 --select-frac 0 --quiet > /dev/null
for s in 7 8 9; do
  $CL distill --teacher "$R/c40-study" --student-size 32 --data "$C/student_activity.csv" --out "$R/c40-study-kd32-s$s" \
    --alone "$R/c40-study-alone32-s$s" --temperature 2 --seed $s --json "$OUT/c40-study-s$s.json" --quiet > "$OUT/c40-study-s$s.txt"
done
python3 scripts/distill_seeds.py "$OUT" | tee "$OUT/summary.md"
