#!/usr/bin/env python3
"""The rules of ARCHITECTURE.md, checked on the source (run by scripts/test.sh).

1. Layers: a module of classlens-core imports only modules of lower layers (LAYERS below), so
   no import runs back up and no two modules import each other.
2. Inference apart from training: the packs, the inference API and the app never import a
   trainer (TRAINING below).
3. WebAssembly: code the browser runs uses no std::fs, Instant, SystemTime or threads, unless a
   `// wasm:` comment on that line or the one above says why it is never reached there.
4. One cfg spelling for WebAssembly: `target_arch = "wasm32"`.
5. Trainers stay pure: nothing under core/src/models touches files (run directories go through
   `runs`) or std's clock (`web_time::Instant` works in a browser too).

Test code (`#[cfg(test)]` modules, tests.rs files) is not checked: tests may reach anywhere.
`--self-test` runs the checks on small trees that break each rule (and on one that breaks
none) and fails unless each is caught.

Usage: check-layers.py [ROOT] | check-layers.py --self-test
"""

import os
import re
import sys
import tempfile

# Layer of each top-level module of core/src; a module may import only lower layers.
LAYERS = {
    "calendar": 0, "io": 0, "metrics": 0,
    "data": 1, "runs": 1,
    "synth": 2, "sequences": 2,
    "models": 3,
    "pack": 4,
    "infer": 5,
    "eval": 6,
    "fit": 7,
}

# Training code: module paths (under crate::) that only trainers, the CLI and tests may import.
TRAINING = re.compile(r"models::(dkt|study|bst|mf)::train\b|models::dkt::fused\b")

# Where the browser's code lives (relative to the root): all of it is checked by rule 3.
BROWSER_DIRS = ["app/src", "core/src/infer", "core/src/pack", "core/src/fit.rs", "core/src/fit", "core/src/eval"]
# Inference files of the models (and what they share) the browser runs, by name under core/src/models.
BROWSER_MODEL_FILES = re.compile(r"(^|/)(model|kernel|net|config|infer|mod|sgemm|panel_gemm|recurrent_gemm|lstm_math|init|baselines)\.rs$")
WASM_FORBIDDEN = re.compile(r"\bstd::fs\b|\bfs::(read|write|File|create_dir|rename|remove)|\bInstant\b|\bSystemTime\b|\bstd::thread\b|\bthread::(spawn|scope)\b")
MODELS_FORBIDDEN = re.compile(r"\bstd::fs\b|\bfs::\w|\bstd::time::(Instant|SystemTime)\b|\bcrate::io::")
WASM_CFG = re.compile(r"target_family\s*=\s*\"wasm\"|target_os\s*=\s*\"unknown\"")


def rust_files(root, sub):
    base = os.path.join(root, sub)
    if os.path.isfile(base):
        yield base
        return
    for d, _, files in os.walk(base):
        for f in sorted(files):
            if f.endswith(".rs") and f != "tests.rs":
                yield os.path.join(d, f)


def code_lines(path):
    """(line number, text) of the non-test code, comments removed (doc links are not imports)."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines, 1):
        if line.strip().startswith("#[cfg(test)]"):
            break  # the house style keeps tests last
        out.append((i, line, re.sub(r"//.*", "", line)))
    return out


def module_path(root, path):
    """core/src/models/dkt/train.rs -> ['models', 'dkt', 'train']; mod.rs names its folder."""
    rel = os.path.relpath(path, os.path.join(root, "core/src"))[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return rel


def imports(text, here):
    """Absolute crate paths `text` names: crate::a::b, crate::{a, b::c}, and super:: chains."""
    found = []
    for m in re.finditer(r"\bcrate::\{([^}]*)\}", text):
        found += [p.strip().split("::") for p in m.group(1).split(",") if p.strip()]
    for m in re.finditer(r"\bcrate::(\w+(?:::\w+)*)", text):
        found.append(m.group(1).split("::"))
    for m in re.finditer(r"\b((?:super::)+)(\w+(?:::\w+)*)", text):
        up = m.group(1).count("super::")
        base = here[: len(here) - up]
        found.append(base + m.group(2).split("::"))
    return found


def check(root):
    errors = []
    # 1 and 2: imports inside core.
    for path in rust_files(root, "core/src"):
        here = module_path(root, path)
        if not here or here == ["lib"]:
            continue
        top = here[0]
        if top not in LAYERS:
            errors.append(f"{path}: module `{top}` has no layer in scripts/check-layers.py (and ARCHITECTURE.md)")
            continue
        for n, _, code in code_lines(path):
            for target in imports(code, here):
                if not target or target[0] not in LAYERS or target[0] == top:
                    continue
                if LAYERS[target[0]] >= LAYERS[top]:
                    errors.append(f"{path}:{n}: `{top}` (layer {LAYERS[top]}) imports `{'::'.join(target)}` (layer {LAYERS[target[0]]}): an import may only go down a layer")
            inference_file = top == "models" and BROWSER_MODEL_FILES.search(path.replace(os.sep, "/"))
            if top in ("pack", "infer") or inference_file:
                for target in imports(code, here):
                    m = TRAINING.search("::".join(target))
                    if m:
                        errors.append(f"{path}:{n}: inference code imports training code ({m.group(0)}): use the inference types")
    for path in rust_files(root, "app/src"):
        for n, _, code in code_lines(path):
            if TRAINING.search(code):
                errors.append(f"{path}:{n}: the app imports training code ({TRAINING.search(code).group(0)}): use the inference types")
    # 3: what the browser runs.
    browser = [p for d in BROWSER_DIRS for p in rust_files(root, d)]
    browser += [p for p in rust_files(root, "core/src/models") if BROWSER_MODEL_FILES.search(p.replace(os.sep, "/"))]
    for path in browser:
        lines = code_lines(path)
        for k, (n, raw, code) in enumerate(lines):
            m = WASM_FORBIDDEN.search(code)
            if not m:
                continue
            if "// wasm:" in raw or (k > 0 and lines[k - 1][1].strip().startswith("// wasm:")):
                continue
            errors.append(f"{path}:{n}: `{m.group(0)}` in code the browser runs: not in WebAssembly (or say why with a `// wasm:` comment)")
    # 5: trainers go through runs for files and through web_time for the clock.
    for path in rust_files(root, "core/src/models"):
        for n, _, code in code_lines(path):
            m = MODELS_FORBIDDEN.search(code)
            if m:
                errors.append(f"{path}:{n}: `{m.group(0)}` in a model: run-directory files go through `crate::runs`, time through `web_time::Instant`")
    # 4: one cfg spelling, in Rust and in manifests.
    for sub in ["core", "app", "trainer-cli"]:
        for d, _, files in os.walk(os.path.join(root, sub)):
            for f in files:
                if not (f.endswith(".rs") or f == "Cargo.toml"):
                    continue
                path = os.path.join(d, f)
                with open(path, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        if "cfg" in line and WASM_CFG.search(line):
                            errors.append(f"{path}:{n}: spell the WebAssembly condition `target_arch = \"wasm32\"` (one spelling, ARCHITECTURE.md)")
    return errors


def self_test():
    """Each broken tree must be caught, and the clean one must pass."""
    clean = {
        "core/src/data/mod.rs": "use crate::calendar::Date;\n",
        "core/src/models/bst/train.rs": "use crate::sequences::study::Rows;\nuse crate::runs::write_run_file;\nuse web_time::Instant;\n",
        "core/src/eval/report.rs": "use crate::models::study::StudyModel;\n",
        "core/src/infer/mod.rs": "use crate::models::dkt::DktModel;\n// wasm: never reached there\nlet t = std::thread::available_parallelism();\n",
        "app/src/lib.rs": "#[cfg(target_arch = \"wasm32\")]\nfn f() {}\n",
    }
    broken = {
        # The cycle issue 13 found: a trainer importing from the evaluation layer above it.
        "cycle": {"core/src/models/bst/train.rs": "use crate::eval::baselines::PerRead;\n"},
        "grouped import": {"core/src/sequences/kt.rs": "use crate::{data::Interactions, models::dkt::DktModel};\n"},
        "super chain": {"core/src/data/load.rs": "use super::super::sequences::kt;\n"},
        "training in an inference model": {"core/src/models/dkt/model.rs": "use crate::models::dkt::train::TrainState;\n"},
        "training in an inference model, by super": {"core/src/models/study/infer.rs": "use super::train::train;\n"},
        "training in packs": {"core/src/pack/mod.rs": "use crate::models::dkt::train::train_dkt;\n"},
        "training in the app": {"app/src/scorer.rs": "use classlens_core::models::study::train::train;\n"},
        "fs in the browser": {"core/src/infer/recommend.rs": "let b = std::fs::read(p);\n"},
        "Instant in the app": {"app/src/state.rs": "use std::time::Instant;\n"},
        "other cfg": {"core/src/infer/mod.rs": "#[cfg(target_family = \"wasm\")]\nmod webgpu;\n"},
        "unlayered module": {"core/src/recommend/mod.rs": "pub fn f() {}\n"},
        "files in a trainer": {"core/src/models/mf/train.rs": "use std::fs;\nfn f() { fs::create_dir_all(out); }\n"},
        "std clock in a trainer": {"core/src/models/dkt/train.rs": "use std::time::Instant;\n"},
    }
    failures = []
    for name, files in [("clean", {})] + list(broken.items()):
        with tempfile.TemporaryDirectory() as t:
            for p, text in {**clean, **files}.items():
                os.makedirs(os.path.dirname(os.path.join(t, p)), exist_ok=True)
                with open(os.path.join(t, p), "w", encoding="utf-8") as f:
                    f.write(text)
            errors = check(t)
            if name == "clean" and errors:
                failures.append(f"the clean tree fails: {errors}")
            if name != "clean" and not errors:
                failures.append(f"not caught: {name}")
    # Tests may import anything.
    with tempfile.TemporaryDirectory() as t:
        p = os.path.join(t, "core/src/models/bst/train.rs")
        os.makedirs(os.path.dirname(p))
        with open(p, "w", encoding="utf-8") as f:
            f.write("pub fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::eval::hits::StudentEval;\n}\n")
        if check(t):
            failures.append(f"test code was checked: {check(t)}")
    return failures


def main():
    if sys.argv[1:] == ["--self-test"]:
        failures = self_test()
        for f in failures:
            print(f"check-layers self-test: {f}", file=sys.stderr)
        print("check-layers self-test: ok" if not failures else "check-layers self-test: FAILED")
        sys.exit(1 if failures else 0)
    root = os.path.relpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    errors = check(root)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check-layers: {len(errors)} violation(s) of ARCHITECTURE.md", file=sys.stderr)
        sys.exit(1)
    print("check-layers: ok")


if __name__ == "__main__":
    main()
