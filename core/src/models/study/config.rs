//! What a STUDY or Individual model directory's and pack's `config.json` holds: the network,
//! how the classroom log was packed, and the training run's settings. Plain data shared by the
//! trainer, the inference model and packs.

use serde::{Deserialize, Serialize};

use super::net::RecommenderConfig;
use crate::models::device::BurnBackend;
use crate::sequences::study::PackConfig;

/// The `format` and `version` a model directory's config must name to be read by this build.
pub(crate) use crate::runs::RECOMMENDER_FORMAT as FORMAT;
pub(crate) const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RecTrainConfig {
    pub steps: usize,
    /// Rows per optimizer step.
    pub batch_size: usize,
    /// Peak learning rate, reached at the end of warm-up.
    pub learning_rate: f64,
    pub warmup_steps: usize,
    /// AdamW's decoupled weight decay (the reference's 0.1).
    pub weight_decay: f64,
    pub seed: u64,
    pub eval_every: usize,
    pub save_every: usize,
    pub backend: BurnBackend,
    /// Share of the training classrooms held out to choose the step kept (the lowest loss on
    /// them, scored every `eval_every` steps); 0 keeps the last step. Recorded so a resume
    /// checks it; the CLI makes the cut. Left out of `config.json` when 0, so a run without
    /// selection writes the bytes it wrote before the option existed (the demo packs stay
    /// reproducible).
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub select_frac: f64,
    /// Stop after this many scores without a lower loss on the selection classrooms (0: never).
    #[serde(default, skip_serializing_if = "crate::runs::is_default")]
    pub patience: usize,
    /// Threads that each compute a share of every step's rows, their gradients added before
    /// one optimizer step ([`crate::models::study::train::RecStepper::step`]). Not part of the
    /// model: a resume may change it. Left out of `config.json` when 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub workers: usize,
    /// Devices each step is spread over ([`BurnBackend::devices`]): share `i` of the rows runs
    /// on device `i mod devices`, its gradients are moved to the first device and added there
    /// before one optimizer step, and the next step forks the weights back out. Not part of the
    /// model: a resume may change it. Left out of `config.json` when 1.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub devices: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Default for RecTrainConfig {
    fn default() -> Self {
        Self {
            steps: 2000,
            batch_size: 32,
            learning_rate: 1e-3,
            warmup_steps: 200,
            weight_decay: 0.1,
            seed: 0,
            eval_every: 250,
            save_every: 250,
            backend: BurnBackend::Flex,
            select_frac: 0.0,
            patience: 0,
            workers: 1,
            devices: 1,
        }
    }
}

impl RecTrainConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.steps == 0 || self.batch_size == 0 {
            return Err("--steps and --batch-size must be at least 1".into());
        }
        if self.eval_every == 0 || self.save_every == 0 {
            return Err("--eval-every and --save-every must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!("--learning-rate must be positive, got {}", self.learning_rate));
        }
        if self.workers == 0 || self.devices == 0 {
            return Err("--workers and --devices must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.select_frac) {
            return Err(format!("--select-frac must be in [0, 1), got {}", self.select_frac));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(format!("--weight-decay must be at least 0, got {}", self.weight_decay));
        }
        Ok(())
    }

    /// Linear warm-up to the peak, then decay with `1/sqrt(step)` (the reference's
    /// `linear_warmup * rsqrt_decay`), so long runs keep learning slowly instead of stopping.
    pub fn lr_at(&self, step: usize) -> f64 {
        let s = (step + 1) as f64;
        let w = self.warmup_steps.max(1) as f64;
        self.learning_rate * (s / w).min(1.0) * (w / s.max(w)).sqrt()
    }
}
/// What a model directory's `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecRunConfig {
    pub format: String,
    pub version: u32,
    pub model: RecommenderConfig,
    pub pack: PackConfig,
    pub train: RecTrainConfig,
    /// Set when the model is a distilled student (`classlens distill`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distill: Option<RecDistillConfig>,
}

impl RecRunConfig {
    pub fn new(model: RecommenderConfig, pack: PackConfig, train: RecTrainConfig) -> Self {
        Self { format: FORMAT.into(), version: VERSION, model, pack, train, distill: None }
    }
}

/// How a STUDY or Individual student learns from its teacher: temperature-softened logits
/// ([`crate::models::soft_targets::distillation_loss`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecDistillConfig {
    pub teacher: String,
    pub temperature: f64,
    pub alpha: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_settings_are_written_only_when_used() {
        let plain = RecTrainConfig::default();
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("select_frac") && !text.contains("patience"), "a run without selection writes what it wrote before: {text}");
        let chosen = RecTrainConfig { select_frac: 0.1, patience: 4, ..plain };
        let back: RecTrainConfig = serde_json::from_str(&serde_json::to_string(&chosen).unwrap()).unwrap();
        assert_eq!(back, chosen);
        let old: RecTrainConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(old, plain, "configs from before read as no selection");
    }
}
