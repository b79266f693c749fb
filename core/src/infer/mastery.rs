//! Mastery from a knowledge-tracing model (DKT, the attention model or BKT): a student's
//! per-skill probability of answering correctly next.

use std::collections::HashMap;

use serde::Serialize;

use super::InferError;
use crate::models::akt::AktModel;
use crate::models::bkt::BktModel;
use crate::models::dkt::DktModel;
use crate::pack::{LoadedPack, PackError};
use crate::sequences::kt::{KtBuildReport, KtSequence, KtStep, ProblemVocab, SkillVocab};

/// What the mastery calls need of a model: its vocabularies, how it reads a class's data, and
/// per-skill probabilities for a batch of histories. DKT, the attention model and BKT implement
/// it, so a table, the CLI's `mastery` and the dashboard work on any ([`KtModel`] holds one).
pub trait Tracer {
    fn vocab(&self) -> &SkillVocab;
    /// The problems the model has parameters for (empty when it tracks skills only).
    fn problems(&self) -> &ProblemVocab;
    /// The model's sequences for `data`.
    fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport);
    /// Per-skill probabilities after each history (each model reads its last `window` steps).
    fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>>;
    /// The last steps of `steps` the model reads (its training window).
    fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep];
    /// Per-skill probabilities after each step of `history`: `out[t][s]`, with `out[0]` the
    /// prior; each point is what [`Tracer::mastery_batch`] gives for the history up to that step.
    /// This default asks one batch of every prefix; a model with a cheaper way overrides it.
    fn trajectory(&self, history: &[KtStep]) -> Vec<Vec<f32>> {
        let prefixes: Vec<&[KtStep]> = (0..=history.len()).map(|end| &history[..end]).collect();
        self.mastery_batch(&prefixes)
    }
}

/// A knowledge-tracing model of any kind, as a pack or run directory holds it: what the
/// dashboard and `classlens mastery` read without caring which. [`KtModel::dkt`] gives DKT's own
/// API where only DKT has one (its WebGPU kernel).
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one model is held at a time; a box would only add a pointer to follow")]
pub enum KtModel {
    Dkt(DktModel),
    Akt(AktModel),
    Bkt(BktModel),
}

impl KtModel {
    pub fn dkt(&self) -> Option<&DktModel> {
        match self {
            KtModel::Dkt(m) => Some(m),
            KtModel::Akt(_) | KtModel::Bkt(_) => None,
        }
    }

    /// BKT's own API (its per-skill parameters, P(known)), when the model is BKT.
    pub fn bkt(&self) -> Option<&BktModel> {
        match self {
            KtModel::Bkt(m) => Some(m),
            KtModel::Dkt(_) | KtModel::Akt(_) => None,
        }
    }

    fn tracer(&self) -> &dyn Tracer {
        match self {
            KtModel::Dkt(m) => m,
            KtModel::Akt(m) => m,
            KtModel::Bkt(m) => m,
        }
    }
}

impl TryFrom<LoadedPack> for KtModel {
    type Error = PackError;
    /// A DKT, attention or BKT pack; another kind is [`PackError::WrongKind`].
    fn try_from(pack: LoadedPack) -> Result<Self, PackError> {
        match pack {
            LoadedPack::Dkt(m) => Ok(KtModel::Dkt(m)),
            LoadedPack::Akt(m) => Ok(KtModel::Akt(m)),
            LoadedPack::Bkt(m) => Ok(KtModel::Bkt(m)),
            other => Err(PackError::WrongKind { expected: "dkt, akt or bkt".into(), found: other.kind() }),
        }
    }
}

impl Tracer for KtModel {
    fn vocab(&self) -> &SkillVocab {
        self.tracer().vocab()
    }
    fn problems(&self) -> &ProblemVocab {
        self.tracer().problems()
    }
    fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport) {
        self.tracer().sequences(data)
    }
    fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        self.tracer().mastery_batch(histories)
    }
    fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        self.tracer().recent(steps)
    }
    fn trajectory(&self, history: &[KtStep]) -> Vec<Vec<f32>> {
        self.tracer().trajectory(history)
    }
}

impl Tracer for DktModel {
    fn vocab(&self) -> &SkillVocab {
        &self.vocab
    }
    fn problems(&self) -> &ProblemVocab {
        &self.problems
    }
    fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport) {
        DktModel::sequences(self, data)
    }
    fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        let recent: Vec<&[KtStep]> = histories.iter().map(|h| self.recent(h)).collect();
        self.weights.mastery_batch(&recent)
    }
    fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        DktModel::recent(self, steps)
    }
    fn trajectory(&self, history: &[KtStep]) -> Vec<Vec<f32>> {
        trajectory(self, history)
    }
}

impl Tracer for AktModel {
    fn vocab(&self) -> &SkillVocab {
        &self.vocab
    }
    fn problems(&self) -> &ProblemVocab {
        &self.problems
    }
    fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport) {
        AktModel::sequences(self, data)
    }
    fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        AktModel::mastery_batch(self, histories)
    }
    fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        AktModel::recent(self, steps)
    }
}

/// BKT reads a student's whole history (one number per skill carries it all), so `recent` is
/// every step and its trajectory is one pass.
impl Tracer for BktModel {
    fn vocab(&self) -> &SkillVocab {
        &self.vocab
    }
    fn problems(&self) -> &ProblemVocab {
        static NONE: std::sync::LazyLock<ProblemVocab> = std::sync::LazyLock::new(ProblemVocab::default);
        &NONE
    }
    fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport) {
        BktModel::sequences(self, data)
    }
    fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
        histories.iter().map(|h| self.mastery(h)).collect()
    }
    fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
        steps
    }
    fn trajectory(&self, history: &[KtStep]) -> Vec<Vec<f32>> {
        BktModel::trajectory(self, history)
    }
}

/// One answered problem as a teacher's data spells it.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
pub struct Answer {
    /// The problem's skill ids (a multi-skill problem lists several).
    pub skills: Vec<String>,
    pub correct: bool,
    /// The problem id, used by problem-aware models when they know it.
    #[serde(default)]
    pub problem: Option<String>,
}

/// Model steps for `answers`. An unknown skill is an error, not a silent skip: a mastery table
/// that quietly ignored half a student's work would look confident and be wrong.
pub fn steps(model: &(impl Tracer + ?Sized), answers: &[Answer]) -> Result<Vec<KtStep>, InferError> {
    answers
        .iter()
        .enumerate()
        .map(|(index, a)| {
            if a.skills.is_empty() {
                return Err(InferError::Invalid(format!("answer {index}: no skill")));
            }
            let skills = a
                .skills
                .iter()
                .map(|s| model.vocab().get(s).ok_or_else(|| InferError::UnknownSkill { index, skill: s.clone(), known: model.vocab().len() }))
                .collect::<Result<Vec<u32>, _>>()?;
            let problem = a.problem.as_deref().and_then(|p| model.problems().get(p));
            Ok(KtStep { skills, correct: a.correct, problem })
        })
        .collect()
}

/// Benchmark histories: `students` × `steps` answers cycling through the model's skills with a
/// fixed right/wrong pattern. The model's cost does not depend on the values; native and browser
/// benchmarks time the same inputs.
pub fn synthetic_histories(model: &(impl Tracer + ?Sized), students: usize, steps: usize) -> Vec<Vec<KtStep>> {
    let n = model.vocab().len() as u32;
    (0..students as u32).map(|b| (0..steps as u32).map(|t| KtStep::new(vec![(b * 7 + t * 3) % n], (b + t) % 3 != 0)).collect()).collect()
}

/// Per-skill probabilities after `history` (the model reads its last `window` steps).
pub fn mastery(model: &DktModel, history: &[KtStep]) -> Vec<f32> {
    model.weights.mastery(model.recent(history))
}

/// Per-skill probabilities after each step of `history`: `out[t][s]`, with `out[0]` the prior.
/// Each point reads the window ending at that step, as [`mastery`] would have at the time.
pub fn trajectory(model: &DktModel, history: &[KtStep]) -> Vec<Vec<f32>> {
    let s = model.config.dkt.n_skills;
    let window = model.config.train.window;
    let mut out = vec![model.weights.mastery(&[])];
    // Within the first window one pass gives every step; past it, each step starts its own window.
    let first = &history[..history.len().min(window)];
    out.extend(model.weights.predict(&[first]).remove(0).chunks(s).map(<[f32]>::to_vec));
    if history.len() > window {
        let tails: Vec<&[KtStep]> = (window + 1..=history.len()).map(|end| &history[end - window..end]).collect();
        out.extend(model.weights.mastery_batch(&tails));
    }
    out
}

/// Student × skill probabilities after each student's whole history.
#[derive(Debug, Clone, Serialize)]
pub struct MasteryTable {
    /// Skill ids (stable keys, the CSV header).
    pub skills: Vec<String>,
    /// Skill names for people.
    pub labels: Vec<String>,
    /// One row per student: (student id, probabilities in `skills` order).
    pub rows: Vec<(String, Vec<f32>)>,
}

/// The table for `students` (default: every student of `seqs`), in one batched pass. A named
/// student with no usable answer is an error; with no names, such students get the prior.
pub fn mastery_table(model: &(impl Tracer + ?Sized), seqs: &[KtSequence], students: &[String]) -> Result<MasteryTable, InferError> {
    let by_id: HashMap<&str, &KtSequence> = seqs.iter().map(|q| (q.student.as_str(), q)).collect();
    let chosen: Vec<String> = if students.is_empty() { seqs.iter().map(|q| q.student.clone()).collect() } else { students.to_vec() };
    let empty: &[KtStep] = &[];
    let mut hist = Vec::with_capacity(chosen.len());
    for id in &chosen {
        match by_id.get(id.as_str()) {
            Some(q) => hist.push(q.steps.as_slice()),
            None if students.is_empty() => hist.push(empty),
            None => return Err(InferError::UnknownStudent(id.clone())),
        }
    }
    let rows = chosen.into_iter().zip(model.mastery_batch(&hist)).collect();
    Ok(MasteryTable { skills: model.vocab().names().to_vec(), labels: model.vocab().labels.clone(), rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::device::reference_device;
    use crate::models::dkt::kernel::DktWeights;
    use crate::models::dkt::net::DktConfig;
    use crate::models::dkt::{DktRunConfig, DktTrainConfig};
    use crate::sequences::kt::{ProblemVocab, SkillVocab};

    pub(crate) fn tiny_model(window: usize) -> DktModel {
        let dkt = DktConfig { n_skills: 3, hidden: 8, n_problems: 0 };
        let train = DktTrainConfig { hidden: 8, window, ..DktTrainConfig::default() };
        let config = DktRunConfig { model: "dkt".into(), dkt, train };
        let module = dkt.init(7, &reference_device());
        let vocab = SkillVocab::new(vec!["add".into(), "sub".into(), "mul".into()]);
        DktModel { weights: DktWeights::from_model(&module), vocab, problems: ProblemVocab::default(), config }
    }

    fn answer(skill: &str, correct: bool) -> Answer {
        Answer { skills: vec![skill.into()], correct, problem: None }
    }

    #[test]
    fn unknown_skills_are_errors_with_their_position() {
        let m = tiny_model(4);
        let err = steps(&m, &[answer("add", true), answer("div", false)]).unwrap_err();
        assert!(matches!(&err, InferError::UnknownSkill { index: 1, skill, known: 3 } if skill == "div"), "{err}");
        assert!(matches!(steps(&m, &[Answer { skills: vec![], correct: true, problem: None }]), Err(InferError::Invalid(_))));
    }

    #[test]
    fn trajectory_ends_at_the_current_mastery_and_starts_at_the_prior() {
        let m = tiny_model(4);
        let answers: Vec<Answer> = (0..9).map(|i| answer(["add", "sub", "mul"][i % 3], i % 2 == 0)).collect();
        let h = steps(&m, &answers).unwrap();
        let t = trajectory(&m, &h);
        assert_eq!(t.len(), h.len() + 1);
        assert_eq!(t[0], mastery(&m, &[]));
        for end in 1..=h.len() {
            let want = mastery(&m, &h[..end]);
            assert!(t[end].iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-6), "step {end}");
        }
    }

    #[test]
    fn a_named_student_without_answers_is_an_error() {
        let m = tiny_model(4);
        let seqs = vec![KtSequence { student: "ana".into(), steps: steps(&m, &[answer("add", true)]).unwrap() }];
        assert!(matches!(mastery_table(&m, &seqs, &["bo".into()]), Err(InferError::UnknownStudent(s)) if s == "bo"));
        let t = mastery_table(&m, &seqs, &[]).unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].1, mastery(&m, &seqs[0].steps));
    }

    /// DKT behind the trait's defaults only: what a model without its own trajectory gets.
    struct Generic<'a>(&'a dyn Tracer);
    impl Tracer for Generic<'_> {
        fn vocab(&self) -> &SkillVocab {
            self.0.vocab()
        }
        fn problems(&self) -> &ProblemVocab {
            self.0.problems()
        }
        fn sequences(&self, data: &crate::data::Interactions) -> (Vec<KtSequence>, KtBuildReport) {
            self.0.sequences(data)
        }
        fn mastery_batch(&self, histories: &[&[KtStep]]) -> Vec<Vec<f32>> {
            self.0.mastery_batch(histories)
        }
        fn recent<'a>(&self, steps: &'a [KtStep]) -> &'a [KtStep] {
            self.0.recent(steps)
        }
    }

    fn close(a: &[Vec<f32>], b: &[Vec<f32>], tol: f32) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| (p - q).abs() < tol))
    }

    /// `eval dkt --scoring deployed` scores what the dashboard shows: each step's probability
    /// in the student's trajectory, read before the step. (Windows scoring does not, past the
    /// first window.)
    #[test]
    fn deployed_scoring_is_the_dashboards_trajectory() {
        use crate::metrics::binary_report;
        use crate::models::dkt::train::evaluate_dkt;
        use crate::sequences::kt::{KtSequence, Scoring};
        let m = tiny_model(4);
        let seqs: Vec<KtSequence> = [11usize, 3, 6]
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                let answers: Vec<Answer> = (0..n).map(|i| answer(["add", "sub", "mul"][(i + k) % 3], (i * 7 + k) % 3 != 0)).collect();
                KtSequence { student: k.to_string(), steps: steps(&m, &answers).unwrap() }
            })
            .collect();
        let (mut scores, mut labels) = (vec![], vec![]);
        for q in &seqs {
            let t = trajectory(&m, &q.steps);
            for (i, step) in q.steps.iter().enumerate().skip(1) {
                scores.push(step.skills.iter().map(|&s| t[i][s as usize]).sum::<f32>() / step.skills.len() as f32);
                labels.push(step.correct);
            }
        }
        let want = binary_report(&scores, &labels);
        let got = evaluate_dkt(&m.weights, &m.vocab, &seqs, Scoring::Deployed(4)).overall;
        assert_eq!(got.n, want.n);
        assert!((got.log_loss - want.log_loss).abs() < 1e-6 && (got.auc.unwrap() - want.auc.unwrap()).abs() < 1e-9, "{got:?} vs {want:?}");
        let windows = evaluate_dkt(&m.weights, &m.vocab, &seqs, Scoring::Windows(4)).overall;
        assert!(windows.n < want.n && (windows.log_loss - want.log_loss).abs() > 1e-6, "windows scoring reads less: {windows:?}");
    }

    #[test]
    fn dkt_s_own_trajectory_agrees_with_the_generic_one_past_its_window() {
        let m = KtModel::Dkt(tiny_model(4));
        let answers: Vec<Answer> = (0..11).map(|i| answer(["add", "sub", "mul"][i % 3], i % 4 != 0)).collect();
        let h = steps(&m, &answers).unwrap();
        assert!(close(&m.trajectory(&h), &Generic(&m).trajectory(&h), 1e-6));
        assert!(m.dkt().is_some());
    }

    #[test]
    fn an_attention_model_serves_the_same_calls() {
        use crate::models::akt::{AktConfig, AktRunConfig, AktTrainConfig};
        let akt = AktConfig { n_skills: 3, n_problems: 0, dim: 8, heads: 2, value_layers: 1, layers: 1, ff: 16, dropout: 0.0 };
        let config = AktRunConfig { model: "akt".into(), akt, train: AktTrainConfig { window: 4, ..Default::default() } };
        let vocab = SkillVocab::new(vec!["add".into(), "sub".into(), "mul".into()]);
        let m = KtModel::Akt(AktModel::new(config, vocab, ProblemVocab::default(), akt.init(3, &reference_device())));
        assert!(m.dkt().is_none());
        let answers: Vec<Answer> = (0..7).map(|i| answer(["add", "sub", "mul"][i % 3], i % 2 == 0)).collect();
        let h = steps(&m, &answers).unwrap();
        assert_eq!(m.recent(&h).len(), 4);
        let t = m.trajectory(&h);
        assert_eq!(t.len(), h.len() + 1);
        assert!(close(&t[..1], &m.mastery_batch(&[&[]]), 1e-6), "starts at the prior");
        let seqs = vec![KtSequence { student: "ana".into(), steps: h.clone() }];
        assert!(close(&t[h.len()..], &[mastery_table(&m, &seqs, &[]).unwrap().rows.remove(0).1], 1e-6), "ends at the table's row");
        assert!(t.iter().flatten().all(|p| (0.0..=1.0).contains(p)));
    }

    #[test]
    fn bkt_serves_the_same_calls_and_reads_the_whole_history() {
        use crate::models::bkt::{BktConfig, BktModel};
        let vocab = SkillVocab::new(vec!["add".into(), "sub".into(), "mul".into()]);
        let answers: Vec<Answer> = (0..40).map(|i| answer(["add", "sub", "mul"][i % 3], i % 5 != 0)).collect();
        let probe = BktModel::fit(&[], vocab.clone(), 4, BktConfig::default());
        let h = steps(&probe, &answers).unwrap();
        let seqs = vec![KtSequence { student: "ana".into(), steps: h.clone() }];
        let m = KtModel::Bkt(BktModel::fit(&seqs, vocab, 4, BktConfig::default()));
        assert!(m.dkt().is_none() && m.bkt().is_some() && m.problems().is_empty());
        assert_eq!(m.recent(&h).len(), h.len(), "no window");
        let t = m.trajectory(&h);
        assert!(close(&t, &Generic(&m).trajectory(&h), 1e-6));
        assert!(close(&t[h.len()..], &[mastery_table(&m, &seqs, &[]).unwrap().rows.remove(0).1], 1e-6));
    }
}
