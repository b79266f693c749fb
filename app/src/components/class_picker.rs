//! The class picker: one entry per class of the answer log.

use leptos::prelude::*;

use super::store;
use crate::state::Action;

#[component]
pub fn ClassPicker() -> impl IntoView {
    let store = store();
    let names = store.select(|s| s.class_names());
    let pick = move |ev: leptos::ev::Event| store.dispatch(Action::PickClass(event_target_value(&ev).parse().unwrap_or(0)));
    view! {
        <label>"Class "
            <select on:change=pick>{move || names.get().into_iter().enumerate().map(|(i, name)| view! { <option value=i.to_string()>{name}</option> }).collect_view()}</select>
        </label>
    }
}
