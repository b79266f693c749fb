//! The class's weakest skills, each with its hint: re-teach the class, or the small group below
//! near proficient.

use leptos::prelude::*;

use crate::dashboard::pct;
use crate::dashboard::view::{ClassView, Hint};

/// Skills listed.
const SHOWN: usize = 5;

#[component]
pub fn WeakestSkills(view: RwSignal<ClassView>) -> impl IntoView {
    view! {
        <div>
            <h2>"Weakest skills"</h2>
            <ol>{move || view.with(|v| {
                let near = pct(v.thresholds().near);
                v.weakest_skills(SHOWN).into_iter().map(|s| {
                    let hint = match &s.hint {
                        Hint::ReteachClass => "re-teach to the class".to_string(),
                        Hint::SmallGroup(names) => format!("small group: {}", names.join(", ")),
                        Hint::None => "no one below near proficient".to_string(),
                    };
                    view! { <li>{format!("{}: class mean {} ({} of {} below {near}) — {hint}", s.label, pct(s.mean), s.below_near.len(), s.with_evidence)}</li> }
                }).collect_view()
            })}</ol>
        </div>
    }
}
