//! The WebAssembly surface of `classlens-core`: the calls page JavaScript (the bench page, the
//! browser tests, a Worker) makes. Each is a thin wrapper over [`classlens_core::infer`]; data
//! crosses the boundary as pack bytes, CSV text, JSON text and `Float32Array`s, so no student
//! record leaves the page and no JS glue re-implements a model.

use classlens_core::data::assistments::{AssistmentsOptions, read_assistments};
use classlens_core::data::study::{read_study_activity, read_study_info};
use classlens_core::infer::mastery::{Answer, MasteryTable, mastery_table, steps, synthetic_histories};
use classlens_core::infer::recommend::{Request, recommend};
use classlens_core::infer::{ModelKind, load_pack};
use classlens_core::models::akt::AktModel;
use classlens_core::models::dkt::DktModel;
use classlens_core::models::study::StudyModel;
use classlens_core::sequences::kt::KtStep;
use wasm_bindgen::prelude::*;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A STUDY reading log from the text of its two files (errors name file, line and column).
fn study_log(activity_csv: &str, info_csv: &str) -> Result<classlens_core::data::Interactions, String> {
    let mut data = read_study_activity(activity_csv.as_bytes(), "student_activity.csv").map_err(|e| e.to_string())?;
    read_study_info(&mut data, info_csv.as_bytes(), "student_info.csv").map_err(|e| e.to_string())?;
    Ok(data)
}

/// Fits DKT to an answer log in the page, through the dashboard's own [`Fitter`] in one slice
/// (`settings_json`: a `DktFitSettings`, or empty for the page's defaults), for the fitting
/// bench: JSON `{auc, baseline_auc, train_students, test_students, steps, epochs, used}`. The
/// caller times it.
#[wasm_bindgen(js_name = fitDkt)]
pub fn fit_dkt(file_name: &str, bytes: &[u8], settings_json: &str) -> Result<String, JsError> {
    use crate::fitter::{FitData, FitEvent, Fitter};
    use classlens_core::data::load::{Format, Upload, read_upload};
    use classlens_core::fit::{DktFitSettings, prepare_dkt};
    let Upload::Practice(data) = read_upload(file_name, bytes, Format::Auto, None).map_err(js_err)? else {
        return Err(js_err(format!("{file_name}: not an answer log")));
    };
    let settings: DktFitSettings =
        if settings_json.trim().is_empty() { DktFitSettings::default() } else { serde_json::from_str(settings_json).map_err(js_err)? };
    let prepared = FitData::Dkt(prepare_dkt(&data, file_name, &settings).map_err(js_err)?);
    let mut fitter = Fitter::new(&prepared, 0.0).map_err(js_err)?;
    let steps = fitter.total_steps();
    let (verdict, used) = match fitter.slice(f64::INFINITY, &mut || 0.0) {
        Some(FitEvent::Fitted { verdict, .. }) => (verdict, true),
        Some(FitEvent::Refused { verdict, .. }) => (verdict, false),
        Some(FitEvent::Failed(e)) => return Err(js_err(e)),
        other => return Err(js_err(format!("the fit ended with {other:?}"))),
    };
    let held = verdict.about.held_out;
    Ok(serde_json::json!({
        "auc": held.as_ref().map(|h| h.value), "baseline_auc": held.as_ref().and_then(|h| h.baseline.as_ref()).map(|b| b.1),
        "train_students": verdict.about.students, "test_students": held.as_ref().map(|h| h.students),
        "steps": steps, "epochs": settings.train.epochs, "used": used,
    })
    .to_string())
}

/// The kind of model a pack holds ("dkt", "akt", "bkt", "study", "individual"), after checking its envelope.
#[wasm_bindgen(js_name = packKind)]
pub fn pack_kind(pack: &[u8]) -> Result<String, JsError> {
    let (meta, _) = classlens_core::pack::read_meta(pack).map_err(js_err)?;
    Ok(meta.kind().as_str().to_string())
}

/// A loaded DKT pack.
#[wasm_bindgen]
pub struct DktSession {
    model: DktModel,
}

/// A loaded attention (AKT) pack, for the benchmark: the dashboard's mastery call on the CPU.
#[wasm_bindgen]
pub struct AktSession {
    model: AktModel,
}

#[wasm_bindgen]
impl AktSession {
    #[wasm_bindgen(constructor)]
    pub fn new(pack: &[u8]) -> Result<AktSession, JsError> {
        Ok(Self { model: load_pack(pack).and_then(|p| p.into_akt()).map_err(js_err)? })
    }

    /// The same `students` × `steps` histories as [`DktSession::synthetic_batch`] and `classlens
    /// bench infer`.
    #[wasm_bindgen(js_name = syntheticBatch)]
    pub fn synthetic_batch(&self, students: usize, steps: usize) -> DktBatch {
        DktBatch { histories: synthetic_histories(&self.model, students, steps) }
    }

    /// Current mastery (after each whole history), flattened `[student][skill]`: what the
    /// dashboard's heatmap asks of the model.
    pub fn mastery(&self, batch: &DktBatch) -> Vec<f32> {
        let refs: Vec<&[KtStep]> = batch.histories.iter().map(Vec::as_slice).collect();
        self.model.mastery_batch(&refs).concat()
    }
}

/// Histories parsed once, so a benchmark times the model and not JSON parsing.
#[wasm_bindgen]
pub struct DktBatch {
    histories: Vec<Vec<KtStep>>,
}

#[wasm_bindgen]
impl DktBatch {
    #[wasm_bindgen(getter)]
    pub fn students(&self) -> usize {
        self.histories.len()
    }
}

#[wasm_bindgen]
impl DktSession {
    #[wasm_bindgen(constructor)]
    pub fn new(pack: &[u8]) -> Result<DktSession, JsError> {
        Ok(Self { model: load_pack(pack).and_then(|p| p.into_dkt()).map_err(js_err)? })
    }

    #[wasm_bindgen(getter, js_name = nSkills)]
    pub fn n_skills(&self) -> usize {
        self.model.config.dkt.n_skills
    }

    /// Skill ids in model order (JSON array).
    #[wasm_bindgen(js_name = skillsJson)]
    pub fn skills_json(&self) -> String {
        serde_json::to_string(self.model.vocab.names()).unwrap_or_default()
    }

    /// `histories_json`: `[[{"skills": ["id", ...], "correct": true}, ...], ...]`, one list per
    /// student. Unknown skills are an error naming the answer.
    pub fn prepare(&self, histories_json: &str) -> Result<DktBatch, JsError> {
        let parsed: Vec<Vec<Answer>> = serde_json::from_str(histories_json).map_err(js_err)?;
        let histories =
            parsed.iter().enumerate().map(|(i, h)| steps(&self.model, h).map_err(|e| js_err(format!("student {i}: {e}")))).collect::<Result<_, _>>()?;
        Ok(DktBatch { histories })
    }

    /// The benchmark's `students` × `steps` histories ([`synthetic_histories`]), the same as
    /// `classlens bench infer` times natively.
    #[wasm_bindgen(js_name = syntheticBatch)]
    pub fn synthetic_batch(&self, students: usize, steps: usize) -> DktBatch {
        DktBatch { histories: synthetic_histories(&self.model, students, steps) }
    }

    /// Probabilities after every step of every history, flattened `[student][step][skill]`
    /// (the same output as ONNX Runtime's DKT graph, for the benchmark).
    pub fn predict(&self, batch: &DktBatch) -> Vec<f32> {
        let refs: Vec<&[KtStep]> = batch.histories.iter().map(Vec::as_slice).collect();
        self.model.weights.predict(&refs).concat()
    }

    /// Current mastery (after each whole history), flattened `[student][skill]`.
    pub fn mastery(&self, batch: &DktBatch) -> Vec<f32> {
        let refs: Vec<&[KtStep]> = batch.histories.iter().map(|h| self.model.recent(h)).collect();
        self.model.weights.mastery_batch(&refs).concat()
    }

    /// The class mastery table of an ASSISTments-style CSV (as `classlens mastery` prints it),
    /// as JSON `{skills, labels, rows: [[student, [p...]], ...], report}`; `report` counts what
    /// was left out (answers with skills the model does not know), so the page can say so.
    #[wasm_bindgen(js_name = masteryTableFromCsv)]
    pub fn mastery_table_from_csv(&self, csv_text: &str, file_name: &str) -> Result<String, JsError> {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            table: &'a MasteryTable,
            report: &'a classlens_core::sequences::kt::KtBuildReport,
        }
        let data = read_assistments(csv_text.as_bytes(), file_name, &AssistmentsOptions::default()).map_err(js_err)?;
        let (seqs, report) = self.model.sequences(&data);
        let table: MasteryTable = mastery_table(&self.model, &seqs, &[]).map_err(js_err)?;
        serde_json::to_string(&Out { table: &table, report: &report }).map_err(js_err)
    }
}

/// A loaded STUDY or Individual pack.
#[wasm_bindgen]
pub struct RecSession {
    model: StudyModel,
}

#[wasm_bindgen]
impl RecSession {
    #[wasm_bindgen(constructor)]
    pub fn new(pack: &[u8]) -> Result<RecSession, JsError> {
        Ok(Self { model: load_pack(pack).and_then(|p| p.into_recommender()).map_err(js_err)? })
    }

    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        ModelKind::from(self.model.run.model.kind).as_str().to_string()
    }

    /// Next-read suggestions for every student of a STUDY `student_activity.csv` (with its
    /// `student_info.csv`, which gives the classrooms), as JSON `[{student, suggestions}]`.
    #[wasm_bindgen(js_name = recommendFromCsv)]
    pub fn recommend_from_csv(&self, activity_csv: &str, info_csv: &str, top: usize) -> Result<String, JsError> {
        let data = study_log(activity_csv, info_csv).map_err(js_err)?;
        let (found, _) = recommend(&self.model, &data, &[], &Request { top, include_read: false, as_of: None }).map_err(js_err)?;
        serde_json::to_string(&found).map_err(js_err)
    }
}

/// A DKT pack on the browser's WebGPU, for a class at a time. `create` fails (and the page falls
/// back to [`DktSession`]) when the browser offers no adapter.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub struct GpuDktSession {
    gpu: std::rc::Rc<classlens_core::infer::webgpu::GpuDkt>,
    cpu: DktSession,
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
impl GpuDktSession {
    pub async fn create(pack: Vec<u8>) -> Result<GpuDktSession, JsError> {
        let cpu = DktSession::new(&pack)?;
        let gpu = classlens_core::infer::webgpu::GpuDkt::new(&cpu.model.weights).await.map_err(js_err)?;
        Ok(Self { gpu: std::rc::Rc::new(gpu), cpu })
    }

    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.gpu.adapter().to_string()
    }

    /// As [`DktSession::prepare`] (batches are plain data, usable by either session).
    pub fn prepare(&self, histories_json: &str) -> Result<DktBatch, JsError> {
        self.cpu.prepare(histories_json)
    }

    #[wasm_bindgen(js_name = syntheticBatch)]
    pub fn synthetic_batch(&self, students: usize, steps: usize) -> DktBatch {
        self.cpu.synthetic_batch(students, steps)
    }

    /// As [`DktSession::predict`], on the GPU (resolves to a `Float32Array`).
    pub fn predict(&self, batch: &DktBatch) -> js_sys::Promise {
        let gpu = self.gpu.clone();
        let histories = batch.histories.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let refs: Vec<&[KtStep]> = histories.iter().map(Vec::as_slice).collect();
            let out = gpu.predict(&refs).await.map_err(|e| JsValue::from(js_err(e)))?;
            Ok(js_sys::Float32Array::from(out.concat().as_slice()).into())
        })
    }
}

/// A class's reading log parsed, then the suggestions of one of the GPU paths `run` as a promise
/// of their JSON text (what [`RecSession::recommend_from_csv`] returns).
#[cfg(target_arch = "wasm32")]
fn recommend_promise<F, Fut>(activity_csv: String, info_csv: String, top: usize, run: F) -> js_sys::Promise
where
    F: FnOnce(classlens_core::data::Interactions, Request) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(Vec<classlens_core::infer::recommend::StudentSuggestions>, Vec<String>), classlens_core::infer::InferError>>
        + 'static,
{
    wasm_bindgen_futures::future_to_promise(async move {
        let fail = |e: String| JsValue::from(JsError::new(&e));
        let data = study_log(&activity_csv, &info_csv).map_err(fail)?;
        let (found, _) = run(data, Request { top, include_read: false, as_of: None }).await.map_err(|e| fail(e.to_string()))?;
        Ok(JsValue::from_str(&serde_json::to_string(&found).map_err(|e| fail(e.to_string()))?))
    })
}

/// A STUDY or Individual pack on the browser's WebGPU as the hand-written WGSL kernels
/// (`classlens_core::infer::webgpu::study`): a few dispatches per layer instead of burn's many.
/// `create` fails (and the page keeps [`RecSession`]) when the browser offers no adapter.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
pub struct WgslRecSession {
    inner: std::rc::Rc<(StudyModel, classlens_core::infer::webgpu::study::GpuRecommender)>,
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
impl WgslRecSession {
    pub async fn create(pack: Vec<u8>) -> Result<WgslRecSession, JsError> {
        let cpu = load_pack(&pack).and_then(|p| p.into_recommender()).map_err(js_err)?;
        let gpu = classlens_core::infer::webgpu::study::GpuRecommender::for_model(&cpu).await.map_err(js_err)?;
        Ok(Self { inner: std::rc::Rc::new((cpu, gpu)) })
    }

    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.1.adapter().to_string()
    }

    /// Compute dispatches per batch of rows.
    #[wasm_bindgen(getter)]
    pub fn dispatches(&self) -> usize {
        self.inner.1.dispatches()
    }

    /// `[rows, row length, queries]` of the last batch run (a peer is timed on the same shape).
    #[wasm_bindgen(getter, js_name = lastShape)]
    pub fn last_shape(&self) -> Vec<usize> {
        self.inner.1.last_shape().to_vec()
    }

    /// As [`RecSession::recommend_from_csv`], on the GPU (resolves to the JSON text).
    #[wasm_bindgen(js_name = recommendFromCsv)]
    pub fn recommend_from_csv(&self, activity_csv: String, info_csv: String, top: usize) -> js_sys::Promise {
        let inner = self.inner.clone();
        recommend_promise(activity_csv, info_csv, top, move |data, request| async move {
            let (model, gpu) = &*inner;
            classlens_core::infer::recommend::recommend_gpu(model, gpu, &data, &[], &request).await
        })
    }
}

#[cfg(all(target_arch = "wasm32", feature = "burn-webgpu"))]
thread_local! {
    static BURN_WEBGPU: std::cell::RefCell<Option<burn::tensor::Device>> = const { std::cell::RefCell::new(None) };
}

/// burn's wgpu runtime for this page: it can be initialised once per page, so every session
/// shares the device of the first.
#[cfg(all(target_arch = "wasm32", feature = "burn-webgpu"))]
async fn burn_webgpu() -> Result<burn::tensor::Device, JsError> {
    if let Some(d) = BURN_WEBGPU.with(|c| c.borrow().clone()) {
        return Ok(d);
    }
    let device = burn::tensor::Device::wgpu_options().init_async().await.map_err(|e| js_err(format!("no WebGPU device: {e:?}")))?;
    BURN_WEBGPU.with(|c| *c.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// A STUDY or Individual pack on the browser's WebGPU through burn's wgpu runtime. `create`
/// fails (and the page keeps [`RecSession`]) when the browser offers no adapter. Feature
/// `burn-webgpu` only: a comparison for the bench, not a path of the product.
#[cfg(all(target_arch = "wasm32", feature = "burn-webgpu"))]
#[wasm_bindgen]
pub struct GpuRecSession {
    inner: std::rc::Rc<(StudyModel, classlens_core::models::study::net::Recommender, burn::tensor::Device)>,
}

#[cfg(all(target_arch = "wasm32", feature = "burn-webgpu"))]
#[wasm_bindgen]
impl GpuRecSession {
    pub async fn create(pack: Vec<u8>) -> Result<GpuRecSession, JsError> {
        use burn::module::Module;
        let cpu = load_pack(&pack).and_then(|p| p.into_recommender()).map_err(js_err)?;
        let device = burn_webgpu().await?;
        let gpu = cpu.model.clone().to_device(&device);
        Ok(Self { inner: std::rc::Rc::new((cpu, gpu, device)) })
    }

    /// As [`RecSession::recommend_from_csv`], on the GPU (resolves to the JSON text).
    #[wasm_bindgen(js_name = recommendFromCsv)]
    pub fn recommend_from_csv(&self, activity_csv: String, info_csv: String, top: usize) -> js_sys::Promise {
        let inner = self.inner.clone();
        recommend_promise(activity_csv, info_csv, top, move |data, request| async move {
            let (model, gpu, device) = &*inner;
            classlens_core::infer::recommend::recommend_on(model, gpu, device, &data, &[], &request).await
        })
    }
}
