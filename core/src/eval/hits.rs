//! Hits@n, per student and averaged over students, as the STUDY reference computes them.
//!
//! For every read that has a suggestion list, a hit at `n` means the read's title is among the
//! first `n` suggestions. Reads fall into three evaluation types (the reference's names):
//! - `all`: every read with suggestions;
//! - `non_continuation`: the title differs from the student's previous read (a student's first
//!   read counts), i.e. not "keep reading the same book";
//! - `non_history`: the student never read the title before ("novel" in the paper).
//!
//! A student's hits@n for a type is their hits over their reads of that type; students with no
//! read of a type get no row for it. The aggregate is the unweighted mean over students, so a
//! prolific reader weighs as much as an occasional one. Titles are compared as the source spells
//! them, so two different out-of-vocabulary titles stay different reads.

use std::collections::HashSet;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::data::Interactions;
use crate::metrics::ranking::{hit, position};
use crate::models::baselines::PerRead;
use crate::sequences::study::{StudentReads, TitleVocab};

/// The n values of the STUDY tables.
pub const HIT_NS: [usize; 5] = [1, 3, 5, 10, 20];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EvalType {
    All,
    NonContinuation,
    NonHistory,
}

impl EvalType {
    /// In the order the reference writes them (also their alphabetical order).
    pub const EACH: [EvalType; 3] = [EvalType::All, EvalType::NonContinuation, EvalType::NonHistory];

    /// The `Evaluation_Type` value in the CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalType::All => "all",
            EvalType::NonContinuation => "non_continuation",
            EvalType::NonHistory => "non_history",
        }
    }
}

/// One student's reads and the suggestions made before them.
#[derive(Debug, Clone, Copy)]
pub struct StudentEval<'a, T> {
    pub student: &'a str,
    /// Titles in reading order.
    pub reads: &'a [T],
    /// Suggestion lists, best first, for the *last* `suggestions.len()` reads (the reference's
    /// convention: a suggester with nothing before a student's first read passes one list
    /// fewer). Lists beyond the number of reads are ignored.
    pub suggestions: &'a [Vec<T>],
}

/// One line of `per_student.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentHits {
    pub student: String,
    pub eval_type: EvalType,
    pub n: usize,
    /// Reads of this type that had suggestions (at least 1).
    pub scored: usize,
    pub hits: usize,
}

impl StudentHits {
    pub fn hits_at_n(&self) -> f64 {
        self.hits as f64 / self.scored as f64
    }
}

/// One line of `aggregate.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateHits {
    pub eval_type: EvalType,
    pub n: usize,
    /// Mean of the students' hits@n.
    pub hits_at_n: f64,
    /// How many students the mean is over.
    pub students: usize,
}

/// Per scored read: whether it is of each type (in [`EvalType::EACH`] order) and the 0-based
/// rank of its title among the suggestions, if there.
struct ScoredRead {
    types: [bool; 3],
    rank: Option<usize>,
}

fn scored_reads<T: Eq + Hash>(s: &StudentEval<'_, T>) -> Vec<ScoredRead> {
    let offset = s.reads.len().saturating_sub(s.suggestions.len());
    let mut seen: HashSet<&T> = HashSet::new();
    let mut out = Vec::new();
    for (i, title) in s.reads.iter().enumerate() {
        let is_new = seen.insert(title);
        let Some(list) = i.checked_sub(offset).and_then(|k| s.suggestions.get(k)) else { continue };
        let non_continuation = i == 0 || s.reads[i - 1] != *title;
        out.push(ScoredRead { types: [true, non_continuation, is_new], rank: position(list, title) });
    }
    out
}

/// Hits for every `n` in `ns`, ordered like the reference's `per_student.csv`: by `n`, then
/// evaluation type, then student (in input order).
pub fn per_student_hits<T: Eq + Hash>(students: &[StudentEval<'_, T>], ns: &[usize]) -> Vec<StudentHits> {
    let scored: Vec<Vec<ScoredRead>> = students.iter().map(scored_reads).collect();
    let mut out = Vec::new();
    for &n in ns {
        for (t, &eval_type) in EvalType::EACH.iter().enumerate() {
            for (s, reads) in students.iter().zip(&scored) {
                let of_type = reads.iter().filter(|r| r.types[t]);
                let (count, hits) = of_type.fold((0, 0), |(c, h), r| (c + 1, h + usize::from(hit(r.rank, n))));
                if count > 0 {
                    out.push(StudentHits { student: s.student.to_string(), eval_type, n, scored: count, hits });
                }
            }
        }
    }
    out
}

/// The mean over students of each (type, n), ordered by type then `n` (as the reference's
/// pandas `groupby` writes them).
pub fn aggregate(per_student: &[StudentHits]) -> Vec<AggregateHits> {
    let mut keys: Vec<(EvalType, usize)> = per_student.iter().map(|h| (h.eval_type, h.n)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|(eval_type, n)| {
            let rates: Vec<f64> = per_student.iter().filter(|h| h.eval_type == eval_type && h.n == n).map(StudentHits::hits_at_n).collect();
            AggregateHits { eval_type, n, hits_at_n: rates.iter().sum::<f64>() / rates.len() as f64, students: rates.len() }
        })
        .collect()
}

/// Scores a baseline's (or model's) [`PerRead`] output for `seqs` (built from `data`), comparing
/// real titles: a read's source title against the decoded suggestions.
pub fn score_per_read(data: &Interactions, seqs: &[StudentReads], suggestions: &PerRead, vocab: &TitleVocab, ns: &[usize]) -> Vec<StudentHits> {
    let title_of = |item: u32| data.items.names().get(item as usize).map_or("", String::as_str);
    let reads: Vec<Vec<&str>> = seqs.iter().map(|s| s.reads.iter().map(|r| title_of(r.item)).collect()).collect();
    let decoded: Vec<Vec<Vec<&str>>> = suggestions
        .iter()
        .map(|per_read| {
            per_read.iter().map(|list| list.iter().filter(|&&id| vocab.is_recommendable(id)).filter_map(|&id| vocab.decode(id)).collect()).collect()
        })
        .collect();
    let empty = Vec::new();
    let students: Vec<StudentEval<'_, &str>> = seqs
        .iter()
        .enumerate()
        .map(|(k, s)| StudentEval {
            student: data.students.names().get(s.student as usize).map_or("", String::as_str),
            reads: &reads[k],
            suggestions: decoded.get(k).unwrap_or(&empty),
        })
        .collect();
    per_student_hits(&students, ns)
}

/// Reference-style float text (`1.0`, `0.5`, `0.3333333333333333`), as pandas writes them.
fn float(x: f64) -> String {
    format!("{x:?}")
}

fn render(header: &[&str], rows: impl Iterator<Item = [String; 4]>, width: usize) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row[..width])?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `per_student.csv`: `Student_ID,Evaluation_Type,N_Recommendations,Hits_at_N`.
pub fn per_student_csv(rows: &[StudentHits]) -> Result<String, csv::Error> {
    let cells = rows.iter().map(|h| [h.student.clone(), h.eval_type.as_str().to_string(), h.n.to_string(), float(h.hits_at_n())]);
    render(&["Student_ID", "Evaluation_Type", "N_Recommendations", "Hits_at_N"], cells, 4)
}

/// `aggregate.csv`: `Evaluation_Type,N_Recommendations,Hits_at_N`.
pub fn aggregate_csv(rows: &[AggregateHits]) -> Result<String, csv::Error> {
    let cells = rows.iter().map(|a| [a.eval_type.as_str().to_string(), a.n.to_string(), float(a.hits_at_n), String::new()]);
    render(&["Evaluation_Type", "N_Recommendations", "Hits_at_N"], cells, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval<'a>(student: &'a str, reads: &'a [&'a str], suggestions: &'a [Vec<&'a str>]) -> StudentEval<'a, &'a str> {
        StudentEval { student, reads, suggestions }
    }

    fn rate(rows: &[StudentHits], student: &str, t: EvalType, n: usize) -> Option<(usize, usize)> {
        rows.iter().find(|h| h.student == student && h.eval_type == t && h.n == n).map(|h| (h.hits, h.scored))
    }

    #[test]
    fn hand_computed_hits_per_type() {
        // Reads: A, A, B, A, C. Types (all / non_continuation / non_history):
        // A: all, nc, nh   A: all   B: all, nc, nh   A: all, nc   C: all, nc, nh
        let reads = ["A", "A", "B", "A", "C"];
        let s = |v: &[&'static str]| v.to_vec();
        let lists = [s(&["A", "X"]), s(&["X", "A"]), s(&["X", "Y", "B"]), s(&["Y", "X"]), s(&["C"])];
        let rows = per_student_hits(&[eval("7", &reads, &lists)], &[1, 2, 3]);
        // Ranks of the read title: 0, 1, 2, none, 0.
        assert_eq!(rate(&rows, "7", EvalType::All, 1), Some((2, 5)));
        assert_eq!(rate(&rows, "7", EvalType::All, 2), Some((3, 5)));
        assert_eq!(rate(&rows, "7", EvalType::All, 3), Some((4, 5)));
        assert_eq!(rate(&rows, "7", EvalType::NonContinuation, 1), Some((2, 4)));
        assert_eq!(rate(&rows, "7", EvalType::NonContinuation, 3), Some((3, 4)));
        assert_eq!(rate(&rows, "7", EvalType::NonHistory, 1), Some((2, 3)));
        assert_eq!(rate(&rows, "7", EvalType::NonHistory, 2), Some((2, 3)));
        assert_eq!(rate(&rows, "7", EvalType::NonHistory, 3), Some((3, 3)));
        assert_eq!(rows.len(), 9, "3 n values x 3 types, one student");
    }

    #[test]
    fn fewer_suggestions_cover_the_last_reads() {
        // No suggestion before the first read: lists cover reads 2 and 3 (B, B).
        let reads = ["A", "B", "B"];
        let lists = [vec!["B"], vec!["A"]];
        let rows = per_student_hits(&[eval("s", &reads, &lists)], &[1]);
        assert_eq!(rate(&rows, "s", EvalType::All, 1), Some((1, 2)));
        assert_eq!(rate(&rows, "s", EvalType::NonContinuation, 1), Some((1, 1)));
        assert_eq!(rate(&rows, "s", EvalType::NonHistory, 1), Some((1, 1)));
        // A student with no suggestions at all, or with only continuations scored, gets no row.
        let none: [Vec<&str>; 0] = [];
        let rows = per_student_hits(&[eval("s", &reads, &none), eval("t", &["A", "A"], &[vec!["A"]])], &[1]);
        assert_eq!(rows.iter().map(|h| (h.student.as_str(), h.eval_type)).collect::<Vec<_>>(), [("t", EvalType::All)]);
    }

    #[test]
    fn aggregate_is_the_mean_over_students() {
        // s: 1 hit of 4; t: 1 of 1. Mean of rates = (0.25 + 1) / 2, not 2 / 5.
        let s_reads = ["A", "B", "C", "D"];
        let s_lists = [vec!["A"], vec!["X"], vec!["X"], vec!["X"]];
        let rows = per_student_hits(&[eval("s", &s_reads, &s_lists), eval("t", &["Q"], &[vec!["Q"]])], &[1, 5]);
        let agg = aggregate(&rows);
        let all1 = agg.iter().find(|a| a.eval_type == EvalType::All && a.n == 1).unwrap();
        assert_eq!((all1.hits_at_n, all1.students), (0.625, 2));
        let keys: Vec<(EvalType, usize)> = agg.iter().map(|a| (a.eval_type, a.n)).collect();
        use EvalType::*;
        assert_eq!(keys, [(All, 1), (All, 5), (NonContinuation, 1), (NonContinuation, 5), (NonHistory, 1), (NonHistory, 5)]);
        assert!(aggregate(&[]).is_empty());
    }

    #[test]
    fn csv_matches_the_reference_layout() {
        let rows = per_student_hits(&[eval("101", &["A", "B", "A"], &[vec!["A"], vec!["X"], vec!["X", "A"]])], &[1, 3]);
        let text = per_student_csv(&rows).unwrap();
        let expected = "Student_ID,Evaluation_Type,N_Recommendations,Hits_at_N\n\
            101,all,1,0.3333333333333333\n101,non_continuation,1,0.3333333333333333\n101,non_history,1,0.5\n\
            101,all,3,0.6666666666666666\n101,non_continuation,3,0.6666666666666666\n101,non_history,3,0.5\n";
        assert_eq!(text, expected);
        let agg = aggregate_csv(&aggregate(&rows)).unwrap();
        assert!(agg.starts_with("Evaluation_Type,N_Recommendations,Hits_at_N\nall,1,0.3333333333333333\nall,3,0.6666666666666666\n"));
        let quoted = per_student_csv(&[StudentHits { student: "a,b".into(), eval_type: EvalType::All, n: 1, scored: 1, hits: 1 }]).unwrap();
        assert!(quoted.ends_with("\"a,b\",all,1,1.0\n"));
    }

    #[test]
    fn per_read_output_is_scored_on_real_titles() {
        use crate::models::baselines::{PopularityConfig, most_popular};
        use crate::sequences::study::test_data::*;
        use crate::sequences::study::{group_classrooms, student_sequences};
        // x reads P, Q (both outside the vocabulary), then A. y read A on day 1.
        let d = one_school(log(&[("y", "A", day(2021, 1, 1)), ("x", "P", day(2021, 1, 2)), ("x", "Q", day(2021, 1, 3)), ("x", "A", day(2021, 1, 4))]));
        let v = TitleVocab::from_titles(["A".to_string()]);
        let (seqs, _) = student_sequences(&d, &v);
        let out = most_popular(&seqs, &group_classrooms(&seqs), &v, &PopularityConfig { days: 10, n: 1, exclude_read: false });
        let rows = score_per_read(&d, &seqs, &out, &v, &[1]);
        // x: P miss, Q miss (two OOV reads, still two different titles: both non_continuation), A hit.
        assert_eq!(rate(&rows, "x", EvalType::All, 1), Some((1, 3)));
        assert_eq!(rate(&rows, "x", EvalType::NonContinuation, 1), Some((1, 3)));
        assert_eq!(rate(&rows, "y", EvalType::All, 1), Some((1, 1)), "A is the popularity fill-up");
    }
}
