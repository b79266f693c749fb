#!/usr/bin/env python3
"""Cuts a 4-line knowledge-tracing file (AKT's assist2009_pid format) by student, seeded:
`kt4_cut.py IN SEED FIT_OUT SEL_OUT [SHARE]` writes SHARE (default 0.1) of the records to SEL_OUT
and the rest to FIT_OUT, each record unchanged. Used by bench-dkt.sh so that classlens and the
PyTorch peer train on the same students and choose their epoch on the same held-out students.
"""
import random, sys

src, seed, fit_out, sel_out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
share = float(sys.argv[5]) if len(sys.argv) > 5 else 0.1
lines = [l.rstrip('\n') for l in open(src) if l.strip()]
if len(lines) % 4:
    sys.exit(f"{src}: {len(lines)} non-empty lines, not a whole number of 4-line records")
records = ['\n'.join(lines[i:i + 4]) + '\n' for i in range(0, len(lines), 4)]
order = list(range(len(records)))
random.Random(seed).shuffle(order)
cut = round(len(records) * share)
with open(sel_out, 'w') as f:
    f.writelines(records[i] for i in sorted(order[:cut]))
with open(fit_out, 'w') as f:
    f.writelines(records[i] for i in sorted(order[cut:]))
print(f"{src}: {len(records) - cut} records to {fit_out}, {cut} to {sel_out}")
