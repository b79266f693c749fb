//! Scoring one class, as plain Rust: DKT's mastery for every student, then STUDY's next reads for
//! the students with a reading log, ending in the [`ClassView`] the heatmap renders.
//!
//! It is step-wise, not one call, because a class must never freeze the page: each
//! [`Scorer::step`] does one batch of [`BATCH`] students and says how far it got, and the caller
//! yields to the event loop between steps (the dashboard's driver, `crate::driver`; a Web Worker
//! next). What comes out is a message protocol of plain data, [`ScoreRequest`] in and
//! [`ScorerEvent`]s out, serde-serialisable so a Worker can post them as they are.
//!
//! The maths is `core`'s inference API ([`mastery_table`], [`recommend_in`]); nothing here
//! rebuilds a model step. A caller that runs DKT elsewhere (WebGPU, async) takes the batch's
//! histories from [`Scorer::pending_histories`] and hands the probabilities back with
//! [`Scorer::put_mastery`]; the rest of the pipeline is the same.

use std::collections::HashMap;

use classlens_core::data::Interactions;
use classlens_core::infer::mastery::{MasteryTable, Tracer, mastery_table};
use classlens_core::infer::recommend::{ReadingLog, Request, StudentSuggestions, recommend_in};
use classlens_core::models::study::StudyModel;
use classlens_core::sequences::kt::{KtBuildReport, KtSequence, KtStep};
use serde::{Deserialize, Serialize};

use crate::classroom::{ClassKey, Classroom};
use crate::dashboard::levels::Thresholds;
use crate::dashboard::view::ClassView;

/// Students scored between two yields to the event loop: a DKT batch of 8 or a STUDY batch of 8
/// stays well under a frame's worth of wasm on this machine (a STUDY call for a class of 30 was
/// 60-100 ms).
pub const BATCH: usize = 8;
/// Suggestions per student.
pub const TOP: usize = 5;
/// What [`ClassResult::backend`] says when the CPU ran DKT.
pub const CPU_BACKEND: &str = "CPU (WebAssembly)";

pub use crate::packs::Models;

/// A classroom with what the models read of it, built once per classroom, not per class: DKT's
/// sequences and STUDY's arranged reading log.
pub struct Prepared {
    pub classroom: Classroom,
    /// Student id → DKT steps (students with no answer on a skill the model knows have none).
    pub seqs: HashMap<String, KtSequence>,
    /// What the sequence builder left out.
    pub report: KtBuildReport,
    reading_log: Option<ReadingLog>,
}

impl Prepared {
    pub fn new(models: &Models, classroom: Classroom) -> Self {
        let (seqs, report) = models.kt.sequences(&classroom.practice);
        let reading_log = models.study.as_deref().zip(classroom.reads.as_ref()).map(|(m, r)| ReadingLog::new(m, r));
        Self { classroom, seqs: seqs.into_iter().map(|q| (q.student.clone(), q)).collect(), report, reading_log }
    }

    /// A student's DKT steps (empty when the model knows none of their answers).
    pub fn steps_of(&self, student: &str) -> &[KtStep] {
        self.seqs.get(student).map(|q| q.steps.as_slice()).unwrap_or(&[])
    }

    /// The header's line: where the data came from, and what the model could not read.
    /// Dated reads on titles the suggestion model in use does not know (0 without reads or model).
    pub fn unknown_title(&self) -> usize {
        self.reading_log.as_ref().map_or(0, |l| l.report().oov_reads)
    }

    pub fn source_line(&self) -> String {
        let left_out = self.report.unknown_skill + self.report.untagged;
        let mut extra = if left_out > 0 { format!(" · {left_out} answers on skills the model does not know were left out") } else { String::new() };
        if self.unknown_title() > 0 {
            extra.push_str(&format!(" · {} reads on titles the suggestion model does not know", self.unknown_title()));
        }
        format!("{}{extra}", self.classroom.source)
    }
}

/// What to score: a class of the prepared classroom, at these thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreRequest {
    pub class: ClassKey,
    pub thresholds: Thresholds,
}

/// The two stages of a run, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// DKT mastery; `total` is the class's students.
    Mastery,
    /// STUDY's suggestions; `total` is the class's students with reads (absent when there is no
    /// STUDY model or no reading log).
    Readings,
}

/// A scored class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassResult {
    pub view: ClassView,
    /// STUDY's suggestions for the class's students with reads, in student order.
    #[serde(with = "suggestions_serde")]
    pub found: Vec<StudentSuggestions>,
    /// Where DKT ran, for the "Scored on" line.
    pub backend: String,
}

/// What a run says, in order: `Progress` after each batch (`done` grows within a stage and ends
/// at `total`; the first event is `Progress { Mastery, 0, total }`), then one `Scored` or one
/// `Failed`, then nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ScorerEvent {
    Progress {
        stage: Stage,
        done: usize,
        total: usize,
    },
    /// Boxed: a result is far larger than a progress event, and there is one per run.
    Scored(Box<ClassResult>),
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Next {
    Start,
    /// The mastery batch starting at this student.
    Mastery(usize),
    /// The readings batch starting at this student of `with_reads`.
    Readings(usize),
    Finish,
    Done,
}

/// One run over one class. See the module docs; it is also an [`Iterator`] of its events.
pub struct Scorer<'a> {
    models: &'a Models,
    data: &'a Prepared,
    thresholds: Thresholds,
    /// One sequence per student of the class, in id order (empty steps: the model's prior).
    seqs: Vec<KtSequence>,
    /// Rows are added batch by batch.
    table: MasteryTable,
    with_reads: Vec<String>,
    found: Vec<StudentSuggestions>,
    backend: String,
    next: Next,
}

impl<'a> Scorer<'a> {
    pub fn new(models: &'a Models, data: &'a Prepared, request: &ScoreRequest) -> Self {
        let students = data.classroom.students_of(request.class);
        let with_reads = match (&models.study, &data.classroom.reads, &data.reading_log) {
            (Some(_), Some(reads), Some(_)) => students.iter().filter(|s| reads.students.get(s).is_some()).cloned().collect(),
            _ => Vec::new(),
        };
        let seqs = students.into_iter().map(|s| data.seqs.get(&s).cloned().unwrap_or(KtSequence { student: s, steps: Vec::new() })).collect();
        // The empty table: the model's skill ids and labels, rows to come.
        let table = mastery_table(models.kt.as_ref(), &[], &[]).unwrap_or_else(|_| MasteryTable { skills: Vec::new(), labels: Vec::new(), rows: Vec::new() });
        Self { models, data, thresholds: request.thresholds, seqs, table, with_reads, found: Vec::new(), backend: CPU_BACKEND.to_string(), next: Next::Start }
    }

    /// Names where DKT runs in the result ("WebGPU (adapter)"), for a caller that feeds
    /// [`Scorer::put_mastery`].
    pub fn set_backend(&mut self, label: impl Into<String>) {
        self.backend = label.into();
    }

    /// Students in the class.
    pub fn total(&self) -> usize {
        self.seqs.len()
    }

    /// Does the next piece of work, and says what happened; `None` once the run has ended.
    pub fn step(&mut self) -> Option<ScorerEvent> {
        match self.next {
            Next::Start => {
                self.next = if self.seqs.is_empty() { self.after_mastery() } else { Next::Mastery(0) };
                Some(ScorerEvent::Progress { stage: Stage::Mastery, done: 0, total: self.total() })
            }
            Next::Mastery(from) => {
                let to = (from + BATCH).min(self.total());
                match mastery_table(self.models.kt.as_ref(), &self.seqs[from..to], &[]) {
                    Ok(t) => Some(self.accept(t.rows.into_iter().map(|r| r.1).collect())),
                    Err(e) => Some(self.fail(format!("mastery model: {e}"))),
                }
            }
            Next::Readings(_) => {
                let found = {
                    let (study, reads, log, students, request) = self.pending_readings().expect("the next step is a readings batch");
                    recommend_in(study, reads, log, students, &request).map(|(found, _)| found).map_err(|e| e.to_string())
                };
                Some(self.put_readings(found))
            }
            Next::Finish => {
                self.next = Next::Done;
                let view = ClassView::new(&self.table, &self.seqs, self.thresholds);
                Some(ScorerEvent::Scored(Box::new(ClassResult { view, found: std::mem::take(&mut self.found), backend: self.backend.clone() })))
            }
            Next::Done => None,
        }
    }

    /// The model's windows of the next mastery batch's histories, when the next step is one,
    /// for a caller that runs DKT itself; the answer goes to [`Scorer::put_mastery`].
    pub fn pending_histories(&self) -> Option<Vec<&[KtStep]>> {
        let Next::Mastery(from) = self.next else { return None };
        let to = (from + BATCH).min(self.total());
        Some(self.seqs[from..to].iter().map(|q| self.models.kt.recent(&q.steps)).collect())
    }

    /// Takes the probabilities of the batch [`Scorer::pending_histories`] gave (one row per
    /// student, in its order), or the error computing them, and says what happened.
    pub fn put_mastery(&mut self, probabilities: Result<Vec<Vec<f32>>, String>) -> ScorerEvent {
        let Next::Mastery(from) = self.next else { return self.fail("a mastery batch nobody asked for".into()) };
        match probabilities {
            Ok(p) if p.len() == (from + BATCH).min(self.total()) - from => self.accept(p),
            Ok(p) => self.fail(format!("mastery model: {} rows for a batch of {}", p.len(), (from + BATCH).min(self.total()) - from)),
            Err(e) => self.fail(e),
        }
    }

    /// The next readings batch, when the next step is one, for a caller that runs STUDY itself
    /// (on the GPU): the model, the reads, their arranged log, the batch's students and the
    /// request. The answer goes to [`Scorer::put_readings`].
    pub fn pending_readings(&self) -> Option<(&StudyModel, &Interactions, &ReadingLog, &[String], Request)> {
        let Next::Readings(from) = self.next else { return None };
        let to = (from + BATCH).min(self.with_reads.len());
        let (Some(study), Some(reads), Some(log)) = (&self.models.study, &self.data.classroom.reads, &self.data.reading_log) else {
            unreachable!("readings are scheduled only with a model and a log")
        };
        Some((&**study, reads, log, &self.with_reads[from..to], Request { top: TOP, include_read: false, as_of: None }))
    }

    /// Takes the suggestions for the batch [`Scorer::pending_readings`] gave, or the error
    /// computing them, and says what happened.
    pub fn put_readings(&mut self, found: Result<Vec<StudentSuggestions>, String>) -> ScorerEvent {
        let Next::Readings(from) = self.next else { return self.fail("a readings batch nobody asked for".into()) };
        let to = (from + BATCH).min(self.with_reads.len());
        match found {
            Ok(found) => {
                self.found.extend(found);
                self.next = if to < self.with_reads.len() { Next::Readings(to) } else { Next::Finish };
                ScorerEvent::Progress { stage: Stage::Readings, done: to, total: self.with_reads.len() }
            }
            Err(e) => self.fail(format!("STUDY: {e}")),
        }
    }

    fn accept(&mut self, probabilities: Vec<Vec<f32>>) -> ScorerEvent {
        let Next::Mastery(from) = self.next else { unreachable!("accept follows a mastery batch") };
        let to = from + probabilities.len();
        self.table.rows.extend(self.seqs[from..to].iter().map(|q| q.student.clone()).zip(probabilities));
        self.next = if to < self.total() { Next::Mastery(to) } else { self.after_mastery() };
        ScorerEvent::Progress { stage: Stage::Mastery, done: to, total: self.total() }
    }

    fn after_mastery(&self) -> Next {
        if self.with_reads.is_empty() { Next::Finish } else { Next::Readings(0) }
    }

    fn fail(&mut self, error: String) -> ScorerEvent {
        self.next = Next::Done;
        ScorerEvent::Failed(error)
    }
}

impl Iterator for Scorer<'_> {
    type Item = ScorerEvent;

    fn next(&mut self) -> Option<ScorerEvent> {
        self.step()
    }
}

/// `core`'s suggestion types serialise but do not deserialise; the protocol needs both, so they
/// cross as this mirror (a field added in `core` fails to compile here rather than vanish).
mod suggestions_serde {
    use classlens_core::infer::recommend::StudentSuggestions;
    use classlens_core::models::study::infer::Suggestion;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Read {
        title: String,
        score: f32,
        classmates_recent: usize,
    }

    #[derive(Serialize, Deserialize)]
    struct Student {
        student: String,
        suggestions: Vec<Read>,
    }

    pub fn serialize<S: Serializer>(found: &[StudentSuggestions], s: S) -> Result<S::Ok, S::Error> {
        let mirror: Vec<Student> = found
            .iter()
            .map(|f| Student {
                student: f.student.clone(),
                suggestions: f.suggestions.iter().map(|r| Read { title: r.title.clone(), score: r.score, classmates_recent: r.classmates_recent }).collect(),
            })
            .collect();
        mirror.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<StudentSuggestions>, D::Error> {
        let mirror = Vec::<Student>::deserialize(d)?;
        Ok(mirror
            .into_iter()
            .map(|m| StudentSuggestions {
                student: m.student,
                suggestions: m.suggestions.into_iter().map(|r| Suggestion { title: r.title, score: r.score, classmates_recent: r.classmates_recent }).collect(),
            })
            .collect())
    }
}

/// The offline demo's packs and classroom, for native tests here and in [`crate::state`].
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn demo_models() -> Models {
        let read =
            |name: &str| std::fs::read(format!("{}/../public/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("public/demo/{name}: {e}"));
        let (dkt, study) = (read("dkt.pack"), read("study.pack"));
        Models::from_packs(("dkt.pack", &dkt), Some(("study.pack", &study))).unwrap()
    }

    pub fn demo_data(models: &Models) -> Prepared {
        Prepared::new(models, Classroom::demo().unwrap())
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{demo_data, demo_models};
    use super::*;
    use classlens_core::infer::recommend::recommend;

    fn request(data: &Prepared, class: usize) -> ScoreRequest {
        ScoreRequest { class: data.classroom.classes()[class].0, thresholds: Thresholds::default() }
    }

    fn progress(events: &[ScorerEvent], stage: Stage) -> Vec<(usize, usize)> {
        events
            .iter()
            .filter_map(|e| match e {
                ScorerEvent::Progress { stage: s, done, total } if *s == stage => Some((*done, *total)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_class_is_scored_in_batches_with_monotone_progress_then_one_result() {
        let models = demo_models();
        let data = demo_data(&models);
        let events: Vec<ScorerEvent> = Scorer::new(&models, &data, &request(&data, 0)).collect();
        let mastery = progress(&events, Stage::Mastery);
        assert_eq!(mastery.first(), Some(&(0, 30)), "the first event says the size of the class");
        assert_eq!(mastery.last(), Some(&(30, 30)));
        assert_eq!(mastery.len(), 1 + 30usize.div_ceil(BATCH), "one event per batch of {BATCH}");
        assert!(mastery.windows(2).all(|w| w[0].0 < w[1].0 && w[1].0 - w[0].0 <= BATCH && w[0].1 == w[1].1));
        let readings = progress(&events, Stage::Readings);
        let with_reads = readings.last().unwrap().1;
        assert!(with_reads > 0 && with_reads <= 30);
        assert_eq!(readings.last().unwrap().0, with_reads);
        assert!(readings.windows(2).all(|w| w[0].0 < w[1].0));
        // Stages in order, the result last and alone.
        let kinds: Vec<u8> = events
            .iter()
            .map(|e| match e {
                ScorerEvent::Progress { stage: Stage::Mastery, .. } => 0,
                ScorerEvent::Progress { stage: Stage::Readings, .. } => 1,
                ScorerEvent::Scored(_) => 2,
                ScorerEvent::Failed(_) => 3,
            })
            .collect();
        assert!(kinds.windows(2).all(|w| w[0] <= w[1]) && kinds.iter().filter(|&&k| k >= 2).count() == 1, "{kinds:?}");
        assert!(matches!(events.last(), Some(ScorerEvent::Scored(_))));
    }

    #[test]
    fn the_scored_view_is_what_core_and_the_view_types_compute_directly() {
        let models = demo_models();
        let data = demo_data(&models);
        let req = request(&data, 1);
        let Some(ScorerEvent::Scored(r)) = Scorer::new(&models, &data, &req).last() else { panic!("no result") };
        let students = data.classroom.students_of(req.class);
        let seqs: Vec<KtSequence> = students.iter().map(|s| data.seqs[s].clone()).collect();
        let table = mastery_table(models.kt.as_ref(), &seqs, &students).unwrap();
        assert_eq!(r.view, ClassView::new(&table, &seqs, req.thresholds));
        assert_eq!(r.view.students, students);
        // STUDY in one call for the class's students with reads, as `classlens recommend` does.
        let reads = data.classroom.reads.as_ref().unwrap();
        let with_reads: Vec<String> = students.iter().filter(|s| reads.students.get(s).is_some()).cloned().collect();
        let (want, _) = recommend(models.study.as_ref().unwrap(), reads, &with_reads, &Request { top: TOP, include_read: false, as_of: None }).unwrap();
        assert!(!want.is_empty());
        // Batches of 8 pad STUDY's rows differently from one call, so scores agree to float
        // rounding, and the titles exactly (as the browser test checks against the CLI).
        assert_eq!(r.found.len(), want.len());
        for (got, want) in r.found.iter().zip(&want) {
            assert_eq!(got.student, want.student);
            let titles = |s: &StudentSuggestions| s.suggestions.iter().map(|x| x.title.clone()).collect::<Vec<_>>();
            assert_eq!(titles(got), titles(want), "{}", got.student);
            assert!(got.suggestions.iter().zip(&want.suggestions).all(|(a, b)| (a.score - b.score).abs() < 1e-4 && a.classmates_recent == b.classmates_recent));
        }
        assert_eq!(r.backend, CPU_BACKEND);
    }

    #[test]
    fn a_caller_may_run_dkt_itself_and_gets_the_same_result() {
        let models = demo_models();
        let data = demo_data(&models);
        let req = request(&data, 2);
        let cpu = Scorer::new(&models, &data, &req).last();
        let mut s = Scorer::new(&models, &data, &req);
        s.set_backend("WebGPU (test)");
        let mut events = Vec::new();
        loop {
            let e = match s.pending_histories() {
                Some(h) => Some(s.put_mastery(Ok(models.kt.dkt().unwrap().weights.mastery_batch(&h)))),
                None => s.step(),
            };
            let Some(e) = e else { break };
            events.push(e);
        }
        let (Some(ScorerEvent::Scored(a)), Some(ScorerEvent::Scored(b))) = (cpu, events.last().cloned()) else { panic!("both runs end scored") };
        assert_eq!(a.view, b.view);
        assert_eq!(b.backend, "WebGPU (test)");
        // A short batch or an error ends the run with the error, once.
        let mut s = Scorer::new(&models, &data, &req);
        s.step();
        assert!(matches!(s.put_mastery(Ok(vec![vec![0.5]])), ScorerEvent::Failed(e) if e.contains("1 rows for a batch of 8")));
        assert_eq!(s.step(), None);
        let mut s = Scorer::new(&models, &data, &req);
        s.step();
        assert_eq!(s.put_mastery(Err("WebGPU: lost".into())), ScorerEvent::Failed("WebGPU: lost".into()));
        assert_eq!(s.next(), None);
    }

    #[test]
    fn a_caller_may_run_study_itself_and_gets_the_same_result() {
        let models = demo_models();
        let data = demo_data(&models);
        let req = request(&data, 1);
        let cpu = Scorer::new(&models, &data, &req).last();
        let mut s = Scorer::new(&models, &data, &req);
        assert!(s.pending_readings().is_none(), "mastery comes first");
        assert!(matches!(s.put_readings(Ok(Vec::new())), ScorerEvent::Failed(e) if e == "a readings batch nobody asked for"));
        let mut s = Scorer::new(&models, &data, &req);
        let (mut batches, mut last) = (0, None);
        loop {
            let e = match s.pending_readings() {
                Some((model, reads, log, students, request)) => {
                    batches += 1;
                    let found = recommend_in(model, reads, log, students, &request).map(|(f, _)| f).map_err(|e| e.to_string());
                    Some(s.put_readings(found))
                }
                None => s.step(),
            };
            let Some(e) = e else { break };
            last = Some(e);
        }
        assert!(batches >= 2, "the class's readers in batches");
        let (Some(ScorerEvent::Scored(a)), Some(ScorerEvent::Scored(b))) = (cpu, last) else { panic!("both runs end scored") };
        assert_eq!(a.found, b.found);
        // An error ends the run with it, said as STUDY's.
        let mut s = Scorer::new(&models, &data, &req);
        while s.pending_readings().is_none() {
            s.step();
        }
        assert_eq!(s.put_readings(Err("WebGPU: lost".into())), ScorerEvent::Failed("STUDY: WebGPU: lost".into()));
        assert_eq!(s.next(), None);
    }

    #[test]
    fn without_study_or_students_the_run_is_mastery_only() {
        let mut models = demo_models();
        models.study = None;
        let data = demo_data(&models);
        let events: Vec<ScorerEvent> = Scorer::new(&models, &data, &request(&data, 0)).collect();
        assert!(progress(&events, Stage::Readings).is_empty());
        assert!(matches!(events.last(), Some(ScorerEvent::Scored(r)) if r.found.is_empty() && r.view.students.len() == 30));
        let nobody = ScoreRequest { class: Some(999), thresholds: Thresholds::default() };
        let events: Vec<ScorerEvent> = Scorer::new(&models, &data, &nobody).collect();
        assert_eq!(events[0], ScorerEvent::Progress { stage: Stage::Mastery, done: 0, total: 0 });
        assert!(matches!(&events[1], ScorerEvent::Scored(r) if r.view.students.is_empty()));
        assert_eq!(events.len(), 2);
    }

    #[test]
    fn an_attention_pack_takes_the_mastery_role_and_scores_the_class_and_a_student() {
        use classlens_core::models::akt::{AktConfig, AktModel, AktRunConfig, AktTrainConfig};
        let demo = demo_models();
        let vocab = demo.kt.vocab().clone();
        let akt = AktConfig { n_skills: vocab.len(), n_problems: 0, dim: 8, heads: 2, value_layers: 1, layers: 1, ff: 16, dropout: 0.0 };
        let config = AktRunConfig { model: "akt".into(), akt, train: AktTrainConfig { window: 30, ..Default::default() } };
        let net = akt.init(9, &classlens_core::models::device::reference_device());
        let m = AktModel::new(config, vocab, Default::default(), net);
        let bytes = classlens_core::pack::write_akt_about(&m, classlens_core::pack::Quantization::Int8, None).unwrap();
        let opened = crate::packs::open_pack("akt.pack", &bytes, crate::packs::Origin::Opened).unwrap();
        assert_eq!(opened.role(), crate::packs::Role::Mastery);
        let models = demo.with(opened);
        assert!(models.kt_info.line().starts_with("AKT · 20 skills · "), "{}", models.kt_info.line());
        assert!(models.kt.dkt().is_none(), "no DKT kernel for WebGPU to take");
        let data = demo_data(&models);
        let req = request(&data, 0);
        let Some(ScorerEvent::Scored(r)) = Scorer::new(&models, &data, &req).last() else { panic!("no result") };
        let students = data.classroom.students_of(req.class);
        let seqs: Vec<KtSequence> = students.iter().map(|s| data.seqs[s].clone()).collect();
        let table = mastery_table(models.kt.as_ref(), &seqs, &students).unwrap();
        assert_eq!(r.view, ClassView::new(&table, &seqs, req.thresholds));
        assert_ne!(table.rows, mastery_table(demo.kt.as_ref(), &seqs, &students).unwrap().rows, "the attention model's numbers, not DKT's");
        // A student's page ends where their heatmap row is.
        let student = &students[0];
        let view = crate::dashboard::student::StudentView::new(models.kt.as_ref(), &data.classroom, student, data.steps_of(student), req.thresholds, 3);
        assert_eq!(view.trajectory.len(), data.steps_of(student).len() + 1);
        let last = view.trajectory.last().unwrap();
        assert_eq!(last.len(), table.rows[0].1.len());
        assert!(last.iter().zip(&table.rows[0].1).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn requests_and_events_cross_as_json_unchanged() {
        let models = demo_models();
        let data = demo_data(&models);
        let req = request(&data, 0);
        let back: ScoreRequest = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back, req);
        for e in Scorer::new(&models, &data, &req) {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<ScorerEvent>(&json).unwrap(), e, "{}", &json[..json.len().min(200)]);
        }
    }
}
