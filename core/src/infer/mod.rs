//! The inference API the CLI and the app share.
//!
//! Load a pack from bytes ([`load_pack`]), then:
//! - DKT, the attention model and BKT (all [`mastery::Tracer`]s): [`mastery::steps`] turns a student's answers (skill ids as the teacher's data spells
//!   them) into model steps, refusing unknown skills; [`mastery::mastery`] gives one student's
//!   per-skill probabilities, [`mastery::mastery_table`] a whole class in one batched pass, and
//!   [`mastery::Tracer::trajectory`] a student's mastery after every answer (the "over time"
//!   chart; DKT's in one pass, [`mastery::trajectory`]).
//! - STUDY / Individual: [`recommend::recommend`] suggests each chosen student's next reads
//!   from a classroom's reading log, in one batched pass per classroom.
//!
//! These calls are synchronous and run on the CPU: DKT on the fused kernel
//! ([`crate::models::dkt::kernel`]), the recommenders on burn's NdArray device. The same calls
//! compile to WebAssembly unchanged. [`webgpu`] runs DKT and STUDY/Individual as WGSL kernels
//! (async, as every GPU read in a browser must be): on the browser's WebGPU in WebAssembly, where
//! the page picks it at run time when the browser offers an adapter and falls back to the CPU
//! otherwise, and on Vulkan natively (the parity tests on lavapipe, GPU timings).

pub mod mastery;
pub mod recommend;
pub mod webgpu;

pub use crate::pack::{LoadedPack, ModelKind, PackError, load as load_pack};

#[derive(Debug, thiserror::Error)]
pub enum InferError {
    #[error(transparent)]
    Pack(#[from] PackError),
    #[error("answer {index}: skill '{skill}' is not one this model knows ({known} skills; retrain or export a model that covers it)")]
    UnknownSkill { index: usize, skill: String, known: usize },
    #[error("student '{0}' has no answer with a skill this model knows")]
    UnknownStudent(String),
    #[error("student '{0}' has no dated read in this classroom")]
    NoReads(String),
    #[error("{0}")]
    Invalid(String),
}
