#!/usr/bin/env python3
"""Counts the rows of a DKT-format ASSISTments file (4 lines per student: id, problems, skills,
answers) that repeat the problem of the row before: a problem with several skills is written once
per skill, with the same answer. A model that reads rows (AKT's published loader scores every row)
sees that answer one row before it predicts it; classlens folds such rows into one step and scores
the problem once. Usage: scripts/assist2009_repeats.py FILE..."""
import sys

for path in sys.argv[1:]:
    lines = open(path).read().strip().split("\n")
    transitions = repeats = same = 0
    for i in range(0, len(lines) - 3, 4):
        problems, answers = (lines[i + k].strip().rstrip(",").split(",") for k in (1, 3))
        for t in range(1, len(problems)):
            transitions += 1
            if problems[t] == problems[t - 1]:
                repeats += 1
                same += answers[t] == answers[t - 1]
    print(f"{path}: {transitions} predicted rows, {repeats} ({100 * repeats / transitions:.1f}%) repeat the row before's problem, {same} of them with its answer")
