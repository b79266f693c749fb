#!/usr/bin/env bash
# Issue 15, item 3: STUDY, Individual and the baselines across generator regimes x seeds, in
# the reference protocol and the deployed one (`classlens train` prints both). The regimes are
# full synth configs in bench/regimes/ (what each changes is in BENCHMARKS.md); nothing here is
# chosen on these worlds: the models train with the CLI's defaults except --steps, and the step
# kept is chosen on classrooms cut from the training ones (--select-frac, the default 0.1).
# Results: bench/results/regimes/*.txt and bench/results/regimes.md. Two trainings side by side
# (2 cores); about 40 minutes on the 2-core benchmark machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked --workspace --no-run
CL=./target/release/classlens
OUT=bench/results/regimes
RUNS=runs/regimes
mkdir -p "$OUT" "$RUNS"
STEPS=${STEPS:-750}
REGIMES=${REGIMES:-"social solo school-year"}
SEEDS=${SEEDS:-"1 2 3"}
train() { # kind data name
  $CL train "$1" --train-data "$2" --out "$RUNS/$3" --steps "$STEPS" --quiet > "$OUT/$3.txt" 2> "$RUNS/$3.log"
}
for regime in $REGIMES; do
  for seed in $SEEDS; do
    name=$regime-s$seed
    $CL synth --config "bench/regimes/$regime.json" --seed "$seed" --out "$RUNS/$name" 2> /dev/null
    data=$RUNS/$name/student_activity.csv
    train individual "$data" "$name-individual" &
    train study "$data" "$name-study" &
    wait
  done
done
python3 scripts/regime_tables.py "$OUT" > bench/results/regimes.md
cat bench/results/regimes.md
