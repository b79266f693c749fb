//! A message about the data (an import not kept, a saved import dropped, data forgotten).

use leptos::prelude::*;

use super::store;

#[component]
pub fn Notice() -> impl IntoView {
    let notice = store().select(|s| s.notice.clone());
    move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })
}
