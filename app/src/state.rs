//! The dashboard's state as one plain struct, changed only by [`AppState::update`] with an
//! [`Action`] (the Elm / todomvc shape). The components render slices of it and dispatch
//! actions; what an action sets off outside the state (a scoring run, the "rendered" signal)
//! comes back as an [`Effect`] for the component layer to carry out. No browser API, so every
//! transition is unit-tested natively.
//!
//! Scoring runs are numbered: each one that starts makes the previous ones stale, and events of
//! a stale run are dropped, so a quick class switch never shows the older class's scores.

use std::rc::Rc;

use classlens_core::infer::recommend::StudentSuggestions;

use crate::classroom::ClassKey;
use crate::dashboard::levels::Thresholds;
use crate::dashboard::student::StudentView;
use crate::fitter::{FitEvent, FitProgress};
use crate::pack_store::KeptPack;
use crate::packs::{Opened, Origin, Role, open_pack};
use crate::scorer::{ClassResult, Models, Prepared, ScoreRequest, ScorerEvent, Stage};
use classlens_core::fit::Verdict;

/// Next skills a student's page lists.
pub const STUDENT_NEXT: usize = 3;

/// Something that arrives once, later.
#[derive(Clone)]
pub enum Loading<T> {
    Pending,
    Ready(T),
    Failed(String),
}

/// Whether DKT can run on WebGPU.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuStatus {
    Probing,
    Ready { adapter: String },
    Unavailable(String),
}

/// The latest run's end.
#[derive(Clone)]
pub struct Outcome {
    pub run: u64,
    pub result: Result<Rc<ClassResult>, String>,
}

#[derive(Clone)]
pub struct AppState {
    pub models: Loading<Rc<Models>>,
    /// The classroom shown, prepared for the models.
    pub data: Option<Rc<Prepared>>,
    /// A message about the data (an import not kept, a saved import dropped, "forgotten").
    pub notice: Option<String>,
    pub thresholds: Thresholds,
    pub gpu: GpuStatus,
    /// The teacher's "Use the CPU only".
    pub force_cpu: bool,
    pub class: Option<ClassKey>,
    /// (done, total) of the running run's mastery stage.
    pub progress: (usize, usize),
    pub outcome: Option<Outcome>,
    /// The student whose page is open.
    pub student: Option<String>,
    /// The newest run's number; 0 before the first.
    pub run: u64,
    pub fit: FitStatus,
    /// The newest fit's number: a fit made stale (new data while it ran) is dropped like a
    /// stale scoring run.
    pub fit_run: u64,
}

/// The "Fit a model to this data" panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FitStatus {
    #[default]
    Idle,
    /// Under way; the latest progress once there is one.
    Running(Option<FitProgress>),
    Ended(FitOutcome),
}

/// How a fit ended, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutcome {
    /// Whether the fitted model is now in use.
    pub used: bool,
    pub message: String,
    pub verdict: Option<Verdict>,
    /// The fitted pack (file name, bytes) to download, when it is in use (an `Arc`: the
    /// components' signals need `Send` data).
    pub download: Option<(String, std::sync::Arc<Vec<u8>>)>,
}

impl FitOutcome {
    /// A fit that left the model in use as it was.
    fn not_used(message: String, verdict: Option<Verdict>) -> FitStatus {
        FitStatus::Ended(FitOutcome { used: false, message, verdict, download: None })
    }
}

pub enum Action {
    ModelsLoaded(Result<Rc<Models>, String>),
    /// A classroom to show (the demo, a saved or a new import): it starts on its first class
    /// with no student open.
    ClassroomLoaded {
        data: Rc<Prepared>,
        notice: Option<String>,
    },
    /// The WebGPU probe's answer: the adapter's name, or why there is none.
    GpuProbed(Result<String, String>),
    ForceCpu(bool),
    /// The class picker's entry, by position.
    PickClass(usize),
    SetThresholds(Thresholds),
    OpenStudent(String),
    CloseStudent,
    /// An event of run `run`.
    Scorer {
        run: u64,
        event: ScorerEvent,
    },
    /// Models to use from now on (a pack opened, the demo's again after "forget"); `keep` is
    /// what to store in this browser.
    ModelsReplaced {
        models: Rc<Models>,
        keep: Option<KeptPack>,
        notice: Option<String>,
    },
    /// A pack the teacher opened, loaded, with its bytes (to keep).
    PackOpened {
        opened: Box<Opened>,
        file: String,
        bytes: Vec<u8>,
    },
    Notice(String),
    /// A fit starts; it is numbered [`AppState::fit_run`] from now on.
    FitStarted,
    /// An event of fit `run`.
    Fit {
        run: u64,
        event: FitEvent,
    },
}

/// A scoring run to start: its request, and whether DKT runs on WebGPU.
pub struct ScoreJob {
    pub run: u64,
    pub request: ScoreRequest,
    pub gpu: bool,
    pub models: Rc<Models>,
    pub data: Rc<Prepared>,
}

pub enum Effect {
    Score(ScoreJob),
    /// A run ended and its outcome is set: once it is rendered, tell the page.
    Rendered,
    /// The models changed: keep the pack (if any) in this browser, then probe WebGPU again for
    /// the new DKT weights ([`Action::GpuProbed`] starts the next run).
    ModelsSwapped {
        models: Rc<Models>,
        keep: Option<KeptPack>,
    },
}

/// The page below the header.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Loading,
    Failed(String),
    Ready,
}

/// What the main area shows.
pub enum Content {
    Scoring,
    Failed(String),
    Class { result: Rc<ClassResult>, data: Rc<Prepared> },
    Student { view: StudentView, readings: Option<StudentSuggestions>, data: Rc<Prepared> },
}

impl AppState {
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            models: Loading::Pending,
            data: None,
            notice: None,
            thresholds,
            gpu: GpuStatus::Probing,
            force_cpu: false,
            class: None,
            progress: (0, 0),
            outcome: None,
            student: None,
            run: 0,
            fit: FitStatus::Idle,
            fit_run: 0,
        }
    }

    pub fn update(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::ModelsLoaded(m) => {
                self.models = match m {
                    Ok(m) => Loading::Ready(m),
                    Err(e) => Loading::Failed(e),
                };
                self.rescore()
            }
            Action::ClassroomLoaded { data, notice } => {
                // A fit under way was of the data being replaced.
                self.stop_fit("Stopped: other data was opened while fitting; the current model stays in use.");
                self.class = data.classroom.classes().first().map(|c| c.0);
                self.student = None;
                self.notice = notice;
                self.data = Some(data);
                self.rescore()
            }
            Action::GpuProbed(probe) => {
                self.gpu = match probe {
                    Ok(adapter) => GpuStatus::Ready { adapter },
                    Err(e) => GpuStatus::Unavailable(e),
                };
                self.rescore()
            }
            Action::ForceCpu(on) => {
                self.force_cpu = on;
                self.rescore()
            }
            Action::PickClass(i) => {
                let class = self.data.as_ref()?.classroom.classes().get(i)?.0;
                self.student = None;
                self.class = Some(class);
                self.rescore()
            }
            Action::SetThresholds(t) => {
                self.thresholds = t;
                self.rescore()
            }
            Action::OpenStudent(s) => {
                self.student = Some(s);
                None
            }
            Action::CloseStudent => {
                self.student = None;
                None
            }
            Action::Scorer { run, event } if run == self.run => match event {
                ScorerEvent::Progress { stage: Stage::Mastery, done, total } => {
                    self.progress = (done, total);
                    None
                }
                // The page shows the mastery stage's progress only: its line counts students.
                ScorerEvent::Progress { stage: Stage::Readings, .. } => None,
                ScorerEvent::Scored(r) => {
                    self.outcome = Some(Outcome { run, result: Ok(Rc::new(*r)) });
                    Some(Effect::Rendered)
                }
                ScorerEvent::Failed(e) => {
                    self.outcome = Some(Outcome { run, result: Err(e) });
                    Some(Effect::Rendered)
                }
            },
            Action::Scorer { .. } => None,
            Action::ModelsReplaced { models, keep, notice } => self.swap(models, keep, notice, false),
            Action::PackOpened { opened, file, bytes } => {
                let current = self.loaded_models()?;
                let role = opened.role();
                let keep = KeptPack { role, file: file.clone(), origin: Origin::Opened, bytes };
                let what = if role == Role::Mastery { "mastery" } else { "suggestions" };
                self.swap(Rc::new(current.with(*opened)), Some(keep), Some(format!("Opened {file}: now used for {what}.")), false)
            }
            Action::Notice(n) => {
                self.notice = Some(n);
                None
            }
            Action::FitStarted => {
                self.fit_run += 1;
                self.fit = FitStatus::Running(None);
                None
            }
            Action::Fit { run, event } if run == self.fit_run => self.fitted(event),
            Action::Fit { .. } => None,
        }
    }

    /// Uses `models` from now on: the classroom is read again for them (a new DKT knows other
    /// skills), the student page closes, and WebGPU is probed again before the next run. Unless
    /// the models come from the fit itself, a fit under way is stopped (its model would replace
    /// the one just chosen, or bring back one just forgotten) and an earlier fit's result, which
    /// no longer describes the model in use, is cleared.
    fn swap(&mut self, models: Rc<Models>, keep: Option<KeptPack>, notice: Option<String>, from_fit: bool) -> Option<Effect> {
        if !from_fit && !self.stop_fit("Stopped: other models were chosen while fitting; they are in use.") {
            self.fit = FitStatus::Idle;
        }
        if let Some(data) = &self.data {
            self.data = Some(Rc::new(Prepared::new(&models, data.classroom.clone())));
        }
        self.models = Loading::Ready(models.clone());
        self.student = None;
        self.notice = notice;
        self.gpu = GpuStatus::Probing;
        // A run under way scores with the old models: make it stale (the probe starts the next).
        self.run += 1;
        Some(Effect::ModelsSwapped { models, keep })
    }

    /// Ends a fit under way (its later events are dropped) with `message`; whether there was one.
    fn stop_fit(&mut self, message: &str) -> bool {
        let running = matches!(self.fit, FitStatus::Running(_));
        if running {
            self.fit_run += 1;
            self.fit = FitOutcome::not_used(message.to_string(), None);
        }
        running
    }

    fn fitted(&mut self, event: FitEvent) -> Option<Effect> {
        match event {
            FitEvent::Progress(p) => {
                self.fit = FitStatus::Running(Some(p));
                None
            }
            FitEvent::Refused { verdict, reason } => {
                self.fit = FitOutcome::not_used(format!("Not used: {reason}."), Some(verdict));
                None
            }
            FitEvent::Failed(e) => {
                self.fit = FitOutcome::not_used(format!("The fit failed: {e}. The current model stays in use."), None);
                None
            }
            FitEvent::Cancelled => {
                self.fit = FitOutcome::not_used("Cancelled: the current model stays in use.".into(), None);
                None
            }
            FitEvent::Fitted { verdict, pack } => {
                let current = self.loaded_models()?;
                let file = fitted_file_name(&verdict.source);
                match open_pack(&file, &pack, Origin::Fitted) {
                    Ok(opened) => {
                        let auc = |r: &classlens_core::metrics::BinaryReport| r.auc.map_or("n/a".into(), |a| format!("{a:.3}"));
                        let message = format!(
                            "In use: held-out AUC {} on {} students, each skill's mean {}.",
                            auc(&verdict.model),
                            verdict.test_students,
                            auc(&verdict.baseline)
                        );
                        let pack = std::sync::Arc::new(pack);
                        self.fit = FitStatus::Ended(FitOutcome { used: true, message, verdict: Some(verdict), download: Some((file.clone(), pack.clone())) });
                        let keep = KeptPack { role: Role::Mastery, file: file.clone(), origin: Origin::Fitted, bytes: pack.to_vec() };
                        self.swap(Rc::new(current.with(opened)), Some(keep), Some(format!("A DKT model fitted to this data is in use ({file}).")), true)
                    }
                    Err(e) => {
                        self.fit = FitOutcome::not_used(format!("The fitted pack does not load ({e}); the current model stays in use."), Some(verdict));
                        None
                    }
                }
            }
        }
    }

    /// The header's lines about the models in use.
    pub fn model_lines(&self) -> Vec<String> {
        let Loading::Ready(m) = &self.models else { return Vec::new() };
        let study = m.study_info.as_ref().map_or("no STUDY pack".to_string(), |i| i.line());
        vec![format!("Mastery: {}", m.dkt_info.line()), format!("Suggestions: {study}")]
    }

    /// Why the panel offers "Fit a model to this data" on its own: answers the model could not
    /// read.
    pub fn fit_offer(&self) -> Option<String> {
        let data = self.data.as_ref()?;
        let unknown = data.report.unknown_skill;
        (unknown > 0).then(|| format!("{unknown} answers are on skills the model in use does not know: fit a model to this data to score them."))
    }

    /// A new run when everything the scores depend on is there (the GPU probe included, so a
    /// page with WebGPU does not score twice).
    fn rescore(&mut self) -> Option<Effect> {
        let (Loading::Ready(models), Some(data), Some(class)) = (&self.models, &self.data, self.class) else { return None };
        let gpu = match &self.gpu {
            GpuStatus::Probing => return None,
            GpuStatus::Ready { .. } => !self.force_cpu,
            GpuStatus::Unavailable(_) => false,
        };
        self.run += 1;
        Some(Effect::Score(ScoreJob {
            run: self.run,
            request: ScoreRequest { class, thresholds: self.thresholds },
            gpu,
            models: models.clone(),
            data: data.clone(),
        }))
    }

    pub fn loaded_models(&self) -> Option<Rc<Models>> {
        match &self.models {
            Loading::Ready(m) => Some(m.clone()),
            _ => None,
        }
    }

    pub fn page(&self) -> Page {
        match &self.models {
            Loading::Pending => Page::Loading,
            Loading::Failed(e) => Page::Failed(e.clone()),
            Loading::Ready(_) => Page::Ready,
        }
    }

    /// The header's line about where the models run.
    pub fn backend_line(&self) -> String {
        match (&self.gpu, self.force_cpu) {
            (GpuStatus::Probing, _) => "Looking for WebGPU…".to_string(),
            (GpuStatus::Ready { adapter }, false) => format!("DKT on WebGPU ({adapter}) · STUDY on the CPU"),
            (GpuStatus::Ready { .. }, true) => "CPU (WebAssembly), forced".to_string(),
            // The adapter error's first clause; the rest lists every backend wgpu tried.
            (GpuStatus::Unavailable(e), _) => format!("CPU (WebAssembly) · no WebGPU: {}", e.split(" (").next().unwrap_or(e)),
        }
    }

    pub fn gpu_ready(&self) -> bool {
        matches!(self.gpu, GpuStatus::Ready { .. })
    }

    pub fn source_line(&self) -> String {
        self.data.as_ref().map(|d| d.source_line()).unwrap_or_default()
    }

    /// The class picker's entries.
    pub fn class_names(&self) -> Vec<String> {
        self.data.as_ref().map(|d| d.classroom.classes().into_iter().map(|c| c.1).collect()).unwrap_or_default()
    }

    pub fn progress_line(&self) -> String {
        let (done, total) = self.progress;
        if done < total { format!("Scoring the class: {done} of {total} students…") } else { format!("{total} students scored") }
    }

    /// Changes whenever [`AppState::content`] does: the outcome's run and the open student.
    pub fn content_key(&self) -> (Option<u64>, Option<String>) {
        (self.outcome.as_ref().map(|o| o.run), self.student.clone())
    }

    pub fn content(&self) -> Content {
        let (Some(outcome), Some(data)) = (&self.outcome, &self.data) else { return Content::Scoring };
        let result = match &outcome.result {
            Err(e) => return Content::Failed(e.clone()),
            Ok(r) => r.clone(),
        };
        match (&self.student, self.loaded_models()) {
            (Some(s), Some(models)) => {
                let view = StudentView::new(&models.dkt, &data.classroom, s, data.steps_of(s), result.view.thresholds(), STUDENT_NEXT);
                let readings = result.found.iter().find(|f| &f.student == s).cloned();
                Content::Student { view, readings, data: data.clone() }
            }
            _ => Content::Class { result, data: data.clone() },
        }
    }
}

/// The fitted pack's file name: `fitted-dkt-` and the data's first file's stem, in characters
/// every file system takes.
pub fn fitted_file_name(source: &str) -> String {
    let first = source.split(", ").next().unwrap_or("class");
    let stem = first.rsplit_once('.').map_or(first, |(s, _)| s);
    let safe: String = stem.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("fitted-dkt-{}.pack", if safe.is_empty() { "class" } else { &safe })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::Classroom;
    use crate::scorer::Scorer;
    use crate::scorer::testing::{demo_data, demo_models};

    fn job(effect: Option<Effect>) -> ScoreJob {
        match effect {
            Some(Effect::Score(j)) => j,
            Some(Effect::Rendered) => panic!("expected a run, got Rendered"),
            Some(Effect::ModelsSwapped { .. }) => panic!("expected a run, got ModelsSwapped"),
            None => panic!("expected a run, got nothing"),
        }
    }

    /// Runs `job` on the CPU and feeds its events back; the last effect.
    fn run(state: &mut AppState, job: &ScoreJob) -> Option<Effect> {
        let events: Vec<ScorerEvent> = Scorer::new(&job.models, &job.data, &job.request).collect();
        events.into_iter().map(|event| state.update(Action::Scorer { run: job.run, event })).last().flatten()
    }

    /// The page's start: classroom, probe, models (in the order the app sends them).
    fn started(gpu: Result<String, String>) -> (AppState, ScoreJob) {
        let models = Rc::new(demo_models());
        let data = Rc::new(demo_data(&models));
        let mut s = AppState::new(Thresholds::default());
        assert_eq!(s.page(), Page::Loading);
        assert!(s.update(Action::ClassroomLoaded { data, notice: Some("hello".into()) }).is_none(), "no models yet");
        assert!(s.update(Action::GpuProbed(gpu)).is_none());
        let j = job(s.update(Action::ModelsLoaded(Ok(models))));
        (s, j)
    }

    #[test]
    fn the_page_starts_on_the_first_class_once_everything_is_loaded() {
        let (mut s, j) = started(Err("no adapter (tried: vulkan, gl)".into()));
        assert_eq!(s.page(), Page::Ready);
        assert_eq!((j.run, j.gpu, j.request.thresholds), (1, false, Thresholds::default()));
        assert_eq!(j.request.class, s.data.as_ref().unwrap().classroom.classes()[0].0);
        assert_eq!(s.backend_line(), "CPU (WebAssembly) · no WebGPU: no adapter");
        assert_eq!(s.source_line(), "built-in demo classroom");
        assert_eq!(s.class_names().len(), 4);
        assert_eq!(s.notice.as_deref(), Some("hello"));
        assert!(matches!(s.content(), Content::Scoring));
        assert!(matches!(run(&mut s, &j), Some(Effect::Rendered)));
        assert_eq!(s.progress_line(), "30 students scored");
        let Content::Class { result, .. } = s.content() else { panic!("the class is shown") };
        assert_eq!(result.view.students.len(), 30);
        assert_eq!(result.backend, crate::scorer::CPU_BACKEND);
    }

    #[test]
    fn progress_is_the_mastery_stage_and_a_stale_run_is_dropped() {
        let (mut s, first) = started(Err("none".into()));
        assert!(s.update(Action::Scorer { run: 1, event: ScorerEvent::Progress { stage: Stage::Mastery, done: 8, total: 30 } }).is_none());
        assert_eq!(s.progress_line(), "Scoring the class: 8 of 30 students…");
        s.update(Action::Scorer { run: 1, event: ScorerEvent::Progress { stage: Stage::Readings, done: 8, total: 20 } });
        assert_eq!(s.progress, (8, 30), "the readings stage does not move the students count");
        let second = job(s.update(Action::PickClass(2)));
        assert_eq!((second.run, second.request.class), (2, s.data.as_ref().unwrap().classroom.classes()[2].0));
        assert!(run(&mut s, &first).is_none(), "run 1 is stale: its result is dropped");
        assert!(s.outcome.is_none());
        assert!(run(&mut s, &second).is_some());
        assert_eq!(s.outcome.as_ref().map(|o| o.run), Some(2));
        assert!(s.update(Action::PickClass(99)).is_none(), "no such class");
        let failed = job(s.update(Action::SetThresholds(Thresholds::MATHIA)));
        assert_eq!(failed.request.thresholds, Thresholds::MATHIA);
        assert!(matches!(s.update(Action::Scorer { run: failed.run, event: ScorerEvent::Failed("DKT: broken".into()) }), Some(Effect::Rendered)));
        assert!(matches!(s.content(), Content::Failed(e) if e == "DKT: broken"));
    }

    #[test]
    fn webgpu_is_used_when_probed_unless_the_cpu_is_forced() {
        let (mut s, j) = started(Ok("SwiftShader".into()));
        assert!(j.gpu);
        assert!(s.gpu_ready());
        assert_eq!(s.backend_line(), "DKT on WebGPU (SwiftShader) · STUDY on the CPU");
        let cpu = job(s.update(Action::ForceCpu(true)));
        assert!(!cpu.gpu && cpu.run == 2);
        assert_eq!(s.backend_line(), "CPU (WebAssembly), forced");
        assert!(job(s.update(Action::ForceCpu(false))).gpu);
        let mut probing = AppState::new(Thresholds::default());
        assert_eq!(probing.backend_line(), "Looking for WebGPU…");
        assert!(!probing.gpu_ready());
        assert!(probing.update(Action::ForceCpu(true)).is_none(), "nothing to score yet");
    }

    #[test]
    fn a_student_page_opens_and_closes_and_a_new_classroom_closes_it() {
        let (mut s, j) = started(Err("none".into()));
        run(&mut s, &j);
        let Content::Class { result, .. } = s.content() else { panic!() };
        let who = result.found.first().map(|f| f.student.clone()).expect("the demo class has readings");
        let key = s.content_key();
        assert!(s.update(Action::OpenStudent(who.clone())).is_none(), "a student's page needs no new run");
        assert_ne!(s.content_key(), key);
        let Content::Student { view, readings, .. } = s.content() else { panic!("the student's page") };
        assert_eq!(view.student, who);
        assert_eq!(view.thresholds, Thresholds::default());
        assert!(view.next.len() <= STUDENT_NEXT);
        assert_eq!(readings.map(|r| r.student), Some(who.clone()));
        s.update(Action::CloseStudent);
        assert!(matches!(s.content(), Content::Class { .. }));
        s.update(Action::OpenStudent(who));
        s.update(Action::PickClass(1));
        assert_eq!(s.student, None, "another class closes the student's page");
        let models = s.loaded_models().unwrap();
        let lines = Classroom::from_files(&[crate::classroom::UploadedFile { name: "dkt.csv".into(), bytes: b"2\n1,2\n1,0\n".to_vec() }], None).unwrap();
        let again = job(s.update(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, lines)), notice: None }));
        assert_eq!((again.request.class, s.class, s.notice.clone()), (None, Some(None), None), "a log without classes is one class, all students");
        assert_eq!(s.class_names(), ["All students"]);
        assert!(s.source_line().starts_with("dkt.csv"));
    }

    /// A class of sixteen students on skills the demo model does not know (ids 101-103).
    fn foreign_class() -> Classroom {
        let mut csv = String::from("order_id,user_id,problem_id,original,correct,skill_id,skill_name\n");
        for (i, who) in ["Zoë", "Ana", "Bo", "Cy", "Di", "Ed", "Fa", "Gu", "Hi", "Io", "Jo", "Ka", "Lu", "Mo", "Ny", "Ol"].iter().enumerate() {
            for k in 0..40 {
                csv.push_str(&format!("{},{who},{},1,{},{},Sk {}\n", i * 100 + k, k % 3, (i + k) % 2, 101 + k % 3, k % 3));
            }
        }
        Classroom::from_files(&[crate::classroom::UploadedFile { name: "mine.csv".into(), bytes: csv.into_bytes() }], None).unwrap()
    }

    #[test]
    fn unknown_skills_offer_a_fit_and_a_fitted_model_is_swapped_in_kept_and_rescored() {
        let (mut s, _) = started(Err("none".into()));
        let models = s.loaded_models().unwrap();
        s.update(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, foreign_class())), notice: None });
        assert!(s.fit_offer().unwrap().starts_with("640 answers are on skills"), "{:?}", s.fit_offer());
        s.update(Action::FitStarted);
        assert_eq!(s.fit, FitStatus::Running(None));
        let fit = s.fit_run;
        let data = classlens_core::fit::prepare_dkt(&s.data.as_ref().unwrap().classroom.practice, "mine.csv", &Default::default()).unwrap();
        let (model, verdict) = classlens_core::fit::fit_dkt(&data).unwrap();
        let pack = classlens_core::fit::fitted_pack(&model, &verdict).unwrap();
        let Some(Effect::ModelsSwapped { models, keep }) =
            s.update(Action::Fit { run: fit, event: FitEvent::Fitted { verdict: verdict.clone(), pack: pack.clone() } })
        else {
            panic!("a fitted model is swapped in")
        };
        assert_eq!(models.dkt_info.origin, Origin::Fitted);
        let keep = keep.unwrap();
        assert_eq!((keep.role, keep.file.as_str(), keep.origin, &keep.bytes), (Role::Mastery, "fitted-dkt-mine.pack", Origin::Fitted, &pack));
        assert_eq!(s.fit_offer(), None, "the fitted model knows every skill of the data");
        assert_eq!(s.gpu, GpuStatus::Probing, "WebGPU is probed again for the new weights");
        let FitStatus::Ended(out) = &s.fit else { panic!() };
        assert!(out.used && out.download.as_ref().is_some_and(|d| d.0 == "fitted-dkt-mine.pack"));
        assert!(s.model_lines()[0].starts_with("Mastery: DKT · 3 skills · trained on mine.csv"), "{:?}", s.model_lines());
        // The probe's answer starts the run on the new model.
        let j = job(s.update(Action::GpuProbed(Err("none".into()))));
        assert_eq!(j.models.dkt_info.file, "fitted-dkt-mine.pack");
    }

    #[test]
    fn a_refused_cancelled_or_failed_fit_leaves_the_model_in_use() {
        let (mut s, _) = started(Err("none".into()));
        let before = s.loaded_models().unwrap();
        let r = |auc| classlens_core::metrics::BinaryReport { n: 10, auc, accuracy: 0.5, rmse: 0.5, log_loss: 0.7 };
        let verdict = Verdict { model: r(Some(0.6)), baseline: r(Some(0.7)), test_students: 6, train_students: 18, source: "x".into() };
        for event in
            [FitEvent::Refused { verdict, reason: "worse than each skill's mean".into() }, FitEvent::Cancelled, FitEvent::Failed("loss became NaN".into())]
        {
            s.update(Action::FitStarted);
            assert!(s.update(Action::Fit { run: s.fit_run, event }).is_none());
            let FitStatus::Ended(out) = &s.fit else { panic!() };
            assert!(!out.used && out.download.is_none(), "{}", out.message);
            assert!(Rc::ptr_eq(&s.loaded_models().unwrap().dkt, &before.dkt));
        }
    }

    #[test]
    fn an_opened_pack_replaces_its_role_and_is_kept() {
        let (mut s, _) = started(Err("none".into()));
        let bytes = std::fs::read(format!("{}/../public/demo/study.pack", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let opened = open_pack("mine.pack", &bytes, Origin::Opened).unwrap();
        let Some(Effect::ModelsSwapped { models, keep }) = s.update(Action::PackOpened { opened: Box::new(opened), file: "mine.pack".into(), bytes }) else {
            panic!()
        };
        assert_eq!(models.study_info.as_ref().unwrap().file, "mine.pack");
        assert_eq!(keep.unwrap().role, Role::Suggestions);
        assert_eq!(s.notice.as_deref(), Some("Opened mine.pack: now used for suggestions."));
        assert_eq!(fitted_file_name("Ma classe (2).csv, skills.json"), "fitted-dkt-Ma_classe__2_.pack");
    }

    #[test]
    fn new_data_stops_a_fit_and_its_late_events_are_dropped() {
        let (mut s, _) = started(Err("none".into()));
        let models = s.loaded_models().unwrap();
        s.update(Action::FitStarted);
        let stale = s.fit_run;
        s.update(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, foreign_class())), notice: None });
        let FitStatus::Ended(out) = &s.fit else { panic!("the fit is stopped") };
        assert!(!out.used && out.message.starts_with("Stopped: other data was opened"), "{}", out.message);
        let r = |auc| classlens_core::metrics::BinaryReport { n: 10, auc, accuracy: 0.5, rmse: 0.5, log_loss: 0.7 };
        let verdict = Verdict { model: r(Some(0.9)), baseline: r(Some(0.5)), test_students: 6, train_students: 18, source: "old.csv".into() };
        assert!(s.update(Action::Fit { run: stale, event: FitEvent::Fitted { verdict, pack: vec![1, 2, 3] } }).is_none(), "a stale fit's model is never used");
        assert!(Rc::ptr_eq(&s.loaded_models().unwrap().dkt, &models.dkt));
        // Opening a pack during a fit stops the fit (its model would replace the one chosen) and
        // makes a scoring run under way stale.
        s.update(Action::FitStarted);
        let running = s.fit_run;
        let before = s.run;
        let bytes = std::fs::read(format!("{}/../public/demo/dkt.pack", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let opened = open_pack("d.pack", &bytes, Origin::Opened).unwrap();
        s.update(Action::PackOpened { opened: Box::new(opened), file: "d.pack".into(), bytes });
        assert!(s.run > before);
        assert!(s.fit_run > running && matches!(&s.fit, FitStatus::Ended(o) if o.message.starts_with("Stopped: other models")));
        // A later swap clears a finished fit's result: it no longer describes the model in use.
        let demo = Rc::new(demo_models());
        s.update(Action::ModelsReplaced { models: demo, keep: None, notice: None });
        assert_eq!(s.fit, FitStatus::Idle);
    }
}
