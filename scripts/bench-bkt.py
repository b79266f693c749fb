"""BKT side by side: classlens's BKT (models::bkt, through `classlens eval dkt --baselines-from`)
and pyBKT (PyPI, its standard model, default settings) on the same time-ordered ASSISTments 2009
fold: fitted on train1, scored on valid1's steps, the steps classlens's DKT evaluation scores.

Usage (pyBKT in a scratch virtual environment, never committed):
    python3 -m venv /tmp/pyvenv && /tmp/pyvenv/bin/pip install pyBKT pandas
    /tmp/pyvenv/bin/python scripts/bench-bkt.py ../shared/data/assist2009-pid
Prints one JSON object: both AUCs on the same steps, their difference, and the wall seconds of
each (pyBKT: fit + predict; classlens: the whole `eval dkt` command, which also scores a DKT).

Steps as classlens reads the four-line format: a problem repeated at adjacent positions with the
same answer is one step with several skills; its prediction is the mean of its skills'. Skills
that no training answer has are left out (a step left with none is dropped), as classlens does.
A step is scored unless it opens a window of 100 (DKT's evaluation windows).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from pyBKT.models import Model
from sklearn.metrics import roc_auc_score

WINDOW = 100


def steps(path):
    """Per student, the list of (skills, correct) steps, in file order."""
    out = []
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip()]
    for i in range(0, len(lines), 4):
        user = lines[i].split(",")[1]
        problems, skills, answers = (lines[i + k].split(",") for k in (1, 2, 3))
        seq = []
        j = 0
        while j < len(problems):
            end = j + 1
            while end < len(problems) and problems[end] == problems[j] and answers[end] == answers[j]:
                end += 1
            seq.append((sorted(set(skills[j:end])), int(answers[j])))
            j = end
        out.append((user, seq))
    return out


def frame(students, known=None):
    """One row per (step, skill); `step` numbers the steps globally."""
    rows, step_id = [], 0
    kept = []
    for user, seq in students:
        mine = []
        for skills, correct in seq:
            sk = [s for s in skills if known is None or s in known]
            if not sk:
                continue
            for s in sk:
                rows.append((len(rows), user, s, correct, step_id))
            mine.append((step_id, correct))
            step_id += 1
        kept.append(mine)
    return pd.DataFrame(rows, columns=["order_id", "user_id", "skill_name", "correct", "step"]), kept


def main():
    data = sys.argv[1]
    train_path = os.path.join(data, "assist2009_pid_train1.csv")
    valid_path = os.path.join(data, "assist2009_pid_valid1.csv")
    train_df, _ = frame(steps(train_path))
    known = set(train_df.skill_name)
    valid_df, valid_steps = frame(steps(valid_path), known)

    t0 = time.time()
    model = Model(seed=42)
    model.fit(data=train_df)
    pred = model.predict(data=valid_df)
    py_seconds = time.time() - t0
    per_step = pred.groupby("step")["correct_predictions"].mean()
    scores, labels = [], []
    for mine in valid_steps:
        for t, (step_id, correct) in enumerate(mine):
            if t % WINDOW != 0:
                scores.append(per_step[step_id])
                labels.append(correct)
    py_auc = roc_auc_score(labels, scores)

    cl = os.environ.get("CLASSLENS", "./target/release/classlens")
    with tempfile.TemporaryDirectory() as tmp:
        # A DKT model only to carry the skill vocabulary: BKT is fitted by --baselines-from.
        subprocess.run([cl, "train", "dkt", "--data", train_path, "--valid-frac", "0.1", "--test-frac", "0", "--epochs", "1", "--out", f"{tmp}/dkt", "--quiet"], check=True, capture_output=True)
        t0 = time.time()
        subprocess.run([cl, "eval", "dkt", "--model", f"{tmp}/dkt", "--data", valid_path, "--split", "all", "--baselines-from", train_path, "--json", f"{tmp}/eval.json"], check=True, capture_output=True)
        cl_seconds = time.time() - t0
        ours = json.load(open(f"{tmp}/eval.json"))["bkt"]
    print(json.dumps({
        "classlens_bkt_auc": ours["auc"], "classlens_scored_steps": ours["n"], "classlens_seconds": round(cl_seconds, 2),
        "pybkt_auc": py_auc, "pybkt_scored_steps": len(labels), "pybkt_seconds": round(py_seconds, 2),
        "auc_difference": ours["auc"] - py_auc, "pybkt_version": __import__("pyBKT").__version__ if hasattr(__import__("pyBKT"), "__version__") else "1.4.3",
    }))


if __name__ == "__main__":
    main()
