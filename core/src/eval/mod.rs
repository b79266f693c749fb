//! Scoring suggesters the way the STUDY reference does: [`hits`] scores any suggester's lists
//! per student and evaluation type (`per_student.csv`, `aggregate.csv`); [`report`] puts a
//! trained model and the [`crate::models::baselines`] into one comparison.
//!
//! This layer sits above [`crate::models`]: it reads models, models never read it.

pub mod hits;
pub mod report;
