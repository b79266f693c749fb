//! Next-read suggestions from a STUDY or Individual model, for chosen students of a reading log.

use serde::Serialize;

use super::InferError;
use super::webgpu::study::GpuRecommender;
use crate::data::Interactions;
use crate::models::device::reference_device;
use crate::models::study::StudyModel;
use crate::models::study::infer::{NextOptions, NextRead, Suggestion, recommend_next, recommend_next_async};
use crate::sequences::study::{StudyData, build_study};

/// One student's suggestions, best first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentSuggestions {
    pub student: String,
    pub suggestions: Vec<Suggestion>,
}

/// What to suggest: `top` per student, as of a date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    pub top: usize,
    pub include_read: bool,
    /// Epoch seconds; classmates' reads strictly before it are visible to STUDY. `None`: the day
    /// after the newest read in the log.
    pub as_of: Option<i64>,
}

/// A reading log arranged for one model (the packed classroom rows STUDY reads), built once and
/// asked many times: a page that scores a class in batches would otherwise rebuild the rows of the
/// whole log for every batch. Use it with the model and the log it was built from.
pub struct ReadingLog {
    built: StudyData,
}

impl ReadingLog {
    pub fn new(model: &StudyModel, data: &Interactions) -> Self {
        Self { built: build_study(data, &model.vocab, &model.run.pack) }
    }

    /// What arranging the log kept and left out (reads on titles the model does not know).
    pub fn report(&self) -> &crate::sequences::study::StudyReport {
        &self.built.report
    }
}

/// Suggestions for `students` (names as the log spells them; empty: every student with a dated
/// read), in the order asked, from one batched pass per row of the packed classrooms. A student
/// the log does not know is an error; one with no dated read gets no suggestions and is named in
/// the second list.
pub fn recommend(
    model: &StudyModel,
    data: &Interactions,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    recommend_in(model, data, &ReadingLog::new(model, data), students, request)
}

/// [`recommend`] on a log already arranged for `model` (`log` built from `data`).
pub fn recommend_in(
    model: &StudyModel,
    data: &Interactions,
    log: &ReadingLog,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    let (ids, options) = prepare(data, &log.built, students, request)?;
    let out = recommend_next(&model.model, &model.run.model, &model.vocab, &log.built, &ids, &options, &reference_device());
    Ok(by_name(data, ids, out))
}

/// [`recommend`] with the model on another device, whose reads are awaited: `gpu_model` is
/// `model.model` moved to `device` (WebGPU in a browser).
pub async fn recommend_on(
    model: &StudyModel,
    gpu_model: &crate::models::study::net::Recommender,
    device: &burn::tensor::Device,
    data: &Interactions,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    let built = build_study(data, &model.vocab, &model.run.pack);
    let (ids, options) = prepare(data, &built, students, request)?;
    let out = recommend_next_async(gpu_model, &model.run.model, &model.vocab, &built, &ids, &options, device).await.map_err(InferError::Invalid)?;
    Ok(by_name(data, ids, out))
}

/// [`recommend`] with the network on the WGSL kernels; `gpu` was made from `model`
/// ([`GpuRecommender::for_model`]).
pub async fn recommend_gpu(
    model: &StudyModel,
    gpu: &GpuRecommender,
    data: &Interactions,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    recommend_in_gpu(model, gpu, data, &ReadingLog::new(model, data), students, request).await
}

/// [`recommend_in`] on the WGSL kernels.
pub async fn recommend_in_gpu(
    model: &StudyModel,
    gpu: &GpuRecommender,
    data: &Interactions,
    log: &ReadingLog,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    let (ids, options) = prepare(data, &log.built, students, request)?;
    let out = gpu.recommend_next(&model.vocab, &log.built, &ids, &options).await.map_err(|e| InferError::Invalid(e.to_string()))?;
    Ok(by_name(data, ids, out))
}

fn prepare(data: &Interactions, built: &StudyData, students: &[String], request: &Request) -> Result<(Vec<u32>, NextOptions), InferError> {
    if request.top == 0 {
        return Err(InferError::Invalid("ask for at least one suggestion".into()));
    }
    let ids: Vec<u32> = if students.is_empty() {
        built.seqs.iter().map(|s| s.student).collect()
    } else {
        let unknown: Vec<&str> = students.iter().filter(|n| data.students.get(n).is_none()).map(String::as_str).collect();
        if !unknown.is_empty() {
            return Err(InferError::Invalid(format!("no reads for student(s) {}", unknown.join(", "))));
        }
        students.iter().filter_map(|n| data.students.get(n)).collect()
    };
    let newest = built.seqs.iter().flat_map(|s| s.reads.iter().map(|r| r.time)).max().unwrap_or(0);
    let as_of = request.as_of.unwrap_or((newest.div_euclid(86_400) + 1) * 86_400);
    Ok((ids, NextOptions { n: request.top, include_read: request.include_read, as_of }))
}

fn by_name(data: &Interactions, ids: Vec<u32>, out: Vec<NextRead>) -> (Vec<StudentSuggestions>, Vec<String>) {
    let mut by_student: std::collections::HashMap<u32, Vec<Suggestion>> = out.into_iter().map(|n| (n.student, n.suggestions)).collect();
    let mut found = Vec::with_capacity(ids.len());
    let mut without = Vec::new();
    for id in ids {
        let name = data.students.name(id).to_string();
        match by_student.remove(&id) {
            Some(suggestions) => found.push(StudentSuggestions { student: name, suggestions }),
            None => without.push(name),
        }
    }
    (found, without)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::study::net::{RecommenderConfig, RecommenderKind};
    use crate::models::study::{RecRunConfig, RecTrainConfig};
    use crate::sequences::study::PackConfig;
    use crate::sequences::study::TitleVocab;
    use crate::sequences::study::test_data::three_classmates;

    #[test]
    fn a_log_built_once_answers_batches_as_one_call_does() {
        let data = three_classmates();
        let vocab = TitleVocab::from_training(&data, 10);
        let cfg = RecommenderConfig { d_model: 16, n_heads: 2, d_ff: 32, n_layers: 1, ..RecommenderConfig::new(RecommenderKind::Study, vocab.len()) };
        let run = RecRunConfig::new(cfg, PackConfig::new(16, 16).unwrap(), RecTrainConfig::default());
        let model = StudyModel { model: cfg.init(5, &reference_device()), run, vocab };
        let request = Request { top: 2, include_read: true, as_of: None };
        let all: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let (whole, _) = recommend(&model, &data, &all, &request).unwrap();
        let log = ReadingLog::new(&model, &data);
        let batches: Vec<StudentSuggestions> = all.chunks(2).flat_map(|c| recommend_in(&model, &data, &log, c, &request).unwrap().0).collect();
        assert_eq!(batches, whole);
        assert_eq!(whole.len(), 3);
    }
}
