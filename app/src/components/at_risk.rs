//! The students at risk: below near proficient on a skill the class is practising now, most
//! such skills first; a name opens the student's page.

use leptos::prelude::*;

use super::store;
use crate::dashboard::pct;
use crate::dashboard::view::ClassView;
use crate::state::Action;

/// Students listed; the count says how many there are in all.
const SHOWN: usize = 8;

#[component]
pub fn AtRisk(view: RwSignal<ClassView>) -> impl IntoView {
    let store = store();
    view! {
        <div>
            <h2>"At risk"</h2>
            <p class="note">{move || view.with(|v| format!("{} of {} students are below near proficient on a skill the class is practising now; the {SHOWN} most at risk:", v.at_risk().len(), v.students.len()))}</p>
            <ul class="at-risk">{move || view.with(|v| v.at_risk().into_iter().take(SHOWN).map(|r| {
                let skills: Vec<String> = r.skills.iter().map(|(k, p)| format!("{} {}", v.labels[*k], pct(*p))).collect();
                let name = r.student.clone();
                view! { <li><button class="student-link" on:click=move |_| store.dispatch(Action::OpenStudent(name.clone()))>{r.student.clone()}</button>{format!(": {}", skills.join(", "))}</li> }
            }).collect_view())}</ul>
        </div>
    }
}
