//! Fitting a model to the class shown, as plain Rust: `core`'s steppers ([`DktFit`], the trainer
//! `classlens train dkt` drives; [`StudyFit`], the loop of `classlens train study`) run in
//! slices of a time budget, so the worker answers between them, with the events the page shows:
//! progress (epoch or step, loss, time left), then the verdict on held-out students or
//! classrooms against the baseline a teacher can judge it by (each skill's mean; classroom
//! popularity), and the fitted pack when it beats it.
//!
//! Like [`crate::scorer`], it is a message protocol of plain data ([`FitEvent`]s out): the
//! caller owns the clock and the yielding (the worker's driver), so every transition is tested
//! natively with a fake clock.

use classlens_core::fit::study::{StudyFit, StudyFitData, StudyFitSettings, StudyFitStep, fitted_study_pack, prepare_study};
use classlens_core::fit::{DktFit, DktFitData, DktFitSettings, FitStep, Verdict, fitted_bkt_pack, fitted_pack, prepare_dkt};
use classlens_core::models::bkt::BktModel;
use classlens_core::models::study::net::RecommenderKind;
use classlens_core::pack::PackAbout;
use serde::{Deserialize, Serialize};

use crate::classroom::Classroom;

/// Which model a fit trains: DKT or BKT for mastery, STUDY or Individual for suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FitKind {
    Dkt,
    /// BKT per skill, fitted by EM on DKT's split (one step: EM converges in well under a
    /// second on a school's answers).
    Bkt,
    Study,
    Individual,
}

impl FitKind {
    pub const ALL: [FitKind; 4] = [FitKind::Dkt, FitKind::Bkt, FitKind::Study, FitKind::Individual];

    pub fn name(self) -> &'static str {
        match self {
            FitKind::Dkt => "DKT",
            FitKind::Bkt => "BKT",
            FitKind::Study => "STUDY",
            FitKind::Individual => "Individual",
        }
    }

    /// The form value and file-name part ("dkt", "bkt", "study", "individual").
    pub fn id(self) -> &'static str {
        match self {
            FitKind::Dkt => "dkt",
            FitKind::Bkt => "bkt",
            FitKind::Study => "study",
            FitKind::Individual => "individual",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// The page's fit settings per kind: `core`'s class defaults (chosen on generated classes).
pub fn dkt_settings() -> DktFitSettings {
    DktFitSettings::default()
}

pub fn study_settings(kind: RecommenderKind) -> StudyFitSettings {
    StudyFitSettings::new(kind)
}

/// A class split and checked for one kind of fit (one at a time, so the variants' sizes do not
/// matter).
#[allow(clippy::large_enum_variant)]
pub enum FitData {
    Dkt(DktFitData),
    /// BKT on the split DKT would use.
    Bkt(DktFitData),
    Study(StudyFitData),
}

impl FitData {
    /// Prepares `classroom` for a fit of `kind`, or says why it cannot be fitted.
    pub fn prepare(classroom: &Classroom, kind: FitKind) -> Result<Self, String> {
        let rec = match kind {
            FitKind::Dkt => return prepare_dkt(&classroom.practice, &classroom.source, &dkt_settings()).map(FitData::Dkt),
            FitKind::Bkt => return prepare_dkt(&classroom.practice, &classroom.source, &dkt_settings()).map(FitData::Bkt),
            FitKind::Study => RecommenderKind::Study,
            FitKind::Individual => RecommenderKind::Individual,
        };
        let Some(reads) = &classroom.reads else {
            return Err(format!("this data has no reading log (student_activity.csv), so there is nothing to fit {} to", kind.name()));
        };
        prepare_study(reads, &classroom.source, &study_settings(rec)).map(FitData::Study)
    }

    fn kind(&self) -> FitKind {
        match self {
            FitData::Dkt(_) => FitKind::Dkt,
            FitData::Bkt(_) => FitKind::Bkt,
            FitData::Study(d) if d.settings.kind == RecommenderKind::Study => FitKind::Study,
            FitData::Study(_) => FitKind::Individual,
        }
    }
}

/// How far a fit is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitProgress {
    pub kind: FitKind,
    /// DKT trains whole epochs: (epoch under way, epochs).
    pub epoch: Option<(usize, usize)>,
    /// Optimizer steps done, of at most `steps` in the whole fit (a STUDY fit stops early once
    /// its validation loss stops improving).
    pub step: usize,
    pub steps: usize,
    /// The last batch's training loss.
    pub loss: f64,
    pub elapsed_s: f64,
    /// Estimated from the steps so far (at most this, for a fit that may stop early).
    pub left_s: f64,
    /// The best validation score so far on the held-out students or classrooms that choose the
    /// epoch or step: (what, value).
    pub best_valid: Option<(String, f64)>,
}

impl FitProgress {
    pub fn line(&self) -> String {
        let valid = self.best_valid.as_ref().map(|(what, v)| format!(" · best validation {what} {v:.3}")).unwrap_or_default();
        let (at, left) = match self.epoch {
            Some((e, n)) => (format!("epoch {e} of {n}, step {} of {}", self.step, self.steps), "about"),
            None => (format!("step {} of at most {}", self.step, self.steps), "at most"),
        };
        // BKT's one EM step has no training loss to show.
        let loss = if self.loss.is_finite() { format!(" · loss {:.3}", self.loss) } else { String::new() };
        format!("Fitting {}: {at}{loss}{valid} · {:.1} s, {left} {:.0} s left", self.kind.name(), self.elapsed_s, self.left_s.ceil())
    }
}

/// A fitted model's held-out score beside its baseline's, as the panel shows it: what its pack
/// records about itself (for DKT: AUC against each skill's mean on held-out students; for
/// STUDY and Individual: hits@5 against classroom popularity on held-out classrooms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitVerdict {
    pub kind: FitKind,
    pub about: PackAbout,
    /// Optimizer steps trained (a STUDY fit may stop before its most).
    pub steps: usize,
    /// Seconds from the fit's start to its last step (validation scores included, the verdict
    /// not), by the caller's clock.
    pub seconds: f64,
}

impl FitVerdict {
    /// "held-out AUC 0.712 on 6 students, each skill's mean 0.650".
    pub fn summary(&self) -> String {
        let Some(h) = &self.about.held_out else { return "no held-out score".into() };
        let pct = h.metric != "AUC";
        let show = |v: f64| if pct { format!("{:.1}%", v * 100.0) } else { format!("{v:.3}") };
        let base = h.baseline.as_ref().map(|(name, v)| format!(", {name} {}", show(*v))).unwrap_or_default();
        format!("held-out {} {} on {} students{base}", h.metric, show(h.value), h.students)
    }
}

/// What a fit says, in order: `Progress` after each slice, then one of the others, then nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FitEvent {
    Progress(FitProgress),
    /// Better than the baseline: the pack to use (f32, what `classlens` reads too).
    Fitted {
        verdict: FitVerdict,
        #[serde(with = "serde_bytes")]
        pack: Vec<u8>,
    },
    /// Trained, but not better than the baseline (or not judgeable): why, and the scores.
    Refused {
        verdict: FitVerdict,
        reason: String,
    },
    Failed(String),
    /// The teacher stopped it; nothing changes.
    Cancelled,
}

#[allow(clippy::large_enum_variant)]
enum Run<'a> {
    Dkt(&'a DktFitData, DktFit<'a>),
    /// The fitted model, once its one step has run.
    Bkt(&'a DktFitData, Option<(BktModel, Verdict)>),
    Study(&'a StudyFitData, StudyFit<'a>),
}

/// One fit over prepared data. See the module docs.
pub struct Fitter<'a> {
    run: Run<'a>,
    kind: FitKind,
    started_ms: f64,
    steps_done: usize,
    loss: f64,
    done: bool,
}

impl<'a> Fitter<'a> {
    /// `now_ms` is the caller's clock at the start.
    pub fn new(data: &'a FitData, now_ms: f64) -> Result<Self, String> {
        let run = match data {
            FitData::Dkt(d) => Run::Dkt(d, d.start()?),
            FitData::Bkt(d) => Run::Bkt(d, None),
            FitData::Study(d) => Run::Study(d, d.start()?),
        };
        Ok(Self { run, kind: data.kind(), started_ms: now_ms, steps_done: 0, loss: f64::NAN, done: false })
    }

    /// Optimizer steps in the whole fit (at most, for STUDY and Individual).
    pub fn total_steps(&self) -> usize {
        match &self.run {
            Run::Dkt(_, f) => f.total_steps(),
            Run::Bkt(..) => 1,
            Run::Study(_, f) => f.total_steps(),
        }
    }

    /// One optimizer step; `false` once every step is trained.
    fn step(&mut self) -> Result<bool, String> {
        match &mut self.run {
            Run::Dkt(_, fit) => {
                let mut loss = self.loss;
                let step = fit.step(&mut |p| {
                    if let classlens_core::fit::Progress::Batch { loss: l, .. } = p {
                        loss = *l;
                    }
                });
                self.loss = loss;
                Ok(step.map_err(|e| e.to_string())? != FitStep::Finished)
            }
            Run::Bkt(data, fitted) => {
                if fitted.is_some() {
                    return Ok(false);
                }
                *fitted = Some(data.fit_bkt());
                Ok(true)
            }
            Run::Study(_, fit) => match fit.step() {
                StudyFitStep::Finished => Ok(false),
                StudyFitStep::Trained(loss) | StudyFitStep::Evaluated { loss, .. } => {
                    self.loss = loss.unwrap_or(self.loss);
                    if !self.loss.is_finite() && loss.is_some() {
                        return Err("the training loss is no longer a number".into());
                    }
                    Ok(true)
                }
            },
        }
    }

    /// Trains until `now_ms()` has moved `budget_ms` past the slice's start (at least one
    /// step), and says how far it got; the verdict once every step is trained; `None` after.
    pub fn slice(&mut self, budget_ms: f64, now_ms: &mut dyn FnMut() -> f64) -> Option<FitEvent> {
        if self.done {
            return None;
        }
        let start = now_ms();
        loop {
            match self.step() {
                Err(e) => return Some(self.end(FitEvent::Failed(e))),
                Ok(false) => {
                    let seconds = (now_ms() - self.started_ms) / 1000.0;
                    return Some(self.finish(seconds));
                }
                Ok(true) => self.steps_done += 1,
            }
            let now = now_ms();
            if now - start >= budget_ms {
                return Some(FitEvent::Progress(self.progress(now)));
            }
        }
    }

    fn progress(&self, now: f64) -> FitProgress {
        let elapsed_s = (now - self.started_ms) / 1000.0;
        let steps = self.total_steps();
        let per_step = elapsed_s / self.steps_done.max(1) as f64;
        let (epoch, best_valid) = match &self.run {
            Run::Dkt(d, fit) => {
                let per_epoch = fit.batches_per_epoch().max(1);
                let epochs = d.settings.train.epochs;
                (Some(((self.steps_done.saturating_sub(1) / per_epoch + 1).min(epochs), epochs)), fit.best_valid_auc().map(|a| ("AUC".to_string(), a)))
            }
            Run::Bkt(..) => (None, None),
            Run::Study(_, fit) => (None, fit.best().map(|(_, loss, _)| ("loss".to_string(), loss))),
        };
        FitProgress {
            kind: self.kind,
            epoch,
            step: self.steps_done,
            steps,
            loss: self.loss,
            elapsed_s,
            left_s: per_step * steps.saturating_sub(self.steps_done) as f64,
            best_valid,
        }
    }

    fn finish(&mut self, seconds: f64) -> FitEvent {
        let (kind, steps) = (self.kind, self.steps_done);
        let judged = match &self.run {
            Run::Dkt(data, fit) => fit.best_model().map(|model| {
                let v = data.verdict(&model);
                (FitVerdict { kind, about: v.about(), steps, seconds }, v.accept(), fitted_pack(&model, &v))
            }),
            Run::Bkt(_, fitted) => {
                fitted.as_ref().map(|(model, v)| (FitVerdict { kind, about: v.about(), steps, seconds }, v.accept(), fitted_bkt_pack(model, v)))
            }
            Run::Study(data, fit) => fit.best_model().map(|weights| {
                let v = data.verdict(&weights);
                let model = data.model(weights);
                (FitVerdict { kind, about: v.about(), steps, seconds }, v.accept(), fitted_study_pack(&model, &v))
            }),
        };
        let event = match judged {
            None => FitEvent::Failed("no epoch or step was scored on the held-out data".into()),
            Some((verdict, Ok(()), Ok(pack))) => FitEvent::Fitted { verdict, pack },
            Some((_, Ok(()), Err(e))) => FitEvent::Failed(format!("the fitted model could not be packed: {e}")),
            Some((verdict, Err(reason), _)) => FitEvent::Refused { verdict, reason },
        };
        self.end(event)
    }

    fn end(&mut self, event: FitEvent) -> FitEvent {
        self.done = true;
        event
    }
}

/// burn seeds one generator per device kind for the whole process: tests that train STUDY or
/// Individual (and so reseed it) take turns, or one's seeding would leak into another's dropout.
#[cfg(test)]
pub(crate) static TRAINING: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::{Classroom, UploadedFile};
    use classlens_core::fit::fit_dkt;
    use classlens_core::fit::study::fit_study;
    use classlens_core::synth::{SKILL_BUILDER_FILE, SynthConfig, generate, render_files};

    fn class() -> Classroom {
        let files = render_files(&generate(&SynthConfig::small())).unwrap();
        let (name, bytes) = files.into_iter().find(|(n, _)| *n == SKILL_BUILDER_FILE).unwrap();
        Classroom::from_files(&[UploadedFile { name: name.into(), bytes }], None).unwrap()
    }

    /// A clock that moves 1 ms per reading: a 3 ms budget is about two steps per slice.
    fn clock() -> impl FnMut() -> f64 {
        let mut t = 0.0;
        move || {
            t += 1.0;
            t
        }
    }

    fn run_to_end(data: &FitData) -> (Vec<FitProgress>, FitEvent) {
        let mut f = Fitter::new(data, 0.0).unwrap();
        let mut clock = clock();
        let mut events = Vec::new();
        while let Some(e) = f.slice(3.0, &mut clock) {
            events.push(e);
        }
        assert_eq!(f.slice(3.0, &mut clock), None, "nothing after the end");
        let last = events.pop().unwrap();
        let progress = events.into_iter().map(|e| if let FitEvent::Progress(p) = e { p } else { panic!("{e:?} before the end") }).collect();
        (progress, last)
    }

    #[test]
    fn dkt_slices_report_progress_then_the_same_verdict_as_one_call() {
        let data = FitData::prepare(&Classroom { source: SKILL_BUILDER_FILE.into(), ..class() }, FitKind::Dkt).unwrap();
        let (progress, last) = run_to_end(&data);
        assert!(progress.len() > 5, "{} slices", progress.len());
        assert!(progress.windows(2).all(|w| w[0].step < w[1].step && w[0].epoch <= w[1].epoch && w[1].step <= w[1].steps));
        assert!(progress.iter().all(|p| p.loss.is_finite() && p.left_s >= 0.0 && p.epoch.unwrap().1 == 20 && p.kind == FitKind::Dkt));
        assert!(progress.last().unwrap().best_valid.is_some());
        assert!(progress[0].line().starts_with("Fitting DKT: epoch 1 of 20, step"), "{}", progress[0].line());
        let FitData::Dkt(d) = &data else { unreachable!() };
        let (_, want) = fit_dkt(d).unwrap();
        match last {
            FitEvent::Fitted { verdict, pack } => {
                assert_eq!(verdict.about, want.about(), "stepping in slices trains exactly what one call does");
                assert_eq!((verdict.kind, verdict.steps), (FitKind::Dkt, progress.last().unwrap().steps));
                assert!(verdict.summary().starts_with("held-out AUC 0."), "{}", verdict.summary());
                let opened = crate::packs::open_pack("fitted.pack", &pack, crate::packs::Origin::Fitted).unwrap();
                assert_eq!(opened.role(), crate::packs::Role::Mastery);
            }
            other => panic!("expected a fitted model, got {other:?}"),
        }
    }

    #[test]
    fn study_fits_the_demo_classrooms_reads_and_gives_a_suggestions_pack() {
        let _turn = TRAINING.lock().unwrap_or_else(|e| e.into_inner());
        let data = FitData::prepare(&Classroom::demo().unwrap(), FitKind::Study).unwrap();
        let (progress, last) = run_to_end(&data);
        assert!(!progress.is_empty() && progress.iter().all(|p| p.epoch.is_none() && p.kind == FitKind::Study));
        assert!(progress[0].line().starts_with("Fitting STUDY: step "), "{}", progress[0].line());
        let FitData::Study(d) = &data else { unreachable!() };
        let (_, want) = fit_study(d).unwrap();
        match last {
            FitEvent::Fitted { verdict, pack } => {
                assert_eq!(verdict.about, want.about(), "stepping in slices trains exactly what one call does");
                assert!(verdict.summary().contains("hits@5") && verdict.summary().contains("classroom popularity"), "{}", verdict.summary());
                let opened = crate::packs::open_pack("fitted.pack", &pack, crate::packs::Origin::Fitted).unwrap();
                assert_eq!(opened.role(), crate::packs::Role::Suggestions);
            }
            other => panic!("expected a fitted model, got {other:?}"),
        }
    }

    #[test]
    fn bkt_fits_in_one_step_on_dkt_s_split_and_gives_a_mastery_pack() {
        let data = FitData::prepare(&Classroom { source: SKILL_BUILDER_FILE.into(), ..class() }, FitKind::Bkt).unwrap();
        let (progress, last) = run_to_end(&data);
        assert!(progress.len() <= 1 && progress.iter().all(|p| p.kind == FitKind::Bkt && p.steps == 1));
        let FitData::Bkt(d) = &data else { unreachable!() };
        let (_, want) = d.fit_bkt();
        match last {
            FitEvent::Fitted { verdict, pack } => {
                assert_eq!((verdict.kind, &verdict.about), (FitKind::Bkt, &want.about()));
                assert!(verdict.summary().starts_with("held-out AUC 0."), "{}", verdict.summary());
                let opened = crate::packs::open_pack("fitted.pack", &pack, crate::packs::Origin::Fitted).unwrap();
                assert_eq!(opened.role(), crate::packs::Role::Mastery);
            }
            other => panic!("expected a fitted model, got {other:?}"),
        }
        assert_eq!(FitKind::from_id("bkt"), Some(FitKind::Bkt));
    }

    #[test]
    fn a_class_without_reads_cannot_fit_suggestions() {
        let err = FitData::prepare(&class(), FitKind::Individual).err().unwrap();
        assert!(err.contains("no reading log") && err.contains("Individual"), "{err}");
        assert_eq!(FitKind::from_id("study"), Some(FitKind::Study));
        assert!(FitKind::ALL.iter().all(|k| FitKind::from_id(k.id()) == Some(*k)));
    }
}
