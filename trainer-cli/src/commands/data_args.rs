//! The flags every command that reads learner logs shares.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};
use classlens_core::data::Interactions;
use classlens_core::data::kt_lines::Repeats;
use classlens_core::data::load::{Format, LoadSpec, load};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Detect from the first line.
    Auto,
    /// Raw ASSISTments `skill_builder_data.csv` (ISO-8859-1).
    Assistments,
    /// DKT 3-line: count / skills / answers.
    Kt3,
    /// assist2009-pid 4-line: id,user / problems / skills / answers.
    Kt4,
    /// One line of 0/1 answers per student (DKT paper's synthetic students).
    Matrix,
    /// STUDY `student_activity.csv` (+ `--student-info`).
    Study,
    /// Any CSV, with `--map`.
    Mapped,
}

#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Input format.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub format: FormatArg,
    /// Column mapping for `--format mapped`, e.g. `student=user_id,item=problem_id,correct=correct,skill=skill_id`.
    #[arg(long)]
    pub map: Option<String>,
    /// STUDY `student_info.csv` (default: `student_info.csv` beside the activity file, if present).
    #[arg(long)]
    pub student_info: Option<PathBuf>,
    /// Keep ASSISTments scaffolding rows (`original` = 0); by default only original problems count.
    #[arg(long)]
    pub include_scaffolding: bool,
    /// 4-line files (AKT's `assist2009_pid_*.csv`): keep a multi-skill problem's repeated rows as
    /// separate steps, as the AKT authors' loader does. Only to compare with figures published
    /// that way: each repeated answer is then predicted after the model was given it. Any other
    /// format is refused with this flag.
    #[arg(long)]
    pub unfold_multi_skill: bool,
}

impl DataArgs {
    pub fn spec(&self) -> Result<LoadSpec> {
        let format = match self.format {
            FormatArg::Auto => Format::Auto,
            FormatArg::Assistments => Format::Assistments,
            FormatArg::Kt3 => Format::Kt3,
            FormatArg::Kt4 => Format::Kt4,
            FormatArg::Matrix => Format::Matrix,
            FormatArg::Study => Format::Study,
            FormatArg::Mapped => Format::Mapped,
        };
        Ok(LoadSpec {
            format,
            mapping: self.map.clone(),
            student_info: self.student_info.clone(),
            include_scaffolding: self.include_scaffolding,
            repeats: if self.unfold_multi_skill { Repeats::Unfold } else { Repeats::Fold },
        })
    }

    /// Loads `path`, printing the loader's warnings to stderr.
    pub fn load(&self, path: &Path) -> Result<Interactions> {
        // Loader errors already start with the file (and line, and column).
        let loaded = load(path, &self.spec()?)?;
        for w in &loaded.warnings {
            eprintln!("warning: {w}");
        }
        Ok(loaded.data)
    }
}
