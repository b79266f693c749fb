//! Any CSV with a header, given which column plays which role, as a CLI user types it:
//! `student=user_id,item=problem_id,correct=correct,skill=skill_id,time=timestamp`.
//!
//! With a `correct` column every row is an answered problem; without one, every row is a reading
//! session whose item is the title. Each row is one event (rows are not folded).

use std::fmt;
use std::io::Read;
use std::path::Path;

use super::error::Result;
use super::interactions::{Event, EventKind, Interactions};
use super::source::{CsvTable, Source, TextEncoding};

/// What a column means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Student,
    Item,
    Correct,
    Skill,
    Time,
    Class,
    School,
    Grade,
    Seconds,
}

impl Role {
    pub const ALL: [Role; 9] = [Role::Student, Role::Item, Role::Correct, Role::Skill, Role::Time, Role::Class, Role::School, Role::Grade, Role::Seconds];

    pub fn name(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Item => "item",
            Role::Correct => "correct",
            Role::Skill => "skill",
            Role::Time => "time",
            Role::Class => "class",
            Role::School => "school",
            Role::Grade => "grade",
            Role::Seconds => "seconds",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A mapping that cannot be used, before any file is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column mapping: {0}")]
pub struct MappingError(pub String);

/// Which column (by header name) plays each role. `student` and `item` are required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    student: String,
    item: String,
    /// The other roles that are mapped, each once.
    others: Vec<(Role, String)>,
}

impl ColumnMapping {
    /// Parses `role=column,role=column,...` (spaces around names are ignored).
    pub fn parse(spec: &str) -> std::result::Result<Self, MappingError> {
        let mut columns: Vec<(Role, String)> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((role, column)) = entry.split_once('=') else {
                return Err(MappingError(format!("expected role=column, found {entry:?}")));
            };
            let (role, column) = (role.trim(), column.trim());
            let Some(role) = Role::from_name(role) else {
                let roles: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
                return Err(MappingError(format!("unknown role {role:?} (roles: {})", roles.join(", "))));
            };
            if column.is_empty() {
                return Err(MappingError(format!("role {role} has no column name")));
            }
            if columns.iter().any(|(r, _)| *r == role) {
                return Err(MappingError(format!("role {role} is given twice")));
            }
            columns.push((role, column.to_string()));
        }
        let mut take = |required: Role| match columns.iter().position(|(r, _)| *r == required) {
            Some(i) => Ok(columns.remove(i).1),
            None => Err(MappingError(format!("missing required role {required} (e.g. {required}=column_name)"))),
        };
        let (student, item) = (take(Role::Student)?, take(Role::Item)?);
        Ok(ColumnMapping { student, item, others: columns })
    }

    /// The column mapped to `role`, if any.
    pub fn column(&self, role: Role) -> Option<&str> {
        match role {
            Role::Student => Some(&self.student),
            Role::Item => Some(&self.item),
            _ => self.others.iter().find(|(r, _)| *r == role).map(|(_, c)| c.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedOptions {
    /// Field separator: `,` by default; `;` and tab are common in spreadsheet exports.
    pub delimiter: u8,
    /// Splits a multi-skill cell (`"3;17"` with `;`); `None` means a cell is one skill.
    pub skill_sep: Option<String>,
    pub encoding: TextEncoding,
}

impl Default for MappedOptions {
    fn default() -> Self {
        MappedOptions { delimiter: b',', skill_sep: None, encoding: TextEncoding::Auto }
    }
}

/// A delimiter as a user types it: one ASCII character, or `tab` / `\t`.
pub fn parse_delimiter(s: &str) -> Option<u8> {
    match s {
        "tab" | "\\t" | "\t" => Some(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Some(s.as_bytes()[0]),
        _ => None,
    }
}

/// Loads `path` with `mapping`.
pub fn load_mapped_csv(path: &Path, mapping: &ColumnMapping, opts: &MappedOptions) -> Result<Interactions> {
    read_source(Source::open(path, opts.encoding)?, mapping, opts)
}

/// Reads from any reader; `name` is what errors call it.
pub fn read_mapped_csv<R: Read>(reader: R, name: &str, mapping: &ColumnMapping, opts: &MappedOptions) -> Result<Interactions> {
    read_source(Source::new(reader, name, opts.encoding), mapping, opts)
}

fn read_source<R: Read>(source: Source<R>, mapping: &ColumnMapping, opts: &MappedOptions) -> Result<Interactions> {
    let mut table = CsvTable::new(source, opts.delimiter)?;
    let (student, item) = (table.column(&mapping.student)?, table.column(&mapping.item)?);
    let column = |role| mapping.column(role).map(|name| table.column(name)).transpose();
    let (correct, skill, time, class) = (column(Role::Correct)?, column(Role::Skill)?, column(Role::Time)?, column(Role::Class)?);
    let (school, grade, seconds) = (column(Role::School)?, column(Role::Grade)?, column(Role::Seconds)?);
    let kind = if correct.is_some() { EventKind::Problem } else { EventKind::Reading };
    let mut data = Interactions::new();
    while let Some(row) = table.next_row()? {
        let s = data.student(row.cell(student)?.id("a student id")?);
        let item = data.items.intern(row.cell(item)?.id("an item id")?);
        let correct = row.optional_cell(correct)?.map(|c| c.boolean()).transpose()?;
        let mut skills = Vec::new();
        if let Some(cell) = row.optional_cell(skill)? {
            let parts: Vec<&str> = match &opts.skill_sep {
                Some(sep) if !sep.is_empty() => cell.text.split(sep.as_str()).map(str::trim).collect(),
                _ => vec![cell.text],
            };
            for part in parts.into_iter().filter(|p| !p.is_empty()) {
                let id = data.skills.intern(part);
                if !skills.contains(&id) {
                    skills.push(id);
                }
            }
        }
        let time = row.optional_cell(time)?.map(|c| c.timestamp()).transpose()?;
        let seconds = row.optional_cell(seconds)?.map(|c| c.seconds()).transpose()?.flatten();
        if let Some(name) = row.optional_cell(class)?.and_then(|c| c.optional())
            && data.student_info[s as usize].class.is_none()
        {
            let class = data.classes.intern(name);
            data.info_mut(s).class = Some(class);
        }
        if let Some(name) = row.optional_cell(school)?.and_then(|c| c.optional())
            && data.student_info[s as usize].school.is_none()
        {
            let school = data.schools.intern(name);
            data.info_mut(s).school = Some(school);
        }
        if let Some(cell) = row.optional_cell(grade)?
            && cell.optional().is_some()
            && data.student_info[s as usize].grade.is_none()
        {
            data.info_mut(s).grade = Some(cell.parse("a grade level (an integer 0-255)")?);
        }
        let order = row.line();
        data.events.push(Event { student: s, item, skills, correct, time, order, seconds, kind });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, spec: &str, opts: &MappedOptions) -> Result<Interactions> {
        read_mapped_csv(text.as_bytes(), "log.csv", &ColumnMapping::parse(spec).unwrap(), opts)
    }

    #[test]
    fn mapping_parses_and_rejects_clearly() {
        let m = ColumnMapping::parse(" student = user_id, item=problem_id,correct=correct,skill=skill_id,time=timestamp ").unwrap();
        assert_eq!((m.column(Role::Student), m.column(Role::Time), m.column(Role::Grade)), (Some("user_id"), Some("timestamp"), None));
        let err = |spec: &str| ColumnMapping::parse(spec).unwrap_err().to_string();
        assert_eq!(
            err("student=u,item=p,answer=c"),
            "column mapping: unknown role \"answer\" (roles: student, item, correct, skill, time, class, school, grade, seconds)"
        );
        assert_eq!(err("student=u"), "column mapping: missing required role item (e.g. item=column_name)");
        assert_eq!(err("student=u,item=p,item=q"), "column mapping: role item is given twice");
        assert_eq!(err("student=u,item"), "column mapping: expected role=column, found \"item\"");
        assert_eq!(err("student=u,item="), "column mapping: role item has no column name");
    }

    #[test]
    fn problems_with_multi_skills_times_and_info() {
        let text = "user_id;problem_id;correct;skill_id;timestamp;grade;school;secs\n\
                    u1;p1;TRUE;3_17_3;2021-03-04 10:00:00;5;s9;12.5\n\
                    u1;p2;0;;1614852000;;;\n\
                    u2;p1;false;17;2021-03-04;;;\n";
        let spec = "student=user_id,item=problem_id,correct=correct,skill=skill_id,time=timestamp,grade=grade,school=school,seconds=secs";
        let opts = MappedOptions { delimiter: b';', skill_sep: Some("_".into()), ..Default::default() };
        let d = load(text, spec, &opts).unwrap();
        assert_eq!(d.events.len(), 3);
        let e = &d.events[0];
        let skills: Vec<_> = e.skills.iter().map(|&s| d.skills.name(s)).collect();
        assert_eq!(
            (skills, e.correct, e.time, e.seconds, e.order, e.kind),
            (vec!["3", "17"], Some(true), Some(1_614_852_000), Some(12.5), 2, EventKind::Problem)
        );
        assert_eq!((d.events[1].skills.len(), d.events[1].correct, d.events[1].seconds), (0, Some(false), None));
        assert_eq!((d.events[2].time, d.events[2].skills.clone()), (Some(1_614_816_000), vec![1]));
        assert_eq!((d.student_info[0].grade, d.schools.name(d.student_info[0].school.unwrap())), (Some(5), "s9"));
        assert_eq!(d.student_info[1], Default::default());
    }

    #[test]
    fn without_correct_rows_are_readings() {
        let d = load("kid\tbook\n1\tHB11\n", "student=kid,item=book", &MappedOptions { delimiter: b'\t', ..Default::default() }).unwrap();
        let e = &d.events[0];
        assert_eq!((e.kind, e.correct, e.time, d.items.name(e.item)), (EventKind::Reading, None, None, "HB11"));
    }

    #[test]
    fn errors_name_the_header_or_the_cell() {
        let opts = MappedOptions::default();
        let spec = "student=u,item=p,correct=c,time=t";
        let err = |text: &str, spec: &str| load(text, spec, &opts).unwrap_err().to_string();
        assert_eq!(err("u,p,c\n", spec), "log.csv:1: missing column 't' (header has: u,p,c)");
        assert_eq!(err("u,p,c,t\na,b,yes,5\n", spec), "log.csv:2:3 (column 'c'): expected 0, 1, true or false, found \"yes\"");
        assert_eq!(
            err("u,p,c,t\na,b,1,5\na,b,1,yesterday\n", spec),
            "log.csv:3:4 (column 't'): expected a time (integer seconds since 1970, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS), found \"yesterday\""
        );
        assert_eq!(err("u,p,c,t\n,b,1,5\n", spec), "log.csv:2:1 (column 'u'): expected a student id, found \"\"");
        assert_eq!(err("u,p,g\na,b,300\n", "student=u,item=p,grade=g"), "log.csv:2:3 (column 'g'): expected a grade level (an integer 0-255), found \"300\"");
        assert_eq!(err("u,p\na,b,c\n", "student=u,item=p"), "log.csv:2: expected 2 fields (as in the header), found 3");
    }

    #[test]
    fn delimiters_and_files() {
        assert_eq!((parse_delimiter(";"), parse_delimiter("tab"), parse_delimiter("ab")), (Some(b';'), Some(b'\t'), None));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.csv");
        std::fs::write(&path, "u,p\nx,y\n").unwrap();
        let m = ColumnMapping::parse("student=u,item=p").unwrap();
        assert_eq!(load_mapped_csv(&path, &m, &MappedOptions::default()).unwrap().events.len(), 1);
    }
}
