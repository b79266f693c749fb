//! `--model` accepts a trained model directory or an exported pack file; both load into the same
//! types, so every command works on either.

use std::path::Path;

use anyhow::{Context, Result};
use classlens_core::infer::load_pack;
use classlens_core::infer::mastery::KtModel;
use classlens_core::models::akt::AktModel;
use classlens_core::models::bkt::BktModel;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::study::StudyModel;
use classlens_core::runs::{RunKind, run_kind};

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

/// A knowledge-tracing model of any kind (DKT, attention or BKT), from a directory or a pack.
pub fn tracer(path: &Path) -> Result<KtModel> {
    match pack_bytes(path)? {
        None => Ok(match run_kind(path)? {
            RunKind::Akt => KtModel::Akt(AktModel::load(path)?),
            RunKind::Bkt => KtModel::Bkt(BktModel::load(path)?),
            _ => KtModel::Dkt(DktModel::load(path)?),
        }),
        Some(bytes) => load_pack(&bytes).and_then(KtModel::try_from).with_context(|| format!("{}", path.display())),
    }
}

/// An attention model from a directory (`train akt`) or a pack.
pub fn akt(path: &Path) -> Result<AktModel> {
    match pack_bytes(path)? {
        None => Ok(AktModel::load(path)?),
        Some(bytes) => load_pack(&bytes).and_then(|p| p.into_akt()).with_context(|| format!("{}", path.display())),
    }
}

pub fn recommender(path: &Path) -> Result<StudyModel> {
    match pack_bytes(path)? {
        None => Ok(StudyModel::load(path)?),
        Some(bytes) => load_pack(&bytes).and_then(|p| p.into_recommender()).with_context(|| format!("{}", path.display())),
    }
}
