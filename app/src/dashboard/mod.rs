//! What the teacher dashboard shows, as plain types with unit tests; the Leptos components only
//! render them (the todomvc split). Everything here is computed from a mastery table, the
//! class's answer history and STUDY's suggestions, so it runs the same in the browser and in
//! native tests.

pub mod bkt;
pub mod colour;
pub mod export;
pub mod grid;
pub mod legend;
pub mod levels;
pub mod student;
pub mod suggest;
pub mod view;

/// A probability as a whole percentage: `0.8` → `"80%"`.
pub fn pct(p: f32) -> String {
    format!("{:.0}%", 100.0 * p)
}
