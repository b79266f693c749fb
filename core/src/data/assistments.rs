//! The raw ASSISTments 2009-2010 skill-builder export (`skill_builder_data.csv`).
//!
//! Columns are found by name, so any column order works and extra columns are ignored. A response
//! tagged with several skills is repeated once per skill with the same `order_id`: those
//! consecutive rows become one [`Event`] so the answer is counted (and scored) once.

use std::io::Read;
use std::path::Path;

use super::error::Result;
use super::interactions::{Event, EventKind, Interactions};
use super::source::{Cell, CsvTable, Row, Source, TextEncoding};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistmentsOptions {
    /// Keep scaffolding rows (`original == 0`): sub-questions shown after a wrong answer. They are
    /// not independent attempts at the problem, so the usual benchmarks drop them.
    pub include_scaffolding: bool,
    /// Decided from the bytes by default ([`TextEncoding::Auto`]): the published export is
    /// ISO-8859-1, a copy re-saved by a spreadsheet often UTF-8.
    pub encoding: TextEncoding,
}

impl Default for AssistmentsOptions {
    fn default() -> Self {
        AssistmentsOptions { include_scaffolding: false, encoding: TextEncoding::Auto }
    }
}

/// Loads `skill_builder_data.csv` (or any file with its columns) from disk.
pub fn load_assistments(path: &Path, opts: &AssistmentsOptions) -> Result<Interactions> {
    read_source(Source::open(path, opts.encoding)?, opts)
}

/// Reads the format from any reader; `name` is what errors call it.
pub fn read_assistments<R: Read>(reader: R, name: &str, opts: &AssistmentsOptions) -> Result<Interactions> {
    read_source(Source::new(reader, name, opts.encoding), opts)
}

/// The columns this loader reads, by index.
struct Columns {
    order: usize,
    user: usize,
    problem: usize,
    original: usize,
    correct: usize,
    skill: usize,
    skill_name: Option<usize>,
    class: Option<usize>,
    school: Option<usize>,
    ms_first_response: Option<usize>,
}

/// The response being folded: rows keep adding skills while `(student, order_id)` stays the same.
struct Pending {
    order_id: u64,
    event: Event,
}

fn read_source<R: Read>(source: Source<R>, opts: &AssistmentsOptions) -> Result<Interactions> {
    let mut table = CsvTable::new(source, b',')?;
    let cols = Columns {
        order: table.column("order_id")?,
        user: table.column("user_id")?,
        problem: table.column("problem_id")?,
        original: table.column("original")?,
        correct: table.column("correct")?,
        skill: table.column("skill_id")?,
        skill_name: table.optional_column("skill_name"),
        class: table.optional_column("student_class_id"),
        school: table.optional_column("school_id"),
        ms_first_response: table.optional_column("ms_first_response"),
    };
    let mut data = Interactions::new();
    let mut pending: Option<Pending> = None;
    while let Some(row) = table.next_row()? {
        // Every row is validated, skipped scaffolding included, so bad data never hides.
        let user = row.cell(cols.user)?.id("a user id")?;
        let order_id: u64 = row.cell(cols.order)?.parse("an order id (a non-negative integer)")?;
        let problem = row.cell(cols.problem)?.id("a problem id")?;
        let original = row.cell(cols.original)?.bit()?;
        let correct = row.cell(cols.correct)?.bit()?;
        let skill = row.cell(cols.skill)?.optional();
        if !original && !opts.include_scaffolding {
            continue;
        }
        let student = data.student(user);
        let skill = skill.map(|s| data.skills.intern(s));
        if let (Some(s), Some(name)) = (skill, row.optional_cell(cols.skill_name)?.and_then(|c| c.optional())) {
            data.label_skill(s, name);
        }
        if let Some(p) = &mut pending
            && p.event.student == student
            && p.order_id == order_id
        {
            // Another skill of the same response: the first row's answer and problem stand.
            if let Some(s) = skill
                && !p.event.skills.contains(&s)
            {
                p.event.skills.push(s);
            }
            continue;
        }
        if let Some(p) = pending.take() {
            data.events.push(p.event);
        }
        record_student_info(&mut data, student, &row, &cols)?;
        let event = Event {
            student,
            item: data.items.intern(problem),
            skills: skill.into_iter().collect(),
            correct: Some(correct),
            time: None,
            order: order_id,
            seconds: row.optional_cell(cols.ms_first_response)?.and_then(|c| response_seconds(&c)),
            kind: EventKind::Problem,
        };
        pending = Some(Pending { order_id, event });
    }
    if let Some(p) = pending {
        data.events.push(p.event);
    }
    Ok(data)
}

/// Class and school as first seen for the student (later rows do not overwrite them).
fn record_student_info(data: &mut Interactions, student: u32, row: &Row<'_>, cols: &Columns) -> Result<()> {
    if let Some(class) = row.optional_cell(cols.class)?.and_then(|c| c.optional())
        && data.student_info[student as usize].class.is_none()
    {
        let class = data.classes.intern(class);
        data.info_mut(student).class = Some(class);
    }
    if let Some(school) = row.optional_cell(cols.school)?.and_then(|c| c.optional())
        && data.student_info[student as usize].school.is_none()
    {
        let school = data.schools.intern(school);
        data.info_mut(student).school = Some(school);
    }
    Ok(())
}

/// `ms_first_response` in seconds. The raw export holds some negative and non-numeric values
/// (clock glitches); a response time is only a hint, so those become `None` rather than errors.
fn response_seconds(cell: &Cell<'_>) -> Option<f32> {
    let ms: f64 = cell.text.parse().ok()?;
    (ms.is_finite() && ms >= 0.0).then(|| (ms / 1000.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "order_id,assignment_id,user_id,assistment_id,problem_id,original,correct,attempt_count,ms_first_response,tutor_mode,answer_type,sequence_id,student_class_id,position,type,base_sequence_id,skill_id,skill_name,teacher_id,school_id,hint_count,hint_total,overlap_time,template_id,answer_id,answer_text,first_action,bottom_hint,opportunity,opportunity_original";

    /// A row in the full raw layout from `[order_id, user_id, problem_id, original, correct,
    /// ms_first_response, student_class_id, skill_id, school_id]`; the columns this loader
    /// ignores get plausible filler.
    fn row([order, user, problem, original, correct, ms, class, skill, school]: [&str; 9]) -> String {
        format!(
            "{order},33022537,{user},33139,{problem},{original},{correct},1,{ms},tutor,algebra,5948,{class},2,MasterySequence,5948,{skill},Box and Whisker,22763,{school},0,0,32454,30799,,26,0,,1,1"
        )
    }

    fn load(text: &str, opts: &AssistmentsOptions) -> Result<Interactions> {
        read_assistments(text.as_bytes(), "skill_builder_data.csv", opts)
    }

    fn names(d: &Interactions, skills: &[u32]) -> Vec<String> {
        skills.iter().map(|&s| d.skills.name(s).to_string()).collect()
    }

    #[test]
    fn folds_multi_skill_rows_and_skips_scaffolding() {
        let text = [
            HEADER.to_string(),
            row(["100", "u1", "p1", "1", "1", "32000", "c1", "10", "s1"]),
            row(["100", "u1", "p1", "1", "1", "32000", "c1", "11", "s1"]),
            row(["100", "u1", "p1", "1", "1", "32000", "c1", "10", "s1"]),
            row(["101", "u1", "p2", "0", "0", "5000", "c1", "10", "s1"]),
            row(["102", "u1", "p3", "1", "0", "oops", "c1", "", "s1"]),
            row(["100", "u2", "p1", "1", "0", "-7", "", "12", ""]),
        ]
        .join("\n");
        let d = load(&text, &AssistmentsOptions::default()).unwrap();
        assert_eq!(d.events.len(), 3);
        let e = &d.events[0];
        assert_eq!((d.students.name(e.student), d.items.name(e.item), e.order), ("u1", "p1", 100));
        assert_eq!(names(&d, &e.skills), ["10", "11"]);
        assert_eq!(d.skill_label(e.skills[0]), "Box and Whisker", "skill_name is kept as the label");
        assert_eq!((e.correct, e.seconds, e.time, e.kind), (Some(true), Some(32.0), None, EventKind::Problem));
        let e = &d.events[1];
        assert_eq!((d.items.name(e.item), e.order, e.correct, e.seconds), ("p3", 102, Some(false), None));
        assert!(e.skills.is_empty(), "a response with no skill is kept");
        let e = &d.events[2];
        assert_eq!((d.students.name(e.student), names(&d, &e.skills), e.seconds), ("u2", vec!["12".to_string()], None));
        let info = &d.student_info[d.students.get("u1").unwrap() as usize];
        assert_eq!((d.classes.name(info.class.unwrap()), d.schools.name(info.school.unwrap())), ("c1", "s1"));
        assert_eq!(d.student_info[1], Default::default());

        let all = load(&text, &AssistmentsOptions { include_scaffolding: true, ..Default::default() }).unwrap();
        assert_eq!(all.events.iter().map(|e| e.order).collect::<Vec<_>>(), [100, 101, 102, 100]);
    }

    #[test]
    fn finds_columns_by_name_in_any_order() {
        let text = "skill_id,correct,extra,original,problem_id,user_id,order_id\n7,1,x,1,p9,u5,3\n8,1,y,1,p9,u5,3\n";
        let d = load(text, &AssistmentsOptions::default()).unwrap();
        assert_eq!(d.events.len(), 1);
        assert_eq!(names(&d, &d.events[0].skills), ["7", "8"]);
        assert_eq!(d.events[0].seconds, None);
        assert_eq!(d.classes.len(), 0);
    }

    #[test]
    fn decodes_latin1_and_utf8_by_default() {
        let mut bytes = b"order_id,user_id,problem_id,original,correct,skill_id\n1,Jos\xe9,p,1,0,\n".to_vec();
        let d = read_assistments(&bytes[..], "x.csv", &AssistmentsOptions::default()).unwrap();
        assert_eq!(d.students.name(0), "José");
        let utf8 = "order_id,user_id,problem_id,original,correct,skill_id\n1,José,p,1,0,\n";
        assert_eq!(read_assistments(utf8.as_bytes(), "x.csv", &AssistmentsOptions::default()).unwrap().students.name(0), "José");
        bytes.extend_from_slice(b"2,Jos\xe9,p,1,0,\n");
        let utf8 = AssistmentsOptions { encoding: TextEncoding::Utf8, ..Default::default() };
        let err = read_assistments(&bytes[..], "x.csv", &utf8).unwrap_err().to_string();
        assert!(err.starts_with("x.csv:2:2 (column 'user_id'): expected UTF-8 text"), "{err}");
    }

    #[test]
    fn errors_name_file_line_column_expected_found() {
        let header = "order_id,user_id,problem_id,original,correct,skill_id\n";
        let err = |body: &str| load(&format!("{header}1,u,p,1,1,5\n{body}"), &AssistmentsOptions::default()).unwrap_err().to_string();
        assert_eq!(err("2,u,p,1,2,5\n"), "skill_builder_data.csv:3:5 (column 'correct'): expected 0 or 1, found \"2\"");
        assert_eq!(err("2,u,p,yes,1,5\n"), "skill_builder_data.csv:3:4 (column 'original'): expected 0 or 1, found \"yes\"");
        assert_eq!(err("x2,u,p,1,1,5\n"), "skill_builder_data.csv:3:1 (column 'order_id'): expected an order id (a non-negative integer), found \"x2\"");
        assert_eq!(err("2,,p,1,1,5\n"), "skill_builder_data.csv:3:2 (column 'user_id'): expected a user id, found \"\"");
        assert_eq!(err("2,u,,1,1,5\n"), "skill_builder_data.csv:3:3 (column 'problem_id'): expected a problem id, found \"\"");
        assert_eq!(err("\n2,u,p,1,1\n"), "skill_builder_data.csv:4: expected 6 fields (as in the header), found 5");
        let missing = load("order_id,user_id,problem_id,original,skill_id\n", &AssistmentsOptions::default()).unwrap_err();
        assert_eq!(missing.to_string(), "skill_builder_data.csv:1: missing column 'correct' (header has: order_id,user_id,problem_id,original,skill_id)");
    }

    #[test]
    fn loads_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skill_builder_data.csv");
        std::fs::write(&path, "order_id,user_id,problem_id,original,correct,skill_id\r\n1,u,p,1,1,3\r\n").unwrap();
        let d = load_assistments(&path, &AssistmentsOptions::default()).unwrap();
        assert_eq!(d.events.len(), 1);
        let err = load_assistments(&dir.path().join("nope.csv"), &AssistmentsOptions::default()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: ", dir.path().join("nope.csv").display())), "{err}");
    }
}
