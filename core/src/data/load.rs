//! One entry point for every supported source: pick (or detect) the format, load, and collect
//! the warnings a user should see (e.g. students missing from `student_info.csv`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::assistments::{AssistmentsOptions, load_assistments, read_assistments};
use super::kt_lines::{KtFormat, load_kt_lines, read_kt_lines};
use super::mapped_csv::{ColumnMapping, MappedOptions, load_mapped_csv, read_mapped_csv};
use super::study::{load_study, read_study_activity};
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
    let mut r = BufReader::new(f);
    // Only the first line is read, as bytes, so a huge or non-UTF-8 file costs nothing here.
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf).map_err(|e| DataError::io(path, e))? == 0 {
            return Err(DataError::invalid(&path.display().to_string(), 1, "the file is empty"));
        }
        let line = String::from_utf8_lossy(&buf);
        if !line.trim().is_empty() {
            return Ok(detect_header(&line));
        }
    }
}

/// [`detect`] on a first non-empty line already read (the browser has bytes, not paths).
pub fn detect_header(first_line: &str) -> Option<Format> {
    let header = first_line.trim_start_matches('\u{feff}');
    if header.contains("order_id") && header.contains("user_id") {
        Some(Format::Assistments)
    } else if header.starts_with("StudentID") {
        Some(Format::Study)
    } else {
        None
    }
}

/// What a file dropped on the web app turned out to be.
#[derive(Debug, Clone)]
pub enum Upload {
    /// Answers to skills (ASSISTments, a knowledge-tracing line format or a mapped CSV).
    Practice(Interactions),
    /// A STUDY `student_activity.csv` (reads, without classrooms until `student_info` comes).
    Reads(Interactions),
    /// A STUDY `student_info.csv`: kept as text and applied to the reads it belongs to.
    StudentInfo(Vec<u8>),
}

/// Reads one file's bytes as [`load`] reads a path: `format` [`Format::Auto`] detects it from the
/// first line; `mapping` is the column mapping for [`Format::Mapped`], and under `Auto` for a CSV
/// whose header no loader knows (the line formats have no header, so a first line with letters in
/// it is one). Such a CSV without a mapping is an error listing its columns. A STUDY
/// `student_info.csv` (header `StudentID,OrgnID,...`) is recognised by its `OrgnID` column.
pub fn read_upload(name: &str, bytes: &[u8], format: Format, mapping: Option<&str>) -> Result<Upload> {
    let first = bytes.split(|&b| b == b'\n').map(String::from_utf8_lossy).find(|l| !l.trim().is_empty());
    let Some(first) = first else { return Err(DataError::invalid(name, 1, "the file is empty")) };
    let format = match format {
        Format::Auto => match detect_header(&first) {
            Some(f) => f,
            None if !first.chars().any(char::is_alphabetic) => Format::Auto,
            None if mapping.is_some() => Format::Mapped,
            None => {
                let header = first.trim().trim_start_matches('\u{feff}');
                let columns: Vec<&str> = header.split([',', ';', '\t']).map(|c| c.trim().trim_matches('"')).collect();
                return Err(DataError::invalid(
                    name,
                    1,
                    format!(
                        "not a log classlens recognises (ASSISTments, STUDY or a DKT line format); its columns are {}. Type a column mapping, e.g. student={},item=…,skill=…,correct=…",
                        columns.join(", "),
                        columns[0]
                    ),
                ));
            }
        },
        f => f,
    };
    Ok(match format {
        Format::Assistments => Upload::Practice(read_assistments(bytes, name, &AssistmentsOptions::default())?),
        Format::Study if first.contains("OrgnID") && !first.contains("SHLF_NUM") => Upload::StudentInfo(bytes.to_vec()),
        Format::Study => Upload::Reads(read_study_activity(bytes, name)?),
        Format::Mapped => {
            let text = mapping.ok_or_else(|| DataError::invalid(name, 1, "a mapped CSV needs a column mapping (student=...,item=...)"))?;
            let mapping = ColumnMapping::parse(text).map_err(|e| DataError::invalid(name, 1, format!("column mapping: {}", e.0)))?;
            Upload::Practice(read_mapped_csv(bytes, name, &mapping, &MappedOptions::default())?)
        }
        Format::Kt3 => Upload::Practice(read_kt_lines(bytes, name, Some(KtFormat::ThreeLine))?),
        Format::Kt4 => Upload::Practice(read_kt_lines(bytes, name, Some(KtFormat::FourLine))?),
        Format::Matrix => Upload::Practice(read_kt_lines(bytes, name, Some(KtFormat::Matrix))?),
        Format::Auto => Upload::Practice(read_kt_lines(bytes, name, None)?),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SKILL_BUILDER_FILE, STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, SynthConfig, generate, render_files};

    fn file(name: &str) -> Vec<u8> {
        render_files(&generate(&SynthConfig::small())).unwrap().into_iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn uploads_are_recognised_from_their_first_line() {
        let practice = read_upload("a.csv", &file(SKILL_BUILDER_FILE), Format::Auto, None).unwrap();
        assert!(matches!(&practice, Upload::Practice(d) if !d.events.is_empty()));
        assert!(matches!(read_upload("b.csv", &file(STUDENT_ACTIVITY_FILE), Format::Auto, None).unwrap(), Upload::Reads(d) if !d.events.is_empty()));
        assert!(matches!(read_upload("c.csv", &file(STUDENT_INFO_FILE), Format::Auto, None).unwrap(), Upload::StudentInfo(b) if !b.is_empty()));
        let kt = read_upload("d.csv", b"3\n1,2,1\n1,0,1\n", Format::Auto, None).unwrap();
        assert!(matches!(kt, Upload::Practice(d) if d.events.len() == 3));
    }

    #[test]
    fn bad_uploads_name_the_file_and_line() {
        let err = read_upload("x.csv", b"\n\n", Format::Auto, None).unwrap_err().to_string();
        assert!(err.contains("x.csv") && err.contains("empty"), "{err}");
        let mut bytes = file(SKILL_BUILDER_FILE);
        bytes.extend_from_slice(b"1,2,3\n");
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        let err = read_upload("log.csv", &bytes, Format::Auto, None).unwrap_err().to_string();
        assert!(err.contains(&format!("log.csv:{lines}")), "{err}");
        let err = read_upload("m.csv", b"who,what,ok\n1,2,1\n", Format::Mapped, None).unwrap_err().to_string();
        assert!(err.contains("m.csv") && err.contains("mapping"), "{err}");
        let ok = read_upload("m.csv", b"who,prob,what,ok\n1,9,2,1\n", Format::Mapped, Some("student=who,item=prob,skill=what,correct=ok")).unwrap();
        assert!(matches!(ok, Upload::Practice(d) if d.events.len() == 1));
        let err = read_upload("g.csv", b"kid,q,topic,right\nann,1,7,1\n", Format::Auto, None).unwrap_err().to_string();
        assert!(err.starts_with("g.csv:1") && err.contains("columns are kid, q, topic, right"), "{err}");
        let mapped = read_upload("g.csv", b"kid,q,topic,right\nann,1,7,1\n", Format::Auto, Some("student=kid,item=q,skill=topic,correct=right")).unwrap();
        assert!(matches!(mapped, Upload::Practice(d) if d.events.len() == 1), "a mapping reads a CSV no loader knows");
        let known = read_upload("a.csv", &file(SKILL_BUILDER_FILE), Format::Auto, Some("student=kid,item=q")).unwrap();
        assert!(matches!(known, Upload::Practice(d) if !d.events.is_empty()), "known formats keep their loaders");
    }
}
