//! The classroom the app shows: the answers DKT scores, the reads STUDY suggests from, and what
//! is known about skills (prerequisites) and titles (names). It comes from the built-in demo
//! (`classlens-core`'s generator, run in the page, so no student file is shipped) or from files
//! the teacher drops, parsed by `core`'s loaders. Plain data: no browser API, tested natively.

use std::collections::HashMap;

use classlens_core::data::load::{Format, Upload, read_upload};
use classlens_core::data::study::read_study_info;
use classlens_core::data::{Event, Interactions};
use classlens_core::synth::{SKILL_BUILDER_FILE, SKILLS_FILE, STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, TITLES_FILE, default_classroom, render_files};
use serde::{Deserialize, Serialize};

/// One file as the teacher dropped it (the bytes are kept so the import survives a reload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Classroom {
    /// Where the data came from, for the header ("built-in demo classroom", file names).
    pub source: String,
    pub practice: Interactions,
    pub reads: Option<Interactions>,
    /// Skill id → prerequisite skill ids (from a `skills.json`, as the generator writes it).
    pub prerequisites: HashMap<String, Vec<String>>,
    /// Title id → title name (from a `titles.json`).
    pub titles: HashMap<String, String>,
}

/// A class of the picker: `None` stands for "all students" when the data names no classes.
pub type ClassKey = Option<u32>;

#[derive(Deserialize)]
struct SkillJson {
    id: serde_json::Value,
    prerequisites: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct TitleJson {
    id: String,
    name: String,
}

/// JSON ids may be numbers (the generator) or strings; the logs spell them as text.
fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Classroom {
    /// The built-in classroom: `core`'s default synthetic classroom, generated here, byte for
    /// byte the one `classlens synth` writes (so `classlens mastery` can check the page).
    pub fn demo() -> Result<Self, String> {
        let files = render_files(&default_classroom()).map_err(|e| e.to_string())?;
        let wanted = [SKILL_BUILDER_FILE, STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, SKILLS_FILE, TITLES_FILE];
        let files: Vec<(String, Vec<u8>)> = files.into_iter().filter(|(n, _)| wanted.contains(n)).map(|(n, b)| (n.to_string(), b)).collect();
        let mut c = Self::from_bytes(&files, None)?;
        c.source = "built-in demo classroom".into();
        Ok(c)
    }

    /// Parses dropped files. CSVs go through `core`'s [`read_upload`] (format detected from the
    /// first line; `mapping` reads a CSV with a header no loader knows, whose columns the error
    /// lists otherwise); `skills.json` and `titles.json` add prerequisites and title names. Errors name the file, line and column; nothing is kept
    /// from a set of files with an error.
    pub fn from_files(files: &[UploadedFile], mapping: Option<&str>) -> Result<Self, String> {
        let bytes: Vec<(String, Vec<u8>)> = files.iter().map(|f| (f.name.clone(), f.text.as_bytes().to_vec())).collect();
        Self::from_bytes(&bytes, mapping)
    }

    fn from_bytes(files: &[(String, Vec<u8>)], mapping: Option<&str>) -> Result<Self, String> {
        let mut practice: Option<Interactions> = None;
        let mut reads: Option<(String, Interactions)> = None;
        let mut info: Option<(String, Vec<u8>)> = None;
        let mut prerequisites = HashMap::new();
        let mut titles = HashMap::new();
        for (name, bytes) in files {
            if name.ends_with(".json") {
                let text = std::str::from_utf8(bytes).map_err(|e| format!("{name}: not UTF-8 ({e})"))?;
                if let Ok(skills) = serde_json::from_str::<Vec<SkillJson>>(text) {
                    prerequisites.extend(skills.iter().map(|s| (id_text(&s.id), s.prerequisites.iter().map(id_text).collect())));
                } else {
                    let t: Vec<TitleJson> = serde_json::from_str(text).map_err(|e| format!("{name}:{}:{}: expected a skills.json or titles.json list ({e})", e.line(), e.column()))?;
                    titles.extend(t.into_iter().map(|t| (t.id, t.name)));
                }
                continue;
            }
            match read_upload(name, bytes, Format::Auto, mapping).map_err(|e| e.to_string())? {
                Upload::Practice(d) if practice.is_none() => practice = Some(d),
                Upload::Practice(_) => return Err(format!("{name}: a second answer log; drop one log of answers at a time")),
                Upload::Reads(d) => reads = Some((name.clone(), d)),
                Upload::StudentInfo(b) => info = Some((name.clone(), b)),
            }
        }
        let Some(practice) = practice else {
            return Err("no answer log among the files: the dashboard needs answers to skills (ASSISTments, DKT lines or a mapped CSV)".into());
        };
        let reads = match (reads, info) {
            (Some((_, mut r)), Some((info_name, b))) => {
                read_study_info(&mut r, b.as_slice(), &info_name).map_err(|e| e.to_string())?;
                Some(r)
            }
            (Some((_, r)), None) => Some(r),
            (None, Some((info_name, _))) => return Err(format!("{info_name}: student info without its student_activity.csv")),
            (None, None) => None,
        };
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        Ok(Self { source: names.join(", "), practice, reads, prerequisites, titles })
    }

    /// The classes of the answer log by name; one "all students" entry when it names none.
    pub fn classes(&self) -> Vec<(ClassKey, String)> {
        let d = &self.practice;
        let mut seen: Vec<(u32, String)> = d.student_info.iter().filter_map(|i| i.class).map(|c| (c, d.classes.name(c).to_string())).collect();
        seen.sort();
        seen.dedup();
        if seen.is_empty() {
            return vec![(None, "All students".to_string())];
        }
        seen.into_iter().map(|(c, n)| (Some(c), format!("Class {n}"))).collect()
    }

    /// Student ids of a class, sorted.
    pub fn students_of(&self, class: ClassKey) -> Vec<String> {
        let d = &self.practice;
        let mut s: Vec<String> = (0..d.students.len() as u32).filter(|&s| class.is_none() || d.student_info[s as usize].class == class).map(|s| d.students.name(s).to_string()).collect();
        s.sort();
        s
    }

    /// A student's answers in time order (as the sequence builders order them).
    pub fn answers_of(&self, student: &str) -> Vec<&Event> {
        let d = &self.practice;
        let Some(id) = d.students.get(student) else { return Vec::new() };
        let mut e: Vec<&Event> = d.events.iter().filter(|e| e.student == id && e.correct.is_some()).collect();
        e.sort_by_key(|e| (e.time, e.order));
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_file(name: &str) -> UploadedFile {
        let files = render_files(&classlens_core::synth::generate(&classlens_core::synth::SynthConfig::small())).unwrap();
        let (n, b) = files.into_iter().find(|(n, _)| *n == name).unwrap();
        UploadedFile { name: n.to_string(), text: String::from_utf8(b).unwrap() }
    }

    #[test]
    fn the_demo_has_classes_of_thirty_with_reads_prerequisites_and_titles() {
        let c = Classroom::demo().unwrap();
        let classes = c.classes();
        assert_eq!(classes.len(), 4);
        assert!(classes.iter().all(|(k, _)| c.students_of(*k).len() == 30));
        assert!(c.reads.as_ref().is_some_and(|r| !r.events.is_empty()));
        assert!(c.prerequisites.values().any(|p| !p.is_empty()));
        assert_eq!(c.titles.len(), 200);
        let s = &c.students_of(classes[0].0)[0];
        let a = c.answers_of(s);
        assert!(!a.is_empty() && a.windows(2).all(|w| (w[0].time, w[0].order) <= (w[1].time, w[1].order)));
    }

    #[test]
    fn imports_take_every_format_and_keep_study_classes() {
        let files = [demo_file(SKILL_BUILDER_FILE), demo_file(STUDENT_ACTIVITY_FILE), demo_file(STUDENT_INFO_FILE), demo_file(SKILLS_FILE)];
        let c = Classroom::from_files(&files, None).unwrap();
        assert!(c.classes().iter().all(|(k, _)| k.is_some()));
        let reads = c.reads.unwrap();
        assert!(reads.student_info.iter().any(|i| i.school.is_some()), "STUDY's OrgnID is the reads' classroom");
        let lines = Classroom::from_files(&[UploadedFile { name: "dkt.csv".into(), text: "2\n1,2\n1,0\n".into() }], None).unwrap();
        assert_eq!(lines.classes(), vec![(None, "All students".to_string())]);
        assert_eq!(lines.students_of(None).len(), 1);
        let mapped = UploadedFile { name: "mine.csv".into(), text: "kid,q,topic,right\nann,1,7,1\nann,2,7,0\n".into() };
        let err = Classroom::from_files(std::slice::from_ref(&mapped), None).unwrap_err();
        assert!(err.starts_with("mine.csv:1:") && err.contains("columns are kid, q, topic, right"), "{err}");
        let m = Classroom::from_files(&[mapped], Some("student=kid,item=q,skill=topic,correct=right")).unwrap();
        assert_eq!(m.answers_of("ann").len(), 2);
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let mut log = demo_file(SKILL_BUILDER_FILE);
        log.text.push_str("oops,not,a,row\n");
        let line = log.text.lines().count();
        let err = Classroom::from_files(&[log], None).unwrap_err();
        assert!(err.contains(&format!("skill_builder_data.csv:{line}")), "{err}");
        let err = Classroom::from_files(&[demo_file(STUDENT_ACTIVITY_FILE)], None).unwrap_err();
        assert!(err.contains("no answer log"), "{err}");
        let err = Classroom::from_files(&[UploadedFile { name: "t.json".into(), text: "{".into() }], None).unwrap_err();
        assert!(err.starts_with("t.json:1:"), "{err}");
    }
}
