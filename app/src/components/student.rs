//! One student's page: mastery over time as an SVG chart (distinct colours *and* dash patterns,
//! with a text summary as its accessible name), what to practise next, STUDY's readings with
//! their social reason, and the recent answers.

use std::rc::Rc;

use classlens_core::infer::recommend::StudentSuggestions;
use leptos::prelude::*;

use super::store;
use crate::dashboard::pct;
use crate::dashboard::student::StudentView;
use crate::protocol::ClassroomShown;
use crate::state::Action;

/// Okabe–Ito: distinguishable with every common colour-vision deficiency.
const LINE_COLOURS: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
const DASHES: [&str; 6] = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4"];

#[component]
pub fn StudentPanel(view: Rc<StudentView>, readings: Option<StudentSuggestions>, data: Rc<ClassroomShown>) -> impl IntoView {
    let store = store();
    let (w, h) = (640.0f32, 220.0f32);
    let t = view.thresholds;
    let now = |k: usize| view.trajectory.last().map(|p| p[k]).unwrap_or(0.0);
    let summary = view.charted.iter().map(|&k| format!("{} {}", view.labels[k], pct(now(k)))).collect::<Vec<_>>().join(", ");
    let lines = view
        .charted
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            view! { <polyline points=view.polyline(k, w, h) fill="none" stroke=LINE_COLOURS[i % 6] stroke-width="2" stroke-dasharray=DASHES[i % 6]/> }
        })
        .collect_view();
    let key = view.charted.iter().enumerate().map(|(i, &k)| {
        view! {
            <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke=LINE_COLOURS[i % 6] stroke-width="2" stroke-dasharray=DASHES[i % 6]/></svg>
            {format!(" {}: now {}", view.labels[k], pct(now(k)))}</li>
        }
    }).collect_view();
    let answers = view.trajectory.len() - 1;
    let history = view.recent.iter().enumerate().map(|(i, r)| {
        // Logs without a clock (ASSISTments skill builder) get the answer's number instead.
        let when = r.time.map(|s| classlens_core::calendar::format_days(s.div_euclid(86_400))).unwrap_or_else(|| format!("answer {}", answers - i));
        view! { <tr><td>{when}</td><td>{r.problem.clone()}</td><td>{r.skills.join(", ")}</td><td>{if r.correct { "✓ correct" } else { "✗ wrong" }}</td></tr> }
    }).collect_view();
    let next = view
        .next
        .iter()
        .map(|n| {
            let problems = if n.problems.is_empty() { "no unanswered problem in the log".to_string() } else { format!("problems {}", n.problems.join(", ")) };
            view! { <li>{format!("{} (now {}): {problems}", n.label, pct(n.probability))}</li> }
        })
        .collect_view();
    let reads = match readings {
        None => view! { <p>"No reading log for this student (drop a STUDY student_activity.csv to get suggestions)."</p> }.into_any(),
        Some(s) => view! {
            <ol>{s.suggestions.into_iter().map(|r| {
                let name = data.titles.get(&r.title).cloned().unwrap_or_else(|| r.title.clone());
                let social = match r.classmates_recent { 0 => "not read by classmates this week".to_string(), 1 => "read this week by 1 classmate".to_string(), n => format!("read this week by {n} classmates") };
                view! { <li data-title=r.title.clone()><strong>{name}</strong>{format!(" ({}) — {social}; predicted {:.1}%", r.title, 100.0 * r.score)}</li> }
            }).collect_view()}</ol>
        }.into_any(),
    };
    view! {
        <section class="student" aria-labelledby="student-title">
            <button class="back" on:click=move |_| store.dispatch(Action::CloseStudent)>"← Back to the class"</button>
            <h2 id="student-title">{format!("Student {}", view.student)}</h2>
            <h3>"Mastery over time"</h3>
            <svg class="chart" viewBox=format!("-40 -10 {} {}", w + 50.0, h + 40.0) role="img" aria-label=format!("Mastery after each of {answers} answers. Now: {summary}")>
                <rect x="0" y="0" width=w height=h fill="#fafafa" stroke="#999"/>
                <line x1="0" x2=w y1=h * (1.0 - t.proficient) y2=h * (1.0 - t.proficient) stroke="#555" stroke-dasharray="4 4"/>
                <line x1="0" x2=w y1=h * (1.0 - t.near) y2=h * (1.0 - t.near) stroke="#555" stroke-dasharray="4 4"/>
                <text x="-6" y="4" text-anchor="end" font-size="11">"100%"</text>
                <text x="-6" y=h * (1.0 - t.proficient) + 4.0 text-anchor="end" font-size="11">{pct(t.proficient)}</text>
                <text x="-6" y=h * (1.0 - t.near) + 4.0 text-anchor="end" font-size="11">{pct(t.near)}</text>
                <text x="-6" y=h + 4.0 text-anchor="end" font-size="11">"0%"</text>
                <text x="0" y=h + 18.0 font-size="11">"first answer"</text>
                <text x=w y=h + 18.0 text-anchor="end" font-size="11">{format!("answer {answers}")}</text>
                {lines}
            </svg>
            <ul class="chart-key">{key}</ul>
            <div class="student-columns">
                <div>
                    <h3>"Practise next"</h3>
                    <p class="note">"Lowest mastery first, among skills not yet proficient whose prerequisites are at least near proficient."</p>
                    <ul>{next}</ul>
                    <h3>"Suggested readings (STUDY)"</h3>
                    {reads}
                </div>
                <div>
                    <h3>"Recent answers"</h3>
                    <table class="history"><thead><tr><th scope="col">"When"</th><th scope="col">"Problem"</th><th scope="col">"Skills"</th><th scope="col">"Answer"</th></tr></thead><tbody>{history}</tbody></table>
                </div>
            </div>
        </section>
    }
}
