//! Scoring suggesters the way the STUDY reference does: [`hits`] scores any suggester's lists
//! per student and evaluation type (`per_student.csv`, `aggregate.csv`); [`report`] puts a
//! trained model and the [`crate::models::baselines`] into one comparison; [`deployed`] scores
//! them all as the app would have suggested on the morning of each read (issue 15).
//!
//! This layer sits above [`crate::models`]: it reads models, models never read it.

pub mod deployed;
pub mod hits;
pub mod report;
