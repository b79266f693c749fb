//! `influence`: which skills a DKT model thinks influence which, and whether that recovers
//! known concepts (the DKT paper's check on its simulated students).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use classlens_core::io::write_atomic;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::dkt::influence::{answer_effect_matrix, chance_precision, influence_matrix, same_concept_precision};

#[derive(Args, Debug)]
pub struct InfluenceArgs {
    #[arg(long)]
    pub model: PathBuf,
    /// The DKT paper's `*_info.txt`: one line per exercise, four tab- or comma-separated fields,
    /// the concept third.
    #[arg(long)]
    pub concepts: Option<PathBuf>,
    /// How many most-influenced skills to compare per skill.
    #[arg(long, default_value_t = 9)]
    pub top: usize,
    /// Write the matrix (and the score) as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

pub fn run(a: InfluenceArgs) -> Result<()> {
    let model = DktModel::load(&a.model)?;
    let j = influence_matrix(&model.weights);
    let effect = answer_effect_matrix(&model.weights);
    let mut report = serde_json::json!({ "skills": model.vocab.names(), "influence": j, "answer_effect": effect });
    if let Some(path) = &a.concepts {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        let by_exercise: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                let field = l.split(['\t', ',']).nth(2).with_context(|| format!("{}:{}: expected 4 tab- or comma-separated fields", path.display(), n + 1))?;
                field.trim().parse::<usize>().with_context(|| format!("{}:{}:3: expected a concept number, found {field:?}", path.display(), n + 1))
            })
            .collect::<Result<_>>()?;
        // Model skills are exercise numbers (as the matrix loader names them).
        let concept: Vec<usize> = model
            .vocab
            .names()
            .iter()
            .map(|n| {
                n.parse::<usize>()
                    .ok()
                    .and_then(|e| by_exercise.get(e).copied())
                    .with_context(|| format!("skill {n:?} is not an exercise of {}", path.display()))
            })
            .collect::<Result<_>>()?;
        if concept.len() < 2 || a.top == 0 {
            bail!("need at least two skills and --top ≥ 1");
        }
        let chance = chance_precision(&concept);
        let p = same_concept_precision(&j, &concept, a.top);
        let pe = same_concept_precision(&effect, &concept, a.top);
        println!("same-concept precision of each skill's top {} neighbours (chance {chance:.3}):", a.top);
        println!("  by influence J (the paper's measure):        {p:.3}");
        println!("  by answer effect y(j|i right) - y(j|i wrong): {pe:.3}");
        report["chance"] = chance.into();
        report["same_concept_precision_influence"] = p.into();
        report["same_concept_precision_answer_effect"] = pe.into();
    }
    if let Some(p) = &a.json {
        write_atomic(p, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    Ok(())
}
