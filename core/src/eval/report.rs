//! One hits@n report for a trained recommender and both baselines, scored on the same reads, so
//! every table shows what the transformer adds.

use std::collections::BTreeMap;

use burn::tensor::Device;
use serde::Serialize;

use crate::data::Interactions;
use crate::eval::hits::{AggregateHits, EvalType, StudentHits, aggregate, score_per_read};
use crate::models::baselines::{ItemKnn, KnnConfig, PerRead, PopularityConfig, continuation_then_popular, knn, most_popular, without_first_read};
use crate::models::study::infer::per_read;
use crate::models::study::net::{Recommender, RecommenderConfig};
use crate::sequences::study::{StudentReads, StudyData, TitleVocab};

/// One method's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodHits {
    pub method: String,
    #[serde(skip)]
    pub per_student: Vec<StudentHits>,
    pub aggregate: Vec<AggregateHits>,
}

impl MethodHits {
    pub(crate) fn new(method: &str, per_student: Vec<StudentHits>) -> Self {
        let aggregate = aggregate(&per_student);
        Self { method: method.to_string(), per_student, aggregate }
    }

    /// The aggregate hits@n of one evaluation type, if any student had such a read.
    pub fn get(&self, eval_type: EvalType, n: usize) -> Option<f64> {
        self.aggregate.iter().find(|a| a.eval_type == eval_type && a.n == n).map(|a| a.hits_at_n)
    }
}

/// The baselines on `eval`, scored on the reads a model can be scored on (each student's reads
/// after the first), in this order: classroom popularity (`popularity`), item KNN fitted on
/// `train_seqs` (`knn`), the previous read's title then popularity (`continue_pop`), and
/// popularity without the titles the student already read (`pop_unread`).
pub fn baselines(train_seqs: &[StudentReads], eval_data: &Interactions, eval: &StudyData, vocab: &TitleVocab, ns: &[usize]) -> Vec<MethodHits> {
    let n = ns.iter().copied().max().unwrap_or(20);
    let config = PopularityConfig { n, ..Default::default() };
    let knn_cfg = KnnConfig { n, ..Default::default() };
    let item_knn = ItemKnn::fit(train_seqs, vocab, &knn_cfg);
    let knn_out = knn(&eval.seqs, &item_knn, vocab, &knn_cfg);
    let cont = continuation_then_popular(&eval.seqs, &eval.classrooms, vocab, &config);
    let unread = most_popular(&eval.seqs, &eval.classrooms, vocab, &PopularityConfig { exclude_read: true, ..config });
    let score = |out: PerRead| score_per_read(eval_data, &eval.seqs, &without_first_read(out), vocab, ns);
    vec![
        popularity(eval_data, eval, vocab, ns),
        MethodHits::new("knn", score(knn_out)),
        MethodHits::new("continue_pop", score(cont)),
        MethodHits::new("pop_unread", score(unread)),
    ]
}

/// Classroom popularity alone, as [`baselines`] scores it (the page's fit verdict needs only it).
pub fn popularity(eval_data: &Interactions, eval: &StudyData, vocab: &TitleVocab, ns: &[usize]) -> MethodHits {
    let config = PopularityConfig { n: ns.iter().copied().max().unwrap_or(20), ..Default::default() };
    let pop = most_popular(&eval.seqs, &eval.classrooms, vocab, &config);
    MethodHits::new("popularity", score_per_read(eval_data, &eval.seqs, &without_first_read(pop), vocab, ns))
}

/// A model's suggestions before every read of `eval` (after each student's first), scored, and
/// the same lists by title as the reference's `recommendations.json`: student id → one list per
/// read from the second on.
pub fn model_hits(
    method: &str,
    model: &Recommender,
    config: &RecommenderConfig,
    vocab: &TitleVocab,
    eval_data: &Interactions,
    eval: &StudyData,
    ns: &[usize],
    device: &Device,
) -> (MethodHits, BTreeMap<String, Vec<Vec<String>>>) {
    let n = ns.iter().copied().max().unwrap_or(20);
    let lists = per_read(model, config, vocab, eval, n, device);
    let hits = score_per_read(eval_data, &eval.seqs, &lists, vocab, ns);
    let mut recommendations = BTreeMap::new();
    for (s, per) in eval.seqs.iter().zip(&lists) {
        let titles = per.iter().map(|l| l.iter().filter_map(|&id| vocab.decode(id)).map(str::to_string).collect()).collect();
        recommendations.insert(eval_data.students.name(s.student).to_string(), titles);
    }
    (MethodHits::new(method, hits), recommendations)
}

/// A plain-text table: one line per (evaluation type, n), one column per method, in percent.
pub fn comparison_table(methods: &[MethodHits], ns: &[usize]) -> String {
    let mut out = format!("{:<18} {:>4}", "reads", "n");
    for m in methods {
        out += &format!(" {:>12}", m.method);
    }
    out.push('\n');
    for t in EvalType::EACH {
        for &n in ns {
            out += &format!("{:<18} {:>4}", t.as_str(), n);
            for m in methods {
                out += &match m.get(t, n) {
                    Some(h) => format!(" {:>11.2}%", 100.0 * h),
                    None => format!(" {:>12}", "n/a"),
                };
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sequences::study::test_data::*;
    use crate::sequences::study::{PackConfig, build_study, student_sequences};

    #[test]
    fn baselines_are_scored_on_reads_after_the_first() {
        // y reads A then B; with B the most popular by the time of y's second read.
        let d = one_school(log(&[("x", "B", day(2021, 1, 1)), ("y", "A", day(2021, 1, 2)), ("y", "B", day(2021, 1, 3))]));
        let v = TitleVocab::from_titles(["A", "B"].map(String::from));
        let eval = build_study(&d, &v, &PackConfig::new(8, 8).unwrap());
        let (train, _) = student_sequences(&d, &v);
        let tables = baselines(&train, &d, &eval, &v, &[1]);
        let pop = &tables[0];
        // Only y's second read (B, Jan 3) is scored. Before it the classroom read B and A once
        // each; the tie goes to the lower id, A: a miss.
        let y: Vec<&StudentHits> = pop.per_student.iter().filter(|h| h.student == "y").collect();
        assert_eq!(y.iter().map(|h| (h.scored, h.hits)).collect::<Vec<_>>(), [(1, 0), (1, 0), (1, 0)], "one scored read per type");
        assert!(pop.per_student.iter().all(|h| h.student != "x"), "x has a single read: nothing to score");
        let names: Vec<&str> = tables.iter().map(|m| m.method.as_str()).collect();
        assert_eq!(names, ["popularity", "knn", "continue_pop", "pop_unread"]);
        // Before y's B the current title is A: continue_pop suggests A, a miss; pop_unread leaves
        // out A, which y read, and suggests B: a hit.
        let y_hits = |m: &MethodHits| m.per_student.iter().filter(|h| h.student == "y").map(|h| (h.scored, h.hits)).collect::<Vec<_>>();
        assert_eq!(y_hits(&tables[2]), [(1, 0); 3]);
        assert_eq!(y_hits(&tables[3]), [(1, 1); 3]);
        let text = comparison_table(&tables, &[1]);
        assert!(text.contains("popularity") && text.contains("continue_pop") && text.contains("non_continuation"), "{text}");
    }
}
