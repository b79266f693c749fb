#!/usr/bin/env python3
"""The main thread's long tasks in a Chromium trace (tests/browser/load_trace.mjs writes one):
for each task over 50 ms, the events inside it by total time, and what V8's background threads
compiled meanwhile (wasm top-tier compilation competing for the same cores).

Usage: python3 scripts/trace_tasks.py TRACE.json [MIN_MS]
"""
import collections
import json
import sys


def main(path, min_ms=50.0):
    data = json.load(open(path))
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "thread_name"}
    main_threads = [k for k, v in names.items() if v == "CrRendererMain"]
    spans = [e for e in events if e.get("ph") == "X" and "dur" in e]
    for main in main_threads:
        on_main = [e for e in spans if (e["pid"], e["tid"]) == main]
        tasks = [e for e in on_main if e["name"] == "ThreadControllerImpl::RunTask" and e["dur"] > min_ms * 1000]
        # Nested RunTask spans describe the same task: keep the outermost.
        tasks = [t for t in tasks if not any(o is not t and o["ts"] <= t["ts"] and t["ts"] + t["dur"] <= o["ts"] + o["dur"] for o in tasks)]
        for task in tasks:
            start, end = task["ts"], task["ts"] + task["dur"]
            inside = collections.Counter()
            for e in on_main:
                if e is not task and start <= e["ts"] and e["ts"] + e["dur"] <= end and e["name"] != "ThreadControllerImpl::RunTask":
                    inside[e["name"]] += e["dur"]
            background = collections.Counter()
            for e in spans:
                if names.get((e["pid"], e["tid"])) == "ThreadPoolForegroundWorker" and e["name"].startswith("wasm."):
                    overlap = min(end, e["ts"] + e["dur"]) - max(start, e["ts"])
                    if overlap > 0:
                        background[e["name"]] += overlap
            print(f"task of {task['dur'] / 1000:.1f} ms")
            for name, total in inside.most_common(8):
                print(f"    {name:<50} {total / 1000:6.1f} ms")
            for name, total in background.most_common(3):
                print(f"    (background) {name:<37} {total / 1000:6.1f} ms of thread time")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 50.0)
