#!/usr/bin/env python3
"""Summarises scripts/bench-compare.sh: one row per figure, the old and new passes, the ratio.

    python3 scripts/bench_compare.py bench/results/compare-REV

Each figure has two passes per side (old, new, new, old). The ratio is new / old of the mean of
each side's passes; the range shows both passes, so a ratio inside the spread of one side is noise.
"""
import glob
import json
import os
import sys

out = sys.argv[1]

# (file prefix, key path, label, unit)
FIGURES = [
    ("app", ["wasm_bytes"], "dashboard wasm, raw", "MB"),
    ("app", ["wasm_gzip_bytes"], "dashboard wasm, gzip -9", "MB"),
    ("app", ["cold_load_ms_median"], "dashboard cold load, median", "ms"),
    ("app", ["longest_task_during_load_ms"], "longest task during cold load", "ms"),
    ("app", ["class_switch_ms_median"], "class switch (rescore 30 students), median", "ms"),
    ("wasm-dkt", ["steady_median_ms"], "browser DKT, 32 students x 100 steps, CPU-wasm, median", "ms"),
    ("wasm-dkt", ["first_ms"], "browser DKT, first call", "ms"),
    ("wasm-study", ["steady_median_ms"], "browser STUDY, class of 30, CPU-wasm, median", "ms"),
    ("wasm-study", ["first_ms"], "browser STUDY, first call", "ms"),
    ("dkt", ["mean_epoch_seconds"], "DKT training, s per epoch (assist2009 train1, fused)", "s"),
    ("dkt", ["infer_kernel", "median_ms"], "DKT inference, 32 x 100, native, median", "ms"),
]


def value(path, keys):
    with open(path) as f:
        v = json.load(f)
    for k in keys:
        v = v[k]
    return float(v)


def fmt(v, unit):
    return f"{v / 1e6:.2f}" if unit == "MB" else f"{v:.3g}" if unit == "s" else f"{v:.1f}"


print("| figure | old (2 passes) | new (2 passes) | new / old |")
print("| --- | --- | --- | --- |")
for prefix, keys, label, unit in FIGURES:
    sides = {}
    for side in ("old", "new"):
        files = sorted(glob.glob(os.path.join(out, f"{prefix}-{side}-*.json")))
        try:
            sides[side] = [value(f, keys) for f in files]
        except (KeyError, ValueError, json.JSONDecodeError):
            sides[side] = []
    if not sides["old"] or not sides["new"]:
        print(f"| {label} | — | — | not measured |")
        continue
    mean = {s: sum(v) / len(v) for s, v in sides.items()}
    cells = {s: ", ".join(fmt(x, unit) for x in v) + f" {unit}" for s, v in sides.items()}
    ratio = mean["new"] / mean["old"] if mean["old"] else float("nan")
    print(f"| {label} | {cells['old']} | {cells['new']} | {ratio:.2f} |")
