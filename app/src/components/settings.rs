//! Thresholds as a form (the levels, and the answers a level needs): checked by
//! [`Thresholds::new`] and [`Thresholds::with_min_answers`], kept in local storage.

use leptos::prelude::*;

use super::store;
use crate::dashboard::levels::Thresholds;
use crate::state::Action;
use crate::storage;

#[component]
pub fn Settings() -> impl IntoView {
    let store = store();
    let thresholds = store.select(|s| s.thresholds);
    let error = RwSignal::new(None::<String>);
    let proficient = NodeRef::<leptos::html::Input>::new();
    let near = NodeRef::<leptos::html::Input>::new();
    let min_answers = NodeRef::<leptos::html::Input>::new();
    let set = move |t: Thresholds| {
        storage::save_thresholds(&t);
        store.dispatch(Action::SetThresholds(t));
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let read = |n: NodeRef<leptos::html::Input>| {
            n.get().map(|i| i.value()).unwrap_or_default().trim().parse::<f32>().map(|v| v / 100.0).map_err(|_| "enter a number".to_string())
        };
        let answers =
            min_answers.get().map(|i| i.value()).unwrap_or_default().trim().parse::<usize>().map_err(|_| "enter a whole number of answers".to_string());
        match read(proficient).and_then(|p| read(near).and_then(|n| Thresholds::new(p, n))).and_then(|t| answers.and_then(|a| t.with_min_answers(a))) {
            Ok(t) => {
                error.set(None);
                set(t);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <details class="settings">
            <summary>"Mastery levels"</summary>
            <form on:submit=apply>
                <label>"Proficient from " <input node_ref=proficient type="number" min="1" max="100" step="1" value=move || format!("{:.0}", 100.0 * thresholds.get().proficient)/> "%"</label>
                <label>"Near proficient from " <input node_ref=near type="number" min="1" max="100" step="1" value=move || format!("{:.0}", 100.0 * thresholds.get().near)/> "%"</label>
                <label>"A level needs at least " <input node_ref=min_answers type="number" min="1" max="50" step="1" data-testid="min-answers" value=move || thresholds.get().min_answers.to_string()/> " answers on the skill"</label>
                <button type="submit">"Apply"</button>
                <button type="button" class="preset-default" on:click=move |_| set(Thresholds::default())>"classlens defaults (80 / 60)"</button>
                <button type="button" class="preset-mathia" on:click=move |_| set(Thresholds::MATHIA)>"MATHia (95 / 70)"</button>
                <p class="note">"DKT predicts the chance of a correct answer, slips included, so it rarely passes 90%; MATHia's 95 / 70 are for a mastery estimate without slips."</p>
                {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            </form>
        </details>
    }
}
