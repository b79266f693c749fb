//! Skill-builder practice: students answer problems, and learn from answering them.
//!
//! Each student has a latent ability and a knowledge level per skill. The chance of a right
//! answer is IRT-style, `guess + (1 - guess - slip) * sigmoid(ability + knowledge - difficulty)`,
//! with knowledge averaged over the problem's skills. Every attempt raises knowledge, faster when
//! the skill's prerequisites are known (unknown prerequisites gate learning); knowledge decays
//! slowly towards its starting level on days a skill is not practised. A session is one
//! ASSISTments skill builder: problems of one skill until three right in a row or a cap.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::sample::{lognormal, normal, sigmoid, stream};
use super::{AnswerType, Class, Problem, ProblemRow, Skill, Student, SynthConfig};

/// Knowledge approaches this ceiling with diminishing gains.
const K_MAX: f64 = 3.0;
/// Fraction of learned knowledge kept per day without practice.
const KEEP_PER_DAY: f64 = 0.985;
/// Right answers in a row that complete a skill builder.
const MASTERY_STREAK: usize = 3;
/// Chance that a wrong answer on a problem with scaffolding leads into its sub-questions.
const SCAFFOLD_PROB: f64 = 0.7;
/// Learning from a scaffolding sub-question, relative to an original problem.
const SCAFFOLD_LEARNING: f64 = 0.5;
/// Order ids start here, as in the real data (which has eight-digit order ids).
pub(crate) const ORDER_ID_BASE: u64 = 20_000_001;
/// Per-student practice streams start here (see [`stream`]).
const PRACTICE_STREAM_BASE: u64 = 1 << 32;

/// What a student knows, and how it changes.
struct Learner<'a> {
    skills: &'a [Skill],
    ability: f64,
    rate: f64,
    /// Starting knowledge per skill: what forgetting decays back to.
    k0: Vec<f64>,
    /// Knowledge per skill as of `last[s]`.
    k: Vec<f64>,
    last: Vec<u32>,
}

impl<'a> Learner<'a> {
    fn new(student: &Student, skills: &'a [Skill], rng: &mut ChaCha8Rng) -> Self {
        let n = skills.len();
        let k0: Vec<f64> = (0..n)
            .map(|s| {
                let progress = if n > 1 { s as f64 / (n - 1) as f64 } else { 0.0 };
                -0.2 - 0.4 * progress + 0.4 * normal(rng)
            })
            .collect();
        Self { skills, ability: student.ability, rate: student.learning_rate, k: k0.clone(), k0, last: vec![0; n] }
    }

    /// Knowledge of skill `s` on `day`, after forgetting since it was last practised.
    fn knowledge(&self, s: usize, day: u32) -> f64 {
        let gap = day.saturating_sub(self.last[s]) as i32;
        self.k0[s] + (self.k[s] - self.k0[s]) * KEEP_PER_DAY.powi(gap)
    }

    fn p_correct(&self, p: &Problem, day: u32) -> f64 {
        let k = p.skills.iter().map(|&s| self.knowledge(s, day)).sum::<f64>() / p.skills.len() as f64;
        p.guess + (1.0 - p.guess - p.slip) * sigmoid(self.ability + k - p.difficulty)
    }

    /// How ready the student is to learn `s`: near 1 when its prerequisites are known.
    fn readiness(&self, s: usize, day: u32) -> f64 {
        let pre = &self.skills[s].prerequisites;
        if pre.is_empty() {
            return 1.0;
        }
        pre.iter().map(|&p| sigmoid(3.0 * self.knowledge(p, day))).sum::<f64>() / pre.len() as f64
    }

    fn learn(&mut self, p: &Problem, correct: bool, weight: f64, day: u32) {
        for &s in &p.skills {
            let now = self.knowledge(s, day);
            let gate = 0.15 + 0.85 * self.readiness(s, day);
            let outcome = if correct { 1.0 } else { 0.7 };
            let room = ((K_MAX - now) / (K_MAX + 1.0)).max(0.0);
            self.k[s] = now + self.rate * weight * gate * outcome * room;
            self.last[s] = day;
        }
    }
}

/// Simulates every student's practice over the term and returns the responses in time order,
/// with order ids assigned.
pub(crate) fn simulate(cfg: &SynthConfig, start_day: i64, skills: &[Skill], problems: &[Problem], classes: &[Class], students: &[Student]) -> Vec<ProblemRow> {
    let mut rows = Vec::new();
    for (si, student) in students.iter().enumerate() {
        let mut rng = stream(cfg.seed, PRACTICE_STREAM_BASE + si as u64);
        let mut sim = StudentSim::new(student, skills, &mut rng);
        let class = &classes[student.class];
        // Engagement varies: some students do far more skill builders than others.
        let p_session = (cfg.practice_sessions_per_week / 5.0 * lognormal(&mut rng, 1.0, 0.3)).min(0.95);
        for day in 0..cfg.days {
            let date = start_day + i64::from(day);
            if super::date::weekday(date) >= 5 || !rng.random_bool(p_session) {
                continue;
            }
            let block = &class.weekly_skills[(day / 7) as usize];
            let skill = sim.choose_skill(block, &mut rng);
            // In class (period by class) or, a third of the time, as homework in the evening.
            let hour = if rng.random_bool(0.3) { rng.random_range(17..21) } else { 8 + (student.class % 6) as i64 };
            let mut time = date * 86_400 + hour * 3_600 + rng.random_range(0..900);
            let at = Session { student: si, skill, assignment_id: ASSIGNMENT_ID_BASE + class.id * 1_000 + skill as u32, day };
            sim.session(cfg, &at, problems, &mut time, &mut rng, &mut rows);
        }
    }
    // Stable sort: a student's own rows keep their order when timestamps tie.
    rows.sort_by_key(|r| (r.time, r.student));
    for (i, r) in rows.iter_mut().enumerate() {
        r.order_id = ORDER_ID_BASE + i as u64;
    }
    rows
}

/// Where a skill builder happens: who, on which skill, in which assignment, on which day.
struct Session {
    student: usize,
    skill: usize,
    assignment_id: u32,
    day: u32,
}

/// One student's state across sessions.
struct StudentSim<'a> {
    learner: Learner<'a>,
    /// Skill builders completed (three right in a row reached).
    mastered: Vec<bool>,
    /// Per skill, the student's own shuffled order of its problems, and where they are in it.
    queue: Vec<Vec<usize>>,
    cursor: Vec<usize>,
}

impl<'a> StudentSim<'a> {
    fn new(student: &Student, skills: &'a [Skill], rng: &mut ChaCha8Rng) -> Self {
        let n = skills.len();
        Self { learner: Learner::new(student, skills, rng), mastered: vec![false; n], queue: vec![Vec::new(); n], cursor: vec![0; n] }
    }

    /// Picks the skill for a session: mostly an unfinished skill of the current block (or one
    /// left over from the previous week), sometimes a review of an earlier skill, rarely a look
    /// ahead at the next one.
    fn choose_skill(&self, block: &[usize], rng: &mut ChaCha8Rng) -> usize {
        let (first, last) = (block[0], block[block.len() - 1]);
        let n = self.mastered.len();
        let r = rng.random::<f64>();
        if r < 0.10 && first > 0 {
            return rng.random_range(first.saturating_sub(4)..first);
        }
        if r < 0.14 && last + 1 < n {
            return last + 1;
        }
        let open: Vec<usize> = (first.saturating_sub(2)..=last).filter(|&s| !self.mastered[s]).collect();
        match open.len() {
            0 => block[rng.random_range(0..block.len())],
            _ if rng.random_bool(0.6) => open[0],
            len => open[rng.random_range(0..len)],
        }
    }

    fn next_problem(&mut self, skill: usize, rng: &mut ChaCha8Rng) -> usize {
        let queue = &mut self.queue[skill];
        if queue.is_empty() {
            *queue = self.learner.skills[skill].problems.clone();
            for i in (1..queue.len()).rev() {
                queue.swap(i, rng.random_range(0..=i));
            }
        }
        let p = queue[self.cursor[skill] % queue.len()];
        self.cursor[skill] += 1;
        p
    }

    /// One skill builder, appending its responses (and any scaffolding) to `rows`.
    fn session(&mut self, cfg: &SynthConfig, at: &Session, problems: &[Problem], time: &mut i64, rng: &mut ChaCha8Rng, rows: &mut Vec<ProblemRow>) {
        let mut streak = 0;
        for _ in 0..cfg.max_problems_per_session {
            let pi = self.next_problem(at.skill, rng);
            let problem = &problems[pi];
            let row = self.respond(at, pi, problem, true, time, rng);
            let correct = row.correct;
            rows.push(row);
            if !correct && !problem.scaffolds.is_empty() && rng.random_bool(SCAFFOLD_PROB) {
                for &sc in &problem.scaffolds {
                    let row = self.respond(at, sc, &problems[sc], false, time, rng);
                    self.learner.learn(&problems[sc], row.correct, SCAFFOLD_LEARNING, at.day);
                    rows.push(row);
                }
            }
            self.learner.learn(problem, correct, 1.0, at.day);
            streak = if correct { streak + 1 } else { 0 };
            if streak >= MASTERY_STREAK {
                self.mastered[at.skill] = true;
                break;
            }
        }
    }

    /// Draws one response to problem `pi` and the ASSISTments bookkeeping around it, advancing
    /// the clock past it.
    fn respond(&self, at: &Session, pi: usize, p: &Problem, original: bool, time: &mut i64, rng: &mut ChaCha8Rng) -> ProblemRow {
        let p_correct = self.learner.p_correct(p, at.day);
        let correct = rng.random::<f64>() < p_correct;
        // Asking for a hint first counts as wrong in ASSISTments.
        let hint_first = !correct && rng.random_bool(0.25);
        let hint_count = match (correct, hint_first) {
            (true, _) => 0,
            (false, true) => rng.random_range(1..=p.hint_total),
            (false, false) if rng.random_bool(0.5) => rng.random_range(0..=p.hint_total),
            _ => 0,
        };
        let attempt_count = if correct {
            1
        } else if hint_first {
            rng.random_range(0..=2)
        } else {
            let mut a = 1;
            while a < 6 && rng.random_bool(0.6) {
                a += 1;
            }
            a
        };
        let median_s = if correct {
            16.0
        } else if hint_first {
            9.0
        } else {
            28.0
        };
        let first_s = lognormal(rng, median_s * (0.2 * p.difficulty).exp(), 0.6).clamp(0.8, 600.0);
        let mut overlap_s = first_s;
        for _ in 1..attempt_count {
            overlap_s += lognormal(rng, 9.0, 0.5);
        }
        for _ in 0..hint_count {
            overlap_s += lognormal(rng, 7.0, 0.5);
        }
        let (answer_id, answer_text) = answer(p, pi, correct, hint_first && attempt_count == 0, rng);
        *time += overlap_s.round() as i64 + rng.random_range(2..10);
        ProblemRow {
            order_id: 0,
            student: at.student,
            problem: pi,
            original,
            correct,
            session_skill: at.skill,
            assignment_id: at.assignment_id,
            attempt_count,
            ms_first_response: (first_s * 1000.0).round() as u32,
            overlap_ms: (overlap_s * 1000.0).round() as u32,
            hint_count,
            first_action: u8::from(hint_first),
            answer_id,
            answer_text,
            day: at.day,
            time: *time,
            p_correct: p_correct as f32,
        }
    }
}

/// Assignment ids: one per (class, skill) skill builder.
pub(crate) const ASSIGNMENT_ID_BASE: u32 = 200_000;

/// The student's first answer: the right one when correct, else a near miss. Multiple choice
/// answers carry the chosen option's id. No answer when the student only asked for hints.
fn answer(p: &Problem, pi: usize, correct: bool, no_attempt: bool, rng: &mut ChaCha8Rng) -> (Option<u32>, String) {
    if no_attempt {
        return (None, String::new());
    }
    let offset = if correct { 0 } else { [-3, -2, -1, 1, 2, 5, 10][rng.random_range(0..7)] };
    let value = p.answer + offset;
    let id = match p.answer_type {
        AnswerType::Choose1 => Some(ANSWER_ID_BASE + pi as u32 * 4 + value.rem_euclid(4) as u32),
        AnswerType::Algebra => None,
    };
    (id, value.to_string())
}

const ANSWER_ID_BASE: u32 = 400_000;
