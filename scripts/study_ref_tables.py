#!/usr/bin/env python3
"""The tables of scripts/bench-study-reference.sh: hits@n of ours and the STUDY reference on the
same held-out classrooms (both mean over students of each student's hits, after the student's
first read, as the reference scores), the baselines from our run beside them, and each side's
training throughput.

Usage: python3 scripts/study_ref_tables.py OUT RUNS REF_STEPS REGIME... [--seed N]
"""
import csv
import json
import os
import statistics
import sys

NAMES = {"All": "all", "NonContinuation": "non_continuation", "NonHistory": "non_history"}
BASELINES = ("popularity", "knn", "continue_pop", "pop_unread")


def aggregate(path):
    with open(path, newline="") as f:
        return {(r["Evaluation_Type"], int(r["N_Recommendations"])): 100 * float(r["Hits_at_N"]) for r in csv.DictReader(f)}


def rescore(recs_path, valid_path, first):
    """The reference's own recommendations (one top-20 list before each read, the student's reads
    in date order) scored from read `first` on: 0 is the reference's own evaluation (which this
    checks against its aggregate.csv), 1 ours (a student's first read has no history of theirs)."""
    recs = json.load(open(recs_path))
    reads = {}
    with open(valid_path, newline="") as f:
        for r in csv.DictReader(f):
            reads.setdefault(r["StudentID"], []).append((r["Date"], r["SHLF_NUM"]))
    sums = {}
    for student, lists in recs.items():
        titles = [t for _, t in sorted(reads[student], key=lambda x: x[0])]
        assert len(titles) == len(lists), f"student {student}: {len(titles)} reads, {len(lists)} lists"
        per = {}
        for i in range(first, len(titles)):
            kinds = ["all"]
            if i == 0 or titles[i] != titles[i - 1]:
                kinds.append("non_continuation")
            if titles[i] not in titles[:i]:
                kinds.append("non_history")
            for kind in kinds:
                for n in (1, 3, 5, 10, 20):
                    hits, count = per.get((kind, n), (0, 0))
                    per[(kind, n)] = (hits + (titles[i] in lists[i][:n]), count + 1)
        for key, (hits, count) in per.items():
            total, students = sums.get(key, (0.0, 0))
            sums[key] = (total + hits / count, students + 1)
    return {key: 100 * total / students for key, (total, students) in sums.items()}


def main(out, regimes, seed, ref_steps, runs):
    print(f"hits@n %, the held-out classrooms (20%) of one generated world per regime, seed {seed}; both sides scored")
    print("from each student's second read on, mean over students (the reference's lists rescored so; its own")
    print("evaluation, which also scores the first read, is checked against its aggregate.csv below)")
    print()
    print(f"| regime | reads | n | ours (750 steps, step kept on selection classrooms) | reference ({ref_steps:,} steps) | ours − reference | best baseline (ours' run) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    throughput, checks = [], []
    for regime in regimes:
        name = f"{regime}-s{seed}"
        ours = aggregate(os.path.join(out, f"{name}-ours-aggregate.csv"))
        own = aggregate(os.path.join(out, f"{name}-ref-aggregate.csv"))
        recs = os.path.join(runs, f"{name}-ref", "recommendations.json")
        valid = os.path.join(runs, f"{name}-ref-data", "valid_activity.csv")
        check = rescore(recs, valid, 0)
        worst = max(abs(check[k] - own[k]) for k in own)
        checks.append((regime, worst))
        ref = rescore(recs, valid, 1)
        report = json.load(open(os.path.join(out, f"{name}-ours-report.json")))
        base = {}
        for m in report["methods"]:
            if m["method"] in BASELINES:
                for a in m["aggregate"]:
                    key = (NAMES[a["eval_type"]], a["n"])
                    v = 100 * a["hits_at_n"]
                    if key not in base or v > base[key][1]:
                        base[key] = (m["method"], v)
        for reads in ("all", "non_continuation", "non_history"):
            for n in (1, 5, 20):
                o, r = ours[(reads, n)], ref[(reads, n)]
                b = base.get((reads, n))
                bs = f"{b[1]:.2f} ({b[0]})" if b else ""
                print(f"| {regime} | {reads} | {n} | {'**' if o >= r else ''}{o:.2f}{'**' if o >= r else ''} | {'**' if r > o else ''}{r:.2f}{'**' if r > o else ''} | {o - r:+.2f} | {bs} |")
        lines = [dict(kv.split("=") for kv in l.split()[1:]) for l in open(os.path.join(out, f"{name}-ref-steps.txt"))]
        steps = [float(x["sec"]) for x in lines]
        ends = [float(x["end"]) for x in lines]
        # The whole loop after the first (compiling) step: its sampling and logging included.
        loop_tps = 32 * 65 * (len(ends) - 1) / (ends[-1] - ends[0])
        # The first call compiles, and every 100th step (and the last) compiles its metrics
        # variant once: the median of the rest is the steady step.
        steady = [s for i, s in enumerate(steps) if i > 0 and i % 100 != 0 and i != len(steps) - 1]
        ref_tps = 32 * 65 / statistics.median(steady)
        hist = json.load(open(os.path.join(out, f"{name}-ours-history.json")))
        ours_tps = [h["tokens_per_sec"] for h in hist]
        wall = json.load(open(os.path.join(out, f"{name}-ref-wall.json")))["wall_seconds"]
        throughput.append((regime, min(ours_tps), max(ours_tps), loop_tps, ref_tps, 32 * 65 / max(steady), 32 * 65 / min(steady), wall))
    print()
    print("Training throughput, tokens/s (32 rows × 65 tokens a step). Ours: each 250-step report of the run (batch building")
    print("included, evaluation not). Reference: its training loop from the end of the first (compiling) step to the last")
    print("(sampling, logging and the one-time compiles of its metrics steps included), and its jitted step alone, blocking")
    print("on the result: median [slowest, fastest] of the steady steps.")
    print()
    print("| regime | ours, range over reports | reference, whole loop | reference, step alone | reference run's wall time (training + inference + scoring) |")
    print("| --- | --- | --- | --- | --- |")
    for regime, lo, hi, loop, med, slow, fast, wall in throughput:
        print(f"| {regime} | {lo:,.0f}–{hi:,.0f} | {loop:,.0f} | {med:,.0f} [{slow:,.0f}, {fast:,.0f}] | {wall} s |")
    print()
    for regime, worst in checks:
        print(f"{regime}: the reference's lists rescored from the first read differ from its aggregate.csv by at most {worst:.4f} points")


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = 1
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i : i + 2]
    if len(args) < 4:
        sys.exit(__doc__)
    main(args[0], args[3:], seed, int(args[2]), args[1])
