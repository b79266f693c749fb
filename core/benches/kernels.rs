//! Micro-benchmarks of the DKT CPU kernels (`cargo bench --workspace --bench kernels`):
//! criterion's repeated sampling gives steadier figures than one `classlens bench` run on a
//! shared 2-core VM.

use std::hint::black_box;

use classlens_core::models::device::reference_device;
use classlens_core::models::dkt::kernel::DktWeights;
use classlens_core::models::dkt::net::DktConfig;
use classlens_core::models::init::Init;
use classlens_core::sequences::kt::KtStep;
use criterion::{Criterion, criterion_group, criterion_main};

fn dkt_batch(c: &mut Criterion) {
    let cfg = DktConfig { n_skills: 110, hidden: 100, n_problems: 0 };
    let w = DktWeights::from_model(&cfg.init(1, &reference_device()));
    let mut init = Init::new(2);
    let hist: Vec<Vec<KtStep>> =
        (0..32).map(|_| init.uniform(200, 1.0).chunks(2).map(|u| KtStep::new(vec![((u[0] + 1.0) * 54.99) as u32], u[1] > 0.0)).collect()).collect();
    let rows: Vec<&[KtStep]> = hist.iter().map(|h| h.as_slice()).collect();
    c.bench_function("dkt predict 32 students x 100 steps (hidden 100, 110 skills)", |bench| bench.iter(|| w.predict(black_box(&rows))));
    // The same batch through trained weights, when a model directory is given: trained weights
    // saturate more gates than fresh ones, which must not change the cost.
    if let Ok(dir) = std::env::var("CLASSLENS_BENCH_MODEL") {
        let m = classlens_core::models::dkt::DktModel::load(std::path::Path::new(&dir)).expect("model dir");
        let s = m.weights.config().n_skills as u32;
        let hist: Vec<Vec<KtStep>> = hist.iter().map(|h| h.iter().map(|st| KtStep::new(vec![st.skills[0] % s], st.correct)).collect()).collect();
        let rows: Vec<&[KtStep]> = hist.iter().map(|h| h.as_slice()).collect();
        c.bench_function("dkt predict 32 x 100, trained weights", |bench| bench.iter(|| m.weights.predict(black_box(&rows))));
    }
}

criterion_group!(benches, dkt_batch);
criterion_main!(benches);
