#!/usr/bin/env python3
"""Summarises scripts/bench-distill-seeds.sh: per table (a09-dkt, c40-dkt, c40-study), each
metric's mean [min, max] over the student seeds for the teacher, the student alone and the
distilled student, and the paired difference distilled − alone per seed (same seed, same split).

Usage: python3 scripts/distill_seeds.py bench/results/distill-seeds
"""
import glob
import json
import os
import re
import sys


def main(folder):
    tables = {}
    for path in sorted(glob.glob(os.path.join(folder, "*-s*.json"))):
        m = re.match(r"(.+)-s(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            tables.setdefault(m.group(1), {})[int(m.group(2))] = json.load(f)
    if not tables:
        sys.exit(f"{folder}: no <table>-s<seed>.json files")
    for name, by_seed in tables.items():
        seeds = sorted(by_seed)
        first = by_seed[seeds[0]]
        metrics = [n for n, _ in first["rows"][0]["metrics"]]
        print(f"### {name}: seeds {', '.join(map(str, seeds))} (alpha {first['alpha']}, T {first['temperature']})\n")
        print("| model | size | " + " | ".join(metrics) + " |")
        print("| --- | --- | " + " | ".join("---" for _ in metrics) + " |")
        rows = {}
        for seed in seeds:
            for r in by_seed[seed]["rows"]:
                rows.setdefault((r["model"], r["size"]), []).append(dict(r["metrics"]))
        for (model, size), runs in rows.items():
            cells = []
            for n in metrics:
                v = [r[n] for r in runs]
                cells.append(f"{sum(v) / len(v):.4f} [{min(v):.4f}, {max(v):.4f}]" if len(set(v)) > 1 else f"{v[0]:.4f}")
            print(f"| {model} | {size} | " + " | ".join(cells) + " |")
        print("\nDistilled − alone, paired by seed:\n")
        for n in metrics:
            d = []
            for seed in seeds:
                r = {row["model"]: dict(row["metrics"]) for row in by_seed[seed]["rows"]}
                if "student alone" in r and "distilled student" in r:
                    d.append(r["distilled student"][n] - r["student alone"][n])
            if d:
                wins = sum(x > 0 for x in d)
                print(f"- {n}: " + ", ".join(f"{x:+.4f}" for x in d) + f" (mean {sum(d) / len(d):+.4f}; distilled ahead in {wins} of {len(d)})")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results/distill-seeds")
