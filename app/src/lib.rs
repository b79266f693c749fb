//! The browser side of classlens, over `classlens-core`:
//! - [`classroom`] and [`dashboard`]: what the teacher dashboard shows, as plain types;
//! - [`scorer`]: scoring a class step by step, a message protocol of plain data (the Web
//!   Worker's, next); [`state`]: the dashboard's one state and its transitions;
//!   [`storage`]: what the browser keeps. All of these have native unit tests.
//! - [`driver`] (fetching, reading files, yielding, WebGPU) and [`components`] (Leptos, one per
//!   file): the thin browser layer the `classlens-app` binary mounts, everything in the page
//!   computed by `classlens-core`.
//! - `js_api` (feature `js-api`): the calls page JavaScript makes (the bench page, the browser
//!   tests, a Worker). It is a feature so the dashboard's wasm does not carry it: every
//!   `#[wasm_bindgen]` export is kept by the linker, and the STUDY-on-WebGPU session alone pulls
//!   in burn's whole wgpu runtime.
//!
//! WebAssembly-only code is behind one spelling, `#[cfg(target_arch = "wasm32")]`.

pub mod classroom;
pub mod components;
pub mod dashboard;
pub mod driver;
pub mod fitter;
pub mod pack_store;
pub mod packs;
pub mod scorer;
pub mod state;
pub mod storage;

pub use components::App;

#[cfg(feature = "js-api")]
mod js_api;
#[cfg(feature = "js-api")]
pub use js_api::*;
