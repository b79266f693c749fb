#!/usr/bin/env python3
"""Runs the STUDY reference (google-research's `study_recommend` package, unmodified, importable
from the working directory) with two additions of ours, for scripts/bench-study-reference.sh:

- STUDY_CFG_OVERRIDES: a JSON object of `config.py` fields set on top of the reference's
  `get_config()` (the model's shape, f32 and the evaluation sample sizes have no flags there);
- STUDY_STEP_TIMING=1: prints `STEP_TIME step=I sec=S end=T` for each call of the training
  step, blocking on its result (S its duration, T when it returned, on `time.perf_counter`'s
  clock; the reference logs no throughput).

Every command-line flag is the reference's own (`python3 study_ref_run.py --help` lists them).
"""
import json
import os
import time

from absl import app
from study_recommend import config as config_lib
from study_recommend import study_recommend
from study_recommend import training_loop

OVERRIDES = json.loads(os.environ.get("STUDY_CFG_OVERRIDES", "{}"))
reference_get_config = config_lib.get_config


def get_config(*args, **kwargs):
    cfg = reference_get_config(*args, **kwargs)
    if OVERRIDES:
        cfg = cfg.unlock()
        for key, value in OVERRIDES.items():
            if key not in cfg:
                raise SystemExit(f"STUDY_CFG_OVERRIDES: the reference's config has no field {key!r}")
            setattr(cfg, key, value)
        cfg.lock()
    return cfg


config_lib.get_config = get_config

if os.environ.get("STUDY_STEP_TIMING") == "1":
    import jax

    reference_pmap = jax.pmap

    def timed_pmap(fun, *args, **kwargs):
        compiled = reference_pmap(fun, *args, **kwargs)
        if getattr(getattr(fun, "func", fun), "__name__", "") != "_train_step":
            return compiled
        calls = [0]

        def timed(*a, **kw):
            start = time.perf_counter()
            out = jax.block_until_ready(compiled(*a, **kw))
            end = time.perf_counter()
            print(f"STEP_TIME step={calls[0]} sec={end - start:.4f} end={end:.4f}", flush=True)
            calls[0] += 1
            return out

        return timed

    training_loop.jax.pmap = timed_pmap

if __name__ == "__main__":
    app.run(study_recommend.main)
