//! The class heatmap, an ARIA grid: a roving tabindex keeps it one tab stop whose arrow keys,
//! Home and End reach every cell; each cell prints its level's code and percentage (colour is
//! never the only cue) and names student, skill, level and evidence for screen readers. Column
//! headers sort the students; a student's name opens their page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::store;
use crate::dashboard::colour::Colour;
use crate::dashboard::levels::Level;
use crate::dashboard::view::ClassView;
use crate::state::Action;

#[component]
pub fn Heatmap(view: RwSignal<ClassView>) -> impl IntoView {
    let store = store();
    let focus = RwSignal::new((0usize, 0usize));
    let move_focus = move |ev: leptos::ev::KeyboardEvent| {
        let (rows, cols) = view.with(|v| (v.students.len(), v.skill_order.len()));
        let (r, c) = focus.get();
        let next = match ev.key().as_str() {
            "ArrowUp" => (r.saturating_sub(1), c),
            "ArrowDown" => ((r + 1).min(rows.saturating_sub(1)), c),
            "ArrowLeft" => (r, c.saturating_sub(1)),
            "ArrowRight" => (r, (c + 1).min(cols.saturating_sub(1))),
            "Home" => (r, 0),
            "End" => (r, cols.saturating_sub(1)),
            _ => return,
        };
        ev.prevent_default();
        focus.set(next);
        if let Some(el) = document().get_element_by_id(&format!("cell-{}-{}", next.0, next.1))
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    };
    view! {
        <table role="grid" aria-label="Mastery by student and skill" class="heatmap" on:keydown=move_focus>
            <thead>
                <tr role="row">
                    <th role="columnheader" scope="col">
                        <button on:click=move |_| view.update(|v| v.sort_students(None))>"Student ↕"</button>
                    </th>
                    {move || view.with(|v| v.skill_order.iter().map(|&k| {
                        let label = v.labels[k].clone();
                        let title = format!("Sort students by {label}, lowest first");
                        view! {
                            <th role="columnheader" scope="col">
                                <button title=title on:click=move |_| view.update(|v| v.sort_students(Some(k)))>{label}</button>
                            </th>
                        }
                    }).collect_view())}
                </tr>
            </thead>
            <tbody>
                {move || view.with(|v| v.students.iter().enumerate().map(|(r, student)| {
                    let cells = v.skill_order.iter().enumerate().map(|(c, &k)| {
                        let cell = v.cells[r][k];
                        let style = Colour::of_cell(cell.level, cell.probability).style();
                        let text = match cell.level {
                            Level::NotStarted | Level::NotEnoughData => cell.level.code().to_string(),
                            _ => format!("{} {:.0}", cell.level.code(), 100.0 * cell.probability),
                        };
                        let min = v.thresholds().min_answers;
                        let evidence = match cell.level {
                            Level::NotStarted => "no answers on this skill yet".to_string(),
                            Level::NotEnoughData => format!("{} of the {min} answers a level needs; the model's estimate is {:.1}%", cell.attempts, 100.0 * cell.probability),
                            _ => format!("{:.1}% from {} answers on this skill", 100.0 * cell.probability, cell.attempts),
                        };
                        // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
                        let detail = format!("{text}: {student}, {}: {} ({evidence})", v.labels[k], cell.level.label());
                        view! {
                            <td role="gridcell" id=format!("cell-{r}-{c}") data-p=format!("{:.6}", cell.probability) data-answers=cell.attempts
                                data-level=format!("{:?}", cell.level)
                                tabindex=move || if focus.get() == (r, c) { 0 } else { -1 }
                                on:focus=move |_| focus.set((r, c))
                                title=detail.clone() aria-label=detail
                                style=style>{text}</td>
                        }
                    }).collect_view();
                    let name = student.clone();
                    view! {
                        <tr role="row">
                            <th role="rowheader" scope="row">
                                <button class="student-link" title=format!("Open {student}'s page") on:click=move |_| store.dispatch(Action::OpenStudent(name.clone()))>{student.clone()}</button>
                            </th>
                            {cells}
                        </tr>
                    }
                }).collect_view())}
            </tbody>
        </table>
    }
}
