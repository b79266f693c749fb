//! One entry point for every supported source: pick (or detect) the format, load, and collect
//! the warnings a user should see (e.g. students missing from `student_info.csv`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::assistments::{AssistmentsOptions, load_assistments};
use super::kt_lines::{KtFormat, load_kt_lines};
use super::mapped_csv::{ColumnMapping, MappedOptions, load_mapped_csv};
use super::study::load_study;
use super::{DataError, Interactions, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Detected from the first line (see [`detect`]).
    #[default]
    Auto,
    Assistments,
    Kt3,
    Kt4,
    Matrix,
    Study,
    Mapped,
}

#[derive(Debug, Clone, Default)]
pub struct LoadSpec {
    pub format: Format,
    /// Column mapping for [`Format::Mapped`], as typed on the command line.
    pub mapping: Option<String>,
    /// STUDY student info; defaults to `student_info.csv` beside the activity file.
    pub student_info: Option<PathBuf>,
    pub include_scaffolding: bool,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub data: Interactions,
    pub format: Format,
    pub warnings: Vec<String>,
}

/// Guesses the format from the first non-empty line: the raw ASSISTments header names
/// `order_id` and `user_id`, the STUDY activity header starts with `StudentID`, anything else
/// is one of the line-based knowledge-tracing formats (`None`: that loader detects its variant).
pub fn detect(path: &Path) -> Result<Option<Format>> {
    let f = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut first = String::new();
    let mut r = BufReader::new(f);
    // Only the first line is read, as bytes, so a huge or non-UTF-8 file costs nothing here.
    let mut buf = Vec::new();
    while first.trim().is_empty() {
        buf.clear();
        if r.read_until(b'\n', &mut buf).map_err(|e| DataError::io(path, e))? == 0 {
            return Err(DataError::invalid(&path.display().to_string(), 1, "the file is empty"));
        }
        first = String::from_utf8_lossy(&buf).into_owned();
    }
    let header = first.trim_start_matches('\u{feff}');
    Ok(if header.contains("order_id") && header.contains("user_id") {
        Some(Format::Assistments)
    } else if header.starts_with("StudentID") {
        Some(Format::Study)
    } else {
        None
    })
}

pub fn load(path: &Path, spec: &LoadSpec) -> Result<Loaded> {
    let (format, kt) = match spec.format {
        Format::Auto => (detect(path)?.unwrap_or(Format::Auto), None),
        Format::Kt3 => (Format::Kt3, Some(KtFormat::ThreeLine)),
        Format::Kt4 => (Format::Kt4, Some(KtFormat::FourLine)),
        Format::Matrix => (Format::Matrix, Some(KtFormat::Matrix)),
        f => (f, None),
    };
    let mut warnings = Vec::new();
    let data = match format {
        Format::Assistments => load_assistments(path, &AssistmentsOptions { include_scaffolding: spec.include_scaffolding, ..Default::default() })?,
        Format::Study => {
            let beside = path.with_file_name("student_info.csv");
            let info = spec.student_info.clone().or_else(|| beside.exists().then_some(beside));
            if info.is_none() {
                warnings.push(format!("{}: no student_info.csv given or found beside it: students have no school or grade", path.display()));
            }
            let (data, report) = load_study(path, info.as_deref())?;
            if !report.missing_info.is_empty() {
                let shown: Vec<&str> = report.missing_info.iter().take(5).map(String::as_str).collect();
                warnings.push(format!(
                    "{} students have activity but no row in student_info (kept without school or grade): {}{}",
                    report.missing_info.len(),
                    shown.join(", "),
                    if report.missing_info.len() > 5 { ", ..." } else { "" }
                ));
            }
            data
        }
        Format::Mapped => {
            let text = spec.mapping.as_deref().ok_or_else(|| DataError::invalid(&path.display().to_string(), 1, "--format mapped needs a column mapping (--map student=...,item=...)"))?;
            let mapping = ColumnMapping::parse(text).map_err(|e| DataError::invalid(&path.display().to_string(), 1, format!("--map: {}", e.0)))?;
            load_mapped_csv(path, &mapping, &MappedOptions::default())?
        }
        _ => load_kt_lines(path, kt)?,
    };
    Ok(Loaded { data, format, warnings })
}
