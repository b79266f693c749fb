//! "Models": open (pick or drop) `.pack` files, fit DKT to the data shown with its progress and
//! a cancel button, the verdict against each skill's mean, the fitted pack's download, and
//! "forget". It opens by itself when the data has answers on skills the model does not know.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;

use super::{chosen_files, dropped_files, store};
use crate::driver;
use crate::pack_store;
use crate::packs::{Origin, open_pack};
use crate::state::{Action, FitStatus};

#[component]
pub fn ModelsPanel() -> impl IntoView {
    let store = store();
    let error = RwSignal::new(None::<String>);
    let fit = store.select(|s| s.fit.clone());
    let offer = store.select(|s| s.fit_offer());
    let kept = store.select(|s| s.loaded_models().is_some_and(|m| m.any_kept()));
    let running = Memo::new(move |_| matches!(fit.get(), FitStatus::Running(_)));
    let cancel = StoredValue::new_local(Rc::new(Cell::new(false)));
    // The download link's object URL, revoked when the next one replaces it.
    let last_url = StoredValue::new_local(None::<String>);

    let open = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        leptos::task::spawn_local(async move {
            let files = match driver::read_files(list).await {
                Ok(f) => f,
                Err(e) => return error.set(Some(e)),
            };
            error.set(None);
            for f in files {
                driver::yield_now().await;
                match open_pack(&f.name, &f.bytes, Origin::Opened) {
                    Ok(opened) => store.dispatch(Action::PackOpened { opened: Box::new(opened), file: f.name, bytes: f.bytes }),
                    Err(e) => error.set(Some(format!("{e}. The models in use are unchanged."))),
                }
            }
        });
    };
    let on_change = move |ev: leptos::ev::Event| open(chosen_files(&ev));
    let on_drop = move |ev: leptos::ev::DragEvent| open(dropped_files(&ev));
    let start_fit = move |_| {
        let Some(data) = store.state.with_untracked(|s| s.data.clone()) else { return };
        let flag = Rc::new(Cell::new(false));
        cancel.set_value(flag.clone());
        store.dispatch(Action::FitStarted);
        let run = store.state.with_untracked(|s| s.fit_run);
        let current = move || store.state.with_untracked(|s| s.fit_run) == run;
        let stop = move || flag.get() || !current();
        leptos::task::spawn_local(driver::fit(data, stop, move |event| {
            if current() {
                store.dispatch(Action::Fit { run, event });
            }
        }));
    };
    let stop = move |_| cancel.get_value().set(true);
    let forget = move |_| {
        leptos::task::spawn_local(async move {
            let removed = pack_store::forget_all().await;
            match driver::load_demo_models().await {
                Ok(m) => {
                    let notice = match removed {
                        Ok(()) => "Opened and fitted models were removed from this browser; the demo packs are in use.".to_string(),
                        Err(e) => format!("The kept packs could not be removed ({e}); the demo packs are in use for this visit."),
                    };
                    store.dispatch(Action::ModelsReplaced { models: Rc::new(m), keep: None, notice: Some(notice) });
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let outcome = move || match fit.get() {
        FitStatus::Idle => None,
        FitStatus::Running(p) => Some(
            view! {
                <p class="fit-progress" data-testid="fit-progress" aria-live="polite">
                    {p.map_or("Preparing the fit…".to_string(), |p| p.line())}
                    " " <button class="fit-cancel" on:click=stop>"Cancel"</button>
                </p>
            }
            .into_any(),
        ),
        FitStatus::Ended(out) => {
            let auc = |r: Option<f64>| r.map_or(String::new(), |a| format!("{a}"));
            let (model_auc, baseline_auc) = out.verdict.as_ref().map_or((String::new(), String::new()), |v| (auc(v.model.auc), auc(v.baseline.auc)));
            if let Some(old) = last_url.get_value() {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            let link = out.download.as_ref().and_then(|(file, bytes)| driver::blob_url(bytes).ok().map(|url| (file.clone(), url)));
            last_url.set_value(link.as_ref().map(|l| l.1.clone()));
            Some(
                view! {
                    <div class="fit-result" data-testid="fit-result" data-used=out.used.to_string() data-auc=model_auc data-baseline=baseline_auc
                        data-cli-flags=driver::fit_settings().cli_flags()>
                        <p role="status">{out.message.clone()}</p>
                        {link.map(|(file, url)| view! { <a class="fit-download" href=url download=file.clone()>{format!("Download {file}")}</a> })}
                    </div>
                }
                .into_any(),
            )
        }
    };

    view! {
        <details class="models-panel" prop:open=move || offer.get().is_some() || !matches!(fit.get(), FitStatus::Idle)>
            <summary>"Models"</summary>
            <div class="dropzone" on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label>"Open model packs "
                    <input type="file" multiple accept=".pack" data-testid="open-pack" on:change=on_change/>
                </label>
                <p class="note">"Packs made by classlens export: DKT, problem-aware DKT, STUDY, Individual. They are read in this page and kept in this browser until you forget them."</p>
            </div>
            {move || offer.get().map(|o| view! { <p class="fit-offer" data-testid="fit-offer">{o}</p> })}
            <button class="fit-start" on:click=start_fit disabled=move || running.get()>"Fit a model to this data"</button>
            <p class="note">"DKT is fitted in this page on most students; some are held out to choose the epoch and others to judge it against each skill's mean. A model that does not beat that is not used."</p>
            {outcome}
            {move || error.get().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <button class="forget-models" on:click=forget disabled=move || !kept.get()>"Forget opened and fitted models"</button>
        </details>
    }
}
