//! Sorting the skills, "Export CSV" (the table as shown, formula-safe) and "Print".

use leptos::prelude::*;

use crate::dashboard::export::mastery_csv;
use crate::dashboard::view::ClassView;

#[component]
pub fn TableTools(view: RwSignal<ClassView>) -> impl IntoView {
    let csv_href = move || {
        view.with(|v| {
            mastery_csv(&v.to_table()).map(|t| format!("data:text/csv;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&t)))).unwrap_or_default()
        })
    };
    view! {
        <section class="controls" aria-label="Table tools">
            <button on:click=move |_| view.update(|v| v.sort_skills(true))>"Skills: weakest first"</button>
            <button on:click=move |_| view.update(|v| v.sort_skills(false))>"Skills: by name"</button>
            <a href=csv_href download="mastery.csv">"Export CSV"</a>
            <button onclick="window.print()">"Print"</button>
        </section>
    }
}
