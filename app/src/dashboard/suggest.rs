//! The class's next steps: the problems to practise (the weakest skills the class has reached,
//! by class mean) and the readings STUDY suggests to most of its students, with the reasons a
//! teacher can check ("read this week by 4 classmates", the model's score).

use std::collections::HashMap;

use classlens_core::infer::recommend::StudentSuggestions;

use super::student::next_skills;
use super::view::{ClassView, HINT_MIN_STUDENTS};

#[derive(Debug, Clone, PartialEq)]
pub struct ClassReading {
    pub title: String,
    /// The title's name when a `titles.json` gave one, else its id.
    pub name: String,
    /// Students it is among the suggestions for.
    pub students: usize,
    /// Mean model score over those students.
    pub mean_score: f32,
    /// Classmates who read it in the week before (the social reason).
    pub classmates_recent: usize,
}

/// Titles suggested to the most students of the class, then by mean score.
pub fn class_readings(found: &[StudentSuggestions], titles: &HashMap<String, String>, n: usize) -> Vec<ClassReading> {
    let mut by_title: HashMap<&str, (usize, f32, usize)> = HashMap::new();
    for s in found.iter().flat_map(|f| &f.suggestions) {
        let e = by_title.entry(s.title.as_str()).or_default();
        e.0 += 1;
        e.1 += s.score;
        e.2 = e.2.max(s.classmates_recent);
    }
    let mut out: Vec<ClassReading> = by_title
        .into_iter()
        .map(|(t, (students, sum, recent))| ClassReading {
            title: t.to_string(),
            name: titles.get(t).cloned().unwrap_or_else(|| t.to_string()),
            students,
            mean_score: sum / students as f32,
            classmates_recent: recent,
        })
        .collect();
    out.sort_by(|a, b| b.students.cmp(&a.students).then(b.mean_score.total_cmp(&a.mean_score)).then(a.title.cmp(&b.title)));
    out.truncate(n);
    out
}

/// The class's next skills: [`next_skills`] on the class mean of each skill, as (skill index,
/// class mean). Like the hints, a class mean counts only with evidence from at least
/// [`HINT_MIN_STUDENTS`] students (each with enough answers); other skills are neither listed nor
/// count as a reached prerequisite.
pub fn class_next_skills(view: &ClassView, prerequisites: &HashMap<String, Vec<String>>, n: usize) -> Vec<(usize, f32)> {
    let k = view.labels.len();
    let means: Vec<f32> = (0..k).map(|s| view.summary(s)).map(|s| if s.with_evidence >= HINT_MIN_STUDENTS { s.mean } else { f32::NAN }).collect();
    next_skills(&means, &view.skill_ids, prerequisites, view.thresholds(), k)
        .into_iter()
        .filter(|&s| !means[s].is_nan())
        .take(n)
        .map(|s| (s, means[s]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use classlens_core::models::study::infer::Suggestion;

    fn s(student: &str, titles: &[(&str, f32, usize)]) -> StudentSuggestions {
        StudentSuggestions {
            student: student.into(),
            suggestions: titles.iter().map(|&(t, score, c)| Suggestion { title: t.into(), score, classmates_recent: c }).collect(),
        }
    }

    #[test]
    fn the_class_next_skills_need_evidence_from_enough_students() {
        use crate::dashboard::levels::Thresholds;
        use classlens_core::infer::mastery::MasteryTable;
        use classlens_core::sequences::kt::{KtSequence, KtStep};
        // Six students answered skill 0 three times; only one answered skill 1 (three times).
        let students: Vec<String> = (0..6).map(|i| format!("s{i}")).collect();
        let table = MasteryTable {
            skills: vec!["k0".into(), "k1".into()],
            labels: vec!["A".into(), "B".into()],
            rows: students.iter().map(|s| (s.clone(), vec![0.5, 0.1])).collect(),
        };
        let seqs: Vec<KtSequence> = students
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let skills: Vec<u32> = if i == 0 { vec![0, 0, 0, 1, 1, 1] } else { vec![0, 0, 0] };
                KtSequence { student: s.clone(), steps: skills.into_iter().map(|k| KtStep::new(vec![k], true)).collect() }
            })
            .collect();
        let view = ClassView::new(&table, &seqs, Thresholds::default());
        let next = class_next_skills(&view, &HashMap::new(), 5);
        assert_eq!(next, vec![(0, 0.5)], "skill 1's mean (0.1, one student) is no finding about the class");
    }

    #[test]
    fn readings_suggested_to_more_students_come_first_with_their_reasons() {
        let found = [s("a", &[("X", 0.2, 1), ("Y", 0.5, 0)]), s("b", &[("X", 0.4, 3)]), s("c", &[("Z", 0.9, 0)])];
        let names: HashMap<String, String> = [("X".to_string(), "Fractions".to_string())].into();
        let r = class_readings(&found, &names, 2);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].title.as_str(), r[0].name.as_str(), r[0].students, r[0].classmates_recent), ("X", "Fractions", 2, 3));
        assert!((r[0].mean_score - 0.3).abs() < 1e-6);
        assert_eq!(r[1].title, "Z", "a tie on students goes to the higher score");
    }
}
