//! `export`: a trained model directory → one model pack file for the app.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use classlens_core::io::write_atomic;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::study::StudyModel;
use classlens_core::pack::{Quantization, read_meta, write_dkt, write_recommender};
use classlens_core::runs::{RunKind, run_kind};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum QuantizeArg {
    Int8,
    F16,
    None,
}

impl From<QuantizeArg> for Quantization {
    fn from(q: QuantizeArg) -> Self {
        match q {
            QuantizeArg::Int8 => Quantization::Int8,
            QuantizeArg::F16 => Quantization::F16,
            QuantizeArg::None => Quantization::None,
        }
    }
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A model directory written by `train dkt`, `train study` or `train individual`.
    pub dir: PathBuf,
    /// The pack file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// How the weight matrices are stored: int8 (burn Q8S, one f32 scale per 64 values), f16,
    /// or none (f32 as trained).
    #[arg(long, value_enum, default_value_t = QuantizeArg::Int8)]
    pub quantize: QuantizeArg,
}

pub fn run(a: ExportArgs) -> Result<()> {
    let q = Quantization::from(a.quantize);
    let bytes = match run_kind(&a.dir)? {
        RunKind::Dkt => write_dkt(&DktModel::load(&a.dir)?, q)?,
        RunKind::Recommender => write_recommender(&StudyModel::load(&a.dir)?, q)?,
        RunKind::Mf => bail!("{}: an MF model; packs hold DKT, STUDY and Individual models", a.dir.display()),
    };
    // Read back what was written before it replaces anything: a pack that does not load is never
    // left where the app would pick it up.
    classlens_core::infer::load_pack(&bytes).context("the pack just written does not load back")?;
    write_atomic(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    let (meta, _) = read_meta(&bytes)?;
    println!("{}: {} model, {} weights, {} bytes", a.out.display(), meta.kind(), q.as_str(), bytes.len());
    Ok(())
}
