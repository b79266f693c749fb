//! The browser side of classlens, over `classlens-core`:
//! - [`classroom`] and [`dashboard`]: what the teacher dashboard shows, as plain types;
//! - [`protocol`]: what the page and its Web Worker say; [`engine`]: what the worker holds
//!   (models, the prepared classroom) and answers; [`scorer`] and [`fitter`]: scoring a class
//!   step by step and fitting DKT slice by slice, in the worker; [`state`]: the page's one
//!   state and its transitions; [`storage`]: what the page keeps. All of these have native
//!   unit tests.
//! - [`worker`] (the worker's message loop), [`driver`] (spawning and posting to the worker,
//!   fetching, reading files, yielding, WebGPU) and [`components`] (Leptos, one per file): the
//!   thin browser layer of two binaries, each its own wasm: `classlens-app` mounts the page,
//!   `classlens-worker` serves it; everything computed by `classlens-core`, in the worker.
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
pub mod engine;
pub mod fitter;
pub mod pack_store;
pub mod packs;
pub mod protocol;
pub mod scorer;
pub mod state;
pub mod storage;
pub mod worker;

pub use components::App;

#[cfg(feature = "js-api")]
mod js_api;
#[cfg(feature = "js-api")]
pub use js_api::*;
