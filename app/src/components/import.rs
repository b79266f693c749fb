//! "Your data": choose or drop files (read as bytes, parsed in the page), an optional column
//! mapping, and "forget". A set of files with an error keeps the classroom shown.

use std::rc::Rc;

use leptos::prelude::*;

use super::{chosen_files, dropped_files, store};
use crate::classroom::Classroom;
use crate::driver;
use crate::scorer::Prepared;
use crate::state::Action;
use crate::storage::{self, SavedImport};

#[component]
pub fn Import() -> impl IntoView {
    let store = store();
    let error = RwSignal::new(None::<String>);
    let mapping = NodeRef::<leptos::html::Input>::new();
    let take = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        let map_text = mapping.get().map(|i| i.value()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        leptos::task::spawn_local(async move {
            let files = match driver::read_files(list).await {
                Ok(f) => f,
                Err(e) => return error.set(Some(e)),
            };
            driver::yield_now().await;
            let Some(models) = store.state.with_untracked(|s| s.loaded_models()) else { return };
            match Classroom::from_files(&files, map_text.as_deref()) {
                Ok(c) => {
                    error.set(None);
                    let saved = storage::save_import(&SavedImport { files, mapping: map_text });
                    let notice = saved.err().map(|e| format!("Imported, but not kept for the next visit: {e}"));
                    store.dispatch(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, c)), notice });
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let on_change = move |ev: leptos::ev::Event| take(chosen_files(&ev));
    let on_drop = move |ev: leptos::ev::DragEvent| take(dropped_files(&ev));
    let forget = move |_| {
        storage::forget_import();
        error.set(None);
        if let (Some(models), Ok(c)) = (store.state.with_untracked(|s| s.loaded_models()), Classroom::demo()) {
            let notice = Some("Your imported data was removed from this browser; showing the demo classroom.".to_string());
            store.dispatch(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, c)), notice });
        }
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
