//! The dashboard's Web Worker ([`classlens_web::worker`]): all model work (packs, scoring,
//! suggestions, fitting) in a wasm of its own, started by the page (`driver::spawn_worker`)
//! from `classlens-worker.js` beside the page's module. It renders nothing, so the linker keeps
//! no Leptos view code here, as the page's wasm keeps no model code.

fn main() {
    classlens_web::worker::run();
}
