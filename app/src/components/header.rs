//! The header: where the data came from, which models are in use (kind, what they know, what
//! they were trained on, their held-out score), where they run and why, and the switch that turns
//! the adapter's default over ("Use the CPU only" on a GPU, "Use WebGPU anyway" on a software
//! fallback).

use leptos::prelude::*;

use super::store;
use crate::state::Action;

#[component]
pub fn Header() -> impl IntoView {
    let store = store();
    let source = store.select(|s| s.source_line());
    let backend = store.select(|s| s.backend_line());
    let gpu_switch = store.select(|s| s.gpu_switch);
    let switch_label = store.select(|s| s.gpu_switch_label());
    let gpu_ready = store.select(|s| s.gpu_ready());
    let models = store.select(|s| s.model_lines());
    view! {
        <header>
            <h1>"classlens"</h1>
            <p class="source" data-testid="source">{move || source.get()}</p>
            <ul class="models" data-testid="models" aria-label="Models in use">
                {move || models.get().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
            </ul>
            <p class="backend" data-testid="backend">{move || backend.get()}
                <label class="force-cpu">
                    <input type="checkbox" prop:checked=move || gpu_switch.get() on:change=move |ev| store.dispatch(Action::GpuSwitch(event_target_checked(&ev))) disabled=move || !gpu_ready.get()/>
                    {move || switch_label.get()}
                </label>
            </p>
        </header>
    }
}
