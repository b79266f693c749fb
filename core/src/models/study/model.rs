//! The inference model: a trained STUDY or Individual network with its configuration and title
//! vocabulary, as the CLI, the packs and the browser use it.

use std::path::Path;
use std::sync::Arc;

use super::config::{FORMAT, RecRunConfig, VERSION};
use super::net::Recommender;
use crate::models::baselines::ItemKnn;
use crate::models::device::reference_device;
use crate::runs::{CONFIG_FILE, COREAD_FILE, MODEL_FILE, TrainError, VOCAB_FILE, load_record, read_json};
use crate::sequences::study::TitleVocab;

/// A trained model directory, loaded for inference on the CPU.
#[derive(Debug)]
pub struct StudyModel {
    pub run: RecRunConfig,
    pub vocab: TitleVocab,
    pub model: Recommender,
}

impl StudyModel {
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let run: RecRunConfig = read_json(&dir.join(CONFIG_FILE))?;
        let vocab = TitleVocab::load(&dir.join(VOCAB_FILE)).map_err(|e| TrainError::Invalid(e.to_string()))?;
        Self::check(&run, &vocab).map_err(|message| TrainError::Corrupt { path: dir.join(CONFIG_FILE).display().to_string(), message })?;
        let mut model = load_record(run.model.init(0, &reference_device()), &dir.join(MODEL_FILE))?;
        if run.model.coread {
            let table: ItemKnn = read_json(&dir.join(COREAD_FILE))?;
            Self::check_coread(&table, &vocab).map_err(|message| TrainError::Corrupt { path: dir.join(COREAD_FILE).display().to_string(), message })?;
            model = model.with_coread_table(Some(Arc::new(table))).with_stored_boost();
        }
        Ok(Self { run, vocab, model })
    }

    /// A co-read table fits the vocabulary it is read with.
    pub fn check_coread(table: &ItemKnn, vocab: &TitleVocab) -> Result<(), String> {
        if table.vocab_len() != vocab.len() {
            return Err(format!("the co-read table has {} ids, but the vocabulary has {}", table.vocab_len(), vocab.len()));
        }
        Ok(())
    }

    /// The configuration is one this build reads and agrees with the vocabulary.
    pub fn check(run: &RecRunConfig, vocab: &TitleVocab) -> Result<(), String> {
        if run.format != FORMAT || run.version != VERSION {
            return Err(format!("not a {FORMAT} v{VERSION} model (found {} v{})", run.format, run.version));
        }
        run.model.validate()?;
        if vocab.len() != run.model.vocab_size {
            return Err(format!("the vocabulary has {} ids, but the model has {}", vocab.len(), run.model.vocab_size));
        }
        Ok(())
    }
}
