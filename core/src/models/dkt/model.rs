//! The inference model: a trained DKT's configuration, vocabularies and weights, as the CLI, the
//! packs and the browser use it. Loading a run directory goes through [`crate::runs`].

use std::path::Path;

use super::config::DktRunConfig;
use super::kernel::DktWeights;
use super::net::Dkt;
use crate::models::device::reference_device;
use crate::runs::{CONFIG_FILE, MODEL_FILE, PROBLEMS_FILE, SKILLS_FILE, TrainError, load_record, read_json};
use crate::sequences::kt::{KtSequence, KtStep, ProblemVocab, SkillVocab};

/// A trained model directory, loaded for inference.
#[derive(Debug)]
pub struct DktModel {
    pub config: DktRunConfig,
    pub vocab: SkillVocab,
    /// Empty unless the model is problem-aware.
    pub problems: ProblemVocab,
    pub weights: DktWeights,
}

impl DktModel {
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let config: DktRunConfig = read_json(&dir.join(CONFIG_FILE))?;
        let corrupt = |file: &'static str| move |message: String| TrainError::Corrupt { path: dir.join(file).display().to_string(), message };
        if config.model != "dkt" {
            return Err(TrainError::Invalid(format!("{}: holds a '{}' model, not dkt", dir.display(), config.model)));
        }
        Self::check_config(&config).map_err(corrupt(CONFIG_FILE))?;
        let vocab = read_json::<SkillVocab>(&dir.join(SKILLS_FILE))?.reindexed();
        let problems = if config.dkt.n_problems > 0 { read_json::<ProblemVocab>(&dir.join(PROBLEMS_FILE))?.reindexed() } else { ProblemVocab::default() };
        Self::check(&config, &vocab, &problems).map_err(corrupt(SKILLS_FILE))?;
        let model = load_record(config.dkt.init(0, &reference_device()), &dir.join(MODEL_FILE))?;
        Ok(Self::from_module(config, vocab, problems, &model))
    }

    fn check_config(config: &DktRunConfig) -> Result<(), String> {
        if config.model != "dkt" {
            return Err(format!("holds a '{}' model, not dkt", config.model));
        }
        let t = &config.train;
        if t.window < 2 || config.dkt.hidden == 0 || config.dkt.n_skills == 0 {
            return Err("expected window ≥ 2 and hidden, n_skills > 0".into());
        }
        Ok(())
    }

    /// The configuration and vocabularies agree (a model directory or a pack that passes this
    /// cannot index out of its tables).
    pub fn check(config: &DktRunConfig, vocab: &SkillVocab, problems: &ProblemVocab) -> Result<(), String> {
        Self::check_config(config)?;
        if vocab.len() != config.dkt.n_skills {
            return Err(format!("{} skills, config says {}", vocab.len(), config.dkt.n_skills));
        }
        if problems.len() != config.dkt.n_problems {
            return Err(format!("{} problems, config says {}", problems.len(), config.dkt.n_problems));
        }
        Ok(())
    }

    pub fn from_module(config: DktRunConfig, vocab: SkillVocab, problems: ProblemVocab, model: &Dkt) -> Self {
        Self { weights: DktWeights::from_model(model), vocab, problems, config }
    }
}

impl DktModel {
    /// The part of a history the model reads for a prediction: its last `window` steps. The model
    /// was trained on windows that start from a zero state, so feeding it a longer history than
    /// it ever saw would ask it to extrapolate. `eval dkt --scoring deployed` scores predictions made
    /// this way ([`crate::sequences::kt::Scoring`]).
    pub fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        &steps[steps.len().saturating_sub(self.config.train.window)..]
    }

    /// The model's sequences for `data` (tagged with problems when the model is problem-aware).
    pub fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, crate::sequences::kt::KtBuildReport) {
        let problems = (self.config.dkt.n_problems > 0).then_some(&self.problems);
        crate::sequences::kt::kt_sequences_with_problems(data, &self.vocab, problems)
    }
}
