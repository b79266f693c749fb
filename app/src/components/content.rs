//! The main area: the scored class (heatmap and summaries) or the open student's page, once a
//! run has ended; "Scoring…" before, the error if the run failed.

use leptos::prelude::*;

use super::class_panel::ClassPanel;
use super::store;
use super::student::StudentPanel;
use crate::state::Content;

/// The class (heatmap and summaries) or the open student's page, once a run has ended.
#[component]
pub fn MainContent() -> impl IntoView {
    let store = store();
    let key = store.select(|s| s.content_key());
    move || {
        // Read, not just tracked: a memo that is never read is never recomputed, so it would not
        // notify again (seen as a page stuck on "Scoring…").
        let _ = key.get();
        match store.state.with_untracked(|s| s.content()) {
            Content::Scoring => view! { <p aria-live="polite">"Scoring…"</p> }.into_any(),
            Content::Failed(e) => view! { <p role="alert">{e}</p> }.into_any(),
            Content::Class { result, data } => view! {
                <p class="backend-used" data-testid="backend-used">{format!("Scored on: {}", result.backend)}</p>
                <ClassPanel result=result data=data/>
            }
            .into_any(),
            Content::StudentLoading => view! { <p aria-live="polite">"Loading the student's page…"</p> }.into_any(),
            Content::Student { view, readings, data } => view! { <StudentPanel view=view readings=readings data=data/> }.into_any(),
        }
    }
}
