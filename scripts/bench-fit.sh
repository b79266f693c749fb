#!/usr/bin/env bash
# Fitting DKT in the page (classlens-core's fit, compiled to wasm, in headless chromium) against
# `classlens train dkt` (native) on the same generated data, settings and seed, side by side in
# one run, alternating native / browser: a class of 30 (about 2,500 answers; the page's class
# settings) and a school of 1,020 students (about 85,000 answers; the CLI's default shape, 5
# epochs; natively on both cores and pinned to one, as the page's wasm runs on one). Prints one line per run and a JSON summary; also times the dashboard's own fit of the
# class (import, fit, rescored heatmap) with the main thread's long tasks.
# Usage: scripts/bench-fit.sh [rounds]   (after scripts/web-build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
CL=./target/release/classlens
WEB=target/web
D=$WEB/fit-bench
rm -rf "$D"
mkdir -p "$D"
$CL synth --schools 1 --classes-per-school 1 --students-per-class 30 --days 30 --seed 14 --out "$D/class" > /dev/null
$CL synth --schools 1 --classes-per-school 34 --students-per-class 30 --days 30 --seed 12 --out "$D/school" > /dev/null
cp "$D/class/skill_builder_data.csv" "$WEB/fit-class.csv"
cp "$D/school/skill_builder_data.csv" "$WEB/fit-school.csv"
# The page's class settings (core/src/fit.rs, DktFitSettings::default; the dashboard test checks
# that the page's own flags are these).
CLASS_FLAGS="--hidden 32 --embed 0 --multi-skill-loss per-skill --window-cut fixed --window 100 --batch-size 4 --epochs 20 --lr 0.003 --seed 42 --valid-frac 0.2 --test-frac 0.2"
SCHOOL_FLAGS="--hidden 100 --embed 0 --multi-skill-loss per-skill --window-cut fixed --window 100 --batch-size 64 --epochs 5 --lr 0.001 --seed 42 --valid-frac 0.1 --test-frac 0.1"
# The same settings for the page (a DktFitSettings; bench-wasm-ab.sh and fit_profile.mjs read it too).
SCHOOL_JSON=$(cat scripts/school-fit.json)
PIN=
native() { # csv flags -> seconds auc (PIN="taskset -c 0": one core, as the page has)
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  $PIN $CL train dkt --data "$1" $2 --quiet --out "$D/run" > /dev/null 2>&1
  t1=$(date +%s.%N)
  python3 -c "import json;print(round($t1-$t0,3), json.load(open('$D/run/test_metrics.json'))['overall']['auc'])"
}
browser() { # csv settings -> seconds auc
  SETTINGS="$2" node tests/browser/wasm_bench.mjs "$WEB" fit "$1" | python3 -c "import json,sys;r=json.load(sys.stdin);print(round(r['seconds'][0],3), r['verdict']['auc'])"
}
echo "which engine seconds auc"
for _ in $(seq "$ROUNDS"); do
  echo "class native $(native "$D/class/skill_builder_data.csv" "$CLASS_FLAGS")"
  echo "class browser $(browser fit-class.csv '')"
  echo "school native $(native "$D/school/skill_builder_data.csv" "$SCHOOL_FLAGS")"
  echo "school native-1-core $(PIN="taskset -c 0" native "$D/school/skill_builder_data.csv" "$SCHOOL_FLAGS")"
  echo "school browser $(browser fit-school.csv "$SCHOOL_JSON")"
done
echo "dashboard $(node tests/browser/fit_bench.mjs "$WEB/app" "$D/class/skill_builder_data.csv")"
