//! A scored class: the table tools, the legend, the heatmap and the summaries beside it. The
//! display order (sorting) is this panel's own: a new result starts unsorted.

use std::rc::Rc;

use leptos::prelude::*;

use super::at_risk::AtRisk;
use super::class_next::ClassNext;
use super::heatmap::Heatmap;
use super::legend::Legend;
use super::table_tools::TableTools;
use super::weakest::WeakestSkills;
use crate::protocol::ClassroomShown;
use crate::scorer::ClassResult;

#[component]
pub fn ClassPanel(result: Rc<ClassResult>, data: Rc<ClassroomShown>) -> impl IntoView {
    let view = RwSignal::new(result.view.clone());
    view! {
        <TableTools view=view/>
        <Legend thresholds=result.view.thresholds()/>
        <div class="grid-scroll"><Heatmap view=view/></div>
        <section class="summaries">
            <WeakestSkills view=view/>
            <AtRisk view=view/>
            <ClassNext result=result data=data/>
        </section>
    }
}
