//! Skills (a prerequisite DAG in curriculum order), their problems, and each class's weekly plan.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::sample::{distinct, normal};
use super::{AnswerType, Problem, Skill, SynthConfig};

/// ASSISTments-style skill names in a plausible teaching order (ASCII only: the real file is
/// ISO-8859-1 and loaders must not have to guess). Later skills get `Skill N`.
const SKILL_NAMES: [&str; 30] = [
    "Addition Whole Numbers",
    "Subtraction Whole Numbers",
    "Multiplication Whole Numbers",
    "Division Whole Numbers",
    "Order of Operations All",
    "Equivalent Fractions",
    "Addition and Subtraction Fractions",
    "Multiplication Fractions",
    "Division Fractions",
    "Conversion of Fraction Decimals Percents",
    "Percent Of",
    "Ordering Integers",
    "Addition and Subtraction Integers",
    "Multiplication and Division Integers",
    "Ratio and Proportion",
    "Unit Rate",
    "Area Rectangle",
    "Area Triangle",
    "Mean",
    "Median",
    "Probability of a Single Event",
    "Exponents",
    "Square Root",
    "Pythagorean Theorem",
    "Equation Solving Two or Fewer Steps",
    "Equation Solving More Than Two Steps",
    "Write Linear Equation from Situation",
    "Slope",
    "Circle Graph",
    "Scientific Notation",
];

/// Skills without prerequisites: the foundations the DAG grows from.
const N_ROOT_SKILLS: usize = 3;
/// Prerequisites are drawn among this many immediately preceding skills, so the DAG follows the
/// curriculum instead of linking arbitrary topics.
const PREREQ_LOOKBACK: usize = 6;
/// Share of original problems that come with scaffolding sub-questions.
const SCAFFOLD_SHARE: f64 = 0.3;
const SCAFFOLDS_PER_PROBLEM: usize = 2;

pub(crate) const PROBLEM_ID_BASE: u32 = 10_001;
pub(crate) const ASSISTMENT_ID_BASE: u32 = 30_001;
pub(crate) const TEMPLATE_ID_BASE: u32 = 60_000;

/// Builds skills with their prerequisites (all earlier skills) and difficulty: later skills are
/// harder on average.
pub(crate) fn skills(cfg: &SynthConfig, rng: &mut ChaCha8Rng) -> Vec<Skill> {
    let n = cfg.n_skills;
    (0..n)
        .map(|i| {
            let name = SKILL_NAMES.get(i).map_or_else(|| format!("Skill {}", i + 1), |s| s.to_string());
            let mut prerequisites = Vec::new();
            if i >= N_ROOT_SKILLS.min(n) && i > 0 {
                let lo = i.saturating_sub(PREREQ_LOOKBACK);
                let k = if i >= 2 && rng.random_bool(0.5) { 2 } else { 1 };
                prerequisites = distinct(rng, i - lo, k).into_iter().map(|j| lo + j).collect();
                prerequisites.sort_unstable();
            }
            let progress = if n > 1 { i as f64 / (n - 1) as f64 } else { 0.5 };
            let difficulty = -0.8 + 1.0 * progress + 0.3 * normal(rng);
            Skill { id: i as u32 + 1, name, prerequisites, difficulty, problems: Vec::new() }
        })
        .collect()
}

/// Builds the problems of every skill (filling `Skill::problems`), then the scaffolding
/// sub-questions, which are appended after all original problems.
pub(crate) fn problems(cfg: &SynthConfig, skills: &mut [Skill], rng: &mut ChaCha8Rng) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (s, skill) in skills.iter().enumerate() {
        for local in 0..cfg.problems_per_skill {
            let mut tags = vec![s];
            if s > 0 && rng.random_bool(cfg.multi_skill_share) {
                // A second tag is an earlier skill the problem also exercises: a prerequisite
                // when there is one.
                let pre = &skill.prerequisites;
                let other = if pre.is_empty() { rng.random_range(0..s) } else { pre[rng.random_range(0..pre.len())] };
                tags.push(other);
            }
            let index = problems.len();
            let answer_type = if rng.random_bool(0.3) { AnswerType::Choose1 } else { AnswerType::Algebra };
            problems.push(Problem {
                id: PROBLEM_ID_BASE + index as u32,
                assistment_id: ASSISTMENT_ID_BASE + index as u32,
                template_id: TEMPLATE_ID_BASE + (s * 100 + local / 3) as u32,
                skills: tags,
                difficulty: skill.difficulty + 0.5 * normal(rng),
                guess: guess(answer_type, rng),
                slip: rng.random_range(0.03..0.10),
                answer_type,
                hint_total: rng.random_range(2..=4),
                answer: rng.random_range(-20..=60),
                scaffolds: Vec::new(),
                scaffold_of: None,
            });
        }
    }
    let n_original = problems.len();
    for (index, p) in problems.iter().enumerate() {
        skills[p.skills[0]].problems.push(index);
    }
    for p in 0..n_original {
        if !rng.random_bool(SCAFFOLD_SHARE) {
            continue;
        }
        for _ in 0..SCAFFOLDS_PER_PROBLEM {
            let index = problems.len();
            let answer_type = if rng.random_bool(0.5) { AnswerType::Choose1 } else { AnswerType::Algebra };
            let parent = &problems[p];
            let scaffold = Problem {
                id: PROBLEM_ID_BASE + index as u32,
                assistment_id: parent.assistment_id,
                template_id: parent.template_id,
                skills: parent.skills.clone(),
                // Sub-questions break the problem into easier steps.
                difficulty: parent.difficulty - 0.8,
                guess: guess(answer_type, rng),
                slip: rng.random_range(0.03..0.10),
                answer_type,
                hint_total: rng.random_range(1..=3),
                answer: rng.random_range(-20..=60),
                scaffolds: Vec::new(),
                scaffold_of: Some(p),
            };
            problems.push(scaffold);
            problems[p].scaffolds.push(index);
        }
    }
    problems
}

/// Chance of a lucky right answer: multiple choice is far easier to guess than typed answers.
fn guess(answer_type: AnswerType, rng: &mut ChaCha8Rng) -> f64 {
    match answer_type {
        AnswerType::Choose1 => rng.random_range(0.18..0.25),
        AnswerType::Algebra => rng.random_range(0.02..0.08),
    }
}

/// Skills per weekly block: the class works on about this many skills at a time.
const BLOCK_SIZE: usize = 2;

/// The skill block a class works on in each week of the term. A class walks the curriculum in
/// order at its own `pace` (1.0 = covers about 90% of the skills in the term).
pub(crate) fn weekly_blocks(cfg: &SynthConfig, pace: f64) -> Vec<Vec<usize>> {
    let weeks = cfg.days.div_ceil(7) as usize;
    let n = cfg.n_skills;
    let per_week = 0.9 * n as f64 / weeks.max(1) as f64 * pace;
    (0..weeks)
        .map(|w| {
            let start = ((w as f64 * per_week).floor() as usize).min(n.saturating_sub(BLOCK_SIZE.min(n)));
            let len = (per_week.ceil() as usize).clamp(1, BLOCK_SIZE + 1).min(n - start);
            (start..start + len).collect()
        })
        .collect()
}
