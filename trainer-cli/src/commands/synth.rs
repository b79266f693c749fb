//! `synth`: write the built-in synthetic classroom to a directory.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use classlens_core::synth::{SynthConfig, try_generate, write_dir};

#[derive(Args, Debug)]
pub struct SynthArgs {
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long)]
    pub out: PathBuf,
    /// The small preset (two classes of 12, for quick experiments and tests).
    #[arg(long)]
    pub small: bool,
    /// Social influence on reading choices (0 turns it off).
    #[arg(long)]
    pub influence: Option<f64>,
    #[arg(long)]
    pub students_per_class: Option<usize>,
    #[arg(long)]
    pub classes_per_school: Option<usize>,
    #[arg(long)]
    pub schools: Option<usize>,
    #[arg(long)]
    pub days: Option<u32>,
    /// A full SynthConfig as JSON (the `config.json` a previous run wrote); flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl SynthArgs {
    pub fn config(&self) -> Result<SynthConfig> {
        let mut c = match &self.config {
            Some(p) => serde_json::from_slice(&std::fs::read(p).with_context(|| p.display().to_string())?)
                .with_context(|| format!("{}: not a synth config", p.display()))?,
            None if self.small => SynthConfig::small(),
            None => SynthConfig::default(),
        };
        c.seed = self.seed;
        if let Some(v) = self.influence {
            c.social_influence = v;
        }
        if let Some(v) = self.students_per_class {
            c.students_per_class = v;
        }
        if let Some(v) = self.classes_per_school {
            c.classes_per_school = v;
        }
        if let Some(v) = self.schools {
            c.n_schools = v;
        }
        if let Some(v) = self.days {
            c.days = v;
        }
        Ok(c)
    }
}

pub fn run(a: SynthArgs) -> Result<()> {
    let cfg = a.config()?;
    let classroom = try_generate(&cfg)?;
    write_dir(&classroom, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    eprintln!("wrote a synthetic classroom of {} students to {}", classroom.students.len(), a.out.display());
    Ok(())
}
