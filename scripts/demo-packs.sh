#!/usr/bin/env bash
# Regenerates the offline demo's model packs, public/demo/dkt.pack and public/demo/study.pack,
# with the CLI. They are trained on a larger classroom made by the same generator and curriculum
# as the built-in one (seed 7: the same skills, problems and titles; 40 classes over 180 days
# instead of 4 over 60), then quantized to int8. What ships are *distilled students*: a DKT of
# hidden 24 (a quarter of the hidden-64 teacher's parameters) and a STUDY of width 32, each
# trained on the teacher's split with the teacher's soft targets; BENCHMARKS.md ("Which models the
# app ships") has the tables that chose them. Every step is seeded and burn's kernels run on one
# thread, so on the same build and the same kind of CPU the packs come out byte for byte the same
# (burn's CPU kernels pick their code by the CPU's features: on another VM the STUDY pack came out
# different, and the build before a change gave that VM's bytes too, so compare like with like):
#   bash scripts/demo-packs.sh          # rewrite the packs
#   bash scripts/demo-packs.sh --check  # regenerate into runs/ and compare with the committed ones
# Needs the release CLI (scripts/test.sh or `cargo test --release --workspace --locked --no-run`).
set -euo pipefail
cd "$(dirname "$0")/.."
CL=./target/release/classlens
T=runs/demo-packs
OUT=public/demo
[ "${1:-}" = "--check" ] && OUT=$T/check
# One thread for burn's CPU kernels (rayon): a parallel sum's order depends on work stealing, and
# so do the last bits of the weights. The DKT kernel's own threads split rows in a fixed order.
export RAYON_NUM_THREADS=1
rm -rf "$T"
mkdir -p "$T" "$OUT"
$CL synth --seed 7 --schools 10 --classes-per-school 4 --days 180 --out "$T/train" > /dev/null 2>&1
# --embed 0, --multi-skill-loss per-skill and --window-cut fixed: the recipe the shipped DKT was
# chosen with (before those defaults changed; BENCHMARKS.md "Which models the app ships").
$CL train dkt --data "$T/train/skill_builder_data.csv" --out "$T/dkt" --hidden 64 --epochs 15 --lr 5e-3 \
  --batch-size 32 --seed 7 --embed 0 --multi-skill-loss per-skill --window-cut fixed --quiet > "$T/dkt.txt"
$CL train study --train-data "$T/train/student_activity.csv" --out "$T/study" --steps 600 --d-model 64 --heads 4 \
  --layers 2 --d-ff 128 --seq-len 65 --seed 7 --eval-every 200 --save-every 200 --select-frac 0 --no-coread --quiet > "$T/study.txt"
# The students: the teacher's data, split and settings, plus its soft targets.
$CL distill --teacher "$T/dkt" --student-size 24 --data "$T/train/skill_builder_data.csv" --out "$T/dkt-student" \
  --quiet > "$T/dkt-student.txt"
$CL distill --teacher "$T/study" --student-size 32 --data "$T/train/student_activity.csv" --out "$T/study-student" \
  --temperature 2 --quiet > "$T/study-student.txt"
$CL export "$T/dkt-student" --out "$OUT/dkt.pack" --quantize int8 > /dev/null
$CL export "$T/study-student" --out "$OUT/study.pack" --quantize int8 > /dev/null
if [ "$OUT" != public/demo ]; then
  cmp public/demo/dkt.pack "$OUT/dkt.pack"
  cmp public/demo/study.pack "$OUT/study.pack"
  echo "the committed demo packs are reproduced byte for byte"
fi
cat "$T/dkt.txt" "$T/study.txt" "$T/dkt-student.txt" "$T/study-student.txt"
