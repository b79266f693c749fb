//! The dashboard: it starts the Web Worker (which loads the packs and the classroom and probes
//! WebGPU) and lays out the header and the page. It opens on the offline demo: `core`'s
//! built-in classroom, generated in the worker, with the DKT and STUDY packs of `public/demo/`.

use leptos::prelude::*;

use super::Store;
use super::class_picker::ClassPicker;
use super::content::MainContent;
use super::header::Header;
use super::import::Import;
use super::models::ModelsPanel;
use super::notice::Notice;
use super::progress::ScoringProgress;
use super::settings::Settings;
use crate::state::Page;
use crate::storage;

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new(storage::load_thresholds().unwrap_or_default());
    provide_context(store);
    store.start_worker();
    let page = store.select(|s| s.page());
    let loading = store.select(|s| s.loading.clone());
    view! {
        <Header/>
        <main>
            {move || match page.get() {
                Page::Loading => view! { <p aria-live="polite" data-testid="loading">{move || loading.get()}</p> }.into_any(),
                Page::Failed(e) => view! { <p role="alert">{e}</p> }.into_any(),
                Page::Ready => view! {
                    <section class="toolbar" aria-label="Class and data">
                        <ClassPicker/>
                        <Settings/>
                        <Import/>
                        <ModelsPanel/>
                    </section>
                    <Notice/>
                    <ScoringProgress/>
                    <MainContent/>
                }.into_any(),
            }}
        </main>
    }
}
