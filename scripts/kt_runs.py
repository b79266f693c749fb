"""A run of scripts/bench-dkt.sh's cut protocol as its summaries report it: the epoch chosen on the
selection cut (the run's history.json) and the chosen model's score on valid1 (an `eval` JSON).
Imported by the summaries in bench-dkt.sh (steps 2c, 5 and 6)."""
import json


def chosen(run_dir, valid1_json):
    h = json.load(open(f"{run_dir}/history.json"))
    h = h if isinstance(h, list) else h["history"]
    best = max(h, key=lambda r: r["valid"]["auc"])
    ev = json.load(open(valid1_json))["overall"]
    return {"epoch": best["epoch"], "sel_auc": best["valid"]["auc"], "valid1_auc": ev["auc"], "valid1_n": ev["n"],
            "seconds_per_epoch": sum(r["seconds"] for r in h) / len(h)}
