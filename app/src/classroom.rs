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

/// One file as the teacher dropped it: its raw bytes, not text, because the encoding is the
/// loader's to decide (raw ASSISTments exports are ISO-8859-1, the other formats UTF-8); a
/// browser that decoded them first would turn every accented name into mojibake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadedFile {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
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
        let files: Vec<(&str, &[u8])> = files.iter().filter(|(n, _)| wanted.contains(n)).map(|(n, b)| (*n, b.as_slice())).collect();
        let mut c = Self::from_bytes(&files, None)?;
        c.source = "built-in demo classroom".into();
        Ok(c)
    }

    /// Parses dropped files. CSVs go through `core`'s [`read_upload`] (format detected from the
    /// first line; `mapping` reads a CSV with a header no loader knows, whose columns the error
    /// lists otherwise); `skills.json` and `titles.json` add prerequisites and title names. Errors name the file, line and column; nothing is kept
    /// from a set of files with an error.
    pub fn from_files(files: &[UploadedFile], mapping: Option<&str>) -> Result<Self, String> {
        let files: Vec<(&str, &[u8])> = files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())).collect();
        Self::from_bytes(&files, mapping)
    }

    fn from_bytes(files: &[(&str, &[u8])], mapping: Option<&str>) -> Result<Self, String> {
        let mut practice: Option<Interactions> = None;
        let mut reads: Option<(&str, Interactions)> = None;
        let mut info: Option<(&str, Vec<u8>)> = None;
        let mut prerequisites = HashMap::new();
        let mut titles = HashMap::new();
        for &(name, bytes) in files {
            if name.ends_with(".json") {
                let text = std::str::from_utf8(bytes).map_err(|e| format!("{name}: not UTF-8 ({e})"))?;
                if let Ok(skills) = serde_json::from_str::<Vec<SkillJson>>(text) {
                    prerequisites.extend(skills.iter().map(|s| (id_text(&s.id), s.prerequisites.iter().map(id_text).collect())));
                } else {
                    let t: Vec<TitleJson> = serde_json::from_str(text)
                        .map_err(|e| format!("{name}:{}:{}: expected a skills.json or titles.json list ({e})", e.line(), e.column()))?;
                    titles.extend(t.into_iter().map(|t| (t.id, t.name)));
                }
                continue;
            }
            match read_upload(name, bytes, Format::Auto, mapping).map_err(|e| e.to_string())? {
                Upload::Practice(d) if practice.is_none() => practice = Some(d),
                Upload::Practice(_) => return Err(format!("{name}: a second answer log; drop one log of answers at a time")),
                Upload::Reads(d) => reads = Some((name, d)),
                Upload::StudentInfo(b) => info = Some((name, b)),
            }
        }
        let Some(practice) = practice else {
            return Err("no answer log among the files: the dashboard needs answers to skills (ASSISTments, DKT lines or a mapped CSV)".into());
        };
        let reads = match (reads, info) {
            (Some((_, mut r)), Some((info_name, b))) => {
                read_study_info(&mut r, b.as_slice(), info_name).map_err(|e| e.to_string())?;
                Some(r)
            }
            (Some((_, r)), None) => Some(r),
            (None, Some((info_name, _))) => return Err(format!("{info_name}: student info without its student_activity.csv")),
            (None, None) => None,
        };
        let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
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
        let mut s: Vec<String> = (0..d.students.len() as u32)
            .filter(|&s| class.is_none() || d.student_info[s as usize].class == class)
            .map(|s| d.students.name(s).to_string())
            .collect();
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
        UploadedFile { name: n.to_string(), bytes: b }
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
        let lines = Classroom::from_files(&[UploadedFile { name: "dkt.csv".into(), bytes: b"2\n1,2\n1,0\n".to_vec() }], None).unwrap();
        assert_eq!(lines.classes(), vec![(None, "All students".to_string())]);
        assert_eq!(lines.students_of(None).len(), 1);
        let mapped = UploadedFile { name: "mine.csv".into(), bytes: b"kid,q,topic,right\nann,1,7,1\nann,2,7,0\n".to_vec() };
        let err = Classroom::from_files(std::slice::from_ref(&mapped), None).unwrap_err();
        assert!(err.starts_with("mine.csv:1:") && err.contains("columns are kid, q, topic, right"), "{err}");
        let m = Classroom::from_files(&[mapped], Some("student=kid,item=q,skill=topic,correct=right")).unwrap();
        assert_eq!(m.answers_of("ann").len(), 2);
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let mut log = demo_file(SKILL_BUILDER_FILE);
        log.bytes.extend_from_slice(b"oops,not,a,row\n");
        let line = log.bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
        let err = Classroom::from_files(&[log], None).unwrap_err();
        assert!(err.contains(&format!("skill_builder_data.csv:{line}")), "{err}");
        let err = Classroom::from_files(&[demo_file(STUDENT_ACTIVITY_FILE)], None).unwrap_err();
        assert!(err.contains("no answer log"), "{err}");
        let err = Classroom::from_files(&[UploadedFile { name: "t.json".into(), bytes: b"{".to_vec() }], None).unwrap_err();
        assert!(err.starts_with("t.json:1:"), "{err}");
    }

    /// The columns of a raw ASSISTments export (2009-2010 skill builder), as the site publishes it.
    const ASSISTMENTS_HEADER: &str = "order_id,assignment_id,user_id,assistment_id,problem_id,original,correct,attempt_count,ms_first_response,tutor_mode,answer_type,sequence_id,student_class_id,position,type,base_sequence_id,skill_id,skill_name,teacher_id,school_id,hint_count,hint_total,overlap_time,template_id,answer_id,answer_text,first_action,bottom_hint,opportunity,opportunity_original";

    #[test]
    fn a_latin1_assistments_export_keeps_its_accents() {
        // ISO-8859-1 bytes, as the export is published: É is 0xC9, é 0xE9, ç 0xE7, ü 0xFC.
        let mut bytes = format!("{ASSISTMENTS_HEADER}\n").into_bytes();
        for (order, user, problem, correct, skill, name) in [
            (1, &b"Jos\xe9"[..], 11, 1, 7, &b"\xc9quations"[..]),
            (2, b"Jos\xe9", 12, 0, 8, b"Fractions \xe0 r\xe9duire"),
            (3, b"Fran\xe7ois M\xfcller", 11, 0, 7, b"\xc9quations"),
        ] {
            bytes.extend_from_slice(format!("{order},33,").as_bytes());
            bytes.extend_from_slice(user);
            bytes.extend_from_slice(format!(",5,{problem},1,{correct},1,1200,tutor,algebra,42,9,1,MasterySection,42,{skill},").as_bytes());
            bytes.extend_from_slice(name);
            bytes.extend_from_slice(b",22,73,0,1,30,30,1,,0,0,1,1\n");
        }
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is Latin-1, not UTF-8");
        let c = Classroom::from_files(&[UploadedFile { name: "skill_builder_data.csv".into(), bytes }], None).unwrap();
        let d = &c.practice;
        let labels: Vec<&str> = (0..d.skills.len() as u32).map(|k| d.skill_label(k)).collect();
        assert_eq!(labels, ["Équations", "Fractions à réduire"]);
        assert_eq!(c.students_of(None), ["François Müller", "José"]);
        assert_eq!(c.answers_of("José").len(), 2);
        assert_eq!(c.classes(), vec![(Some(0), "Class 9".to_string())]);
    }
}
