//! What the class does next: the problems of its weakest reachable skills, and the readings
//! STUDY suggests to most of its students, with the reasons a teacher can check.

use std::rc::Rc;

use leptos::prelude::*;

use crate::dashboard::pct;
use crate::dashboard::suggest::{class_next_skills, class_readings};
use crate::protocol::ClassroomShown;
use crate::scorer::ClassResult;

/// Skills and readings listed.
const SKILLS: usize = 3;
const READINGS: usize = 5;

#[component]
pub fn ClassNext(result: Rc<ClassResult>, data: Rc<ClassroomShown>) -> impl IntoView {
    let next_skills = class_next_skills(&result.view, &data.prerequisites, SKILLS);
    let readings = class_readings(&result.found, &data.titles, READINGS);
    let labels = result.view.labels.clone();
    view! {
        <div>
            <h2>"Next for the class"</h2>
            <h3>"Problems"</h3>
            <ul class="class-next">{next_skills.into_iter().map(|(k, m)| view! { <li>{format!("{} (class mean {})", labels[k], pct(m))}</li> }).collect_view()}</ul>
            <h3>"Readings (STUDY)"</h3>
            {if readings.is_empty() {
                view! { <p>"No reading log: drop a STUDY student_activity.csv for suggestions."</p> }.into_any()
            } else {
                view! { <ol class="class-readings">{readings.into_iter().map(|r| view! {
                    <li><strong>{r.name.clone()}</strong>{format!(" ({}) — suggested to {} students; read this week by {} classmates; mean predicted {:.1}%", r.title, r.students, r.classmates_recent, 100.0 * r.mean_score)}</li>
                }).collect_view()}</ol> }.into_any()
            }}
        </div>
    }
}
