//! What the Web Worker holds: the models in use and the classroom prepared for them, and the
//! changes the page asks for (start, show a classroom, use a pack, a student's page). Plain
//! Rust with native tests; [`crate::worker`] adds the browser (fetching, IndexedDB, WebGPU,
//! yielding) and runs the long work ([`crate::scorer::Scorer`], [`crate::fitter::Fitter`]) on
//! what this holds.

use std::rc::Rc;

use crate::classroom::Classroom;
use crate::dashboard::levels::Thresholds;
use crate::dashboard::student::StudentView;
use crate::pack_store::KeptPack;
use crate::packs::{Models, Origin, Role, open_pack};
use crate::protocol::{Change, ClassroomShown, FromWorker, ModelsShown};
use crate::scorer::Prepared;
use crate::state::STUDENT_NEXT;
use crate::storage::{SavedImport, lost_import};

pub struct Engine {
    /// `Rc`s: a scoring run or a fit under way keeps the models and data it started with.
    pub models: Rc<Models>,
    pub data: Rc<Prepared>,
}

/// How a start went, beside the engine.
#[derive(Debug, Default, PartialEq)]
pub struct Started {
    /// Said to the teacher: a kept pack or the saved import that no longer loads.
    pub notice: Option<String>,
    /// Kept packs that no longer load (removed, so the notice is said once).
    pub dropped: Vec<Role>,
    /// The saved import did not load again (the page forgets it).
    pub saved_failed: bool,
}

impl Engine {
    /// The demo's models with the kept packs in their roles, showing `saved` (an import the page
    /// kept) or the built-in classroom. `notices` (the page's and the worker's so far) are said
    /// first, then this start's own, in one [`Started::notice`].
    pub fn start(demo: Models, kept: Vec<KeptPack>, saved: Option<&SavedImport>, mut notices: Vec<String>) -> (Self, Started) {
        let mut models = demo;
        let mut started = Started::default();
        let mut problems = Vec::new();
        for k in kept {
            match open_pack(&k.file, &k.bytes, k.origin) {
                Ok(opened) => models = models.with(opened),
                Err(e) => {
                    started.dropped.push(k.role);
                    problems.push(e);
                }
            }
        }
        let classroom = match saved.map(|s| Classroom::from_files(&s.files, s.mapping.as_deref())) {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                started.saved_failed = true;
                notices.push(lost_import(&e));
                Classroom::demo().expect("the built-in classroom loads")
            }
            None => Classroom::demo().expect("the built-in classroom loads"),
        };
        if !problems.is_empty() {
            notices.push(format!("A kept pack could not be loaded and was removed: {}", problems.join("; ")));
        }
        started.notice = (!notices.is_empty()).then(|| notices.join(" "));
        let data = Rc::new(Prepared::new(&models, classroom));
        (Self { models: Rc::new(models), data }, started)
    }

    /// Shows `classroom` from now on.
    pub fn show(&mut self, classroom: Classroom) {
        self.data = Rc::new(Prepared::new(&self.models, classroom));
    }

    /// Uses `models` from now on; the classroom is read again for them (a new DKT knows other
    /// skills).
    pub fn use_models(&mut self, models: Models) {
        self.data = Rc::new(Prepared::new(&models, self.data.classroom.clone()));
        self.models = Rc::new(models);
    }

    /// Uses the pack in its role, which it returns; a pack that does not load changes nothing.
    pub fn use_pack(&mut self, file: &str, bytes: &[u8], origin: Origin) -> Result<Role, String> {
        let opened = open_pack(file, bytes, origin)?;
        let role = opened.role();
        self.use_models(self.models.with(opened));
        Ok(role)
    }

    pub fn models_shown(&self) -> ModelsShown {
        self.models.shown()
    }

    pub fn classroom_shown(&self) -> ClassroomShown {
        ClassroomShown::of(&self.data)
    }

    /// A student's page at these thresholds.
    pub fn student(&self, student: &str, thresholds: Thresholds) -> StudentView {
        StudentView::new(self.models.kt.as_ref(), &self.data.classroom, student, self.data.steps_of(student), thresholds, STUDENT_NEXT)
    }

    // The answers to the page's messages ([`ToWorker`]) that need no browser.

    /// The answer to a start.
    pub fn loaded(&self, started: &Started) -> FromWorker {
        FromWorker::Loaded {
            models: self.models_shown(),
            classroom: self.classroom_shown(),
            notice: started.notice.clone(),
            saved_failed: started.saved_failed,
        }
    }

    /// [`ToWorker::Import`]: the files shown, or why not (the classroom shown stays).
    pub fn import(&mut self, import: &SavedImport) -> FromWorker {
        match Classroom::from_files(&import.files, import.mapping.as_deref()) {
            Ok(c) => {
                self.show(c);
                FromWorker::Classroom { classroom: self.classroom_shown(), notice: None, imported: true }
            }
            Err(e) => FromWorker::ImportRefused(e),
        }
    }

    /// [`ToWorker::Demo`].
    pub fn demo(&mut self, notice: Option<String>) -> FromWorker {
        self.show(Classroom::demo().expect("the built-in classroom loads"));
        FromWorker::Classroom { classroom: self.classroom_shown(), notice, imported: false }
    }

    /// [`ToWorker::UsePack`]: the answer and the pack to keep; or why it was refused.
    pub fn open(&mut self, file: &str, bytes: Vec<u8>, origin: Origin) -> Result<(FromWorker, KeptPack), String> {
        let role = self.use_pack(file, &bytes, origin)?;
        let change = match origin {
            Origin::Fitted => Change::Fitted { file: file.to_string(), role },
            _ => Change::Opened { file: file.to_string(), role },
        };
        let reply = FromWorker::Models { models: self.models_shown(), classroom: self.classroom_shown(), change };
        Ok((reply, KeptPack { role, file: file.to_string(), origin, bytes }))
    }

    /// [`ToWorker::ForgetPacks`], once the kept packs are removed (or not) and the demo's loaded.
    pub fn forgotten(&mut self, demo: Models, removed: Result<(), String>) -> FromWorker {
        self.use_models(demo);
        FromWorker::Models { models: self.models_shown(), classroom: self.classroom_shown(), change: Change::Forgotten { removed } }
    }

    /// [`ToWorker::Student`].
    pub fn student_page(&self, run: u64, student: &str, thresholds: Thresholds) -> FromWorker {
        FromWorker::Student { run, view: Box::new(self.student(student, thresholds)) }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::classroom::UploadedFile;
    use crate::scorer::testing::demo_models;

    fn demo_pack(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../public/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn a_start_opens_the_kept_packs_and_drops_the_broken_ones() {
        let good = KeptPack { role: Role::Suggestions, file: "mine.pack".into(), origin: Origin::Opened, bytes: demo_pack("study.pack") };
        let broken = KeptPack { role: Role::Mastery, file: "bad.pack".into(), origin: Origin::Fitted, bytes: vec![1, 2, 3] };
        let (e, started) = Engine::start(demo_models(), vec![good, broken], None, Vec::new());
        assert_eq!(e.models_shown().study.unwrap().file, "mine.pack");
        assert_eq!(e.models_shown().mastery.origin, Origin::Demo, "the broken pack left the demo's in place");
        assert_eq!(started.dropped, [Role::Mastery]);
        assert!(started.notice.unwrap().starts_with("A kept pack could not be loaded and was removed: bad.pack: "));
        assert!(!started.saved_failed);
        assert_eq!(e.classroom_shown().source, "built-in demo classroom");
        assert_eq!(e.classroom_shown().classes.len(), 4);
    }

    #[test]
    fn a_saved_import_that_no_longer_loads_is_forgotten_for_the_demo() {
        let saved = SavedImport { files: vec![UploadedFile { name: "x.csv".into(), bytes: b"nothing,useful\n1,2\n".to_vec() }], mapping: None };
        let (e, started) = Engine::start(demo_models(), Vec::new(), Some(&saved), vec!["Earlier.".into()]);
        assert!(started.saved_failed);
        assert!(started.notice.unwrap().starts_with("Earlier. The saved data could not be read again and was forgotten: x.csv"));
        assert_eq!(e.classroom_shown().source, "built-in demo classroom");
    }

    #[test]
    fn a_pack_replaces_its_role_and_the_classroom_is_read_again() {
        let (mut e, _) = Engine::start(demo_models(), Vec::new(), None, Vec::new());
        let before = e.data.clone();
        assert_eq!(e.use_pack("d.pack", &demo_pack("dkt.pack"), Origin::Opened), Ok(Role::Mastery));
        assert!(!Rc::ptr_eq(&before, &e.data), "prepared again for the new DKT");
        assert_eq!(e.models_shown().mastery.file, "d.pack");
        let err = e.use_pack("bad.pack", b"not a pack", Origin::Opened).unwrap_err();
        assert!(err.starts_with("bad.pack: "), "{err}");
        assert_eq!(e.models_shown().mastery.file, "d.pack", "a refused pack changes nothing");
        let student = e.data.classroom.students_of(e.classroom_shown().classes[0].0)[0].clone();
        let view = e.student(&student, Thresholds::default());
        assert_eq!(view.student, student);
        assert_eq!(view.labels.len(), 20);
    }
}
