//! "Models": open (pick or drop) `.pack` files, fit DKT, BKT, STUDY or Individual to the data shown
//! with its progress and a cancel button, the verdict against the baseline (each skill's mean;
//! classroom popularity), the fitted pack's download, and "forget". It opens by itself when the
//! data has answers on skills the model does not know.

use leptos::prelude::*;

use super::{chosen_files, dropped_files, store};
use crate::dashboard::bkt::BktSkill;
use crate::dashboard::pct;
use crate::driver;
use crate::fitter::{FitKind, dkt_settings};
use crate::state::{Action, FitStatus};

#[component]
pub fn ModelsPanel() -> impl IntoView {
    let store = store();
    let error = store.select(|s| s.pack_error.clone());
    let fit = store.select(|s| s.fit.clone());
    let offer = store.select(|s| s.fit_offer());
    let kept = store.select(|s| s.loaded_models().is_some_and(|m| m.any_kept()));
    let running = Memo::new(move |_| matches!(fit.get(), FitStatus::Running(_)));
    let bkt = store.select(|s| s.loaded_models().map(|m| m.bkt.clone()).unwrap_or_default());
    // The download link's object URL, revoked when the next one replaces it.
    let last_url = StoredValue::new_local(None::<String>);

    let open = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        leptos::task::spawn_local(async move {
            match driver::read_files(list).await {
                // The worker opens each in turn: a pack that does not load is refused with its
                // reason and changes nothing.
                Ok(files) => files.into_iter().for_each(|f| store.dispatch(Action::OpenPack { file: f.name, bytes: f.bytes })),
                Err(e) => store.dispatch(Action::PackError(e)),
            }
        });
    };
    let on_change = move |ev: leptos::ev::Event| open(chosen_files(&ev));
    let on_drop = move |ev: leptos::ev::DragEvent| open(dropped_files(&ev));
    let kind = RwSignal::new(FitKind::Dkt);
    let start_fit = move |_| store.dispatch(Action::StartFit(kind.get_untracked()));
    let choose = move |ev: leptos::ev::Event| {
        if let Some(k) = FitKind::from_id(&event_target_value(&ev)) {
            kind.set(k);
        }
    };
    let stop = move |_| store.dispatch(Action::CancelFit);
    let forget = move |_| store.dispatch(Action::ForgetPacks);

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
            // The held-out score and its baseline, unrounded, for tests and benches to read.
            let held = out.verdict.as_ref().and_then(|v| v.about.held_out.clone());
            let metric = held.as_ref().map_or(String::new(), |h| h.metric.clone());
            let score = held.as_ref().map_or(String::new(), |h| h.value.to_string());
            let baseline = held.and_then(|h| h.baseline).map_or(String::new(), |b| b.1.to_string());
            let steps = out.verdict.as_ref().map_or(String::new(), |v| v.steps.to_string());
            let seconds = out.verdict.as_ref().map_or(String::new(), |v| v.seconds.to_string());
            let flags = out.verdict.as_ref().filter(|v| v.kind == FitKind::Dkt).map(|_| dkt_settings().cli_flags());
            if let Some(old) = last_url.get_value() {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            let link = out.download.as_ref().and_then(|(file, bytes)| driver::blob_url(bytes).ok().map(|url| (file.clone(), url)));
            last_url.set_value(link.as_ref().map(|l| l.1.clone()));
            Some(
                view! {
                    <div class="fit-result" data-testid="fit-result" data-used=out.used.to_string() data-metric=metric data-score=score
                        data-baseline=baseline data-steps=steps data-seconds=seconds data-cli-flags=flags>
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
                <p class="note">"Packs made by classlens export: DKT, problem-aware DKT, the attention model (AKT), BKT, STUDY, Individual. They are read in this page and kept in this browser until you forget them."</p>
            </div>
            {move || bkt_table(bkt.get())}
            {move || offer.get().map(|o| view! { <p class="fit-offer" data-testid="fit-offer">{o}</p> })}
            <label>"Model to fit "
                <select class="fit-kind" data-testid="fit-kind" on:change=choose>
                    {FitKind::ALL.map(|k| view! { <option value=k.id() selected=move || kind.get() == k>{k.name()}</option> })}
                </select>
            </label>
            " "
            <button class="fit-start" on:click=start_fit disabled=move || running.get()>"Fit a model to this data"</button>
            <p class="note">"DKT (mastery) is fitted in this page on most students; some are held out to choose the epoch and others to judge it against each skill's mean. BKT (mastery, four numbers per skill that the panel then shows) is fitted on the same students and judged the same way. STUDY and Individual (suggestions) are fitted on most classrooms of the reading log; others are held out to choose when to stop and to judge them against classroom popularity. A model that does not beat its baseline is not used."</p>
            {outcome}
            {move || error.get().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <button class="forget-models" on:click=forget disabled=move || !kept.get()>"Forget opened and fitted models"</button>
        </details>
    }
}

/// BKT's four numbers per skill, when the mastery model is BKT: what the model knows, in a form
/// a teacher can check against their class (each row's title says it as a sentence).
fn bkt_table(skills: Vec<BktSkill>) -> Option<impl IntoView> {
    (!skills.is_empty()).then(|| {
        view! {
            <table class="bkt-params" data-testid="bkt-params">
                <caption>"What BKT learned about each skill"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Skill"</th>
                        <th scope="col">"Known before practice"</th>
                        <th scope="col">"Learned per answer"</th>
                        <th scope="col">"Guess"</th>
                        <th scope="col">"Slip"</th>
                    </tr>
                </thead>
                <tbody>
                    {skills
                        .into_iter()
                        .map(|k| {
                            view! {
                                <tr title=k.sentence()>
                                    <th scope="row">{k.skill.clone()}</th>
                                    <td>{pct(k.prior)}</td>
                                    <td>{pct(k.learn)}</td>
                                    <td>{pct(k.guess)}</td>
                                    <td>{pct(k.slip)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    })
}
