//! Sequence builders: turn [`crate::data::Interactions`] into what each model consumes.

pub mod kt;
pub mod mf;
pub mod split;
pub mod study;
