//! Deep knowledge tracing (Piech et al. 2015), plain and problem-aware.
//!
//! - [`model`]: the inference model ([`DktModel`]) the CLI, packs and browser load;
//! - [`kernel`]: its fast forward pass on plain arrays ([`DktWeights`]), the one every
//!   prediction uses;
//! - [`net`]: the burn module (training with autodiff, parity tests);
//! - [`config`]: what a run's `config.json` holds;
//! - [`fused`], [`train`]: training (hand-written BPTT and the epoch loop), [`influence`]:
//!   which past answers moved a prediction.

pub mod config;
pub mod fused;
pub mod influence;
pub mod kernel;
pub mod model;
pub mod net;
pub mod train;

pub use config::{DktDistillConfig, DktRunConfig, DktTrainConfig, Engine, MultiSkillLoss};
pub use kernel::DktWeights;
pub use model::DktModel;
