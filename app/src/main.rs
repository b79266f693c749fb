//! The classlens teacher dashboard's page, built by trunk from `index.html` (or by
//! `scripts/web-build.sh`): it only mounts the [`App`](classlens_web::App), which renders and
//! speaks to the page's Web Worker. The worker is its own binary (`src/bin/classlens-worker.rs`)
//! and its own wasm: the page's holds no model code (no burn), so the page compiles and starts
//! a 2 MB module, not the worker's 9 MB one. Everything else is in the library `classlens_web`,
//! where it is unit-tested natively.

fn main() {
    leptos::mount::mount_to_body(classlens_web::App);
}
