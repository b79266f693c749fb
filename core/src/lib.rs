//! classlens-core: the layers every front end shares.
//!
//! Data flows one way: [`data`] loaders produce [`data::Interactions`], [`sequences`] turn them
//! into model inputs, [`models`] train and predict, [`metrics`] score predictions. No UI and no
//! CLI live here, so the same crate runs natively and in the browser.

pub mod calendar;
pub mod data;
pub mod eval;
pub mod fit;
pub mod infer;
pub mod io;
pub mod metrics;
pub mod models;
pub mod pack;
pub mod runs;
pub mod sequences;
pub mod synth;
