//! `export`: a trained model directory → one model pack file for the app.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use classlens_core::io::write_atomic;
use classlens_core::models::akt::AktModel;
use classlens_core::models::bkt::BktModel;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::study::StudyModel;
use classlens_core::pack::{HeldOutScore, PackAbout, Quantization, read_meta, write_akt_about, write_bkt_about, write_dkt_about, write_recommender_about};
use classlens_core::runs::{RunKind, read_json, read_split, run_kind};

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
    /// A model directory written by `train dkt`, `train akt`, `train bkt`, `train study` or `train individual`.
    pub dir: PathBuf,
    /// The pack file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// How the weight matrices are stored: int8 (burn Q8S, one f32 scale per 64 values; the
    /// default), f16, or none (f32 as trained). A BKT pack has no weight matrices.
    #[arg(long, value_enum)]
    pub quantize: Option<QuantizeArg>,
}

pub fn run(a: ExportArgs) -> Result<()> {
    let q = Quantization::from(a.quantize.unwrap_or(QuantizeArg::Int8));
    let bytes = match run_kind(&a.dir)? {
        RunKind::Dkt => write_dkt_about(&DktModel::load(&a.dir)?, q, about(&a.dir, RunKind::Dkt)?)?,
        RunKind::Akt => write_akt_about(&AktModel::load(&a.dir)?, q, about(&a.dir, RunKind::Akt)?)?,
        // Four exact numbers per skill: --quantize does not apply.
        RunKind::Bkt => {
            if let Some(asked) = a.quantize.filter(|&q| q != QuantizeArg::None) {
                eprintln!("note: a BKT pack keeps its parameters exact; --quantize {} does not apply", Quantization::from(asked).as_str());
            }
            write_bkt_about(&BktModel::load(&a.dir)?, about(&a.dir, RunKind::Bkt)?)?
        }
        RunKind::Recommender => write_recommender_about(&StudyModel::load(&a.dir)?, q, about(&a.dir, RunKind::Recommender)?)?,
        RunKind::Mf => bail!("{}: an MF model; packs hold DKT, attention KT, BKT, STUDY and Individual models", a.dir.display()),
    };
    // Read back what was written before it replaces anything: a pack that does not load is never
    // left where the app would pick it up.
    classlens_core::infer::load_pack(&bytes).context("the pack just written does not load back")?;
    write_atomic(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    let (meta, _) = read_meta(&bytes)?;
    println!("{}: {} model, {} weights, {} bytes", a.out.display(), meta.kind(), meta.quantization.as_str(), bytes.len());
    if meta.about.as_ref().is_none_or(|m| m.held_out.is_none()) {
        eprintln!("note: {} records no held-out score (no split.json, or no test_metrics.json / report.json): the page will say so", a.dir.display());
    }
    Ok(())
}

/// What the pack says about where the model came from: the training file's name and students
/// (`split.json`), and the held-out score beside its baseline (DKT, AKT and BKT: the test students of
/// `test_metrics.json`; STUDY and Individual: all-reads hits@5 of the held-out classrooms in
/// `report.json`). `None` when the run recorded no split.
fn about(dir: &std::path::Path, kind: RunKind) -> Result<Option<PackAbout>> {
    let Some(split) = read_split(dir)? else { return Ok(None) };
    let name = std::path::Path::new(&split.data).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let read = |file: &str| -> Result<Option<serde_json::Value>> {
        let path = dir.join(file);
        Ok(if path.is_file() { Some(read_json(&path)?) } else { None })
    };
    let held_out = match kind {
        RunKind::Dkt | RunKind::Akt | RunKind::Bkt => read("test_metrics.json")?.and_then(|m| {
            Some(HeldOutScore {
                metric: "AUC".into(),
                value: m["overall"]["auc"].as_f64()?,
                baseline: m["baseline"]["auc"].as_f64().map(|b| ("each skill's mean".to_string(), b)),
                students: split.test.len(),
                n: m["overall"]["n"].as_u64()? as usize,
            })
        }),
        _ => read("report.json")?.and_then(|r| {
            let hits5 = |method: &str| {
                let m = r["methods"].as_array()?.iter().find(|m| m["method"] == method)?;
                m["aggregate"].as_array()?.iter().find(|a| a["eval_type"] == "All" && a["n"] == 5).map(|a| (a["hits_at_n"].as_f64(), a["students"].as_u64()))
            };
            let model = r["model"].as_str()?;
            let (Some(value), Some(students)) = hits5(model)? else { return None };
            Some(HeldOutScore {
                metric: "hits@5".into(),
                value,
                baseline: hits5("popularity").and_then(|p| p.0).map(|b| ("classroom popularity".to_string(), b)),
                students: students as usize,
                n: students as usize,
            })
        }),
    };
    Ok(Some(PackAbout { trained_on: name, students: split.train.len(), held_out }))
}
