//! What the page and its Web Worker say to each other. The worker ([`crate::worker`]) holds the
//! models and the prepared classroom and does all model work (loading packs, scoring,
//! suggestions, a student's trajectory, fitting); the page ([`crate::state`], the components)
//! holds only what it renders: [`ModelsShown`], [`ClassroomShown`] and the results.
//!
//! Messages are plain serde data, encoded as CBOR (`ciborium`, already in the wasm through
//! burn) and posted as a transferred `Uint8Array`: one copy of a result, no JSON text of a
//! pack's megabytes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::classroom::ClassKey;
use crate::dashboard::levels::Thresholds;
use crate::dashboard::student::StudentView;
use crate::fitter::{FitEvent, FitKind};
use crate::packs::{ModelInfo, Origin, Role};
use crate::scorer::{Prepared, ScoreRequest, ScorerEvent};
use crate::storage::SavedImport;

/// The page to its worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Load the demo packs (`base`: the page's address, which they are relative to) and the
    /// packs this browser keeps, and show `saved` (the import the page kept) or the demo
    /// classroom. Answered [`FromWorker::Loaded`] or [`FromWorker::LoadFailed`], then
    /// [`FromWorker::GpuProbed`]. `notice`: the page's own (a saved import it could not read).
    Start { base: String, saved: Option<SavedImport>, notice: Option<String> },
    /// Show these files. Answered [`FromWorker::Classroom`] or [`FromWorker::ImportRefused`].
    Import(SavedImport),
    /// Show the built-in classroom (with `notice`). Answered [`FromWorker::Classroom`].
    Demo { notice: Option<String> },
    /// Use this pack in its role and keep it in this browser. Answered
    /// [`FromWorker::Models`] (then [`FromWorker::GpuProbed`]) or [`FromWorker::PackRefused`].
    UsePack {
        file: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
        origin: Origin,
    },
    /// Remove the kept packs and use the demo's. Answered [`FromWorker::Models`].
    ForgetPacks,
    /// Score a class: [`FromWorker::Scorer`] events of run `run` (and, with `student`, that
    /// student's [`FromWorker::Student`] after the result). A newer run stops an older one.
    Score { run: u64, request: ScoreRequest, gpu: bool, student: Option<String> },
    /// A student's page. Answered [`FromWorker::Student`].
    Student { run: u64, student: String, thresholds: Thresholds },
    /// Fit a model of `kind` to the classroom shown: [`FromWorker::Fit`] events of fit `run`.
    Fit { run: u64, kind: FitKind },
    /// Stop the fit under way (it ends with `FitEvent::Cancelled`).
    CancelFit,
}

/// Why the models in use changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// A pack the teacher opened, now in `role`.
    Opened { file: String, role: Role },
    /// The pack a fit made.
    Fitted { file: String, role: Role },
    /// "Forget": the demo's packs again; the error if the kept ones could not be removed.
    Forgotten { removed: Result<(), String> },
}

/// The worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker runs and listens: the page may send [`ToWorker::Start`].
    Ready,
    /// What the start is doing now ("Fetching the demo packs…"), for the loading line.
    Loading(String),
    Loaded {
        models: ModelsShown,
        classroom: ClassroomShown,
        notice: Option<String>,
        /// The saved import did not load again (the page forgets it).
        saved_failed: bool,
    },
    LoadFailed(String),
    /// The classroom shown changed (`imported`: from the page's files, which it may now keep).
    Classroom {
        classroom: ClassroomShown,
        notice: Option<String>,
        imported: bool,
    },
    ImportRefused(String),
    /// The models in use changed; the classroom as the new models read it.
    Models {
        models: ModelsShown,
        classroom: ClassroomShown,
        change: Change,
    },
    /// A pack in use that this browser refused to keep (a full quota): it is used for this visit.
    NotKept {
        file: String,
        error: String,
    },
    PackRefused(String),
    /// WebGPU's adapter for the models in use, or why there is none.
    GpuProbed(Result<GpuFound, String>),
    Scorer {
        run: u64,
        event: ScorerEvent,
    },
    Student {
        run: u64,
        view: Box<StudentView>,
    },
    Fit {
        run: u64,
        event: FitEvent,
    },
}

/// What the page shows of the models in use.
/// What the worker's WebGPU probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuFound {
    pub adapter: String,
    /// A software fallback adapter (SwiftShader): the CPU is faster, so it is not used by default.
    pub software: bool,
    /// STUDY's kernels were made too (there is a STUDY or Individual pack).
    pub study: bool,
    /// Why they were not, when there is a pack for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsShown {
    /// The knowledge-tracing model of the heatmap (DKT, AKT or BKT).
    pub mastery: ModelInfo,
    pub study: Option<ModelInfo>,
    /// Each skill's parameters when the mastery model is BKT (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bkt: Vec<crate::dashboard::bkt::BktSkill>,
}

impl ModelsShown {
    /// The header's lines.
    pub fn lines(&self) -> Vec<String> {
        let study = self.study.as_ref().map_or("no STUDY pack".to_string(), |i| i.line());
        vec![format!("Mastery: {}", self.mastery.line()), format!("Suggestions: {study}")]
    }

    /// Whether any model in use is not the demo's (then "forget" has something to remove).
    pub fn any_kept(&self) -> bool {
        self.mastery.origin != Origin::Demo || self.study.as_ref().is_some_and(|i| i.origin != Origin::Demo)
    }
}

/// What the page shows of the classroom: its classes, where it came from, what the models could
/// not read, and the names the summaries print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassroomShown {
    /// The files' names ("built-in demo classroom" for the demo).
    pub source: String,
    /// The header's line (see [`Prepared::source_line`]).
    pub source_line: String,
    pub classes: Vec<(ClassKey, String)>,
    /// Answers on skills the DKT in use does not know.
    pub unknown_skill: usize,
    /// Reads on titles the STUDY or Individual in use does not know.
    pub unknown_title: usize,
    pub prerequisites: HashMap<String, Vec<String>>,
    pub titles: HashMap<String, String>,
}

impl ClassroomShown {
    pub fn of(data: &Prepared) -> Self {
        let c = &data.classroom;
        Self {
            source: c.source.clone(),
            source_line: data.source_line(),
            classes: c.classes(),
            unknown_skill: data.report.unknown_skill,
            unknown_title: data.unknown_title(),
            prerequisites: c.prerequisites.clone(),
            titles: c.titles.clone(),
        }
    }
}

/// A message as the bytes posted.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(message, &mut out).expect("messages are plain data");
    out
}

/// The bytes posted, as a message; what is wrong otherwise.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|e| format!("a message between the page and its worker did not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorer::testing::{demo_data, demo_models};
    use crate::scorer::{ScoreRequest, Scorer};

    #[test]
    fn every_message_survives_the_trip() {
        let models = demo_models();
        let data = demo_data(&models);
        let request = ScoreRequest { class: data.classroom.classes()[0].0, thresholds: Thresholds::default() };
        let scored: Vec<FromWorker> = Scorer::new(&models, &data, &request).map(|event| FromWorker::Scorer { run: 3, event }).collect();
        let mut messages = vec![
            FromWorker::Ready,
            FromWorker::Loaded { models: models.shown(), classroom: ClassroomShown::of(&data), notice: Some("é".into()), saved_failed: false },
            FromWorker::GpuProbed(Err("none".into())),
            FromWorker::GpuProbed(Ok(GpuFound { adapter: "SwiftShader".into(), software: true, study: false, study_error: Some("é".into()) })),
            FromWorker::Models { models: models.shown(), classroom: ClassroomShown::of(&data), change: Change::Forgotten { removed: Err("quota".into()) } },
            FromWorker::NotKept { file: "a.pack".into(), error: "quota".into() },
        ];
        messages.extend(scored);
        for m in &messages {
            assert_eq!(&decode::<FromWorker>(&encode(m)).unwrap(), m);
        }
        let up = ToWorker::UsePack { file: "ü.pack".into(), bytes: vec![0, 255, 7], origin: Origin::Opened };
        assert_eq!(decode::<ToWorker>(&encode(&up)).unwrap(), up);
        // Bytes cross as one CBOR byte string, not an array of numbers.
        let big = ToWorker::UsePack { file: "x".into(), bytes: vec![200; 10_000], origin: Origin::Fitted };
        assert!(encode(&big).len() < 10_100);
        assert!(decode::<FromWorker>(b"\xff").unwrap_err().contains("did not decode"));
    }

    #[test]
    fn the_header_lines_and_forget_follow_the_models() {
        let shown = demo_models().shown();
        assert!(!shown.any_kept());
        let lines = shown.lines();
        assert!(lines[0].starts_with("Mastery: DKT · 20 skills") && lines[1].starts_with("Suggestions: STUDY"), "{lines:?}");
        let mut opened = shown.clone();
        opened.study.as_mut().unwrap().origin = Origin::Opened;
        assert!(opened.any_kept());
    }
}
