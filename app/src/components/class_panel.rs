//! A scored class: the table tools, the legend, the heatmap and the summaries beside it. The
//! display order (sorting) is this panel's own: a new result starts unsorted.

use std::rc::Rc;

use leptos::prelude::*;

use super::at_risk::AtRisk;
use super::class_next::ClassNext;
use super::heatmap::Heatmap;
use super::later;
use super::legend::Legend;
use super::table_tools::TableTools;
use super::weakest::WeakestSkills;
use crate::protocol::ClassroomShown;
use crate::scorer::ClassResult;

#[component]
pub fn ClassPanel(result: Rc<ClassResult>, data: Rc<ClassroomShown>) -> impl IntoView {
    let view = RwSignal::new(result.view.clone());
    let thresholds = result.view.thresholds();
    // The summaries in a task of their own, after the heatmap's frame (`aria-busy` until then).
    let summaries = later();
    // (Held by the reactive system: a reactive closure may not own an `Rc`.)
    let shown = StoredValue::new_local((result, data));
    view! {
        <TableTools view=view/>
        <Legend thresholds=thresholds/>
        <div class="grid-scroll"><Heatmap view=view/></div>
        <section class="summaries" aria-busy=move || (!summaries.get()).then_some("true")>
            {move || summaries.get().then(|| view! {
                <WeakestSkills view=view/>
                <AtRisk view=view/>
                <ClassNext result=shown.get_value().0 data=shown.get_value().1/>
            })}
        </section>
    }
}
