//! Named mastery levels with the probability behind them.
//!
//! The defaults are classlens's own, 80 / 60: Proficient from 80%, Near proficient from 60%,
//! Remediation suggested below 60%, Not started without answers, and Not enough data with fewer
//! answers than [`Thresholds::min_answers`] (3 by default): a probability read off one or two
//! answers is mostly the model's prior, and a level would dress that guess up as a finding (see
//! [`Thresholds`]'s `Default` for why these numbers). They are settings, because schools set
//! their own.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    NotStarted,
    /// Some answers, fewer than [`Thresholds::min_answers`].
    NotEnoughData,
    Remediation,
    NearProficient,
    Proficient,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::NotStarted => "Not started",
            Level::NotEnoughData => "Not enough data",
            Level::Remediation => "Remediation suggested",
            Level::NearProficient => "Near proficient",
            Level::Proficient => "Proficient",
        }
    }

    /// A short code printed in each heatmap cell, so colour is never the only cue.
    pub fn code(self) -> &'static str {
        match self {
            Level::NotStarted => "–",
            Level::NotEnoughData => "?",
            Level::Remediation => "R",
            Level::NearProficient => "N",
            Level::Proficient => "P",
        }
    }
}

/// Where the levels start. `near ≤ proficient`, both in (0, 1]; `min_answers` ≥ 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub proficient: f32,
    pub near: f32,
    /// Answers on a skill below which a cell is "Not enough data" rather than a level (settings
    /// saved before it existed read as the default).
    #[serde(default = "default_min_answers")]
    pub min_answers: usize,
}

/// The default of [`Thresholds::min_answers`].
pub const MIN_ANSWERS: usize = 3;

fn default_min_answers() -> usize {
    MIN_ANSWERS
}

/// classlens's defaults, 80 / 60, not MATHia's 95 / 70: MATHia's levels apply to a mastery
/// estimate with slips taken out (BKT's P(known)), while DKT predicts the chance of a correct
/// answer, slips included. With slips of 3-10% (the built-in classroom's, and common in real
/// logs) that chance stays near 90% for a student who knows the skill, so at 95% nobody is ever
/// proficient (the demo DKT's highest cell is 0.90). The teacher can pick MATHia's in settings.
impl Default for Thresholds {
    fn default() -> Self {
        Self { proficient: 0.80, near: 0.60, min_answers: MIN_ANSWERS }
    }
}

impl Thresholds {
    /// MATHia's levels: Proficient ≥ 95%, Near Proficient 70-94%, Remediation Suggested < 70%.
    pub const MATHIA: Thresholds = Thresholds { proficient: 0.95, near: 0.70, min_answers: MIN_ANSWERS };

    /// Checked thresholds: a settings form must not be able to make every level unreachable.
    pub fn new(proficient: f32, near: f32) -> Result<Self, String> {
        if !(near > 0.0 && near <= proficient && proficient <= 1.0) {
            return Err(format!("expected 0 < near ({near}) ≤ proficient ({proficient}) ≤ 1"));
        }
        Ok(Self { proficient, near, min_answers: MIN_ANSWERS })
    }

    /// The same levels with another evidence setting (at least one answer).
    pub fn with_min_answers(self, min_answers: usize) -> Result<Self, String> {
        if min_answers == 0 {
            return Err("a level needs at least 1 answer".into());
        }
        Ok(Self { min_answers, ..self })
    }

    /// The level of probability `p` given `attempts` answers on the skill: without evidence the
    /// model's prior is not a finding about this student.
    pub fn level(&self, p: f32, attempts: usize) -> Level {
        if attempts == 0 {
            Level::NotStarted
        } else if attempts < self.min_answers {
            Level::NotEnoughData
        } else if p >= self.proficient {
            Level::Proficient
        } else if p >= self.near {
            Level::NearProficient
        } else {
            Level::Remediation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mathia_levels_and_boundaries() {
        let t = Thresholds::MATHIA;
        assert_eq!(t.level(0.95, 3), Level::Proficient);
        assert_eq!(t.level(0.949, 3), Level::NearProficient);
        assert_eq!(t.level(0.70, 3), Level::NearProficient);
        assert_eq!(t.level(0.699, 3), Level::Remediation);
        assert_eq!(t.level(0.99, 0), Level::NotStarted, "no evidence, whatever the prior");
    }

    #[test]
    fn the_defaults_are_80_and_60() {
        let t = Thresholds::default();
        assert_eq!((t.proficient, t.near), (0.80, 0.60));
        assert_eq!(t.level(0.80, 3), Level::Proficient);
        assert_eq!(t.level(0.799, 3), Level::NearProficient);
        assert_eq!(t.level(0.60, 3), Level::NearProficient);
        assert_eq!(t.level(0.599, 3), Level::Remediation);
    }

    #[test]
    fn fewer_answers_than_the_setting_give_no_level() {
        let t = Thresholds::default();
        assert_eq!(t.min_answers, 3);
        assert_eq!(t.level(0.05, 2), Level::NotEnoughData, "two answers are not a finding, however low");
        assert_eq!(t.level(0.99, 1), Level::NotEnoughData);
        assert_eq!(t.level(0.05, 3), Level::Remediation);
        let one = t.with_min_answers(1).unwrap();
        assert_eq!(one.level(0.99, 1), Level::Proficient);
        assert!(t.with_min_answers(0).is_err());
        // Settings saved before the evidence setting existed read with the default.
        let old: Thresholds = serde_json::from_str(r#"{"proficient":0.9,"near":0.7}"#).unwrap();
        assert_eq!(old.min_answers, MIN_ANSWERS);
    }

    #[test]
    fn thresholds_are_settings_and_checked() {
        let t = Thresholds::new(0.8, 0.5).unwrap();
        assert_eq!(t.level(0.85, 3), Level::Proficient);
        assert_eq!(t.level(0.6, 3), Level::NearProficient);
        assert!(Thresholds::new(0.5, 0.8).is_err());
        assert!(Thresholds::new(1.2, 0.8).is_err());
        assert!(Thresholds::new(0.9, 0.0).is_err());
        let d = Thresholds::default();
        assert_eq!(Thresholds::new(d.proficient, d.near), Ok(d), "the defaults pass their own check");
    }
}
