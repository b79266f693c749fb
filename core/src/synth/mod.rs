//! The built-in synthetic classroom: the app's demo data and the tests' fixture.
//!
//! [`generate`] simulates a term of a few schools: students with a latent ability practise math
//! skills in ASSISTments-style skill builders (and learn from it), and read library titles,
//! nudged by what their classmates read in the days before. [`write_dir`] / [`render_files`]
//! turn the result into the files users bring: `skill_builder_data.csv` (raw ASSISTments 2009
//! columns) and the STUDY trio `student_activity.csv`, `student_info.csv`, `school_info.csv`,
//! plus `skills.json`, `titles.json` and `config.json`. Both formats use the same student ids.
//!
//! Generation is deterministic per [`SynthConfig`] (ChaCha8 streams seeded from `seed`; each
//! part of the simulation and each student draws from its own stream, so e.g. changing
//! `social_influence` changes only reading choices).
//!
//! ## Mapping onto the STUDY format
//! STUDY's `OrgnID` normally names a school and its reference code groups "classrooms" by
//! `OrgnID` and school year. So that a STUDY classroom is exactly one simulated class (the unit
//! social influence works within), `student_info.csv` gives each student's *class* id as
//! `OrgnID` (the same number as `student_class_id` in the ASSISTments file), and
//! `school_info.csv` maps each class to its school as `Parent_Building_ID` (the ASSISTments
//! `school_id`).
//!
//! ## Ids
//! Students `70001..`, classes `101..`, schools `1..`, skills `1..=n_skills` in curriculum
//! order, problems `10001..` (originals first, then scaffolding), order ids `20000001..` in time
//! order. Titles have STUDY-like shelf codes such as `HB11`.

mod config;
mod curriculum;
mod date;
mod practice;
mod reading;
mod sample;
mod students;
mod write;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use config::{ConfigError, SynthConfig};
pub use write::{
    CONFIG_FILE, SCHOOL_INFO_FILE, SKILL_BUILDER_FILE, SKILL_BUILDER_HEADER, SKILLS_FILE, STUDENT_ACTIVITY_FILE, STUDENT_INFO_FILE, TITLES_FILE, render_files,
    write_dir,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct School {
    /// `school_id` in ASSISTments, `Parent_Building_ID` in STUDY.
    pub id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    /// `student_class_id` in ASSISTments, `OrgnID` in STUDY.
    pub id: u32,
    /// Index into [`SynthClassroom::schools`].
    pub school: usize,
    pub grade: u8,
    pub teacher_id: u32,
    /// Curriculum speed relative to the default plan (1.0).
    pub pace: f64,
    /// Per week of the term, the skills (indices into [`SynthClassroom::skills`]) the class is
    /// practising: the ground truth for "what the class works on now".
    pub weekly_skills: Vec<Vec<usize>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Student {
    /// `user_id` in ASSISTments, `StudentID` in STUDY.
    pub id: u32,
    /// Index into [`SynthClassroom::classes`].
    pub class: usize,
    /// Index into [`SynthClassroom::schools`].
    pub school: usize,
    pub grade: u8,
    /// Latent ability (about standard normal): ground truth for evaluating models.
    pub ability: f64,
    /// Knowledge gained per attempt, before prerequisite gating and diminishing returns.
    pub learning_rate: f64,
    /// The title level (1-5) the student reads most comfortably.
    pub reading_level: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    /// 1-based, in curriculum order.
    pub id: u32,
    /// ASCII only.
    pub name: String,
    /// Indices of earlier skills (always smaller than this skill's index).
    pub prerequisites: Vec<usize>,
    pub difficulty: f64,
    /// Indices into [`SynthClassroom::problems`] of the original problems whose first skill
    /// this is.
    pub problems: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnswerType {
    /// Typed answer: hard to guess.
    Algebra,
    /// Multiple choice.
    Choose1,
}

impl AnswerType {
    /// The ASSISTments `answer_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerType::Algebra => "algebra",
            AnswerType::Choose1 => "choose_1",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub id: u32,
    /// Shared by a problem and its scaffolding sub-questions.
    pub assistment_id: u32,
    pub template_id: u32,
    /// Skill indices: the problem's own skill first, sometimes a second, earlier one.
    pub skills: Vec<usize>,
    pub difficulty: f64,
    pub guess: f64,
    pub slip: f64,
    pub answer_type: AnswerType,
    pub hint_total: u8,
    /// The right answer (a number, as ASSISTments algebra problems mostly have).
    pub answer: i32,
    /// Indices of this problem's scaffolding sub-questions, asked after some wrong answers.
    pub scaffolds: Vec<usize>,
    /// For a scaffolding sub-question, the index of its original problem.
    pub scaffold_of: Option<usize>,
}

/// One answered problem (one row per skill once written out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemRow {
    /// Increasing in time over the whole classroom.
    pub order_id: u64,
    /// Index into [`SynthClassroom::students`].
    pub student: usize,
    /// Index into [`SynthClassroom::problems`].
    pub problem: usize,
    /// False for scaffolding sub-questions (`original = 0`).
    pub original: bool,
    pub correct: bool,
    /// The skill builder (skill index) this response belongs to.
    pub session_skill: usize,
    pub assignment_id: u32,
    pub attempt_count: u8,
    pub ms_first_response: u32,
    pub overlap_ms: u32,
    pub hint_count: u8,
    /// 0 = answered first, 1 = asked for a hint first.
    pub first_action: u8,
    pub answer_id: Option<u32>,
    pub answer_text: String,
    /// Day of the term (0 = `start_date`).
    pub day: u32,
    /// Seconds since the Unix epoch when the response was done (not an ASSISTments column:
    /// there, order ids carry the order).
    pub time: i64,
    /// The true probability the answer was right: an upper bound for any model's calibration.
    pub p_correct: f32,
}

/// One reading session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingRow {
    /// Index into [`SynthClassroom::students`].
    pub student: usize,
    /// Index into [`SynthClassroom::titles`].
    pub title: usize,
    /// Day of the term (0 = `start_date`).
    pub day: u32,
    pub seconds: u32,
    /// The student picked up the unfinished title of their previous session.
    pub continuation: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Title {
    /// STUDY `SHLF_NUM`, e.g. `HB11`.
    pub id: String,
    pub name: String,
    /// Reading level 1-5.
    pub level: u8,
    /// Index into [`SynthClassroom::topics`].
    pub topic: usize,
    pub popularity: f64,
    /// Reading time needed to finish the title.
    pub length_seconds: u32,
}

/// A generated term: plain rows plus the ground truth behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthClassroom {
    pub config: SynthConfig,
    /// `start_date` as days since 1970-01-01.
    pub start_day: i64,
    pub schools: Vec<School>,
    pub classes: Vec<Class>,
    pub students: Vec<Student>,
    pub skills: Vec<Skill>,
    pub problems: Vec<Problem>,
    pub topics: Vec<String>,
    pub titles: Vec<Title>,
    /// In order id (time) order.
    pub responses: Vec<ProblemRow>,
    /// In day order.
    pub reads: Vec<ReadingRow>,
}

impl SynthClassroom {
    /// `YYYY-MM-DD` of a day of the term.
    pub fn date(&self, day: u32) -> String {
        date::format(self.start_day + i64::from(day))
    }
}

/// Stream ids of the shared (not per-student) random streams.
const CURRICULUM_STREAM: u64 = 1;
const STUDENTS_STREAM: u64 = 2;
const TITLES_STREAM: u64 = 3;

/// Generates a classroom.
///
/// # Panics
/// If `config` fails [`SynthConfig::validate`]; use [`try_generate`] for untrusted configs.
pub fn generate(config: &SynthConfig) -> SynthClassroom {
    try_generate(config).unwrap_or_else(|e| panic!("{e}"))
}

/// Generates a classroom, or says why the config cannot make one.
pub fn try_generate(config: &SynthConfig) -> Result<SynthClassroom, ConfigError> {
    config.validate()?;
    let cfg = config;
    let start_day = date::parse(&cfg.start_date).expect("validated");

    let mut rng = sample::stream(cfg.seed, CURRICULUM_STREAM);
    let mut skills = curriculum::skills(cfg, &mut rng);
    let problems = curriculum::problems(cfg, &mut skills, &mut rng);

    let (schools, classes, students) = students::build(cfg, &mut sample::stream(cfg.seed, STUDENTS_STREAM));
    let responses = practice::simulate(cfg, start_day, &skills, &problems, &classes, &students);

    let topics = reading::topics(cfg);
    let titles = reading::titles(cfg, &mut sample::stream(cfg.seed, TITLES_STREAM));
    let reads = reading::simulate(cfg, start_day, &titles, &students, classes.len());

    Ok(SynthClassroom { config: cfg.clone(), start_day, schools, classes, students, skills, problems, topics, titles, responses, reads })
}

/// The demo classroom: the default config with seed 7 (two schools, four classes of 30).
pub fn default_classroom() -> SynthClassroom {
    generate(&SynthConfig { seed: 7, ..SynthConfig::default() })
}
