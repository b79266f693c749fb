#!/usr/bin/env python3
"""Summarises bench-regimes.sh: per regime, the mean and range over seeds of the cells issue 15's
targets name, for STUDY, Individual and the baselines, in both protocols."""
import re
import sys
from collections import defaultdict
from pathlib import Path


def tables(text):
    """{'reference'|'deployed': {(type, n): {method: percent}}} from one `classlens train` stdout."""
    out, current, methods = {}, None, []
    for line in text.splitlines():
        if line.startswith("hits@n on"):
            current = out.setdefault("reference", {})
        elif line.startswith("as deployed"):
            current = out.setdefault("deployed", {})
        elif line.startswith("reads"):
            methods = line.split()[2:]
        elif current is not None and re.match(r"^(all|non_continuation|non_history)\s", line):
            cells = line.split()
            current[(cells[0], int(cells[1]))] = {m: float(v.rstrip("%")) for m, v in zip(methods, cells[2:]) if v != "n/a"}
    return out


def main(folder):
    runs = defaultdict(dict)  # (regime, seed) -> model -> tables
    for f in sorted(Path(folder).glob("*.txt")):
        m = re.match(r"(.+)-s(\d+)-(study|individual)\.txt$", f.name)
        if m:
            runs[(m.group(1), int(m.group(2)))][m.group(3)] = tables(f.read_text())
    regimes = sorted({r for r, _ in runs}, key=lambda r: ["social", "solo", "school-year"].index(r) if r in ["social", "solo", "school-year"] else 9)
    cells = {
        "deployed": [("non_continuation", 1), ("non_continuation", 5), ("non_continuation", 20), ("non_history", 1), ("non_history", 5), ("non_history", 20)],
        "reference": [("all", 1), ("non_history", 5), ("non_history", 20)],
    }
    for protocol in ["deployed", "reference"]:
        methods = ["study", "individual", "popularity", "knn"] + (["continue_pop", "pop_unread"] if protocol == "reference" else [])
        print(f"### {protocol} protocol: hits@n %, mean [min, max] over seeds\n")
        print("| regime | reads | n | " + " | ".join(methods) + " |")
        print("| --- | --- | --- | " + " | ".join("---" for _ in methods) + " |")
        for regime in regimes:
            seeds = sorted(s for r, s in runs if r == regime)
            for cell in cells[protocol]:
                row = []
                means = {}
                for method in methods:
                    model = "individual" if method == "individual" else "study"
                    vals = [runs[(regime, s)][model][protocol][cell][method] for s in seeds if model in runs[(regime, s)]]
                    if not vals:
                        row.append("n/a")
                        continue
                    means[method] = sum(vals) / len(vals)
                    row.append(f"{means[method]:.2f} [{min(vals):.2f}, {max(vals):.2f}]")
                best = max(means, key=means.get) if means else None
                row = [f"**{c}**" if m == best else c for m, c in zip(methods, row)]
                print(f"| {regime} ({len(seeds)} seeds) | {cell[0]} | {cell[1]} | " + " | ".join(row) + " |")
        print()
    # Paired by seed (same world, same held-out classrooms): STUDY minus the best baseline and
    # minus Individual, smallest and largest over seeds and the deployed new-title cells.
    print("#### Deployed protocol, paired by seed: STUDY minus the best baseline / minus Individual (points)\n")
    print("| regime | STUDY - best baseline | STUDY - Individual |")
    print("| --- | --- | --- |")
    for regime in regimes:
        seeds = sorted(s for r, s in runs if r == regime)
        base, ind = [], []
        for s in seeds:
            run = runs[(regime, s)]
            if "study" not in run or "individual" not in run:
                continue
            for cell in cells["deployed"]:
                st = run["study"]["deployed"][cell]
                base.append(st["study"] - max(st["popularity"], st["knn"]))
                ind.append(st["study"] - run["individual"]["deployed"][cell]["individual"])
        if base:
            print(f"| {regime} | {min(base):+.2f} to {max(base):+.2f} | {min(ind):+.2f} to {max(ind):+.2f} |")
    print()
    # Reference protocol, paired by seed: each model minus "continue, then popularity" on hits@1
    # over all reads (the target's one reference-protocol cell).
    print("#### Reference protocol, paired by seed: all-reads hits@1 minus continue_pop (points)\n")
    print("| regime | STUDY - continue_pop | Individual - continue_pop |")
    print("| --- | --- | --- |")
    for regime in regimes:
        seeds = sorted(s for r, s in runs if r == regime)
        diffs = {"study": [], "individual": []}
        for s in seeds:
            for model in diffs:
                cell = runs[(regime, s)].get(model, {}).get("reference", {}).get(("all", 1))
                if cell and "continue_pop" in cell:
                    diffs[model].append(cell[model] - cell["continue_pop"])
        span = lambda d: f"{min(d):+.2f} to {max(d):+.2f}" if d else "n/a"
        print(f"| {regime} | {span(diffs['study'])} | {span(diffs['individual'])} |")
    print()
    for title, pattern in [
        ("Co-read boost", r"^co-read boost on unread titles: (\S+)"),
        ("Continuation shift", r"^continuation shift: (\S+)"),
    ]:
        chosen = {}
        for f in sorted(Path(folder).glob("*.txt")):
            m = re.match(r"(.+)-s(\d+)-(study|individual)\.txt$", f.name)
            b = re.search(pattern, f.read_text(), re.M)
            if m and b:
                chosen.setdefault((m.group(1), m.group(3)), []).append(f"s{m.group(2)}: {b.group(1)}")
        if chosen:
            print(f"#### {title} chosen on each run's selection classrooms\n")
            print("| regime | study | individual |")
            print("| --- | --- | --- |")
            for regime in regimes:
                print(f"| {regime} | {', '.join(chosen.get((regime, 'study'), []))} | {', '.join(chosen.get((regime, 'individual'), []))} |")
            print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results/regimes")
