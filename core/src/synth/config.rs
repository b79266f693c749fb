//! [`SynthConfig`]: every knob of the synthetic classroom, saved next to the data it made.

use serde::{Deserialize, Serialize};

use super::date;

/// The shape and behaviour of a generated classroom. Serialized into `config.json` so a data
/// set always carries the settings that reproduce it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SynthConfig {
    /// Seeds every random stream; the same config always yields the same bytes.
    pub seed: u64,
    pub n_schools: usize,
    pub classes_per_school: usize,
    /// 30 by default: the demo class has 30 students.
    pub students_per_class: usize,
    /// Classes cycle through the grades `grade_min..=grade_max`.
    pub grade_min: u8,
    pub grade_max: u8,
    /// Skills in curriculum order; each after the first few has 1-2 earlier prerequisites.
    pub n_skills: usize,
    pub problems_per_skill: usize,
    /// Share of problems tagged with a second (earlier) skill, as in ASSISTments.
    pub multi_skill_share: f64,
    /// Length of the simulated term in calendar days.
    pub days: u32,
    /// First day of the term, `YYYY-MM-DD`.
    pub start_date: String,
    /// Mean skill-builder sessions per student per school week (weekdays only).
    pub practice_sessions_per_week: f64,
    /// A session ends after three correct in a row or after this many problems.
    pub max_problems_per_session: usize,
    pub n_titles: usize,
    pub n_topics: usize,
    /// Mean reading sessions per student per week.
    pub reads_per_week: f64,
    /// How strongly classmates' recent reads pull a student's choice: a title's weight is
    /// multiplied by `1 + social_influence * (classmate reads in the window)`. 0 turns it off.
    pub social_influence: f64,
    /// The window, in days strictly before the reading day, that social influence looks at.
    pub social_window_days: u32,
    // The regime knobs below (issue 15) change what is predictable in the reading log. Each is
    // off by default and left out of `config.json` while off, so every world generated before
    // them keeps its bytes.
    /// Share of new-title choices that take the class's assigned reading of the week (a title
    /// at the class's reading level, drawn per class and week), when the student has not read it.
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub assigned_share: f64,
    /// Titles come in series of this many, sharing topic and level; 0 or 1: no series.
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub series_len: usize,
    /// A title's weight is multiplied by `1 + sequel_pull` for a student who read the previous
    /// title of its series and not this one.
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub sequel_pull: f64,
    /// Share of titles whose popularity rises and fades: a bump of a few weeks around a peak
    /// day drawn in the term, and little interest before or after it.
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub trend_share: f64,
    /// A holiday of this many days from the middle of the term, with no reading.
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub holiday_days: u32,
    /// Log-scale spread of class sizes around `students_per_class` (0: all the same size).
    #[serde(skip_serializing_if = "crate::runs::is_default")]
    pub class_size_spread: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            n_schools: 2,
            classes_per_school: 2,
            students_per_class: 30,
            grade_min: 6,
            grade_max: 8,
            n_skills: 20,
            problems_per_skill: 10,
            multi_skill_share: 0.15,
            days: 60,
            start_date: "2025-09-01".to_string(),
            practice_sessions_per_week: 3.0,
            max_problems_per_session: 10,
            n_titles: 200,
            n_topics: 8,
            reads_per_week: 3.0,
            social_influence: 0.6,
            social_window_days: 7,
            assigned_share: 0.0,
            series_len: 0,
            sequel_pull: 0.0,
            trend_share: 0.0,
            holiday_days: 0,
            class_size_spread: 0.0,
        }
    }
}

/// Distinct STUDY-style shelf codes (two letters, two digits).
pub const MAX_TITLES: usize = 26 * 26 * 100;

/// A config that cannot produce a classroom, with the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid synthetic classroom config: {0}")]
pub struct ConfigError(pub String);

impl SynthConfig {
    /// A few dozen students over three weeks: enough structure for unit tests, fast in debug.
    pub fn small() -> Self {
        Self {
            n_schools: 1,
            classes_per_school: 2,
            students_per_class: 12,
            n_skills: 8,
            problems_per_skill: 5,
            days: 21,
            n_titles: 40,
            n_topics: 4,
            ..Self::default()
        }
    }

    /// Checks every field the generator relies on, so generation itself cannot fail.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_string()));
        let counts = [
            ("n_schools", self.n_schools),
            ("classes_per_school", self.classes_per_school),
            ("students_per_class", self.students_per_class),
            ("n_skills", self.n_skills),
            ("problems_per_skill", self.problems_per_skill),
            ("max_problems_per_session", self.max_problems_per_session),
            ("n_titles", self.n_titles),
            ("n_topics", self.n_topics),
        ];
        for (name, v) in counts {
            if v == 0 {
                return Err(ConfigError(format!("{name} must be at least 1")));
            }
        }
        if self.n_titles > MAX_TITLES {
            return Err(ConfigError(format!("n_titles must be at most {MAX_TITLES} (shelf codes are two letters and two digits)")));
        }
        if self.days == 0 {
            return err("days must be at least 1");
        }
        if self.grade_min > self.grade_max {
            return err("grade_min must not exceed grade_max");
        }
        if !(0.0..=1.0).contains(&self.multi_skill_share) {
            return err("multi_skill_share must lie in [0, 1]");
        }
        let rates = [
            ("practice_sessions_per_week", self.practice_sessions_per_week),
            ("reads_per_week", self.reads_per_week),
            ("social_influence", self.social_influence),
            ("sequel_pull", self.sequel_pull),
            ("class_size_spread", self.class_size_spread),
        ];
        for (name, v) in rates {
            if !v.is_finite() || v < 0.0 {
                return Err(ConfigError(format!("{name} must be finite and non-negative, got {v}")));
            }
        }
        for (name, v) in [("assigned_share", self.assigned_share), ("trend_share", self.trend_share)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ConfigError(format!("{name} must lie in [0, 1], got {v}")));
            }
        }
        if self.series_len > self.n_titles {
            return err("series_len must not exceed n_titles");
        }
        if date::parse(&self.start_date).is_none() {
            return Err(ConfigError(format!("start_date '{}' is not a YYYY-MM-DD date", self.start_date)));
        }
        Ok(())
    }

    /// Number of students over all schools and classes when every class has
    /// `students_per_class` (with `class_size_spread` the generated count differs).
    pub fn n_students(&self) -> usize {
        self.n_schools * self.classes_per_school * self.students_per_class
    }
}
