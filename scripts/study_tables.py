"""Summarises the report.json files that scripts/bench-study.sh leaves in one folder into the
markdown tables of BENCHMARKS.md: per influence setting, mean (min-max) over seeds of hits@n in
percent for each method and evaluation type."""
import json
import pathlib
import statistics
import sys

runs = pathlib.Path(sys.argv[1])
cells = {}  # (influence, method, eval_type, n) -> [values]
for report in sorted(runs.glob("*/report.json")):
    name = report.parent.name  # s1-inf0.6-study
    seed, inf, kind = name.split("-", 2)
    for m in json.loads(report.read_text())["methods"]:
        method = m["method"]
        if method in ("popularity", "knn", "continue_pop", "pop_unread"):
            method = f"{method} (in {kind} run)"
        for a in m["aggregate"]:
            cells.setdefault((inf, method, a["eval_type"], a["n"]), []).append(100 * a["hits_at_n"])

for inf in sorted({k[0] for k in cells}, reverse=True):
    methods = ["individual", "study", "popularity (in study run)", "knn (in study run)", "continue_pop (in study run)", "pop_unread (in study run)"]
    print(f"\n### Influence {inf[3:]}: hits@n %, mean over seeds (min-max)\n")
    print("| reads | n | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for t in ["All", "NonContinuation", "NonHistory"]:
        for n in [1, 3, 5, 10, 20]:
            row = []
            for m in methods:
                v = cells.get((inf, m, t, n), [])
                row.append(f"{statistics.mean(v):.2f} ({min(v):.2f}-{max(v):.2f})" if v else "n/a")
            print(f"| {t} | {n} | " + " | ".join(row) + " |")
