//! The classlens teacher dashboard (Leptos, client-side rendered), built by trunk from
//! `index.html`. It opens on the offline demo: `core`'s built-in classroom, generated in the
//! page, with the DKT and STUDY packs of `public/demo/` (made by `scripts/demo-packs.sh`).
//! Everything is computed in the page by `classlens-core`; the components only render the plain
//! types of [`classlens_web::dashboard`] and [`classlens_web::classroom`].
//!
//! Scoring a class runs in batches with a yield to the event loop between them, so the page
//! never freezes and shows progress; DKT runs on WebGPU when the browser has an adapter (the
//! header says which, and a switch forces the CPU); STUDY runs on the CPU (on an emulated
//! adapter burn's many small kernels are 140× slower, see BENCHMARKS.md).

mod storage;

use std::collections::HashMap;
use std::rc::Rc;

use classlens_core::infer::load_pack;
use classlens_core::infer::mastery::MasteryTable;
use classlens_core::infer::recommend::{ReadingLog, Request, StudentSuggestions, recommend_in};
use classlens_core::models::dkt_train::DktModelDir;
use classlens_core::models::recommender_train::RecModelDir;
use classlens_core::sequences::kt::{KtBuildReport, KtSequence, KtStep};
use classlens_web::classroom::{ClassKey, Classroom, UploadedFile};
use classlens_web::dashboard::export::mastery_csv;
use classlens_web::dashboard::levels::{Level, Thresholds};
use classlens_web::dashboard::student::StudentView;
use classlens_web::dashboard::suggest::{class_next_skills, class_readings};
use classlens_web::dashboard::view::{ClassView, Hint};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const DKT_PACK: &str = "demo/dkt.pack";
const STUDY_PACK: &str = "demo/study.pack";
/// Students scored between two yields to the event loop.
const BATCH: usize = 8;
/// Suggestions per student.
const TOP: usize = 5;
/// At-risk students listed (most current skills at remediation first); the count says the rest.
const AT_RISK_SHOWN: usize = 8;

struct Models {
    dkt: DktModelDir,
    study: Option<RecModelDir>,
}

/// A classroom with what the models read of it, built once per classroom, not per class: DKT's
/// sequences and STUDY's arranged reading log.
struct Data {
    classroom: Classroom,
    seqs: HashMap<String, KtSequence>,
    report: KtBuildReport,
    reading_log: Option<ReadingLog>,
}

impl Data {
    fn new(models: &Models, classroom: Classroom) -> Self {
        let (seqs, report) = models.dkt.sequences(&classroom.practice);
        let reading_log = models.study.as_ref().zip(classroom.reads.as_ref()).map(|(m, r)| ReadingLog::new(m, r));
        Self { classroom, seqs: seqs.into_iter().map(|q| (q.student.clone(), q)).collect(), report, reading_log }
    }
}

struct ClassResult {
    view: ClassView,
    found: Vec<StudentSuggestions>,
    backend: String,
}

#[derive(Clone)]
enum Gpu {
    Probing,
    Ready(Rc<gpu::Dkt>),
    Unavailable(String),
}

/// DKT on WebGPU: `core`'s kernel in the browser; elsewhere (the native test build) never
/// available.
mod gpu {
    #[cfg(target_arch = "wasm32")]
    pub use classlens_core::infer::webgpu::GpuDkt as Dkt;

    #[cfg(not(target_arch = "wasm32"))]
    pub struct Dkt;
    #[cfg(not(target_arch = "wasm32"))]
    impl Dkt {
        pub async fn new(_: &classlens_core::models::dkt_kernel::DktWeights) -> Result<Self, String> {
            Err("WebGPU exists only in a browser".into())
        }
        pub fn adapter(&self) -> &str {
            ""
        }
        pub async fn mastery_batch(&self, _: &[&[classlens_core::sequences::kt::KtStep]]) -> Result<Vec<Vec<f32>>, String> {
            Err("WebGPU exists only in a browser".into())
        }
    }
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let r = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !r.ok() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    r.binary().await.map_err(|e| format!("{url}: {e}"))
}

/// Lets the browser paint and handle input (a macrotask, so rendering happens in between).
async fn yield_now() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

async fn load_models() -> Result<Models, String> {
    let dkt = load_pack(&fetch_bytes(DKT_PACK).await?).and_then(|p| p.into_dkt()).map_err(|e| format!("{DKT_PACK}: {e}"))?;
    yield_now().await;
    let study = match fetch_bytes(STUDY_PACK).await {
        Ok(b) => Some(load_pack(&b).and_then(|p| p.into_recommender()).map_err(|e| format!("{STUDY_PACK}: {e}"))?),
        Err(_) => None,
    };
    Ok(Models { dkt, study })
}

/// The saved import if there is one (a saved import that no longer parses is dropped and said),
/// else the built-in classroom.
async fn initial_classroom() -> (Classroom, Option<String>) {
    if let Some(saved) = storage::load_import() {
        match Classroom::from_files(&saved.files, saved.mapping.as_deref()) {
            Ok(c) => return (c, None),
            Err(e) => {
                storage::forget_import();
                yield_now().await;
                return (Classroom::demo().expect("the built-in classroom loads"), Some(format!("The saved data could not be read again and was forgotten: {e}")));
            }
        }
    }
    yield_now().await;
    (Classroom::demo().expect("the built-in classroom loads"), None)
}

/// Scores one class: DKT mastery in batches of [`BATCH`] students (a yield and a progress update
/// between them), then STUDY's suggestions for the students with reads.
async fn score_class(models: &Models, data: &Data, class: ClassKey, thresholds: Thresholds, gpu: Option<Rc<gpu::Dkt>>, progress: impl Fn(usize, usize)) -> Result<ClassResult, String> {
    let students = data.classroom.students_of(class);
    let total = students.len();
    let mut rows = Vec::with_capacity(total);
    let mut seqs = Vec::with_capacity(total);
    progress(0, total);
    for chunk in students.chunks(BATCH) {
        let hist: Vec<&[KtStep]> = chunk.iter().map(|s| data.seqs.get(s).map(|q| models.dkt.recent(&q.steps)).unwrap_or(&[])).collect();
        let probs = match &gpu {
            Some(g) => g.mastery_batch(&hist).await.map_err(|e| format!("WebGPU: {e}"))?,
            None => models.dkt.weights.mastery_batch(&hist),
        };
        rows.extend(chunk.iter().cloned().zip(probs));
        seqs.extend(chunk.iter().filter_map(|s| data.seqs.get(s).cloned()));
        progress(rows.len(), total);
        yield_now().await;
    }
    let table = MasteryTable { skills: models.dkt.vocab.names().to_vec(), labels: models.dkt.vocab.labels.clone(), rows };
    let view = ClassView::new(&table, &seqs, thresholds);
    let found = match (&models.study, &data.classroom.reads, &data.reading_log) {
        (Some(study), Some(reads), Some(log)) => {
            let with_reads: Vec<String> = students.iter().filter(|s| reads.students.get(s).is_some()).cloned().collect();
            // In batches too: one call for a class of 30 is ~60-100 ms of wasm on this machine.
            let mut found = Vec::with_capacity(with_reads.len());
            for chunk in with_reads.chunks(BATCH) {
                found.extend(recommend_in(study, reads, log, chunk, &Request { top: TOP, include_read: false, as_of: None }).map_err(|e| format!("STUDY: {e}"))?.0);
                yield_now().await;
            }
            found
        }
        _ => Vec::new(),
    };
    let backend = match &gpu {
        Some(g) => format!("WebGPU ({})", g.adapter()),
        None => "CPU (WebAssembly)".to_string(),
    };
    Ok(ClassResult { view, found, backend })
}

/// Cividis (colour-blind safe), interpolated between five of its stops.
fn cividis(p: f32) -> (String, &'static str) {
    const STOPS: [(f32, [f32; 3]); 5] = [(0.0, [0.0, 32.0, 77.0]), (0.25, [65.0, 77.0, 107.0]), (0.5, [124.0, 123.0, 120.0]), (0.75, [188.0, 175.0, 111.0]), (1.0, [255.0, 234.0, 70.0])];
    let p = p.clamp(0.0, 1.0);
    let i = STOPS.iter().position(|s| s.0 >= p).unwrap_or(4).max(1);
    let (a, b) = (STOPS[i - 1], STOPS[i]);
    let t = (p - a.0) / (b.0 - a.0);
    let c: Vec<u8> = (0..3).map(|k| (a.1[k] + t * (b.1[k] - a.1[k])).round() as u8).collect();
    (format!("rgb({},{},{})", c[0], c[1], c[2]), text_colour(&c))
}

/// Black or white, whichever contrasts more with the background (WCAG relative luminance):
/// cividis's middle greys need black text.
fn text_colour(rgb: &[u8]) -> &'static str {
    let lin = |v: u8| {
        let c = v as f32 / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let l = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) { "#000" } else { "#fff" }
}

fn pct(p: f32) -> String {
    format!("{:.0}%", 100.0 * p)
}

#[component]
fn Heatmap(view: RwSignal<ClassView>, open_student: WriteSignal<Option<String>>) -> impl IntoView {
    // Roving tabindex: one cell is in the tab order; arrow keys move it.
    let focus = RwSignal::new((0usize, 0usize));
    let move_focus = move |ev: leptos::ev::KeyboardEvent| {
        let (rows, cols) = view.with(|v| (v.students.len(), v.skill_order.len()));
        let (r, c) = focus.get();
        let next = match ev.key().as_str() {
            "ArrowUp" => (r.saturating_sub(1), c),
            "ArrowDown" => ((r + 1).min(rows.saturating_sub(1)), c),
            "ArrowLeft" => (r, c.saturating_sub(1)),
            "ArrowRight" => (r, (c + 1).min(cols.saturating_sub(1))),
            "Home" => (r, 0),
            "End" => (r, cols.saturating_sub(1)),
            _ => return,
        };
        ev.prevent_default();
        focus.set(next);
        if let Some(el) = document().get_element_by_id(&format!("cell-{}-{}", next.0, next.1)) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    view! {
        <table role="grid" aria-label="Mastery by student and skill" class="heatmap" on:keydown=move_focus>
            <thead>
                <tr role="row">
                    <th role="columnheader" scope="col">
                        <button on:click=move |_| view.update(|v| v.sort_students(None))>"Student ↕"</button>
                    </th>
                    {move || view.with(|v| v.skill_order.iter().map(|&k| {
                        let label = v.labels[k].clone();
                        let title = format!("Sort students by {label}, lowest first");
                        view! {
                            <th role="columnheader" scope="col">
                                <button title=title on:click=move |_| view.update(|v| v.sort_students(Some(k)))>{label}</button>
                            </th>
                        }
                    }).collect_view())}
                </tr>
            </thead>
            <tbody>
                {move || view.with(|v| v.students.iter().enumerate().map(|(r, student)| {
                    let cells = v.skill_order.iter().enumerate().map(|(c, &k)| {
                        let cell = v.cells[r][k];
                        let (bg, fg) = if cell.level == Level::NotStarted { ("#eee".to_string(), "#333") } else { cividis(cell.probability) };
                        let text = if cell.level == Level::NotStarted { "–".to_string() } else { format!("{} {:.0}", cell.level.code(), 100.0 * cell.probability) };
                        // The accessible name starts with the visible text (WCAG 2.5.3, label in name).
                        let detail = format!("{text}: {student}, {}: {} ({:.1}%, {} attempts)", v.labels[k], cell.level.label(), 100.0 * cell.probability, cell.attempts);
                        view! {
                            <td role="gridcell" id=format!("cell-{r}-{c}") data-p=format!("{:.6}", cell.probability)
                                tabindex=move || if focus.get() == (r, c) { 0 } else { -1 }
                                on:focus=move |_| focus.set((r, c))
                                title=detail.clone() aria-label=detail
                                style=format!("background:{bg};color:{fg}")>{text}</td>
                        }
                    }).collect_view();
                    let name = student.clone();
                    view! {
                        <tr role="row">
                            <th role="rowheader" scope="row">
                                <button class="student-link" title=format!("Open {student}'s page") on:click=move |_| open_student.set(Some(name.clone()))>{student.clone()}</button>
                            </th>
                            {cells}
                        </tr>
                    }
                }).collect_view())}
            </tbody>
        </table>
    }
}

#[component]
fn Legend(thresholds: Thresholds) -> impl IntoView {
    let items = [(Level::Proficient, format!("≥ {}", pct(thresholds.proficient))), (Level::NearProficient, format!("{}–{}", pct(thresholds.near), pct(thresholds.proficient))), (Level::Remediation, format!("< {}", pct(thresholds.near))), (Level::NotStarted, "no answers yet".to_string())];
    view! {
        <ul class="legend" aria-label="Legend">
            {items.into_iter().map(|(level, range)| {
                let p = match level { Level::Proficient => 0.97, Level::NearProficient => 0.8, Level::Remediation => 0.4, Level::NotStarted => -1.0 };
                let (bg, fg) = if p < 0.0 { ("#eee".to_string(), "#333") } else { cividis(p) };
                view! { <li><span class="swatch" style=format!("background:{bg};color:{fg}")>{level.code()}</span>{format!(" {} ({range})", level.label())}</li> }
            }).collect_view()}
            <li class="note">"Cells show the predicted chance of answering the skill correctly next."</li>
        </ul>
    }
}

/// Okabe–Ito: distinguishable with every common colour-vision deficiency.
const LINE_COLOURS: [&str; 6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"];
const DASHES: [&str; 6] = ["", "6 3", "2 2", "8 3 2 3", "1 3", "10 4"];

#[component]
fn StudentPanel(view: Rc<StudentView>, readings: Option<StudentSuggestions>, data: Rc<Data>, close: WriteSignal<Option<String>>) -> impl IntoView {
    let (w, h) = (640.0f32, 220.0f32);
    let t = view.thresholds;
    let summary = view.charted.iter().map(|&k| format!("{} {}", view.labels[k], pct(view.trajectory.last().map(|p| p[k]).unwrap_or(0.0)))).collect::<Vec<_>>().join(", ");
    let lines = view.charted.iter().enumerate().map(|(i, &k)| {
        view! { <polyline points=view.polyline(k, w, h) fill="none" stroke=LINE_COLOURS[i % 6] stroke-width="2" stroke-dasharray=DASHES[i % 6]/> }
    }).collect_view();
    let key = view.charted.iter().enumerate().map(|(i, &k)| {
        let last = view.trajectory.last().map(|p| p[k]).unwrap_or(0.0);
        view! {
            <li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke=LINE_COLOURS[i % 6] stroke-width="2" stroke-dasharray=DASHES[i % 6]/></svg>
            {format!(" {}: now {}", view.labels[k], pct(last))}</li>
        }
    }).collect_view();
    let answers = view.trajectory.len() - 1;
    let history = view.recent.iter().enumerate().map(|(i, r)| {
        // Logs without a clock (ASSISTments skill builder) get the answer's number instead.
        let when = r.time.map(|s| classlens_core::calendar::format_days(s.div_euclid(86_400))).unwrap_or_else(|| format!("answer {}", answers - i));
        view! { <tr><td>{when}</td><td>{r.problem.clone()}</td><td>{r.skills.join(", ")}</td><td>{if r.correct { "✓ correct" } else { "✗ wrong" }}</td></tr> }
    }).collect_view();
    let next = view.next.iter().map(|n| {
        let problems = if n.problems.is_empty() { "no unanswered problem in the log".to_string() } else { format!("problems {}", n.problems.join(", ")) };
        view! { <li>{format!("{} (now {}): {problems}", n.label, pct(n.probability))}</li> }
    }).collect_view();
    let reads = match readings {
        None => view! { <p>"No reading log for this student (drop a STUDY student_activity.csv to get suggestions)."</p> }.into_any(),
        Some(s) => view! {
            <ol>{s.suggestions.into_iter().map(|r| {
                let name = data.classroom.titles.get(&r.title).cloned().unwrap_or_else(|| r.title.clone());
                let social = match r.classmates_recent { 0 => "not read by classmates this week".to_string(), 1 => "read this week by 1 classmate".to_string(), n => format!("read this week by {n} classmates") };
                view! { <li data-title=r.title.clone()><strong>{name}</strong>{format!(" ({}) — {social}; predicted {:.1}%", r.title, 100.0 * r.score)}</li> }
            }).collect_view()}</ol>
        }.into_any(),
    };
    view! {
        <section class="student" aria-labelledby="student-title">
            <button class="back" on:click=move |_| close.set(None)>"← Back to the class"</button>
            <h2 id="student-title">{format!("Student {}", view.student)}</h2>
            <h3>"Mastery over time"</h3>
            <svg class="chart" viewBox=format!("-40 -10 {} {}", w + 50.0, h + 40.0) role="img" aria-label=format!("Mastery after each of {answers} answers. Now: {summary}")>
                <rect x="0" y="0" width=w height=h fill="#fafafa" stroke="#999"/>
                <line x1="0" x2=w y1=h * (1.0 - t.proficient) y2=h * (1.0 - t.proficient) stroke="#555" stroke-dasharray="4 4"/>
                <line x1="0" x2=w y1=h * (1.0 - t.near) y2=h * (1.0 - t.near) stroke="#555" stroke-dasharray="4 4"/>
                <text x="-6" y="4" text-anchor="end" font-size="11">"100%"</text>
                <text x="-6" y=h * (1.0 - t.proficient) + 4.0 text-anchor="end" font-size="11">{pct(t.proficient)}</text>
                <text x="-6" y=h * (1.0 - t.near) + 4.0 text-anchor="end" font-size="11">{pct(t.near)}</text>
                <text x="-6" y=h + 4.0 text-anchor="end" font-size="11">"0%"</text>
                <text x="0" y=h + 18.0 font-size="11">"first answer"</text>
                <text x=w y=h + 18.0 text-anchor="end" font-size="11">{format!("answer {answers}")}</text>
                {lines}
            </svg>
            <ul class="chart-key">{key}</ul>
            <div class="student-columns">
                <div>
                    <h3>"Practise next"</h3>
                    <p class="note">"Lowest mastery first, among skills not yet proficient whose prerequisites are at least near proficient."</p>
                    <ul>{next}</ul>
                    <h3>"Suggested readings (STUDY)"</h3>
                    {reads}
                </div>
                <div>
                    <h3>"Recent answers"</h3>
                    <table class="history"><thead><tr><th scope="col">"When"</th><th scope="col">"Problem"</th><th scope="col">"Skills"</th><th scope="col">"Answer"</th></tr></thead><tbody>{history}</tbody></table>
                </div>
            </div>
        </section>
    }
}

#[component]
fn ClassPanel(result: Rc<ClassResult>, data: Rc<Data>, open_student: WriteSignal<Option<String>>) -> impl IntoView {
    let thresholds = result.view.thresholds();
    let view_signal = RwSignal::new(result.view.clone());
    let csv_href = move || {
        view_signal.with(|v| {
            let table = MasteryTable {
                skills: v.skill_ids.clone(),
                labels: v.labels.clone(),
                rows: v.students.iter().zip(&v.cells).map(|(s, row)| (s.clone(), row.iter().map(|c| c.probability).collect())).collect(),
            };
            mastery_csv(&table).map(|t| format!("data:text/csv;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&t)))).unwrap_or_default()
        })
    };
    let next_skills = class_next_skills(&result.view, &data.classroom.prerequisites, 3);
    let readings = class_readings(&result.found, &data.classroom.titles, 5);
    let labels = result.view.labels.clone();
    view! {
        <section class="controls" aria-label="Table tools">
            <button on:click=move |_| view_signal.update(|v| v.sort_skills(true))>"Skills: weakest first"</button>
            <button on:click=move |_| view_signal.update(|v| v.sort_skills(false))>"Skills: by name"</button>
            <a href=csv_href download="mastery.csv">"Export CSV"</a>
            <button onclick="window.print()">"Print"</button>
        </section>
        <Legend thresholds=thresholds/>
        <div class="grid-scroll"><Heatmap view=view_signal open_student=open_student/></div>
        <section class="summaries">
            <div>
                <h2>"Weakest skills"</h2>
                <ol>{move || view_signal.with(|v| v.weakest_skills(5).into_iter().map(|s| {
                    let hint = match &s.hint { Hint::ReteachClass => "re-teach to the class".to_string(), Hint::SmallGroup(names) => format!("small group: {}", names.join(", ")), Hint::None => "no one below near proficient".to_string() };
                    view! { <li>{format!("{}: class mean {} ({} of {} below {}) — {hint}", s.label, pct(s.mean), s.below_near.len(), s.with_evidence, pct(thresholds.near))}</li> }
                }).collect_view())}</ol>
            </div>
            <div>
                <h2>"At risk"</h2>
                <p class="note">{move || view_signal.with(|v| format!("{} of {} students are below near proficient on a skill the class is practising now; the {AT_RISK_SHOWN} most at risk:", v.at_risk().len(), v.students.len()))}</p>
                <ul class="at-risk">{move || view_signal.with(|v| v.at_risk().into_iter().take(AT_RISK_SHOWN).map(|r| {
                    let skills: Vec<String> = r.skills.iter().map(|(k, p)| format!("{} {}", v.labels[*k], pct(*p))).collect();
                    let name = r.student.clone();
                    view! { <li><button class="student-link" on:click=move |_| open_student.set(Some(name.clone()))>{r.student.clone()}</button>{format!(": {}", skills.join(", "))}</li> }
                }).collect_view())}</ul>
            </div>
            <div>
                <h2>"Next for the class"</h2>
                <h3>"Problems"</h3>
                <ul class="class-next">{next_skills.into_iter().map(|(k, m)| view! { <li>{format!("{} (class mean {})", labels[k], pct(m))}</li> }).collect_view()}</ul>
                <h3>"Readings (STUDY)"</h3>
                {if readings.is_empty() {
                    view! { <p>"No reading log: drop a STUDY student_activity.csv for suggestions."</p> }.into_any()
                } else {
                    view! { <ol class="class-readings">{readings.into_iter().map(|r| view! {
                        <li><strong>{r.name.clone()}</strong>{format!(" ({}) — suggested to {} students; read this week by {} classmates; mean predicted {:.1}%", r.title, r.students, r.classmates_recent, 100.0 * r.mean_score)}</li>
                    }).collect_view()}</ol> }.into_any()
                }}
            </div>
        </section>
    }
}

/// Thresholds as a form: checked by [`Thresholds::new`], kept in local storage.
#[component]
fn Settings(thresholds: RwSignal<Thresholds>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let proficient = NodeRef::<leptos::html::Input>::new();
    let near = NodeRef::<leptos::html::Input>::new();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let read = |n: NodeRef<leptos::html::Input>| n.get().map(|i| i.value()).unwrap_or_default().trim().parse::<f32>().map(|v| v / 100.0).map_err(|_| "enter a number".to_string());
        match read(proficient).and_then(|p| read(near).and_then(|n| Thresholds::new(p, n))) {
            Ok(t) => {
                error.set(None);
                storage::save_thresholds(&t);
                thresholds.set(t);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let preset = move |t: Thresholds| {
        storage::save_thresholds(&t);
        thresholds.set(t);
    };
    view! {
        <details class="settings">
            <summary>"Mastery levels"</summary>
            <form on:submit=apply>
                <label>"Proficient from " <input node_ref=proficient type="number" min="1" max="100" step="1" value=move || format!("{:.0}", 100.0 * thresholds.get().proficient)/> "%"</label>
                <label>"Near proficient from " <input node_ref=near type="number" min="1" max="100" step="1" value=move || format!("{:.0}", 100.0 * thresholds.get().near)/> "%"</label>
                <button type="submit">"Apply"</button>
                <button type="button" class="preset-default" on:click=move |_| preset(Thresholds::default())>"classlens defaults (80 / 60)"</button>
                <button type="button" class="preset-mathia" on:click=move |_| preset(Thresholds::MATHIA)>"MATHia (95 / 70)"</button>
                <p class="note">"DKT predicts the chance of a correct answer, slips included, so it rarely passes 90%; MATHia's 95 / 70 are for a mastery estimate without slips."</p>
                {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            </form>
        </details>
    }
}

/// Reads the chosen or dropped files as text.
async fn read_files(list: web_sys::FileList) -> Result<Vec<UploadedFile>, String> {
    let mut out = Vec::new();
    for i in 0..list.length() {
        let Some(f) = list.get(i) else { continue };
        let text = wasm_bindgen_futures::JsFuture::from(f.text()).await.map_err(|e| format!("{}: {e:?}", f.name()))?;
        out.push(UploadedFile { name: f.name(), text: text.as_string().unwrap_or_default() });
    }
    Ok(out)
}

#[component]
fn Import(models: Rc<Models>, data: RwSignal<Option<Rc<Data>>, LocalStorage>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let mapping = NodeRef::<leptos::html::Input>::new();
    let m2 = models.clone();
    let take = move |list: Option<web_sys::FileList>| {
        let Some(list) = list else { return };
        let models = m2.clone();
        let map_text = mapping.get().map(|i| i.value()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        leptos::task::spawn_local(async move {
            let files = match read_files(list).await {
                Ok(f) => f,
                Err(e) => return error.set(Some(e)),
            };
            yield_now().await;
            match Classroom::from_files(&files, map_text.as_deref()) {
                Ok(c) => {
                    error.set(None);
                    let saved = storage::save_import(&storage::SavedImport { files, mapping: map_text });
                    notice.set(saved.err().map(|e| format!("Imported, but not kept for the next visit: {e}")));
                    data.set(Some(Rc::new(Data::new(&models, c))));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let t2 = take.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        t2(input.and_then(|i| i.files()));
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take(ev.data_transfer().and_then(|d| d.files()));
    };
    let forget = move |_| {
        storage::forget_import();
        error.set(None);
        notice.set(Some("Your imported data was removed from this browser; showing the demo classroom.".into()));
        if let Ok(c) = Classroom::demo() {
            data.set(Some(Rc::new(Data::new(&models, c))));
        }
    };
    view! {
        <details class="import">
            <summary>"Your data"</summary>
            <div class="dropzone" on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label>"Choose or drop CSV files "
                    <input type="file" multiple accept=".csv,.txt,.json" on:change=on_change/>
                </label>
                <p class="note">"Raw ASSISTments logs, the DKT line formats, STUDY's student_activity.csv with student_info.csv, skills.json and titles.json. Files are read in this page and kept in this browser only."</p>
                <label>"Column mapping for any other CSV (optional) "
                    <input node_ref=mapping type="text" placeholder="student=kid,item=question,skill=topic,correct=right"/>
                </label>
            </div>
            {move || error.get().map(|e| view! { <p role="alert" class="error">{e}</p> })}
            <button on:click=forget>"Forget this data"</button>
        </details>
    }
}

#[component]
fn App() -> impl IntoView {
    let models: RwSignal<Option<Result<Rc<Models>, String>>, LocalStorage> = RwSignal::new_local(None);
    let data: RwSignal<Option<Rc<Data>>, LocalStorage> = RwSignal::new_local(None);
    let notice = RwSignal::new(None::<String>);
    let thresholds = RwSignal::new(storage::load_thresholds().unwrap_or_default());
    let gpu: RwSignal<Gpu, LocalStorage> = RwSignal::new_local(Gpu::Probing);
    let force_cpu = RwSignal::new(false);
    let class = RwSignal::new(None::<ClassKey>);
    let result: RwSignal<Option<Result<Rc<ClassResult>, String>>, LocalStorage> = RwSignal::new_local(None);
    let progress = RwSignal::new((0usize, 0usize));
    let student = RwSignal::new(None::<String>);
    let generation = StoredValue::new(0u64);

    leptos::task::spawn_local(async move {
        let loaded = load_models().await.map(Rc::new);
        if let Ok(m) = &loaded {
            let (c, warn) = initial_classroom().await;
            notice.set(warn);
            data.set(Some(Rc::new(Data::new(m, c))));
            let probe = gpu::Dkt::new(&m.dkt.weights).await;
            gpu.set(match probe {
                Ok(g) => Gpu::Ready(Rc::new(g)),
                Err(e) => Gpu::Unavailable(e.to_string()),
            });
        }
        models.set(Some(loaded));
    });

    // A new classroom starts on its first class, with no student open.
    Effect::new(move |_| {
        if let Some(d) = data.get() {
            class.set(Some(d.classroom.classes()[0].0));
            student.set(None);
        }
    });

    // Rescore whenever what the scores depend on changes; a newer run makes an older one's
    // result stale, so it is dropped.
    Effect::new(move |_| {
        let (Some(Ok(m)), Some(d), Some(c)) = (models.get(), data.get(), class.get()) else { return };
        let t = thresholds.get();
        let g = match (gpu.get(), force_cpu.get()) {
            (Gpu::Probing, _) => return,
            (Gpu::Ready(g), false) => Some(g),
            _ => None,
        };
        let run = generation.get_value() + 1;
        generation.set_value(run);
        leptos::task::spawn_local(async move {
            let r = score_class(&m, &d, c, t, g, |done, total| {
                if generation.get_value() == run {
                    progress.set((done, total));
                }
            })
            .await;
            if generation.get_value() == run {
                result.set(Some(r.map(Rc::new)));
                // After a yield the heatmap is in the DOM: `classlens-ready` means "rendered".
                yield_now().await;
                let _ = window().dispatch_event(&web_sys::Event::new("classlens-ready").expect("an event"));
            }
        });
    });

    let backend_line = move || match (gpu.get(), force_cpu.get()) {
        (Gpu::Probing, _) => "Looking for WebGPU…".to_string(),
        (Gpu::Ready(g), false) => format!("DKT on WebGPU ({}) · STUDY on the CPU", g.adapter()),
        (Gpu::Ready(_), true) => "CPU (WebAssembly), forced".to_string(),
        // The adapter error's first clause; the rest lists every backend wgpu tried.
        (Gpu::Unavailable(e), _) => format!("CPU (WebAssembly) · no WebGPU: {}", e.split(" (").next().unwrap_or(&e)),
    };
    let source_line = move || data.with(|d| d.as_ref().map(|d| {
        let left_out = d.report.unknown_skill + d.report.untagged;
        let extra = if left_out > 0 { format!(" · {left_out} answers on skills the model does not know were left out") } else { String::new() };
        format!("{}{extra}", d.classroom.source)
    }).unwrap_or_default());
    let pick = move |ev: leptos::ev::Event| {
        let i: usize = event_target_value(&ev).parse().unwrap_or(0);
        if let Some(d) = data.get_untracked() {
            if let Some((k, _)) = d.classroom.classes().get(i) {
                student.set(None);
                class.set(Some(*k));
            }
        }
    };

    view! {
        <header>
            <h1>"classlens"</h1>
            <p class="source" data-testid="source">{source_line}</p>
            <p class="backend" data-testid="backend">{backend_line}
                <label class="force-cpu">
                    <input type="checkbox" prop:checked=move || force_cpu.get() on:change=move |ev| force_cpu.set(event_target_checked(&ev)) disabled=move || !matches!(gpu.get(), Gpu::Ready(_))/>
                    " Use the CPU only"
                </label>
            </p>
        </header>
        <main>
            {move || match models.get() {
                None => view! { <p aria-live="polite">"Loading the demo classroom and models…"</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert">{e}</p> }.into_any(),
                Some(Ok(m)) => view! {
                    <section class="toolbar" aria-label="Class and data">
                        <label>"Class "
                            <select on:change=pick>{move || data.with(|d| d.as_ref().map(|d| d.classroom.classes().into_iter().enumerate().map(|(i, (_, name))| view! { <option value=i.to_string()>{name}</option> }).collect_view()))}</select>
                        </label>
                        <Settings thresholds=thresholds/>
                        <Import models=m.clone() data=data notice=notice/>
                    </section>
                    {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                    <p class="progress" aria-live="polite">{move || {
                        let (done, total) = progress.get();
                        if done < total { format!("Scoring the class: {done} of {total} students…") } else { format!("{total} students scored") }
                    }}<progress max=move || progress.get().1.max(1) value=move || progress.get().0></progress></p>
                    {move || match (result.get(), data.get(), student.get()) {
                        (Some(Err(e)), _, _) => view! { <p role="alert">{e}</p> }.into_any(),
                        (Some(Ok(r)), Some(d), Some(s)) => {
                            let steps = d.seqs.get(&s).map(|q| q.steps.as_slice()).unwrap_or(&[]);
                            let m = match models.get_untracked() { Some(Ok(m)) => m, _ => return ().into_any() };
                            let sv = StudentView::new(&m.dkt, &d.classroom, &s, steps, r.view.thresholds(), 3);
                            let readings = r.found.iter().find(|f| f.student == s).cloned();
                            view! { <StudentPanel view=Rc::new(sv) readings=readings data=d.clone() close=student.write_only()/> }.into_any()
                        }
                        (Some(Ok(r)), Some(d), None) => view! { <p class="backend-used" data-testid="backend-used">{format!("Scored on: {}", r.backend)}</p><ClassPanel result=r data=d open_student=student.write_only()/> }.into_any(),
                        _ => view! { <p aria-live="polite">"Scoring…"</p> }.into_any(),
                    }}
                }.into_any(),
            }}
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
