//! The class's weakest skills, each with its hint: re-teach the class, or the small group below
//! near proficient.

use leptos::prelude::*;

use crate::dashboard::pct;
use crate::dashboard::view::{ClassView, HINT_MIN_STUDENTS, Hint};

/// Skills listed.
const SHOWN: usize = 5;

#[component]
pub fn WeakestSkills(view: RwSignal<ClassView>) -> impl IntoView {
    view! {
        <div>
            <h2>"Weakest skills"</h2>
            <ol>{move || view.with(|v| {
                let near = pct(v.thresholds().near);
                let min = v.thresholds().min_answers;
                v.weakest_skills(SHOWN).into_iter().map(|s| {
                    let hint = match &s.hint {
                        Hint::ReteachClass => "re-teach to the class".to_string(),
                        Hint::SmallGroup(names) => format!("small group: {}", names.join(", ")),
                        Hint::None | Hint::TooFewStudents => "no one below near proficient".to_string(),
                    };
                    view! { <li>{format!("{}: class mean {} over {} students with ≥ {min} answers ({} below {near}) — {hint}", s.label, pct(s.mean), s.with_evidence, s.below_near.len())}</li> }
                }).collect_view()
            })}</ol>
            {move || view.with(|v| {
                let n = v.skills_without_hint();
                (n > 0).then(|| view! { <p class="note" data-testid="no-hint">{format!("{n} practised skill(s) get no hint: fewer than {HINT_MIN_STUDENTS} students have {} or more answers on them.", v.thresholds().min_answers)}</p> })
            })}
        </div>
    }
}
