//! The classlens teacher dashboard, built by trunk from `index.html` (or by
//! `scripts/web-build.sh`). This binary only mounts the [`App`](classlens_web::App); everything
//! else is in the library `classlens_web`, where it is unit-tested natively.

fn main() {
    leptos::mount::mount_to_body(classlens_web::App);
}
