//! The page's STUDY / Individual fit (`classlens_core::fit::study`), natively, for
//! BENCHMARKS.md "Fitting STUDY to a class":
//!
//! - `cargo run --release -p classlens-core --example fit_study -- sweep STEPS LR D_MODEL BATCH`
//!   fits generated classrooms (`SynthConfig::default()` with seeds 1-3; the demo is seed 7) with
//!   those settings and prints each fit's chosen step, time and test hits@5 beside popularity:
//!   how the page's defaults were chosen.
//! - `... --example fit_study -- dir DIR [study|individual]` fits `DIR/student_activity.csv`
//!   (with `DIR/student_info.csv`) with the page's defaults, as the page fits the same files: one
//!   line with steps, seconds and the verdict, to set beside the page's time.
use std::path::Path;

use classlens_core::data::Interactions;
use classlens_core::data::load::{Format, Upload, read_upload};
use classlens_core::data::study::read_study_info;
use classlens_core::fit::study::{StudyFitSettings, StudyFitStep, prepare_study};
use classlens_core::models::study::net::RecommenderKind;
use classlens_core::synth::{STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, SynthConfig, generate, render_files};

fn reads(activity: &[u8], info: &[u8]) -> Interactions {
    let Upload::Reads(mut r) = read_upload(STUDENT_ACTIVITY_FILE, activity, Format::Auto, None).expect("a reading log") else {
        panic!("{STUDENT_ACTIVITY_FILE} is not a reading log")
    };
    read_study_info(&mut r, info, STUDENT_INFO_FILE).expect("student info");
    r
}

fn fit(r: &Interactions, s: &StudyFitSettings) -> String {
    let data = prepare_study(r, "x", s).expect("a class that can be fitted");
    let t = std::time::Instant::now();
    let mut fit = data.start().expect("the fit starts");
    while fit.step() != StudyFitStep::Finished {}
    let secs = t.elapsed().as_secs_f64();
    let (best, loss, _) = fit.best().expect("scored at least once");
    let t = std::time::Instant::now();
    let v = data.verdict(&fit.best_model().expect("a best step"));
    let verdict_secs = t.elapsed().as_secs_f64();
    format!(
        "{:?}: best step {best} (valid loss {loss:.3}) of {} steps, {secs:.2} s ({:.1} ms/step), verdict {verdict_secs:.2} s; test hits@5 model {:.3}, popularity {:.3} ({} students)",
        s.kind,
        fit.steps_done(),
        secs * 1000.0 / fit.steps_done().max(1) as f64,
        v.model.unwrap_or(f64::NAN),
        v.popularity.unwrap_or(f64::NAN),
        v.test_students
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sweep") => {
            let num = |i: usize| args.get(i).and_then(|a| a.parse::<f64>().ok()).expect("sweep STEPS LR D_MODEL BATCH");
            for kind in [RecommenderKind::Study, RecommenderKind::Individual] {
                for seed in [1u64, 2, 3] {
                    let files = render_files(&generate(&SynthConfig { seed, ..SynthConfig::default() })).expect("generated files");
                    let bytes = |name: &str| files.iter().find(|(n, _)| *n == name).map(|f| f.1.clone()).expect("generated file");
                    let r = reads(&bytes(STUDENT_ACTIVITY_FILE), &bytes(STUDENT_INFO_FILE));
                    let d = num(3) as usize;
                    let s = StudyFitSettings {
                        steps: num(1) as usize,
                        learning_rate: num(2),
                        d_model: d,
                        d_ff: 2 * d,
                        batch_size: num(4) as usize,
                        ..StudyFitSettings::new(kind)
                    };
                    println!("seed {seed} {}", fit(&r, &s));
                }
            }
        }
        Some("dir") => {
            let dir = Path::new(args.get(1).expect("dir DIR"));
            let kind = if args.get(2).map(String::as_str) == Some("individual") { RecommenderKind::Individual } else { RecommenderKind::Study };
            let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()));
            println!("{}", fit(&reads(&read(STUDENT_ACTIVITY_FILE), &read(STUDENT_INFO_FILE)), &StudyFitSettings::new(kind)));
        }
        _ => eprintln!("usage: fit_study sweep STEPS LR D_MODEL BATCH | fit_study dir DIR [study|individual]"),
    }
}
