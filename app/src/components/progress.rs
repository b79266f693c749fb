//! How far scoring the class has got (the scorer yields between batches, so this paints).

use leptos::prelude::*;

use super::store;

#[component]
pub fn ScoringProgress() -> impl IntoView {
    let store = store();
    let line = store.select(|s| s.progress_line());
    let progress = store.select(|s| s.progress);
    view! {
        <p class="progress" aria-live="polite">{move || line.get()}<progress max=move || progress.get().1.max(1) value=move || progress.get().0></progress></p>
    }
}
