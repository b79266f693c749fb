//! The browser side of classlens, over `classlens-core`:
//! - [`classroom`] and [`dashboard`]: what the teacher dashboard (the `classlens-app` binary)
//!   shows, as plain types with native unit tests;
//! - `js_api` (feature `js-api`): the calls page JavaScript makes (the bench page, the browser
//!   tests, a Worker). It is a feature so the dashboard's wasm does not carry it: every
//!   `#[wasm_bindgen]` export is kept by the linker, and the STUDY-on-WebGPU session alone pulls
//!   in burn's whole wgpu runtime.

pub mod classroom;
pub mod dashboard;

#[cfg(feature = "js-api")]
mod js_api;
#[cfg(feature = "js-api")]
pub use js_api::*;
