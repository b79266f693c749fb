//! The dashboard: it loads the packs and the classroom, probes WebGPU, and lays out the header
//! and the page. It opens on the offline demo: `core`'s built-in classroom, generated in the
//! page, with the DKT and STUDY packs of `public/demo/`.

use std::rc::Rc;

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
use crate::driver;
use crate::scorer::Prepared;
use crate::state::{Action, Page};
use crate::storage;

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new(storage::load_thresholds().unwrap_or_default());
    provide_context(store);
    leptos::task::spawn_local(async move {
        match driver::load_models().await {
            Ok((models, kept_notice)) => {
                let models = Rc::new(models);
                let (classroom, notice) = driver::initial_classroom().await;
                let notice = [notice, kept_notice].into_iter().flatten().reduce(|a, b| format!("{a} {b}"));
                store.dispatch(Action::ClassroomLoaded { data: Rc::new(Prepared::new(&models, classroom)), notice });
                store.probe(&models).await;
                store.dispatch(Action::ModelsLoaded(Ok(models)));
            }
            Err(e) => store.dispatch(Action::ModelsLoaded(Err(e))),
        }
    });
    let page = store.select(|s| s.page());
    view! {
        <Header/>
        <main>
            {move || match page.get() {
                Page::Loading => view! { <p aria-live="polite">"Loading the demo classroom and models…"</p> }.into_any(),
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
