//! The browser's side of the dashboard's work, kept thin so the logic stays testable elsewhere:
//! fetching the demo packs, reading dropped files as bytes, yielding to the event loop, and
//! driving a [`Scorer`] one step at a time with a yield between steps (so the page never
//! freezes and paints its progress).
//!
//! DKT on WebGPU lives here and only here, behind `#[cfg(target_arch = "wasm32")]`: `core`'s
//! kernel exists only in a browser build, so the native build (the unit tests) simply has no
//! WebGPU variant of [`Dkt`] and its probe answers that there is none.

use std::rc::Rc;

use leptos::prelude::window;

use crate::classroom::{Classroom, UploadedFile};
use crate::fitter::{FitEvent, Fitter};
use crate::pack_store;
use crate::packs::open_pack;
use crate::scorer::{Models, Prepared, ScoreRequest, Scorer, ScorerEvent};
use crate::storage;

/// The offline demo's packs (`public/demo/`, made by `scripts/demo-packs.sh`), next to the page.
pub const DKT_PACK: &str = "demo/dkt.pack";
pub const STUDY_PACK: &str = "demo/study.pack";

/// Where DKT runs. STUDY always runs on the CPU: on an emulated adapter burn's many small
/// kernels are 140× slower (BENCHMARKS.md).
#[derive(Clone)]
pub enum Dkt {
    Cpu,
    #[cfg(target_arch = "wasm32")]
    WebGpu(Rc<classlens_core::infer::webgpu::GpuDkt>),
}

impl Dkt {
    /// The browser's WebGPU, when it offers an adapter; otherwise why not.
    pub async fn probe(models: &Models) -> Result<Dkt, String> {
        #[cfg(target_arch = "wasm32")]
        {
            classlens_core::infer::webgpu::GpuDkt::new(&models.dkt.weights).await.map(|g| Dkt::WebGpu(Rc::new(g))).map_err(|e| e.to_string())
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = models;
            Err("WebGPU exists only in a browser".to_string())
        }
    }

    /// The adapter's name, for WebGPU.
    pub fn adapter(&self) -> Option<String> {
        match self {
            Dkt::Cpu => None,
            #[cfg(target_arch = "wasm32")]
            Dkt::WebGpu(g) => Some(g.adapter().to_string()),
        }
    }
}

pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let r = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !r.ok() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    r.binary().await.map_err(|e| format!("{url}: {e}"))
}

/// Lets the browser paint and handle input (a macrotask, so rendering happens in between).
pub async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// The demo's DKT pack, and its STUDY pack when the server has one.
pub async fn load_demo_models() -> Result<Models, String> {
    let dkt = fetch_bytes(DKT_PACK).await?;
    yield_now().await;
    let study = fetch_bytes(STUDY_PACK).await.ok();
    Models::from_packs((DKT_PACK, &dkt), study.as_deref().map(|b| (STUDY_PACK, b)))
}

/// The demo's models with the packs this browser keeps (opened or fitted) in their roles. A
/// kept pack that no longer loads is skipped, and the second value says so.
pub async fn load_models() -> Result<(Models, Option<String>), String> {
    let mut models = load_demo_models().await?;
    let kept = match pack_store::kept().await {
        Ok(k) => k,
        Err(e) => return Ok((models, Some(format!("The packs kept in this browser could not be read ({e}); using the demo packs.")))),
    };
    let mut problems = Vec::new();
    for k in kept {
        yield_now().await;
        match open_pack(&k.file, &k.bytes, k.origin) {
            Ok(opened) => models = models.with(opened),
            Err(e) => {
                // Dropped, so the notice is said once, not at every visit.
                let _ = pack_store::forget(k.role).await;
                problems.push(e);
            }
        }
    }
    let notice = (!problems.is_empty()).then(|| format!("A kept pack could not be loaded and was removed: {}", problems.join("; ")));
    Ok((models, notice))
}

/// Milliseconds on the page's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The page's fit settings: `core`'s class defaults (chosen on generated classes).
pub fn fit_settings() -> classlens_core::fit::DktFitSettings {
    classlens_core::fit::DktFitSettings::default()
}

/// The longest stretch of fitting between two yields: half of the 50 ms that makes a long task.
pub const FIT_SLICE_MS: f64 = 25.0;

/// Fits DKT to `data`'s classroom, handing each event to `emit` with a yield after it; stops
/// with [`FitEvent::Cancelled`] once `cancelled()` says so.
pub async fn fit(data: Rc<Prepared>, cancelled: impl Fn() -> bool, mut emit: impl FnMut(FitEvent)) {
    let settings = fit_settings();
    let prepared = match classlens_core::fit::prepare_dkt(&data.classroom.practice, &data.classroom.source, &settings) {
        Ok(p) => p,
        Err(e) => return emit(FitEvent::Failed(e)),
    };
    yield_now().await;
    let mut fitter = match Fitter::new(&prepared, now_ms()) {
        Ok(f) => f,
        Err(e) => return emit(FitEvent::Failed(e)),
    };
    let mut clock = now_ms;
    loop {
        if cancelled() {
            return emit(FitEvent::Cancelled);
        }
        let Some(event) = fitter.slice(FIT_SLICE_MS, &mut clock) else { return };
        let last = !matches!(event, FitEvent::Progress(_));
        emit(event);
        if last {
            return;
        }
        yield_now().await;
    }
}

/// An object URL for `bytes` (the fitted pack's download link).
pub fn blob_url(bytes: &[u8]) -> Result<String, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| format!("{e:?}"))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))
}

/// The saved import if there is one (a saved import that no longer loads is dropped, and the
/// second value says so), else the built-in classroom.
pub async fn initial_classroom() -> (Classroom, Option<String>) {
    let saved = storage::load_import().map(|s| s.and_then(|s| Classroom::from_files(&s.files, s.mapping.as_deref())));
    yield_now().await;
    match saved {
        Some(Ok(c)) => (c, None),
        Some(Err(e)) => {
            storage::forget_import();
            (Classroom::demo().expect("the built-in classroom loads"), Some(format!("The saved data could not be read again and was forgotten: {e}")))
        }
        None => (Classroom::demo().expect("the built-in classroom loads"), None),
    }
}

/// The chosen or dropped files' bytes (`Blob.arrayBuffer()`): the loaders decide the encoding.
pub async fn read_files(list: web_sys::FileList) -> Result<Vec<UploadedFile>, String> {
    let mut out = Vec::new();
    for i in 0..list.length() {
        let Some(f) = list.get(i) else { continue };
        let buffer = wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await.map_err(|e| format!("{}: {e:?}", f.name()))?;
        out.push(UploadedFile { name: f.name(), bytes: js_sys::Uint8Array::new(&buffer).to_vec() });
    }
    Ok(out)
}

/// Runs `request` to its end on `dkt`, handing each event to `emit` with a yield after it;
/// stops early when `emit` answers `false` (a newer run has made this one stale).
pub async fn score(models: Rc<Models>, data: Rc<Prepared>, request: ScoreRequest, dkt: Dkt, mut emit: impl FnMut(ScorerEvent) -> bool) {
    let mut scorer = Scorer::new(&models, &data, &request);
    if let Some(adapter) = dkt.adapter() {
        scorer.set_backend(format!("WebGPU ({adapter})"));
    }
    loop {
        let event = match &dkt {
            Dkt::Cpu => scorer.step(),
            #[cfg(target_arch = "wasm32")]
            Dkt::WebGpu(g) => match scorer.pending_histories() {
                Some(batch) => {
                    let probabilities = g.mastery_batch(&batch).await.map_err(|e| format!("WebGPU: {e}"));
                    Some(scorer.put_mastery(probabilities))
                }
                None => scorer.step(),
            },
        };
        let Some(event) = event else { return };
        let last = matches!(event, ScorerEvent::Scored(_) | ScorerEvent::Failed(_));
        if !emit(event) || last {
            return;
        }
        yield_now().await;
    }
}

/// Tells the page the scores are in the DOM (`classlens-ready`: the service worker caches the
/// app then, and the browser tests wait for it). Called a yield after they were set.
pub fn announce_ready() {
    if let Ok(e) = web_sys::Event::new("classlens-ready") {
        let _ = window().dispatch_event(&e);
    }
}
