//! `--model` accepts a trained model directory or an exported pack file; both load into the same
//! types, so every command works on either.

use std::path::Path;

use anyhow::{Context, Result};
use classlens_core::infer::load_pack;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::study::StudyModel;

fn pack_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    if path.is_dir() {
        return Ok(None);
    }
    std::fs::read(path).map(Some).with_context(|| format!("reading {}", path.display()))
}

pub fn dkt(path: &Path) -> Result<DktModel> {
    match pack_bytes(path)? {
        None => Ok(DktModel::load(path)?),
        Some(bytes) => load_pack(&bytes).and_then(|p| p.into_dkt()).with_context(|| format!("{}", path.display())),
    }
}

pub fn recommender(path: &Path) -> Result<StudyModel> {
    match pack_bytes(path)? {
        None => Ok(StudyModel::load(path)?),
        Some(bytes) => load_pack(&bytes).and_then(|p| p.into_recommender()).with_context(|| format!("{}", path.display())),
    }
}
