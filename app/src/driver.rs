//! The browser's side of the dashboard's work, kept thin so the logic stays testable elsewhere.
//! For the page: starting the Web Worker and speaking to it ([`spawn_worker`], [`post`]),
//! reading dropped files as bytes, download links, "rendered". For the worker
//! ([`crate::worker`]): fetching the demo packs, yielding to the event loop, and driving a
//! [`Scorer`] or a [`Fitter`] one step or slice at a time with a yield in between (so a newer
//! message, a cancel or a newer run, is heard).
//!
//! WebGPU lives here and only here, behind `#[cfg(target_arch = "wasm32")]`: the native build
//! (the unit tests) has no WebGPU variant of [`Dkt`] and its probe answers that there is none.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use classlens_core::infer::webgpu::study::GpuRecommender;

use crate::classroom::UploadedFile;
use crate::fitter::{FitData, FitEvent, FitKind, Fitter};
use crate::scorer::{Models, Prepared, ScoreRequest, Scorer, ScorerEvent};

/// The offline demo's packs (`public/demo/`, made by `scripts/demo-packs.sh`), next to the page.
pub const DKT_PACK: &str = "demo/dkt.pack";
pub const STUDY_PACK: &str = "demo/study.pack";

/// Where DKT runs (the attention model and BKT always run on the CPU: the WebGPU kernel is DKT's).
#[derive(Clone)]
pub enum Dkt {
    Cpu,
    #[cfg(target_arch = "wasm32")]
    WebGpu(Rc<classlens_core::infer::webgpu::GpuDkt>),
}

/// What the probe made on the browser's WebGPU: DKT's kernel and, with a STUDY or Individual
/// pack, the decoder's ([`classlens_core::infer::webgpu::study`]), both compiled and their
/// weights uploaded while the page loads, not at the first click.
#[derive(Clone)]
pub struct OnGpu {
    pub dkt: Dkt,
    pub study: Option<Rc<GpuRecommender>>,
    /// Why STUDY's kernels could not be made (STUDY then stays on the CPU).
    pub study_error: Option<String>,
    /// The adapter is a software fallback (SwiftShader): the CPU is faster there.
    pub software: bool,
}

impl Dkt {
    /// The browser's WebGPU, when it offers an adapter; otherwise why not. STUDY's kernels are
    /// made too when there is a pack for it; if they fail, STUDY stays on the CPU.
    pub async fn probe(models: &Models) -> Result<OnGpu, String> {
        #[cfg(target_arch = "wasm32")]
        {
            let Some(dkt) = models.kt.dkt() else {
                let model = if models.kt.bkt().is_some() { "BKT" } else { "the attention model" };
                return Err(format!("not for {model} (the WebGPU kernel is DKT's)"));
            };
            let gpu = classlens_core::infer::webgpu::GpuDkt::new(&dkt.weights).await.map_err(|e| e.to_string())?;
            let software = gpu.software();
            let (study, study_error) = match &models.study {
                Some(m) => match GpuRecommender::for_model(m).await {
                    Ok(g) => (Some(Rc::new(g)), None),
                    Err(e) => (None, Some(e.to_string())),
                },
                None => (None, None),
            };
            Ok(OnGpu { dkt: Dkt::WebGpu(Rc::new(gpu)), study, study_error, software })
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

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout`, the page's or the worker's.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: i32);

    /// The address of wasm-bindgen's JavaScript for the page's module (its `import.meta.url`):
    /// the worker's module is beside it.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MODULE_URL: String;
}

/// The worker's module: wasm-bindgen's JavaScript for the `classlens-worker` binary, which trunk
/// and `scripts/web-build.sh` put beside the page's (`classlens-app.js`).
pub const WORKER_MODULE: &str = "classlens-worker.js";

#[wasm_bindgen(inline_js = r#"
export function spawn_module_worker(module) {
  // The worker's own wasm, fetched here so that its bytes can be counted: the page hears
  // `{ loaded, total }` (plain objects; the worker's own messages are CBOR bytes) at most every
  // 100 ms and at the end, then the worker's `main` serves the page's messages. Without a
  // readable body it is fetched as wasm-bindgen's `init()` would.
  const src = `import init from ${JSON.stringify(module)};
const url = new URL('classlens-worker_bg.wasm', ${JSON.stringify(module)});
const res = await fetch(url);
if (!res.ok || !res.body) {
  await init({ module_or_path: url });
} else {
  const total = Number(res.headers.get('content-length')) || 0;
  let loaded = 0, last = 0;
  const counted = res.body.pipeThrough(new TransformStream({
    transform(chunk, out) {
      loaded += chunk.byteLength;
      const now = performance.now();
      if (now - last > 100) { last = now; postMessage({ loaded, total }); }
      out.enqueue(chunk);
    },
    flush() { postMessage({ loaded, total }); },
  }));
  await init({ module_or_path: new Response(counted, { headers: { 'content-type': 'application/wasm' } }) });
}
`;
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  return new Worker(url, { type: 'module', name: 'classlens-models' });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    fn spawn_module_worker(module: &str) -> Result<web_sys::Worker, JsValue>;
}

/// Lets the event loop run (a macrotask: the page paints, the worker hears its messages).
pub async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| set_timeout(&resolve, 0));
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

/// The demo's DKT pack, and its STUDY pack when the server has one; `base` is the page's address.
pub async fn load_demo_models(base: &str) -> Result<Models, String> {
    let url = |path: &str| web_sys::Url::new_with_base(path, base).map(|u| u.href()).unwrap_or_else(|_| path.to_string());
    let dkt = fetch_bytes(&url(DKT_PACK)).await?;
    let study = fetch_bytes(&url(STUDY_PACK)).await.ok();
    Models::from_packs((DKT_PACK, &dkt), study.as_deref().map(|b| (STUDY_PACK, b)))
}

/// Starts the page's Web Worker ([`crate::worker`]): every message it posts goes to
/// `on_message` as bytes, the count of its wasm's bytes while they download to `on_download`
/// (loaded, total; 0 when the server gave no size), and an error that stops it (its script
/// failing to load, a panic) to `on_error`.
pub fn spawn_worker(
    on_message: impl Fn(Vec<u8>) + 'static,
    on_download: impl Fn(u64, u64) + 'static,
    on_error: impl Fn(String) + 'static,
) -> Result<web_sys::Worker, String> {
    let page_module = MODULE_URL.with(String::clone);
    let module =
        web_sys::Url::new_with_base(WORKER_MODULE, &page_module).map(|u| u.href()).map_err(|e| format!("no address for the worker's module ({e:?})"))?;
    let worker = spawn_module_worker(&module).map_err(|e| format!("this browser could not start a module worker ({e:?})"))?;
    let message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let data = e.data();
        match data.dyn_ref::<js_sys::Uint8Array>() {
            Some(bytes) => on_message(bytes.to_vec()),
            // The loader's count of the worker's wasm (see `spawn_module_worker`).
            None => {
                let field = |name: &str| js_sys::Reflect::get(&data, &name.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as u64;
                on_download(field("loaded"), field("total"));
            }
        }
    });
    worker.set_onmessage(Some(message.as_ref().unchecked_ref()));
    message.forget();
    let error = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let text = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "its script did not load".into());
        on_error(text)
    });
    worker.set_onerror(Some(error.as_ref().unchecked_ref()));
    error.forget();
    Ok(worker)
}

/// Posts `bytes` to `target` (the worker, or from the worker its page), handing the buffer over
/// rather than copying it.
pub fn post(target: &JsValue, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let transfer = js_sys::Array::of1(&array.buffer());
    let call = match target.dyn_ref::<web_sys::Worker>() {
        Some(w) => w.post_message_with_transfer(&array, &transfer),
        None => target.unchecked_ref::<web_sys::DedicatedWorkerGlobalScope>().post_message_with_transfer(&array, &transfer),
    };
    call.map_err(|e| format!("{e:?}"))
}

/// Milliseconds on the page's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The longest stretch of fitting between two yields: half of the 50 ms that makes a long task.
pub const FIT_SLICE_MS: f64 = 25.0;

/// Fits a model of `kind` to `data`'s classroom, handing each event to `emit` with a yield
/// after it; stops with [`FitEvent::Cancelled`] once `cancelled()` says so.
pub async fn fit(data: Rc<Prepared>, kind: FitKind, cancelled: impl Fn() -> bool, mut emit: impl FnMut(FitEvent)) {
    let prepared = match FitData::prepare(&data.classroom, kind) {
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

/// Saves `bytes` as `file` through a temporary download link (made only when asked: "Export
/// CSV" used to encode the whole table into its link on every change of the view).
pub fn download(file: &str, bytes: &[u8]) -> Result<(), String> {
    let url = blob_url(bytes)?;
    let link: web_sys::HtmlElement = leptos::prelude::document().create_element("a").map_err(|e| format!("{e:?}"))?.unchecked_into();
    link.set_attribute("href", &url).and_then(|_| link.set_attribute("download", file)).map_err(|e| format!("{e:?}"))?;
    link.click();
    // The click has started the download; the object URL is no longer needed.
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
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

/// Runs `request` to its end on `dkt` (and STUDY on `study`'s kernels when given), handing each
/// event to `emit` with a yield after it; stops early when `emit` answers `false` (a newer run
/// has made this one stale). A GPU call that fails (device lost, say) is redone on the CPU, which
/// then runs the rest, and the result says so and why.
// Natively (the unit tests) there is no WebGPU variant to read `dkt` back for.
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_assignments))]
pub async fn score(
    models: Rc<Models>,
    data: Rc<Prepared>,
    request: ScoreRequest,
    mut dkt: Dkt,
    mut study: Option<Rc<GpuRecommender>>,
    mut emit: impl FnMut(ScorerEvent) -> bool,
) {
    let mut scorer = Scorer::new(&models, &data, &request);
    if let Some(adapter) = dkt.adapter() {
        let what = if study.is_some() { "DKT and STUDY" } else { "DKT" };
        scorer.set_backend(format!("WebGPU ({adapter}), {what}"));
    }
    loop {
        let mut event = None;
        if let Some(gpu) = study.clone()
            && let Some((model, reads, log, students, request)) = scorer.pending_readings()
        {
            match classlens_core::infer::recommend::recommend_in_gpu(model, &gpu, reads, log, students, &request).await {
                Ok((found, _)) => event = Some(scorer.put_readings(Ok(found))),
                Err(e) => (dkt, study) = cpu_from_now(&mut scorer, e),
            }
        }
        #[cfg(target_arch = "wasm32")]
        if event.is_none()
            && let Dkt::WebGpu(g) = dkt.clone()
            && let Some(batch) = scorer.pending_histories()
        {
            match g.mastery_batch(&batch).await {
                Ok(p) => event = Some(scorer.put_mastery(Ok(p))),
                Err(e) => (dkt, study) = cpu_from_now(&mut scorer, e),
            }
        }
        let Some(event) = event.or_else(|| scorer.step()) else { return };
        let last = matches!(event, ScorerEvent::Scored(_) | ScorerEvent::Failed(_));
        if !emit(event) || last {
            return;
        }
        yield_now().await;
    }
}

/// After a failed GPU call: the CPU for the rest of the run (the failed batch included), and the
/// result says why.
fn cpu_from_now(scorer: &mut Scorer, error: impl std::fmt::Display) -> (Dkt, Option<Rc<GpuRecommender>>) {
    scorer.set_backend(format!("CPU (WebAssembly) · WebGPU failed: {error}"));
    (Dkt::Cpu, None)
}

/// Tells the page the scores are in the DOM (`classlens-ready`: the service worker caches the
/// app then, and the browser tests wait for it). Called a yield after they were set.
pub fn announce_ready() {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new("classlens-ready")) {
        let _ = w.dispatch_event(&e);
    }
}
