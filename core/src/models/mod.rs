//! Models, one folder per model: the inference model apart from its trainer.
//!
//! - [`dkt`]: knowledge tracing (plain and problem-aware DKT);
//! - [`akt`]: attention knowledge tracing (Rasch embeddings, distance-decayed attention);
//! - [`bkt`]: Bayesian Knowledge Tracing per skill (EM), the baseline teachers know;
//! - [`study`]: STUDY and Individual reading suggestions;
//! - [`bst`]: the Behaviour Sequence Transformer baseline;
//! - [`mf`]: matrix factorisation (MSE, BPR);
//! - [`baselines`]: suggesters that learn nothing (classroom popularity, item KNN).
//!
//! Shared building blocks: [`device`] (burn backends and seeding), [`init`], [`lstm_math`],
//! [`sgemm`] (the one safe matrix product every kernel calls), [`recurrent_gemm`] (the LSTM's
//! packed sgemm) and [`soft_targets`] (distillation losses).

pub mod akt;
pub mod baselines;
pub mod bkt;
pub mod bst;
pub mod device;
pub mod dkt;
pub mod init;
pub mod lstm_math;
pub mod mf;
pub mod panel_gemm;
pub mod recurrent_gemm;
pub mod sgemm;
pub mod soft_targets;
pub mod study;
pub mod vexp;
