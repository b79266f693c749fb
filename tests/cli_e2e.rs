//! End to end: the `classlens` binary on the built-in classroom, as a user would run it.
//! Nothing here reads ../shared: every fixture is generated or written by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_classlens"))
}

fn run(args: &[&str]) -> Output {
    let out = bin().args(args).output().expect("classlens runs");
    assert!(out.status.success(), "classlens {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

fn synth(dir: &Path, seed: &str) -> PathBuf {
    run(&["synth", "--seed", seed, "--out", p(dir), "--students-per-class", "30"]);
    dir.join("skill_builder_data.csv")
}

/// AUC of the generator's own probability of each first-attempt answer in the classroom that
/// `synth` wrote to `dir` (regenerated in-process from its `config.json`).
fn oracle_auc(dir: &Path) -> f64 {
    let config: classlens_core::synth::SynthConfig = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let class = classlens_core::synth::generate(&config);
    let (scores, labels): (Vec<f32>, Vec<bool>) = class.responses.iter().filter(|r| r.original).map(|r| (r.p_correct, r.correct)).unzip();
    classlens_core::metrics::ranking::auc(&scores, &labels).unwrap()
}

fn train_args<'a>(data: &'a str, out: &'a str, epochs: &'a str) -> Vec<&'a str> {
    vec!["train", "dkt", "--data", data, "--out", out, "--epochs", epochs, "--hidden", "32", "--batch-size", "16", "--lr", "0.01", "--seed", "3", "--quiet"]
}

#[test]
fn synth_is_deterministic_per_seed() {
    let t = tempfile::tempdir().unwrap();
    let a = synth(&t.path().join("a"), "11");
    let b = synth(&t.path().join("b"), "11");
    let c = synth(&t.path().join("c"), "12");
    let read = |x: &Path| std::fs::read(x).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    for f in ["student_activity.csv", "student_info.csv", "school_info.csv", "skills.json", "titles.json", "config.json"] {
        assert!(t.path().join("a").join(f).exists(), "{f} missing");
    }
}

#[test]
fn train_eval_mastery_on_the_built_in_classroom() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "5");
    let model = t.path().join("model");
    let out = run(&train_args(p(&data), p(&model), "6"));
    for f in ["config.json", "skills.json", "model.bpk", "split.json", "history.json", "test_metrics.json"] {
        assert!(model.join(f).exists(), "{f} missing");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("test: AUC") && stdout.contains("baseline: each skill's mean, test: AUC"), "{stdout}");
    assert!(stdout.contains("baseline: BKT per skill (EM), test: AUC"), "{stdout}");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("test_metrics.json")).unwrap()).unwrap();
    assert_eq!(m["bkt"]["n"], m["baseline"]["n"], "BKT is scored on the same steps as the baseline");
    let params = m["bkt_params"].as_object().unwrap().values().next().unwrap();
    assert!(["prior", "learn", "guess", "slip"].iter().all(|k| params[k].as_f64().is_some_and(|v| (0.0..=1.0).contains(&v))), "{params}");

    // The pack says what the model was trained on and its held-out score beside the baseline,
    // as test_metrics.json and split.json record them.
    let pack = t.path().join("model.pack");
    run(&["export", p(&model), "--out", p(&pack)]);
    let (meta, _) = classlens_core::pack::read_meta(&std::fs::read(&pack).unwrap()).unwrap();
    let about = meta.about.expect("the pack records where the model came from");
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("test_metrics.json")).unwrap()).unwrap();
    let split: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("split.json")).unwrap()).unwrap();
    assert_eq!(about.trained_on, "skill_builder_data.csv", "a file name, never the path");
    assert_eq!(about.students, split["train"].as_array().unwrap().len());
    let held = about.held_out.expect("a held-out score");
    assert_eq!((held.metric.as_str(), held.value), ("AUC", metrics["overall"]["auc"].as_f64().unwrap()));
    assert_eq!(held.baseline, Some(("each skill's mean".to_string(), metrics["baseline"]["auc"].as_f64().unwrap())));
    assert_eq!(held.students, split["test"].as_array().unwrap().len());

    // eval on the held-out students (the split is remembered in the model directory).
    let json = t.path().join("eval.json");
    run(&["eval", "dkt", "--model", p(&model), "--data", p(&data), "--json", p(&json)]);
    let ev: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let auc = ev["overall"]["auc"].as_f64().unwrap();
    // The generator's own answer probabilities (the oracle) rank its answers at AUC ~0.75: no
    // model can do much better on held-out students, so an AUC far above it is a leak (the
    // answer scored was part of the input), and a constant guess scores 0.5.
    let oracle = oracle_auc(&t.path().join("class"));
    assert!(auc > 0.6, "held-out AUC {auc} is not well above chance");
    assert!(auc < oracle + 0.05, "held-out AUC {auc} is above the generator's own oracle AUC {oracle}: a leak");
    assert!(ev["per_skill"].as_array().unwrap().len() > 3);
    // A pack records no split: `--split auto` refuses rather than score its training students.
    let refused = bin().args(["eval", "dkt", "--model", p(&pack), "--data", p(&data)]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --split all"), "{}", String::from_utf8_lossy(&refused.stderr));
    run(&["eval", "dkt", "--model", p(&pack), "--data", p(&data), "--split", "all"]);
    // Scored as deployed: every step but a student's first (so at least as many), said in the JSON.
    let deployed = t.path().join("deployed.json");
    run(&["eval", "dkt", "--model", p(&model), "--data", p(&data), "--scoring", "deployed", "--json", p(&deployed)]);
    let dep: serde_json::Value = serde_json::from_slice(&std::fs::read(&deployed).unwrap()).unwrap();
    assert_eq!((ev["scoring"].as_str(), dep["scoring"].as_str()), (Some("windows"), Some("deployed")));
    assert!(dep["overall"]["n"].as_u64().unwrap() >= ev["overall"]["n"].as_u64().unwrap());

    // mastery as CSV: a header of skills, one row per chosen student, probabilities in [0, 1].
    let first_student = std::fs::read_to_string(&data).unwrap().lines().nth(1).unwrap().split(',').nth(2).unwrap().to_string();
    let out = run(&["mastery", "--model", p(&model), "--data", p(&data), "--students", &first_student, "--table", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    let skills: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("skills.json")).unwrap()).unwrap();
    assert_eq!(lines[0].split(',').count(), skills["names"].as_array().unwrap().len() + 1);
    assert!(lines[1].starts_with(&first_student));
    for v in lines[1].split(',').skip(1) {
        let v: f64 = v.parse().unwrap();
        assert!((0.0..=1.0).contains(&v));
    }

    // An unknown student is a clear error, not an empty table.
    let bad = bin().args(["mastery", "--model", p(&model), "--data", p(&data), "--students", "nobody"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'nobody'"));
}

/// A run trained on the input table (`--embed 0`, or made before `--embed` existed) resumes
/// without the flag: the resume keeps the saved run's input instead of switching to the default.
#[test]
fn a_resume_keeps_the_runs_input() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "9");
    let out = t.path().join("table");
    let mut args = train_args(p(&data), p(&out), "1");
    args.extend(["--embed", "0"]);
    run(&args);
    let mut args = train_args(p(&data), p(&out), "2");
    args.push("--resume");
    run(&args);
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert!(config["train"].get("embed").is_none(), "{config}");
    let history: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("history.json")).unwrap()).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
}

/// Multi-skill steps: the fused engine trains the mean probability by default, a run says so,
/// its resume keeps what it started with, and the burn engines refuse what they do not do.
#[test]
fn the_multi_skill_loss_is_the_engines_default_recorded_and_kept_on_resume() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "9");
    let config = |d: &Path| json(&d.join("config.json"))["train"].clone();
    let fused = t.path().join("fused");
    run(&train_args(p(&data), p(&fused), "1"));
    assert_eq!(config(&fused)["multi_skill_loss"], "mean-probability");
    let per_skill = t.path().join("per-skill");
    let mut args = train_args(p(&data), p(&per_skill), "1");
    args.extend(["--multi-skill-loss", "per-skill"]);
    run(&args);
    assert!(config(&per_skill).get("multi_skill_loss").is_none(), "the old default writes the old bytes");
    let mut args = train_args(p(&data), p(&per_skill), "2");
    args.push("--resume");
    run(&args);
    assert!(config(&per_skill).get("multi_skill_loss").is_none(), "the resume kept per-skill");
    // Windows: shifted by default (recorded), fixed on request (not written: the old bytes), and
    // a resume keeps the run's own cut.
    assert_eq!(config(&fused)["shift_windows"], true);
    let fixed = t.path().join("fixed");
    let mut args = train_args(p(&data), p(&fixed), "1");
    args.extend(["--window-cut", "fixed"]);
    run(&args);
    assert!(config(&fixed).get("shift_windows").is_none());
    let mut args = train_args(p(&data), p(&fixed), "2");
    args.push("--resume");
    run(&args);
    assert!(config(&fixed).get("shift_windows").is_none(), "the resume kept the fixed cut");
    let burn = t.path().join("burn");
    let mut args = train_args(p(&data), p(&burn), "1");
    args.extend(["--engine", "burn-ndarray", "--embed", "0", "--multi-skill-loss", "mean-probability"]);
    let out = bin().args(&args).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("fused engine only"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn resume_after_a_kill_matches_an_uninterrupted_run() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "9");
    // Enough epochs that the kill lands mid-run (each takes tens of milliseconds here).
    let epochs = "40";
    let straight = t.path().join("straight");
    run(&train_args(p(&data), p(&straight), epochs));

    // Start the same run, kill it once the first checkpoint is complete, then resume.
    let resumed = t.path().join("resumed");
    let mut child = bin().args(train_args(p(&data), p(&resumed), epochs)).spawn().unwrap();
    let marker = resumed.join("checkpoints/epoch-0001/state.json");
    let start = Instant::now();
    while !marker.exists() {
        assert!(start.elapsed() < Duration::from_secs(300), "no checkpoint written");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("training ended before it could be killed: {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!resumed.join("history.json").exists(), "the run finished before the kill: nothing was resumed");
    let mut args = train_args(p(&data), p(&resumed), epochs);
    args.push("--resume");
    run(&args);

    // Everything but the wall-clock timings (`seconds`, `sample_seconds`) must be identical.
    let hist = |d: &Path| -> serde_json::Value {
        let mut h: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("history.json")).unwrap()).unwrap();
        h.as_array_mut().unwrap().iter_mut().for_each(|e| {
            e.as_object_mut().unwrap().retain(|k, _| !k.ends_with("seconds"));
        });
        h
    };
    let (a, b) = (hist(&straight), hist(&resumed));
    assert_eq!(a.as_array().unwrap().len(), 40);
    assert_eq!(a, b, "the resumed run's history differs from the uninterrupted one");
    // The weights themselves (burnpack files also carry per-process parameter ids).
    let weights = |d: &Path| classlens_core::models::dkt::DktModel::load(d).unwrap().weights;
    assert_eq!(weights(&straight), weights(&resumed), "the resumed run ends with different weights");

    // A resume with another split is refused rather than silently permuting the skills.
    let mut other = train_args(p(&data), p(&resumed), epochs);
    other.extend(["--resume", "--test-frac", "0.3"]);
    let out = bin().args(&other).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("split.json differs"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_input_names_file_line_and_column_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let bad = t.path().join("bad.csv");
    std::fs::write(&bad, "order_id,user_id,problem_id,original,correct,skill_id\n1,u1,p1,1,1,s1\n2,u1,p2,1,maybe,s1\n").unwrap();
    let model = t.path().join("model");
    let out = bin().args(train_args(p(&bad), p(&model), "1")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3:5"), "{err}");
    assert!(err.contains("maybe"), "{err}");
    assert!(!model.exists(), "a failed load must not create the output directory");
}

#[test]
fn demo_prints_a_mastery_table() {
    let t = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--out", p(t.path()), "--epochs", "3"]);
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("Mastery of class"), "{s}");
    // 30 students in the demo class, each a row of probabilities.
    let rows = s.lines().filter(|l| l.starts_with("700")).count();
    assert_eq!(rows, 30, "{s}");
}

/// A small model on a generated classroom: fast enough for a test, big enough to run every path.
#[rustfmt::skip]
fn train_study_args<'a>(kind: &'a str, data: &'a str, out: &'a str, steps: &'a str) -> Vec<&'a str> {
    vec![
        "train", kind, "--train-data", data, "--out", out, "--steps", steps, "--seq-len", "24", "--d-model", "16", "--heads", "2", "--layers", "1", "--d-ff", "32",
        "--batch-size", "8", "--warmup-steps", "5", "--eval-every", "10", "--save-every", "10", "--learning-rate", "0.003", "--valid-frac", "0.25", "--quiet",
    ]
}

#[test]
fn train_study_then_recommend_on_a_generated_classroom() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("classroom");
    run(&["synth", "--seed", "5", "--out", p(&dir), "--small"]);
    let activity = dir.join("student_activity.csv");
    let model = t.path().join("study");
    let out = run(&train_study_args("study", p(&activity), p(&model), "20"));
    let table = String::from_utf8_lossy(&out.stdout);
    for needle in ["study", "popularity", "knn", "continue_pop", "pop_unread", "non_continuation", "non_history"] {
        assert!(table.contains(needle), "{needle} missing from:\n{table}");
    }
    for f in [
        "config.json",
        "vocab.json",
        "model.bpk",
        "history.json",
        "recommendations.json",
        "per_student.csv",
        "aggregate.csv",
        "report.json",
        "baselines/knn/aggregate.csv",
        "baselines/popularity/per_student.csv",
        "baselines/continue_pop/aggregate.csv",
        "baselines/pop_unread/aggregate.csv",
    ] {
        assert!(model.join(f).exists(), "{f} missing");
    }
    let agg = std::fs::read_to_string(model.join("aggregate.csv")).unwrap();
    assert!(agg.starts_with("Evaluation_Type,N_Recommendations,Hits_at_N\nall,1,"), "{agg}");
    assert_eq!(agg.lines().count(), 1 + 3 * 5, "three evaluation types x five n");
    let per = std::fs::read_to_string(model.join("per_student.csv")).unwrap();
    assert!(per.starts_with("Student_ID,Evaluation_Type,N_Recommendations,Hits_at_N\n"));
    let recs: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("recommendations.json")).unwrap()).unwrap();
    let first = recs.as_object().unwrap().values().find(|v| !v.as_array().unwrap().is_empty()).expect("a student with suggestions");
    assert_eq!(first[0].as_array().unwrap().len(), 20, "20 titles per read");

    // The held-out classrooms are recorded, and `eval study` scores only their readers.
    let split = json(&model.join("split.json"));
    let (n_train, n_valid) = (split["train"].as_array().unwrap().len(), split["valid"].as_array().unwrap().len());
    assert!(n_valid > 0 && n_train > 0, "{split}");
    let train: std::collections::HashSet<&str> = split["train"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(split["valid"].as_array().unwrap().iter().all(|s| !train.contains(s.as_str().unwrap())), "train and held-out readers overlap: {split}");
    let scored = |args: &[&str]| -> usize {
        let out = String::from_utf8(run(args).stdout).unwrap();
        out.split("hits@n on ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{out}"))
    };
    let held = scored(&["eval", "study", "--model", p(&model), "--data", p(&activity)]);
    assert!(held > 0 && held <= n_valid, "{held} scored, {n_valid} held out");
    assert_eq!(
        scored(&["eval", "study", "--model", p(&model), "--data", p(&activity), "--held-out-frac", "0.25"]),
        held,
        "the redrawn split is the recorded one"
    );
    assert!(scored(&["eval", "study", "--model", p(&model), "--data", p(&activity), "--split", "all"]) > held);
    let bad = bin().args(["eval", "study", "--model", p(&model), "--data", p(&activity), "--held-out-frac", "0.75"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("split.json"), "{}", String::from_utf8_lossy(&bad.stderr));

    // The deployed protocol: train reports it beside the reference's, and `eval study
    // --protocol deployed` on the held-out classrooms gives the same model row.
    assert!(table.contains("as deployed"), "{table}");
    let report = json(&model.join("report.json"));
    let deployed = report["deployed"].as_array().unwrap();
    let names: Vec<&str> = deployed.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(names, ["study", "popularity", "knn"]);
    let again = t.path().join("deployed.json");
    run(&["eval", "study", "--model", p(&model), "--data", p(&activity), "--protocol", "deployed", "--json", p(&again)]);
    let again = json(&again);
    assert_eq!(again[0]["aggregate"], deployed[0]["aggregate"], "eval and train score the deployed protocol alike");
    assert_eq!(again[1]["aggregate"], deployed[1]["aggregate"]);
    assert_eq!(again.as_array().unwrap().len(), 2, "no KNN without the training data");

    // Next read of two students, as JSON, never suggesting what they already read.
    let text = std::fs::read_to_string(&activity).unwrap();
    let students: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).take(40).collect();
    let (a, b) = (students[0], *students.iter().find(|s| **s != students[0]).unwrap());
    let who = format!("{a},{b}");
    let out = run(&["recommend", "--model", p(&model), "--data", p(&activity), "--students", &who, "--top", "3", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let student = row["student"].as_str().unwrap();
        let read: std::collections::HashSet<&str> =
            text.lines().filter(|l| l.starts_with(&format!("{student},"))).map(|l| l.split(',').nth(1).unwrap()).collect();
        let sugg = row["suggestions"].as_array().unwrap();
        assert_eq!(sugg.len(), 3);
        assert!(sugg.iter().all(|s| !read.contains(s["title"].as_str().unwrap())), "{student} was offered a title already read");
        assert!(sugg.windows(2).all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()), "best first");
    }
    // An unknown student is a clear error.
    let bad = bin().args(["recommend", "--model", p(&model), "--data", p(&activity), "--students", "nobody"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no reads for student(s) nobody"));
}

#[test]
fn later_reads_in_valid_data_are_scored_with_their_history_as_deployed() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("classroom");
    run(&["synth", "--seed", "5", "--out", p(&dir), "--small"]);
    // A split in time: reads before Sep 15 train, the rest are every student's later reads.
    let text = std::fs::read_to_string(dir.join("student_activity.csv")).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let (early, late): (Vec<&str>, Vec<&str>) = rows.lines().partition(|l| l.split(',').nth(2).unwrap() < "2025-09-15");
    for (name, part) in [("early", &early), ("late", &late)] {
        let d = t.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("student_activity.csv"), format!("{header}\n{}\n", part.join("\n"))).unwrap();
        for f in ["student_info.csv", "school_info.csv"] {
            std::fs::copy(dir.join(f), d.join(f)).unwrap();
        }
    }
    let model = t.path().join("study");
    let (train, valid) = (t.path().join("early/student_activity.csv"), t.path().join("late/student_activity.csv"));
    let mut args = train_study_args("study", p(&train), p(&model), "5");
    args.extend(["--valid-data", p(&valid)]);
    run(&args);
    let report = json(&model.join("report.json"));
    let students = |m: &serde_json::Value| {
        m["aggregate"].as_array().unwrap().iter().find(|a| a["eval_type"] == "All" && a["n"] == 1).map_or(0, |a| a["students"].as_u64().unwrap())
    };
    let (reference, deployed) = (students(&report["methods"][0]), students(&report["deployed"][0]));
    // Every student with later reads read before Sep 15, so all their later reads are scored
    // as deployed; the reference protocol loses each student's first later read, and students
    // with a single later read.
    let later_readers: std::collections::HashSet<&str> = late.iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(deployed as usize, later_readers.len(), "{report}");
    assert!(reference <= deployed, "{reference} > {deployed}");
    // `eval study --protocol deployed --history` scores the later file the same way.
    let again = t.path().join("again.json");
    run(&["eval", "study", "--model", p(&model), "--data", p(&valid), "--protocol", "deployed", "--history", p(&train), "--json", p(&again)]);
    assert_eq!(json(&again)[0]["aggregate"], report["deployed"][0]["aggregate"]);
}

#[test]
fn train_individual_resumes_and_bad_reading_input_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("classroom");
    run(&["synth", "--seed", "6", "--out", p(&dir), "--small"]);
    let activity = dir.join("student_activity.csv");
    let model = t.path().join("indiv");
    run(&train_study_args("individual", p(&activity), p(&model), "10"));
    let mut args = train_study_args("individual", p(&activity), p(&model), "20");
    args.push("--resume");
    run(&args);
    let history: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("history.json")).unwrap()).unwrap();
    let steps: Vec<u64> = history.as_array().unwrap().iter().map(|r| r["step"].as_u64().unwrap()).collect();
    assert_eq!(steps, [10, 20], "the resumed run continues after step 10");

    // Going on on a GPU (burn's wgpu runtime; lavapipe in CI) is the same run on another device.
    let mut args = train_study_args("individual", p(&activity), p(&model), "30");
    args.extend(["--resume", "--device", "wgpu"]);
    if cfg!(feature = "wgpu") {
        if std::env::var("CLASSLENS_SKIP_GPU").is_ok_and(|v| v == "1") {
            eprintln!("CLASSLENS_SKIP_GPU=1: --device wgpu not checked");
        } else {
            run(&args);
            let history: serde_json::Value = serde_json::from_slice(&std::fs::read(model.join("history.json")).unwrap()).unwrap();
            assert_eq!(history.as_array().unwrap().last().unwrap()["step"], 30, "resumed on the GPU");
        }
    } else {
        let out = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("built without GPU training"), "{err}");
    }

    // A date that is not a date: file, line and column; no output directory.
    let bad = t.path().join("bad_activity.csv");
    std::fs::write(&bad, "StudentID,SHLF_NUM,Date,Seconds Read\n1,HB11,2020-12-12,891\n1,HB12,12/30/2020,743\n").unwrap();
    let out_dir = t.path().join("never");
    let out = bin().args(train_study_args("study", p(&bad), p(&out_dir), "5")).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad_activity.csv:3:"), "{err}");
    assert!(!out_dir.exists(), "nothing half-written");

    // Two devices of a CPU backend: refused before anything is written, pointing at --workers.
    let mut args = train_study_args("individual", p(&activity), p(&out_dir), "5");
    args.extend(["--devices", "2"]);
    let out = bin().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("use --workers 2"), "{err}");
    assert!(!out_dir.exists(), "nothing half-written");

    // CUDA: a default build says how to get it; a CUDA build on a machine without an NVIDIA
    // driver says there is no GPU, before anything is written.
    let mut args = train_study_args("individual", p(&activity), p(&out_dir), "5");
    args.extend(["--device", "cuda"]);
    let out = bin().args(&args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if !cfg!(feature = "cuda") {
        assert!(!out.status.success() && err.contains("built without CUDA"), "{err}");
        assert!(!out_dir.exists(), "nothing half-written");
    } else if !out.status.success() {
        assert!(err.contains("CUDA GPU(s) wanted"), "{err}");
        assert!(!out_dir.exists(), "nothing half-written");
    }
}

#[test]
fn students_missing_from_student_info_are_reported_and_kept_alone() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("classroom");
    run(&["synth", "--seed", "8", "--out", p(&dir), "--small"]);
    // Drop the first student's info row: they still train, as a classroom of their own.
    let info = dir.join("student_info.csv");
    let text = std::fs::read_to_string(&info).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let gone = lines.remove(1).split(',').next().unwrap().to_string();
    std::fs::write(&info, lines.join("\n") + "\n").unwrap();
    let model = t.path().join("study");
    let out = bin().args(train_study_args("study", p(&dir.join("student_activity.csv")), p(&model), "5")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 students have activity but no row in student_info") && err.contains(&gone), "{err}");
    assert!(err.contains("neither class nor school"), "{err}");
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn train_mf_bpr_and_mse_against_their_baselines_and_bench_sampler_reports_the_share() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "9");
    let reads = t.path().join("class/student_activity.csv");
    // BPR on implicit reads: ranked over every title, against popularity.
    let bpr = t.path().join("bpr");
    let out = run(&[
        "train",
        "mf",
        "--data",
        p(&reads),
        "--loss",
        "bpr",
        "--dim",
        "16",
        "--epochs",
        "8",
        "--batch-size",
        "256",
        "--lr",
        "0.02",
        "--out",
        p(&bpr),
        "--quiet",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Recall@10"));
    let r = json(&bpr.join("report.json"));
    assert!(r["model"]["cells"].as_u64().unwrap() > 100);
    let (recall, ndcg) = (r["model"]["recall"].as_f64().unwrap(), r["model"]["ndcg"].as_f64().unwrap());
    assert!((0.0..=1.0).contains(&recall) && (0.0..=1.0).contains(&ndcg) && recall > 0.0, "{r}");
    let pop_recall = r["popularity"]["recall"].as_f64().unwrap();
    assert!(recall > 0.5 * pop_recall, "BPR Recall@10 {recall} is far below popularity's {pop_recall}: {r}");
    // MSE on answers' correctness: RMSE below the item-mean baseline's.
    let mse = t.path().join("mse");
    run(&["train", "mf", "--data", p(&data), "--loss", "mse", "--dim", "8", "--epochs", "6", "--lr", "0.01", "--out", p(&mse), "--quiet"]);
    let r = json(&mse.join("report.json"));
    let (rmse, base) = (r["model"]["rmse"].as_f64().unwrap(), r["popularity"]["rmse"].as_f64().unwrap());
    assert!(rmse < base, "RMSE {rmse} is not below the item-mean baseline's {base}");
    // A resume of the finished run with more epochs continues it.
    run(&["train", "mf", "--data", p(&data), "--loss", "mse", "--dim", "8", "--epochs", "7", "--lr", "0.01", "--out", p(&mse), "--quiet", "--resume"]);
    assert_eq!(json(&mse.join("history.json")).as_array().unwrap().len(), 7);

    let bench = t.path().join("sampler.json");
    run(&["bench", "sampler", "--model", "mf", "--data", p(&reads), "--epochs", "1", "--dim", "16", "--json", p(&bench)]);
    let s = json(&bench);
    let share = s["sample_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "{s}");
    run(&["bench", "sampler", "--model", "dkt", "--data", p(&data), "--epochs", "1", "--json", p(&bench)]);
    assert!(json(&bench)["sample_share"].as_f64().unwrap() < 1.0);
}

#[test]
fn distill_dkt_writes_the_table_and_refuses_another_split() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "5");
    let teacher = t.path().join("teacher");
    run(&train_args(p(&data), p(&teacher), "3"));
    let (student, alone) = (t.path().join("student"), t.path().join("alone"));
    let out = run(&[
        "distill",
        "--teacher",
        p(&teacher),
        "--student-size",
        "8",
        "--data",
        p(&data),
        "--out",
        p(&student),
        "--alone",
        p(&alone),
        "--alpha",
        "0.7",
        "--quiet",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("distilled student") && stdout.contains("student alone"), "{stdout}");
    let table = json(&student.join("distill.json"));
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let params: Vec<u64> = rows.iter().map(|r| r["params"].as_u64().unwrap()).collect();
    assert!(params[1] == params[2] && params[2] < params[0] / 2, "{params:?}");
    for r in rows {
        let auc = r["metrics"][0][1].as_f64().unwrap();
        assert!(auc > 0.55, "{r}");
        assert!(r["int8_bytes"].as_u64().unwrap() > 0);
    }
    // The student records its teacher, is a normal model directory and exports as a pack.
    assert!(json(&student.join("config.json"))["train"]["distill"]["alpha"].as_f64().unwrap() == 0.7);
    run(&["export", p(&student), "--out", p(&t.path().join("s.pack")), "--quantize", "int8"]);
    // --seed reseeds the student, not the split: the held-out students stay the teacher's.
    let seeded = t.path().join("seeded");
    run(&["distill", "--teacher", p(&teacher), "--student-size", "8", "--data", p(&data), "--out", p(&seeded), "--seed", "11", "--quiet"]);
    assert_eq!(json(&seeded.join("config.json"))["train"]["seed"].as_u64(), Some(11));
    assert_ne!(json(&student.join("config.json"))["train"]["seed"].as_u64(), Some(11));
    assert_eq!(json(&seeded.join("split.json")), json(&teacher.join("split.json")));
    // Another split than the teacher's is refused before anything is trained.
    let other = t.path().join("other");
    let out = bin()
        .args(["distill", "--teacher", p(&teacher), "--student-size", "8", "--data", p(&data), "--out", p(&other), "--valid-frac", "0.3", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another split"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!other.join("model.bpk").exists());
}

#[test]
fn train_bst_then_distill_study_and_mf_on_a_generated_classroom() {
    let t = tempfile::tempdir().unwrap();
    synth(&t.path().join("class"), "4");
    let reads = t.path().join("class/student_activity.csv");
    let bst = t.path().join("bst");
    let out = run(&[
        "train",
        "bst",
        "--train-data",
        p(&reads),
        "--out",
        p(&bst),
        "--epochs",
        "2",
        "--d-model",
        "16",
        "--heads",
        "2",
        "--layers",
        "1",
        "--d-ff",
        "32",
        "--mlp-hidden",
        "32",
        "--max-len",
        "8",
        "--lr-milestones",
        "1",
        "--select-frac",
        "0.34",
        "--quiet",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("bst") && table.contains("popularity") && table.contains("non_history"), "{table}");
    // One of the three training classrooms chose the epoch; the held-out one only reports.
    assert_eq!(json(&bst.join("report.json"))["epoch_chosen_on"], "selection");
    let history = json(&bst.join("history.json"));
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert!(history[1]["learning_rate"].as_f64().unwrap() < history[0]["learning_rate"].as_f64().unwrap(), "the step schedule lowered the rate");

    let teacher = t.path().join("study");
    run(&train_study_args("study", p(&reads), p(&teacher), "40"));
    let student = t.path().join("study-student");
    let out = run(&[
        "distill",
        "--teacher",
        p(&teacher),
        "--student-size",
        "8",
        "--data",
        p(&reads),
        "--out",
        p(&student),
        "--epochs",
        "20",
        "--temperature",
        "2",
        "--valid-frac",
        "0.25",
        "--quiet",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("hits@5"));
    let rows = json(&student.join("distill.json"))["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    // The student records the teacher's held-out classrooms, so `eval study` never redraws them.
    assert_eq!(json(&student.join("split.json")), json(&teacher.join("split.json")));
    assert!(rows[1]["params"].as_u64().unwrap() < rows[0]["params"].as_u64().unwrap());

    let mf = t.path().join("mf");
    run(&["train", "mf", "--data", p(&reads), "--dim", "16", "--epochs", "3", "--out", p(&mf), "--quiet"]);
    let mf_student = t.path().join("mf-student");
    run(&["distill", "--teacher", p(&mf), "--student-size", "4", "--data", p(&reads), "--out", p(&mf_student), "--quiet"]);
    let rows = json(&mf_student.join("distill.json"))["rows"].as_array().unwrap().clone();
    assert_eq!(rows[1]["size"].as_u64(), Some(4));
    // MF draws its split with the run's seed, so another student seed is refused, not ignored.
    let out = bin()
        .args(["distill", "--teacher", p(&mf), "--student-size", "4", "--data", p(&reads), "--out", p(&t.path().join("mf-seeded")), "--seed", "3"])
        .output()
        .unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--seed applies to DKT and STUDY"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mastery_warns_when_answers_are_on_skills_the_model_does_not_know() {
    let t = tempfile::tempdir().unwrap();
    let csv = t.path().join("other.csv");
    std::fs::write(&csv, "order_id,user_id,problem_id,original,correct,skill_id,skill_name\n1,ann,5,1,1,999,Unknown skill\n2,ann,6,1,0,998,Other\n").unwrap();
    let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/../public/demo/dkt.pack");
    let out = run(&["mastery", "--model", pack, "--data", p(&csv), "--table", "csv"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 answers are on skills the model does not know") && stderr.contains("the table is empty"), "{stderr}");
}

/// The attention model from the CLI, as `train dkt` is used: the same split files and reports,
/// a held-out AUC above chance and below the generator's oracle (no leak), `eval akt` on the
/// remembered split, and a resumed run that ends where an uninterrupted one does.
#[test]
fn train_akt_evaluates_like_dkt_and_resumes() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "6");
    let args = |out: &Path, epochs: &'static str| -> Vec<String> {
        [
            "train",
            "akt",
            "--data",
            p(&data),
            "--out",
            p(out),
            "--epochs",
            epochs,
            "--dim",
            "16",
            "--heads",
            "2",
            "--ff",
            "32",
            "--lr",
            "0.02",
            "--seed",
            "4",
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let model = t.path().join("akt");
    let a = args(&model, "6");
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    for f in ["config.json", "skills.json", "problems.json", "model.bpk", "split.json", "history.json", "test_metrics.json"] {
        assert!(model.join(f).exists(), "{f} missing");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("test: AUC") && stdout.contains("baseline: BKT per skill (EM), test: AUC"), "{stdout}");
    let metrics = json(&model.join("test_metrics.json"));
    assert_eq!(metrics["overall"]["n"], metrics["bkt"]["n"], "scored on the same steps as the baselines");
    let auc = metrics["overall"]["auc"].as_f64().unwrap();
    let oracle = oracle_auc(&t.path().join("class"));
    // Above each skill's mean (it learnt something about the students, not only how hard each
    // skill is) and not above the generator's own oracle (no leak).
    let baseline = metrics["baseline"]["auc"].as_f64().unwrap();
    assert!(auc > baseline + 0.02 && auc < oracle + 0.05, "held-out AUC {auc} (skill means {baseline}, oracle {oracle})");

    let ev_path = t.path().join("eval.json");
    run(&["eval", "akt", "--model", p(&model), "--data", p(&data), "--json", p(&ev_path)]);
    let ev = json(&ev_path);
    assert_eq!(
        (&ev["overall"]["auc"], &ev["overall"]["n"]),
        (&metrics["overall"]["auc"], &metrics["overall"]["n"]),
        "eval akt --split auto scores the run's test students"
    );
    // Every scored step, once, with the report's count.
    let steps_path = t.path().join("steps.csv");
    run(&["eval", "akt", "--model", p(&model), "--data", p(&data), "--predictions", p(&steps_path)]);
    let steps = std::fs::read_to_string(&steps_path).unwrap();
    let lines: Vec<&str> = steps.lines().collect();
    assert_eq!(lines[0], "student,step,problem,skills,correct,p");
    assert_eq!((lines.len() - 1) as u64, ev["overall"]["n"].as_u64().unwrap());
    assert!(lines[1..].iter().all(|l| l.rsplit(',').next().unwrap().parse::<f64>().is_ok_and(|p| (0.0..=1.0).contains(&p))));

    let resumed = t.path().join("resumed");
    let first = args(&resumed, "2");
    run(&first.iter().map(String::as_str).collect::<Vec<_>>());
    let mut rest = args(&resumed, "6");
    rest.push("--resume".into());
    run(&rest.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(json(&resumed.join("test_metrics.json"))["overall"]["auc"], metrics["overall"]["auc"], "resumed, the run ends where it would have");
    assert_eq!(json(&resumed.join("history.json")).as_array().unwrap().len(), 6);

    // Exported, it is a pack that `eval akt` and `mastery` read (as the directory reads).
    let pack = t.path().join("akt.pack");
    run(&["export", p(&model), "--out", p(&pack), "--quantize", "none"]);
    let from_pack = t.path().join("pack-eval.json");
    run(&["eval", "akt", "--model", p(&pack), "--data", p(&data), "--split", "all", "--json", p(&from_pack)]);
    let from_dir = t.path().join("dir-eval.json");
    run(&["eval", "akt", "--model", p(&model), "--data", p(&data), "--split", "all", "--json", p(&from_dir)]);
    let (x, y) = (json(&from_pack)["overall"]["auc"].as_f64().unwrap(), json(&from_dir)["overall"]["auc"].as_f64().unwrap());
    assert!((x - y).abs() < 1e-6, "an f32 pack scores as its directory: {x} vs {y}");
    let out = run(&["mastery", "--model", p(&pack), "--data", p(&data), "--table", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let skills = json(&model.join("skills.json"))["names"].as_array().unwrap().len();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0].split(',').count(), skills + 1, "{}", rows[0]);
    assert!(rows.len() > 10);
    assert!(rows[1..].iter().all(|r| r.split(',').skip(1).all(|v| v.parse::<f64>().is_ok_and(|v| (0.0..=1.0).contains(&v)))));
}

#[test]
fn train_bkt_holds_out_dkt_s_students_and_exports_a_pack_mastery_reads() {
    let t = tempfile::tempdir().unwrap();
    let data = synth(&t.path().join("class"), "7");
    let model = t.path().join("bkt");
    let out = run(&["train", "bkt", "--data", p(&data), "--out", p(&model), "--seed", "3", "--quiet"]);
    for f in ["config.json", "skills.json", "bkt.json", "split.json", "test_metrics.json"] {
        assert!(model.join(f).exists(), "{f} missing");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("test: AUC") && stdout.contains("baseline: each skill's mean, test: AUC"), "{stdout}");
    let metrics = json(&model.join("test_metrics.json"));
    let (auc, baseline) = (metrics["overall"]["auc"].as_f64().unwrap(), metrics["baseline"]["auc"].as_f64().unwrap());
    assert!(auc > baseline && auc < oracle_auc(&t.path().join("class")) + 0.05, "BKT {auc}, each skill's mean {baseline}");

    // The same seed holds out the same students as train dkt, and BKT scores the steps of the
    // BKT row of DKT's report.
    let dkt = t.path().join("dkt");
    run(&train_args(p(&data), p(&dkt), "1"));
    assert_eq!(json(&dkt.join("split.json"))["test"], json(&model.join("split.json"))["test"]);
    assert_eq!(json(&dkt.join("test_metrics.json"))["bkt"], metrics["overall"], "train dkt's BKT row is this model's score");

    let ev_path = t.path().join("eval.json");
    run(&["eval", "bkt", "--model", p(&model), "--data", p(&data), "--json", p(&ev_path)]);
    assert_eq!(json(&ev_path)["overall"], metrics["overall"], "eval bkt --split auto scores the run's test students");
    let refused = bin().args(["eval", "bkt", "--model", p(&dkt), "--data", p(&data)]).output().unwrap();
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("not a BKT model"));

    // Exported (the parameters are kept exact whatever --quantize says), the pack gives the
    // directory's mastery table, and says its held-out score.
    let pack = t.path().join("bkt.pack");
    let out = run(&["export", p(&model), "--out", p(&pack)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("bkt model, none weights"), "{}", String::from_utf8_lossy(&out.stdout));
    // No --quantize asked, so nothing to say about it; asking for int8 is answered.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("does not apply"), "{}", String::from_utf8_lossy(&out.stderr));
    let asked = run(&["export", p(&model), "--out", p(&pack), "--quantize", "int8"]);
    assert!(String::from_utf8_lossy(&asked.stderr).contains("--quantize int8 does not apply"), "{}", String::from_utf8_lossy(&asked.stderr));
    let table = |m: &Path| String::from_utf8(run(&["mastery", "--model", p(m), "--data", p(&data), "--table", "csv"]).stdout).unwrap();
    let csv = table(&pack);
    assert_eq!(csv, table(&model));
    let skills = json(&model.join("skills.json"))["names"].as_array().unwrap().len();
    assert_eq!(csv.lines().next().unwrap().split(',').count(), skills + 1);
    let (meta, _) = classlens_core::pack::read_meta(&std::fs::read(&pack).unwrap()).unwrap();
    let held = meta.about.unwrap().held_out.unwrap();
    assert_eq!((held.metric.as_str(), held.value), ("AUC", auc));
}
