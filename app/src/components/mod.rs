//! The dashboard's Leptos components, one per file. They only render slices of
//! [`AppState`](crate::state::AppState) and the plain types of [`crate::dashboard`], and
//! dispatch [`Action`]s; every decision is in `state` and `dashboard`, which are unit-tested
//! natively. [`Store`] is the one place where an action's effect (a message to the Web Worker,
//! the "rendered" signal, keeping an import) meets the browser, and where the worker's
//! messages come in as actions.

mod app;
mod at_risk;
mod class_next;
mod class_panel;
mod class_picker;
mod content;
mod header;
mod heatmap;
mod import;
mod legend;
mod models;
mod notice;
mod progress;
mod settings;
mod student;
mod table_tools;
mod weakest;

pub use app::App;

use std::cell::Cell;

use leptos::prelude::*;

use crate::dashboard::levels::Thresholds;
use crate::driver;
use crate::protocol::{self, ToWorker};
use crate::state::{Action, AppState, Effect};
use crate::storage;

thread_local! {
    /// Views the page has put off to a later task (heatmap rows, the summaries).
    static DEFERRED: Cell<usize> = const { Cell::new(0) };
}

/// A view is put off to a later task; [`settled`] waits for [`done_deferring`].
fn deferring() {
    DEFERRED.with(|d| d.set(d.get() + 1));
}

fn done_deferring() {
    DEFERRED.with(|d| d.set(d.get() - 1));
}

/// Whether every put-off view is in the DOM (`classlens-ready` waits for it).
fn settled() -> bool {
    DEFERRED.with(|d| d.get() == 0)
}

/// False now, true one main-thread task later: what a component reads to build part of its
/// view in a task of its own. A scored class was one task of 110 ms on this machine, 66 ms of
/// it V8 compiling the wasm functions the view calls for the first time (it compiles lazily, on
/// the main thread); cut over several tasks, each compiles only its own.
fn later() -> ReadSignal<bool> {
    let shown = RwSignal::new(false);
    deferring();
    leptos::task::spawn_local(async move {
        driver::yield_now().await;
        // (A view replaced meanwhile has disposed the signal; nothing is left to show.)
        let _ = shown.try_set(true);
        done_deferring();
    });
    shown.read_only()
}

/// The state, in one signal, and the Web Worker that holds the models (not state: a browser
/// object).
#[derive(Clone, Copy)]
pub struct Store {
    pub state: RwSignal<AppState, LocalStorage>,
    worker: StoredValue<Option<web_sys::Worker>, LocalStorage>,
}

impl Store {
    pub fn new(thresholds: Thresholds) -> Self {
        Self { state: RwSignal::new_local(AppState::new(thresholds)), worker: StoredValue::new_local(None) }
    }

    /// Starts the worker; its messages come back as [`Action::Worker`] (its first, `Ready`,
    /// starts the loading).
    pub fn start_worker(self) {
        let on_message = move |bytes: Vec<u8>| match protocol::decode(&bytes) {
            Ok(message) => self.dispatch(Action::Worker(Box::new(message))),
            Err(e) => self.dispatch(Action::WorkerFailed(e)),
        };
        let on_download = move |loaded, total| self.dispatch(Action::WorkerDownload { loaded, total });
        match driver::spawn_worker(on_message, on_download, move |e| self.dispatch(Action::WorkerFailed(e))) {
            Ok(w) => self.worker.set_value(Some(w)),
            Err(e) => self.dispatch(Action::WorkerFailed(e)),
        }
    }

    /// Applies `action` and carries out what it sets off.
    pub fn dispatch(self, action: Action) {
        let effects = self.state.try_update(|s| s.update(action)).unwrap_or_default();
        for effect in effects {
            self.carry_out(effect);
        }
    }

    fn carry_out(self, effect: Effect) {
        match effect {
            Effect::Post(message) => self.post(&message),
            Effect::Start => {
                let (saved, notice) = match storage::load_import() {
                    Some(Ok(s)) => (Some(s), None),
                    Some(Err(e)) => {
                        storage::forget_import();
                        (None, Some(storage::lost_import(&e)))
                    }
                    None => (None, None),
                };
                let base = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
                self.post(&ToWorker::Start { base, saved, notice });
            }
            Effect::Rendered => leptos::task::spawn_local(async {
                // After a yield the outcome is in the DOM, and once every put-off view (the
                // heatmap's rows, the summaries) is too, `classlens-ready` means "rendered".
                driver::yield_now().await;
                while !settled() {
                    driver::yield_now().await;
                }
                driver::announce_ready();
            }),
            Effect::SaveImport(saved) => {
                if let Err(e) = storage::save_import(&saved) {
                    self.dispatch(Action::Notice(format!("Imported, but not kept for the next visit: {e}")));
                }
            }
            Effect::ForgetImport => storage::forget_import(),
        }
    }

    fn post(self, message: &ToWorker) {
        let sent = self.worker.with_value(|w| match w {
            Some(w) => driver::post(w, &protocol::encode(message)),
            None => Err("it did not start".to_string()),
        });
        if let Err(e) = sent {
            self.dispatch(Action::WorkerFailed(e));
        }
    }

    /// A slice of the state that notifies only when it changes, so that, say, a progress event
    /// does not re-render the heatmap.
    pub fn select<T: PartialEq + Send + Sync + 'static>(self, f: impl Fn(&AppState) -> T + Send + Sync + 'static) -> Memo<T> {
        Memo::new(move |_| self.state.with(&f))
    }
}

/// The files a file input's `change` event chose (read them before clearing the input: the
/// list is live).
fn chosen_files(ev: &leptos::ev::Event) -> Option<web_sys::FileList> {
    use wasm_bindgen::JsCast;
    ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).and_then(|i| i.files())
}

/// The files of a drop, with the browser's own handling (opening them) prevented.
fn dropped_files(ev: &leptos::ev::DragEvent) -> Option<web_sys::FileList> {
    ev.prevent_default();
    ev.data_transfer().and_then(|d| d.files())
}

/// The [`Store`] the [`App`] provides.
pub fn store() -> Store {
    expect_context::<Store>()
}
