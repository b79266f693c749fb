//! Next-read suggestions from a STUDY or Individual model, for chosen students of a reading log.

use serde::Serialize;

use super::InferError;
use crate::data::Interactions;
use crate::models::device::reference_device;
use crate::models::recommender_infer::{NextOptions, NextRead, Suggestion, recommend_next, recommend_next_async};
use crate::models::recommender_train::RecModelDir;
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

/// Suggestions for `students` (names as the log spells them; empty: every student with a dated
/// read), in the order asked, from one batched pass per row of the packed classrooms. A student
/// the log does not know is an error; one with no dated read gets no suggestions and is named in
/// the second list.
pub fn recommend(model: &RecModelDir, data: &Interactions, students: &[String], request: &Request) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    let (built, ids, options) = prepare(model, data, students, request)?;
    let out = recommend_next(&model.model, &model.run.model, &model.vocab, &built, &ids, &options, &reference_device());
    Ok(by_name(data, ids, out))
}

/// [`recommend`] with the model on another device, whose reads are awaited: `gpu_model` is
/// `model.model` moved to `device` (WebGPU in a browser).
pub async fn recommend_on(
    model: &RecModelDir,
    gpu_model: &crate::models::recommender::Recommender,
    device: &burn::tensor::Device,
    data: &Interactions,
    students: &[String],
    request: &Request,
) -> Result<(Vec<StudentSuggestions>, Vec<String>), InferError> {
    let (built, ids, options) = prepare(model, data, students, request)?;
    let out = recommend_next_async(gpu_model, &model.run.model, &model.vocab, &built, &ids, &options, device).await.map_err(InferError::Invalid)?;
    Ok(by_name(data, ids, out))
}

fn prepare(model: &RecModelDir, data: &Interactions, students: &[String], request: &Request) -> Result<(StudyData, Vec<u32>, NextOptions), InferError> {
    if request.top == 0 {
        return Err(InferError::Invalid("ask for at least one suggestion".into()));
    }
    let built = build_study(data, &model.vocab, &model.run.pack);
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
    Ok((built, ids, NextOptions { n: request.top, include_read: request.include_read, as_of }))
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
