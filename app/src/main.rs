//! The classlens web app (Leptos, client-side rendered). Until the dashboard lands it shows
//! what the project is and where to start; it is built by trunk from `index.html`.

use leptos::prelude::*;

#[component]
fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"classlens"</h1>
            <p>"Private, in-browser mastery tracking and reading suggestions for teachers."</p>
            <p>
                "The teacher dashboard is not built yet. Today the offline demo runs from the command line: "
                <code>"bash scripts/demo.sh"</code>
            </p>
        </main>
    }
}

fn main() {
    leptos::mount::mount_to_body(App);
}
