//! Suggestions from a trained Individual or STUDY model: for every read of a data set (to score
//! the model, as the reference's evaluation does) and for the *next* read of chosen students (as
//! deployed).
//!
//! ## Before every read
//! A read token's output predicts the same student's next read, so the list made at read `k` is
//! the suggestion before read `k + 1`, and a student's first read gets none: [`per_read`] returns
//! one list fewer than reads, the convention of [`crate::eval::hits::StudentEval`]. The
//! baselines, which can suggest before a first read, are scored on the same reads through
//! [`crate::models::baselines::without_first_read`], so every table compares like with like.
//!
//! ## The next read
//! [`recommend_next`] reads the output at the student's last read. For STUDY, that token is
//! allowed to see every classmate read dated strictly before `as_of` (by default the day after
//! the newest read in the data), not only those before the student's own last read: when a
//! teacher asks today, what classmates read since is known, and still all in the past.

use std::collections::{BTreeMap, HashMap, HashSet};

use burn::tensor::Device;
use serde::Serialize;

use crate::metrics::ranking::top_k;
use crate::models::study::net::{CountContext, Queries, RecBatch, Recommender, RecommenderConfig, RecommenderKind};
use crate::sequences::study::{Row, StudentReads, StudyData, TitleVocab};

/// The `n` recommendable ids with the highest logits, best first (ties: lower id), with their
/// probability under a softmax over recommendable titles; ids in `exclude` are skipped.
pub fn top_titles(logits: &[f32], vocab: &TitleVocab, n: usize, exclude: &HashSet<u32>) -> Vec<(u32, f32)> {
    let ids = vocab.title_ids();
    let max = ids.clone().map(|id| logits[id as usize]).fold(f32::NEG_INFINITY, f32::max);
    let z: f64 = ids.clone().map(|id| ((logits[id as usize] - max) as f64).exp()).sum();
    let ranked = top_k(logits, n, |id| vocab.is_recommendable(id) && !exclude.contains(&id));
    ranked.into_iter().map(|id| (id, (((logits[id as usize] - max) as f64).exp() / z) as f32)).collect()
}

/// Runs `batch` and returns its logits, one `vocab_size` slice per query.
fn run(model: &Recommender, batch: &RecBatch, device: &Device) -> Vec<f32> {
    if batch.query.is_empty() {
        return Vec::new();
    }
    let mut logits: Vec<f32> = model.logits(&batch.tensors(device)).into_data().convert::<f32>().try_into_vec().expect("f32 logits");
    model.rerank_unread(&mut logits, batch);
    logits
}

/// The top `n` suggestions made at every read token of `rows` (built from `seqs`), per student:
/// `out[s][k]` is the list before `seqs[s].reads[k + 1]` (see the module docs).
pub fn per_read(model: &Recommender, config: &RecommenderConfig, vocab: &TitleVocab, data: &StudyData, n: usize, device: &Device) -> Vec<Vec<Vec<u32>>> {
    let (rows, seqs) = (&data.rows, &data.seqs);
    let ctx = CountContext::new(&data.seqs, &data.classrooms).for_model(model);
    let mut out: Vec<Vec<Vec<u32>>> = seqs.iter().map(|s| vec![Vec::new(); s.reads.len().saturating_sub(1)]).collect();
    let none = HashSet::new();
    for chunk in rows.chunks(64) {
        let refs: Vec<&Row> = chunk.iter().collect();
        let batch = RecBatch::new(&refs, config, Queries::Reads, &ctx);
        let logits = run(model, &batch, device);
        for (q, &flat) in batch.query.iter().enumerate() {
            let (r, i) = (flat / batch.len, flat % batch.len);
            let Some(src) = chunk[r].source(i) else { continue };
            if let Some(slot) = out.get_mut(src.seq).and_then(|s| s.get_mut(src.read)) {
                let row = &logits[q * config.vocab_size..(q + 1) * config.vocab_size];
                *slot = top_titles(row, vocab, n, &none).into_iter().map(|(id, _)| id).collect();
            }
        }
    }
    out
}

/// One suggested title for a student's next read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub title: String,
    /// Probability under the model's softmax over all recommendable titles.
    pub score: f32,
    /// Classmates (the whole classroom, not only the packed row) who read the title in the
    /// `RECENT_DAYS` days before `as_of`:
    /// the social reason a teacher can be shown.
    pub classmates_recent: usize,
}

/// The look-back of [`Suggestion::classmates_recent`].
pub const RECENT_DAYS: i64 = 7;

/// Suggestions for one student's next read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextRead {
    /// Index into the source's students.
    pub student: u32,
    pub suggestions: Vec<Suggestion>,
}

/// Options for [`recommend_next`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextOptions {
    pub n: usize,
    /// Also suggest titles the student already read (continuing a book is then a candidate).
    pub include_read: bool,
    /// Epoch seconds: classmates' reads strictly before this are visible to STUDY.
    pub as_of: i64,
}

/// Suggestions for the next read of each student in `students` (indices into the source's
/// students; students without reads in `rows` are left out of the result). `rows` and `seqs`
/// come from one [`crate::sequences::study::build_study`] over the data, so only the rows that
/// hold a chosen student's last read are run.
pub fn recommend_next(
    model: &Recommender,
    config: &RecommenderConfig,
    vocab: &TitleVocab,
    data: &StudyData,
    students: &[u32],
    options: &NextOptions,
    device: &Device,
) -> Vec<NextRead> {
    let plan = NextPlan::new(model, config, data, students, options);
    let logits = plan.batches.iter().map(|b| run(model, b, device)).collect();
    plan.finish(vocab, logits)
}

/// [`recommend_next`] on a device whose reads must be awaited (WebGPU in a browser).
pub async fn recommend_next_async(
    model: &Recommender,
    config: &RecommenderConfig,
    vocab: &TitleVocab,
    data: &StudyData,
    students: &[u32],
    options: &NextOptions,
    device: &Device,
) -> Result<Vec<NextRead>, String> {
    let plan = NextPlan::new(model, config, data, students, options);
    let mut logits = Vec::with_capacity(plan.batches.len());
    for batch in &plan.batches {
        if batch.query.is_empty() {
            logits.push(Vec::new());
            continue;
        }
        let data = model.logits(&batch.tensors(device)).into_data_async().await.map_err(|e| format!("{e:?}"))?;
        let mut values = data.convert::<f32>().try_into_vec::<f32>().map_err(|e| format!("{e:?}"))?;
        model.rerank_unread(&mut values, batch);
        logits.push(values);
    }
    Ok(plan.finish(vocab, logits))
}

/// The batches [`recommend_next`] runs and what it needs to turn their logits into suggestions:
/// split so that the model call can be synchronous (CPU), awaited (burn on WebGPU) or on the WGSL
/// kernels ([`crate::infer::webgpu::study`]) with one copy of the masking and ranking rules.
pub struct NextPlan<'d> {
    config: &'d RecommenderConfig,
    data: &'d StudyData,
    ctx: CountContext,
    options: NextOptions,
    students: Vec<u32>,
    /// Each chosen student's last read position.
    last: HashMap<u32, u32>,
    chunks: Vec<Vec<&'d Row>>,
    batches: Vec<RecBatch>,
}

impl<'d> NextPlan<'d> {
    pub fn new(model: &Recommender, config: &'d RecommenderConfig, data: &'d StudyData, students: &[u32], options: &NextOptions) -> Self {
        let ctx = CountContext::new(&data.seqs, &data.classrooms).for_model(model);
        // The token to read for each chosen student: (student, position of their last read).
        let wanted: HashSet<u32> = students.iter().copied().collect();
        let last: HashMap<u32, u32> = data.seqs.iter().filter(|s| wanted.contains(&s.student)).map(|s| (s.student, s.reads.len() as u32 - 1)).collect();
        let is_query = |row: &Row, i: usize| Self::is_query(&last, row, i);
        let picked: Vec<&Row> = data.rows.iter().filter(|row| (0..row.len()).any(|i| is_query(row, i))).collect();
        let as_of = options.as_of;
        let mask = |row: &Row, i: usize, j: usize| {
            if config.kind == RecommenderKind::Study && is_query(row, i) {
                let (a, b) = (row.tokens[i], row.tokens[j]);
                b.is_read() && if a.student == b.student { b.position <= a.position } else { b.time < as_of }
            } else {
                config.kind.can_attend(row, i, j)
            }
        };
        let cutoff = |row: &Row, i: usize| if is_query(row, i) { as_of } else { row.tokens[i].time };
        let chunks: Vec<Vec<&Row>> = picked.chunks(64).map(<[&Row]>::to_vec).collect();
        let batches = chunks.iter().map(|chunk| RecBatch::with_mask(chunk, config, Queries::Reads, &ctx, mask, cutoff, is_query)).collect();
        Self { config, data, ctx, options: *options, students: students.to_vec(), last, chunks, batches }
    }

    fn is_query(last: &HashMap<u32, u32>, row: &Row, i: usize) -> bool {
        row.tokens.get(i).is_some_and(|t| t.is_read() && last.get(&t.student) == Some(&t.position))
    }

    /// The batches to run, in order.
    pub fn batches(&self) -> &[RecBatch] {
        &self.batches
    }

    /// Suggestions from each batch's logits (one `vocab_size` slice per query).
    pub fn finish(self, vocab: &TitleVocab, logits: Vec<Vec<f32>>) -> Vec<NextRead> {
        let (config, options, as_of) = (self.config, &self.options, self.options.as_of);
        let by_student: HashMap<u32, &StudentReads> = self.data.seqs.iter().map(|s| (s.student, s)).collect();
        let mut found: BTreeMap<u32, NextRead> = BTreeMap::new();
        for ((chunk, batch), logits) in self.chunks.iter().zip(&self.batches).zip(&logits) {
            for (q, &flat) in batch.query.iter().enumerate() {
                let (r, i) = (flat / batch.len, flat % batch.len);
                let row = chunk[r];
                if !Self::is_query(&self.last, row, i) {
                    continue;
                }
                let student = row.tokens[i].student;
                let exclude: HashSet<u32> = if options.include_read { HashSet::new() } else { by_student[&student].reads.iter().map(|r| r.title).collect() };
                let recent = self.ctx.recent_readers(&row.classroom, student, as_of - RECENT_DAYS * 86_400, as_of);
                let suggestions = top_titles(&logits[q * config.vocab_size..(q + 1) * config.vocab_size], vocab, options.n, &exclude)
                    .into_iter()
                    .map(|(id, score)| Suggestion {
                        title: vocab.decode(id).unwrap_or_default().to_string(),
                        score,
                        classmates_recent: recent.get(&id).map_or(0, HashSet::len),
                    })
                    .collect();
                found.insert(student, NextRead { student, suggestions });
            }
        }
        self.students.iter().filter_map(|s| found.remove(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::device::reference_device;
    use crate::sequences::study::test_data::*;
    use crate::sequences::study::{PackConfig, build_study};

    #[test]
    fn top_titles_skips_specials_and_exclusions() {
        let v = TitleVocab::from_titles(["A", "B", "C", "D"].map(String::from));
        // ids: PAD 0, SEP 1, OOV 2, A 3, B 4, C 5, D 6. Specials get the highest logits.
        let logits = [9.0, 9.0, 9.0, 1.0, 3.0, 2.0, 3.0];
        let top: Vec<u32> = top_titles(&logits, &v, 3, &HashSet::new()).into_iter().map(|(id, _)| id).collect();
        assert_eq!(top, [4, 6, 5], "by logit, ties by lower id, never PAD/SEP/OOV");
        let top: Vec<u32> = top_titles(&logits, &v, 9, &HashSet::from([4])).into_iter().map(|(id, _)| id).collect();
        assert_eq!(top, [6, 5, 3]);
        let p: f32 = top_titles(&logits, &v, 4, &HashSet::new()).iter().map(|(_, p)| p).sum();
        assert!((p - 1.0).abs() < 1e-5, "probabilities over recommendable titles sum to 1");
    }

    fn setup() -> (Interactions, TitleVocab, crate::sequences::study::StudyData) {
        let d = one_school(log(&[
            ("a", "T1", day(2021, 1, 1)),
            ("b", "T2", day(2021, 1, 1)),
            ("a", "T2", day(2021, 1, 2)),
            ("b", "T3", day(2021, 1, 4)),
            ("c", "T3", day(2021, 1, 4)),
        ]));
        let v = TitleVocab::from_training(&d, 10);
        let data = build_study(&d, &v, &PackConfig::new(16, 16).unwrap());
        (d, v, data)
    }

    use crate::data::Interactions;

    #[test]
    fn per_read_has_one_list_fewer_than_reads() {
        let (_, v, data) = setup();
        let cfg = RecommenderConfig { d_model: 8, n_heads: 2, d_ff: 16, n_layers: 1, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let model = cfg.init(1, &reference_device());
        let out = per_read(&model, &cfg, &v, &data, 2, &reference_device());
        let shape: Vec<Vec<usize>> = out.iter().map(|s| s.iter().map(Vec::len).collect()).collect();
        assert_eq!(shape, [vec![2], vec![2], vec![]], "a and b: 2 reads, 1 list of 2; c: 1 read, none");
    }

    #[test]
    fn next_read_sees_classmates_up_to_as_of_and_excludes_read_titles() {
        let (d, v, data) = setup();
        let cfg = RecommenderConfig { d_model: 8, n_heads: 2, d_ff: 16, n_layers: 1, ..RecommenderConfig::new(RecommenderKind::Study, v.len()) };
        let model = cfg.init(2, &reference_device());
        let a = d.students.get("a").unwrap();
        let run = |as_of: i64, include_read: bool| {
            let options = NextOptions { n: 3, include_read, as_of };
            recommend_next(&model, &cfg, &v, &data, &[a, 99], &options, &reference_device())
        };
        let out = run(day(2021, 1, 10), false);
        assert_eq!(out.len(), 1, "an unknown student is left out");
        let titles: Vec<&str> = out[0].suggestions.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["T3"], "T1 and T2 were read by a");
        assert_eq!(out[0].suggestions[0].classmates_recent, 2, "b and c read T3 on Jan 4");
        // Until Jan 4, b's and c's reads of that day are not visible: the output changes.
        let early = run(day(2021, 1, 4), true);
        let late = run(day(2021, 1, 10), true);
        assert_eq!(early[0].suggestions.len(), 3, "all three titles when read ones are included");
        let t3 = |out: &[NextRead]| out[0].suggestions.iter().find(|s| s.title == "T3").unwrap().classmates_recent;
        assert_eq!((t3(&early), t3(&late)), (0, 2), "Jan 4 reads count only from Jan 5 on");
        // Rows of one student each: the classmates are counted from the whole classroom.
        let (d2, v2) = (d.clone(), v.clone());
        let alone = build_study(&d2, &v2, &PackConfig::new(2, 2).unwrap());
        assert!(alone.rows.iter().all(|r| r.tokens.iter().filter(|t| t.is_read()).all(|t| t.student == r.tokens[0].student)));
        let options = NextOptions { n: 3, include_read: true, as_of: day(2021, 1, 10) };
        let out = recommend_next(&model, &cfg, &v2, &alone, &[a], &options, &reference_device());
        assert_eq!(t3(&out), 2);
        assert_ne!(early[0].suggestions.iter().map(|s| s.score).collect::<Vec<_>>(), late[0].suggestions.iter().map(|s| s.score).collect::<Vec<_>>());
    }
}
