//! Fitting STUDY or Individual to a teacher's own classes, in the page: the CLI's trainer
//! ([`RecStepper`], the loop of `classlens train study`), its classroom split and its hits@n
//! evaluation, in memory.
//!
//! Where the CLI trains a fixed number of steps, a fit in the page cannot be watched by an
//! engineer, so it holds out classrooms twice: validation classrooms choose the step (the best
//! validation loss, stopping once it has not improved for [`StudyFitSettings::patience`]
//! evaluations: a class's log is small and a transformer over-fits it), and test classrooms judge
//! the chosen model against classroom popularity, the baseline a teacher can reason about. A
//! model that does not beat popularity on the test classrooms is refused with the reason.

use serde::{Deserialize, Serialize};

use crate::data::Interactions;
use crate::eval::hits::EvalType;
use crate::eval::report::{model_hits, popularity};
use crate::models::device::BurnBackend;
use crate::models::device::reference_device;
use crate::models::study::config::{RecRunConfig, RecTrainConfig};
use crate::models::study::model::StudyModel;
use crate::models::study::net::{Recommender, RecommenderConfig, RecommenderKind};
use crate::models::study::train::{RecStepper, Selection};
use crate::pack::{HeldOutScore, PackAbout, Quantization, write_recommender_about};
use crate::sequences::split::check_fractions;
use crate::sequences::study::{PackConfig, StudyData, TitleVocab, build_study, split_classrooms};

/// Students of the test classrooms whose hits@5 the verdict averages: fewer make it noise.
pub const MIN_TEST_STUDENTS: usize = 5;

/// The settings of a fit in the page. A small model: a class's log is thousands of reads, not
/// the millions the CLI's defaults (128 dimensions, 2 layers) are sized for. Chosen on generated
/// classrooms (`classlens synth`, see BENCHMARKS.md "Fitting STUDY to a class"), never on the
/// data a fit is judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyFitSettings {
    pub kind: RecommenderKind,
    pub d_model: usize,
    pub heads: usize,
    pub layers: usize,
    pub d_ff: usize,
    pub seq_len: usize,
    /// Titles with their own id (the most read in training).
    pub vocab_size: usize,
    pub batch_size: usize,
    /// At most this many optimizer steps.
    pub steps: usize,
    pub learning_rate: f64,
    pub warmup_steps: usize,
    /// Steps between two validation scores.
    pub eval_every: usize,
    /// Stop after this many validation scores without a better loss.
    pub patience: usize,
    pub seed: u64,
    /// Share of classrooms held out to choose the step.
    pub valid_frac: f64,
    /// Share of classrooms held out to judge the model against popularity.
    pub test_frac: f64,
}

impl StudyFitSettings {
    pub fn new(kind: RecommenderKind) -> Self {
        Self {
            kind,
            d_model: 32,
            heads: 2,
            layers: 1,
            d_ff: 64,
            seq_len: 65,
            vocab_size: 2000,
            batch_size: 8,
            steps: 600,
            learning_rate: 3e-3,
            warmup_steps: 30,
            eval_every: 20,
            patience: 5,
            seed: 0,
            valid_frac: 0.2,
            test_frac: 0.2,
        }
    }

    /// The training run for `vocab`.
    pub fn run(&self, vocab: &TitleVocab) -> Result<RecRunConfig, String> {
        let model = RecommenderConfig {
            d_model: self.d_model,
            n_heads: self.heads,
            n_layers: self.layers,
            d_ff: self.d_ff,
            ..RecommenderConfig::new(self.kind, vocab.len())
        };
        let pack = PackConfig::new(self.seq_len, self.seq_len).map_err(|e| e.to_string())?;
        let train = RecTrainConfig {
            steps: self.steps,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            warmup_steps: self.warmup_steps,
            seed: self.seed,
            eval_every: self.eval_every,
            save_every: self.steps.max(1),
            backend: BurnBackend::Flex,
            ..Default::default()
        };
        Ok(RecRunConfig::new(model, pack, train))
    }
}

/// Classrooms split, arranged and checked, ready to fit.
pub struct StudyFitData {
    pub settings: StudyFitSettings,
    pub run: RecRunConfig,
    pub vocab: TitleVocab,
    pub train: StudyData,
    pub valid: StudyData,
    /// The test classrooms' reads (the hits tables name students from it) and their rows.
    pub test_reads: Interactions,
    pub test: StudyData,
    /// The training data's file name, for the pack.
    pub source: String,
}

/// Splits the reads by classroom and checks that a fit can be judged: too few classrooms to
/// hold two groups out, or held-out classrooms without students to score, are refused with the
/// reason, before any training.
pub fn prepare_study(reads: &Interactions, source: &str, settings: &StudyFitSettings) -> Result<StudyFitData, String> {
    check_fractions(settings.valid_frac, settings.test_frac).map_err(|e| format!("the held-out shares {e}"))?;
    if settings.eval_every == 0 || settings.patience == 0 {
        return Err("the fit's evaluation interval and patience must be at least 1".into());
    }
    let [train_reads, valid_reads, test_reads] = split_classrooms(reads, settings.valid_frac, settings.test_frac, settings.seed);
    let vocab = TitleVocab::from_training(&train_reads, settings.vocab_size);
    let run = settings.run(&vocab)?;
    let [train, valid, test] = [&train_reads, &valid_reads, &test_reads].map(|r| build_study(r, &vocab, &run.pack));
    let rooms = train.report.classrooms + valid.report.classrooms + test.report.classrooms;
    if vocab.num_titles() == 0 || rooms == 0 {
        return Err("no dated read in this data, so there is nothing to fit".into());
    }
    if valid.report.classrooms == 0 || test.report.classrooms == 0 || train.report.classrooms == 0 {
        return Err(format!(
            "{rooms} classroom(s) with reads: a fit trains on some classrooms, holds out others to choose when to stop and others to judge it, so it needs at least 3 (students without a class count one each); the current suggestions stay in use"
        ));
    }
    let scored = test.seqs.iter().filter(|s| s.reads.len() >= 2).count();
    if scored < MIN_TEST_STUDENTS {
        return Err(format!(
            "the held-out classrooms have {scored} student(s) with two or more reads to judge the model on, and at least {MIN_TEST_STUDENTS} are needed; the current suggestions stay in use"
        ));
    }
    Ok(StudyFitData { settings: settings.clone(), run, vocab, train, valid, test_reads, test, source: source.to_string() })
}

impl StudyFitData {
    /// The training run, initialised from the settings' seed.
    pub fn start(&self) -> Result<StudyFit<'_>, String> {
        let stepper = RecStepper::new(&self.train, &self.vocab, &self.run, None).map_err(|e| e.to_string())?;
        Ok(StudyFit { stepper, data: self, step: 0, selection: Selection::default(), best: None })
    }

    /// `model` and classroom popularity on the test classrooms (never trained on, never used to
    /// choose the step): all-reads hits@5, the mean of each student's.
    pub fn verdict(&self, model: &Recommender) -> StudyVerdict {
        let ns = [5];
        let (hits, _) = model_hits(self.settings.kind.as_str(), model, &self.run.model, &self.vocab, &self.test_reads, &self.test, &ns, &reference_device());
        let popularity = popularity(&self.test_reads, &self.test, &self.vocab, &ns).get(EvalType::All, 5);
        StudyVerdict {
            kind: self.settings.kind,
            model: hits.get(EvalType::All, 5),
            popularity,
            test_students: hits.aggregate.iter().find(|a| a.eval_type == EvalType::All && a.n == 5).map_or(0, |a| a.students),
            test_classrooms: self.test.report.classrooms,
            train_students: self.train.seqs.len(),
            source: self.source.clone(),
        }
    }

    /// The fitted model as an inference model (what the pack holds).
    pub fn model(&self, weights: Recommender) -> StudyModel {
        StudyModel { run: self.run.clone(), vocab: self.vocab.clone(), model: weights }
    }
}

/// What a call to [`StudyFit::step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StudyFitStep {
    /// Trained one optimizer step (its loss; `None` when its rows had nothing to predict).
    Trained(Option<f64>),
    /// Trained a step and scored the validation classrooms; `improved` when it is the new best.
    Evaluated { loss: Option<f64>, improved: bool },
    /// Every step is trained, or the validation loss stopped improving; nothing was done.
    Finished,
}

/// A fit under way, stepped by the caller (the page yields between slices).
pub struct StudyFit<'a> {
    data: &'a StudyFitData,
    stepper: RecStepper<'a>,
    step: usize,
    /// The lowest validation loss so far, and when to stop (the CLI's rule).
    selection: Selection,
    /// That step's validation hits@5 and weights.
    best: Option<(f64, Recommender)>,
}

impl StudyFit<'_> {
    pub fn total_steps(&self) -> usize {
        self.data.settings.steps
    }

    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The step chosen so far and its validation loss and hits@5.
    pub fn best(&self) -> Option<(usize, f64, f64)> {
        self.selection.best.zip(self.best.as_ref()).map(|(k, (hits, _))| (k.step, k.loss, *hits))
    }

    fn finished(&self) -> bool {
        self.step >= self.data.settings.steps || self.selection.stopped(self.data.settings.patience)
    }

    pub fn step(&mut self) -> StudyFitStep {
        if self.finished() {
            return StudyFitStep::Finished;
        }
        let loss = self.stepper.step(self.step).map(|s| s.loss);
        self.step += 1;
        if !self.step.is_multiple_of(self.data.settings.eval_every) && self.step < self.data.settings.steps {
            return StudyFitStep::Trained(loss);
        }
        let Some(record) = self.stepper.monitor(&self.data.vocab, &self.data.valid) else {
            // No validation read to predict: prepare_study refuses such data.
            return StudyFitStep::Evaluated { loss, improved: false };
        };
        let improved = self.selection.score(self.step, record.loss);
        if improved {
            self.best = Some((record.hits_at_5, self.stepper.inference_model()));
        }
        StudyFitStep::Evaluated { loss, improved }
    }

    /// The weights of the best validation step.
    pub fn best_model(&self) -> Option<Recommender> {
        self.best.as_ref().map(|b| b.1.clone())
    }
}

/// A fitted recommender's held-out hits@5 beside classroom popularity's, on the same reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyVerdict {
    pub kind: RecommenderKind,
    pub model: Option<f64>,
    pub popularity: Option<f64>,
    /// Test students the hits are a mean over.
    pub test_students: usize,
    pub test_classrooms: usize,
    pub train_students: usize,
    pub source: String,
}

impl StudyVerdict {
    /// Whether the model may replace the suggestions in use: only when its hits@5 on the test
    /// classrooms is above classroom popularity's; otherwise why not.
    pub fn accept(&self) -> Result<(), String> {
        if self.test_students < MIN_TEST_STUDENTS {
            return Err(format!(
                "only {} held-out students could judge the fitted model (at least {MIN_TEST_STUDENTS} are needed), so the current suggestions stay in use",
                self.test_students
            ));
        }
        match (self.model, self.popularity) {
            (Some(m), Some(p)) if m > p => Ok(()),
            (Some(m), Some(p)) => Err(format!(
                "the fitted model's hits@5 on {} students of {} held-out classroom(s) ({:.1}%) is not above classroom popularity's ({:.1}%): suggesting what classmates read most does as well, so the current suggestions stay in use",
                self.test_students,
                self.test_classrooms,
                m * 100.0,
                p * 100.0
            )),
            _ => Err("the held-out classrooms have no read to judge the model on; the current suggestions stay in use".into()),
        }
    }

    /// What the fitted model's pack records about itself (as `classlens export` writes it).
    pub fn about(&self) -> PackAbout {
        PackAbout {
            trained_on: self.source.clone(),
            students: self.train_students,
            held_out: self.model.map(|value| HeldOutScore {
                metric: "hits@5".into(),
                value,
                baseline: self.popularity.map(|p| ("classroom popularity".to_string(), p)),
                students: self.test_students,
                n: self.test_students,
            }),
        }
    }
}

/// The fitted model as a pack (f32: what was judged), read by the page and `classlens`.
pub fn fitted_study_pack(model: &StudyModel, verdict: &StudyVerdict) -> Result<Vec<u8>, String> {
    write_recommender_about(model, Quantization::None, Some(verdict.about())).map_err(|e| e.to_string())
}

/// Trains `data` to the end in one call (tests; the page steps instead).
pub fn fit_study(data: &StudyFitData) -> Result<(StudyModel, StudyVerdict), String> {
    let mut fit = data.start()?;
    while fit.step() != StudyFitStep::Finished {}
    let weights = fit.best_model().ok_or("no step was scored on the validation classrooms")?;
    let verdict = data.verdict(&weights);
    Ok((data.model(weights), verdict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load::{Format, Upload, read_upload};
    use crate::data::study::read_study_info;
    use crate::models::device::SEEDING;
    use crate::pack::read_meta;
    use crate::synth::{STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, SynthConfig, generate, render_files};

    /// A generated school of four classes of 12 (the reads and their student info).
    fn reads() -> Interactions {
        let files = render_files(&generate(&SynthConfig { classes_per_school: 4, ..SynthConfig::small() })).unwrap();
        let bytes = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let Upload::Reads(mut d) = read_upload(STUDENT_ACTIVITY_FILE, &bytes(STUDENT_ACTIVITY_FILE), Format::Auto, None).unwrap() else {
            panic!("reads expected")
        };
        read_study_info(&mut d, bytes(STUDENT_INFO_FILE).as_slice(), STUDENT_INFO_FILE).unwrap();
        d
    }

    fn quick(kind: RecommenderKind) -> StudyFitSettings {
        StudyFitSettings { steps: 60, eval_every: 10, ..StudyFitSettings::new(kind) }
    }

    #[test]
    fn a_generated_classroom_fits_chooses_its_step_and_packs_its_verdict() {
        let _turn = SEEDING.lock().unwrap_or_else(|e| e.into_inner());
        let data = prepare_study(&reads(), STUDENT_ACTIVITY_FILE, &quick(RecommenderKind::Study)).unwrap();
        assert!(data.train.report.classrooms >= 1 && data.valid.report.classrooms >= 1 && data.test.report.classrooms >= 1);
        let mut fit = data.start().unwrap();
        let mut evaluated = 0;
        loop {
            match fit.step() {
                StudyFitStep::Finished => break,
                StudyFitStep::Evaluated { .. } => evaluated += 1,
                StudyFitStep::Trained(loss) => assert!(loss.is_none_or(f64::is_finite)),
            }
        }
        assert!(evaluated >= 1 && fit.steps_done() <= 60);
        let (step, _, _) = fit.best().unwrap();
        assert!(step.is_multiple_of(10) || step == 60, "chosen at an evaluation: {step}");
        let (model, verdict) = fit_study(&data).unwrap();
        assert_eq!(verdict, data.verdict(&fit.best_model().unwrap()), "stepping and one call train alike");
        assert!(verdict.model.is_some() && verdict.popularity.is_some() && verdict.test_students >= MIN_TEST_STUDENTS);
        let pack = fitted_study_pack(&model, &verdict).unwrap();
        let (meta, _) = read_meta(&pack).unwrap();
        let held = meta.about.unwrap().held_out.unwrap();
        assert_eq!((held.metric.as_str(), held.value), ("hits@5", verdict.model.unwrap()));
        // The pack holds the judged weights exactly.
        let back = crate::infer::load_pack(&pack).unwrap().into_recommender().unwrap();
        assert_eq!(data.verdict(&back.model), verdict);
    }

    #[test]
    fn too_few_classrooms_are_refused_with_the_reason() {
        let all = reads();
        // STUDY's student info groups students by school (OrgnID) and grade.
        let home_of = |s: u32| all.student_info.get(s as usize).map(|i| (i.school, i.grade));
        let first = home_of(all.events[0].student);
        let mut single = all.clone();
        single.retain_students(|s| home_of(s) == first);
        let err = prepare_study(&single, "x.csv", &quick(RecommenderKind::Study)).err().unwrap();
        assert!(err.contains("1 classroom(s) with reads") && err.contains("at least 3"), "{err}");
        let bad = StudyFitSettings { valid_frac: 0.6, test_frac: 0.5, ..quick(RecommenderKind::Individual) };
        assert!(prepare_study(&all, "x", &bad).err().unwrap().contains("sum to less than 1"));
    }

    #[test]
    fn a_model_no_better_than_popularity_is_refused() {
        let v = StudyVerdict {
            kind: RecommenderKind::Study,
            model: Some(0.31),
            popularity: Some(0.35),
            test_students: 30,
            test_classrooms: 1,
            train_students: 60,
            source: "x".into(),
        };
        let err = v.accept().unwrap_err();
        assert!(err.contains("31.0%") && err.contains("35.0%") && err.contains("stay in use"), "{err}");
        assert!(StudyVerdict { model: Some(0.4), ..v.clone() }.accept().is_ok());
        assert!(StudyVerdict { model: Some(0.4), test_students: 3, ..v.clone() }.accept().unwrap_err().contains("only 3 held-out students"));
        assert!(StudyVerdict { model: None, ..v }.accept().unwrap_err().contains("no read"));
    }
}
