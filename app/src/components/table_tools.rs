//! Sorting the skills, "Export CSV" (the table as shown, formula-safe) and "Print".

use leptos::prelude::*;

use crate::dashboard::export::mastery_csv;
use crate::dashboard::view::ClassView;
use crate::driver;

#[component]
pub fn TableTools(view: RwSignal<ClassView>) -> impl IntoView {
    // Written when clicked, not on every change of the view; a failure is said beside the button.
    let failed = RwSignal::new(None::<String>);
    let export = move |_| {
        let written = view.with(|v| mastery_csv(&v.to_table())).map_err(|e| e.to_string()).and_then(|csv| driver::download("mastery.csv", csv.as_bytes()));
        failed.set(written.err().map(|e| format!("Export CSV failed: {e}")));
    };
    view! {
        <section class="controls" aria-label="Table tools">
            <button on:click=move |_| view.update(|v| v.sort_skills(true))>"Skills: weakest first"</button>
            <button on:click=move |_| view.update(|v| v.sort_skills(false))>"Skills: by name"</button>
            <button on:click=export>"Export CSV"</button>
            <button onclick="window.print()">"Print"</button>
            {move || failed.get().map(|e| view! { <p role="alert" class="error">{e}</p> })}
        </section>
    }
}
