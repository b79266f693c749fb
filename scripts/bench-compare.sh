#!/usr/bin/env bash
# Before and after, side by side in one run (timings here drift ±30% between runs, so only a
# same-run ratio means anything): the commit OLD (default 9dab02d, the last one before issue 13's
# restructuring) against the working tree, on the figures issue 13 touches:
#   - the dashboard's wasm size (raw, gzip -9), cold load and class-switch rescore (app_bench.mjs);
#   - DKT training seconds per epoch and inference latency (`classlens bench dkt`, fused engine,
#     assist2009 train1: needs ../shared/data/assist2009-pid);
#   - DKT and STUDY latency in the browser (wasm_bench.mjs, CPU-wasm) on the demo packs.
# Every measurement alternates old, new, new, old, so a drift over the run hits both alike.
# Writes bench/results/compare-OLD/*.json and prints a summary (scripts/bench_compare.py).
# Usage: bash scripts/bench-compare.sh [OLD]   (RUNS=5 cold loads per pass by default)
set -euo pipefail
cd "$(dirname "$0")/.."
OLD_REV=${1:-9dab02d}
RUNS=${RUNS:-5}
OUT=bench/results/compare-$OLD_REV
WT=target/bench-old
DATA=../shared/data/assist2009-pid/assist2009_pid_train1.csv
mkdir -p "$OUT"

# 1. The old commit, built into the same target folder (only the workspace crates recompile),
#    its outputs moved aside before the working tree's build overwrites them.
git worktree remove --force "$WT" 2>/dev/null || rm -rf "$WT"
git worktree add --detach -f "$WT" "$OLD_REV" > /dev/null
ln -s "$PWD/target" "$WT/target"
(cd "$WT" && cargo build --release --locked -p classlens-cli && bash scripts/web-build.sh > /dev/null)
rm -rf target/web-old && mv target/web target/web-old
cp target/release/classlens target/classlens-old
# Outputs gone, so cargo links the working tree's again.
rm -f target/release/classlens target/wasm32-unknown-unknown/release/classlens_web.wasm target/wasm32-unknown-unknown/web/classlens-app.wasm
git worktree remove --force "$WT"

# 2. The working tree.
cargo build --release --locked -p classlens-cli
bash scripts/web-build.sh > /dev/null
cp target/release/classlens target/classlens-new

# The demo packs and one classroom of the built-in curriculum, under both served folders.
for side in web-old web; do
  mkdir -p target/$side/packs
  cp public/demo/dkt.pack public/demo/study.pack target/$side/packs/
  ./target/classlens-new synth --out target/$side/packs/classroom > /dev/null 2>&1
  python3 scripts/one_classroom.py target/$side/packs/classroom target/$side/packs/class
done

# 3. Measurements, each in the order old, new, new, old.
PASSES="old-1 new-1 new-2 old-2"
side_of() { [ "${1%-*}" = old ] && echo web-old || echo web; }
for pass in $PASSES; do
  node tests/browser/app_bench.mjs target/$(side_of $pass)/app "$RUNS" > "$OUT/app-$pass.json"
done
for pass in $PASSES; do
  (cd tests/browser
   REPS=100 node wasm_bench.mjs ../../target/$(side_of $pass) dkt packs/dkt.pack > "../../$OUT/wasm-dkt-$pass.json"
   node wasm_bench.mjs ../../target/$(side_of $pass) study packs/study.pack packs/class/student_activity.csv packs/class/student_info.csv > "../../$OUT/wasm-study-$pass.json")
done
if [ -f "$DATA" ]; then
  for pass in $PASSES; do
    ./target/classlens-${pass%-*} bench dkt --data "$DATA" --epochs 3 --json "$OUT/dkt-$pass.json" > /dev/null
  done
else
  echo "no $DATA: DKT epoch and native inference not compared" >&2
fi
python3 scripts/bench_compare.py "$OUT" | tee "$OUT/summary.md"
