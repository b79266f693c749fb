//! The legend: one swatch per level, from [`legend`] (the thresholds in force decide each
//! swatch's colour), with the level's code, name and band.

use leptos::prelude::*;

use crate::dashboard::legend::legend;
use crate::dashboard::levels::Thresholds;

#[component]
pub fn Legend(thresholds: Thresholds) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Legend">
            {legend(&thresholds).into_iter().map(|s| view! {
                <li><span class="swatch" style=s.colour.style()>{s.level.code()}</span>{format!(" {} ({})", s.level.label(), s.range)}</li>
            }).collect_view()}
            <li class="note">"Cells show the predicted chance of answering the skill correctly next."</li>
        </ul>
    }
}
