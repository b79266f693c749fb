#!/usr/bin/env bash
# Two builds of the wasm bench page side by side, alternating in rounds (timings here drift ±30%
# between runs, so only same-round ratios are read): the DKT fit of a school (bench-fit.sh's
# settings) and one 32 × 100 batch of each pack's model in CPU-wasm.
# Usage: scripts/bench-wasm-ab.sh OLD_ROOT NEW_ROOT ROUNDS PACK...   where each ROOT is laid out like
# target/web (bench.html, bench.js, pkg/) and holds fit-school.csv (scripts/bench-fit.sh writes
# one into target/web) and the PACKs, given as paths under the roots (the pack's kind is read from
# its name: akt* is the attention model, anything else DKT). Prints one JSON line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1 NEW=$2 ROUNDS=$3
shift 3
SCHOOL_JSON=$(cat scripts/school-fit.json)
for round in $(seq "$ROUNDS"); do
  for root in "$OLD" "$NEW"; do
    which=$([ "$root" = "$OLD" ] && echo old || echo new)
    SETTINGS="$SCHOOL_JSON" node tests/browser/wasm_bench.mjs "$root" fit fit-school.csv \
      | python3 -c "import json,sys;r=json.load(sys.stdin);print(json.dumps({'round':$round,'build':'$which','what':'fit school','seconds':round(r['seconds'][0],3),'auc':r['verdict']['auc']}))"
    for pack in "$@"; do
      kind=$(case "$(basename "$pack")" in akt*) echo akt;; *) echo dkt;; esac)
      REPS=50 node tests/browser/wasm_bench.mjs "$root" "$kind" "$pack" \
        | python3 -c "import json,sys;r=json.load(sys.stdin);print(json.dumps({'round':$round,'build':'$which','what':'$pack','median_ms':r['steady_median_ms'],'min_ms':r['steady_min_ms'],'p90_ms':r['steady_p90_ms']}))"
    done
  done
done
