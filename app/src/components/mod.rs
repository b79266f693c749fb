//! The dashboard's Leptos components, one per file. They only render slices of
//! [`AppState`](crate::state::AppState) and the plain types of [`crate::dashboard`], and
//! dispatch [`Action`]s; every decision is in `state`, `scorer` and `dashboard`, which are
//! unit-tested natively. [`Store`] is the one place where an action's effect (a scoring run, the
//! "rendered" signal) meets the browser.

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

use std::rc::Rc;

use leptos::prelude::*;

use crate::dashboard::levels::Thresholds;
use crate::driver::{self, Dkt};
use crate::pack_store;
use crate::state::{Action, AppState, Effect};

/// The state, in one signal, and the WebGPU handle the probe found (not state: it is a
/// browser object, and the state only needs to know whether there is one).
#[derive(Clone, Copy)]
pub struct Store {
    pub state: RwSignal<AppState, LocalStorage>,
    dkt: StoredValue<Dkt, LocalStorage>,
}

impl Store {
    pub fn new(thresholds: Thresholds) -> Self {
        Self { state: RwSignal::new_local(AppState::new(thresholds)), dkt: StoredValue::new_local(Dkt::Cpu) }
    }

    pub fn set_dkt(self, dkt: Dkt) {
        self.dkt.set_value(dkt);
    }

    /// Applies `action` and carries out what it sets off.
    pub fn dispatch(self, action: Action) {
        match self.state.try_update(|s| s.update(action)).flatten() {
            Some(Effect::Score(job)) => {
                let dkt = if job.gpu { self.dkt.get_value() } else { Dkt::Cpu };
                let run = job.run;
                leptos::task::spawn_local(driver::score(job.models, job.data, job.request, dkt, move |event| {
                    let current = self.state.with_untracked(|s| s.run) == run;
                    if current {
                        self.dispatch(Action::Scorer { run, event });
                    }
                    current
                }));
            }
            Some(Effect::ModelsSwapped { models, keep }) => {
                // The probe (it starts the next run) and the IndexedDB write side by side.
                let probe_models = models;
                leptos::task::spawn_local(async move {
                    let probe = Dkt::probe(&probe_models).await;
                    // Two swaps in a row (two packs picked at once) probe in parallel: only the
                    // probe of the models still in use may set the GPU handle, or WebGPU would
                    // score with another model's weights.
                    let current = self.state.with_untracked(|s| s.loaded_models().is_some_and(|m| Rc::ptr_eq(&m.dkt, &probe_models.dkt)));
                    if current {
                        self.probed(probe);
                    }
                });
                if let Some(k) = keep {
                    leptos::task::spawn_local(async move {
                        if let Err(e) = pack_store::keep(&k).await {
                            self.dispatch(Action::Notice(format!("{} is in use for this visit, but this browser did not keep it: {e}", k.file)));
                        }
                    });
                }
            }
            Some(Effect::Rendered) => leptos::task::spawn_local(async {
                // After a yield the outcome is in the DOM: `classlens-ready` means "rendered".
                driver::yield_now().await;
                driver::announce_ready();
            }),
            None => {}
        }
    }

    /// Looks for WebGPU with `models`' DKT weights and says what it found.
    pub async fn probe(self, models: &crate::scorer::Models) {
        self.probed(Dkt::probe(models).await);
    }

    /// Keeps the probe's WebGPU handle (or the CPU) and tells the state.
    fn probed(self, probe: Result<Dkt, String>) {
        let probe = probe.map(|dkt| {
            let adapter = dkt.adapter().unwrap_or_default();
            self.set_dkt(dkt);
            adapter
        });
        self.dispatch(Action::GpuProbed(probe));
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
