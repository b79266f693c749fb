//! BKT's parameters in a teacher's words. BKT is the model whose numbers explain themselves: per
//! skill, how many students knew it before practice, how likely each answer is to teach it, and
//! how often a right answer is a guess or a wrong one a slip. The models panel shows them as a
//! table when the mastery model is BKT, so a teacher can see why a cell says what it says.

use classlens_core::models::bkt::BktModel;
use serde::{Deserialize, Serialize};

use super::pct;

/// One skill's parameters, as the panel shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BktSkill {
    /// The skill's name for people.
    pub skill: String,
    pub prior: f32,
    pub learn: f32,
    pub guess: f32,
    pub slip: f32,
}

impl BktSkill {
    /// Every skill of `model`, in its vocabulary's order.
    pub fn all(model: &BktModel) -> Vec<BktSkill> {
        model
            .vocab
            .labels
            .iter()
            .zip(&model.bkt.skills)
            .map(|(skill, p)| BktSkill { skill: skill.clone(), prior: p.prior as f32, learn: p.learn as f32, guess: p.guess as f32, slip: p.slip as f32 })
            .collect()
    }

    /// The four numbers as one sentence.
    pub fn sentence(&self) -> String {
        format!(
            "{}: known before practice by about {} of students; each answer teaches it with a {} chance; a student who does not know it still answers right {} of the time (guess), and one who knows it answers wrong {} of the time (slip).",
            self.skill,
            pct(self.prior),
            pct(self.learn),
            pct(self.guess),
            pct(self.slip)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classlens_core::models::bkt::{BKT_MODEL, Bkt, BktConfig, BktParams, BktRunConfig};
    use classlens_core::sequences::kt::SkillVocab;

    #[test]
    fn each_skill_reads_as_a_sentence_under_its_label() {
        let vocab = SkillVocab::with_labels(vec!["s1".into()], vec!["Fractions".into()]);
        let bkt = Bkt { skills: vec![BktParams { prior: 0.3, learn: 0.12, guess: 0.2, slip: 0.08 }] };
        let m = BktModel { config: BktRunConfig { model: BKT_MODEL.into(), n_skills: 1, window: 100, fit: BktConfig::default() }, vocab, bkt };
        let shown = BktSkill::all(&m);
        assert_eq!(shown.len(), 1);
        assert_eq!(
            shown[0].sentence(),
            "Fractions: known before practice by about 30% of students; each answer teaches it with a 12% chance; a student who does not know it still answers right 20% of the time (guess), and one who knows it answers wrong 8% of the time (slip)."
        );
    }
}
