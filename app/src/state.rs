//! The dashboard's state as one plain struct, changed only by [`AppState::update`] with an
//! [`Action`] (the Elm / todomvc shape). The components render slices of it and dispatch
//! actions; what an action sets off outside the state comes back as [`Effect`]s for the
//! component layer to carry out: above all a message to the Web Worker that holds the models
//! ([`ToWorker`]), whose answers ([`FromWorker`]) come back as [`Action::Worker`]. The page
//! never holds a model: it holds what it renders ([`ModelsShown`], [`ClassroomShown`], the
//! results). No browser API, so every transition is unit-tested natively.
//!
//! Scoring runs are numbered: each one that starts makes the previous ones stale, and events of
//! a stale run are dropped, so a quick class switch never shows the older class's scores (the
//! worker also stops a stale run). Fits are numbered the same way.

use std::rc::Rc;

use classlens_core::infer::recommend::StudentSuggestions;

use crate::classroom::ClassKey;
use crate::dashboard::levels::Thresholds;
use crate::dashboard::student::StudentView;
use crate::fitter::{FitEvent, FitKind, FitProgress, FitVerdict};
use crate::packs::{Origin, Role};
use crate::protocol::{Change, ClassroomShown, FromWorker, GpuFound, ModelsShown, ToWorker};
use crate::scorer::{ClassResult, ScoreRequest, ScorerEvent, Stage};
use crate::storage::SavedImport;

/// Next skills a student's page lists.
pub const STUDENT_NEXT: usize = 3;

/// Something that arrives once, later.
#[derive(Clone)]
pub enum Loading<T> {
    Pending,
    Ready(T),
    Failed(String),
}

/// Whether the models can run on WebGPU.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuStatus {
    Probing,
    Ready(GpuFound),
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
    pub models: Loading<ModelsShown>,
    /// The classroom shown.
    pub data: Option<Rc<ClassroomShown>>,
    /// A message about the data or the models (an import not kept, a pack opened, "forgotten").
    pub notice: Option<String>,
    pub thresholds: Thresholds,
    pub gpu: GpuStatus,
    /// The teacher's switch: against the default of the adapter found ("Use the CPU only" on a
    /// hardware adapter, "Use WebGPU anyway" on a software fallback).
    pub gpu_switch: bool,
    pub class: Option<ClassKey>,
    /// (done, total) of the running run's mastery stage.
    pub progress: (usize, usize),
    pub outcome: Option<Outcome>,
    /// The student whose page is open, and the page once the worker has computed it.
    pub student: Option<String>,
    pub student_view: Option<Rc<StudentView>>,
    /// The newest run's number; 0 before the first.
    pub run: u64,
    pub fit: FitStatus,
    /// The newest fit's number: a fit made stale (new data while it ran) is dropped like a
    /// stale scoring run.
    pub fit_run: u64,
    /// Why the files chosen for "Your data" were not shown (the classroom shown stays).
    pub import_error: Option<String>,
    /// Why a pack was not opened (the models in use stay).
    pub pack_error: Option<String>,
    /// Files sent to the worker to show, kept in this browser once it has read them.
    pending_import: Option<SavedImport>,
    /// What the start is doing, while the page loads.
    pub loading: String,
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
    pub verdict: Option<FitVerdict>,
    /// The fitted pack (file name, bytes) to download, when it is in use (an `Arc`: the
    /// components' signals need `Send` data).
    pub download: Option<(String, std::sync::Arc<Vec<u8>>)>,
}

impl FitOutcome {
    /// A fit that left the model in use as it was.
    fn not_used(message: String, verdict: Option<FitVerdict>) -> FitStatus {
        FitStatus::Ended(FitOutcome { used: false, message, verdict, download: None })
    }
}

pub enum Action {
    /// A message of the worker.
    Worker(Box<FromWorker>),
    /// The worker did not start or stopped (its error).
    WorkerFailed(String),
    /// Bytes of the worker's wasm downloaded so far, of `total` (0: the server did not say).
    WorkerDownload {
        loaded: u64,
        total: u64,
    },
    GpuSwitch(bool),
    /// The class picker's entry, by position.
    PickClass(usize),
    SetThresholds(Thresholds),
    OpenStudent(String),
    CloseStudent,
    /// Files for "Your data", read.
    Import(SavedImport),
    /// "Forget this data": the demo classroom again (the page has removed the import).
    ShowDemo {
        notice: String,
    },
    /// A pack the teacher chose, read.
    OpenPack {
        file: String,
        bytes: Vec<u8>,
    },
    /// Chosen files that could not be read: for the import, or for the packs.
    ImportError(String),
    PackError(String),
    /// "Forget opened and fitted models".
    ForgetPacks,
    Notice(String),
    /// "Fit a model to this data" with the kind chosen; it is numbered [`AppState::fit_run`]
    /// from now on.
    StartFit(FitKind),
    CancelFit,
}

pub enum Effect {
    /// Send this to the worker.
    Post(ToWorker),
    /// The worker listens: send it [`ToWorker::Start`] with what the page keeps.
    Start,
    /// A run ended and its outcome is set: once it is rendered, tell the page.
    Rendered,
    /// The worker showed these files: keep them for the next visit.
    SaveImport(SavedImport),
    /// The saved import no longer loads: remove it.
    ForgetImport,
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
    Class {
        result: Rc<ClassResult>,
        data: Rc<ClassroomShown>,
    },
    /// A student's page is asked for and not back yet.
    StudentLoading,
    Student {
        view: Rc<StudentView>,
        readings: Option<StudentSuggestions>,
        data: Rc<ClassroomShown>,
    },
}

impl AppState {
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            models: Loading::Pending,
            data: None,
            notice: None,
            thresholds,
            gpu: GpuStatus::Probing,
            gpu_switch: false,
            class: None,
            progress: (0, 0),
            outcome: None,
            student: None,
            student_view: None,
            run: 0,
            fit: FitStatus::Idle,
            fit_run: 0,
            import_error: None,
            pack_error: None,
            pending_import: None,
            loading: "Starting the page's worker…".to_string(),
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Worker(message) => self.heard(*message),
            Action::WorkerFailed(e) => {
                let e = format!("The page's worker stopped: {e}");
                match self.models {
                    Loading::Ready(_) => self.notice = Some(e),
                    _ => self.models = Loading::Failed(e),
                }
                Vec::new()
            }
            Action::WorkerDownload { loaded, total } => {
                // Only while the worker has not started: its own stages follow.
                if matches!(self.models, Loading::Pending) {
                    self.loading = download_line(loaded, total);
                }
                Vec::new()
            }
            Action::GpuSwitch(on) => {
                self.gpu_switch = on;
                self.rescore()
            }
            Action::PickClass(i) => {
                let Some(class) = self.data.as_ref().and_then(|d| d.classes.get(i)).map(|c| c.0) else { return Vec::new() };
                self.close_student();
                self.class = Some(class);
                self.rescore()
            }
            Action::SetThresholds(t) => {
                self.thresholds = t;
                self.rescore()
            }
            Action::OpenStudent(s) => {
                self.student = Some(s.clone());
                self.student_view = None;
                vec![Effect::Post(ToWorker::Student { run: self.run, student: s, thresholds: self.thresholds })]
            }
            Action::CloseStudent => {
                self.close_student();
                Vec::new()
            }
            Action::Import(saved) => {
                let message = ToWorker::Import(saved.clone());
                self.pending_import = Some(saved);
                vec![Effect::Post(message)]
            }
            Action::ShowDemo { notice } => {
                self.import_error = None;
                self.pending_import = None;
                vec![Effect::Post(ToWorker::Demo { notice: Some(notice) })]
            }
            Action::OpenPack { file, bytes } => vec![Effect::Post(ToWorker::UsePack { file, bytes, origin: Origin::Opened })],
            Action::ImportError(e) => {
                self.import_error = Some(e);
                Vec::new()
            }
            Action::PackError(e) => {
                self.pack_error = Some(e);
                Vec::new()
            }
            Action::ForgetPacks => vec![Effect::Post(ToWorker::ForgetPacks)],
            Action::Notice(n) => {
                self.notice = Some(n);
                Vec::new()
            }
            Action::StartFit(kind) => {
                self.fit_run += 1;
                self.fit = FitStatus::Running(None);
                vec![Effect::Post(ToWorker::Fit { run: self.fit_run, kind })]
            }
            // The worker answers with the fit's `Cancelled`.
            Action::CancelFit => vec![Effect::Post(ToWorker::CancelFit)],
        }
    }

    /// What the worker said.
    fn heard(&mut self, message: FromWorker) -> Vec<Effect> {
        match message {
            FromWorker::Ready => vec![Effect::Start],
            FromWorker::Loading(stage) => {
                self.loading = stage;
                Vec::new()
            }
            FromWorker::Loaded { models, classroom, notice, saved_failed } => {
                self.models = Loading::Ready(models);
                let mut effects = self.show(classroom, notice);
                if saved_failed {
                    effects.push(Effect::ForgetImport);
                }
                effects
            }
            FromWorker::LoadFailed(e) => {
                self.models = Loading::Failed(e);
                Vec::new()
            }
            FromWorker::Classroom { classroom, notice, imported } => {
                self.import_error = None;
                let saved = self.pending_import.take().filter(|_| imported);
                let mut effects = self.show(classroom, notice);
                effects.extend(saved.map(Effect::SaveImport));
                effects
            }
            FromWorker::ImportRefused(e) => {
                self.pending_import = None;
                self.import_error = Some(e);
                Vec::new()
            }
            FromWorker::Models { models, classroom, change } => self.swap(models, classroom, change),
            FromWorker::NotKept { file, error } => {
                let note = format!("{file} is in use for this visit, but this browser did not keep it: {error}");
                self.notice = Some(self.notice.take().map_or(note.clone(), |n| format!("{n} {note}")));
                Vec::new()
            }
            FromWorker::PackRefused(e) => {
                self.pack_error = Some(format!("{e}. The models in use are unchanged."));
                Vec::new()
            }
            FromWorker::GpuProbed(probe) => {
                self.gpu = match probe {
                    Ok(found) => GpuStatus::Ready(found),
                    Err(e) => GpuStatus::Unavailable(e),
                };
                self.rescore()
            }
            FromWorker::Scorer { run, event } if run == self.run => match event {
                ScorerEvent::Progress { stage: Stage::Mastery, done, total } => {
                    self.progress = (done, total);
                    Vec::new()
                }
                // The page shows the mastery stage's progress only: its line counts students.
                ScorerEvent::Progress { stage: Stage::Readings, .. } => Vec::new(),
                ScorerEvent::Scored(r) => {
                    self.outcome = Some(Outcome { run, result: Ok(Rc::new(*r)) });
                    vec![Effect::Rendered]
                }
                ScorerEvent::Failed(e) => {
                    self.outcome = Some(Outcome { run, result: Err(e) });
                    vec![Effect::Rendered]
                }
            },
            FromWorker::Scorer { .. } => Vec::new(),
            FromWorker::Student { run, view } => {
                if run == self.run && self.student.as_deref() == Some(view.student.as_str()) {
                    self.student_view = Some(Rc::new(*view));
                }
                Vec::new()
            }
            FromWorker::Fit { run, event } if run == self.fit_run => self.fitted(event),
            FromWorker::Fit { .. } => Vec::new(),
        }
    }

    /// Shows `classroom` on its first class with no student open. A fit under way was of the
    /// data being replaced: it is stopped.
    fn show(&mut self, classroom: ClassroomShown, notice: Option<String>) -> Vec<Effect> {
        let mut effects = self.stop_fit("Stopped: other data was opened while fitting; the current model stays in use.");
        self.class = classroom.classes.first().map(|c| c.0);
        self.close_student();
        self.notice = notice;
        self.data = Some(Rc::new(classroom));
        effects.extend(self.rescore());
        effects
    }

    fn close_student(&mut self) {
        self.student = None;
        self.student_view = None;
    }

    /// The worker uses `models` from now on, with the classroom read again for them (a new DKT
    /// knows other skills): the student page closes, and WebGPU is probed again before the next
    /// run. Unless the models come from the fit itself, a fit under way is stopped (its model
    /// would replace the one just chosen, or bring back one just forgotten) and an earlier
    /// fit's result, which no longer describes the model in use, is cleared.
    fn swap(&mut self, models: ModelsShown, classroom: ClassroomShown, change: Change) -> Vec<Effect> {
        let mut effects = Vec::new();
        if !matches!(change, Change::Fitted { .. }) {
            effects = self.stop_fit("Stopped: other models were chosen while fitting; they are in use.");
            if effects.is_empty() {
                self.fit = FitStatus::Idle;
            }
        }
        self.notice = Some(match change {
            Change::Opened { file, role } => {
                let what = if role == Role::Mastery { "mastery" } else { "suggestions" };
                format!("Opened {file}: now used for {what}.")
            }
            Change::Fitted { file, role } => {
                let what = if role == Role::Mastery { "mastery" } else { "suggestions" };
                format!("A model fitted to this data is now used for {what} ({file}).")
            }
            Change::Forgotten { removed: Ok(()) } => "Opened and fitted models were removed from this browser; the demo packs are in use.".to_string(),
            Change::Forgotten { removed: Err(e) } => format!("The kept packs could not be removed ({e}); the demo packs are in use for this visit."),
        });
        self.models = Loading::Ready(models);
        self.data = Some(Rc::new(classroom));
        self.close_student();
        self.pack_error = None;
        self.gpu = GpuStatus::Probing;
        // A run under way scores with the old models: make it stale (the probe starts the next).
        self.run += 1;
        effects
    }

    /// Ends a fit under way (its later events are dropped, and the worker is told to stop) with
    /// `message`; the message to the worker if there was one.
    fn stop_fit(&mut self, message: &str) -> Vec<Effect> {
        if !matches!(self.fit, FitStatus::Running(_)) {
            return Vec::new();
        }
        self.fit_run += 1;
        self.fit = FitOutcome::not_used(message.to_string(), None);
        vec![Effect::Post(ToWorker::CancelFit)]
    }

    fn fitted(&mut self, event: FitEvent) -> Vec<Effect> {
        match event {
            FitEvent::Progress(p) => {
                self.fit = FitStatus::Running(Some(p));
                Vec::new()
            }
            FitEvent::Refused { verdict, reason } => {
                self.fit = FitOutcome::not_used(format!("Not used: {reason}."), Some(verdict));
                Vec::new()
            }
            FitEvent::Failed(e) => {
                self.fit = FitOutcome::not_used(format!("The fit failed: {e}. The current model stays in use."), None);
                Vec::new()
            }
            FitEvent::Cancelled => {
                self.fit = FitOutcome::not_used("Cancelled: the current model stays in use.".into(), None);
                Vec::new()
            }
            FitEvent::Fitted { verdict, pack } => {
                let file = fitted_file_name(verdict.kind, &verdict.about.trained_on);
                let message = format!("In use: {}.", verdict.summary());
                let shared = std::sync::Arc::new(pack);
                self.fit = FitStatus::Ended(FitOutcome { used: true, message, verdict: Some(verdict), download: Some((file.clone(), shared.clone())) });
                // The worker swaps it in and answers `Models` with `Change::Fitted`.
                vec![Effect::Post(ToWorker::UsePack { file, bytes: shared.to_vec(), origin: Origin::Fitted })]
            }
        }
    }

    /// The header's lines about the models in use.
    pub fn model_lines(&self) -> Vec<String> {
        self.loaded_models().map(|m| m.lines()).unwrap_or_default()
    }

    /// Why the panel offers "Fit a model to this data" on its own: answers or reads the models
    /// in use could not read.
    pub fn fit_offer(&self) -> Option<String> {
        let data = self.data.as_ref()?;
        match (data.unknown_skill, data.unknown_title) {
            (0, 0) => None,
            (0, titles) => {
                Some(format!("{titles} reads are on titles the suggestion model in use does not know: fit STUDY or Individual to this data to suggest them."))
            }
            (answers, _) => Some(format!("{answers} answers are on skills the model in use does not know: fit a model to this data to score them.")),
        }
    }

    /// A new run when everything the scores depend on is there (the GPU probe included, so a
    /// page with WebGPU does not score twice). An open student's page comes with it.
    fn rescore(&mut self) -> Vec<Effect> {
        let (Loading::Ready(_), Some(_), Some(class)) = (&self.models, &self.data, self.class) else { return Vec::new() };
        let gpu = match &self.gpu {
            GpuStatus::Probing => return Vec::new(),
            GpuStatus::Ready(_) => self.uses_gpu(),
            GpuStatus::Unavailable(_) => false,
        };
        self.run += 1;
        self.student_view = None;
        vec![Effect::Post(ToWorker::Score { run: self.run, request: ScoreRequest { class, thresholds: self.thresholds }, gpu, student: self.student.clone() })]
    }

    pub fn loaded_models(&self) -> Option<&ModelsShown> {
        match &self.models {
            Loading::Ready(m) => Some(m),
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

    /// Whether the models run on WebGPU: by default on a hardware adapter and not on a software
    /// fallback (slower than the CPU there, BENCHMARKS.md); the teacher's switch turns that over.
    pub fn uses_gpu(&self) -> bool {
        match &self.gpu {
            GpuStatus::Ready(found) => found.software == self.gpu_switch,
            _ => false,
        }
    }

    /// The header's line about where the models run, and why.
    pub fn backend_line(&self) -> String {
        match &self.gpu {
            GpuStatus::Probing => "Looking for WebGPU…".to_string(),
            GpuStatus::Ready(found) => {
                let on = if found.study { "DKT and STUDY" } else { "DKT" };
                let rest = match (&found.study_error, found.study) {
                    (_, true) => String::new(),
                    (Some(e), false) => format!(" · STUDY on the CPU ({e})"),
                    (None, false) => " · STUDY on the CPU".to_string(),
                };
                match (found.software, self.gpu_switch) {
                    (false, false) => format!("{on} on WebGPU ({}){rest}", found.adapter),
                    (false, true) => "CPU (WebAssembly), chosen over WebGPU".to_string(),
                    (true, false) => format!("CPU (WebAssembly) · this browser's WebGPU is a software fallback ({}), slower than the CPU", found.adapter),
                    (true, true) => format!("{on} on WebGPU ({}, a software fallback), chosen over the CPU{rest}", found.adapter),
                }
            }
            // The adapter error's first clause; the rest lists every backend wgpu tried.
            GpuStatus::Unavailable(e) => format!("CPU (WebAssembly) · no WebGPU: {}", e.split(" (").next().unwrap_or(e)),
        }
    }

    /// The switch's label: it turns the adapter's default over.
    pub fn gpu_switch_label(&self) -> &'static str {
        match &self.gpu {
            GpuStatus::Ready(found) if found.software => " Use WebGPU anyway",
            _ => " Use the CPU only",
        }
    }

    pub fn gpu_ready(&self) -> bool {
        matches!(self.gpu, GpuStatus::Ready(_))
    }

    pub fn source_line(&self) -> String {
        self.data.as_ref().map(|d| d.source_line.clone()).unwrap_or_default()
    }

    /// The class picker's entries.
    pub fn class_names(&self) -> Vec<String> {
        self.data.as_ref().map(|d| d.classes.iter().map(|c| c.1.clone()).collect()).unwrap_or_default()
    }

    pub fn progress_line(&self) -> String {
        let (done, total) = self.progress;
        if done < total { format!("Scoring the class: {done} of {total} students…") } else { format!("{total} students scored") }
    }

    /// Changes whenever [`AppState::content`] does: the outcome's run, the open student and
    /// whether their page is back.
    pub fn content_key(&self) -> (Option<u64>, Option<String>, bool) {
        (self.outcome.as_ref().map(|o| o.run), self.student.clone(), self.student_view.is_some())
    }

    pub fn content(&self) -> Content {
        let (Some(outcome), Some(data)) = (&self.outcome, &self.data) else { return Content::Scoring };
        let result = match &outcome.result {
            Err(e) => return Content::Failed(e.clone()),
            Ok(r) => r.clone(),
        };
        match (&self.student, &self.student_view) {
            (Some(s), Some(view)) => {
                let readings = result.found.iter().find(|f| &f.student == s).cloned();
                Content::Student { view: view.clone(), readings, data: data.clone() }
            }
            (Some(_), None) => Content::StudentLoading,
            _ => Content::Class { result, data: data.clone() },
        }
    }
}

/// The fitted pack's file name: `fitted-dkt-` and the data's first file's stem, in characters
/// every file system takes.
pub fn fitted_file_name(kind: FitKind, source: &str) -> String {
    let first = source.split(", ").next().unwrap_or("class");
    let stem = first.rsplit_once('.').map_or(first, |(s, _)| s);
    let safe: String = stem.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("fitted-{}-{}.pack", kind.id(), if safe.is_empty() { "class" } else { &safe })
}

/// The loading line while the worker's wasm downloads: "Downloading the models' code: 3.2 of
/// 9.5 MB (34%)…". Without a size, or a size smaller than what came (a compressed
/// `content-length`), only what came.
pub fn download_line(loaded: u64, total: u64) -> String {
    let mb = |b: u64| b as f64 / 1e6;
    if total > 0 && loaded <= total {
        format!("Downloading the models' code: {:.1} of {:.1} MB ({:.0}%)…", mb(loaded), mb(total), 100.0 * loaded as f64 / total as f64)
    } else {
        format!("Downloading the models' code: {:.1} MB…", mb(loaded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classroom::UploadedFile;
    use crate::engine::Engine;
    use crate::fitter::{FitData, Fitter};
    use crate::scorer::Scorer;
    use crate::scorer::testing::demo_models;

    /// The page's state with the worker's [`Engine`] answering natively, as the worker does in
    /// the browser (scoring and fitting run to their end at once).
    struct Sim {
        state: AppState,
        engine: Engine,
        /// Messages to the worker not yet answered.
        posted: Vec<ToWorker>,
        /// The adapter (or why none) every probe finds.
        gpu: Result<GpuFound, String>,
    }

    impl Sim {
        /// The page's start: the worker says it is ready, loads, probes; the first run is posted.
        fn started(gpu: Result<GpuFound, String>) -> Self {
            let (engine, started) = Engine::start(demo_models(), Vec::new(), None, Vec::new());
            let mut sim = Sim { state: AppState::new(Thresholds::default()), engine, posted: Vec::new(), gpu };
            assert_eq!(sim.state.page(), Page::Loading);
            assert!(matches!(sim.heard(FromWorker::Ready)[..], [Effect::Start]));
            sim.heard(FromWorker::Loading("Fetching the demo packs…".into()));
            assert_eq!(sim.state.loading, "Fetching the demo packs…");
            let loaded = sim.engine.loaded(&started);
            assert!(sim.heard(loaded).is_empty() && sim.posted.is_empty(), "no run before the probe");
            let probe = FromWorker::GpuProbed(sim.gpu.clone());
            sim.heard(probe);
            assert!(matches!(sim.posted[..], [ToWorker::Score { run: 1, .. }]));
            sim
        }

        fn act(&mut self, action: Action) -> Vec<Effect> {
            let effects = self.state.update(action);
            self.collect(effects)
        }

        fn heard(&mut self, message: FromWorker) -> Vec<Effect> {
            self.act(Action::Worker(Box::new(message)))
        }

        /// Keeps the posts; the other effects.
        fn collect(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
            let mut rest = Vec::new();
            for e in effects {
                match e {
                    Effect::Post(m) => self.posted.push(m),
                    other => rest.push(other),
                }
            }
            rest
        }

        /// What the worker answers to `message`.
        fn answer(&mut self, message: ToWorker) -> Vec<FromWorker> {
            let probe = FromWorker::GpuProbed(self.gpu.clone());
            match message {
                ToWorker::Start { .. } => panic!("the sim starts itself"),
                ToWorker::Import(import) => vec![self.engine.import(&import)],
                ToWorker::Demo { notice } => vec![self.engine.demo(notice)],
                ToWorker::UsePack { file, bytes, origin } => match self.engine.open(&file, bytes, origin) {
                    Ok((reply, _)) => vec![reply, probe],
                    Err(why) => vec![FromWorker::PackRefused(why)],
                },
                ToWorker::ForgetPacks => vec![self.engine.forgotten(demo_models(), Ok(())), probe],
                ToWorker::Score { run, request, student, .. } => {
                    let mut out: Vec<FromWorker> =
                        Scorer::new(&self.engine.models, &self.engine.data, &request).map(|event| FromWorker::Scorer { run, event }).collect();
                    out.extend(student.map(|s| self.engine.student_page(run, &s, request.thresholds)));
                    out
                }
                ToWorker::Student { run, student, thresholds } => vec![self.engine.student_page(run, &student, thresholds)],
                ToWorker::Fit { run, kind } => {
                    // The worker's fitter, in one slice.
                    let data = FitData::prepare(&self.engine.data.classroom, kind).unwrap();
                    let event = Fitter::new(&data, 0.0).unwrap().slice(f64::INFINITY, &mut || 0.0).unwrap();
                    vec![FromWorker::Fit { run, event }]
                }
                ToWorker::CancelFit => Vec::new(),
            }
        }

        /// Answers every message posted, and those the answers set off; the other effects.
        fn pump(&mut self) -> Vec<Effect> {
            let mut effects = Vec::new();
            while !self.posted.is_empty() {
                for m in std::mem::take(&mut self.posted) {
                    for reply in self.answer(m) {
                        let e = self.heard(reply);
                        effects.extend(e);
                    }
                }
            }
            effects
        }

        fn take_score(&mut self) -> (u64, ScoreRequest, bool) {
            let i = self.posted.iter().position(|m| matches!(m, ToWorker::Score { .. })).expect("a run was posted");
            match self.posted.remove(i) {
                ToWorker::Score { run, request, gpu, .. } => (run, request, gpu),
                _ => unreachable!(),
            }
        }
    }

    fn rendered(effects: &[Effect]) -> bool {
        effects.iter().any(|e| matches!(e, Effect::Rendered))
    }

    #[test]
    fn the_page_starts_on_the_first_class_once_everything_is_loaded() {
        let mut s = Sim::started(Err("no adapter (tried: vulkan, gl)".into()));
        assert_eq!(s.state.page(), Page::Ready);
        let (run, request, gpu) = s.take_score();
        assert_eq!((run, gpu, request.thresholds), (1, false, Thresholds::default()));
        assert_eq!(Some(request.class), s.state.data.as_ref().unwrap().classes.first().map(|c| c.0));
        assert_eq!(s.state.backend_line(), "CPU (WebAssembly) · no WebGPU: no adapter");
        assert_eq!(s.state.source_line(), "built-in demo classroom");
        assert_eq!(s.state.class_names().len(), 4);
        assert!(matches!(s.state.content(), Content::Scoring));
        s.posted.push(ToWorker::Score { run, request, gpu, student: None });
        assert!(rendered(&s.pump()));
        assert_eq!(s.state.progress_line(), "30 students scored");
        let Content::Class { result, .. } = s.state.content() else { panic!("the class is shown") };
        assert_eq!(result.view.students.len(), 30);
        assert_eq!(result.backend, crate::scorer::CPU_BACKEND);
        assert!(s.state.model_lines()[0].starts_with("Mastery: DKT · 20 skills"));
    }

    #[test]
    fn progress_is_the_mastery_stage_and_a_stale_run_is_dropped() {
        let mut s = Sim::started(Err("none".into()));
        let first = s.take_score();
        s.heard(FromWorker::Scorer { run: 1, event: ScorerEvent::Progress { stage: Stage::Mastery, done: 8, total: 30 } });
        assert_eq!(s.state.progress_line(), "Scoring the class: 8 of 30 students…");
        s.heard(FromWorker::Scorer { run: 1, event: ScorerEvent::Progress { stage: Stage::Readings, done: 8, total: 20 } });
        assert_eq!(s.state.progress, (8, 30), "the readings stage does not move the students count");
        s.act(Action::PickClass(2));
        let second = s.take_score();
        assert_eq!((second.0, Some(second.1.class)), (2, s.state.data.as_ref().unwrap().classes.get(2).map(|c| c.0)));
        s.posted.push(ToWorker::Score { run: first.0, request: first.1, gpu: false, student: None });
        assert!(s.pump().is_empty(), "run 1 is stale: its result is dropped");
        assert!(s.state.outcome.is_none());
        s.posted.push(ToWorker::Score { run: second.0, request: second.1, gpu: false, student: None });
        assert!(rendered(&s.pump()));
        assert_eq!(s.state.outcome.as_ref().map(|o| o.run), Some(2));
        assert!(s.act(Action::PickClass(99)).is_empty() && s.posted.is_empty(), "no such class");
        s.act(Action::SetThresholds(Thresholds::MATHIA));
        let failed = s.take_score();
        assert_eq!(failed.1.thresholds, Thresholds::MATHIA);
        assert!(rendered(&s.heard(FromWorker::Scorer { run: failed.0, event: ScorerEvent::Failed("DKT: broken".into()) })));
        assert!(matches!(s.state.content(), Content::Failed(e) if e == "DKT: broken"));
    }

    #[test]
    fn webgpu_is_used_on_hardware_not_on_a_software_fallback_and_the_switch_turns_that_over() {
        let hardware = GpuFound { adapter: "Vendor GPU".into(), software: false, study: true, study_error: None };
        let mut s = Sim::started(Ok(hardware));
        assert!(s.take_score().2);
        assert!(s.state.gpu_ready() && s.state.uses_gpu());
        assert_eq!(s.state.backend_line(), "DKT and STUDY on WebGPU (Vendor GPU)");
        assert_eq!(s.state.gpu_switch_label(), " Use the CPU only");
        s.act(Action::GpuSwitch(true));
        let cpu = s.take_score();
        assert!(!cpu.2 && cpu.0 == 2);
        assert_eq!(s.state.backend_line(), "CPU (WebAssembly), chosen over WebGPU");
        s.act(Action::GpuSwitch(false));
        assert!(s.take_score().2);
        // A software fallback (SwiftShader): the CPU by default, WebGPU when asked.
        let mut s = Sim::started(Ok(GpuFound { adapter: "SwiftShader".into(), software: true, study: false, study_error: Some("rows of 4096 tokens".into()) }));
        assert!(!s.take_score().2);
        assert_eq!(s.state.backend_line(), "CPU (WebAssembly) · this browser's WebGPU is a software fallback (SwiftShader), slower than the CPU");
        assert_eq!(s.state.gpu_switch_label(), " Use WebGPU anyway");
        s.act(Action::GpuSwitch(true));
        assert!(s.take_score().2);
        assert_eq!(s.state.backend_line(), "DKT on WebGPU (SwiftShader, a software fallback), chosen over the CPU · STUDY on the CPU (rows of 4096 tokens)");
        let mut probing = AppState::new(Thresholds::default());
        assert_eq!(probing.backend_line(), "Looking for WebGPU…");
        assert!(!probing.gpu_ready() && !probing.uses_gpu());
        assert!(probing.update(Action::GpuSwitch(true)).is_empty(), "nothing to score yet");
    }

    #[test]
    fn a_student_page_is_asked_of_the_worker_and_a_new_classroom_closes_it() {
        let mut s = Sim::started(Err("none".into()));
        s.pump();
        let Content::Class { result, .. } = s.state.content() else { panic!() };
        let who = result.found.first().map(|f| f.student.clone()).expect("the demo class has readings");
        let key = s.state.content_key();
        s.act(Action::OpenStudent(who.clone()));
        assert!(matches!(s.posted[..], [ToWorker::Student { run: 1, .. }]), "the page is the worker's to compute");
        assert!(matches!(s.state.content(), Content::StudentLoading));
        s.pump();
        assert_ne!(s.state.content_key(), key);
        let Content::Student { view, readings, .. } = s.state.content() else { panic!("the student's page") };
        assert_eq!(view.student, who);
        assert_eq!(view.thresholds, Thresholds::default());
        assert!(view.next.len() <= STUDENT_NEXT);
        assert_eq!(readings.map(|r| r.student), Some(who.clone()));
        // New thresholds rescore the class and bring the open page again with them.
        s.act(Action::SetThresholds(Thresholds::MATHIA));
        assert!(matches!(&s.posted[..], [ToWorker::Score { student: Some(w), .. }] if *w == who));
        s.pump();
        let Content::Student { view, .. } = s.state.content() else { panic!("the page again") };
        assert_eq!(view.thresholds, Thresholds::MATHIA);
        // A late page of another run or student is dropped.
        let stale = s.engine.student_page(1, &who, Thresholds::default());
        s.heard(stale);
        assert!(matches!(s.state.content(), Content::Student { view, .. } if view.thresholds == Thresholds::MATHIA));
        s.act(Action::CloseStudent);
        assert!(matches!(s.state.content(), Content::Class { .. }));
        s.act(Action::OpenStudent(who));
        s.pump();
        s.act(Action::PickClass(1));
        assert_eq!(s.state.student, None, "another class closes the student's page");
        s.pump();
        let lines = crate::storage::SavedImport { files: vec![UploadedFile { name: "dkt.csv".into(), bytes: b"2\n1,2\n1,0\n".to_vec() }], mapping: None };
        s.act(Action::Import(lines.clone()));
        let effects = s.pump();
        assert!(matches!(&effects[..], [Effect::SaveImport(saved), Effect::Rendered] if *saved == lines), "kept once the worker has read it");
        assert_eq!(s.state.class, Some(None), "a log without classes is one class, all students");
        assert_eq!(s.state.class_names(), ["All students"]);
        assert!(s.state.source_line().starts_with("dkt.csv"));
        // Files that do not load keep the classroom shown, and are not kept.
        s.act(Action::Import(crate::storage::SavedImport { files: vec![UploadedFile { name: "x.csv".into(), bytes: b"a,b\n1,2\n".to_vec() }], mapping: None }));
        assert!(s.pump().is_empty());
        assert!(s.state.import_error.as_ref().unwrap().starts_with("x.csv"));
        assert_eq!(s.state.class_names(), ["All students"]);
        s.act(Action::ShowDemo { notice: "Your imported data was removed".into() });
        s.pump();
        assert_eq!((s.state.class_names().len(), s.state.import_error.clone()), (4, None));
    }

    /// A DKT verdict with held-out AUC `auc` against each skill's mean at 0.7.
    fn judged(auc: f64, source: &str) -> FitVerdict {
        use classlens_core::pack::{HeldOutScore, PackAbout};
        let held_out = HeldOutScore { metric: "AUC".into(), value: auc, baseline: Some(("each skill's mean".into(), 0.7)), students: 6, n: 300 };
        FitVerdict { kind: FitKind::Dkt, about: PackAbout { trained_on: source.into(), students: 18, held_out: Some(held_out) }, steps: 100, seconds: 1.0 }
    }

    /// A class of sixteen students on skills the demo model does not know (ids 101-103).
    fn foreign_class() -> crate::storage::SavedImport {
        let mut csv = String::from("order_id,user_id,problem_id,original,correct,skill_id,skill_name\n");
        for (i, who) in ["Zoë", "Ana", "Bo", "Cy", "Di", "Ed", "Fa", "Gu", "Hi", "Io", "Jo", "Ka", "Lu", "Mo", "Ny", "Ol"].iter().enumerate() {
            for k in 0..40 {
                csv.push_str(&format!("{},{who},{},1,{},{},Sk {}\n", i * 100 + k, k % 3, (i + k) % 2, 101 + k % 3, k % 3));
            }
        }
        crate::storage::SavedImport { files: vec![UploadedFile { name: "mine.csv".into(), bytes: csv.into_bytes() }], mapping: None }
    }

    #[test]
    fn unknown_skills_offer_a_fit_and_a_fitted_model_is_swapped_in_and_rescored() {
        let mut s = Sim::started(Err("none".into()));
        s.act(Action::Import(foreign_class()));
        s.pump();
        assert!(s.state.fit_offer().unwrap().starts_with("640 answers are on skills"), "{:?}", s.state.fit_offer());
        s.act(Action::StartFit(FitKind::Dkt));
        assert_eq!(s.state.fit, FitStatus::Running(None));
        assert!(matches!(s.posted[..], [ToWorker::Fit { run: 1, kind: FitKind::Dkt }]));
        s.pump();
        let FitStatus::Ended(out) = &s.state.fit else { panic!() };
        assert!(out.used && out.download.as_ref().is_some_and(|d| d.0 == "fitted-dkt-mine.pack"), "{}", out.message);
        let models = s.state.loaded_models().unwrap();
        assert_eq!((models.mastery.origin, models.mastery.file.as_str()), (Origin::Fitted, "fitted-dkt-mine.pack"));
        assert!(s.state.model_lines()[0].starts_with("Mastery: DKT · 3 skills · trained on mine.csv"), "{:?}", s.state.model_lines());
        assert_eq!(s.state.fit_offer(), None, "the fitted model knows every skill of the data");
        assert_eq!(s.state.notice.as_deref(), Some("A model fitted to this data is now used for mastery (fitted-dkt-mine.pack)."));
        let Content::Class { result, .. } = s.state.content() else { panic!("rescored on the fitted model") };
        assert_eq!(result.view.students.len(), 16);
    }

    #[test]
    fn a_study_fit_on_the_demo_reads_replaces_the_suggestions_and_keeps_the_mastery_model() {
        let _turn = crate::fitter::TRAINING.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = Sim::started(Err("none".into()));
        s.pump();
        let dkt_before = s.state.loaded_models().unwrap().mastery.clone();
        s.act(Action::StartFit(FitKind::Study));
        assert!(matches!(s.posted[..], [ToWorker::Fit { kind: FitKind::Study, .. }]));
        s.pump();
        let FitStatus::Ended(out) = &s.state.fit else { panic!() };
        assert!(out.used, "{}", out.message);
        assert!(out.message.starts_with("In use: held-out hits@5 ") && out.message.contains("classroom popularity"), "{}", out.message);
        let models = s.state.loaded_models().unwrap();
        let study = models.study.as_ref().unwrap();
        assert_eq!((study.origin, study.file.as_str()), (Origin::Fitted, "fitted-study-built-in_demo_classroom.pack"));
        assert_eq!(models.mastery, dkt_before, "a suggestions fit leaves the mastery model alone");
        assert_eq!(s.state.notice.as_deref(), Some("A model fitted to this data is now used for suggestions (fitted-study-built-in_demo_classroom.pack)."));
        assert!(matches!(s.state.content(), Content::Class { .. }), "rescored with the fitted model");
    }

    #[test]
    fn reads_on_titles_the_suggestions_model_does_not_know_offer_a_fit() {
        use classlens_core::synth::{SKILL_BUILDER_FILE, STUDENT_ACTIVITY_FILE, SynthConfig, generate, render_files};
        let files = render_files(&generate(&SynthConfig::small())).unwrap();
        let pick = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        // The same reads on titles renamed (SHLF_NUM, the second column): none is the demo's.
        let activity = String::from_utf8(pick(STUDENT_ACTIVITY_FILE)).unwrap();
        let renamed: String = activity
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut f: Vec<String> = l.split(',').map(String::from).collect();
                if i > 0 {
                    f[1] = format!("9{}", f[1]);
                }
                f.join(",") + "\n"
            })
            .collect();
        let import = crate::storage::SavedImport {
            files: vec![
                UploadedFile { name: SKILL_BUILDER_FILE.into(), bytes: pick(SKILL_BUILDER_FILE) },
                UploadedFile { name: STUDENT_ACTIVITY_FILE.into(), bytes: renamed.into_bytes() },
            ],
            mapping: None,
        };
        let mut s = Sim::started(Err("none".into()));
        s.pump();
        assert_eq!(s.state.fit_offer(), None, "the demo's models know the demo's skills and titles");
        s.act(Action::Import(import));
        s.pump();
        let offer = s.state.fit_offer().unwrap();
        assert!(
            offer.ends_with("reads are on titles the suggestion model in use does not know: fit STUDY or Individual to this data to suggest them."),
            "{offer}"
        );
        assert!(s.state.data.as_ref().unwrap().source_line.contains("reads on titles the suggestion model does not know"));
    }

    #[test]
    fn a_refused_cancelled_or_failed_fit_leaves_the_model_in_use() {
        let mut s = Sim::started(Err("none".into()));
        let before = s.state.loaded_models().cloned();
        let verdict = judged(0.6, "x");
        for event in
            [FitEvent::Refused { verdict, reason: "worse than each skill's mean".into() }, FitEvent::Cancelled, FitEvent::Failed("loss became NaN".into())]
        {
            s.act(Action::StartFit(FitKind::Dkt));
            s.posted.clear();
            assert!(s.heard(FromWorker::Fit { run: s.state.fit_run, event }).is_empty() && s.posted.is_empty());
            let FitStatus::Ended(out) = &s.state.fit else { panic!() };
            assert!(!out.used && out.download.is_none(), "{}", out.message);
            assert_eq!(s.state.loaded_models().cloned(), before);
        }
        assert!(matches!(s.act(Action::CancelFit)[..], []) && matches!(s.posted[..], [ToWorker::CancelFit]));
    }

    #[test]
    fn an_opened_pack_replaces_its_role_and_a_broken_one_is_refused() {
        let mut s = Sim::started(Err("none".into()));
        s.pump();
        let bytes = std::fs::read(format!("{}/../public/demo/study.pack", env!("CARGO_MANIFEST_DIR"))).unwrap();
        s.act(Action::OpenPack { file: "mine.pack".into(), bytes: bytes.clone() });
        s.pump();
        assert_eq!(s.state.loaded_models().unwrap().study.as_ref().unwrap().file, "mine.pack");
        assert_eq!(s.state.notice.as_deref(), Some("Opened mine.pack: now used for suggestions."));
        assert!(s.state.outcome.as_ref().is_some_and(|o| o.run == 3), "the probe after the swap started a run");
        s.act(Action::OpenPack { file: "bad.pack".into(), bytes: bytes[..bytes.len() - 1].to_vec() });
        s.pump();
        assert!(s.state.pack_error.as_ref().unwrap().starts_with("bad.pack: "));
        assert!(s.state.pack_error.as_ref().unwrap().ends_with("The models in use are unchanged."));
        assert_eq!(s.state.loaded_models().unwrap().study.as_ref().unwrap().file, "mine.pack");
        // A pack the browser did not keep is still in use, and the notice says so.
        s.heard(FromWorker::NotKept { file: "big.pack".into(), error: "quota".into() });
        assert_eq!(
            s.state.notice.as_deref(),
            Some("Opened mine.pack: now used for suggestions. big.pack is in use for this visit, but this browser did not keep it: quota")
        );
        s.act(Action::ForgetPacks);
        s.pump();
        assert!(!s.state.loaded_models().unwrap().any_kept());
        assert!(s.state.notice.as_ref().unwrap().starts_with("Opened and fitted models were removed"));
        assert_eq!(fitted_file_name(FitKind::Dkt, "Ma classe (2).csv, skills.json"), "fitted-dkt-Ma_classe__2_.pack");
        assert_eq!(fitted_file_name(FitKind::Study, ""), "fitted-study-class.pack");
    }

    #[test]
    fn new_data_stops_a_fit_and_its_late_events_are_dropped() {
        let mut s = Sim::started(Err("none".into()));
        s.pump();
        s.act(Action::StartFit(FitKind::Dkt));
        s.posted.clear();
        let stale = s.state.fit_run;
        s.act(Action::Import(foreign_class()));
        s.pump();
        let FitStatus::Ended(out) = &s.state.fit else { panic!("the fit is stopped") };
        assert!(!out.used && out.message.starts_with("Stopped: other data was opened"), "{}", out.message);
        let verdict = judged(0.9, "old.csv");
        assert!(s.heard(FromWorker::Fit { run: stale, event: FitEvent::Fitted { verdict, pack: vec![1, 2, 3] } }).is_empty());
        assert!(s.posted.is_empty(), "a stale fit's model is never used");
        // Opening a pack during a fit stops the fit (its model would replace the one chosen),
        // tells the worker, and makes a scoring run under way stale.
        s.act(Action::StartFit(FitKind::Dkt));
        s.posted.clear();
        let running = s.state.fit_run;
        let before = s.state.run;
        let bytes = std::fs::read(format!("{}/../public/demo/dkt.pack", env!("CARGO_MANIFEST_DIR"))).unwrap();
        s.act(Action::OpenPack { file: "d.pack".into(), bytes });
        let message = s.posted.remove(0);
        for reply in s.answer(message) {
            s.heard(reply);
        }
        assert!(s.state.run > before);
        assert!(s.state.fit_run > running && matches!(&s.state.fit, FitStatus::Ended(o) if o.message.starts_with("Stopped: other models")));
        assert!(s.posted.iter().any(|m| matches!(m, ToWorker::CancelFit)));
        // A later swap clears a finished fit's result: it no longer describes the model in use.
        s.act(Action::ForgetPacks);
        s.pump();
        assert_eq!(s.state.fit, FitStatus::Idle);
    }

    #[test]
    fn a_saved_import_that_fails_is_forgotten_and_a_stopped_worker_is_said() {
        let saved = SavedImport { files: vec![UploadedFile { name: "x.csv".into(), bytes: b"nothing,useful\n".to_vec() }], mapping: None };
        let (engine, started) = Engine::start(demo_models(), Vec::new(), Some(&saved), Vec::new());
        let mut state = AppState::new(Thresholds::default());
        let effects = state.update(Action::Worker(Box::new(engine.loaded(&started))));
        assert!(matches!(effects[..], [Effect::ForgetImport]));
        assert!(state.notice.as_ref().unwrap().starts_with("The saved data could not be read again"));
        state.update(Action::WorkerFailed("out of memory".into()));
        assert_eq!(state.notice.as_deref(), Some("The page's worker stopped: out of memory"));
        let mut fresh = AppState::new(Thresholds::default());
        fresh.update(Action::WorkerDownload { loaded: 3_200_000, total: 9_500_000 });
        assert_eq!(fresh.loading, "Downloading the models' code: 3.2 of 9.5 MB (34%)…");
        fresh.update(Action::WorkerDownload { loaded: 9_500_000, total: 2_100_000 });
        assert_eq!(fresh.loading, "Downloading the models' code: 9.5 MB…", "a compressed size says nothing of the bytes");
        fresh.update(Action::WorkerDownload { loaded: 1_000, total: 0 });
        assert_eq!(fresh.loading, "Downloading the models' code: 0.0 MB…");
        let loading = state.loading.clone();
        state.update(Action::WorkerDownload { loaded: 1, total: 2 });
        assert_eq!(state.loading, loading, "once the models are in, a late count changes nothing");
        fresh.update(Action::WorkerFailed("no module workers".into()));
        assert_eq!(fresh.page(), Page::Failed("The page's worker stopped: no module workers".into()));
    }
}
