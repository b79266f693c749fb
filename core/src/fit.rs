//! Fitting DKT (and BKT, on the same split: [`DktFitData::fit_bkt`]) to a teacher's own class, in
//! the page ([`study`] fits STUDY and Individual): the same split, the same fused trainer
//! ([`DktFit`], which `classlens train dkt` drives too) and the same evaluation as the CLI, so a
//! class fitted in the browser and by `classlens train dkt` with [`DktFitSettings::cli_flags`]
//! ends with the same held-out AUC.
//!
//! What a teacher needs beyond the CLI is a verdict they can trust: the model's AUC on students
//! it never saw, beside the baseline that knows only how hard each skill is
//! ([`skill_mean_baseline`]), and a refusal, with the reason, to use a model that does not beat
//! it. Everything here is plain data in memory (no files, no clock), so it runs in wasm and is
//! tested natively; the page drives [`DktFit::step`] and yields between steps.

use serde::{Deserialize, Serialize};

pub mod study;

use crate::data::Interactions;
use crate::metrics::BinaryReport;
use crate::models::bkt::{BktConfig, BktModel};
use crate::models::dkt::DktModel;
use crate::models::dkt::config::{DktTrainConfig, MultiSkillLoss};
pub use crate::models::dkt::train::{DktFit, FitStep, Progress};
use crate::models::dkt::train::{evaluate_dkt, skill_mean_baseline};
use crate::pack::{HeldOutScore, PackAbout, Quantization, write_bkt_about, write_dkt_about};
use crate::sequences::kt::{KtSplits, Scoring, kt_splits_with};
use crate::sequences::split::check_fractions;

/// A fit holds out students twice: some to pick the epoch, some to judge the model. Fewer
/// judging students or answers than these make the verdict noise, so the fit is refused.
pub const MIN_TEST_STUDENTS: usize = 3;
pub const MIN_VALID_STUDENTS: usize = 2;
/// Held-out answers the verdict needs (scored steps of the test students).
pub const MIN_TEST_ANSWERS: usize = 100;

/// The settings of a fit in the page. The defaults were chosen on generated classes of 30
/// (`classlens synth`, see BENCHMARKS.md "Fitting DKT to a class"), never on the data a fit is
/// judged on: a class is about 50 times smaller than the benchmark logs, so the CLI's defaults
/// (hidden 100, batch 64) would take one optimizer step per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DktFitSettings {
    /// The trainer's settings (the fused engine, plain DKT).
    pub train: DktTrainConfig,
    /// Share of students held out to pick the epoch.
    pub valid_frac: f64,
    /// Share of students held out to judge the model against the baseline.
    pub test_frac: f64,
}

impl Default for DktFitSettings {
    fn default() -> Self {
        let train = DktTrainConfig { hidden: 32, window: 100, batch_size: 4, epochs: 20, learning_rate: 3e-3, seed: 42, ..Default::default() };
        Self { train, valid_frac: 0.2, test_frac: 0.2 }
    }
}

impl DktFitSettings {
    /// The `classlens train dkt` flags that fit the same model on the same split.
    pub fn cli_flags(&self) -> String {
        let t = &self.train;
        format!(
            "--hidden {} --embed {} --multi-skill-loss {} --window-cut {} --window {} --batch-size {} --epochs {} --lr {} --seed {} --valid-frac {} --test-frac {}",
            t.hidden,
            t.embed,
            match t.multi_skill_loss {
                MultiSkillLoss::PerSkill => "per-skill",
                MultiSkillLoss::MeanProbability => "mean-probability",
            },
            if t.shift_windows { "shifted" } else { "fixed" },
            t.window,
            t.batch_size,
            t.epochs,
            t.learning_rate,
            t.seed,
            self.valid_frac,
            self.test_frac
        )
    }
}

/// A class, split and checked, ready to fit.
pub struct DktFitData {
    pub splits: KtSplits,
    pub settings: DktFitSettings,
    /// The training data's file name, for the pack.
    pub source: String,
}

/// Splits `data` as `classlens train dkt` does and checks that a fit can be judged at all: a
/// class too small to hold students out, or one where every answer is right (or every one
/// wrong), is refused with the reason, before any training.
pub fn prepare_dkt(data: &Interactions, source: &str, settings: &DktFitSettings) -> Result<DktFitData, String> {
    check_fractions(settings.valid_frac, settings.test_frac).map_err(|e| format!("the held-out shares {e}"))?;
    let splits = kt_splits_with(data, None, settings.valid_frac, settings.test_frac, settings.train.seed, false);
    let students = splits.train.len() + splits.valid.len() + splits.test.len();
    if splits.vocab.is_empty() || students == 0 {
        return Err("no answer in this data is tagged with a skill, so there is nothing to fit".into());
    }
    if splits.valid.len() < MIN_VALID_STUDENTS || splits.test.len() < MIN_TEST_STUDENTS {
        return Err(format!(
            "{students} student(s) with answers: a fit holds out {} of them to choose the epoch (DKT; BKT leaves them out too) and {} to judge the model, and needs at least {MIN_VALID_STUDENTS} and {MIN_TEST_STUDENTS} ({} students at these shares); the current model stays in use",
            splits.valid.len(),
            splits.test.len(),
            needed_students(settings).map_or("more".to_string(), |n| format!("at least {n}"))
        ));
    }
    let answers = || splits.train.iter().chain(&splits.valid).chain(&splits.test).flat_map(|q| &q.steps);
    if answers().all(|s| s.correct) || answers().all(|s| !s.correct) {
        let which = if answers().all(|s| s.correct) { "correct" } else { "wrong" };
        return Err(format!(
            "every answer in this data is {which}: there is nothing for a model to tell apart, so it cannot be fitted or judged; the current model stays in use"
        ));
    }
    Ok(DktFitData { splits, settings: settings.clone(), source: source.to_string() })
}

/// The fewest students whose split (rounded as `split3` rounds) holds out enough to choose and
/// to judge.
fn needed_students(settings: &DktFitSettings) -> Option<usize> {
    let held = |n: usize, frac: f64| (n as f64 * frac).round() as usize;
    (1..100_000).find(|&n| held(n, settings.valid_frac) >= MIN_VALID_STUDENTS && held(n, settings.test_frac) >= MIN_TEST_STUDENTS)
}

impl DktFitData {
    /// The training run, initialised from the settings' seed.
    pub fn start(&self) -> Result<DktFit<'_>, String> {
        let s = &self.splits;
        DktFit::new(&s.train, &s.valid, &s.vocab, &s.problems, &self.settings.train, None).map_err(|e| e.to_string())
    }

    /// `model` and the baseline on the held-out test students (never used for training or for
    /// choosing the epoch).
    pub fn verdict(&self, model: &DktModel) -> Verdict {
        self.judged(evaluate_dkt(&model.weights, &model.vocab, &self.splits.test, Scoring::Windows(self.settings.train.window)).overall)
    }

    /// A model's report on the test students beside the baseline's, on the same answers.
    fn judged(&self, model: BinaryReport) -> Verdict {
        let s = &self.splits;
        Verdict {
            model,
            baseline: skill_mean_baseline(&s.train, &s.test, s.vocab.len(), Scoring::Windows(self.settings.train.window)),
            test_students: s.test.len(),
            train_students: s.train.len(),
            source: self.source.clone(),
        }
    }

    /// BKT fitted on the same training students (EM to convergence: it has no epoch to choose,
    /// so the validation students only stay out, as `classlens train bkt` keeps them out) and
    /// judged as DKT is, on the same test students' answers.
    pub fn fit_bkt(&self) -> (BktModel, Verdict) {
        let s = &self.splits;
        let window = self.settings.train.window;
        let model = BktModel::fit(&s.train, s.vocab.clone(), window, BktConfig::default());
        let verdict = self.judged(model.bkt.report(&s.test, Scoring::Windows(window)));
        (model, verdict)
    }
}

/// A fitted model's held-out score beside the baseline's, on the same answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub model: BinaryReport,
    pub baseline: BinaryReport,
    pub test_students: usize,
    pub train_students: usize,
    pub source: String,
}

impl Verdict {
    /// Whether the model may replace the one in use: only when it ranks the held-out answers
    /// better than each skill's mean does; otherwise why not.
    pub fn accept(&self) -> Result<(), String> {
        if self.model.n < MIN_TEST_ANSWERS {
            return Err(format!(
                "only {} answers of {} held-out students could judge the fitted model (at least {MIN_TEST_ANSWERS} are needed), so the current model stays in use",
                self.model.n, self.test_students
            ));
        }
        match (self.model.auc, self.baseline.auc) {
            (Some(m), Some(b)) if m > b => Ok(()),
            (Some(m), Some(b)) => Err(format!(
                "the fitted model's AUC on {} held-out students ({m:.3}) is not above each skill's mean ({b:.3}): it would steer by noise, so the current model stays in use",
                self.test_students
            )),
            _ => Err(format!(
                "the {} held-out students' answers are all right or all wrong, so the fitted model cannot be judged; the current model stays in use",
                self.test_students
            )),
        }
    }

    /// What the fitted model's pack records about itself.
    pub fn about(&self) -> PackAbout {
        PackAbout {
            trained_on: self.source.clone(),
            students: self.train_students,
            held_out: self.model.auc.map(|value| HeldOutScore {
                metric: "AUC".into(),
                value,
                baseline: self.baseline.auc.map(|b| ("each skill's mean".to_string(), b)),
                students: self.test_students,
                n: self.model.n,
            }),
        }
    }
}

/// The fitted model as a pack (f32, so the page, `classlens eval` and `classlens mastery` read
/// exactly the weights that were judged).
pub fn fitted_pack(model: &DktModel, verdict: &Verdict) -> Result<Vec<u8>, String> {
    write_dkt_about(model, Quantization::None, Some(verdict.about())).map_err(|e| e.to_string())
}

/// A fitted BKT as a pack (its parameters exact), as `classlens train bkt` + `export` write it.
pub fn fitted_bkt_pack(model: &BktModel, verdict: &Verdict) -> Result<Vec<u8>, String> {
    write_bkt_about(model, Some(verdict.about())).map_err(|e| e.to_string())
}

/// Trains `data` to the end in one call (tests and the CLI-side check; the page steps instead).
pub fn fit_dkt(data: &DktFitData) -> Result<(DktModel, Verdict), String> {
    let mut fit = data.start()?;
    while fit.step(&mut |_| {}).map_err(|e| e.to_string())? != FitStep::Finished {}
    let model = fit.best_model().ok_or("no epoch was trained")?;
    let verdict = data.verdict(&model);
    Ok((model, verdict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{Format, Upload, read_upload};
    use crate::pack::read_meta;
    use crate::synth::{SKILL_BUILDER_FILE, SynthConfig, generate, render_files};

    fn class() -> Interactions {
        let files = render_files(&generate(&SynthConfig::small())).unwrap();
        let (name, bytes) = files.into_iter().find(|(n, _)| *n == SKILL_BUILDER_FILE).unwrap();
        match read_upload(name, &bytes, Format::Auto, None).unwrap() {
            Upload::Practice(d) => d,
            _ => panic!("answers expected"),
        }
    }

    #[test]
    fn a_generated_class_fits_beats_the_baseline_and_packs_its_verdict() {
        let data = prepare_dkt(&class(), SKILL_BUILDER_FILE, &DktFitSettings::default()).unwrap();
        let (model, verdict) = fit_dkt(&data).unwrap();
        verdict.accept().unwrap();
        assert!(verdict.model.auc.unwrap() > verdict.baseline.auc.unwrap());
        assert_eq!(verdict.model.n, verdict.baseline.n, "both on the same answers");
        let pack = fitted_pack(&model, &verdict).unwrap();
        let (meta, _) = read_meta(&pack).unwrap();
        let about = meta.about.unwrap();
        assert_eq!(about.trained_on, SKILL_BUILDER_FILE);
        assert_eq!(about.held_out.unwrap().value, verdict.model.auc.unwrap());
        // The pack holds the judged weights exactly.
        let back = crate::infer::load_pack(&pack).unwrap().into_dkt().unwrap();
        assert_eq!(data.verdict(&back), verdict);
    }

    #[test]
    fn bkt_fits_the_same_split_and_its_pack_holds_what_was_judged() {
        let data = prepare_dkt(&class(), SKILL_BUILDER_FILE, &DktFitSettings::default()).unwrap();
        let (model, verdict) = data.fit_bkt();
        verdict.accept().unwrap();
        let (_, dkt) = fit_dkt(&data).unwrap();
        assert_eq!((verdict.model.n, verdict.baseline.auc), (dkt.model.n, dkt.baseline.auc), "the same held-out answers as DKT's verdict");
        let pack = fitted_bkt_pack(&model, &verdict).unwrap();
        let crate::pack::LoadedPack::Bkt(back) = crate::infer::load_pack(&pack).unwrap() else { panic!("a bkt pack") };
        assert_eq!(back, model);
        assert_eq!(read_meta(&pack).unwrap().0.about.unwrap(), verdict.about());
    }

    #[test]
    fn the_stepper_is_the_cli_trainer() {
        let data = prepare_dkt(&class(), "x.csv", &{
            let mut s = DktFitSettings::default();
            s.train.epochs = 3;
            s
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let s = &data.splits;
        let cfg = data.settings.train.clone();
        crate::models::dkt::train::train_dkt(&s.train, &s.valid, &s.vocab, &s.problems, &cfg, dir.path(), false, &mut |_| {}).unwrap();
        let from_files = DktModel::load(dir.path()).unwrap();
        let (in_memory, _) = fit_dkt(&data).unwrap();
        assert_eq!(from_files.weights.params(), in_memory.weights.params());
    }

    #[test]
    fn classes_that_cannot_be_judged_are_refused_with_the_reason() {
        let one = read_upload("dkt.csv", b"3\n1,2,1\n1,0,1\n", Format::Auto, None).unwrap();
        let Upload::Practice(one) = one else { panic!() };
        let err = prepare_dkt(&one, "dkt.csv", &DktFitSettings::default()).err().unwrap();
        assert!(err.contains("1 student(s)") && err.contains("at least 2 and 3 (at least 13 students"), "{err}");
        let mut lines = String::new();
        for _ in 0..20 {
            lines.push_str("3\n1,2,1\n1,1,1\n");
        }
        let Upload::Practice(right) = read_upload("dkt.csv", lines.as_bytes(), Format::Auto, None).unwrap() else { panic!() };
        let err = prepare_dkt(&right, "dkt.csv", &DktFitSettings::default()).err().unwrap();
        assert!(err.contains("every answer in this data is correct"), "{err}");
        let bad = DktFitSettings { valid_frac: 0.6, test_frac: 0.5, ..Default::default() };
        assert!(prepare_dkt(&class(), "x", &bad).err().unwrap().contains("sum to less than 1"));
    }

    #[test]
    fn a_model_no_better_than_the_baseline_is_refused() {
        let r = |auc| BinaryReport { n: 300, auc, accuracy: 0.5, rmse: 0.5, log_loss: 0.7 };
        let v = Verdict { model: r(Some(0.61)), baseline: r(Some(0.63)), test_students: 6, train_students: 18, source: "x".into() };
        let err = v.accept().unwrap_err();
        assert!(err.contains("0.610") && err.contains("0.630") && err.contains("stays in use"), "{err}");
        assert!(Verdict { model: r(None), ..v.clone() }.accept().unwrap_err().contains("cannot be judged"));
        assert!(Verdict { model: r(Some(0.7)), ..v.clone() }.accept().is_ok());
        let few = BinaryReport { n: 40, ..r(Some(0.9)) };
        assert!(
            Verdict { model: few, ..v }.accept().unwrap_err().contains("only 40 answers of 6 held-out students"),
            "a verdict on a handful of answers is noise"
        );
    }
}
