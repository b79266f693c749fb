//! The classlens teacher dashboard, built by trunk from `index.html` (or by
//! `scripts/web-build.sh`). The same wasm runs twice: in the page this binary only mounts the
//! [`App`](classlens_web::App); started as the page's Web Worker (no window) it serves the
//! model work ([`classlens_web::worker`]). Everything else is in the library `classlens_web`,
//! where it is unit-tested natively.

fn main() {
    if classlens_web::worker::in_worker() {
        classlens_web::worker::run();
    } else {
        leptos::mount::mount_to_body(classlens_web::App);
    }
}
