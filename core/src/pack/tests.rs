use super::*;
use crate::infer::mastery::{Answer, steps};
use crate::models::dkt::DktTrainConfig;
use crate::models::dkt::net::DktConfig;
use crate::models::study::RecTrainConfig;
use crate::models::study::infer::{NextOptions, recommend_next};
use crate::models::study::net::RecommenderConfig;
use crate::sequences::kt::KtStep;
use crate::sequences::study::test_data::{day, three_classmates};
use crate::sequences::study::{PackConfig, StudyData, build_study};

/// A DKT model of a realistic width (the pack-size ratio is meaningless on a toy).
fn dkt_model(n_skills: usize, hidden: usize) -> DktModel {
    dkt_model_with_problems(n_skills, hidden, 0)
}

fn dkt_model_with_problems(n_skills: usize, hidden: usize, n_problems: usize) -> DktModel {
    let dkt = DktConfig { n_skills, hidden, n_problems };
    let config = DktRunConfig { model: "dkt".into(), dkt, train: DktTrainConfig { hidden, window: 20, ..DktTrainConfig::default() } };
    let names: Vec<String> = (0..n_skills).map(|i| format!("skill-{i}")).collect();
    let module = dkt.init(3, &reference_device());
    let problems = ProblemVocab::from_names((0..n_problems).map(|i| format!("p{i}")));
    DktModel::from_module(config, SkillVocab::new(names), problems, &module)
}

fn histories(m: &DktModel) -> Vec<Vec<KtStep>> {
    let n = m.vocab.len();
    (0..6)
        .map(|b| {
            let answers: Vec<Answer> =
                (0..25).map(|t| Answer { skills: vec![format!("skill-{}", (b * 7 + t * 3) % n)], correct: (b + t) % 3 != 0, problem: None }).collect();
            steps(m, &answers).unwrap()
        })
        .collect()
}

fn probabilities(m: &DktModel, h: &[Vec<KtStep>]) -> Vec<f32> {
    let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
    m.weights.predict(&refs).concat()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn dkt_round_trips_exactly_in_f32_and_closely_in_f16_and_int8() {
    let m = dkt_model(60, 64);
    let h = histories(&m);
    let want = probabilities(&m, &h);
    let f32_pack = write_dkt(&m, Quantization::None).unwrap();
    let back = load(&f32_pack).unwrap().into_dkt().unwrap();
    assert_eq!(back.weights, m.weights, "f32 weights come back bit for bit");
    assert_eq!(back.vocab, m.vocab);
    assert_eq!(back.config, m.config);

    let f16 = load(&write_dkt(&m, Quantization::F16).unwrap()).unwrap().into_dkt().unwrap();
    assert!(max_diff(&probabilities(&f16, &h), &want) < 2e-3, "f16: {}", max_diff(&probabilities(&f16, &h), &want));

    let int8_pack = write_dkt(&m, Quantization::Int8).unwrap();
    let ratio = int8_pack.len() as f64 / f32_pack.len() as f64;
    assert!(ratio <= 0.30, "int8 pack is {:.1}% of f32", 100.0 * ratio);
    let int8 = load(&int8_pack).unwrap().into_dkt().unwrap();
    let d = max_diff(&probabilities(&int8, &h), &want);
    assert!(d < 0.02, "int8 probabilities differ by {d}");
    assert!(d > 0.0, "int8 must actually quantize");
    let (meta, _) = read_meta(&int8_pack).unwrap();
    assert_eq!((meta.kind(), meta.quantization), (ModelKind::Dkt, Quantization::Int8));
}

#[test]
fn a_problem_aware_int8_pack_quantizes_its_per_problem_vectors_too() {
    let mut m = dkt_model_with_problems(60, 64, 8000);
    let [.., difficulty, _, _] = m.weights.params_mut();
    difficulty.iter_mut().enumerate().for_each(|(i, d)| *d = ((i % 13) as f32 - 6.0) / 4.0);
    let f32_pack = write_dkt(&m, Quantization::None).unwrap();
    let int8_pack = write_dkt(&m, Quantization::Int8).unwrap();
    let ratio = int8_pack.len() as f64 / f32_pack.len() as f64;
    assert!(ratio <= 0.30, "int8 pack is {:.1}% of f32", 100.0 * ratio);
    let back = load(&int8_pack).unwrap().into_dkt().unwrap();
    assert_eq!(back.problems, m.problems);
    let worst = back.weights.problem_difficulty().iter().zip(m.weights.problem_difficulty()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 0.01, "difficulties within one int8 step of 1.5 / 127: {worst}");
}

fn study_data() -> (TitleVocab, StudyData) {
    let d = three_classmates();
    let v = TitleVocab::from_training(&d, 10);
    let pack = PackConfig::new(16, 16).unwrap();
    (v.clone(), build_study(&d, &v, &pack))
}

fn rec_model(kind: RecommenderKind, vocab: &TitleVocab) -> StudyModel {
    let cfg = RecommenderConfig { d_model: 64, n_heads: 2, d_ff: 128, n_layers: 1, ..RecommenderConfig::new(kind, vocab.len()) };
    let run = RecRunConfig::new(cfg, PackConfig::new(16, 16).unwrap(), RecTrainConfig::default());
    StudyModel { model: cfg.init(5, &reference_device()), run, vocab: vocab.clone() }
}

fn scores(m: &StudyModel, data: &StudyData) -> Vec<f32> {
    let students: Vec<u32> = data.seqs.iter().map(|s| s.student).collect();
    let options = NextOptions { n: m.vocab.len(), include_read: true, as_of: day(2021, 2, 1) };
    let next = recommend_next(&m.model, &m.run.model, &m.vocab, data, &students, &options, &reference_device());
    assert_eq!(next.len(), 3);
    // Sorted by title so a tie that swaps order under quantization is not a difference.
    next.into_iter()
        .flat_map(|n| {
            let mut s = n.suggestions;
            s.sort_by(|a, b| a.title.cmp(&b.title));
            s.into_iter().map(|s| s.score)
        })
        .collect()
}

#[test]
fn recommenders_round_trip_and_keep_their_kind() {
    let (v, data) = study_data();
    for kind in [RecommenderKind::Study, RecommenderKind::Individual] {
        let m = rec_model(kind, &v);
        let want = scores(&m, &data);
        let pack = write_recommender(&m, Quantization::None).unwrap();
        let back = load(&pack).unwrap();
        assert_eq!(back.kind().as_str(), kind.as_str());
        let back = back.into_recommender().unwrap();
        assert_eq!(back.vocab, m.vocab);
        assert_eq!(scores(&back, &data), want, "f32 is exact");
        let q = load(&write_recommender(&m, Quantization::Int8).unwrap()).unwrap().into_recommender().unwrap();
        let d = max_diff(&scores(&q, &data), &want);
        assert!(d < 0.02, "{kind:?} int8 scores differ by {d}");
    }
}

#[test]
fn a_recommenders_coread_table_travels_in_the_pack() {
    let (v, data) = study_data();
    let mut m = rec_model(RecommenderKind::Study, &v);
    m.run.model.coread = true;
    let table = std::sync::Arc::new(crate::models::study::net::fit_coread(&data.seqs, &v));
    m.model = m.run.model.init(5, &reference_device()).with_coread_table(Some(table.clone())).with_coread_boost(2.5);
    for q in [Quantization::None, Quantization::Int8] {
        let back = load(&write_recommender(&m, q).unwrap()).unwrap().into_recommender().unwrap();
        assert_eq!(back.model.coread_table().map(|t| t.as_ref()), Some(table.as_ref()), "{q:?}");
        assert_eq!(back.model.coread_boost(), Some(2.5), "{q:?}: the boost is kept exactly");
        assert_eq!(scores(&back, &data).len(), scores(&m, &data).len());
    }
    // A pack whose model reads a table it does not carry is refused on load.
    let mut bare = rec_model(RecommenderKind::Study, &v);
    bare.run.model.coread = true;
    bare.model = bare.run.model.init(5, &reference_device());
    let err = load(&write_recommender(&bare, Quantization::None).unwrap()).unwrap_err();
    assert!(err.to_string().contains("co-read table"), "{err}");
}

/// Rewrites the CRC so a test can reach the checks behind it.
fn reseal(mut b: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&b[16..]);
    b[12..16].copy_from_slice(&crc.to_le_bytes());
    b
}

#[test]
fn bad_packs_are_refused_with_what_is_wrong() {
    let good = write_dkt(&dkt_model(4, 8), Quantization::Int8).unwrap();
    assert!(matches!(load(&[]), Err(PackError::NotAPack)));
    assert!(matches!(load(b"PK\x03\x04 a zip file"), Err(PackError::NotAPack)));
    assert!(matches!(load(&good[..20]), Err(PackError::Truncated { expected: 28, found: 20 })));
    let n = good.len() as u64;
    assert!(matches!(load(&good[..good.len() - 1]), Err(PackError::Truncated { expected, found }) if expected == n && found == n - 1));
    let mut v2 = good.clone();
    v2[8] = 2;
    assert!(matches!(load(&v2), Err(PackError::Version { found: 2, supported: 1 })));
    for at in [40, good.len() / 2, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x10;
        assert!(matches!(load(&flipped), Err(PackError::Checksum { .. })), "byte {at}");
    }
    // Past the checksum: metadata that is not JSON, and weights that do not fit the metadata.
    let mut bad_meta = good.clone();
    bad_meta[28] = b'#';
    assert!(matches!(load(&reseal(bad_meta)), Err(PackError::Meta(_))));
    let (meta, weights) = read_meta(&good).unwrap();
    let mut wider = meta.clone();
    if let PackModel::Dkt { config, .. } = &mut wider.model {
        config.dkt.hidden = 16;
    }
    let e = load(&envelope(&wider, weights).unwrap()).unwrap_err();
    assert!(matches!(e, PackError::Weights(_)), "{e}");
    let mut fewer = meta.clone();
    if let PackModel::Dkt { skills, .. } = &mut fewer.model {
        *skills = SkillVocab::new(vec!["only".into()]);
    }
    assert!(matches!(load(&envelope(&fewer, weights).unwrap()), Err(PackError::Meta(_))));
    assert!(matches!(load(&good).unwrap().into_recommender(), Err(PackError::WrongKind { found: ModelKind::Dkt, .. })));
}

#[test]
fn the_same_weights_make_the_same_pack_bytes() {
    // Each write builds a fresh burn module, whose parameter ids burn draws at random.
    let m = dkt_model(12, 16);
    for q in [Quantization::None, Quantization::F16, Quantization::Int8] {
        assert_eq!(write_dkt(&m, q).unwrap(), write_dkt(&m, q).unwrap(), "{q:?}");
    }
}

/// An attention model's pack: f32 gives the same mastery, int8 and f16 close to it, and the
/// pack says what it holds.
#[test]
fn akt_round_trips_in_f32_and_closely_in_int8() {
    use crate::models::akt::{AktConfig, AktRunConfig, AktTrainConfig};
    let akt = AktConfig { n_skills: 30, n_problems: 500, dim: 32, heads: 4, value_layers: 1, layers: 1, ff: 64, dropout: 0.1 };
    let config = AktRunConfig { model: "akt".into(), akt, train: AktTrainConfig { window: 20, ..Default::default() } };
    let mut net = akt.init(5, &reference_device());
    // Non-zero difficulties, so the per-problem path is exercised.
    let mu: Vec<f32> = (0..500).map(|i| ((i % 11) as f32 - 5.0) / 4.0).collect();
    net.difficulty = Some(burn::module::Param::from_tensor(burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(mu, [500]), &reference_device())));
    let m = AktModel::new(
        config,
        SkillVocab::new((0..30).map(|i| format!("skill-{i}")).collect()),
        ProblemVocab::from_names((0..500).map(|i| format!("p{i}"))),
        net,
    );
    let h: Vec<Vec<KtStep>> = (0..6)
        .map(|b| {
            let answers: Vec<Answer> = (0..25)
                .map(|t| Answer {
                    skills: vec![format!("skill-{}", (b * 7 + t * 3) % 30)],
                    correct: (b + t) % 3 != 0,
                    problem: Some(format!("p{}", b * 31 + t)),
                })
                .collect();
            steps(&m, &answers).unwrap()
        })
        .collect();
    let refs: Vec<&[KtStep]> = h.iter().map(Vec::as_slice).collect();
    let want = m.mastery_batch(&refs).concat();
    let f32_pack = write_akt_about(&m, Quantization::None, None).unwrap();
    let back = load(&f32_pack).unwrap().into_akt().unwrap();
    assert_eq!((&back.config, &back.vocab, back.problems.names()), (&m.config, &m.vocab, m.problems.names()));
    assert_eq!(back.mastery_batch(&refs).concat(), want, "f32 weights come back bit for bit");
    let int8_pack = write_akt_about(&m, Quantization::Int8, None).unwrap();
    let int8 = load(&int8_pack).unwrap().into_akt().unwrap();
    let d = max_diff(&int8.mastery_batch(&refs).concat(), &want);
    assert!(d > 0.0 && d < 0.03, "int8 mastery differs by {d}");
    // Under half (not the 30% of a DKT pack): this toy's many small tensors each carry a header
    // and a scale; the trained model's ratio is in BENCHMARKS.md.
    assert!(int8_pack.len() * 2 < f32_pack.len(), "int8 {} bytes, f32 {}", int8_pack.len(), f32_pack.len());
    assert_eq!(read_meta(&int8_pack).unwrap().0.kind(), ModelKind::Akt);
    assert!(matches!(load(&int8_pack).unwrap().into_dkt(), Err(PackError::WrongKind { found: ModelKind::Akt, .. })));
}

/// A BKT pack keeps its parameters exactly, has no weights section, and a tampered parameter is
/// refused by name when the pack loads.
#[test]
fn bkt_round_trips_exactly_and_refuses_impossible_parameters() {
    use crate::models::bkt::{BKT_MODEL, Bkt, BktConfig, BktModel, BktParams, BktRunConfig};
    let skills: Vec<BktParams> = (0..5).map(|i| BktParams { prior: 0.1 * f64::from(i + 1), learn: 0.13, guess: 0.21, slip: 0.07 }).collect();
    let vocab = SkillVocab::new((0..5).map(|i| format!("skill-{i}")).collect());
    let m = BktModel { config: BktRunConfig { model: BKT_MODEL.into(), n_skills: 5, window: 50, fit: BktConfig::default() }, vocab, bkt: Bkt { skills } };
    let about = PackAbout { trained_on: "class.csv".into(), students: 30, held_out: None };
    let bytes = write_bkt_about(&m, Some(about.clone())).unwrap();
    let (meta, weights) = read_meta(&bytes).unwrap();
    assert_eq!((meta.kind(), meta.quantization, weights.len(), meta.about), (ModelKind::Bkt, Quantization::None, 0, Some(about)));
    let LoadedPack::Bkt(back) = load(&bytes).unwrap() else { panic!("not a BKT pack") };
    assert_eq!(back, m);
    assert!(matches!(load(&bytes).unwrap().into_dkt(), Err(PackError::WrongKind { found: ModelKind::Bkt, .. })));
    let mut bad = m.clone();
    bad.bkt.skills[3].slip = 0.7;
    let err = load(&write_bkt_about(&bad, None).unwrap()).unwrap_err().to_string();
    assert!(err.contains("skill 3 ('skill-3')"), "{err}");
    // JSON has no NaN: it is written as null and refused as not a number.
    bad.bkt.skills[3].slip = f64::NAN;
    assert!(load(&write_bkt_about(&bad, None).unwrap()).unwrap_err().to_string().contains("expected f64"));
}
