//! Model packs: one versioned, checksummed file holding a trained model's configuration,
//! vocabulary and weights. The CLI writes them (`classlens export`); the CLI and the browser app
//! load them from bytes through [`crate::infer`].
//!
//! Layout (integers little-endian):
//!
//! | bytes | what |
//! | --- | --- |
//! | 0..8 | magic `CLSLPACK` |
//! | 8..12 | pack format version ([`FORMAT_VERSION`]) |
//! | 12..16 | CRC-32 of every byte from offset 16 to the end |
//! | 16..24 | total length of the pack in bytes |
//! | 24..28 | length `m` of the metadata |
//! | 28..28+m | metadata: deflate-compressed JSON [`PackMeta`] (kind, quantization, configuration, vocabulary) |
//! | 28+m.. | weights: a burnpack (burn-store) of the burn module (none for BKT, whose parameters are in the metadata) |
//!
//! Why an envelope around burnpack rather than burnpack alone: burnpack carries tensors and
//! string metadata but no checksum, and a pack travels (downloads, service-worker caches, files
//! teachers copy around). The envelope's length and CRC are checked before a single byte is
//! parsed, so a truncated or corrupted file fails as "truncated" or "checksum", never as a
//! confusing error deep inside a tensor reader or, worse, as silently wrong weights.
//!
//! The metadata is compressed because vocabularies are long lists of ids that compress well, and
//! the same in every format: a problem-aware DKT's 15,622 problem ids took 116 kB, a third of its
//! int8 pack.
//!
//! The weights themselves are burn's: the module is saved with burn-store, and quantized with
//! burn's own quantization ([`quantize`]), so no tensor format is written by hand here.

pub mod quantize;

use burn::module::Module;
use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

pub use quantize::Quantization;

use crate::models::akt::{AktModel, AktRunConfig};
use crate::models::baselines::ItemKnn;
use crate::models::bkt::{Bkt, BktModel, BktParams, BktRunConfig};
use crate::models::device::reference_device;
use crate::models::dkt::{DktModel, DktRunConfig};
use crate::models::study::net::RecommenderKind;
use crate::models::study::{RecRunConfig, StudyModel};
use crate::sequences::kt::{ProblemVocab, SkillVocab};
use crate::sequences::study::TitleVocab;

pub const MAGIC: &[u8; 8] = b"CLSLPACK";
/// Bumped whenever the envelope or the metadata changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 28;
/// Decompressed metadata larger than this is refused (a bomb, not a vocabulary).
const MAX_META_BYTES: usize = 256 << 20;

/// What a pack holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Dkt,
    Study,
    Individual,
    /// Attention knowledge tracing ([`crate::models::akt`]).
    Akt,
    /// Bayesian knowledge tracing per skill ([`crate::models::bkt`]).
    Bkt,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Dkt => "dkt",
            ModelKind::Study => "study",
            ModelKind::Individual => "individual",
            ModelKind::Akt => "akt",
            ModelKind::Bkt => "bkt",
        }
    }
}

impl From<RecommenderKind> for ModelKind {
    fn from(k: RecommenderKind) -> Self {
        match k {
            RecommenderKind::Study => ModelKind::Study,
            RecommenderKind::Individual => ModelKind::Individual,
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("not a classlens model pack (the first 8 bytes are not {:?})", std::str::from_utf8(MAGIC).unwrap_or_default())]
    NotAPack,
    #[error("truncated: the pack is {found} bytes, its header says {expected}")]
    Truncated { expected: u64, found: u64 },
    #[error("pack format version {found}; this build of classlens reads version {supported} (re-export the model with this build)")]
    Version { found: u32, supported: u32 },
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x}): the pack is corrupted")]
    Checksum { stored: u32, computed: u32 },
    #[error("metadata: {0}")]
    Meta(String),
    #[error("weights: {0}")]
    Weights(String),
    #[error("this pack holds a {found} model, expected {expected}")]
    WrongKind { expected: String, found: ModelKind },
}

/// The JSON part of a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackMeta {
    /// The program and version that wrote the pack (for people; not checked).
    pub writer: String,
    pub quantization: Quantization,
    pub model: PackModel,
    /// Where the model came from and how it scored on students it never saw, for the header of
    /// the page that opens it. Absent in packs written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<PackAbout>,
}

/// A pack's provenance: what `classlens export` reads from the run directory (`split.json`,
/// `test_metrics.json`), or what the page records when it fits a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackAbout {
    /// The training data's file name (a name, never a path: a pack travels).
    pub trained_on: String,
    /// Students the model trained on.
    pub students: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out: Option<HeldOutScore>,
}

/// A score on held-out students, beside the baseline a teacher can judge it by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutScore {
    /// "AUC" or "hits@5".
    pub metric: String,
    pub value: f64,
    /// The baseline's name ("each skill's mean", "classroom popularity") and score on the same
    /// answers or reads, when it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<(String, f64)>,
    /// Held-out students, and what the score is a mean over: answers scored (AUC), or students
    /// (hits@n is a mean of each student's hits).
    pub students: usize,
    pub n: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum PackModel {
    Dkt {
        config: DktRunConfig,
        skills: SkillVocab,
        #[serde(default)]
        problems: ProblemVocab,
    },
    Recommender {
        config: RecRunConfig,
        /// `vocab.json` text, checked by [`TitleVocab::from_json`] on load.
        vocab: String,
        /// The co-read table of a model with the co-read channel (`coread.json`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        coread: Option<ItemKnn>,
    },
    Akt {
        config: AktRunConfig,
        skills: SkillVocab,
        #[serde(default)]
        problems: ProblemVocab,
    },
    /// BKT's four numbers per skill are kept here, exact; its pack has no weights section.
    Bkt { config: BktRunConfig, skills: SkillVocab, params: Vec<BktParams> },
}

impl PackMeta {
    pub fn kind(&self) -> ModelKind {
        match &self.model {
            PackModel::Dkt { .. } => ModelKind::Dkt,
            PackModel::Recommender { config, .. } => config.model.kind.into(),
            PackModel::Akt { .. } => ModelKind::Akt,
            PackModel::Bkt { .. } => ModelKind::Bkt,
        }
    }
}

/// A pack, loaded: the same model types a trained model directory loads into.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one pack is loaded at a time; a box would only add a pointer to follow")]
pub enum LoadedPack {
    Dkt(DktModel),
    Recommender(StudyModel),
    Akt(AktModel),
    Bkt(BktModel),
}

impl LoadedPack {
    pub fn kind(&self) -> ModelKind {
        match self {
            LoadedPack::Dkt(_) => ModelKind::Dkt,
            LoadedPack::Recommender(m) => m.run.model.kind.into(),
            LoadedPack::Akt(_) => ModelKind::Akt,
            LoadedPack::Bkt(_) => ModelKind::Bkt,
        }
    }

    pub fn into_dkt(self) -> Result<DktModel, PackError> {
        match self {
            LoadedPack::Dkt(m) => Ok(m),
            other => Err(PackError::WrongKind { expected: "dkt".into(), found: other.kind() }),
        }
    }

    pub fn into_akt(self) -> Result<AktModel, PackError> {
        match self {
            LoadedPack::Akt(m) => Ok(m),
            other => Err(PackError::WrongKind { expected: "akt".into(), found: other.kind() }),
        }
    }

    pub fn into_recommender(self) -> Result<StudyModel, PackError> {
        match self {
            LoadedPack::Recommender(m) => Ok(m),
            other => Err(PackError::WrongKind { expected: "study or individual".into(), found: other.kind() }),
        }
    }
}

fn writer() -> String {
    format!("classlens {}", env!("CARGO_PKG_VERSION"))
}

/// Serializes `module` (quantized as asked) into burnpack bytes.
fn weights_bytes<M: Module>(module: M, quantization: Quantization) -> Result<Vec<u8>, PackError> {
    let module = quantize::quantize(module.to_device(&pack_device()), quantization).map(&mut StableParamIds(0));
    let mut store = BurnpackStore::from_bytes(None);
    module.save_into(&mut store).map_err(|e| PackError::Weights(e.to_string()))?;
    let bytes = store.get_bytes().map_err(|e| PackError::Weights(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// Numbers parameters 1, 2, 3... in module order. burn draws each parameter's id at random when
/// a module is made and burnpack stores it, so without this the same weights would give a
/// different pack every run; the ids carry nothing a pack needs (loading matches by name).
struct StableParamIds(u64);

impl StableParamIds {
    fn next(&mut self) -> burn::module::ParamId {
        self.0 += 1;
        burn::module::ParamId::from(self.0)
    }
}

impl burn::module::ModuleMapper for StableParamIds {
    fn map_float<const D: usize>(&mut self, mut p: burn::module::Param<burn::tensor::Tensor<D>>) -> burn::module::Param<burn::tensor::Tensor<D>> {
        p.id = self.next();
        p
    }
    fn map_int<const D: usize>(
        &mut self,
        mut p: burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Int>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Int>> {
        p.id = self.next();
        p
    }
    fn map_bool<const D: usize>(
        &mut self,
        mut p: burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Bool>>,
    ) -> burn::module::Param<burn::tensor::Tensor<D, burn::tensor::Bool>> {
        p.id = self.next();
        p
    }
}

/// The device packs are written and read on: Flex, because burn's NdArray has no f16 tensors,
/// and it quantizes and dequantizes like any other backend.
fn pack_device() -> burn::tensor::Device {
    crate::models::device::BurnBackend::Flex.device()
}

/// Applies burnpack `bytes` to a freshly initialised `module` and returns it in f32 on the
/// reference device; every parameter must be present in the pack and every tensor in the pack
/// must be used.
fn load_weights<M: Module>(module: M, bytes: &[u8]) -> Result<M, PackError> {
    let mut module = module.to_device(&pack_device());
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes.to_vec())));
    let result = module.load_from(&mut store).map_err(|e| PackError::Weights(e.to_string()))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        let missing: Vec<&str> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
        return Err(PackError::Weights(format!(
            "the weights do not fit the model described by the metadata (errors: {:?}; missing: {missing:?}; unexpected: {:?})",
            result.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            result.unused
        )));
    }
    Ok(quantize::dequantize(module).to_device(&reference_device()))
}

fn envelope(meta: &PackMeta, weights: &[u8]) -> Result<Vec<u8>, PackError> {
    let meta = miniz_oxide::deflate::compress_to_vec(&serde_json::to_vec(meta).map_err(|e| PackError::Meta(e.to_string()))?, 9);
    let total = HEADER_LEN + meta.len() + weights.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(total as u64).to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(weights);
    let crc = crc32fast::hash(&out[16..]);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// The bytes `module`'s weights take in a pack quantized as `quantization` (without the metadata):
/// the size figure for models the app has no pack kind for yet (MF).
pub fn weights_len<M: Module>(module: M, quantization: Quantization) -> Result<usize, PackError> {
    weights_bytes(module, quantization).map(|b| b.len())
}

/// A DKT pack.
pub fn write_dkt(model: &DktModel, quantization: Quantization) -> Result<Vec<u8>, PackError> {
    write_dkt_about(model, quantization, None)
}

/// A DKT pack that says where the model came from.
pub fn write_dkt_about(model: &DktModel, quantization: Quantization, about: Option<PackAbout>) -> Result<Vec<u8>, PackError> {
    let module = model.weights.to_module(&reference_device());
    let meta = PackMeta {
        writer: writer(),
        quantization,
        model: PackModel::Dkt { config: model.config.clone(), skills: model.vocab.clone(), problems: model.problems.clone() },
        about,
    };
    envelope(&meta, &weights_bytes(module, quantization)?)
}

/// An attention knowledge-tracing pack that says where the model came from.
pub fn write_akt_about(model: &AktModel, quantization: Quantization, about: Option<PackAbout>) -> Result<Vec<u8>, PackError> {
    let meta = PackMeta {
        writer: writer(),
        quantization,
        model: PackModel::Akt { config: model.config.clone(), skills: model.vocab.clone(), problems: model.problems.clone() },
        about,
    };
    envelope(&meta, &weights_bytes(model.net().clone(), quantization)?)
}

/// A BKT pack. Its parameters travel in the metadata as written (there is nothing to quantize:
/// four numbers per skill), so the pack records no quantization and has no weights section.
pub fn write_bkt_about(model: &BktModel, about: Option<PackAbout>) -> Result<Vec<u8>, PackError> {
    let meta = PackMeta {
        writer: writer(),
        quantization: Quantization::None,
        model: PackModel::Bkt { config: model.config.clone(), skills: model.vocab.clone(), params: model.bkt.skills.clone() },
        about,
    };
    envelope(&meta, &[])
}

/// A STUDY or Individual pack.
pub fn write_recommender(model: &StudyModel, quantization: Quantization) -> Result<Vec<u8>, PackError> {
    write_recommender_about(model, quantization, None)
}

/// A STUDY or Individual pack that says where the model came from.
pub fn write_recommender_about(model: &StudyModel, quantization: Quantization, about: Option<PackAbout>) -> Result<Vec<u8>, PackError> {
    let meta = PackMeta {
        writer: writer(),
        quantization,
        model: PackModel::Recommender {
            config: model.run.clone(),
            vocab: model.vocab.to_json(),
            coread: model.model.coread_table().map(|t| t.as_ref().clone()),
        },
        about,
    };
    envelope(&meta, &weights_bytes(model.model.clone(), quantization)?)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The checked envelope: metadata and the weights' bytes, without building the model.
pub fn read_meta(bytes: &[u8]) -> Result<(PackMeta, &[u8]), PackError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(PackError::NotAPack);
    }
    if bytes.len() < HEADER_LEN {
        return Err(PackError::Truncated { expected: HEADER_LEN as u64, found: bytes.len() as u64 });
    }
    let version = u32_at(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(PackError::Version { found: version, supported: FORMAT_VERSION });
    }
    let total = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    if total != bytes.len() as u64 {
        return Err(PackError::Truncated { expected: total, found: bytes.len() as u64 });
    }
    let stored = u32_at(bytes, 12);
    let computed = crc32fast::hash(&bytes[16..]);
    if stored != computed {
        return Err(PackError::Checksum { stored, computed });
    }
    let meta_len = u32_at(bytes, 24) as usize;
    let meta_end = HEADER_LEN
        .checked_add(meta_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| PackError::Meta(format!("{meta_len} bytes of metadata do not fit in a {}-byte pack", bytes.len())))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes[HEADER_LEN..meta_end], MAX_META_BYTES)
        .map_err(|e| PackError::Meta(format!("cannot decompress: {e:?}")))?;
    let meta: PackMeta = serde_json::from_slice(&json).map_err(|e| PackError::Meta(e.to_string()))?;
    Ok((meta, &bytes[meta_end..]))
}

/// Loads a pack from its bytes into f32 weights on the CPU reference device.
pub fn load(bytes: &[u8]) -> Result<LoadedPack, PackError> {
    let (meta, weights) = read_meta(bytes)?;
    match meta.model {
        PackModel::Dkt { config, skills, problems } => {
            DktModel::check(&config, &skills, &problems).map_err(PackError::Meta)?;
            let module = load_weights(config.dkt.init(0, &reference_device()), weights)?;
            Ok(LoadedPack::Dkt(DktModel::from_module(config, skills.reindexed(), problems.reindexed(), &module)))
        }
        PackModel::Recommender { config, vocab, coread } => {
            let vocab = TitleVocab::from_json(&vocab, "the pack's vocabulary").map_err(|e| PackError::Meta(e.to_string()))?;
            StudyModel::check(&config, &vocab).map_err(PackError::Meta)?;
            let coread = match (config.model.coread, coread) {
                (false, None) => None,
                (true, Some(table)) => {
                    StudyModel::check_coread(&table, &vocab).map_err(PackError::Meta)?;
                    Some(std::sync::Arc::new(table))
                }
                (true, None) => return Err(PackError::Meta("the model reads a co-read table, but the pack has none".into())),
                (false, Some(_)) => return Err(PackError::Meta("the pack has a co-read table, but its model does not read one".into())),
            };
            let model = load_weights(config.model.init(0, &reference_device()), weights)?.with_coread_table(coread).with_stored_boost();
            Ok(LoadedPack::Recommender(StudyModel { run: config, vocab, model }))
        }
        PackModel::Akt { config, skills, problems } => {
            let (skills, problems) = (skills.reindexed(), problems.reindexed());
            AktModel::check(&config, &skills, &problems).map_err(PackError::Meta)?;
            let net = load_weights(config.akt.init(0, &reference_device()), weights)?;
            Ok(LoadedPack::Akt(AktModel::new(config, skills, problems, net)))
        }
        PackModel::Bkt { config, skills, params } => {
            let skills = skills.reindexed();
            BktModel::check(&config, &skills, &params).map_err(PackError::Meta)?;
            if !weights.is_empty() {
                return Err(PackError::Weights(format!("a BKT pack has no weights section, this one has {} bytes", weights.len())));
            }
            Ok(LoadedPack::Bkt(BktModel { config, vocab: skills, bkt: Bkt { skills: params } }))
        }
    }
}

#[cfg(test)]
mod tests;
