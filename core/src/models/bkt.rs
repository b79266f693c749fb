//! Bayesian Knowledge Tracing, the model teachers' tools (ASSISTments, Cognitive Tutor) have long
//! used, as the baseline row of every DKT report: per skill a two-state hidden Markov model
//! (not known / known) with four parameters a teacher can read (prior, learn, guess, slip; no
//! forgetting), fitted by expectation-maximisation (Baum-Welch) as pyBKT fits its standard model.
//!
//! A student's answers on one skill form that skill's observation sequence. A step tagged with
//! several skills is an observation of each of them, and its prediction is the mean of theirs
//! (as [`crate::models::dkt::train::skill_mean_baseline`] averages). Predictions use every
//! earlier answer of the student (BKT keeps one number per skill, so there is no window to cut);
//! the steps scored are the ones DKT's evaluation scores, so the rows compare on the same answers.
//!
//! [`BktModel`] is BKT as a model of its own (`classlens train bkt`, a `bkt` pack, a mastery
//! model the dashboard can show): the same parameters with the skill vocabulary, and per-skill
//! P(right next) after a history, so a teacher can compare it with DKT cell by cell and read
//! each skill's four numbers.
//!
//! Guess and slip are kept below 0.5 (a known skill answers right more often than an unknown
//! one), the usual bound that keeps the two states from swapping meaning.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::metrics::{BinaryReport, binary_report};
use crate::runs::{CONFIG_FILE, SKILLS_FILE, TrainError, create_run_dir, json_bytes, read_json, write_run_file};
use crate::sequences::kt::{KtSequence, KtStep, Scoring, SkillVocab, scored_pieces};

/// One skill's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktParams {
    /// P(known) before the first answer.
    pub prior: f64,
    /// P(unknown → known) after each answer.
    pub learn: f64,
    /// P(right | unknown).
    pub guess: f64,
    /// P(wrong | known).
    pub slip: f64,
}

impl Default for BktParams {
    /// The starting point of EM, and the parameters of a skill with no training answer.
    fn default() -> Self {
        Self { prior: 0.4, learn: 0.1, guess: 0.2, slip: 0.1 }
    }
}

/// How far below 0 or 1 a probability is kept, so no answer is impossible.
const EPS: f64 = 1e-6;
/// Guess and slip stay below this.
const MAX_GUESS_SLIP: f64 = 0.5 - EPS;

impl BktParams {
    /// P(right) when P(known) is `known`.
    pub fn p_correct(&self, known: f64) -> f64 {
        known * (1.0 - self.slip) + (1.0 - known) * self.guess
    }

    /// P(known) after answering (`correct`) with P(known) `known` before, then the chance to learn.
    pub fn update(&self, known: f64, correct: bool) -> f64 {
        let (right_known, right_unknown) = if correct { (1.0 - self.slip, self.guess) } else { (self.slip, 1.0 - self.guess) };
        let posterior = known * right_known / (known * right_known + (1.0 - known) * right_unknown).max(f64::MIN_POSITIVE);
        posterior + (1.0 - posterior) * self.learn
    }

    fn clamped(self) -> Self {
        Self {
            prior: self.prior.clamp(EPS, 1.0 - EPS),
            learn: self.learn.clamp(EPS, 1.0 - EPS),
            guess: self.guess.clamp(EPS, MAX_GUESS_SLIP),
            slip: self.slip.clamp(EPS, MAX_GUESS_SLIP),
        }
    }
}

/// Fitting options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktConfig {
    /// At most this many EM iterations per skill.
    pub max_iterations: usize,
    /// Stop once an iteration raises the log-likelihood by less than this.
    pub tolerance: f64,
}

impl Default for BktConfig {
    fn default() -> Self {
        Self { max_iterations: 100, tolerance: 1e-6 }
    }
}

/// A fitted BKT: one parameter set per model skill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bkt {
    pub skills: Vec<BktParams>,
}

/// Every (student, skill) answer sequence of `seqs`, grouped by skill.
fn per_skill(seqs: &[KtSequence], n_skills: usize) -> Vec<Vec<Vec<bool>>> {
    let mut out = vec![Vec::new(); n_skills];
    for q in seqs {
        let mut mine: Vec<Vec<bool>> = vec![Vec::new(); n_skills];
        for step in &q.steps {
            for &s in &step.skills {
                if let Some(m) = mine.get_mut(s as usize) {
                    m.push(step.correct);
                }
            }
        }
        for (s, m) in mine.into_iter().enumerate() {
            if !m.is_empty() {
                out[s].push(m);
            }
        }
    }
    out
}

/// One EM iteration over `sequences`: the re-estimated parameters and the log-likelihood of the
/// data under `p` (before re-estimation).
fn em_step(p: &BktParams, sequences: &[Vec<bool>]) -> (BktParams, f64) {
    let emit = |known: bool, correct: bool| match (known, correct) {
        (true, true) => 1.0 - p.slip,
        (true, false) => p.slip,
        (false, true) => p.guess,
        (false, false) => 1.0 - p.guess,
    };
    // Sums for the M-step: first-state posteriors, transitions out of "unknown", emissions.
    let (mut prior_sum, mut first_n) = (0.0, 0.0);
    let (mut learned, mut from_unknown) = (0.0, 0.0);
    let (mut right_unknown, mut unknown) = (0.0, 0.0);
    let (mut wrong_known, mut known) = (0.0, 0.0);
    let mut loglik = 0.0;
    for obs in sequences {
        let t_len = obs.len();
        // Scaled forward pass: alpha[t] = P(state_t | obs_..=t), scale[t] = P(obs_t | obs_..t).
        let mut alpha = vec![[0.0f64; 2]; t_len];
        let mut scale = vec![0.0f64; t_len];
        for t in 0..t_len {
            let before = if t == 0 {
                [1.0 - p.prior, p.prior]
            } else {
                let a = alpha[t - 1];
                [a[0] * (1.0 - p.learn), a[1] + a[0] * p.learn]
            };
            let joint = [before[0] * emit(false, obs[t]), before[1] * emit(true, obs[t])];
            let z = (joint[0] + joint[1]).max(f64::MIN_POSITIVE);
            alpha[t] = [joint[0] / z, joint[1] / z];
            scale[t] = z;
            loglik += z.ln();
        }
        // Scaled backward pass, and the posteriors.
        let mut beta = [1.0f64, 1.0f64];
        for t in (0..t_len).rev() {
            let g = [alpha[t][0] * beta[0], alpha[t][1] * beta[1]];
            let gz = (g[0] + g[1]).max(f64::MIN_POSITIVE);
            let gamma = [g[0] / gz, g[1] / gz];
            if t == 0 {
                prior_sum += gamma[1];
                first_n += 1.0;
            }
            if obs[t] {
                right_unknown += gamma[0];
            } else {
                wrong_known += gamma[1];
            }
            unknown += gamma[0];
            known += gamma[1];
            if t > 0 {
                // xi(unknown_{t-1} -> known_t) and P(unknown_{t-1}), from alpha[t-1] and beta[t].
                let a = alpha[t - 1];
                let e = [emit(false, obs[t]) * beta[0], emit(true, obs[t]) * beta[1]];
                let to = [a[0] * (1.0 - p.learn) * e[0], a[0] * p.learn * e[1], a[1] * e[1]];
                let z = (to[0] + to[1] + to[2]).max(f64::MIN_POSITIVE);
                learned += to[1] / z;
                from_unknown += (to[0] + to[1]) / z;
                // beta[t-1]
                let b0 = (1.0 - p.learn) * e[0] + p.learn * e[1];
                let b1 = e[1];
                beta = [b0 / scale[t], b1 / scale[t]];
            }
        }
    }
    let ratio = |num: f64, den: f64, old: f64| if den > 0.0 { num / den } else { old };
    let next = BktParams {
        prior: ratio(prior_sum, first_n, p.prior),
        learn: ratio(learned, from_unknown, p.learn),
        guess: ratio(right_unknown, unknown, p.guess),
        slip: ratio(wrong_known, known, p.slip),
    };
    (next.clamped(), loglik)
}

/// Fits one skill's parameters to its answer sequences from the default starting point.
pub fn fit_skill(sequences: &[Vec<bool>], config: &BktConfig) -> BktParams {
    let mut p = BktParams::default();
    if sequences.is_empty() {
        return p;
    }
    let mut last = f64::NEG_INFINITY;
    for _ in 0..config.max_iterations {
        let (next, loglik) = em_step(&p, sequences);
        p = next;
        if loglik - last < config.tolerance {
            break;
        }
        last = loglik;
    }
    p
}

impl Bkt {
    /// Fits every skill on the training students' answers.
    pub fn fit(train: &[KtSequence], n_skills: usize, config: &BktConfig) -> Self {
        Self { skills: per_skill(train, n_skills).iter().map(|s| fit_skill(s, config)).collect() }
    }

    /// P(right) at every step of `q`, each from the student's answers before it.
    pub fn predict(&self, q: &KtSequence) -> Vec<f32> {
        let mut known = self.priors();
        q.steps
            .iter()
            .map(|step| {
                let ps: Vec<f64> = step.skills.iter().filter_map(|&s| self.skills.get(s as usize).map(|p| p.p_correct(known[s as usize]))).collect();
                self.observe(&mut known, step);
                if ps.is_empty() { 0.5 } else { (ps.iter().sum::<f64>() / ps.len() as f64) as f32 }
            })
            .collect()
    }

    /// P(known) of every skill before any answer.
    fn priors(&self) -> Vec<f64> {
        self.skills.iter().map(|p| p.prior).collect()
    }

    /// `known` after `step`: each of its skills updated by the answer (skills the model has no
    /// parameters for are skipped).
    fn observe(&self, known: &mut [f64], step: &KtStep) {
        for &s in &step.skills {
            if let (Some(p), Some(k)) = (self.skills.get(s as usize), known.get_mut(s as usize)) {
                *k = p.update(*k, step.correct);
            }
        }
    }

    /// Scored on the steps DKT's evaluation scores under `scoring` (BKT itself reads every
    /// earlier answer whatever the scoring).
    pub fn report(&self, seqs: &[KtSequence], scoring: Scoring) -> BinaryReport {
        let predictions: Vec<Vec<f32>> = seqs.iter().map(|q| self.predict(q)).collect();
        let (mut scores, mut labels) = (Vec::new(), Vec::new());
        for w in scored_pieces(seqs, scoring) {
            for t in w.scored() {
                scores.push(predictions[w.seq][t]);
                labels.push(seqs[w.seq].steps[t].correct);
            }
        }
        binary_report(&scores, &labels)
    }
}

/// The `model` of a BKT run's `config.json`.
pub const BKT_MODEL: &str = "bkt";
/// A BKT run's fitted parameters: one object per skill, in `skills.json` order.
pub const PARAMS_FILE: &str = "bkt.json";

/// What a BKT run's `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BktRunConfig {
    pub model: String,
    pub n_skills: usize,
    /// The window of the DKT evaluation BKT's reports line up with: the steps scored are those
    /// `eval dkt` scores with this window (BKT itself reads every earlier answer).
    pub window: usize,
    pub fit: BktConfig,
}

/// A fitted BKT with its skill vocabulary: what `classlens train bkt` writes and a `bkt` pack
/// holds, read by `classlens mastery` and the dashboard like the other knowledge-tracing models.
/// Its four numbers per skill are the model; nothing is quantized or hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct BktModel {
    pub config: BktRunConfig,
    pub vocab: SkillVocab,
    pub bkt: Bkt,
}

impl BktModel {
    /// Fits every skill of `vocab` on `train` (sequences indexed by `vocab`).
    pub fn fit(train: &[KtSequence], vocab: SkillVocab, window: usize, fit: BktConfig) -> Self {
        let bkt = Bkt::fit(train, vocab.len(), &fit);
        Self { config: BktRunConfig { model: BKT_MODEL.into(), n_skills: vocab.len(), window, fit }, vocab, bkt }
    }

    /// The configuration, vocabulary and parameters agree, and every parameter is a probability
    /// in BKT's bounds (a file that passes this cannot index out of its tables or swap the two
    /// states' meaning).
    pub fn check(config: &BktRunConfig, vocab: &SkillVocab, params: &[BktParams]) -> Result<(), String> {
        if config.model != BKT_MODEL {
            return Err(format!("holds a '{}' model, not {BKT_MODEL}", config.model));
        }
        if config.window < 2 {
            return Err("expected a window of at least 2 steps".into());
        }
        if vocab.len() != config.n_skills || params.len() != config.n_skills {
            return Err(format!("{} skills in the vocabulary and {} parameter sets, the configuration says {}", vocab.len(), params.len(), config.n_skills));
        }
        for (i, p) in params.iter().enumerate() {
            let unit = |x: f64| (0.0..=1.0).contains(&x);
            let below_half = |x: f64| (0.0..0.5).contains(&x);
            if !(unit(p.prior) && unit(p.learn) && below_half(p.guess) && below_half(p.slip)) {
                return Err(format!("skill {} ('{}'): expected prior and learn in [0, 1], guess and slip in [0, 0.5); found {p:?}", i, vocab.names()[i]));
            }
        }
        Ok(())
    }

    /// Writes `config.json` (last: its presence marks a complete run), `skills.json` and
    /// [`PARAMS_FILE`], each atomically.
    pub fn save(&self, dir: &Path) -> Result<(), TrainError> {
        create_run_dir(dir)?;
        write_run_file(dir, SKILLS_FILE, &json_bytes(&self.vocab))?;
        write_run_file(dir, PARAMS_FILE, &json_bytes(&self.bkt.skills))?;
        write_run_file(dir, CONFIG_FILE, &json_bytes(&self.config))
    }

    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join(CONFIG_FILE);
        let config: BktRunConfig = read_json(&path)?;
        let vocab = read_json::<SkillVocab>(&dir.join(SKILLS_FILE))?.reindexed();
        let skills: Vec<BktParams> = read_json(&dir.join(PARAMS_FILE))?;
        // The run's files disagree, or a parameter is out of bounds: the message says which.
        Self::check(&config, &vocab, &skills).map_err(|message| TrainError::Corrupt { path: dir.display().to_string(), message })?;
        Ok(Self { config, vocab, bkt: Bkt { skills } })
    }

    /// The model's sequences for `data` (skills only: BKT has no per-problem parameter).
    pub fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, crate::sequences::kt::KtBuildReport) {
        crate::sequences::kt::kt_sequences_with_problems(data, &self.vocab, None)
    }

    /// P(known) of every skill after `history`, updated answer by answer as [`Bkt::predict`] does.
    pub fn known(&self, history: &[KtStep]) -> Vec<f64> {
        let mut known = self.bkt.priors();
        for step in history {
            self.bkt.observe(&mut known, step);
        }
        known
    }

    fn p_correct(&self, known: &[f64]) -> Vec<f32> {
        self.bkt.skills.iter().zip(known).map(|(p, &k)| p.p_correct(k) as f32).collect()
    }

    /// Per-skill P(right next) after `history` (every answer of it: BKT has no window).
    pub fn mastery(&self, history: &[KtStep]) -> Vec<f32> {
        self.p_correct(&self.known(history))
    }

    /// [`BktModel::mastery`] after every prefix of `history`, in one pass.
    pub fn trajectory(&self, history: &[KtStep]) -> Vec<Vec<f32>> {
        let mut known = self.bkt.priors();
        let mut out = vec![self.p_correct(&known)];
        for step in history {
            self.bkt.observe(&mut known, step);
            out.push(self.p_correct(&known));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::init::Init;

    /// Students answering one skill as a BKT with `p` would.
    fn simulate(p: &BktParams, students: usize, answers: usize, seed: u64) -> Vec<KtSequence> {
        let mut init = Init::new(seed);
        (0..students)
            .map(|i| {
                let u: Vec<f32> = init.uniform(answers * 2 + 1, 1.0).into_iter().map(|x| (x + 1.0) / 2.0).collect();
                let mut known = f64::from(u[0]) < p.prior;
                let steps = (0..answers)
                    .map(|t| {
                        let right = if known { f64::from(u[1 + 2 * t]) >= p.slip } else { f64::from(u[1 + 2 * t]) < p.guess };
                        known = known || f64::from(u[2 + 2 * t]) < p.learn;
                        KtStep::new(vec![0], right)
                    })
                    .collect();
                KtSequence { student: i.to_string(), steps }
            })
            .collect()
    }

    #[test]
    fn em_recovers_the_parameters_that_generated_the_answers() {
        let truth = BktParams { prior: 0.3, learn: 0.15, guess: 0.25, slip: 0.08 };
        let seqs = simulate(&truth, 2000, 12, 5);
        let fitted = Bkt::fit(&seqs, 1, &BktConfig::default()).skills[0];
        for (name, got, want) in [
            ("prior", fitted.prior, truth.prior),
            ("learn", fitted.learn, truth.learn),
            ("guess", fitted.guess, truth.guess),
            ("slip", fitted.slip, truth.slip),
        ] {
            assert!((got - want).abs() < 0.05, "{name}: fitted {got:.3}, generated with {want:.3} ({fitted:?})");
        }
    }

    #[test]
    fn em_never_lowers_the_likelihood() {
        let seqs = per_skill(&simulate(&BktParams { prior: 0.5, learn: 0.2, guess: 0.3, slip: 0.1 }, 200, 10, 9), 1).remove(0);
        let mut p = BktParams::default();
        let mut last = f64::NEG_INFINITY;
        for _ in 0..20 {
            let (next, loglik) = em_step(&p, &seqs);
            assert!(loglik >= last - 1e-9, "{loglik} after {last}");
            (p, last) = (next, loglik);
        }
    }

    #[test]
    fn predictions_follow_the_update_rule_by_hand() {
        let p = BktParams { prior: 0.5, learn: 0.2, guess: 0.2, slip: 0.1 };
        let bkt = Bkt { skills: vec![p, BktParams::default()] };
        let q = KtSequence { student: "a".into(), steps: vec![KtStep::new(vec![0], true), KtStep::new(vec![0, 1], false)] };
        let got = bkt.predict(&q);
        // Step 1: 0.5 * 0.9 + 0.5 * 0.2 = 0.55. Posterior after a right answer: 0.45 / 0.55;
        // after learning: k + (1 - k) * 0.2.
        let k = 0.45 / 0.55;
        let k1 = k + (1.0 - k) * 0.2;
        let want2 = (p.p_correct(k1) + BktParams::default().p_correct(0.4)) / 2.0;
        assert!((f64::from(got[0]) - 0.55).abs() < 1e-6 && (f64::from(got[1]) - want2).abs() < 1e-6, "{got:?}");
        // A skill never seen in training keeps the defaults; the report scores all but the first step.
        let report = bkt.report(std::slice::from_ref(&q), Scoring::Windows(100));
        assert_eq!(report.n, 1);
    }

    #[test]
    fn bkt_beats_each_skills_mean_when_students_learn() {
        let truth = BktParams { prior: 0.2, learn: 0.3, guess: 0.2, slip: 0.1 };
        let (train, test) = (simulate(&truth, 300, 15, 1), simulate(&truth, 100, 15, 2));
        let bkt = Bkt::fit(&train, 1, &BktConfig::default());
        let ours = bkt.report(&test, Scoring::Windows(100)).auc.unwrap();
        let mean = crate::models::dkt::train::skill_mean_baseline(&train, &test, 1, Scoring::Windows(100)).auc.unwrap();
        assert!(ours > mean + 0.1, "BKT {ours:.3} vs each skill's mean {mean:.3}");
    }

    fn two_skill_model() -> BktModel {
        let skills = vec![BktParams { prior: 0.3, learn: 0.2, guess: 0.25, slip: 0.1 }, BktParams { prior: 0.6, learn: 0.05, guess: 0.3, slip: 0.2 }];
        let vocab = SkillVocab::new(vec!["add".into(), "sub".into()]);
        BktModel { config: BktRunConfig { model: BKT_MODEL.into(), n_skills: 2, window: 100, fit: BktConfig::default() }, vocab, bkt: Bkt { skills } }
    }

    #[test]
    fn mastery_is_what_predict_gives_the_next_answer_and_the_trajectory_ends_there() {
        let m = two_skill_model();
        let h: Vec<KtStep> = [(0, true), (1, false), (0, false), (0, true), (1, true)].iter().map(|&(s, c)| KtStep::new(vec![s], c)).collect();
        let predicted = m.bkt.predict(&KtSequence { student: "a".into(), steps: h.clone() });
        for t in 0..h.len() {
            let s = h[t].skills[0] as usize;
            assert!((m.mastery(&h[..t])[s] - predicted[t]).abs() < 1e-6, "step {t}");
        }
        let traj = m.trajectory(&h);
        assert_eq!(traj.len(), h.len() + 1);
        assert_eq!(traj[0], m.mastery(&[]));
        assert_eq!(traj[h.len()], m.mastery(&h));
        // A right answer raises the skill it is on; the other skill does not move.
        assert!(traj[1][0] > traj[0][0] && traj[1][1] == traj[0][1]);
    }

    #[test]
    fn a_run_directory_round_trips_and_bad_parameters_are_refused_with_the_skill_named() {
        let m = two_skill_model();
        let dir = std::env::temp_dir().join(format!("classlens-bkt-{}", std::process::id()));
        m.save(&dir).unwrap();
        assert_eq!(BktModel::load(&dir).unwrap(), m);
        let mut bad = m.bkt.skills.clone();
        bad[1].guess = 0.7;
        std::fs::write(dir.join(PARAMS_FILE), serde_json::to_vec(&bad).unwrap()).unwrap();
        let err = BktModel::load(&dir).unwrap_err().to_string();
        assert!(err.contains("skill 1 ('sub')") && err.contains("[0, 0.5)"), "{err}");
        bad.pop();
        assert!(BktModel::check(&m.config, &m.vocab, &bad).unwrap_err().contains("1 parameter sets"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
