//! Writers: the classroom as the files real users bring (ASSISTments and STUDY formats), plus
//! JSON side files with the ground truth the CSVs cannot carry.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use serde::Serialize;

use super::SynthClassroom;

pub const SKILL_BUILDER_FILE: &str = "skill_builder_data.csv";
pub const STUDENT_ACTIVITY_FILE: &str = "student_activity.csv";
pub const STUDENT_INFO_FILE: &str = "student_info.csv";
pub const SCHOOL_INFO_FILE: &str = "school_info.csv";
pub const SKILLS_FILE: &str = "skills.json";
pub const TITLES_FILE: &str = "titles.json";
pub const CONFIG_FILE: &str = "config.json";

/// The raw ASSISTments 2009-2010 skill-builder header, all 30 columns in order.
pub const SKILL_BUILDER_HEADER: [&str; 30] = [
    "order_id",
    "assignment_id",
    "user_id",
    "assistment_id",
    "problem_id",
    "original",
    "correct",
    "attempt_count",
    "ms_first_response",
    "tutor_mode",
    "answer_type",
    "sequence_id",
    "student_class_id",
    "position",
    "type",
    "base_sequence_id",
    "skill_id",
    "skill_name",
    "teacher_id",
    "school_id",
    "hint_count",
    "hint_total",
    "overlap_time",
    "template_id",
    "answer_id",
    "answer_text",
    "first_action",
    "bottom_hint",
    "opportunity",
    "opportunity_original",
];

/// Problem sets (sequence ids) are one per skill.
const SEQUENCE_ID_BASE: u32 = 5_000;

/// Every output file as `(file name, bytes)`, in a fixed order. Works without a file system
/// (the browser app embeds these bytes and feeds them to the loaders).
pub fn render_files(c: &SynthClassroom) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    Ok(vec![
        (SKILL_BUILDER_FILE, skill_builder_csv(c)?),
        (STUDENT_ACTIVITY_FILE, student_activity_csv(c)?),
        (STUDENT_INFO_FILE, student_info_csv(c)?),
        (SCHOOL_INFO_FILE, school_info_csv(c)?),
        (SKILLS_FILE, skills_json(c)?),
        (TITLES_FILE, titles_json(c)?),
        (CONFIG_FILE, json(&c.config)?),
    ])
}

/// Writes every file of [`render_files`] into `dir` (created if missing), each atomically.
pub fn write_dir(c: &SynthClassroom, dir: &Path) -> io::Result<()> {
    for (name, bytes) in render_files(c)? {
        crate::io::write_atomic(&dir.join(name), &bytes)?;
    }
    Ok(())
}

fn csv_bytes(header: &[&str], rows: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    rows(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())
}

/// One row per (response, skill): a two-skill problem repeats the response with the same
/// order id. `opportunity` counts the student's rows on the skill so far (scaffolding included),
/// `opportunity_original` only original problems (empty on scaffolding rows).
fn skill_builder_csv(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    let mut opportunity: HashMap<(usize, usize), (u32, u32)> = HashMap::new();
    csv_bytes(&SKILL_BUILDER_HEADER, |w| {
        for r in &c.responses {
            let st = &c.students[r.student];
            let class = &c.classes[st.class];
            let p = &c.problems[r.problem];
            let sequence_id = SEQUENCE_ID_BASE + r.session_skill as u32;
            let bottom_hint = match r.hint_count {
                0 => String::new(),
                h => u8::from(h == p.hint_total).to_string(),
            };
            for &s in &p.skills {
                let skill = &c.skills[s];
                let (all, orig) = opportunity.entry((r.student, s)).or_default();
                *all += 1;
                if r.original {
                    *orig += 1;
                }
                w.write_record([
                    r.order_id.to_string(),
                    r.assignment_id.to_string(),
                    st.id.to_string(),
                    p.assistment_id.to_string(),
                    p.id.to_string(),
                    u8::from(r.original).to_string(),
                    u8::from(r.correct).to_string(),
                    r.attempt_count.to_string(),
                    r.ms_first_response.to_string(),
                    "tutor".to_string(),
                    p.answer_type.as_str().to_string(),
                    sequence_id.to_string(),
                    class.id.to_string(),
                    (r.session_skill + 1).to_string(),
                    "MasterySection".to_string(),
                    sequence_id.to_string(),
                    skill.id.to_string(),
                    skill.name.clone(),
                    class.teacher_id.to_string(),
                    c.schools[st.school].id.to_string(),
                    r.hint_count.to_string(),
                    p.hint_total.to_string(),
                    r.overlap_ms.to_string(),
                    p.template_id.to_string(),
                    r.answer_id.map(|a| a.to_string()).unwrap_or_default(),
                    r.answer_text.clone(),
                    r.first_action.to_string(),
                    bottom_hint.clone(),
                    all.to_string(),
                    if r.original { orig.to_string() } else { String::new() },
                ])?;
            }
        }
        Ok(())
    })
}

/// STUDY `student_activity.csv`: one row per reading session, in day order.
fn student_activity_csv(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    csv_bytes(&["StudentID", "SHLF_NUM", "Date", "Seconds Read"], |w| {
        for r in &c.reads {
            let date = c.date(r.day);
            w.write_record([c.students[r.student].id.to_string(), c.titles[r.title].id.clone(), date, r.seconds.to_string()])?;
        }
        Ok(())
    })
}

/// STUDY `student_info.csv`. `OrgnID` is the student's class (see the module docs of `synth`).
fn student_info_csv(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    csv_bytes(&["StudentID", "OrgnID", "GRADE_LVL_NBR"], |w| {
        for s in &c.students {
            w.write_record([s.id.to_string(), c.classes[s.class].id.to_string(), s.grade.to_string()])?;
        }
        Ok(())
    })
}

/// STUDY `school_info.csv`: each class (`OrgnID`) with its school (`Parent_Building_ID`).
fn school_info_csv(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    csv_bytes(&["OrgnID", "Parent_Building_ID"], |w| {
        for class in &c.classes {
            w.write_record([class.id.to_string(), c.schools[class.school].id.to_string()])?;
        }
        Ok(())
    })
}

#[derive(Serialize)]
struct SkillOut<'a> {
    id: u32,
    name: &'a str,
    /// Skill ids, not indices.
    prerequisites: Vec<u32>,
}

fn skills_json(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    let out: Vec<SkillOut> =
        c.skills.iter().map(|s| SkillOut { id: s.id, name: &s.name, prerequisites: s.prerequisites.iter().map(|&p| c.skills[p].id).collect() }).collect();
    json(&out)
}

#[derive(Serialize)]
struct TitleOut<'a> {
    id: &'a str,
    name: &'a str,
    level: u8,
    topic: &'a str,
}

fn titles_json(c: &SynthClassroom) -> io::Result<Vec<u8>> {
    let out: Vec<TitleOut> = c.titles.iter().map(|t| TitleOut { id: &t.id, name: &t.name, level: t.level, topic: &c.topics[t.topic] }).collect();
    json(&out)
}

fn json(value: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}
