//! The classlens teacher dashboard (Leptos, client-side rendered), built by trunk from
//! `index.html`. It opens on the offline demo: the built-in classroom and a DKT pack from
//! `public/demo/`, made by `scripts/demo-assets.sh`. Everything is computed in the page by
//! `classlens-core` (through `classlens_web`); the components only render
//! [`classlens_web::dashboard`] types.
//!
//! Not built yet (issue 5): the student view, CSV import, reading suggestions, the WebGPU switch,
//! the Web Worker and the service worker.

use classlens_core::data::Interactions;
use classlens_core::data::assistments::{AssistmentsOptions, read_assistments};
use classlens_core::infer::load_pack;
use classlens_core::infer::mastery::mastery_table;
use classlens_core::models::dkt_train::DktModelDir;
use classlens_web::dashboard::export::mastery_csv;
use classlens_web::dashboard::levels::{Level, Thresholds};
use classlens_web::dashboard::view::{ClassView, Hint};
use leptos::prelude::*;

const DEMO_PACK: &str = "demo/dkt.pack";
const DEMO_CSV: &str = "demo/skill_builder_data.csv";

/// The demo classroom and its model, loaded once.
struct Demo {
    model: DktModelDir,
    data: Interactions,
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let r = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !r.ok() {
        return Err(format!("{url}: HTTP {}", r.status()));
    }
    r.binary().await.map_err(|e| format!("{url}: {e}"))
}

async fn load_demo() -> Result<Demo, String> {
    let pack = fetch_bytes(DEMO_PACK).await?;
    let csv = fetch_bytes(DEMO_CSV).await?;
    let model = load_pack(&pack).and_then(|p| p.into_dkt()).map_err(|e| format!("{DEMO_PACK}: {e}"))?;
    let data = read_assistments(csv.as_slice(), DEMO_CSV, &AssistmentsOptions::default()).map_err(|e| e.to_string())?;
    Ok(Demo { model, data })
}

/// The classes of the data, by name (students without a class are left out of the picker).
fn classes(data: &Interactions) -> Vec<(u32, String)> {
    let mut seen: Vec<(u32, String)> = data.student_info.iter().filter_map(|i| i.class).map(|c| (c, data.classes.name(c).to_string())).collect();
    seen.sort();
    seen.dedup();
    seen
}

fn class_view(demo: &Demo, class: u32, thresholds: Thresholds) -> Result<ClassView, String> {
    let (seqs, _) = demo.model.sequences(&demo.data);
    let mut students: Vec<String> =
        (0..demo.data.students.len() as u32).filter(|&s| demo.data.student_info[s as usize].class == Some(class)).map(|s| demo.data.students.name(s).to_string()).collect();
    students.sort();
    let table = mastery_table(&demo.model, &seqs, &students).map_err(|e| e.to_string())?;
    Ok(ClassView::new(&table, &seqs, thresholds))
}

/// Cividis (colour-blind safe), interpolated between five of its stops.
fn cividis(p: f32) -> (String, &'static str) {
    const STOPS: [(f32, [f32; 3]); 5] = [(0.0, [0.0, 32.0, 77.0]), (0.25, [65.0, 77.0, 107.0]), (0.5, [124.0, 123.0, 120.0]), (0.75, [188.0, 175.0, 111.0]), (1.0, [255.0, 234.0, 70.0])];
    let p = p.clamp(0.0, 1.0);
    let i = STOPS.iter().position(|s| s.0 >= p).unwrap_or(4).max(1);
    let (a, b) = (STOPS[i - 1], STOPS[i]);
    let t = (p - a.0) / (b.0 - a.0);
    let c: Vec<u8> = (0..3).map(|k| (a.1[k] + t * (b.1[k] - a.1[k])).round() as u8).collect();
    (format!("rgb({},{},{})", c[0], c[1], c[2]), if p > 0.55 { "#000" } else { "#fff" })
}

#[component]
fn Heatmap(view: RwSignal<ClassView>) -> impl IntoView {
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
            use wasm_bindgen::JsCast;
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
                        let title = label.clone();
                        view! {
                            <th role="columnheader" scope="col" title=title>
                                <button on:click=move |_| view.update(|v| v.sort_students(Some(k)))>{label}</button>
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
                        let detail = format!("{student}, {}: {} ({:.1}%, {} attempts)", v.labels[k], cell.level.label(), 100.0 * cell.probability, cell.attempts);
                        view! {
                            <td role="gridcell" id=format!("cell-{r}-{c}") data-p=format!("{:.6}", cell.probability)
                                tabindex=move || if focus.get() == (r, c) { 0 } else { -1 }
                                on:focus=move |_| focus.set((r, c))
                                title=detail.clone() aria-label=detail
                                style=format!("background:{bg};color:{fg}")>{text}</td>
                        }
                    }).collect_view();
                    view! { <tr role="row"><th role="rowheader" scope="row">{student.clone()}</th>{cells}</tr> }
                }).collect_view())}
            </tbody>
        </table>
    }
}

#[component]
fn Legend(thresholds: Thresholds) -> impl IntoView {
    let items = [(Level::Proficient, format!("≥ {:.0}%", 100.0 * thresholds.proficient)), (Level::NearProficient, format!("{:.0}–{:.0}%", 100.0 * thresholds.near, 100.0 * thresholds.proficient)), (Level::Remediation, format!("< {:.0}%", 100.0 * thresholds.near)), (Level::NotStarted, "no answers yet".to_string())];
    view! {
        <ul class="legend" aria-label="Legend">
            {items.into_iter().map(|(level, range)| {
                let p = match level { Level::Proficient => 0.97, Level::NearProficient => 0.8, Level::Remediation => 0.4, Level::NotStarted => -1.0 };
                let (bg, fg) = if p < 0.0 { ("#eee".to_string(), "#333") } else { cividis(p) };
                view! { <li><span class="swatch" style=format!("background:{bg};color:{fg}")>{level.code()}</span>{format!(" {} ({range})", level.label())}</li> }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Dashboard(demo: std::rc::Rc<Demo>) -> impl IntoView {
    let all = classes(&demo.data);
    let Some(&(first, _)) = all.first() else { return view! { <p role="alert">"The demo data has no classes."</p> }.into_any() };
    let thresholds = Thresholds::default();
    let initial = match class_view(&demo, first, thresholds) {
        Ok(v) => v,
        Err(e) => return view! { <p role="alert">{e}</p> }.into_any(),
    };
    let view_signal = RwSignal::new(initial);
    let d2 = demo.clone();
    let pick = move |ev: leptos::ev::Event| {
        if let Ok(c) = event_target_value(&ev).parse::<u32>() {
            if let Ok(v) = class_view(&d2, c, thresholds) {
                view_signal.set(v);
            }
        }
    };
    let csv_href = move || {
        view_signal.with(|v| {
            let table = classlens_core::infer::mastery::MasteryTable {
                skills: v.skill_ids.clone(),
                labels: v.labels.clone(),
                rows: v.students.iter().zip(&v.cells).map(|(s, row)| (s.clone(), row.iter().map(|c| c.probability).collect())).collect(),
            };
            mastery_csv(&table).map(|t| format!("data:text/csv;charset=utf-8,{}", String::from(js_sys::encode_uri_component(&t)))).unwrap_or_default()
        })
    };
    view! {
        <section class="controls">
            <label>"Class " <select on:change=pick>{all.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}</select></label>
            <button on:click=move |_| view_signal.update(|v| v.sort_skills(true))>"Skills: weakest first"</button>
            <button on:click=move |_| view_signal.update(|v| v.sort_skills(false))>"Skills: by name"</button>
            <a href=csv_href download="mastery.csv">"Export CSV"</a>
            <button onclick="window.print()">"Print"</button>
        </section>
        <Legend thresholds=thresholds/>
        <Heatmap view=view_signal/>
        <section class="summaries">
            <div>
                <h2>"Weakest skills"</h2>
                <ol>{move || view_signal.with(|v| v.weakest_skills(5).into_iter().map(|s| {
                    let hint = match &s.hint { Hint::ReteachClass => "re-teach to the class".to_string(), Hint::SmallGroup(names) => format!("small group: {}", names.join(", ")), Hint::None => "no one below near proficient".to_string() };
                    view! { <li>{format!("{}: class mean {:.0}% ({} of {} below {:.0}%) — {hint}", s.label, 100.0 * s.mean, s.below_near.len(), s.with_evidence, 100.0 * thresholds.near)}</li> }
                }).collect_view())}</ol>
            </div>
            <div>
                <h2>"At risk"</h2>
                <ul>{move || view_signal.with(|v| v.at_risk().into_iter().map(|r| {
                    let skills: Vec<String> = r.skills.iter().map(|(k, p)| format!("{} {:.0}%", v.labels[*k], 100.0 * p)).collect();
                    view! { <li>{format!("{}: {}", r.student, skills.join(", "))}</li> }
                }).collect_view())}</ul>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn App() -> impl IntoView {
    let state: RwSignal<Option<Result<std::rc::Rc<Demo>, String>>, LocalStorage> = RwSignal::new_local(None);
    leptos::task::spawn_local(async move {
        state.set(Some(load_demo().await.map(std::rc::Rc::new)));
    });
    view! {
        <header>
            <h1>"classlens"</h1>
            <p class="backend">"Offline demo · built-in classroom · inference on this device (CPU)"</p>
        </header>
        <main>
            {move || match state.get() {
                None => view! { <p aria-live="polite">"Loading the demo classroom and model…"</p> }.into_any(),
                Some(Err(e)) => view! { <p role="alert">{e}</p> }.into_any(),
                Some(Ok(demo)) => view! { <Dashboard demo=demo/> }.into_any(),
            }}
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
