//! One dispatcher for every supported source, whether it comes as a path (the CLI) or as bytes
//! (a file dropped on the web app): [`read`] picks (or detects) the format from the first line,
//! lets the bytes decide the encoding ([`TextEncoding::Auto`]) and parses, streaming. [`load`]
//! (paths) and [`read_upload`] (bytes) are thin wrappers over it, and STUDY reads meet their
//! `student_info.csv` in [`join_student_info`] on both paths, so both refuse the same inputs with
//! the same `file:line:column` errors and report the same warnings.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};

use super::assistments::{AssistmentsOptions, read_assistments};
use super::kt_lines::{KtFormat, Repeats, read_kt_lines};
use super::mapped_csv::{ColumnMapping, MappedOptions, read_mapped_csv};
use super::source::{Decode, TextEncoding};
use super::study::{read_study_activity, read_study_info};
use super::{DataError, Interactions, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Detected from the first line (see [`detect_header`]).
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
    /// Column mapping for [`Format::Mapped`], and under [`Format::Auto`] for a CSV whose header
    /// no loader knows.
    pub mapping: Option<String>,
    /// STUDY student info for [`load`]; defaults to `student_info.csv` beside the activity file.
    /// ([`read`] reads one source and ignores it.)
    pub student_info: Option<PathBuf>,
    pub include_scaffolding: bool,
    /// The 4-line format's repeated positions of a multi-skill problem (see [`Repeats`]).
    pub repeats: Repeats,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub data: Interactions,
    pub format: Format,
    pub warnings: Vec<String>,
}

/// What one source turned out to be.
#[derive(Debug, Clone)]
pub enum Upload {
    /// Answers to skills (ASSISTments, a knowledge-tracing line format or a mapped CSV).
    Practice(Interactions),
    /// A STUDY `student_activity.csv` (reads, without classrooms until [`join_student_info`]).
    Reads(Interactions),
    /// A STUDY `student_info.csv`, as its raw bytes: it is applied to the reads it belongs to.
    StudentInfo(Vec<u8>),
}

/// Guesses the format of the file at `path` from its first non-empty line (see [`detect_header`]).
pub fn detect(path: &Path) -> Result<Option<Format>> {
    let mut f = File::open(path).map_err(|e| DataError::io(path, e))?;
    let name = path.display().to_string();
    // Only the first line is read, so a huge file costs nothing here.
    match first_line(&mut f).map_err(|e| DataError::io(path, e))?.1 {
        Some(line) => Ok(detect_header(&line)),
        None => Err(DataError::invalid(&name, 1, "the file is empty")),
    }
}

/// Guesses the format from the first non-empty line: the raw ASSISTments header names
/// `order_id` and `user_id`, a STUDY header starts with `StudentID`, anything else (`None`) is
/// one of the line-based knowledge-tracing formats (that loader detects its variant) or a CSV
/// that needs a column mapping.
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

/// Whether a first line no loader recognised is a CSV header (and not the first line of a
/// knowledge-tracing line format, which has no header): it has letters, and is not the
/// `idx,user_id` line that starts a 4-line record (whose user id may have letters).
fn is_unknown_header(line: &str) -> bool {
    let line = line.trim().trim_start_matches('\u{feff}');
    let line = line.strip_suffix(',').unwrap_or(line);
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let kt4_head = fields.len() == 2 && fields[0].parse::<u64>().is_ok();
    line.chars().any(char::is_alphabetic) && !kt4_head
}

/// Reads `reader` until its first non-blank line is complete (or the input ends). Returns every
/// raw byte read, to be read again, and that line decoded (`None`: no non-blank line at all).
fn first_line<R: Read>(reader: &mut R) -> io::Result<(Vec<u8>, Option<String>)> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    let (mut line_start, mut scanned) = (0, 0);
    let end = loop {
        if let Some(nl) = raw[scanned..].iter().position(|&b| b == b'\n') {
            let line_end = scanned + nl + 1;
            let line = &raw[line_start..line_end];
            if !line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line).trim_ascii().is_empty() {
                break line_end;
            }
            (line_start, scanned) = (line_end, line_end);
            continue;
        }
        scanned = raw.len();
        match reader.read(&mut chunk) {
            Ok(0) => break raw.len(),
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    // Decoded as the loader will decode it (a UTF-16 BOM included); bad bytes only need to be
    // shown, so they become U+FFFD here.
    let mut text = Vec::new();
    Decode::new(&raw[..end], TextEncoding::Auto).read_to_end(&mut text)?;
    let line = String::from_utf8_lossy(&text).lines().find(|l| !l.trim().is_empty()).map(str::to_string);
    Ok((raw, line))
}

/// The error for a CSV whose header no loader knows and no mapping reads: its columns, and how
/// to map them.
fn unknown_header(name: &str, header: &str) -> DataError {
    let header = header.trim().trim_start_matches('\u{feff}');
    let columns: Vec<&str> = header.split([',', ';', '\t']).map(|c| c.trim().trim_matches('"')).collect();
    DataError::invalid(
        name,
        1,
        format!(
            "not a log classlens recognises (ASSISTments, STUDY or a DKT line format); its columns are {}. Type a column mapping (`--map` on the command line), e.g. student={},item=…,skill=…,correct=…",
            columns.join(", "),
            columns[0]
        ),
    )
}

/// The one dispatcher: reads one source, `name` being what its errors call it. `spec.format`
/// [`Format::Auto`] detects the format from the first line; `spec.mapping` is the column mapping
/// for [`Format::Mapped`], and under `Auto` reads a CSV whose header no loader knows (the line
/// formats have no header, so a first line with letters in it is one). Such a CSV without a
/// mapping is an error listing its columns. A STUDY `student_info.csv` (header
/// `StudentID,OrgnID,...`) is recognised by its `OrgnID` column and returned as bytes. The
/// encoding is decided from the bytes ([`TextEncoding::Auto`]) for every format.
///
/// Returns the format read ([`Format::Auto`] for a line format detected by its loader) and what
/// the source held. It streams: only the first line is held twice.
pub fn read<R: Read>(name: &str, mut reader: R, spec: &LoadSpec) -> Result<(Format, Upload)> {
    let (head, first) = first_line(&mut reader).map_err(|e| DataError::io(name, e))?;
    let Some(first) = first else { return Err(DataError::invalid(name, 1, "the file is empty")) };
    let mapping = spec.mapping.as_deref();
    let format = match spec.format {
        Format::Auto => match detect_header(&first) {
            Some(f) => f,
            None if !is_unknown_header(&first) => Format::Auto,
            None if mapping.is_some() => Format::Mapped,
            None => return Err(unknown_header(name, &first)),
        },
        f => f,
    };
    if spec.repeats == Repeats::Unfold && matches!(format, Format::Assistments | Format::Study | Format::Mapped) {
        return Err(DataError::invalid(name, 1, crate::data::kt_lines::UNFOLD_ONLY_FOUR_LINE));
    }
    let mut input = Cursor::new(head).chain(reader);
    let upload = match format {
        Format::Assistments => {
            let opts = AssistmentsOptions { include_scaffolding: spec.include_scaffolding, encoding: TextEncoding::Auto };
            Upload::Practice(read_assistments(input, name, &opts)?)
        }
        Format::Study if first.contains("OrgnID") && !first.contains("SHLF_NUM") => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(|e| DataError::io(name, e))?;
            Upload::StudentInfo(bytes)
        }
        Format::Study => Upload::Reads(read_study_activity(input, name)?),
        Format::Mapped => {
            let text = mapping
                .ok_or_else(|| DataError::invalid(name, 1, "a mapped CSV needs a column mapping (`--map` on the command line), e.g. student=...,item=..."))?;
            let mapping = ColumnMapping::parse(text).map_err(|e| DataError::invalid(name, 1, e.to_string()))?;
            Upload::Practice(read_mapped_csv(input, name, &mapping, &MappedOptions { encoding: TextEncoding::Auto, ..Default::default() })?)
        }
        Format::Kt3 => Upload::Practice(read_kt_lines(input, name, Some(KtFormat::ThreeLine), spec.repeats)?),
        Format::Kt4 => Upload::Practice(read_kt_lines(input, name, Some(KtFormat::FourLine), spec.repeats)?),
        Format::Matrix => Upload::Practice(read_kt_lines(input, name, Some(KtFormat::Matrix), spec.repeats)?),
        Format::Auto => Upload::Practice(read_kt_lines(input, name, None, spec.repeats)?),
    };
    Ok((format, upload))
}

/// [`read`] on one file's bytes, as the web app has them: `format` [`Format::Auto`] detects it,
/// `mapping` as [`LoadSpec::mapping`].
pub fn read_upload(name: &str, bytes: &[u8], format: Format, mapping: Option<&str>) -> Result<Upload> {
    let spec = LoadSpec { format, mapping: mapping.map(str::to_string), ..Default::default() };
    read(name, bytes, &spec).map(|(_, upload)| upload)
}

/// Gives STUDY reads (from `activity`) their school and grade from a `student_info.csv`'s
/// `(name, bytes)`, and returns the warnings a user should see: no info at all, or students with
/// reads and no info row (kept, without school or grade). [`load`] calls it for paths; the web
/// app calls it for dropped files, so both warn alike.
pub fn join_student_info(reads: &mut Interactions, activity: &str, info: Option<(&str, &[u8])>) -> Result<Vec<String>> {
    let Some((info_name, bytes)) = info else {
        return Ok(vec![format!("{activity}: no student_info.csv with it: students have no school or grade")]);
    };
    let report = read_study_info(reads, bytes, info_name)?;
    let missing = &report.missing_info;
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
    Ok(vec![format!(
        "{} students have activity but no row in student_info (kept without school or grade): {}{}",
        missing.len(),
        shown.join(", "),
        if missing.len() > 5 { ", ..." } else { "" }
    )])
}

/// [`read`] on the file at `path` (streamed, not read whole). STUDY reads are joined with
/// `spec.student_info`, or the `student_info.csv` beside them when there is one.
pub fn load(path: &Path, spec: &LoadSpec) -> Result<Loaded> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let (format, upload) = read(&name, file, spec)?;
    let (data, warnings) = match upload {
        Upload::Practice(data) => (data, Vec::new()),
        Upload::Reads(mut data) => {
            let beside = path.with_file_name("student_info.csv");
            let info = match spec.student_info.clone().or_else(|| beside.exists().then_some(beside)) {
                Some(p) => Some((p.display().to_string(), std::fs::read(&p).map_err(|e| DataError::io(&p, e))?)),
                None => None,
            };
            let warnings = join_student_info(&mut data, &name, info.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())))?;
            (data, warnings)
        }
        Upload::StudentInfo(_) => {
            return Err(DataError::invalid(
                &name,
                1,
                "a STUDY student_info.csv: load its student_activity.csv instead (with --student-info, or with this file beside it)",
            ));
        }
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
        let kt4 = read_upload("k.csv", b"1,ann\n5,6\n7,8\n1,0\n", Format::Auto, None).unwrap();
        assert!(matches!(kt4, Upload::Practice(d) if d.students.name(0) == "ann"), "a 4-line record's user id may have letters");
    }

    fn practice(u: Upload) -> Interactions {
        match u {
            Upload::Practice(d) => d,
            other => panic!("expected answers, got {other:?}"),
        }
    }

    /// The raw ASSISTments export in the repository's fixture is ISO-8859-1 with accented skill
    /// names: by path and by bytes it reads to the same events, with every name as the file
    /// spells it. The expected names come from decoding the file by hand (ISO-8859-1 maps each
    /// byte to the code point of its value), so the test does not depend on the fixture's rows.
    #[test]
    fn a_latin1_assistments_file_reads_the_same_by_path_and_by_bytes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/latin1_assistments.csv");
        let bytes = std::fs::read(&path).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must be ISO-8859-1, not UTF-8");
        let by_path = load(&path, &LoadSpec::default()).unwrap();
        assert_eq!(by_path.format, Format::Assistments);
        assert!(by_path.warnings.is_empty(), "{:?}", by_path.warnings);
        let by_bytes = practice(read_upload(&path.display().to_string(), &bytes, Format::Auto, None).unwrap());
        assert_eq!(by_path.data, by_bytes);

        let text: String = bytes.iter().map(|&b| b as char).collect();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (user, skill, skill_name) = (col("user_id"), col("skill_id"), col("skill_name"));
        let mut want_students = std::collections::BTreeSet::new();
        let mut want_skills = std::collections::BTreeMap::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split(',').collect();
            want_students.insert(f[user].to_string());
            want_skills.insert(f[skill].to_string(), f[skill_name].to_string());
        }
        let d = &by_path.data;
        let students: std::collections::BTreeSet<String> = (0..d.students.len() as u32).map(|s| d.students.name(s).to_string()).collect();
        let skills: std::collections::BTreeMap<String, String> =
            (0..d.skills.len() as u32).map(|s| (d.skills.name(s).to_string(), d.skill_label(s).to_string())).collect();
        assert_eq!(students, want_students);
        assert_eq!(skills, want_skills);
        assert!(skills.values().any(|l| !l.is_ascii()), "the fixture has accented skill names");
        assert!(skills.values().chain(&students).all(|l| !l.contains('\u{fffd}') && !l.contains('Ã')), "no replacement characters, no mojibake: {skills:?}");

        // Re-saved as UTF-8, the same file reads the same.
        let utf8 = practice(read_upload("utf8.csv", text.as_bytes(), Format::Auto, None).unwrap());
        assert_eq!(utf8, by_bytes);
    }

    /// What used to differ between the two entry points: only bytes refused an unknown header,
    /// only paths warned about students missing from `student_info.csv`.
    #[test]
    fn paths_and_bytes_refuse_and_warn_alike() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let by_path = |path: &Path, mapping: Option<&str>| load(path, &LoadSpec { mapping: mapping.map(str::to_string), ..Default::default() });
        let by_bytes = |path: &Path, mapping: Option<&str>| read_upload(&path.display().to_string(), &std::fs::read(path).unwrap(), Format::Auto, mapping);

        // An unknown header is refused by both, with the same error; a mapping reads it in both.
        let gradebook = write("gradebook.csv", b"kid,q,topic,right\nann,1,7,1\n");
        let (a, b) = (by_path(&gradebook, None).unwrap_err().to_string(), by_bytes(&gradebook, None).unwrap_err().to_string());
        assert_eq!(a, b);
        assert!(a.starts_with(&format!("{}:1: ", gradebook.display())) && a.contains("columns are kid, q, topic, right"), "{a}");
        let mapping = Some("student=kid,item=q,skill=topic,correct=right");
        assert_eq!(by_path(&gradebook, mapping).unwrap().data, practice(by_bytes(&gradebook, mapping).unwrap()));
        // So is a cell error, at the same file, line and column.
        let bad = write("bad.csv", b"order_id,user_id,problem_id,original,correct,skill_id\n1,u,p,1,1,5\n2,u,p,1,maybe,5\n");
        let err = by_path(&bad, None).unwrap_err().to_string();
        assert_eq!(err, by_bytes(&bad, None).unwrap_err().to_string());
        assert!(err.contains("bad.csv:3:5 (column 'correct'): expected 0 or 1, found \"maybe\""), "{err}");
        // Unfolding repeated rows is a 4-line option: on an ASSISTments log it is refused, not ignored.
        let unfold = LoadSpec { repeats: Repeats::Unfold, ..Default::default() };
        let err = load(&bad, &unfold).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:1: ", bad.display())) && err.contains("applies only to 4-line files"), "{err}");

        // STUDY: a student without an info row is reported the same way by both.
        let files = render_files(&generate(&SynthConfig::small())).unwrap();
        let get = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        let activity = write(STUDENT_ACTIVITY_FILE, &get(STUDENT_ACTIVITY_FILE));
        let info_text = String::from_utf8(get(STUDENT_INFO_FILE)).unwrap();
        let mut info_lines: Vec<&str> = info_text.lines().collect();
        let gone = info_lines.remove(1).split(',').next().unwrap().to_string();
        let info = write(STUDENT_INFO_FILE, (info_lines.join("\n") + "\n").as_bytes());
        let loaded = by_path(&activity, None).unwrap();
        let Upload::Reads(mut reads) = by_bytes(&activity, None).unwrap() else { panic!("reads") };
        let info_name = info.display().to_string();
        let warnings = join_student_info(&mut reads, &activity.display().to_string(), Some((&info_name, &std::fs::read(&info).unwrap()))).unwrap();
        assert_eq!(loaded.warnings, warnings);
        assert_eq!(loaded.data, reads);
        assert!(
            warnings.len() == 1 && warnings[0].starts_with("1 students have activity but no row in student_info") && warnings[0].contains(&gone),
            "{warnings:?}"
        );
        assert!(matches!(by_bytes(&info, None).unwrap(), Upload::StudentInfo(_)));
        let err = by_path(&info, None).unwrap_err().to_string();
        assert!(err.contains("student_activity.csv instead"), "{err}");

        // Without any student_info.csv, both say so.
        std::fs::remove_file(&info).unwrap();
        let loaded = by_path(&activity, None).unwrap();
        let Upload::Reads(mut reads) = by_bytes(&activity, None).unwrap() else { panic!("reads") };
        assert_eq!(loaded.warnings, join_student_info(&mut reads, &activity.display().to_string(), None).unwrap());
        assert!(loaded.warnings[0].contains("no student_info.csv"), "{:?}", loaded.warnings);
    }

    #[test]
    fn the_first_line_is_found_past_blank_lines_and_a_bom() {
        let mut r = &b"\xef\xbb\xbf\r\n  \norder_id,user_id\nrest"[..];
        let (raw, line) = first_line(&mut r).unwrap();
        assert_eq!(line.as_deref(), Some("order_id,user_id"));
        assert!(raw.starts_with(b"\xef\xbb\xbf\r\n  \n"), "every byte read is kept, to be read again");
        assert_eq!(first_line(&mut &b" \n\n"[..]).unwrap().1, None);
        assert_eq!(first_line(&mut &b"3\n1,2,1"[..]).unwrap().1.as_deref(), Some("3"));
        let err = read_upload("e.csv", b"\n \n", Format::Auto, None).unwrap_err().to_string();
        assert_eq!(err, "e.csv:1: the file is empty");
    }
}
