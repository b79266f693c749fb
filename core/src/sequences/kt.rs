//! Knowledge-tracing sequences: one step per answered problem, in time order.
//!
//! A problem tagged with several skills is one step carrying all of them (the sources repeat the
//! row per skill; scoring each copy would leak the answer into the next copy's input). Steps are
//! cut into windows of a fixed length; within a window the model's output after step `t` is
//! scored on step `t + 1` only, never on a response it has already seen.

use serde::{Deserialize, Serialize};

use crate::data::{EventKind, Interactions, Interner};

/// The skills a model knows, in model index order. Built from training data only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillVocab {
    /// Skill ids as the source spells them: the key that ties data to the model.
    #[serde(flatten)]
    pub ids: Interner,
    /// Names for people (the id again where the source has none).
    #[serde(default)]
    pub labels: Vec<String>,
}

impl SkillVocab {
    pub fn new(names: Vec<String>) -> Self {
        let labels = names.clone();
        Self::with_labels(names, labels)
    }

    pub fn with_labels(names: Vec<String>, labels: Vec<String>) -> Self {
        assert_eq!(names.len(), labels.len(), "one label per skill");
        Self { ids: Interner::from_names(names), labels }
    }

    pub fn label(&self, i: usize) -> &str {
        &self.labels[i]
    }

    pub fn names(&self) -> &[String] {
        self.ids.names()
    }

    /// Every skill that tags at least one answered problem in `data`, in first-seen order.
    pub fn from_interactions(data: &Interactions) -> Self {
        let skills = first_seen(data.problem_events().flat_map(|e| e.skills.iter().copied()), data.skills.len());
        let names = skills.iter().map(|&s| data.skills.name(s).to_string()).collect();
        let labels = skills.iter().map(|&s| data.skill_label(s).to_string()).collect();
        Self::with_labels(names, labels)
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Restores the lookup index (and missing labels) after deserialization.
    pub fn reindexed(mut self) -> Self {
        self.ids.reindex();
        if self.labels.len() != self.ids.len() {
            self.labels = self.ids.names().to_vec();
        }
        self
    }
}

/// The distinct indices (each `< n`) of `ids`, in first-seen order: the order every vocabulary
/// here is built in, so a model's indices follow its training data deterministically.
fn first_seen(ids: impl Iterator<Item = u32>, n: usize) -> Vec<u32> {
    let mut seen = vec![false; n];
    ids.filter(|&i| !std::mem::replace(&mut seen[i as usize], true)).collect()
}

/// One answered problem in model terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KtStep {
    /// Model skill indices (see [`SkillVocab`]); never empty.
    pub skills: Vec<u32>,
    pub correct: bool,
    /// Model problem index (see [`ProblemVocab`]) when the model tracks problems and knows this
    /// one; `None` means "an average problem of these skills".
    #[serde(default)]
    pub problem: Option<u32>,
}

impl KtStep {
    pub fn new(skills: Vec<u32>, correct: bool) -> Self {
        Self { skills, correct, problem: None }
    }
}

/// The problems a problem-aware model has parameters for: those answered by training students.
pub type ProblemVocab = Interner;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KtSequence {
    pub student: String,
    pub steps: Vec<KtStep>,
}

/// What the builder had to leave out, so callers can say so.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KtBuildReport {
    pub students: usize,
    pub steps: usize,
    /// Answered problems with no skill tag at all.
    pub untagged: usize,
    /// Answered problems whose skills are all unknown to the vocabulary.
    pub unknown_skill: usize,
}

/// Builds one time-ordered sequence per student that has at least one usable step.
pub fn kt_sequences(data: &Interactions, vocab: &SkillVocab) -> (Vec<KtSequence>, KtBuildReport) {
    kt_sequences_with_problems(data, vocab, None)
}

/// [`kt_sequences`] that also tags each step with its model problem index, for problem-aware
/// models.
pub fn kt_sequences_with_problems(data: &Interactions, vocab: &SkillVocab, problems: Option<&ProblemVocab>) -> (Vec<KtSequence>, KtBuildReport) {
    let to_model: Vec<Option<u32>> = data.skills.names().iter().map(|n| vocab.get(n)).collect();
    let problem_of: Vec<Option<u32>> = match problems {
        Some(p) => data.items.names().iter().map(|n| p.get(n)).collect(),
        None => vec![None; data.items.len()],
    };
    let mut report = KtBuildReport::default();
    let mut out = Vec::new();
    for (student, events) in data.by_student().into_iter().enumerate() {
        let mut steps: Vec<KtStep> = Vec::new();
        // The last event turned into a step, by (order, item, time): a raw export grouped by
        // skill repeats one response in non-adjacent rows with the same order id, which the
        // loader cannot fold without holding every response. Sorted here they are neighbours,
        // and one response must stay one step, or its second copy is scored on an answer the
        // model was just given.
        let mut last_step: Option<(u64, u32, Option<i64>)> = None;
        for i in events {
            let e = &data.events[i];
            let (EventKind::Problem, Some(correct)) = (e.kind, e.correct) else { continue };
            if last_step == Some((e.order, e.item, e.time)) {
                let step = steps.last_mut().expect("a step was recorded");
                for s in e.skills.iter().filter_map(|&s| to_model[s as usize]) {
                    if !step.skills.contains(&s) {
                        step.skills.push(s);
                    }
                }
                continue;
            }
            if e.skills.is_empty() {
                report.untagged += 1;
                continue;
            }
            let skills: Vec<u32> = e.skills.iter().filter_map(|&s| to_model[s as usize]).collect();
            if skills.is_empty() {
                report.unknown_skill += 1;
                continue;
            }
            steps.push(KtStep { skills, correct, problem: problem_of[e.item as usize] });
            last_step = Some((e.order, e.item, e.time));
        }
        if !steps.is_empty() {
            report.steps += steps.len();
            out.push(KtSequence { student: data.students.name(student as u32).to_string(), steps });
        }
    }
    report.students = out.len();
    (out, report)
}

/// A slice `[start, start + len)` of sequence `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub seq: usize,
    pub start: usize,
    pub len: usize,
}

/// Cuts every sequence into consecutive non-overlapping windows of at most `len` steps, dropping
/// windows of a single step (nothing in them can be scored).
pub fn windows(seqs: &[KtSequence], len: usize) -> Vec<Window> {
    assert!(len >= 2, "a window needs at least two steps");
    let mut out = Vec::new();
    for (seq, s) in seqs.iter().enumerate() {
        tile(seq, 0, s.steps.len(), len, &mut out);
    }
    out
}

/// Windows of at most `len` steps over `from..n` of sequence `seq`, dropping single steps.
fn tile(seq: usize, from: usize, n: usize, len: usize, out: &mut Vec<Window>) {
    let mut start = from;
    while start < n {
        let l = len.min(n - start);
        if l >= 2 {
            out.push(Window { seq, start, len: l });
        }
        start += len;
    }
}

/// The shifted training windows of `epoch` (1-based) of a run seeded `seed`: [`shifted_windows`]
/// with the epoch mixed into the seed. The one rule both KT trainers follow, so a resumed run cuts
/// its remaining epochs as an uninterrupted one would.
pub fn epoch_windows(seqs: &[KtSequence], len: usize, seed: u64, epoch: usize) -> Vec<Window> {
    shifted_windows(seqs, len, seed ^ (epoch as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// [`windows`], with every history cut at its own seeded offset: the first window holds a
/// history's first `o` steps (`o` uniform in `0..len`, dropped below two steps), the rest are
/// `len` long from there. Training on a fresh cut each epoch (`seed` mixed with the epoch) lets
/// a model start from a zero state at every point of a history, as the dashboard's window of the
/// last `len` steps does, instead of only at multiples of `len`.
pub fn shifted_windows(seqs: &[KtSequence], len: usize, seed: u64) -> Vec<Window> {
    use rand::{Rng, SeedableRng};
    assert!(len >= 2, "a window needs at least two steps");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for (seq, s) in seqs.iter().enumerate() {
        let n = s.steps.len();
        let o = rng.random_range(0..len).min(n);
        tile(seq, 0, o, len, &mut out);
        tile(seq, o, n, len, &mut out);
    }
    out
}

/// Which held-out steps are scored, and what each is predicted from.
///
/// `Windows(w)` is the protocol of the DKT papers and of the PyTorch peer: each history cut into
/// non-overlapping windows of `w` steps ([`windows`]), each window read from a zero state, every
/// step but a window's first scored. A step past the first window is then predicted from the
/// steps since its window began (on average half a window), and each later window's first step is
/// not scored at all. `Deployed(w)` scores what the dashboard shows ([`crate::infer::mastery`]):
/// every step but a student's first, predicted from the `w` steps before it (all of them within
/// the first window), the context the dashboard reads. (A problem-aware model's score also adds
/// the answered problem's difficulty, which the per-skill mastery shown does not.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    Windows(usize),
    Deployed(usize),
}

/// Steps `[start, start + len)` of sequence `seq`, read by a model from a zero state; the steps
/// from offset `first_scored` on (offsets within the piece) are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoredPiece {
    pub seq: usize,
    pub start: usize,
    pub len: usize,
    pub first_scored: usize,
}

impl ScoredPiece {
    /// The scored steps' indices in their sequence.
    pub fn scored(&self) -> std::ops::Range<usize> {
        self.start + self.first_scored..self.start + self.len
    }
}

/// The pieces `scoring` reads. With `Deployed(w)`: a student's first `w + 1` steps as one piece
/// (step `t ≤ w` is predicted from steps `0..t`), then one piece of `w + 1` steps per later step,
/// scoring only its last.
pub fn scored_pieces(seqs: &[KtSequence], scoring: Scoring) -> Vec<ScoredPiece> {
    match scoring {
        Scoring::Windows(w) => windows(seqs, w).into_iter().map(|x| ScoredPiece { seq: x.seq, start: x.start, len: x.len, first_scored: 1 }).collect(),
        Scoring::Deployed(w) => {
            assert!(w >= 1, "a model reads at least one step");
            let mut out = Vec::new();
            for (seq, s) in seqs.iter().enumerate() {
                let n = s.steps.len();
                if n >= 2 {
                    out.push(ScoredPiece { seq, start: 0, len: n.min(w + 1), first_scored: 1 });
                }
                out.extend((w + 1..n).map(|e| ScoredPiece { seq, start: e - w, len: w + 1, first_scored: w }));
            }
            out
        }
    }
}

/// A batch laid out time-major (`t`, then batch row `b`, then skill slot `k`), which is the order
/// the recurrence consumes it in.
#[derive(Debug, Clone, PartialEq)]
pub struct KtBatch {
    pub batch: usize,
    pub steps: usize,
    /// Skill slots per step: the most skills any step in the batch has.
    pub slots: usize,
    /// Input token per slot: `2 * skill + correct`; padding slots point at token 0 with weight 0.
    pub input_token: Vec<i64>,
    /// `1 / k` for each of a step's `k` skills, 0 for padding.
    pub input_weight: Vec<f32>,
    /// For the output after step `t`: the skills of step `t + 1` (padding: skill 0, weight 0).
    pub target_skill: Vec<i64>,
    pub target_weight: Vec<f32>,
    /// For the output after step `t`: whether step `t + 1` was answered correctly.
    pub target_correct: Vec<f32>,
    /// Per step: its problem index (0 when unknown) and 1.0 if known, else 0.0. Time-major
    /// `[steps * batch]`; `target_*` describe step `t + 1`.
    pub input_problem: Vec<i64>,
    pub input_problem_known: Vec<f32>,
    pub target_problem: Vec<i64>,
    pub target_problem_known: Vec<f32>,
}

impl KtBatch {
    pub fn new(seqs: &[KtSequence], windows: &[Window]) -> Self {
        let batch = windows.len();
        let steps = windows.iter().map(|w| w.len).max().unwrap_or(0);
        let slot_of = |w: &Window| seqs[w.seq].steps[w.start..w.start + w.len].iter().map(|s| s.skills.len()).max().unwrap_or(1);
        let slots = windows.iter().map(slot_of).max().unwrap_or(1);
        let cells = steps * batch * slots;
        let mut b = KtBatch {
            batch,
            steps,
            slots,
            input_token: vec![0; cells],
            input_weight: vec![0.0; cells],
            target_skill: vec![0; cells],
            target_weight: vec![0.0; cells],
            target_correct: vec![0.0; steps * batch],
            input_problem: vec![0; steps * batch],
            input_problem_known: vec![0.0; steps * batch],
            target_problem: vec![0; steps * batch],
            target_problem_known: vec![0.0; steps * batch],
        };
        for (row, w) in windows.iter().enumerate() {
            let steps_w = &seqs[w.seq].steps[w.start..w.start + w.len];
            for (t, step) in steps_w.iter().enumerate() {
                let base = (t * batch + row) * slots;
                let k = step.skills.len() as f32;
                for (j, &s) in step.skills.iter().enumerate() {
                    b.input_token[base + j] = 2 * s as i64 + i64::from(step.correct);
                    b.input_weight[base + j] = 1.0 / k;
                }
                if let Some(p) = step.problem {
                    b.input_problem[t * batch + row] = p as i64;
                    b.input_problem_known[t * batch + row] = 1.0;
                }
                if let Some(next) = steps_w.get(t + 1) {
                    let k = next.skills.len() as f32;
                    for (j, &s) in next.skills.iter().enumerate() {
                        b.target_skill[base + j] = s as i64;
                        b.target_weight[base + j] = 1.0 / k;
                    }
                    b.target_correct[t * batch + row] = if next.correct { 1.0 } else { 0.0 };
                    if let Some(p) = next.problem {
                        b.target_problem[t * batch + row] = p as i64;
                        b.target_problem_known[t * batch + row] = 1.0;
                    }
                }
            }
        }
        b
    }

    /// Number of scored (step, next step) pairs.
    pub fn scored(&self) -> usize {
        self.target_weight.chunks(self.slots).filter(|c| c.iter().any(|&w| w > 0.0)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(steps: &[(&[u32], bool)]) -> KtSequence {
        KtSequence { student: "s".into(), steps: steps.iter().map(|(s, c)| KtStep::new(s.to_vec(), *c)).collect() }
    }

    #[test]
    fn a_response_repeated_in_non_adjacent_rows_is_one_step() {
        // A raw export grouped by skill: response 1 (order 1) appears under skill A and,
        // further down, under skill B.
        let csv = "order_id,user_id,problem_id,original,correct,skill_id\n1,u,p1,1,1,A\n2,u,p2,1,0,A\n1,u,p1,1,1,B\n";
        let data = crate::data::assistments::read_assistments(csv.as_bytes(), "x.csv", &Default::default()).unwrap();
        let vocab = SkillVocab::from_interactions(&data);
        let (seqs, report) = kt_sequences(&data, &vocab);
        let steps = &seqs[0].steps;
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!((steps[0].skills.clone(), steps[0].correct), (vec![0, 1], true));
        assert_eq!((steps[1].skills.clone(), steps[1].correct), (vec![0], false));
        assert_eq!(report.steps, 2);
    }

    #[test]
    fn windows_cut_and_drop_singletons() {
        let one: &[u32] = &[0];
        let s = vec![seq(&[(one, true); 5]), seq(&[(&[1], false)])];
        let w = windows(&s, 2);
        assert_eq!(w, vec![Window { seq: 0, start: 0, len: 2 }, Window { seq: 0, start: 2, len: 2 }]);
    }

    #[test]
    fn shifted_windows_tile_each_history_from_a_seeded_cut() {
        let one: &[u32] = &[0];
        let s: Vec<KtSequence> = (1..40).map(|n| seq(&vec![(one, true); n])).collect();
        let cut = |seed| shifted_windows(&s, 5, seed);
        assert_eq!(cut(3), cut(3), "seeded");
        assert_ne!(cut(3), cut(4), "another seed, another cut");
        for (q, hist) in s.iter().enumerate() {
            let w: Vec<Window> = cut(3).into_iter().filter(|w| w.seq == q).collect();
            // Consecutive, at most 5 long, at least 2, and only the first may be shorter than 5
            // unless it is the history's end.
            assert!(w.iter().all(|x| (2..=5).contains(&x.len)));
            assert!(w.windows(2).all(|p| p[0].start + p[0].len <= p[1].start && p[1].start - p[0].start <= 5));
            if let Some(last) = w.last() {
                assert!(hist.steps.len() - (last.start + last.len) < 2, "nothing scorable left after the last window");
            }
        }
    }

    #[test]
    fn deployed_scoring_predicts_every_later_step_from_the_window_before_it() {
        let one: &[u32] = &[0];
        let s = vec![seq(&[(one, true); 7]), seq(&[(&[1], false)]), seq(&[(one, false); 3])];
        let p = scored_pieces(&s, Scoring::Deployed(3));
        // The first four steps in one piece (steps 1..=3 scored), then steps 4, 5, 6 each from
        // the three steps before it; the one-step history scores nothing.
        let piece = |seq, start, len, first_scored| ScoredPiece { seq, start, len, first_scored };
        assert_eq!(p, vec![piece(0, 0, 4, 1), piece(0, 1, 4, 3), piece(0, 2, 4, 3), piece(0, 3, 4, 3), piece(2, 0, 3, 1)]);
        let scored: Vec<Vec<usize>> = (0..3).map(|q| p.iter().filter(|x| x.seq == q).flat_map(|x| x.scored()).collect()).collect();
        assert_eq!(scored, vec![vec![1, 2, 3, 4, 5, 6], vec![], vec![1, 2]], "every step but the first, once");
        // Windows of 3 leave out step 3 (the second window's first) and read step 4 from step 3 only.
        let w: Vec<usize> = scored_pieces(&s, Scoring::Windows(3)).iter().filter(|x| x.seq == 0).flat_map(|x| x.scored()).collect();
        assert_eq!(w, vec![1, 2, 4, 5]);
    }

    #[test]
    fn batch_targets_are_the_next_step_never_the_current_one() {
        let s = vec![seq(&[(&[2], true), (&[0, 1], false), (&[1], true)])];
        let b = KtBatch::new(&s, &windows(&s, 10));
        assert_eq!((b.batch, b.steps, b.slots), (1, 3, 2));
        // Step 0 input: skill 2 correct -> token 5; its target is step 1 (skills 0 and 1, wrong).
        assert_eq!(&b.input_token[0..2], &[5, 0]);
        assert_eq!(&b.input_weight[0..2], &[1.0, 0.0]);
        assert_eq!(&b.target_skill[0..2], &[0, 1]);
        assert_eq!(&b.target_weight[0..2], &[0.5, 0.5]);
        assert_eq!(b.target_correct[0], 0.0);
        // Step 1 input: both skills wrong; target is step 2 (skill 1, right).
        assert_eq!(&b.input_token[2..4], &[0, 2]);
        assert_eq!(&b.target_skill[2..4], &[1, 0]);
        assert_eq!(b.target_correct[1], 1.0);
        // The last step has nothing after it: not scored.
        assert_eq!(&b.target_weight[4..6], &[0.0, 0.0]);
        assert_eq!(b.scored(), 2);
    }
}

/// Train / valid / test sequences with a vocabulary built from the training students only.
#[derive(Debug, Clone)]
pub struct KtSplits {
    pub vocab: SkillVocab,
    /// Problems answered by training students (empty unless asked for).
    pub problems: ProblemVocab,
    pub train: Vec<KtSequence>,
    pub valid: Vec<KtSequence>,
    pub test: Vec<KtSequence>,
    pub report: KtBuildReport,
}

/// Splits `data` by student (seeded), or, when `valid_data` is given, trains on all of `data`
/// and validates on `valid_data`. Skills that only held-out students practise are unknown to the
/// model, exactly as they would be in deployment; their steps are counted in the report.
pub fn kt_splits(data: &Interactions, valid_data: Option<&Interactions>, valid_frac: f64, test_frac: f64, seed: u64) -> KtSplits {
    kt_splits_with(data, valid_data, valid_frac, test_frac, seed, false)
}

/// [`kt_splits`], optionally tagging steps with problems (vocabulary from training students).
pub fn kt_splits_with(data: &Interactions, valid_data: Option<&Interactions>, valid_frac: f64, test_frac: f64, seed: u64, with_problems: bool) -> KtSplits {
    let full = SkillVocab::from_interactions(data);
    let all_problems = &data.items;
    let (seqs, mut report) = kt_sequences_with_problems(data, &full, with_problems.then_some(all_problems));
    let (train, valid, test) = match valid_data {
        Some(_) => (seqs, vec![], vec![]),
        None => super::split::split3(&seqs, valid_frac, test_frac, seed),
    };
    // Vocabulary of the training students, in first-seen order.
    let skills = first_seen(train.iter().flat_map(|q| &q.steps).flat_map(|st| st.skills.iter().copied()), full.len());
    let names = skills.iter().map(|&s| full.names()[s as usize].clone()).collect();
    let labels = skills.iter().map(|&s| full.labels[s as usize].clone()).collect();
    let vocab = SkillVocab::with_labels(names, labels);
    let remap: Vec<Option<u32>> = full.names().iter().map(|n| vocab.get(n)).collect();
    let restrict = |seqs: Vec<KtSequence>, report: &mut KtBuildReport| -> Vec<KtSequence> {
        seqs.into_iter()
            .filter_map(|mut q| {
                q.steps.retain_mut(|st| {
                    st.skills = st.skills.iter().filter_map(|&s| remap[s as usize]).collect();
                    if st.skills.is_empty() {
                        report.unknown_skill += 1;
                    }
                    !st.skills.is_empty()
                });
                (!q.steps.is_empty()).then_some(q)
            })
            .collect()
    };
    let mut train = restrict(train, &mut report);
    // Problems: only those training students answered get parameters; others count as unknown.
    let problems = if with_problems {
        let seen = first_seen(train.iter().flat_map(|q| &q.steps).filter_map(|st| st.problem), all_problems.len());
        let names: Vec<String> = seen.iter().map(|&p| all_problems.name(p).to_string()).collect();
        ProblemVocab::from_names(names)
    } else {
        ProblemVocab::default()
    };
    let reproblem = |seqs: &mut Vec<KtSequence>| {
        for st in seqs.iter_mut().flat_map(|q| q.steps.iter_mut()) {
            st.problem = st.problem.and_then(|p| problems.get(all_problems.name(p)));
        }
    };
    reproblem(&mut train);
    // A separate validation file is indexed against `problems` directly.
    let valid = match valid_data {
        Some(v) => {
            let (seqs, r) = kt_sequences_with_problems(v, &vocab, with_problems.then_some(&problems));
            report.untagged += r.untagged;
            report.unknown_skill += r.unknown_skill;
            seqs
        }
        None => {
            let mut v = restrict(valid, &mut report);
            reproblem(&mut v);
            v
        }
    };
    let mut test = restrict(test, &mut report);
    reproblem(&mut test);
    KtSplits { vocab, problems, train, valid, test, report }
}
