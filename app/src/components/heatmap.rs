//! The class heatmap, an ARIA grid: a roving tabindex keeps it one tab stop whose arrow keys,
//! Home and End reach every cell; each cell prints its level's code and percentage (colour is
//! never the only cue) and names student, skill, level and evidence for screen readers. Column
//! headers sort the students; a student's name opens their page.
//!
//! The body is markup ([`grid::row_pieces`]) added a few rows per task, each piece replacing
//! the rows it stands for (a re-sort never empties the grid), with `aria-busy` on the grid
//! until the last: no main-thread task parses or lays out a whole class, and a newer view stops
//! an older one's pieces. The rows carry no listeners and no reactive attributes. The grid
//! hears keys, focus and clicks once, here, and keeps the tab stop in the DOM: moving it
//! retabs the two cells concerned, and a re-render builds the cells with the stop where it is.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{deferring, done_deferring, store};
use crate::dashboard::grid;
use crate::dashboard::view::ClassView;
use crate::driver;
use crate::state::Action;

/// Rows added per main-thread task (30 rows of 20 skills in one task was 64–140 ms of parsing
/// and a layout of as much again on this machine).
const ROWS_PER_TASK: usize = 8;

#[component]
pub fn Heatmap(view: RwSignal<ClassView>) -> impl IntoView {
    let store = store();
    let focus = StoredValue::new((0usize, 0usize));
    let move_stop = move |next: (usize, usize)| {
        let previous = focus.get_value();
        focus.set_value(next);
        for ((r, c), index) in [(previous, "-1"), (next, "0")] {
            if let Some(el) = document().get_element_by_id(&grid::cell_id(r, c)) {
                let _ = el.set_attribute("tabindex", index);
            }
        }
    };
    let move_focus = move |ev: leptos::ev::KeyboardEvent| {
        let (rows, cols) = view.with(|v| (v.students.len(), v.skill_order.len()));
        let (r, c) = focus.get_value();
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
        move_stop(next);
        if let Some(el) = document().get_element_by_id(&grid::cell_id(next.0, next.1))
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
        }
    };
    let focus_in = move |ev: leptos::ev::FocusEvent| {
        let id = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).map(|el| el.id()).unwrap_or_default();
        if let Some(cell) = grid::cell_of_id(&id) {
            move_stop(cell);
        }
    };
    // A student's name: the button's `data-row` is the row, whose student the view names.
    let open_student = move |ev: leptos::ev::MouseEvent| {
        let row = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("button.student-link").ok().flatten())
            .and_then(|button| button.get_attribute("data-row"))
            .and_then(|r| r.parse::<usize>().ok());
        if let Some(student) = row.and_then(|r| view.with(|v| v.students.get(r).cloned())) {
            store.dispatch(Action::OpenStudent(student));
        }
    };
    let table = NodeRef::<leptos::html::Table>::new();
    let tbody = NodeRef::<leptos::html::Tbody>::new();
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (Some(table), Some(body)) = (table.get(), tbody.get()) else { return };
        let (pieces, total, built_stop) = view.with(|v| {
            // Where the stop is now (clamped: a smaller class than the last still has its one
            // tab stop), read without subscribing: moving it retabs in the DOM.
            let (r, c) = focus.get_value();
            let stop = (r.min(v.students.len().saturating_sub(1)), c.min(v.skill_order.len().saturating_sub(1)));
            focus.set_value(stop);
            (grid::row_pieces(v, stop, ROWS_PER_TASK), v.students.len(), stop)
        });
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        deferring();
        let _ = table.set_attribute("aria-busy", "true");
        leptos::task::spawn_local(async move {
            let current = || generation.try_get_value() == Some(mine);
            // Every piece in a task of its own, the first too: not in the task that built the page.
            for (i, piece) in pieces.iter().enumerate() {
                driver::yield_now().await;
                if !current() {
                    break;
                }
                replace_rows(&body, i * ROWS_PER_TASK, ROWS_PER_TASK, piece);
            }
            if current() {
                let rows = body.children();
                while rows.length() as usize > total {
                    rows.item(total as u32).inspect(|row| row.remove());
                }
                let _ = table.remove_attribute("aria-busy");
                // A stop moved while the pieces went in: they were built with the old one.
                if let Some(stop) = focus.try_get_value().filter(|&stop| stop != built_stop) {
                    focus.set_value(built_stop);
                    move_stop(stop);
                }
            }
            done_deferring();
        });
    });
    view! {
        <table node_ref=table role="grid" aria-label="Mastery by student and skill" class="heatmap" on:keydown=move_focus on:focusin=focus_in>
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
            <tbody node_ref=tbody on:click=open_student></tbody>
        </table>
    }
}

/// Puts the rows of `markup` in place of `count` rows of `body` from row `start` (or at its end).
fn replace_rows(body: &web_sys::HtmlElement, start: usize, count: usize, markup: &str) {
    let Ok(template) = document().create_element("template") else { return };
    let template: web_sys::HtmlTemplateElement = template.unchecked_into();
    template.set_inner_html(markup);
    let rows = body.children();
    for _ in 0..count {
        match rows.item(start as u32) {
            Some(row) => row.remove(),
            None => break,
        }
    }
    let before: Option<web_sys::Node> = rows.item(start as u32).map(Into::into);
    let _ = body.insert_before(&template.content(), before.as_ref());
}
