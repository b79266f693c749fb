"""The table of scripts/bench-study-throughput.sh: tokens/s (32 rows x 65 tokens a step) per round.

Usage: study_throughput_table.py OUT_DIR ROUNDS WORKERS

Ours: `bench study`'s figure (its steps' row positions over their time, batch building included,
evaluation not). The reference: its training loop from the end of its first step to its last,
leaving out the steps that compile (the first, and every 100th, which compiles its metrics
variant once: one-time costs a 300-step run would otherwise spread over few steps), so data
feeding between steps is in, as batch building is in ours; and its jitted step alone, blocking on
the result (median of the same steps).
"""
import json
import statistics
import sys


def main(out, rounds, workers):
    print(f"| round | ours, 1 worker | ours, {workers} workers | reference, loop without its compiling steps | reference, step alone (median) | ours {workers} workers / reference loop |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in range(1, rounds + 1):
        ours = [json.load(open(f"{out}/ours-w{w}-r{r}.json"))["train_tokens_per_sec"] for w in (1, workers)]
        steps, ends = [], []
        for line in open(f"{out}/ref-r{r}.log"):
            fields = dict(kv.split("=") for kv in line.split()[1:])
            steps.append(float(fields["sec"]))
            ends.append(float(fields["end"]))
        n = len(steps)
        if n < 3:
            print(f"| {r} | {ours[0]:,.0f} | {ours[1]:,.0f} | the reference did not train | | |")
            continue
        steady = [i for i in range(1, n) if i % 100 != 0 and i != n - 1]
        loop = 32 * 65 * len(steady) / sum(ends[i] - ends[i - 1] for i in steady)
        step = 32 * 65 / statistics.median(steps[i] for i in steady)
        print(f"| {r} | {ours[0]:,.0f} | {ours[1]:,.0f} | {loop:,.0f} | {step:,.0f} | {ours[1] / loop:.3f} |")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
