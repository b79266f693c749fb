//! The models in use and where each came from: the offline demo's packs, a `.pack` the teacher
//! opened (made by `classlens export`), or one fitted to their class in this page. Opening a pack
//! replaces the model of its role (DKT, the attention model or BKT for mastery; STUDY or Individual for
//! suggestions) and leaves the other as it was; a pack that does not load leaves both unchanged,
//! with the reason.
//! Plain data: no browser API, tested natively.

use std::rc::Rc;

use classlens_core::infer::mastery::{KtModel, Tracer};
use classlens_core::infer::{LoadedPack, ModelKind, load_pack};
use classlens_core::models::study::StudyModel;
use classlens_core::pack::{PackAbout, read_meta};
use serde::{Deserialize, Serialize};

/// Which model a pack replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// DKT (plain or problem-aware), the attention model or BKT: the heatmap.
    Mastery,
    /// STUDY or Individual: the suggested readings.
    Suggestions,
}

impl Role {
    /// The key a kept pack is stored under (one pack per role).
    pub fn key(self) -> &'static str {
        match self {
            Role::Mastery => "mastery",
            Role::Suggestions => "suggestions",
        }
    }
}

/// Where a model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    Demo,
    Opened,
    Fitted,
}

/// What the header says about a model in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The pack's file name.
    pub file: String,
    pub kind: ModelKind,
    pub origin: Origin,
    /// "20 skills", "200 titles".
    pub vocabulary: String,
    pub about: Option<PackAbout>,
}

impl ModelInfo {
    /// One line for the header: kind, what it knows, what it was trained on, its held-out score.
    pub fn line(&self) -> String {
        let kind = match self.kind {
            ModelKind::Dkt => "DKT",
            ModelKind::Study => "STUDY",
            ModelKind::Individual => "Individual",
            ModelKind::Akt => "AKT",
            ModelKind::Bkt => "BKT",
        };
        let origin = match self.origin {
            Origin::Demo => "demo pack",
            Origin::Opened => "opened pack",
            Origin::Fitted => "fitted in this page",
        };
        let trained = match &self.about {
            Some(a) => format!("trained on {} ({} students)", a.trained_on, a.students),
            None => "training data not recorded".to_string(),
        };
        let score = match self.about.as_ref().and_then(|a| a.held_out.as_ref()) {
            Some(h) => {
                let baseline = h.baseline.as_ref().map(|(name, b)| format!(", {name} {b:.3}")).unwrap_or_default();
                format!("held-out {} {:.3}{baseline} ({} students)", h.metric, h.value, h.students)
            }
            None => "no held-out score recorded".to_string(),
        };
        format!("{kind} · {} · {trained} · {score} · {origin} {}", self.vocabulary, self.file)
    }
}

/// The loaded models: a knowledge-tracing model (DKT, the attention model or BKT), and STUDY (or
/// Individual) when there is a pack for it. Cheap to clone: opening a pack swaps one `Rc`.
#[derive(Clone)]
pub struct Models {
    pub kt: Rc<KtModel>,
    pub study: Option<Rc<StudyModel>>,
    pub kt_info: ModelInfo,
    pub study_info: Option<ModelInfo>,
}

/// A pack, loaded and described.
pub enum Opened {
    // Boxed: the models' handles differ in size by hundreds of bytes.
    Mastery(Box<KtModel>, ModelInfo),
    Suggestions(Box<StudyModel>, ModelInfo),
}

impl Opened {
    pub fn role(&self) -> Role {
        match self {
            Opened::Mastery(..) => Role::Mastery,
            Opened::Suggestions(..) => Role::Suggestions,
        }
    }
}

/// Loads a pack's bytes (checksum, version, kind and weights all checked by `core`); errors say
/// which file and why.
pub fn open_pack(file: &str, bytes: &[u8], origin: Origin) -> Result<Opened, String> {
    let err = |e: &dyn std::fmt::Display| format!("{file}: {e}");
    let (meta, _) = read_meta(bytes).map_err(|e| err(&e))?;
    let info = |vocabulary: String| ModelInfo { file: file.to_string(), kind: meta.kind(), origin, vocabulary, about: meta.about.clone() };
    match load_pack(bytes).map_err(|e| err(&e))? {
        LoadedPack::Recommender(m) => {
            let vocabulary = format!("{} titles", m.vocab.num_titles());
            Ok(Opened::Suggestions(Box::new(m), info(vocabulary)))
        }
        pack @ (LoadedPack::Dkt(_) | LoadedPack::Akt(_) | LoadedPack::Bkt(_)) => {
            let m = KtModel::try_from(pack).map_err(|e| err(&e))?;
            let vocabulary = format!("{} skills", m.vocab().len());
            Ok(Opened::Mastery(Box::new(m), info(vocabulary)))
        }
    }
}

impl Models {
    /// From pack bytes (the demo's, at start-up); errors name the pack (`name: what is wrong`).
    pub fn from_packs(dkt: (&str, &[u8]), study: Option<(&str, &[u8])>) -> Result<Self, String> {
        let Opened::Mastery(model, kt_info) = open_pack(dkt.0, dkt.1, Origin::Demo)? else {
            return Err(format!("{}: holds a suggestions model, expected DKT, AKT or BKT", dkt.0));
        };
        let mut models = Self { kt: Rc::new(*model), study: None, kt_info, study_info: None };
        if let Some((name, bytes)) = study {
            match open_pack(name, bytes, Origin::Demo)? {
                opened @ Opened::Suggestions(..) => models = models.with(opened),
                Opened::Mastery(..) => return Err(format!("{name}: holds a knowledge-tracing model, expected STUDY or Individual")),
            }
        }
        Ok(models)
    }

    /// These models with `opened` in its role.
    pub fn with(&self, opened: Opened) -> Self {
        let mut m = self.clone();
        match opened {
            Opened::Mastery(model, info) => {
                m.kt = Rc::new(*model);
                m.kt_info = info;
            }
            Opened::Suggestions(model, info) => {
                m.study = Some(Rc::new(*model));
                m.study_info = Some(info);
            }
        }
        m
    }

    /// What the page shows of them.
    pub fn shown(&self) -> crate::protocol::ModelsShown {
        crate::protocol::ModelsShown {
            mastery: self.kt_info.clone(),
            study: self.study_info.clone(),
            bkt: self.kt.bkt().map(crate::dashboard::bkt::BktSkill::all).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../public/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn a_pack_replaces_the_model_of_its_role_only() {
        let (dkt, study) = (demo("dkt.pack"), demo("study.pack"));
        let models = Models::from_packs(("dkt.pack", &dkt), Some(("study.pack", &study))).unwrap();
        assert!(!models.shown().any_kept());
        assert_eq!(models.kt_info.vocabulary, "20 skills");
        assert!(models.kt_info.line().starts_with("DKT · 20 skills · "), "{}", models.kt_info.line());
        let opened = open_pack("mine.pack", &dkt, Origin::Opened).unwrap();
        assert_eq!(opened.role(), Role::Mastery);
        let next = models.with(opened);
        assert!(next.shown().any_kept());
        assert_eq!(next.kt_info.file, "mine.pack");
        assert!(Rc::ptr_eq(next.study.as_ref().unwrap(), models.study.as_ref().unwrap()), "suggestions untouched");
        let s = open_pack("s.pack", &study, Origin::Opened).unwrap();
        assert_eq!(s.role(), Role::Suggestions);
        assert!(Rc::ptr_eq(&models.with(s).kt, &models.kt), "mastery untouched");
    }

    #[test]
    fn a_bkt_pack_takes_the_mastery_role_and_shows_its_parameters() {
        use classlens_core::models::bkt::{BktConfig, BktModel};
        let (dkt, study) = (demo("dkt.pack"), demo("study.pack"));
        let models = Models::from_packs(("dkt.pack", &dkt), Some(("study.pack", &study))).unwrap();
        assert!(models.shown().bkt.is_empty(), "DKT has no BKT parameters to show");
        let bkt = BktModel::fit(&[], models.kt.vocab().clone(), 100, BktConfig::default());
        let bytes = classlens_core::pack::write_bkt_about(&bkt, None).unwrap();
        let next = models.with(open_pack("bkt.pack", &bytes, Origin::Opened).unwrap());
        assert!(next.kt_info.line().starts_with("BKT · 20 skills · "), "{}", next.kt_info.line());
        let shown = next.shown().bkt;
        assert_eq!(shown.len(), 20);
        assert_eq!(shown[0].skill, next.kt.vocab().labels[0]);
        assert_eq!(shown[0].prior, 0.4, "a skill without training answers keeps EM's starting point");
    }

    #[test]
    fn damaged_or_foreign_packs_are_refused_with_the_reason() {
        let mut dkt = demo("dkt.pack");
        let err = |bytes: &[u8]| open_pack("x.pack", bytes, Origin::Opened).err().unwrap();
        assert!(err(&dkt[..dkt.len() - 1]).starts_with("x.pack: "));
        let mid = dkt.len() / 2;
        dkt[mid] ^= 0x10;
        let e = err(&dkt);
        assert!(e.contains("checksum") || e.contains("CRC"), "{e}");
        let e = err(b"order_id,user_id\n1,2\n");
        assert!(e.starts_with("x.pack: "), "{e}");
        assert!(Models::from_packs(("study.pack", &demo("study.pack")), None).err().unwrap().contains("expected DKT"));
    }

    #[test]
    fn the_header_line_says_the_held_out_score_beside_its_baseline() {
        let info = ModelInfo {
            file: "fitted.pack".into(),
            kind: ModelKind::Dkt,
            origin: Origin::Fitted,
            vocabulary: "12 skills".into(),
            about: Some(PackAbout {
                trained_on: "class.csv".into(),
                students: 18,
                held_out: Some(classlens_core::pack::HeldOutScore {
                    metric: "AUC".into(),
                    value: 0.71234,
                    baseline: Some(("each skill's mean".into(), 0.65)),
                    students: 6,
                    n: 480,
                }),
            }),
        };
        assert_eq!(
            info.line(),
            "DKT · 12 skills · trained on class.csv (18 students) · held-out AUC 0.712, each skill's mean 0.650 (6 students) · fitted in this page fitted.pack"
        );
    }
}
