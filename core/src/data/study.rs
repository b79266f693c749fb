//! The STUDY reading logs: `student_activity.csv` (one row per reading session) plus
//! `student_info.csv` (school and grade) and optionally `school_info.csv`.
//!
//! Activity is loaded first, so only students who read something become students; info rows for
//! students without activity are counted but not added. Students with activity and no info row
//! are kept (without school or grade) and listed in the [`StudyLoadReport`] so callers can warn.

use std::io::Read;
use std::path::Path;

use super::error::Result;
use super::interactions::{Event, EventKind, Interactions};
use super::source::{CsvTable, Source, TextEncoding, invalid_at};

/// What the loader noticed without failing, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudyLoadReport {
    /// Students with activity but no `student_info` row, in first-seen order. Empty when no info
    /// file was read.
    pub missing_info: Vec<String>,
    /// `student_info` rows for students with no activity (harmless, skipped).
    pub info_without_activity: usize,
    /// Schools (OrgnID) of loaded students that `school_info` does not list, when it was read.
    pub unknown_schools: Vec<String>,
}

/// Loads activity and, when given, student info.
pub fn load_study(activity: &Path, info: Option<&Path>) -> Result<(Interactions, StudyLoadReport)> {
    load_study_with_schools(activity, info, None)
}

/// [`load_study`] that also checks students' schools against `school_info.csv`.
pub fn load_study_with_schools(activity: &Path, info: Option<&Path>, schools: Option<&Path>) -> Result<(Interactions, StudyLoadReport)> {
    let mut data = read_activity(Source::open(activity, TextEncoding::Auto)?)?;
    let mut report = match info {
        Some(path) => read_info(&mut data, Source::open(path, TextEncoding::Auto)?)?,
        None => StudyLoadReport::default(),
    };
    if let Some(path) = schools {
        report.unknown_schools = read_schools(&data, Source::open(path, TextEncoding::Auto)?)?;
    }
    Ok((data, report))
}

/// Reads `student_activity.csv` (`StudentID,SHLF_NUM,Date,Seconds Read`) from any reader.
pub fn read_study_activity<R: Read>(reader: R, name: &str) -> Result<Interactions> {
    read_activity(Source::new(reader, name, TextEncoding::Auto))
}

/// Reads `student_info.csv` (`StudentID,OrgnID,GRADE_LVL_NBR`) into the students of `data`.
pub fn read_study_info<R: Read>(data: &mut Interactions, reader: R, name: &str) -> Result<StudyLoadReport> {
    read_info(data, Source::new(reader, name, TextEncoding::Auto))
}

/// Reads `school_info.csv` (`OrgnID,Parent_Building_ID`) and returns the schools of `data` it
/// does not list.
pub fn read_school_info<R: Read>(data: &Interactions, reader: R, name: &str) -> Result<Vec<String>> {
    read_schools(data, Source::new(reader, name, TextEncoding::Auto))
}

fn read_activity<R: Read>(source: Source<R>) -> Result<Interactions> {
    let mut table = CsvTable::new(source, b',')?;
    let (student, title, date, seconds) = (table.column("StudentID")?, table.column("SHLF_NUM")?, table.column("Date")?, table.column("Seconds Read")?);
    let mut data = Interactions::new();
    while let Some(row) = table.next_row()? {
        let id = row.cell(student)?.id("a student id")?;
        let title = row.cell(title)?.id("a title (SHLF_NUM)")?;
        let time = row.cell(date)?.date()?;
        let seconds = row.cell(seconds)?.seconds()?;
        let event = Event {
            student: data.student(id),
            item: data.items.intern(title),
            skills: Vec::new(),
            correct: None,
            time: Some(time),
            // The line number: it keeps same-day reads in file order and finds the row again.
            order: row.line(),
            seconds,
            kind: EventKind::Reading,
        };
        data.events.push(event);
    }
    Ok(data)
}

fn read_info<R: Read>(data: &mut Interactions, source: Source<R>) -> Result<StudyLoadReport> {
    let mut table = CsvTable::new(source, b',')?;
    let (student, school, grade) = (table.column("StudentID")?, table.column("OrgnID")?, table.column("GRADE_LVL_NBR")?);
    let mut report = StudyLoadReport::default();
    // The line each student's info came from, to catch contradicting duplicates.
    let mut seen_on: Vec<Option<u64>> = vec![None; data.students.len()];
    while let Some(row) = table.next_row()? {
        let id = row.cell(student)?.id("a student id")?;
        let school_id = row.cell(school)?.optional();
        let grade_cell = row.cell(grade)?;
        let grade = match grade_cell.optional() {
            Some(_) => Some(grade_cell.parse::<u8>("a grade level (an integer 0-255)")?),
            None => None,
        };
        let Some(s) = data.students.get(id) else {
            report.info_without_activity += 1;
            continue;
        };
        let school = school_id.map(|name| data.schools.intern(name));
        let info = data.info_mut(s);
        if let Some(first) = seen_on[s as usize] {
            if info.school != school || info.grade != grade {
                return Err(invalid_at(row.file(), row.line(), None, format!("student {id} has different info on line {first}")));
            }
            continue;
        }
        (info.school, info.grade) = (school, grade);
        seen_on[s as usize] = Some(row.line());
    }
    report.missing_info = (0..data.students.len()).filter(|&s| seen_on[s].is_none()).map(|s| data.students.name(s as u32).to_string()).collect();
    Ok(report)
}

fn read_schools<R: Read>(data: &Interactions, source: Source<R>) -> Result<Vec<String>> {
    let mut table = CsvTable::new(source, b',')?;
    let (school, _parent) = (table.column("OrgnID")?, table.column("Parent_Building_ID")?);
    let mut listed = vec![false; data.schools.len()];
    while let Some(row) = table.next_row()? {
        let id = row.cell(school)?.id("a school id (OrgnID)")?;
        if let Some(s) = data.schools.get(id) {
            listed[s as usize] = true;
        }
    }
    let used = data.student_info.iter().filter_map(|i| i.school);
    let mut unknown: Vec<u32> = used.filter(|&s| !listed[s as usize]).collect();
    unknown.sort_unstable();
    unknown.dedup();
    Ok(unknown.into_iter().map(|s| data.schools.name(s).to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIVITY: &str =
        "StudentID,SHLF_NUM,Date,Seconds Read\n139,HB11,2020-12-12,891\n139,HB11,2020-12-30,\n101,HB12,2021-01-04,60.5\n7,HB11,2020-02-29,3\n";
    const INFO: &str = "StudentID,OrgnID,GRADE_LVL_NBR\n139,25,3\n101,12,\n999,25,4\n139,25,3\n";

    fn activity(text: &str) -> Result<Interactions> {
        read_study_activity(text.as_bytes(), "student_activity.csv")
    }

    #[test]
    fn activity_becomes_reading_events() {
        let d = activity(ACTIVITY).unwrap();
        assert_eq!(d.students.names(), ["139", "101", "7"]);
        let e = &d.events[0];
        assert_eq!((d.items.name(e.item), e.time, e.order, e.seconds), ("HB11", Some(1_607_731_200), 2, Some(891.0)));
        assert_eq!((e.kind, e.correct, e.skills.len()), (EventKind::Reading, None, 0));
        assert_eq!((d.events[1].seconds, d.events[1].order, d.events[1].item), (None, 3, e.item));
        assert_eq!(d.events[2].seconds, Some(60.5));
        assert_eq!(d.events[3].time, Some(1_582_934_400), "a leap day");
    }

    #[test]
    fn info_sets_school_and_grade_and_reports_gaps() {
        let mut d = activity(ACTIVITY).unwrap();
        let report = read_study_info(&mut d, INFO.as_bytes(), "student_info.csv").unwrap();
        assert_eq!(report, StudyLoadReport { missing_info: vec!["7".into()], info_without_activity: 1, unknown_schools: vec![] });
        assert_eq!(d.students.len(), 3, "info without activity adds no student");
        let info = &d.student_info[0];
        assert_eq!((d.schools.name(info.school.unwrap()), info.grade), ("25", Some(3)));
        assert_eq!((d.schools.name(d.student_info[1].school.unwrap()), d.student_info[1].grade), ("12", None));
        assert_eq!(d.student_info[2], Default::default());

        let unknown = read_school_info(&d, "OrgnID,Parent_Building_ID\n25,1\n".as_bytes(), "school_info.csv").unwrap();
        assert_eq!(unknown, ["12"]);
    }

    #[test]
    fn activity_errors() {
        let header = "StudentID,SHLF_NUM,Date,Seconds Read\n";
        let err = |row: &str| activity(&format!("{header}139,HB11,2020-12-12,891\n{row}")).unwrap_err().to_string();
        assert_eq!(err("139,HB11,2021-02-29,5\n"), "student_activity.csv:3:3 (column 'Date'): expected a date YYYY-MM-DD, found \"2021-02-29\"");
        assert_eq!(err("139,HB11,2021-13-01,5\n"), "student_activity.csv:3:3 (column 'Date'): expected a date YYYY-MM-DD, found \"2021-13-01\"");
        assert_eq!(err("139,HB11,12/12/2020,5\n"), "student_activity.csv:3:3 (column 'Date'): expected a date YYYY-MM-DD, found \"12/12/2020\"");
        assert_eq!(
            err("139,HB11,2021-01-01,long\n"),
            "student_activity.csv:3:4 (column 'Seconds Read'): expected a non-negative number of seconds, found \"long\""
        );
        assert_eq!(err(",HB11,2021-01-01,5\n"), "student_activity.csv:3:1 (column 'StudentID'): expected a student id, found \"\"");
        assert_eq!(err("139,,2021-01-01,5\n"), "student_activity.csv:3:2 (column 'SHLF_NUM'): expected a title (SHLF_NUM), found \"\"");
        assert_eq!(err("139,HB11\n"), "student_activity.csv:3: expected 4 fields (as in the header), found 2");
        let missing = activity("StudentID,SHLF_NUM,Seconds Read\n").unwrap_err().to_string();
        assert_eq!(missing, "student_activity.csv:1: missing column 'Date' (header has: StudentID,SHLF_NUM,Seconds Read)");
    }

    #[test]
    fn info_errors() {
        let info = |text: &str| {
            let mut d = activity(ACTIVITY).unwrap();
            read_study_info(&mut d, text.as_bytes(), "student_info.csv").unwrap_err().to_string()
        };
        assert_eq!(
            info("StudentID,OrgnID,GRADE_LVL_NBR\n139,25,third\n"),
            "student_info.csv:2:3 (column 'GRADE_LVL_NBR'): expected a grade level (an integer 0-255), found \"third\""
        );
        assert_eq!(info("StudentID,OrgnID,GRADE_LVL_NBR\n139,25,3\n139,26,3\n"), "student_info.csv:3: student 139 has different info on line 2");
        assert_eq!(info("StudentID,GRADE_LVL_NBR\n"), "student_info.csv:1: missing column 'OrgnID' (header has: StudentID,GRADE_LVL_NBR)");
        let d = activity(ACTIVITY).unwrap();
        let err = read_school_info(&d, "OrgnID,Parent_Building_ID\n,1\n".as_bytes(), "school_info.csv").unwrap_err().to_string();
        assert_eq!(err, "school_info.csv:2:1 (column 'OrgnID'): expected a school id (OrgnID), found \"\"");
    }

    #[test]
    fn loads_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let (a, i, s) = (dir.path().join("a.csv"), dir.path().join("i.csv"), dir.path().join("s.csv"));
        std::fs::write(&a, format!("\u{feff}{ACTIVITY}")).unwrap();
        std::fs::write(&i, INFO).unwrap();
        std::fs::write(&s, "OrgnID,Parent_Building_ID\n25,1\n12,1\n").unwrap();
        let (d, report) = load_study(&a, Some(&i)).unwrap();
        assert_eq!((d.events.len(), report.missing_info.len()), (4, 1));
        let (_, report) = load_study_with_schools(&a, Some(&i), Some(&s)).unwrap();
        assert!(report.unknown_schools.is_empty());
        let (d, report) = load_study(&a, None).unwrap();
        assert_eq!((d.student_info[0].school, report), (None, StudyLoadReport::default()));
    }
}
