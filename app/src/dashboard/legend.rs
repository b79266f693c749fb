//! The heatmap's legend, derived from the thresholds in force: one swatch per level, painted
//! with the colour of a probability that *is* at that level. (A fixed swatch value was wrong as
//! soon as the thresholds moved: 0.8 painted "Near proficient" in a Proficient colour at the
//! 80 / 60 defaults.)

use super::colour::{Colour, NOT_ENOUGH, NOT_STARTED};
use super::levels::{Level, Thresholds};
use super::pct;

#[derive(Debug, Clone, PartialEq)]
pub struct Swatch {
    pub level: Level,
    /// The probability painted: the middle of the level's band. `None` for "Not started",
    /// which is about evidence, not probability.
    pub value: Option<f32>,
    pub colour: Colour,
    /// The band as the teacher reads it: "≥ 80%", "60%–80%", "< 60%".
    pub range: String,
}

/// The legend for `t`, best level first. A level whose band is empty (near = proficient leaves
/// no room for "Near proficient") is left out rather than shown with a colour of another level.
pub fn legend(t: &Thresholds) -> Vec<Swatch> {
    let band = |level: Level, lo: f32, hi: f32, range: String| {
        let value = (lo + hi) / 2.0;
        (t.level(value, t.min_answers) == level).then(|| Swatch { level, value: Some(value), colour: Colour::of_probability(value), range })
    };
    [
        band(Level::Proficient, t.proficient, 1.0, format!("≥ {}", pct(t.proficient))),
        band(Level::NearProficient, t.near, t.proficient, format!("{}–{}", pct(t.near), pct(t.proficient))),
        band(Level::Remediation, 0.0, t.near, format!("< {}", pct(t.near))),
        Some(Swatch { level: Level::NotEnoughData, value: None, colour: NOT_ENOUGH, range: format!("fewer than {} answers", t.min_answers) }),
        Some(Swatch { level: Level::NotStarted, value: None, colour: NOT_STARTED, range: "no answers yet".into() }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_swatch_is_painted_with_a_value_of_its_own_level() {
        for t in [Thresholds::default(), Thresholds::MATHIA, Thresholds::new(0.6, 0.3).unwrap(), Thresholds::new(1.0, 0.01).unwrap()] {
            let l = legend(&t);
            let levels: Vec<Level> = l.iter().map(|s| s.level).collect();
            assert_eq!(levels, [Level::Proficient, Level::NearProficient, Level::Remediation, Level::NotEnoughData, Level::NotStarted], "{t:?}");
            for s in &l {
                match s.value {
                    Some(v) => {
                        assert_eq!(t.level(v, t.min_answers), s.level, "{t:?}: swatch {v} of {:?}", s.level);
                        assert_eq!(s.colour, Colour::of_probability(v));
                    }
                    None => assert!([(Level::NotStarted, NOT_STARTED), (Level::NotEnoughData, NOT_ENOUGH)].contains(&(s.level, s.colour))),
                }
            }
        }
    }

    #[test]
    fn the_near_proficient_swatch_is_no_longer_a_proficient_colour() {
        let l = legend(&Thresholds::default());
        let near = |v: Option<f32>, want: f32| v.is_some_and(|v| (v - want).abs() < 1e-6);
        assert!(near(l[1].value, 0.7), "the middle of 60–80%, not the 0.8 that was Proficient: {:?}", l[1].value);
        assert!(near(l[0].value, 0.9) && near(l[2].value, 0.3));
        assert_eq!(l.iter().map(|s| s.range.as_str()).collect::<Vec<_>>(), ["≥ 80%", "60%–80%", "< 60%", "fewer than 3 answers", "no answers yet"]);
        let mathia = legend(&Thresholds::MATHIA);
        assert_eq!(mathia[0].range, "≥ 95%");
        assert!(near(mathia[1].value, 0.825));
    }

    /// Every probability, to 1e-4, whose cell is painted exactly `rgb`.
    fn painted(rgb: [u8; 3]) -> Vec<f32> {
        (0..=10_000).map(|i| i as f32 / 10_000.0).filter(|&p| super::super::colour::cividis(p) == rgb).collect()
    }

    #[test]
    fn each_swatch_colour_is_a_cell_colour_of_its_own_band_only() {
        for t in [Thresholds::default(), Thresholds::MATHIA, Thresholds::new(0.6, 0.3).unwrap(), Thresholds::new(0.9, 0.85).unwrap()] {
            for s in legend(&t).iter().filter(|s| s.value.is_some()) {
                let ps = painted(s.colour.background);
                assert!(!ps.is_empty(), "{t:?}: the {:?} swatch is a colour some cell can have", s.level);
                for p in ps {
                    assert_eq!(t.level(p, t.min_answers), s.level, "{t:?}: the {:?} swatch's colour is also the cell colour of {p}", s.level);
                }
            }
        }
        // The bug: at 80 / 60 a swatch painted at 0.8 was a Proficient cell's colour.
        let t = Thresholds::default();
        assert_eq!(t.level(0.8, t.min_answers), Level::Proficient);
        let near = legend(&t).into_iter().find(|s| s.level == Level::NearProficient).unwrap();
        assert_ne!(near.colour, Colour::of_probability(0.8));
        assert!(painted(near.colour.background).iter().all(|&p| (0.6..0.8).contains(&p)));
    }

    #[test]
    fn an_empty_band_has_no_swatch() {
        let l = legend(&Thresholds::new(0.7, 0.7).unwrap());
        assert!(l.iter().all(|s| s.level != Level::NearProficient));
        assert!(l.iter().all(|s| s.value.is_none_or(|v| Thresholds::new(0.7, 0.7).unwrap().level(v, 3) == s.level)));
    }
}
