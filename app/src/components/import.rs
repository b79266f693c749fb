//! "Your data": choose or drop files (read as bytes here, parsed by the worker), an optional
//! column mapping, and "forget". A set of files with an error keeps the classroom shown.

use leptos::prelude::*;

use super::{chosen_files, dropped_files, store};
use crate::driver;
use crate::state::Action;
use crate::storage::{self, SavedImport};

#[component]
pub fn Import() -> impl IntoView {
    let store = store();
    let error = store.select(|s| s.import_error.clone());
    let mapping = NodeRef::<leptos::html::Input>::new();
    let take = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        let map_text = mapping.get().map(|i| i.value()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        leptos::task::spawn_local(async move {
            match driver::read_files(list).await {
                Ok(files) => store.dispatch(Action::Import(SavedImport { files, mapping: map_text })),
                Err(e) => store.dispatch(Action::ImportError(e)),
            }
        });
    };
    let on_change = move |ev: leptos::ev::Event| take(chosen_files(&ev));
    let on_drop = move |ev: leptos::ev::DragEvent| take(dropped_files(&ev));
    let forget = move |_| {
        storage::forget_import();
        store.dispatch(Action::ShowDemo { notice: "Your imported data was removed from this browser; showing the demo classroom.".to_string() });
    };
    view! {
        <details class="import">
            <summary>"Your data"</summary>
            <div class="dropzone" on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label>"Choose or drop CSV files "
                    <input type="file" multiple accept=".csv,.txt,.json" on:change=on_change/>
                </label>
                <p class="note">"Raw ASSISTments logs, the DKT line formats, STUDY's student_activity.csv with student_info.csv, skills.json and titles.json. Files are read in this page and kept in this browser only."</p>
                <label>"Column mapping for any other CSV (optional) "
                    <input node_ref=mapping type="text" placeholder="student=kid,item=question,skill=topic,correct=right"/>
                </label>
            </div>
            {move || error.get().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <button on:click=forget>"Forget this data"</button>
        </details>
    }
}
