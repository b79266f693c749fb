//! What the teacher dashboard shows, as plain types with unit tests; the Leptos components only
//! render them (the todomvc split). Everything here is computed from a mastery table and the
//! class's answer history, so it runs the same in the browser and in native tests.

pub mod export;
pub mod levels;
pub mod view;
