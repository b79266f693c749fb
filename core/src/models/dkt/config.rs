//! What a DKT model directory's and pack's `config.json` holds: the network's shape and the
//! training run's settings. Plain data shared by the trainer, the inference model and packs, so
//! loading a model never reaches into training code.

use serde::{Deserialize, Serialize};

use super::net::DktConfig;

/// How the gradients are computed. Both give the same gradients (a test checks it); the fused
/// engine is the default because it is several times faster on a CPU (see BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Hand-written forward/BPTT on plain arrays ([`crate::models::dkt::fused`]).
    #[default]
    Fused,
    /// burn autodiff on the NdArray backend.
    BurnNdarray,
    /// burn autodiff on the Flex backend.
    BurnFlex,
    /// burn autodiff on a GPU through burn's wgpu runtime (builds with the `wgpu-train` feature).
    #[cfg(feature = "wgpu-train")]
    BurnWgpu,
    /// burn autodiff on an NVIDIA GPU through burn's CUDA runtime (`cuda-train` feature).
    #[cfg(feature = "cuda-train")]
    BurnCuda,
}

impl Engine {
    /// The burn backend of a burn engine; `None` for the fused one.
    pub fn burn_backend(self) -> Option<crate::models::device::BurnBackend> {
        use crate::models::device::BurnBackend;
        match self {
            Engine::Fused => None,
            Engine::BurnNdarray => Some(BurnBackend::Ndarray),
            Engine::BurnFlex => Some(BurnBackend::Flex),
            #[cfg(feature = "wgpu-train")]
            Engine::BurnWgpu => Some(BurnBackend::Wgpu),
            #[cfg(feature = "cuda-train")]
            Engine::BurnCuda => Some(BurnBackend::Cuda),
        }
    }
}

/// How a step with several skills is *trained*. It is always *scored* as the mean of its skills'
/// probabilities (late fusion, as pyKT and the PyTorch peer report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MultiSkillLoss {
    /// Each skill's own cross-entropy against the answer, weighted 1/k.
    #[default]
    PerSkill,
    /// One cross-entropy of the mean of the skills' probabilities (clamped to [1e-6, 1 − 1e-6]),
    /// the quantity that is scored, as the PyTorch peer trains. The same as `PerSkill` on a
    /// step with one skill.
    MeanProbability,
}

/// Hyper-parameters; the defaults are the benchmark protocol's (hidden 100, window 100, batch
/// 64, Adam 1e-3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DktTrainConfig {
    pub hidden: usize,
    pub window: usize,
    pub batch_size: usize,
    pub epochs: usize,
    pub learning_rate: f64,
    pub seed: u64,
    #[serde(default)]
    pub engine: Engine,
    /// Problem-aware DKT: a difficulty and an input scale per training problem (see
    /// [`DktConfig::n_problems`]).
    #[serde(default)]
    pub problem_aware: bool,
    /// Decoupled weight decay (AdamW-style) on the per-problem parameters only: each step
    /// shrinks them by `lr · decay`, so problems seen a few times stay near the average problem
    /// instead of memorising their handful of answers.
    #[serde(default)]
    pub problem_decay: f64,
    /// Train the input table factorised, as PyTorch's `Embedding(embed) → LSTM` does (see
    /// [`crate::models::dkt::fused::InputFactors`]); 0 trains the table directly. The saved
    /// model is the same shape either way. Fused engine only. Left out of `config.json` at 0,
    /// so a run or pack made without it reads and writes the same bytes as before.
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub embed: usize,
    /// See [`MultiSkillLoss`]. Mean-probability is the fused engine's only. Left out of
    /// `config.json` at per-skill (the struct's default, and what runs from before this field
    /// trained with), which is not `classlens train dkt`'s default.
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub multi_skill_loss: MultiSkillLoss,
    /// Cut every training history at a fresh seeded offset each epoch
    /// ([`crate::sequences::kt::shifted_windows`]) instead of at multiples of the window. Left
    /// out of `config.json` when off.
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub shift_windows: bool,
    /// Set when the model is a distilled student (`classlens distill`): the teacher it learnt from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<DktDistillConfig>,
}

/// How a DKT student learns from its teacher (see [`crate::models::dkt::fused::Distill`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DktDistillConfig {
    /// The teacher's directory, for people (its weights are what is used).
    pub teacher: String,
    pub alpha: f64,
    pub temperature: f64,
}

impl Default for DktTrainConfig {
    fn default() -> Self {
        Self {
            hidden: 100,
            window: 100,
            batch_size: 64,
            epochs: 10,
            learning_rate: 1e-3,
            seed: 42,
            engine: Engine::Fused,
            problem_aware: false,
            problem_decay: 0.0,
            embed: 0,
            shift_windows: false,
            multi_skill_loss: MultiSkillLoss::PerSkill,
            distill: None,
        }
    }
}

/// What a model directory's `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DktRunConfig {
    pub model: String,
    pub dkt: DktConfig,
    pub train: DktTrainConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs and run directories made without a factorised input must keep their bytes (the demo
    /// packs are checked byte for byte by `scripts/demo-packs.sh --check`).
    #[test]
    fn a_table_trained_config_writes_no_embed_field() {
        let plain = serde_json::to_value(DktTrainConfig::default()).unwrap();
        assert!(plain.get("embed").is_none(), "{plain}");
        let factorised = DktTrainConfig { embed: 3, ..Default::default() };
        let v = serde_json::to_value(&factorised).unwrap();
        assert_eq!(v["embed"], 3);
        assert_eq!(serde_json::from_value::<DktTrainConfig>(v).unwrap(), factorised);
        assert_eq!(serde_json::from_value::<DktTrainConfig>(plain).unwrap(), DktTrainConfig::default());
    }
}
