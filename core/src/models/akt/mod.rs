//! Attention knowledge tracing, of the AKT / simpleKT family: Rasch-style question embeddings
//! and causal attention over a student's earlier answers with a monotonic distance decay.
//!
//! - [`net`]: the burn module and its batches (the same [`crate::sequences::kt::KtBatch`] rows
//!   DKT trains on, so both score exactly the same steps);
//! - [`infer`]: the mastery call on plain slices (what the dashboard and `classlens mastery`
//!   run), the same numbers as the burn module;
//! - [`train`]: training from the CLI like DKT (checkpoints, resume, best-on-validation), the
//!   run directory, and evaluation.
//!
//! Its pack kind is `akt` (`crate::pack`); the dashboard scores it through `crate::infer::mastery`.

pub mod infer;
pub mod net;
pub mod train;

pub use net::{Akt, AktConfig};
pub use train::{AktModel, AktRunConfig, AktTrainConfig, ScoredStep, evaluate_akt, score_steps, step_report, train_akt};
