//! The event model every loader produces, and the loaders themselves.
//!
//! One [`Event`] is one answered problem (with its skills, folded once even when the source
//! repeats the row per skill) or one reading session (with its title). Loaders stream their
//! input row by row and push into [`Interactions`], which interns ids so events stay small.

pub mod assistments;
pub mod error;
pub mod interactions;
pub mod kt_lines;
pub mod load;
pub mod mapped_csv;
pub mod source;
pub mod study;

pub use error::{DataError, Result};
pub use interactions::{Event, EventKind, Interactions, Interner, StudentInfo};
