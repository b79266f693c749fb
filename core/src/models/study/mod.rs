//! STUDY and its Individual ablation: a transformer decoder over a classroom's reads whose mask
//! lets a student see classmates' earlier reads (Individual sees only their own).
//!
//! - [`model`]: the inference model ([`StudyModel`]) the CLI, packs and browser load;
//! - [`net`]: the burn module, batches and masks;
//! - [`infer`]: suggestion lists at every read, top titles;
//! - [`config`]: what a run's `config.json` holds;
//! - [`train`]: the step loop (AdamW, warm-up, checkpoints, validation monitor).

pub mod config;
pub mod infer;
pub mod model;
pub mod net;
pub mod train;

pub use config::{RecDistillConfig, RecRunConfig, RecTrainConfig};
pub use model::StudyModel;
