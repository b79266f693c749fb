//! The line-based knowledge-tracing benchmark formats: comma-separated lines, no header.
//!
//! - [`KtFormat::ThreeLine`] (DKT's `builder_train.csv`): `n` / skill ids / answers per student.
//! - [`KtFormat::FourLine`] (AKT's `assist2009_pid_*.csv`): `idx,user_id` / problem ids / skill ids
//!   / answers. A problem with several skills is repeated at adjacent positions with the same
//!   answer; those positions are folded into one [`Event`] so the answer is scored once.
//!   [`Repeats::Unfold`] keeps them apart, one event per position, as the AKT authors' loader
//!   reads these files: only to compare with figures published that way (the repeated answer is
//!   then predicted after the model was given it).
//! - [`KtFormat::Matrix`] (DKT's synthetic students): one line of 0/1 answers per student,
//!   exercise `j` answered at position `j`.
//!
//! Trailing commas and blank lines between records are allowed. Errors name the line and the
//! 1-based field.

use std::io::Read;
use std::path::Path;

use super::error::{DataError, Result};
use super::interactions::{Event, EventKind, Interactions};
use super::source::{Cell, LineReader, Source, TextEncoding, invalid_at};

/// What the 4-line format's repeated positions of one multi-skill problem become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Repeats {
    /// One event with every skill (classlens's protocol: each answer scored once).
    #[default]
    Fold,
    /// One event per position (the published AKT protocol's rows).
    Unfold,
}

/// The error for [`Repeats::Unfold`] on any other format.
pub const UNFOLD_ONLY_FOUR_LINE: &str = "unfolding a multi-skill problem's repeated rows (--unfold-multi-skill) applies only to 4-line files (idx,user_id / problem ids / skill ids / answers, AKT's assist2009_pid format); this file is another format";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KtFormat {
    ThreeLine,
    FourLine,
    Matrix,
}

/// Loads a file in `format`, or in the format its first non-empty line shows when `None`.
pub fn load_kt_lines(path: &Path, format: Option<KtFormat>) -> Result<Interactions> {
    read_source(Source::open(path, TextEncoding::Auto)?, format, Repeats::Fold)
}

/// Reads from any reader (encoding decided from the bytes, BOM dropped); `name` is what errors call it.
pub fn read_kt_lines<R: Read>(reader: R, name: &str, format: Option<KtFormat>, repeats: Repeats) -> Result<Interactions> {
    read_source(Source::new(reader, name, TextEncoding::Auto), format, repeats)
}

/// A line's fields, trimmed, without the empty field a trailing comma leaves. An empty line has
/// no fields.
fn fields(line: &str) -> Vec<&str> {
    let line = line.trim();
    let line = line.strip_suffix(',').unwrap_or(line);
    if line.is_empty() { Vec::new() } else { line.split(',').map(str::trim).collect() }
}

/// One parsed line: its file, number and fields.
struct Fields<'a> {
    file: &'a str,
    line: u64,
    fields: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    fn new(file: &'a str, line: u64, text: &'a str) -> Self {
        Fields { file, line, fields: fields(text) }
    }

    fn cell(&self, i: usize) -> Cell<'a> {
        Cell { file: self.file, line: self.line, column: i + 1, name: None, text: self.fields[i] }
    }

    /// Errors unless there are exactly `n` fields, pointing at the first missing or extra one.
    fn expect_count(&self, n: usize, what: &str, why: &str) -> Result<()> {
        let found = self.fields.len();
        if found == n {
            return Ok(());
        }
        let why = if why.is_empty() { String::new() } else { format!(" ({why})") };
        Err(invalid_at(self.file, self.line, Some(found.min(n) + 1), format!("expected {n} {what}{why}, found {found}")))
    }

    fn integers(&self, what: &str) -> Result<Vec<i64>> {
        (0..self.fields.len()).map(|i| self.cell(i).parse(what)).collect()
    }

    fn answers(&self) -> Result<Vec<bool>> {
        (0..self.fields.len()).map(|i| self.cell(i).bit()).collect()
    }
}

/// Guesses the format from the first non-empty line.
fn detect(first: &Fields<'_>) -> Result<KtFormat> {
    let f = &first.fields;
    if f.len() == 1 && f[0].parse::<u64>().is_ok() {
        Ok(KtFormat::ThreeLine)
    } else if f.len() == 2 {
        Ok(KtFormat::FourLine)
    } else if f.len() >= 3 && f.iter().all(|x| *x == "0" || *x == "1") {
        Ok(KtFormat::Matrix)
    } else {
        let text = first.fields.join(",");
        let shown = if text.chars().count() > 60 { format!("{}...", text.chars().take(60).collect::<String>()) } else { text };
        Err(DataError::parse(
            first.file,
            first.line,
            None,
            "a response count (3-line format), 'idx,user_id' (4-line format) or a row of 0/1 answers (matrix)",
            shown,
        ))
    }
}

/// Collects events, numbering each student's events in order.
struct Builder {
    data: Interactions,
    next_order: Vec<u64>,
    records: usize,
}

impl Builder {
    /// The student named after the record index (formats without user ids).
    fn numbered_student(&mut self) -> u32 {
        let name = self.records.to_string();
        self.data.student(&name)
    }

    fn push(&mut self, student: u32, item: &str, skills: Vec<u32>, correct: bool) {
        let order = self.next_order.get(student as usize).copied().unwrap_or(0);
        if self.next_order.len() <= student as usize {
            self.next_order.resize(student as usize + 1, 0);
        }
        self.next_order[student as usize] = order + 1;
        let item = self.data.items.intern(item);
        self.data.events.push(Event { student, item, skills, correct: Some(correct), time: None, order, seconds: None, kind: EventKind::Problem });
    }
}

/// The next line of a record, which must exist.
fn record_line<'r, R: std::io::BufRead>(lines: &'r mut LineReader<R>, what: &str) -> Result<(u64, &'r str)> {
    let next = lines.line() + 1;
    let file = lines.file().to_string();
    lines.next_line()?.ok_or_else(|| invalid_at(&file, next, None, format!("expected a line of {what}, found the end of the file")))
}

fn read_source<R: Read>(source: Source<R>, format: Option<KtFormat>, repeats: Repeats) -> Result<Interactions> {
    let mut lines = LineReader::new(source);
    let file = lines.file().to_string();
    let mut format = format;
    let mut matrix_width: Option<(usize, u64)> = None;
    let mut b = Builder { data: Interactions::new(), next_order: Vec::new(), records: 0 };
    while let Some((line, text)) = lines.next_line()? {
        let head_line = line;
        let head = Fields::new(&file, line, text);
        if head.fields.is_empty() {
            continue;
        }
        let fmt = match format {
            Some(f) => f,
            None => *format.insert(detect(&head)?),
        };
        if repeats == Repeats::Unfold && fmt != KtFormat::FourLine {
            // Only the 4-line format names a problem per position, so only it can repeat one.
            return Err(DataError::invalid(&file, head_line, UNFOLD_ONLY_FOUR_LINE));
        }
        match fmt {
            KtFormat::ThreeLine => {
                head.expect_count(1, "field (the response count)", "")?;
                let n: usize = head.cell(0).parse("a response count (a non-negative integer)")?;
                let (line, text) = record_line(&mut lines, "skill ids")?;
                let skills = Fields::new(&file, line, text);
                skills.expect_count(n, "skill ids", &format!("as line {head_line} says"))?;
                let skills = skills.integers("an integer skill id")?;
                let (line, text) = record_line(&mut lines, "answers")?;
                let answers = Fields::new(&file, line, text);
                answers.expect_count(n, "answers", &format!("as line {head_line} says"))?;
                let answers = answers.answers()?;
                let student = b.numbered_student();
                for (skill, correct) in skills.into_iter().zip(answers) {
                    let name = skill.to_string();
                    let skill = b.data.skills.intern(&name);
                    b.push(student, &name, vec![skill], correct);
                }
            }
            KtFormat::FourLine => {
                head.expect_count(2, "fields", "idx,user_id")?;
                let user = head.cell(1).id("a user id")?.to_string();
                let (line, text) = record_line(&mut lines, "problem ids")?;
                let problems = Fields::new(&file, line, text);
                let problem_line = problems.line;
                let problems = problems.integers("an integer problem id")?;
                let n = problems.len();
                let why = format!("one per problem id on line {problem_line}");
                let (line, text) = record_line(&mut lines, "skill ids")?;
                let skills = Fields::new(&file, line, text);
                skills.expect_count(n, "skill ids", &why)?;
                let skills = skills.integers("an integer skill id")?;
                let (line, text) = record_line(&mut lines, "answers")?;
                let answers = Fields::new(&file, line, text);
                answers.expect_count(n, "answers", &why)?;
                let answers = answers.answers()?;
                let student = b.data.student(&user);
                let mut i = 0;
                while i < n {
                    // Positions i..end repeat one response, once per skill.
                    let mut end = i + 1;
                    while repeats == Repeats::Fold && end < n && problems[end] == problems[i] && answers[end] == answers[i] {
                        end += 1;
                    }
                    let mut run = Vec::new();
                    for s in &skills[i..end] {
                        let s = b.data.skills.intern(&s.to_string());
                        if !run.contains(&s) {
                            run.push(s);
                        }
                    }
                    b.push(student, &problems[i].to_string(), run, answers[i]);
                    i = end;
                }
            }
            KtFormat::Matrix => {
                let (width, first_line) = *matrix_width.get_or_insert((head.fields.len(), head.line));
                head.expect_count(width, "answers", &format!("as many as on line {first_line}"))?;
                let answers = head.answers()?;
                let student = b.numbered_student();
                for (j, correct) in answers.into_iter().enumerate() {
                    let name = j.to_string();
                    let skill = b.data.skills.intern(&name);
                    b.push(student, &name, vec![skill], correct);
                }
            }
        }
        b.records += 1;
    }
    Ok(b.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, format: Option<KtFormat>) -> Result<Interactions> {
        read_kt_lines(text.as_bytes(), "kt.csv", format, Repeats::Fold)
    }

    /// Each event as (student, item, skills, correct, order).
    fn events(d: &Interactions) -> Vec<(String, String, Vec<String>, bool, u64)> {
        d.events
            .iter()
            .map(|e| {
                let skills = e.skills.iter().map(|&s| d.skills.name(s).to_string()).collect();
                (d.students.name(e.student).into(), d.items.name(e.item).into(), skills, e.correct.unwrap(), e.order)
            })
            .collect()
    }

    fn ev(student: &str, item: &str, skills: &[&str], correct: bool, order: u64) -> (String, String, Vec<String>, bool, u64) {
        (student.into(), item.into(), skills.iter().map(|s| s.to_string()).collect(), correct, order)
    }

    fn err(text: &str, format: Option<KtFormat>) -> String {
        load(text, format).unwrap_err().to_string()
    }

    #[test]
    fn three_line_with_trailing_commas_and_blank_lines() {
        let text = "2\n7,3,\n1,0,\n\n1\r\n5\r\n1\r\n\n\n";
        let d = load(text, None).unwrap();
        assert_eq!(events(&d), [ev("0", "7", &["7"], true, 0), ev("0", "3", &["3"], false, 1), ev("1", "5", &["5"], true, 0)]);
        assert!(d.events.iter().all(|e| e.kind == EventKind::Problem && e.time.is_none()));
        assert_eq!(load(text, Some(KtFormat::ThreeLine)).unwrap(), d);
        let empty = load("0\n\n\n", None).unwrap();
        assert_eq!((empty.students.len(), empty.events.len()), (1, 0));
    }

    #[test]
    fn three_line_errors() {
        assert_eq!(err("3\n1,2,\n1,0,1\n", None), "kt.csv:2:3: expected 3 skill ids (as line 1 says), found 2");
        assert_eq!(err("2\n1,2,3\n1,0\n", None), "kt.csv:2:3: expected 2 skill ids (as line 1 says), found 3");
        assert_eq!(err("2\n1,2\n1\n", None), "kt.csv:3:2: expected 2 answers (as line 1 says), found 1");
        assert_eq!(err("2\n1,x\n1,0\n", None), "kt.csv:2:2: expected an integer skill id, found \"x\"");
        assert_eq!(err("2\n1,2\n1,2\n", None), "kt.csv:3:2: expected 0 or 1, found \"2\"");
        assert_eq!(err("2\n1,2\n", None), "kt.csv:3: expected a line of answers, found the end of the file");
        assert_eq!(err("x\n1\n1\n", Some(KtFormat::ThreeLine)), "kt.csv:1:1: expected a response count (a non-negative integer), found \"x\"");
        assert_eq!(err("12,345\n", Some(KtFormat::ThreeLine)), "kt.csv:1:2: expected 1 field (the response count), found 2");
    }

    #[test]
    fn four_line_folds_repeated_problem_with_same_answer() {
        let text = "1274,82295\n1366,1366,1424,1424,1424,2985\n7,9,7,7,9,15\n1,1,0,1,1,0\n753,83594\n6989,\n34,\n1,\n";
        let d = load(text, None).unwrap();
        assert_eq!(
            events(&d),
            [
                ev("82295", "1366", &["7", "9"], true, 0),
                ev("82295", "1424", &["7"], false, 1),
                ev("82295", "1424", &["7", "9"], true, 2),
                ev("82295", "2985", &["15"], false, 3),
                ev("83594", "6989", &["34"], true, 0),
            ]
        );
        assert_eq!(load(text, Some(KtFormat::FourLine)).unwrap(), d);
        // Unfolded, every position is its own event, as the AKT authors' loader reads them.
        let rows = read_kt_lines(text.as_bytes(), "kt.csv", None, Repeats::Unfold).unwrap();
        assert_eq!(rows.events.len(), 7);
        assert_eq!(events(&rows)[..2], [ev("82295", "1366", &["7"], true, 0), ev("82295", "1366", &["9"], true, 1)]);
        // Other line formats have no problem per position: asking to unfold them is an error.
        for other in ["3\n1,2,3\n0,1,1\n", "0,1,1\n"] {
            let e = read_kt_lines(other.as_bytes(), "kt.csv", None, Repeats::Unfold).unwrap_err().to_string();
            assert!(e.starts_with("kt.csv:1: ") && e.contains("applies only to 4-line files"), "{e}");
        }
    }

    #[test]
    fn four_line_errors() {
        assert_eq!(err("1,u\n5,6\n7\n1,0\n", None), "kt.csv:3:2: expected 2 skill ids (one per problem id on line 2), found 1");
        assert_eq!(err("1,u\n5,6\n7,8\n1,0,1\n", None), "kt.csv:4:3: expected 2 answers (one per problem id on line 2), found 3");
        assert_eq!(err("1,u\n5,p6\n7,8\n1,0\n", None), "kt.csv:2:2: expected an integer problem id, found \"p6\"");
        assert_eq!(err("1,u\n5,6\n7,8\n1,true\n", None), "kt.csv:4:2: expected 0 or 1, found \"true\"");
        assert_eq!(err("1,\n5\n7\n1\n", Some(KtFormat::FourLine)), "kt.csv:1:2: expected 2 fields (idx,user_id), found 1");
        assert_eq!(err("1,u,x\n5\n7\n1\n", Some(KtFormat::FourLine)), "kt.csv:1:3: expected 2 fields (idx,user_id), found 3");
        assert_eq!(err("1, ,\n5\n7\n1\n", Some(KtFormat::FourLine)), "kt.csv:1:2: expected a user id, found \"\"");
        assert_eq!(err("1,u\n5\n", None), "kt.csv:3: expected a line of skill ids, found the end of the file");
    }

    #[test]
    fn matrix_one_exercise_per_position() {
        let d = load("0,1,1\n1,0,1,\n", None).unwrap();
        assert_eq!(events(&d)[..3], [ev("0", "0", &["0"], false, 0), ev("0", "1", &["1"], true, 1), ev("0", "2", &["2"], true, 2)]);
        assert_eq!(events(&d)[3], ev("1", "0", &["0"], true, 0));
        assert_eq!(d.items.len(), 3);
        assert_eq!(err("0,1,1\n1,0\n", None), "kt.csv:2:3: expected 3 answers (as many as on line 1), found 2");
        assert_eq!(err("0,1,1\n1,0,x\n", None), "kt.csv:2:3: expected 0 or 1, found \"x\"");
        assert_eq!(load("1,0\n", Some(KtFormat::Matrix)).unwrap().events.len(), 2);
    }

    #[test]
    fn detection_and_empty_input() {
        assert_eq!(
            err("\n\na,b,c\n", None),
            "kt.csv:3: expected a response count (3-line format), 'idx,user_id' (4-line format) or a row of 0/1 answers (matrix), found \"a,b,c\""
        );
        assert_eq!(load("", None).unwrap(), Interactions::new());
        assert_eq!(load("\u{feff}1\n4\n0\n", None).unwrap().events.len(), 1, "a BOM is dropped");
    }

    #[test]
    fn loads_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        std::fs::write(&path, "1\n4,\n0,\n").unwrap();
        assert_eq!(load_kt_lines(&path, None).unwrap().events.len(), 1);
    }
}
