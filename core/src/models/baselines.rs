//! Two baselines over [`StudentReads`] and [`Classroom`]s, so every results table shows what the
//! transformer adds.
//!
//! Both answer, for each read of each student, "what would we have suggested just before it?"
//! ([`PerRead`]), using only what was known then, and both return exactly `n` title ids when the
//! vocabulary has that many (never PAD, SEP or OOV): titles they cannot rank are filled in
//! training-popularity order, i.e. by ascending vocabulary id (see [`TitleVocab`]). That order
//! is also the tie-break, so results never depend on hash order.
//!
//! - [`most_popular`]: the titles the student's classroom read most in the `days` days strictly
//!   before the read's date (same-day reads stay invisible, as in the STUDY mask; the student's
//!   own earlier reads count too).
//! - [`ItemKnn`]: item-item cosine similarity from training students' sequences, candidates
//!   scored by summed similarity to the student's most recent distinct titles.
//! - [`continuation_then_popular`]: the title the student read last first (a book is read over
//!   several sessions), then [`most_popular`]'s list. With [`most_popular`]'s `exclude_read`, the
//!   "something new" list: popularity without the titles the student already read. Both are the
//!   baselines a reviewer asks for beside a sequence model (issue 15).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::metrics::ranking::first_n;
use crate::sequences::study::{Classroom, StudentReads, TitleVocab};

/// `out[s][k]`: the suggestions made just before `seqs[s].reads[k]`, best first.
pub type PerRead = Vec<Vec<Vec<u32>>>;

/// `per_read` without the lists before each student's first read, so a baseline is scored on
/// the same reads as a model that cannot suggest before a first read (see
/// [`crate::eval::hits::StudentEval`]).
pub fn without_first_read(mut per_read: PerRead) -> PerRead {
    for lists in &mut per_read {
        if !lists.is_empty() {
            lists.remove(0);
        }
    }
    per_read
}

/// Takes the first `n` ids of `ranked` that are recommendable and not excluded, then fills up in
/// training-popularity order.
fn top_n(ranked: &[u32], vocab: &TitleVocab, n: usize, exclude: &HashSet<u32>) -> Vec<u32> {
    first_n(ranked.iter().copied().chain(vocab.title_ids()), n, |id| vocab.is_recommendable(id) && !exclude.contains(&id))
}

/// Options for [`most_popular`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopularityConfig {
    /// Length of the look-back window in days.
    pub days: u32,
    /// Suggestions per read.
    pub n: usize,
    /// Leave out titles the student read before (a "something new" list).
    pub exclude_read: bool,
}

impl Default for PopularityConfig {
    /// Four weeks: long enough for a small class to have read something, short enough to follow
    /// what it reads now. All 20 suggestions the tables score; nothing excluded, as in the
    /// reference's evaluation.
    fn default() -> Self {
        Self { days: 28, n: 20, exclude_read: false }
    }
}

/// One classroom's reads by time, to count what it read in any window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassroomPopularity {
    /// (time, title), sorted.
    reads: Vec<(i64, u32)>,
}

impl ClassroomPopularity {
    pub fn new(reads: impl IntoIterator<Item = (i64, u32)>) -> Self {
        let mut reads: Vec<(i64, u32)> = reads.into_iter().collect();
        reads.sort_unstable();
        Self { reads }
    }

    /// Every read of the classroom's members (members that do not point into `seqs` are
    /// skipped).
    pub fn from_classroom(classroom: &Classroom, seqs: &[StudentReads]) -> Self {
        let member_reads = classroom.members.iter().filter_map(|m| seqs.get(m.seq).and_then(|s| s.reads.get(m.reads.clone())));
        Self::new(member_reads.flatten().map(|r| (r.time, r.title)))
    }

    /// Recommendable titles read in `[time - days, time)`, most read first (ties: lower id).
    pub fn ranking(&self, time: i64, days: u32, vocab: &TitleVocab) -> Vec<u32> {
        let from = time.saturating_sub(i64::from(days) * 86_400);
        let start = self.reads.partition_point(|&(t, _)| t < from);
        let end = self.reads.partition_point(|&(t, _)| t < time);
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for &(_, title) in self.reads.get(start..end).unwrap_or_default() {
            if vocab.is_recommendable(title) {
                *counts.entry(title).or_default() += 1;
            }
        }
        let mut ranked: Vec<(u32, u32)> = counts.into_iter().collect();
        ranked.sort_unstable_by_key(|&(title, count)| (std::cmp::Reverse(count), title));
        ranked.into_iter().map(|(title, _)| title).collect()
    }

    /// The top `n` suggestions at `time` (see [`top_n`] for the fill-up).
    pub fn suggest(&self, time: i64, config: &PopularityConfig, vocab: &TitleVocab, exclude: &HashSet<u32>) -> Vec<u32> {
        top_n(&self.ranking(time, config.days, vocab), vocab, config.n, exclude)
    }
}

/// Most popular in the classroom over the last `days` days, for every read of every student.
/// A read is judged by the classroom it was grouped into (its school year's, for a student
/// spanning two).
pub fn most_popular(seqs: &[StudentReads], classrooms: &[Classroom], vocab: &TitleVocab, config: &PopularityConfig) -> PerRead {
    let mut out: PerRead = seqs.iter().map(|s| vec![Vec::new(); s.reads.len()]).collect();
    for classroom in classrooms {
        let popularity = ClassroomPopularity::from_classroom(classroom, seqs);
        // Classmates often read on the same days: rank each day once.
        let mut rankings: HashMap<i64, Vec<u32>> = HashMap::new();
        for m in &classroom.members {
            let Some(s) = seqs.get(m.seq).filter(|s| m.reads.end <= s.reads.len()) else { continue };
            let mut read_before = titles_before(s, m.reads.start, config.exclude_read);
            for k in m.reads.clone() {
                let time = s.reads[k].time;
                let ranked = rankings.entry(time).or_insert_with(|| popularity.ranking(time, config.days, vocab));
                out[m.seq][k] = top_n(ranked, vocab, config.n, &read_before);
                if config.exclude_read {
                    read_before.insert(s.reads[k].title);
                }
            }
        }
    }
    out
}

/// "Continue the current title, then classroom popularity": before each read after a student's
/// first, the title of their previous read (when recommendable), then [`most_popular`]'s list
/// without it, `config.n` in all. Before a first read there is no current title: popularity.
pub fn continuation_then_popular(seqs: &[StudentReads], classrooms: &[Classroom], vocab: &TitleVocab, config: &PopularityConfig) -> PerRead {
    let mut out = most_popular(seqs, classrooms, vocab, config);
    for (s, lists) in seqs.iter().zip(out.iter_mut()) {
        for (k, list) in lists.iter_mut().enumerate().skip(1) {
            let current = s.reads[k - 1].title;
            if !vocab.is_recommendable(current) {
                continue;
            }
            list.retain(|&t| t != current);
            list.insert(0, current);
            list.truncate(config.n);
        }
    }
    out
}

/// The titles of `s.reads[..k]` when `wanted`, else an empty set.
fn titles_before(s: &StudentReads, k: usize, wanted: bool) -> HashSet<u32> {
    if !wanted {
        return HashSet::new();
    }
    s.reads.iter().take(k).map(|r| r.title).collect()
}

/// Options for [`ItemKnn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnnConfig {
    /// Two titles co-occur for a student when at most this many steps apart in the student's
    /// sequence of distinct consecutive titles; `usize::MAX` means anywhere in the sequence.
    pub window: usize,
    /// How many of the student's most recent distinct titles candidates are scored against.
    pub recent: usize,
    /// Neighbours kept per title (the most similar), to bound memory and scoring time.
    pub max_neighbours: usize,
    /// Suggestions per read.
    pub n: usize,
    /// Leave out titles the student read before.
    pub exclude_read: bool,
}

impl Default for KnnConfig {
    /// A window of 5 keeps "read around the same time" (reading series, a class's current unit)
    /// rather than "read by the same student some year"; 5 recent titles follow the current
    /// interest without being dominated by the very last one.
    fn default() -> Self {
        Self { window: 5, recent: 5, max_neighbours: 200, n: 20, exclude_read: false }
    }
}

/// Item-item co-occurrence KNN.
///
/// `C(a, b)` is the number of training students for whom titles `a != b` co-occur within
/// `window` steps of their sequence, after collapsing consecutive reads of one title into one
/// step (a book read over five sessions is one step, not five). `N(a)` is the number of
/// training students who read `a`. The similarity is the cosine of the two titles' student
/// incidence vectors, `C(a, b) / sqrt(N(a) N(b))`, in `(0, 1]`. OOV reads are ignored.
///
/// The same table is a STUDY input (the co-read channel of
/// [`crate::models::study::net::RecommenderConfig::coread`]), which is why it serializes: a
/// model directory and a pack carry the one the model was trained with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemKnn {
    /// By vocabulary id: (neighbour, similarity), most similar first (ties: lower id).
    neighbours: Vec<Vec<(u32, f32)>>,
    recent: usize,
}

impl ItemKnn {
    /// Fits on training students only.
    pub fn fit<'a>(train: impl IntoIterator<Item = &'a StudentReads>, vocab: &TitleVocab, config: &KnnConfig) -> Self {
        let mut readers = vec![0u32; vocab.len()];
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        for s in train {
            let steps = distinct_steps(s, vocab);
            let read: HashSet<u32> = steps.iter().copied().collect();
            for &t in &read {
                readers[t as usize] += 1;
            }
            for pair in co_occurring_pairs(&steps, config.window) {
                *pairs.entry(pair).or_default() += 1;
            }
        }
        let mut neighbours = vec![Vec::new(); vocab.len()];
        for ((a, b), c) in pairs {
            let sim = (f64::from(c) / (f64::from(readers[a as usize]) * f64::from(readers[b as usize])).sqrt()) as f32;
            neighbours[a as usize].push((b, sim));
            neighbours[b as usize].push((a, sim));
        }
        for list in &mut neighbours {
            list.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
            list.truncate(config.max_neighbours);
        }
        Self { neighbours, recent: config.recent }
    }

    /// The similarity of two titles (0 when they never co-occurred or one was cut by
    /// `max_neighbours`).
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        let list = self.neighbours.get(a as usize).map(Vec::as_slice).unwrap_or_default();
        list.iter().find(|&&(t, _)| t == b).map_or(0.0, |&(_, s)| s)
    }

    /// Each title's summed similarity to the last `recent` distinct titles of `history`
    /// (vocabulary ids, oldest first); titles similar to none of them are absent.
    pub fn scores(&self, history: &[u32]) -> HashMap<u32, f32> {
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for t in recent_distinct(history, self.recent) {
            for &(b, sim) in self.neighbours.get(t as usize).map(Vec::as_slice).unwrap_or_default() {
                *scores.entry(b).or_default() += sim;
            }
        }
        scores
    }

    /// The number of vocabulary ids the table was fitted for.
    pub fn vocab_len(&self) -> usize {
        self.neighbours.len()
    }

    /// Suggestions after a student's `history` (vocabulary ids, oldest first): candidates ranked
    /// by summed similarity to the last `recent` distinct titles (ties: lower id), then filled
    /// in popularity order.
    pub fn suggest(&self, history: &[u32], vocab: &TitleVocab, n: usize, exclude: &HashSet<u32>) -> Vec<u32> {
        let mut ranked: Vec<(u32, f32)> = self.scores(history).into_iter().collect();
        ranked.sort_unstable_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let ranked: Vec<u32> = ranked.into_iter().map(|(t, _)| t).collect();
        top_n(&ranked, vocab, n, exclude)
    }
}

/// A student's recommendable titles with consecutive repeats collapsed.
fn distinct_steps(s: &StudentReads, vocab: &TitleVocab) -> Vec<u32> {
    let mut steps: Vec<u32> = s.reads.iter().map(|r| r.title).filter(|&t| vocab.is_recommendable(t)).collect();
    steps.dedup();
    steps
}

/// Unordered pairs of different titles at most `window` steps apart, each pair once.
fn co_occurring_pairs(steps: &[u32], window: usize) -> HashSet<(u32, u32)> {
    let mut out = HashSet::new();
    for (i, &a) in steps.iter().enumerate() {
        for &b in steps.iter().skip(i + 1).take(window) {
            if a != b {
                out.insert((a.min(b), a.max(b)));
            }
        }
    }
    out
}

/// The last `k` distinct titles of `history`, most recent first.
fn recent_distinct(history: &[u32], k: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(k);
    for &t in history.iter().rev() {
        if out.len() >= k {
            break;
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// [`ItemKnn::suggest`] before every read of every student in `seqs`.
pub fn knn(seqs: &[StudentReads], model: &ItemKnn, vocab: &TitleVocab, config: &KnnConfig) -> PerRead {
    seqs.iter()
        .map(|s| {
            let history: Vec<u32> = s.reads.iter().map(|r| r.title).collect();
            let mut read_before = HashSet::new();
            (0..history.len())
                .map(|k| {
                    let out = model.suggest(&history[..k], vocab, config.n, &read_before);
                    if config.exclude_read {
                        read_before.insert(history[k]);
                    }
                    out
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::study::test_data::*;
    use crate::sequences::study::{OOV, group_classrooms, student_sequences};

    fn setup(reads: &[R<'_>], vocab_titles: &[&str]) -> (TitleVocab, Vec<StudentReads>, Vec<Classroom>) {
        let d = one_school(log(reads));
        let v = TitleVocab::from_titles(vocab_titles.iter().map(|t| t.to_string()));
        let (seqs, _) = student_sequences(&d, &v);
        let rooms = group_classrooms(&seqs);
        (v, seqs, rooms)
    }

    #[test]
    fn most_popular_counts_the_window_strictly_before_the_read() {
        // Vocabulary ids: A=3, B=4, C=5, D=6.
        let (v, seqs, rooms) = setup(
            &[
                ("x", "C", day(2021, 1, 1)), // outside a 5-day window of Jan 10
                ("x", "B", day(2021, 1, 6)),
                ("y", "B", day(2021, 1, 7)),
                ("y", "D", day(2021, 1, 9)),
                ("z", "D", day(2021, 1, 9)),
                ("z", "C", day(2021, 1, 10)), // the read being predicted
                ("x", "A", day(2021, 1, 10)), // same day: invisible
                ("x", "A", day(2021, 1, 10)),
            ],
            &["A", "B", "C", "D"],
        );
        let config = PopularityConfig { days: 5, n: 4, exclude_read: false };
        let out = most_popular(&seqs, &rooms, &v, &config);
        // z's second read (Jan 10): window [Jan 5, Jan 10): B twice, D twice; tie -> lower id.
        assert_eq!(out[2][1], [4, 6, 3, 5], "B, D, then fill-up A, C in popularity order");
        // x's first read (Jan 1): nothing before it: pure fill-up.
        assert_eq!(out[0][0], [3, 4, 5, 6]);
        let excluding = most_popular(&seqs, &rooms, &v, &PopularityConfig { exclude_read: true, ..config });
        // x before its reads on Jan 10 (x read C and B before): B excluded, then D; C excluded.
        assert_eq!(excluding[0][2], [6, 3]);
        assert_eq!(excluding[0][3], [6], "A, read just before, is excluded too");
    }

    #[test]
    fn continuation_puts_the_previous_title_first_then_popularity() {
        // Vocabulary ids: A=3, B=4, C=5.
        let (v, seqs, rooms) = setup(
            &[
                ("x", "B", day(2021, 1, 1)),
                ("y", "A", day(2021, 1, 2)),
                ("y", "C", day(2021, 1, 3)),
                ("y", "NEW", day(2021, 1, 4)),
                ("y", "A", day(2021, 1, 5)),
            ],
            &["A", "B", "C"],
        );
        let config = PopularityConfig { days: 28, n: 2, exclude_read: false };
        let pop = most_popular(&seqs, &rooms, &v, &config);
        let cont = continuation_then_popular(&seqs, &rooms, &v, &config);
        assert_eq!(cont[1][0], pop[1][0], "before a first read: popularity");
        // Before y's C (Jan 3): A (read last) first, then popularity without A: B.
        assert_eq!(pop[1][1], [3, 4]);
        assert_eq!(cont[1][1], [3, 4]);
        // Before y's NEW (Jan 4): C first, then popularity's A (B and A tie at one read; A's id is lower).
        assert_eq!(cont[1][2], [5, 3]);
        // Before y's A (Jan 5): the previous read is out of the vocabulary: popularity alone.
        assert_eq!(cont[1][3], pop[1][3]);
        assert!(cont.iter().flatten().all(|l| l.len() == 2 && l.iter().all(|&t| v.is_recommendable(t))));
    }

    #[test]
    fn most_popular_never_suggests_specials_and_stays_in_the_classroom() {
        let mut d = log(&[("x", "NEW", day(2021, 1, 1)), ("x", "NEW", day(2021, 1, 2)), ("y", "A", day(2021, 1, 1)), ("x", "A", day(2021, 1, 3))]);
        let (s1, s2) = (d.schools.intern("S1"), d.schools.intern("S2"));
        d.student_info[0].school = Some(s1);
        d.student_info[1].school = Some(s2);
        let v = TitleVocab::from_titles(["B".to_string(), "A".to_string()]);
        let (seqs, _) = student_sequences(&d, &v);
        assert_eq!(seqs[0].reads[0].title, OOV);
        let out = most_popular(&seqs, &group_classrooms(&seqs), &v, &PopularityConfig { days: 30, n: 5, exclude_read: false });
        // x's third read: x's window holds only OOV reads; y (another school) read A: not seen.
        assert_eq!(out[0][2], [3, 4], "no OOV, and only two titles exist");
        assert!(out.iter().flatten().flatten().all(|&t| v.is_recommendable(t)));
    }

    #[test]
    fn knn_similarity_is_windowed_cosine() {
        // Ids: A=3, B=4, C=5, D=6.
        let (v, seqs, _) = setup(
            &[
                ("s", "A", day(2021, 1, 1)),
                ("s", "A", day(2021, 1, 2)), // a continuation: one step
                ("s", "B", day(2021, 1, 3)),
                ("s", "C", day(2021, 1, 4)),
                ("t", "A", day(2021, 1, 1)),
                ("t", "B", day(2021, 1, 2)),
                ("u", "D", day(2021, 1, 1)),
            ],
            &["A", "B", "C", "D"],
        );
        let config = KnnConfig { window: 1, ..KnnConfig::default() };
        let model = ItemKnn::fit(&seqs, &v, &config);
        // A-B co-occur for s and t (N(A) = N(B) = 2): 2 / sqrt(4) = 1.
        assert!((model.similarity(3, 4) - 1.0).abs() < 1e-6);
        // B-C for s only: 1 / sqrt(2 * 1).
        assert!((model.similarity(4, 5) - 1.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(model.similarity(3, 5), 0.0, "A and C are two steps apart in s");
        assert_eq!(model.similarity(5, 4), model.similarity(4, 5));
        let whole = ItemKnn::fit(&seqs, &v, &KnnConfig { window: usize::MAX, ..config });
        assert!((whole.similarity(3, 5) - 1.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(whole.similarity(3, 6), 0.0);
    }

    #[test]
    fn knn_scores_by_summed_similarity_to_recent_titles() {
        let (v, seqs, _) = setup(
            &[
                ("s", "A", day(2021, 1, 1)),
                ("s", "C", day(2021, 1, 2)),
                ("t", "B", day(2021, 1, 1)),
                ("t", "C", day(2021, 1, 2)),
                ("u", "B", day(2021, 1, 1)),
                ("u", "D", day(2021, 1, 2)),
            ],
            &["A", "B", "C", "D"],
        );
        let model = ItemKnn::fit(&seqs, &v, &KnnConfig { window: 1, recent: 2, ..KnnConfig::default() });
        // sim(A,C) = 1/sqrt(1*2) = .707, sim(B,C) = 1/sqrt(2*2) = .5, sim(B,D) = 1/sqrt(2*1) = .707.
        let none = HashSet::new();
        // After [A, B]: C = .707 + .5, D = .707, then fill-up A, B.
        assert_eq!(model.suggest(&[3, 4], &v, 4, &none), [5, 6, 3, 4]);
        // recent = 2 distinct titles: after [A, B, B, B] still both A and B count.
        assert_eq!(model.suggest(&[3, 4, 4, 4], &v, 2, &none), [5, 6]);
        // After [D]: only B scores; excluding B gives the fill-up.
        assert_eq!(model.suggest(&[6], &v, 2, &none), [4, 3]);
        assert_eq!(model.suggest(&[6], &v, 2, &HashSet::from([4])), [3, 5]);
        assert_eq!(model.suggest(&[], &v, 9, &none), [3, 4, 5, 6], "never more titles than exist");

        let out = knn(&seqs, &model, &v, &KnnConfig { n: 2, exclude_read: true, ..KnnConfig::default() });
        assert_eq!(out[0][0], [3, 4], "no history: popularity order");
        assert_eq!(out[0][1], [5, 4], "after A: C, then fill-up skipping A");
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2]);
    }
}
