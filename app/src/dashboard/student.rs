//! One student's page: mastery per skill after every answer (drawn as SVG lines), the recent
//! answers, and the skills and problems to practise next: the weakest skills whose
//! prerequisites the student has reached, never ones already proficient.

use std::collections::HashMap;

use classlens_core::infer::mastery::Tracer;
use classlens_core::sequences::kt::KtStep;

use super::levels::Thresholds;
use crate::classroom::Classroom;

/// How many of the last answers the history shows.
pub const HISTORY_ROWS: usize = 10;
/// Lines drawn in the chart: the skills the student answered most (a chart of 20 lines is noise).
pub const CHART_SKILLS: usize = 6;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryRow {
    /// Epoch seconds, when the log has a clock.
    pub time: Option<i64>,
    pub problem: String,
    pub skills: Vec<String>,
    pub correct: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NextSkill {
    /// Model skill index.
    pub skill: usize,
    pub label: String,
    pub probability: f32,
    /// Problems of this skill in the log that the student has not answered yet.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StudentView {
    pub student: String,
    pub labels: Vec<String>,
    /// Mastery before any answer, then after each answer the model saw.
    pub trajectory: Vec<Vec<f32>>,
    /// Skills drawn in the chart (model indices), most answered first.
    pub charted: Vec<usize>,
    /// Newest first.
    pub recent: Vec<HistoryRow>,
    pub next: Vec<NextSkill>,
    pub thresholds: Thresholds,
}

impl StudentView {
    /// `steps` are the student's model steps (from the model's sequences of `classroom`).
    pub fn new(model: &dyn Tracer, classroom: &Classroom, student: &str, steps: &[KtStep], thresholds: Thresholds, n_next: usize) -> Self {
        let traj = model.trajectory(steps);
        let n_skills = model.vocab().len();
        let mut attempts = vec![0usize; n_skills];
        steps.iter().flat_map(|s| &s.skills).for_each(|&k| attempts[k as usize] += 1);
        let mut charted: Vec<usize> = (0..n_skills).filter(|&k| attempts[k] > 0).collect();
        charted.sort_by(|&a, &b| attempts[b].cmp(&attempts[a]).then(a.cmp(&b)));
        charted.truncate(CHART_SKILLS);

        let d = &classroom.practice;
        let answers = classroom.answers_of(student);
        let recent = answers
            .iter()
            .rev()
            .take(HISTORY_ROWS)
            .map(|e| HistoryRow {
                time: e.time,
                problem: d.items.name(e.item).to_string(),
                skills: e.skills.iter().map(|&k| d.skill_labels.get(k as usize).cloned().flatten().unwrap_or_else(|| d.skills.name(k).to_string())).collect(),
                correct: e.correct == Some(true),
            })
            .collect();
        let answered: std::collections::HashSet<u32> = answers.iter().map(|e| e.item).collect();
        let now = traj.last().cloned().unwrap_or_default();
        let ids = model.vocab().names();
        let next = next_skills(&now, ids, &classroom.prerequisites, thresholds, n_next)
            .into_iter()
            .map(|k| {
                let data_skill = d.skills.get(&ids[k]);
                let mut problems: Vec<u32> =
                    d.events.iter().filter(|e| data_skill.is_some_and(|s| e.skills.contains(&s)) && !answered.contains(&e.item)).map(|e| e.item).collect();
                problems.sort_unstable();
                problems.dedup();
                NextSkill {
                    skill: k,
                    label: model.vocab().labels[k].clone(),
                    probability: now[k],
                    problems: problems.iter().take(3).map(|&i| d.items.name(i).to_string()).collect(),
                }
            })
            .collect();
        Self { student: student.to_string(), labels: model.vocab().labels.clone(), trajectory: traj, charted, recent, next, thresholds }
    }

    /// The chart's line for `skill` as SVG polyline points in a `width` × `height` box
    /// (x: answers so far, y: probability, 1 at the top).
    pub fn polyline(&self, skill: usize, width: f32, height: f32) -> String {
        let n = self.trajectory.len().max(2) - 1;
        self.trajectory
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", width * i as f32 / n as f32, height * (1.0 - p[skill])))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The skills to practise next: not yet proficient, every prerequisite the model knows at least
/// near proficient, lowest probability first. Skills with no known prerequisites are open.
pub fn next_skills(probabilities: &[f32], skill_ids: &[String], prerequisites: &HashMap<String, Vec<String>>, t: Thresholds, n: usize) -> Vec<usize> {
    let index: HashMap<&str, usize> = skill_ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let open =
        |k: usize| prerequisites.get(&skill_ids[k]).is_none_or(|pre| pre.iter().filter_map(|p| index.get(p.as_str())).all(|&j| probabilities[j] >= t.near));
    let mut candidates: Vec<usize> = (0..probabilities.len()).filter(|&k| (probabilities[k] < t.proficient || probabilities[k].is_nan()) && open(k)).collect();
    candidates.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]).then(a.cmp(&b)));
    candidates.truncate(n);
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn next_skills_skip_proficient_and_locked_ones() {
        let t = Thresholds::new(0.9, 0.6).unwrap();
        let pre: HashMap<String, Vec<String>> = [("3".to_string(), vec!["1".to_string()]), ("4".to_string(), vec!["2".to_string()])].into();
        // Skill 1 is weak (so 3 is locked), skill 2 is proficient (so 4 is open but 2 is not a candidate).
        let p = [0.5, 0.95, 0.2, 0.3];
        assert_eq!(next_skills(&p, &ids(4), &pre, t, 5), vec![3, 0]);
        assert_eq!(next_skills(&p, &ids(4), &HashMap::new(), t, 2), vec![2, 3]);
    }

    #[test]
    fn the_student_view_follows_the_demo_student() {
        let classroom = Classroom::demo().unwrap();
        let module = module_config().init(3, &classlens_core::models::device::reference_device());
        let names: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        let vocab = classlens_core::sequences::kt::SkillVocab::new(names);
        let train = classlens_core::models::dkt::DktTrainConfig { hidden: 8, window: 50, ..Default::default() };
        let config = classlens_core::models::dkt::DktRunConfig { model: "dkt".into(), dkt: module_config(), train };
        let model = classlens_core::models::dkt::DktModel {
            weights: classlens_core::models::dkt::kernel::DktWeights::from_model(&module),
            vocab,
            problems: Default::default(),
            config,
        };
        let (seqs, _) = model.sequences(&classroom.practice);
        let q = &seqs[0];
        let t = Thresholds::default();
        let v = StudentView::new(&model, &classroom, &q.student, &q.steps, t, 3);
        assert_eq!(v.trajectory.len(), q.steps.len() + 1);
        assert!(!v.charted.is_empty() && v.charted.len() <= CHART_SKILLS);
        assert_eq!(v.recent.len(), HISTORY_ROWS.min(q.steps.len()));
        let newest = classroom.answers_of(&q.student).last().map(|e| classroom.practice.items.name(e.item).to_string());
        assert_eq!(Some(v.recent[0].problem.clone()), newest);
        assert!(!v.next.is_empty() && v.next.iter().all(|n| n.probability < t.proficient));
        let answered: Vec<String> = classroom.answers_of(&q.student).iter().map(|e| classroom.practice.items.name(e.item).to_string()).collect();
        assert!(v.next.iter().flat_map(|n| &n.problems).all(|p| !answered.contains(p)));
        let line = v.polyline(v.charted[0], 100.0, 50.0);
        assert_eq!(line.split(' ').count(), v.trajectory.len());
        assert!(line.starts_with("0.0,") && line.split(' ').next_back().unwrap().starts_with("100.0,"));
    }

    fn module_config() -> classlens_core::models::dkt::net::DktConfig {
        classlens_core::models::dkt::net::DktConfig { n_skills: 20, hidden: 8, n_problems: 0 }
    }
}
