#!/usr/bin/env bash
# How the page's DKT fit settings (core/src/fit.rs, DktFitSettings::default) were chosen: on
# generated classes of 30 (`classlens synth`, seeds 101-103, 30 days, about 2,500 answers),
# never on a class the page is judged on. Prints one line per setting: the mean held-out test
# AUC over the three worlds, the skill-mean baseline's, and seconds per fit.
# Usage: scripts/tune-class-fit.sh [out.tsv]   (needs target/release/classlens)
set -euo pipefail
CLI=${CLI:-target/release/classlens}
OUT=${1:-bench/results/tune-class-fit.tsv}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for seed in 101 102 103; do
  "$CLI" synth --schools 1 --classes-per-school 1 --students-per-class 30 --days 30 --seed $seed --out "$TMP/w$seed" >/dev/null
done
printf 'hidden\tbatch\tlr\tepochs\tmodel_auc\tbaseline_auc\tseconds\n' > "$OUT"
for hidden in 16 32 64; do for batch in 4 8; do for lr in 0.003 0.01 0.03; do for epochs in 20 40; do
  sum=0; base=0; t0=$(date +%s.%N)
  for seed in 101 102 103; do
    "$CLI" train dkt --data "$TMP/w$seed/skill_builder_data.csv" --embed 0 --multi-skill-loss per-skill --window-cut fixed --hidden $hidden --batch-size $batch --lr $lr --epochs $epochs \
      --window 100 --seed 42 --valid-frac 0.2 --test-frac 0.2 --quiet --out "$TMP/run" >/dev/null 2>&1
    m=$(python3 -c "import json;print(json.load(open('$TMP/run/test_metrics.json'))['overall']['auc'])")
    b=$(python3 -c "import json;print(json.load(open('$TMP/run/test_metrics.json'))['baseline']['auc'])")
    sum=$(python3 -c "print($sum+$m)"); base=$(python3 -c "print($base+$b)")
  done
  t=$(python3 -c "print(round(($(date +%s.%N)-$t0)/3,2))")
  printf '%s\t%s\t%s\t%s\t%.4f\t%.4f\t%s\n' $hidden $batch $lr $epochs $(python3 -c "print($sum/3)") $(python3 -c "print($base/3)") $t | tee -a "$OUT"
done; done; done; done
