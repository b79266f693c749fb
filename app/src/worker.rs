//! The Web Worker that does all model work, so the page's thread only renders: it loads the
//! packs (the demo's, fetched; the kept ones, from IndexedDB), holds the models and the
//! prepared classroom ([`Engine`]), scores classes, computes a student's page, fits DKT and
//! probes WebGPU. It speaks [`crate::protocol`]: one [`ToWorker`] in, [`FromWorker`]s out.
//!
//! It is a wasm of its own, the `classlens-worker` binary (`src/bin/classlens-worker.rs`,
//! which calls [`run`]): the page starts it from wasm-bindgen's module beside the page's
//! (`driver::spawn_worker`), and the page's wasm keeps no model code. Long work (a run, a fit) yields between steps and slices, so a newer run,
//! a cancel or a new classroom is heard while it goes on; a run that a newer one replaced stops
//! at its next step.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::driver::{self, Dkt, OnGpu};
use crate::engine::Engine;
use crate::pack_store;
use crate::packs::Models;
use crate::protocol::{self, FromWorker, GpuFound, ToWorker};
use crate::scorer::ScorerEvent;
use crate::storage::SavedImport;

/// Serves the page's messages from now on, and tells it so.
pub fn run() {
    let worker = Rc::new(Worker::default());
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        match protocol::decode::<ToWorker>(&js_sys::Uint8Array::new(&e.data()).to_vec()) {
            Ok(message) => worker.clone().handle(message),
            Err(e) => post(&FromWorker::LoadFailed(e)),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

fn scope() -> web_sys::DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(message: &FromWorker) {
    // Only fails for a closed worker, which has no page to tell.
    let _ = driver::post(&scope(), &protocol::encode(message));
}

#[derive(Default)]
struct Worker {
    engine: RefCell<Option<Engine>>,
    /// The demo's models, for "forget".
    demo: RefCell<Option<Models>>,
    /// WebGPU's DKT (and STUDY) for the models in use, when the probe found an adapter.
    gpu: RefCell<Option<OnGpu>>,
    /// The newest scoring run: an older one stops at its next step.
    run: Cell<u64>,
    /// Counts model changes: a probe of models no longer in use is dropped.
    generation: Cell<u64>,
    /// The fit under way's cancel flag.
    fit_cancel: RefCell<Rc<Cell<bool>>>,
}

impl Worker {
    fn handle(self: Rc<Self>, message: ToWorker) {
        if let ToWorker::Start { base, saved, notice } = message {
            wasm_bindgen_futures::spawn_local(async move { self.start(base, saved, notice).await });
            return;
        }
        // The page sends nothing else before `Loaded`.
        let mut slot = self.engine.borrow_mut();
        let Some(engine) = slot.as_mut() else { return post(&FromWorker::LoadFailed("a message came before the models were loaded".into())) };
        match message {
            ToWorker::Start { .. } => unreachable!("handled above"),
            ToWorker::Import(import) => post(&engine.import(&import)),
            ToWorker::Demo { notice } => post(&engine.demo(notice)),
            ToWorker::UsePack { file, bytes, origin } => match engine.open(&file, bytes, origin) {
                Err(why) => post(&FromWorker::PackRefused(why)),
                Ok((reply, keep)) => {
                    post(&reply);
                    drop(slot);
                    self.clone().probe();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(error) = pack_store::keep(&keep).await {
                            post(&FromWorker::NotKept { file: keep.file, error });
                        }
                    });
                }
            },
            ToWorker::ForgetPacks => {
                let Some(demo) = self.demo.borrow().clone() else { return };
                drop(slot);
                wasm_bindgen_futures::spawn_local(async move {
                    let removed = pack_store::forget_all().await;
                    let reply = self.engine.borrow_mut().as_mut().map(|e| e.forgotten(demo, removed));
                    if let Some(reply) = reply {
                        post(&reply);
                        self.probe();
                    }
                });
            }
            ToWorker::Score { run, request, gpu, student } => {
                self.run.set(run);
                let (models, data) = (engine.models.clone(), engine.data.clone());
                let on_gpu = self.gpu.borrow().clone().filter(|_| gpu);
                let (dkt, study) = on_gpu.map_or((Dkt::Cpu, None), |g| (g.dkt, g.study));
                drop(slot);
                wasm_bindgen_futures::spawn_local(async move {
                    let mut scored = false;
                    driver::score(models, data, request, dkt, study, |event| {
                        if self.run.get() != run {
                            return false;
                        }
                        scored |= matches!(event, ScorerEvent::Scored(_));
                        post(&FromWorker::Scorer { run, event });
                        true
                    })
                    .await;
                    if let (true, Some(student), Some(e)) = (scored && self.run.get() == run, student, self.engine.borrow().as_ref()) {
                        post(&e.student_page(run, &student, request.thresholds));
                    }
                });
            }
            ToWorker::Student { run, student, thresholds } => post(&engine.student_page(run, &student, thresholds)),
            ToWorker::Fit { run, kind } => {
                let data = engine.data.clone();
                let flag = Rc::new(Cell::new(false));
                // One fit at a time: a newer one stops the older.
                self.fit_cancel.replace(flag.clone()).set(true);
                wasm_bindgen_futures::spawn_local(driver::fit(data, kind, move || flag.get(), move |event| post(&FromWorker::Fit { run, event })));
            }
            ToWorker::CancelFit => self.fit_cancel.borrow().set(true),
        }
    }

    /// The demo's packs with the kept ones, and the saved import or the demo classroom.
    async fn start(self: Rc<Self>, base: String, saved: Option<SavedImport>, notice: Option<String>) {
        post(&FromWorker::Loading("Fetching the demo packs…".into()));
        let demo = match driver::load_demo_models(&base).await {
            Ok(m) => m,
            Err(e) => return post(&FromWorker::LoadFailed(e)),
        };
        post(&FromWorker::Loading("Reading the packs kept in this browser…".into()));
        let (kept, unread) = match pack_store::kept().await {
            Ok(k) => (k, None),
            Err(e) => (Vec::new(), Some(format!("The packs kept in this browser could not be read ({e}); using the demo packs."))),
        };
        let what = if saved.is_some() { "Reading your saved data…" } else { "Generating the demo classroom…" };
        post(&FromWorker::Loading(what.into()));
        let (engine, started) = Engine::start(demo.clone(), kept, saved.as_ref(), notice.into_iter().chain(unread).collect());
        for role in &started.dropped {
            // Removed, so the notice is said once, not at every visit.
            let _ = pack_store::forget(*role).await;
        }
        post(&engine.loaded(&started));
        *self.engine.borrow_mut() = Some(engine);
        *self.demo.borrow_mut() = Some(demo);
        self.probe();
    }

    /// Looks for WebGPU with the DKT in use and tells the page, unless the models changed
    /// meanwhile (the newer probe tells it then).
    fn probe(self: Rc<Self>) {
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        // The handles hold the old weights: no run may use them until the probe answers.
        *self.gpu.borrow_mut() = None;
        let Some(models) = self.engine.borrow().as_ref().map(|e| e.models.clone()) else { return };
        wasm_bindgen_futures::spawn_local(async move {
            let probe = Dkt::probe(&models).await;
            if self.generation.get() != generation {
                return;
            }
            let answer = match probe {
                Ok(on_gpu) => {
                    let found = GpuFound {
                        adapter: on_gpu.dkt.adapter().unwrap_or_default(),
                        software: on_gpu.software,
                        study: on_gpu.study.is_some(),
                        study_error: on_gpu.study_error.clone(),
                    };
                    *self.gpu.borrow_mut() = Some(on_gpu);
                    Ok(found)
                }
                Err(e) => {
                    *self.gpu.borrow_mut() = None;
                    Err(e)
                }
            };
            post(&FromWorker::GpuProbed(answer));
        });
    }
}
