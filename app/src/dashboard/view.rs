//! The class heatmap and the summaries beside it: the weakest skills with a re-teach or
//! small-group hint, and the students at risk on what the class is practising now.

use std::collections::{HashMap, HashSet};

use classlens_core::infer::mastery::MasteryTable;
use classlens_core::sequences::kt::KtSequence;
use serde::{Deserialize, Serialize};

use super::levels::{Level, Thresholds};

/// One heatmap cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub probability: f32,
    /// Answers the student gave on this skill (the evidence behind the cell).
    pub attempts: usize,
    pub level: Level,
}

/// When at least this share of the students with evidence on a skill are below "near
/// proficient", the hint is to re-teach the class; with fewer, to work with a small group.
pub const RETEACH_SHARE: f32 = 0.5;
/// A skill gets a hint (and a place among the weakest) only when at least this many students
/// have enough answers on it ([`Thresholds::min_answers`]): "re-teach to the class" from two
/// students' answers would steer a lesson by noise.
pub const HINT_MIN_STUDENTS: usize = 5;
/// "What the class is practising now": skills in at least this share of students' last
/// [`RECENT_STEPS`] answers.
pub const CURRENT_SHARE: f32 = 0.25;
pub const RECENT_STEPS: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    ReteachClass,
    SmallGroup(Vec<String>),
    None,
    /// Fewer than [`HINT_MIN_STUDENTS`] students have enough answers: no advice.
    TooFewStudents,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkillSummary {
    pub skill: usize,
    pub label: String,
    /// Mean probability over students with evidence.
    pub mean: f32,
    /// Students with at least [`Thresholds::min_answers`] answers on the skill: the mean, the
    /// count below near proficient and the hint are over them only.
    pub with_evidence: usize,
    pub below_near: Vec<String>,
    pub hint: Hint,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AtRisk {
    pub student: String,
    /// Current skills the student is at "remediation" on: (skill index, probability).
    pub skills: Vec<(usize, f32)>,
}

/// Students × skills, in display order (sorting permutes `students`/`rows` and `skill_order`).
/// Plain data (serde), so a Worker can send it to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassView {
    pub skill_ids: Vec<String>,
    pub labels: Vec<String>,
    pub students: Vec<String>,
    /// `cells[student][skill]`, skills in model order.
    pub cells: Vec<Vec<Cell>>,
    /// The order skills are shown in (indices into `labels`).
    pub skill_order: Vec<usize>,
    /// Skills in the last answers of each student (model indices), for "practising now".
    recent: HashMap<String, HashSet<usize>>,
    thresholds: Thresholds,
}

impl ClassView {
    /// `seqs` are the students' model steps (the evidence counts come from them).
    pub fn new(table: &MasteryTable, seqs: &[KtSequence], thresholds: Thresholds) -> Self {
        let by_student: HashMap<&str, &KtSequence> = seqs.iter().map(|q| (q.student.as_str(), q)).collect();
        let n_skills = table.skills.len();
        let mut recent = HashMap::new();
        let cells = table
            .rows
            .iter()
            .map(|(student, probs)| {
                let mut attempts = vec![0usize; n_skills];
                if let Some(q) = by_student.get(student.as_str()) {
                    for step in &q.steps {
                        step.skills.iter().for_each(|&s| attempts[s as usize] += 1);
                    }
                    let last = &q.steps[q.steps.len().saturating_sub(RECENT_STEPS)..];
                    recent.insert(student.clone(), last.iter().flat_map(|s| s.skills.iter().map(|&k| k as usize)).collect());
                }
                probs.iter().zip(attempts).map(|(&p, a)| Cell { probability: p, attempts: a, level: thresholds.level(p, a) }).collect()
            })
            .collect();
        Self {
            skill_ids: table.skills.clone(),
            labels: table.labels.clone(),
            students: table.rows.iter().map(|(s, _)| s.clone()).collect(),
            cells,
            skill_order: (0..n_skills).collect(),
            recent,
            thresholds,
        }
    }

    /// Sorts students by name, or by their probability on `skill` (lowest first: who needs help).
    pub fn sort_students(&mut self, by_skill: Option<usize>) {
        let mut order: Vec<usize> = (0..self.students.len()).collect();
        match by_skill {
            None => order.sort_by(|&a, &b| self.students[a].cmp(&self.students[b])),
            Some(k) => {
                order.sort_by(|&a, &b| self.cells[a][k].probability.total_cmp(&self.cells[b][k].probability).then(self.students[a].cmp(&self.students[b])))
            }
        }
        self.students = order.iter().map(|&i| self.students[i].clone()).collect();
        self.cells = order.iter().map(|&i| self.cells[i].clone()).collect();
    }

    /// Shows skills by name, or by the class's mean probability (weakest first).
    pub fn sort_skills(&mut self, by_mean: bool) {
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        if by_mean {
            let means: Vec<f32> = order.iter().map(|&k| self.summary(k).mean).collect();
            order.sort_by(|&a, &b| means[a].total_cmp(&means[b]).then(a.cmp(&b)));
        } else {
            order.sort_by(|&a, &b| self.labels[a].cmp(&self.labels[b]));
        }
        self.skill_order = order;
    }

    pub fn summary(&self, skill: usize) -> SkillSummary {
        let mut sum = 0.0f32;
        let mut with_evidence = 0;
        let mut below_near = Vec::new();
        for (student, row) in self.students.iter().zip(&self.cells) {
            let c = row[skill];
            if c.attempts < self.thresholds.min_answers.max(1) {
                continue;
            }
            with_evidence += 1;
            sum += c.probability;
            if c.level == Level::Remediation {
                below_near.push(student.clone());
            }
        }
        let mean = if with_evidence > 0 { sum / with_evidence as f32 } else { f32::NAN };
        let hint = if with_evidence < HINT_MIN_STUDENTS {
            Hint::TooFewStudents
        } else if below_near.len() as f32 >= RETEACH_SHARE * with_evidence as f32 {
            Hint::ReteachClass
        } else if !below_near.is_empty() {
            Hint::SmallGroup(below_near.clone())
        } else {
            Hint::None
        };
        SkillSummary { skill, label: self.labels[skill].clone(), mean, with_evidence, below_near, hint }
    }

    /// The `n` skills with the lowest class mean among skills with evidence from at least
    /// [`HINT_MIN_STUDENTS`] students.
    pub fn weakest_skills(&self, n: usize) -> Vec<SkillSummary> {
        let mut all: Vec<SkillSummary> = (0..self.labels.len()).map(|k| self.summary(k)).filter(|s| s.with_evidence >= HINT_MIN_STUDENTS).collect();
        all.sort_by(|a, b| a.mean.total_cmp(&b.mean).then(a.skill.cmp(&b.skill)));
        all.truncate(n);
        all
    }

    /// Skills with some evidence that no hint is given for, because fewer than
    /// [`HINT_MIN_STUDENTS`] students have enough answers on them.
    pub fn skills_without_hint(&self) -> usize {
        (0..self.labels.len()).map(|k| self.summary(k)).filter(|s| s.hint == Hint::TooFewStudents && self.cells.iter().any(|r| r[s.skill].attempts > 0)).count()
    }

    /// Skills in the recent answers of at least [`CURRENT_SHARE`] of the students.
    pub fn current_skills(&self) -> Vec<usize> {
        let mut count = vec![0usize; self.labels.len()];
        self.recent.values().flatten().for_each(|&k| count[k] += 1);
        let need = (CURRENT_SHARE * self.students.len() as f32).ceil().max(1.0) as usize;
        (0..count.len()).filter(|&k| count[k] >= need).collect()
    }

    /// Students at "remediation" on a skill the class is practising now, most such skills first.
    pub fn at_risk(&self) -> Vec<AtRisk> {
        let current = self.current_skills();
        let mut out: Vec<AtRisk> = self
            .students
            .iter()
            .zip(&self.cells)
            .filter_map(|(student, row)| {
                let skills: Vec<(usize, f32)> = current.iter().filter(|&&k| row[k].level == Level::Remediation).map(|&k| (k, row[k].probability)).collect();
                (!skills.is_empty()).then(|| AtRisk { student: student.clone(), skills })
            })
            .collect();
        let worst = |r: &AtRisk| r.skills.iter().map(|s| s.1).fold(f32::INFINITY, f32::min);
        out.sort_by(|a, b| b.skills.len().cmp(&a.skills.len()).then(worst(a).total_cmp(&worst(b))));
        out
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The table behind the view, students in display order and skills in model order (what
    /// "Export CSV" writes).
    pub fn to_table(&self) -> MasteryTable {
        let rows = self.students.iter().zip(&self.cells).map(|(s, row)| (s.clone(), row.iter().map(|c| c.probability).collect())).collect();
        MasteryTable { skills: self.skill_ids.clone(), labels: self.labels.clone(), rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classlens_core::sequences::kt::KtStep;

    /// Eight students, two skills (MATHia levels, at least 3 answers for a level). Everyone
    /// answered skill 1 early; `a`, `b`, `f`, `g`, `h` answered skill 0 three times and `e` once.
    fn view() -> ClassView {
        let rows = [
            ("d", [0.9, 0.6]),
            ("a", [0.3, 0.8]),
            ("b", [0.5, 0.96]),
            ("c", [0.97, 0.99]),
            ("e", [0.4, 0.85]),
            ("f", [0.95, 0.9]),
            ("g", [0.2, 0.9]),
            ("h", [0.85, 0.9]),
        ];
        let table = MasteryTable {
            skills: vec!["k0".into(), "k1".into()],
            labels: vec!["Fractions".into(), "Decimals".into()],
            rows: rows.iter().map(|(s, p)| (s.to_string(), p.to_vec())).collect(),
        };
        let steps = |k1: usize, k0: usize| [vec![1u32; k1], vec![0u32; k0]].concat().into_iter().map(|k| KtStep::new(vec![k], true)).collect();
        let answers = [("a", 1, 3), ("b", 1, 3), ("c", 3, 0), ("d", 3, 0), ("e", 3, 1), ("f", 3, 3), ("g", 3, 3), ("h", 3, 3)];
        let seqs: Vec<KtSequence> = answers.iter().map(|&(s, k1, k0)| KtSequence { student: s.into(), steps: steps(k1, k0) }).collect();
        ClassView::new(&table, &seqs, Thresholds::MATHIA)
    }

    fn row(v: &ClassView, s: &str) -> usize {
        v.students.iter().position(|x| x == s).unwrap()
    }

    #[test]
    fn cells_carry_evidence_and_levels() {
        let v = view();
        assert_eq!(v.cells[row(&v, "a")][0], Cell { probability: 0.3, attempts: 3, level: Level::Remediation });
        assert_eq!(v.cells[row(&v, "c")][0].level, Level::NotStarted, "c never answered skill 0");
        assert_eq!(v.cells[row(&v, "e")][0], Cell { probability: 0.4, attempts: 1, level: Level::NotEnoughData }, "one answer is no finding");
    }

    #[test]
    fn weakest_skills_come_with_the_right_hint_from_students_with_enough_answers() {
        let w = view().weakest_skills(5);
        // Fractions: a, b, f, g, h have 3 answers (e's one answer does not count); a, b, g are
        // below 70%: re-teach the class.
        assert_eq!((w[0].label.as_str(), w[0].with_evidence, w[0].hint.clone()), ("Fractions", 5, Hint::ReteachClass));
        assert!((w[0].mean - 0.56).abs() < 1e-6, "{}", w[0].mean);
        assert_eq!(w[0].below_near, ["a", "b", "g"]);
        // Decimals: c, d, e, f, g, h (a and b answered it once); only d is below: a small group.
        assert_eq!((w[1].with_evidence, w[1].hint.clone()), (6, Hint::SmallGroup(vec!["d".into()])));
    }

    #[test]
    fn skills_with_too_few_students_get_no_hint_and_are_counted() {
        let mut v = view();
        // Keep four students: no skill has five with enough answers.
        v.students.truncate(4);
        v.cells.truncate(4);
        assert!(v.weakest_skills(5).is_empty());
        assert_eq!(v.summary(0).hint, Hint::TooFewStudents);
        assert_eq!(v.skills_without_hint(), 2);
        assert_eq!(view().skills_without_hint(), 0);
    }

    #[test]
    fn at_risk_means_low_on_what_the_class_practises_now() {
        let v = view();
        assert_eq!(v.current_skills(), vec![0, 1]);
        let names: Vec<String> = v.at_risk().into_iter().map(|r| r.student).collect();
        assert_eq!(names, ["g", "a", "b", "d"], "lowest first; e (one answer on skill 0) is not at risk on a guess");
    }

    #[test]
    fn sorting_by_skill_and_by_name() {
        let mut v = view();
        v.sort_students(Some(0));
        assert_eq!(v.students, ["g", "a", "e", "b", "h", "d", "f", "c"]);
        assert_eq!(v.cells[0][0].probability, 0.2, "cells move with their student");
        v.sort_students(None);
        assert_eq!(v.students, ["a", "b", "c", "d", "e", "f", "g", "h"]);
        v.sort_skills(true);
        assert_eq!(v.skill_order, [0, 1], "Fractions (mean 0.56) is weaker than Decimals");
        v.sort_skills(false);
        assert_eq!(v.skill_order, [1, 0], "by name: Decimals, Fractions");
        let t = v.to_table();
        assert_eq!(t.rows[0], ("a".to_string(), vec![0.3, 0.8]), "students as shown, skills in model order");
        assert_eq!((t.skills, t.labels), (vec!["k0".to_string(), "k1".to_string()], vec!["Fractions".to_string(), "Decimals".to_string()]));
    }
}
