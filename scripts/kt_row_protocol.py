#!/usr/bin/env python3
"""AUC of `classlens eval akt --predictions` as classlens scores it (each problem once) and as a
row-level protocol would (AKT's published loader: a problem with k skills is k rows with the same
answer, and rows 2..k are predicted after row 1's answer is in the input). The row estimate keeps
our prediction for row 1 and gives rows 2..k the copy rule a row model can learn (1 if the row
before was correct, else 0), which is right for all but 1 of the 9,548 repeated rows of valid1
(scripts/assist2009_repeats.py). An estimate of the protocol's effect, not a row model's score.
Usage: scripts/kt_row_protocol.py PREDICTIONS.csv"""
import csv
import sys


def auc(scores, labels):
    """Mann-Whitney AUC with mid-ranks for ties."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    return (sum(r for r, l in zip(ranks, labels) if l) - pos * (pos + 1) / 2) / (pos * neg)


steps = list(csv.DictReader(open(sys.argv[1])))
p = [float(r["p"]) for r in steps]
y = [r["correct"] == "1" for r in steps]
rows_p, rows_y = list(p), list(y)
extra = 0
for r, c in zip(steps, y):
    for _ in range(int(r["skills"]) - 1):
        rows_p.append(1.0 if c else 0.0)
        rows_y.append(c)
        extra += 1
print(f"steps: {len(steps)}, AUC {auc(p, y):.4f} (each problem once)")
print(f"rows: {len(rows_p)} ({extra} repeated rows, {100 * extra / len(rows_p):.1f}%), AUC {auc(rows_p, rows_y):.4f} (row protocol, copy rule on repeats)")
