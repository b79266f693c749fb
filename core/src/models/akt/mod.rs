//! Attention knowledge tracing, of the AKT / simpleKT family: Rasch-style question embeddings
//! and causal attention over a student's earlier answers with a monotonic distance decay.
//!
//! - [`net`]: the burn module and its batches (the same [`crate::sequences::kt::KtBatch`] rows
//!   DKT trains on, so both score exactly the same steps);
//! - [`train`]: training from the CLI like DKT (checkpoints, resume, best-on-validation), the
//!   run directory, and evaluation.
//!
//! Not yet here (issue 16, item 2): a pack kind, the browser's `infer` path and the dashboard.

pub mod net;
pub mod train;

pub use net::{Akt, AktConfig};
pub use train::{AktModel, AktRunConfig, AktTrainConfig, ScoredStep, evaluate_akt, score_steps, step_report, train_akt};
