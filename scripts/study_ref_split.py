#!/usr/bin/env python3
"""Writes the STUDY reference's input files for the split a `classlens train study` run used, so
both are trained and scored on the same students: the run's training students (all of them; the
run itself cut 10% of their classrooms off to choose its step) and its held-out classrooms.

Usage: python3 scripts/study_ref_split.py WORLD RUN OUT
  WORLD: a folder written by `classlens synth` (student_activity.csv, student_info.csv)
  RUN:   the run folder (its split.json lists the train and valid students)
  OUT:   writes train_activity.csv, valid_activity.csv and student_info.csv there

The reference groups students into classrooms by grade alone (its `school_year` grouping keys on
`GRADE_LVL_NBR` twice and never reads the school), and its `district_year` grouping crashes. Its
model does not read the grade unless `num_grade_levels` is set (it is not, by default), so
student_info.csv's grade column is rewritten to one number per (OrgnID, grade) pair: the
reference's classrooms are then ours (in `synth`'s files OrgnID is the class).
"""
import csv
import json
import os
import sys


def main(world, run, out):
    split = json.load(open(os.path.join(run, "split.json")))
    train, valid = set(split["train"]), set(split["valid"])
    assert train and valid and not train & valid, "split.json must hold disjoint train and valid students"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(world, "student_activity.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    counts = {}
    for name, keep in (("train_activity.csv", train), ("valid_activity.csv", valid)):
        with open(os.path.join(out, name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            picked = [r for r in body if r[0] in keep]
            w.writerows(picked)
            counts[name] = len(picked)
    with open(os.path.join(world, "student_info.csv"), newline="") as f:
        info = list(csv.reader(f))
    assert info[0] == ["StudentID", "OrgnID", "GRADE_LVL_NBR"], f"unexpected student_info header {info[0]}"
    classes = {}
    with open(os.path.join(out, "student_info.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(info[0])
        for student, orgn, grade in info[1:]:
            w.writerow([student, orgn, classes.setdefault((orgn, grade), len(classes) + 1)])
    print(json.dumps({"train_students": len(train), "valid_students": len(valid), "classrooms": len(classes), **counts}))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
