//! Sorting the skills, "Export CSV" (the table as shown, formula-safe) and "Print".

use leptos::prelude::*;

use crate::dashboard::export::mastery_csv;
use crate::dashboard::view::ClassView;
use crate::driver;

#[component]
pub fn TableTools(view: RwSignal<ClassView>) -> impl IntoView {
    // Written when clicked, not on every change of the view.
    let export = move |_| {
        if let Some(csv) = view.with(|v| mastery_csv(&v.to_table()).ok()) {
            let _ = driver::download("mastery.csv", csv.as_bytes());
        }
    };
    view! {
        <section class="controls" aria-label="Table tools">
            <button on:click=move |_| view.update(|v| v.sort_skills(true))>"Skills: weakest first"</button>
            <button on:click=move |_| view.update(|v| v.sort_skills(false))>"Skills: by name"</button>
            <button on:click=export>"Export CSV"</button>
            <button onclick="window.print()">"Print"</button>
        </section>
    }
}
