"""Cuts one classroom out of STUDY's files for the STUDY latency benchmarks.

    python3 scripts/one_classroom.py SRC DST

STUDY's files have no class ids: a classroom is one school (OrgnID) and grade; its first 30
students (by id) stand for one class, as `classlens bench study` times it. Writes DST's
student_info.csv and student_activity.csv with those students only.
Used by scripts/bench-infer.sh and scripts/bench-issue6.sh.
"""
import csv
import os
import sys

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
info = list(csv.DictReader(open(f'{src}/student_info.csv')))
room = (info[0]['OrgnID'], info[0]['GRADE_LVL_NBR'])
keep = {r['StudentID'] for r in info if (r['OrgnID'], r['GRADE_LVL_NBR']) == room}
keep = set(sorted(keep, key=int)[:30])
for name in ['student_info.csv', 'student_activity.csv']:
    rows = list(csv.DictReader(open(f'{src}/{name}')))
    with open(f'{dst}/{name}', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(r for r in rows if r['StudentID'] in keep)
print(len(keep), 'students in the benchmark classroom')
