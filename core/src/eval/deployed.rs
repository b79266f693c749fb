//! The deployed protocol (issue 15): every read is scored with the list the app would have shown
//! on the morning of the read's day.
//!
//! The reference protocol ([`super::report`]) scores a model's list from the token of the
//! student's previous read, which sees classmates' reads only up to *that* read's day, while
//! classroom popularity counts reads up to the *target's* day; and it ranks titles the student
//! already read, which the app's [`crate::infer::recommend`] leaves out. Both flatter or
//! handicap methods unevenly. Here every method answers the same question with the same
//! information: "on the morning of day D, given every read of the student and their classmates
//! before D, what should the student read next?", and no method may suggest a title the student
//! read before D.
//!
//! - The model: for each classroom and each day D on which a member read, the classroom's
//!   reads before D are packed afresh and [`recommend_next`] runs with `as_of` D, exactly as the
//!   page runs it on a teacher's data that ends the evening before. Packing afresh (rather than
//!   masking the full data's rows) keeps even the row layout, which depends on how many reads
//!   each student has, free of anything from D on.
//! - The baselines: classroom popularity over the reads before D, and item KNN on the student's
//!   reads before D, both without the titles read before D (so "continue the current title"
//!   and "popularity without read titles" are this protocol's popularity).
//!
//! Every read on D gets the same list, and a read is scored only when its student read on an
//! earlier day (a student's first day has nothing to suggest from). With titles read before D
//! left out, a continuation of an earlier day's book is always a miss for every method: the
//! cells this protocol is for are `non_history` (and `non_continuation`), as the page shows
//! them.
//!
//! Reads held in a second file (`--valid-data` with every student's *later* reads) are scored
//! with the student's earlier reads as context: [`with_history`] puts them in front, and the
//! [`ContextReads`] counts keep them from being scored.

use std::collections::{BTreeMap, HashMap, HashSet};

use burn::tensor::Device;

use crate::data::{Event, EventKind, Interactions};
use crate::eval::hits::score_per_read;
use crate::eval::report::MethodHits;
use crate::models::baselines::{ClassroomPopularity, ItemKnn, KnnConfig, PerRead, PopularityConfig};
use crate::models::study::infer::{NextOptions, recommend_next};
use crate::models::study::net::{Recommender, RecommenderConfig};
use crate::sequences::study::{PackConfig, Read, StudentReads, StudyData, StudyReport, TitleVocab, group_classrooms, pack_classrooms};

const DAY: i64 = 86_400;

/// 00:00 UTC of the day of `time` (epoch seconds).
pub fn day_of(time: i64) -> i64 {
    time - time.rem_euclid(DAY)
}

/// Per student (index into the source's students): how many of their first reads are context,
/// never scored. Empty: every read may be scored.
pub type ContextReads = HashMap<u32, usize>;

/// `later` with each of its students' dated reads from `earlier` in front (students and titles
/// matched by name; `earlier`'s other students and events are left out), and how many reads of
/// each student came from `earlier`. Meant for a split in time: `later` holds every student's
/// reads after `earlier`'s; at equal times `earlier`'s come first.
pub fn with_history(earlier: &Interactions, later: &Interactions) -> (Interactions, ContextReads) {
    let mut out = later.clone();
    let shift = earlier.events.iter().map(|e| e.order).max().map_or(0, |m| m + 1);
    for e in &mut out.events {
        e.order += shift;
    }
    let mut context = ContextReads::new();
    let mut front = Vec::new();
    for e in earlier.events.iter().filter(|e| e.kind == EventKind::Reading && e.time.is_some()) {
        let Some(student) = later.students.get(earlier.students.name(e.student)) else { continue };
        let item = out.items.intern(earlier.items.name(e.item));
        *context.entry(student).or_default() += 1;
        front.push(Event { student, item, skills: Vec::new(), ..e.clone() });
    }
    front.append(&mut out.events);
    out.events = front;
    (out, context)
}

/// How many of `s`'s first reads are not scored: those of the student's first day and the
/// context ones (reads are in time order, so the scored reads are the rest).
fn unscored(s: &StudentReads, context: &ContextReads) -> usize {
    let first = s.reads.first().map_or(0, |r| day_of(r.time));
    let first_day = s.reads.iter().take_while(|r| day_of(r.time) == first).count();
    first_day.max(context.get(&s.student).copied().unwrap_or(0))
}

/// Per classroom (in `eval.classrooms` order): day → the scored reads `(seq, read)` of its
/// members on that day.
fn scored_days(eval: &StudyData, context: &ContextReads) -> Vec<BTreeMap<i64, Vec<(usize, usize)>>> {
    eval.classrooms
        .iter()
        .map(|c| {
            let mut by_day: BTreeMap<i64, Vec<(usize, usize)>> = BTreeMap::new();
            for m in &c.members {
                let Some(s) = eval.seqs.get(m.seq) else { continue };
                let from = unscored(s, context);
                for k in m.reads.clone().filter(|&k| k < s.reads.len() && k >= from) {
                    by_day.entry(day_of(s.reads[k].time)).or_default().push((m.seq, k));
                }
            }
            by_day
        })
        .collect()
}

/// `s`'s reads before `day` (its reads are in time order).
fn reads_before(s: &StudentReads, day: i64) -> &[Read] {
    &s.reads[..s.reads.partition_point(|r| r.time < day)]
}

/// The titles of `s`'s reads before `day`.
fn read_before(s: &StudentReads, day: i64) -> HashSet<u32> {
    reads_before(s, day).iter().map(|r| r.title).collect()
}

/// Empty lists for every read, to be filled for the scored ones.
fn empty_lists(eval: &StudyData) -> PerRead {
    eval.seqs.iter().map(|s| vec![Vec::new(); s.reads.len()]).collect()
}

/// `lists` scored on the scored reads (see [`unscored`]). Context reads still count as the
/// student's history (a title read there is not new).
fn score(method: &str, data: &Interactions, eval: &StudyData, context: &ContextReads, mut lists: PerRead, vocab: &TitleVocab, ns: &[usize]) -> MethodHits {
    for (s, per) in eval.seqs.iter().zip(lists.iter_mut()) {
        per.drain(..unscored(s, context).min(per.len()));
    }
    MethodHits::new(method, score_per_read(data, &eval.seqs, &lists, vocab, ns))
}

/// A trained model's lists as deployed: `out[s][k]` for each scored read (empty otherwise).
#[allow(clippy::too_many_arguments)]
pub fn model_lists(
    model: &Recommender,
    config: &RecommenderConfig,
    vocab: &TitleVocab,
    eval: &StudyData,
    context: &ContextReads,
    pack: &PackConfig,
    n: usize,
    device: &Device,
) -> PerRead {
    let mut out = empty_lists(eval);
    for (classroom, by_day) in eval.classrooms.iter().zip(scored_days(eval, context)) {
        let mut members: Vec<usize> = classroom.members.iter().map(|m| m.seq).collect();
        members.sort_unstable();
        members.dedup();
        for (day, reads) in by_day {
            // The classroom as the page would hold it on the evening before `day`.
            let seqs: Vec<StudentReads> = members
                .iter()
                .filter_map(|&i| eval.seqs.get(i))
                .map(|s| StudentReads { reads: reads_before(s, day).to_vec(), ..s.clone() })
                .filter(|s| !s.reads.is_empty())
                .collect();
            let classrooms = group_classrooms(&seqs);
            let rows = pack_classrooms(&classrooms, &seqs, pack);
            let before = StudyData { seqs, classrooms, rows, report: StudyReport::default() };
            let mut students: Vec<u32> = reads.iter().map(|&(seq, _)| eval.seqs[seq].student).collect();
            students.dedup();
            let options = NextOptions { n, include_read: false, as_of: day };
            let found: BTreeMap<u32, Vec<u32>> = recommend_next(model, config, vocab, &before, &students, &options, device)
                .into_iter()
                .map(|next| (next.student, next.suggestions.iter().map(|s| vocab.encode(&s.title)).collect()))
                .collect();
            for (seq, k) in reads {
                if let Some(list) = found.get(&eval.seqs[seq].student) {
                    out[seq][k] = list.clone();
                }
            }
        }
    }
    out
}

/// Classroom popularity over `config.days` days before each scored read's day, without the
/// titles the student read before that day.
pub fn popularity_lists(eval: &StudyData, context: &ContextReads, vocab: &TitleVocab, config: &PopularityConfig) -> PerRead {
    let mut out = empty_lists(eval);
    for (classroom, by_day) in eval.classrooms.iter().zip(scored_days(eval, context)) {
        let popularity = ClassroomPopularity::from_classroom(classroom, &eval.seqs);
        for (day, reads) in by_day {
            for (seq, k) in reads {
                out[seq][k] = popularity.suggest(day, config, vocab, &read_before(&eval.seqs[seq], day));
            }
        }
    }
    out
}

/// Item KNN on the student's reads before each scored read's day, without the titles read
/// before it.
pub fn knn_lists(eval: &StudyData, context: &ContextReads, knn: &ItemKnn, vocab: &TitleVocab, n: usize) -> PerRead {
    let mut out = empty_lists(eval);
    for by_day in scored_days(eval, context) {
        for (day, reads) in by_day {
            for (seq, k) in reads {
                let history: Vec<u32> = reads_before(&eval.seqs[seq], day).iter().map(|r| r.title).collect();
                out[seq][k] = knn.suggest(&history, vocab, n, &history.iter().copied().collect());
            }
        }
    }
    out
}

/// The model (when given) and the baselines, scored in the deployed protocol on `eval` (built
/// from `eval_data`; `context` says which reads are only history): the model's row is named
/// `method`, then `popularity`, and `knn` when there are training sequences to fit it on.
#[allow(clippy::too_many_arguments)]
pub fn deployed_hits(
    model: Option<(&str, &Recommender, &RecommenderConfig, &PackConfig)>,
    train_seqs: Option<&[StudentReads]>,
    eval_data: &Interactions,
    eval: &StudyData,
    context: &ContextReads,
    vocab: &TitleVocab,
    ns: &[usize],
    device: &Device,
) -> Vec<MethodHits> {
    let n = ns.iter().copied().max().unwrap_or(20);
    let mut methods = Vec::new();
    if let Some((method, model, config, pack)) = model {
        let lists = model_lists(model, config, vocab, eval, context, pack, n, device);
        methods.push(score(method, eval_data, eval, context, lists, vocab, ns));
    }
    let pop = popularity_lists(eval, context, vocab, &PopularityConfig { n, exclude_read: true, ..Default::default() });
    methods.push(score("popularity", eval_data, eval, context, pop, vocab, ns));
    if let Some(train_seqs) = train_seqs {
        let knn = ItemKnn::fit(train_seqs, vocab, &KnnConfig { n, exclude_read: true, ..Default::default() });
        methods.push(score("knn", eval_data, eval, context, knn_lists(eval, context, &knn, vocab, n), vocab, ns));
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::hits::EvalType;
    use crate::models::device::reference_device;
    use crate::models::study::net::RecommenderKind;
    use crate::sequences::study::build_study;
    use crate::sequences::study::test_data::*;

    fn rate(m: &MethodHits, student: &str, t: EvalType) -> Option<(usize, usize)> {
        m.per_student.iter().find(|h| h.student == student && h.eval_type == t && h.n == 1).map(|h| (h.scored, h.hits))
    }

    #[test]
    fn popularity_counts_before_the_day_and_leaves_out_read_titles() {
        // y reads A (Jan 1), then B and A again on Jan 3. x read B twice on Jan 2.
        let d = one_school(log(&[
            ("y", "A", day(2021, 1, 1)),
            ("x", "B", day(2021, 1, 2)),
            ("x", "B", day(2021, 1, 2)),
            ("y", "B", day(2021, 1, 3)),
            ("y", "A", day(2021, 1, 3)),
        ]));
        let v = TitleVocab::from_titles(["A", "B", "C"].map(String::from));
        let eval = build_study(&d, &v, &PackConfig::new(8, 8).unwrap());
        let tables = deployed_hits(None, Some(&eval.seqs), &d, &eval, &ContextReads::new(), &v, &[1], &reference_device());
        let pop = &tables[0];
        // Only y's two Jan 3 reads are scored (x read on one day only). Both get the list of
        // the morning of Jan 3 without A: [B]. B is a hit; A (read before) can never be.
        assert_eq!(rate(pop, "y", EvalType::All), Some((2, 1)));
        assert_eq!(rate(pop, "y", EvalType::NonHistory), Some((1, 1)));
        assert!(pop.per_student.iter().all(|h| h.student != "x"));
        let lists = popularity_lists(&eval, &ContextReads::new(), &v, &PopularityConfig { n: 3, exclude_read: true, ..Default::default() });
        let y = eval.seqs.iter().position(|s| d.students.name(s.student) == "y").unwrap();
        assert_eq!(lists[y], [vec![], vec![v.encode("B"), v.encode("C")], vec![v.encode("B"), v.encode("C")]]);
    }

    #[test]
    fn the_model_sees_the_day_before_and_nothing_after() {
        // a reads T1 (Jan 1) and T2 (Jan 5); b reads T3 on Jan 3 and T4 on Jan 5 and Jan 9.
        let reads = [
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T3", day(2021, 1, 3)),
            ("a", "T2", day(2021, 1, 5)),
            ("b", "T4", day(2021, 1, 5)),
            ("b", "T4", day(2021, 1, 9)),
        ];
        let d = one_school(log(&reads));
        let v = TitleVocab::from_training(&d, 10);
        let pack = PackConfig::new(16, 16).unwrap();
        let eval = build_study(&d, &v, &pack);
        let cfg = RecommenderConfig { d_model: 8, n_heads: 2, d_ff: 16, n_layers: 1, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let model = cfg.init(3, &reference_device());
        let lists = model_lists(&model, &cfg, &v, &eval, &ContextReads::new(), &pack, 4, &reference_device());
        let (a, b) = (d.students.get("a").unwrap(), d.students.get("b").unwrap());
        let seq = |s: u32| eval.seqs.iter().position(|x| x.student == s).unwrap();
        // a's Jan 5 read: the list of the morning of Jan 5, what the page gives for data ending
        // Jan 4 (b's Jan 3 read visible, nothing of Jan 5 on).
        let upto = one_school(log(&reads[..2]));
        let before = build_study(&upto, &v, &pack);
        let want = recommend_next(
            &model,
            &cfg,
            &v,
            &before,
            &[upto.students.get("a").unwrap()],
            &NextOptions { n: 4, include_read: false, as_of: day(2021, 1, 5) },
            &reference_device(),
        );
        let want: Vec<u32> = want[0].suggestions.iter().map(|s| v.encode(&s.title)).collect();
        assert_eq!(lists[seq(a)], [vec![], want.clone()]);
        assert!(!want.contains(&v.encode("T1")), "a read T1 before");
        // Changing what anyone reads on Jan 5 or later changes no list of Jan 5.
        let mut later = reads;
        later[2].1 = "T3";
        later[3].1 = "T1";
        let d2 = one_school(log(&later));
        let eval2 = build_study(&d2, &v, &pack);
        let lists2 = model_lists(&model, &cfg, &v, &eval2, &ContextReads::new(), &pack, 4, &reference_device());
        assert_eq!(lists2[seq(a)][1], lists[seq(a)][1]);
        assert_eq!(lists2[seq(b)][1], lists[seq(b)][1]);
        assert!(lists[seq(b)][0].is_empty() && lists[seq(b)][1].len() == 3 && !lists[seq(b)][2].contains(&v.encode("T4")));
    }

    #[test]
    fn later_reads_are_scored_with_their_history() {
        // Earlier file: y read A (Jan 1) and B (Jan 2); x read C (Jan 2). Later file: y reads A
        // and C on Jan 5, x reads B on Jan 5.
        let earlier = one_school(log(&[("y", "A", day(2021, 1, 1)), ("y", "B", day(2021, 1, 2)), ("x", "C", day(2021, 1, 2)), ("z", "A", day(2021, 1, 2))]));
        let later = one_school(log(&[("y", "A", day(2021, 1, 5)), ("y", "C", day(2021, 1, 5)), ("x", "B", day(2021, 1, 5))]));
        let (merged, context) = with_history(&earlier, &later);
        let y = later.students.get("y").unwrap();
        assert_eq!(context[&y], 2);
        assert!(merged.students.get("z").is_none(), "students without later reads stay out");
        let v = TitleVocab::from_titles(["A", "B", "C"].map(String::from));
        let eval = build_study(&merged, &v, &PackConfig::new(8, 8).unwrap());
        let tables = deployed_hits(None, Some(&eval.seqs), &merged, &eval, &context, &v, &[1], &reference_device());
        let pop = &tables[0];
        // y's two later reads are scored, with A and B read before: the list is [C] (A, B left
        // out). A is a miss (read before: not new), C a hit and new.
        assert_eq!(rate(pop, "y", EvalType::All), Some((2, 1)));
        assert_eq!(rate(pop, "y", EvalType::NonHistory), Some((1, 1)));
        // x's later read B, with C before: before Jan 5 the classroom read A, B and C once each;
        // without C, A and B tie and A (the lower id) comes first: a miss.
        assert_eq!(rate(pop, "x", EvalType::All), Some((1, 0)));
        // Without the history nothing is scored: everyone's later reads are on one day.
        let alone = build_study(&later, &v, &PackConfig::new(8, 8).unwrap());
        let none = deployed_hits(None, Some(&alone.seqs), &later, &alone, &ContextReads::new(), &v, &[1], &reference_device());
        assert!(none[0].per_student.is_empty());
    }
}
