//! Models: definitions (burn modules), training loops and fast inference kernels.

pub mod bst;
pub mod bst_train;
pub mod device;
pub mod dkt;
pub mod dkt_fused;
pub mod dkt_influence;
pub mod dkt_kernel;
pub mod dkt_train;
pub mod init;
pub mod lstm_math;
pub mod mf;
pub mod mf_train;
pub mod record;
pub mod recommender;
pub mod recommender_infer;
pub mod recommender_train;
pub mod recurrent_gemm;
pub mod soft_targets;
