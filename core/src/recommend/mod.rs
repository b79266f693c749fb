//! Reading suggestions that are not a neural model, and the hits@n scoring every suggester
//! shares.
//!
//! [`baselines`] holds the two baselines the STUDY tables compare against (most popular in the
//! classroom lately, item co-occurrence KNN); [`evaluate`] scores any suggester's output the
//! way the STUDY reference does (`per_student.csv`, `aggregate.csv`); [`report`] puts a trained
//! model and both baselines into one comparison.

pub mod baselines;
pub mod evaluate;
pub mod report;
