//! The heatmap's colours as plain maths, so they can be checked without a browser: cividis for
//! the probability (a colour map readable with every common colour-vision deficiency, and
//! monotone in lightness, so a grey-scale print keeps the order), and black or white text,
//! whichever contrasts more with the cell (WCAG 2 relative luminance). Cells without evidence
//! are a neutral grey: the model's prior is not a finding about the student.

use super::levels::Level;

/// Five stops of cividis (0, ¼, ½, ¾, 1), linearly interpolated between.
const CIVIDIS: [(f32, [f32; 3]); 5] =
    [(0.0, [0.0, 32.0, 77.0]), (0.25, [65.0, 77.0, 107.0]), (0.5, [124.0, 123.0, 120.0]), (0.75, [188.0, 175.0, 111.0]), (1.0, [255.0, 234.0, 70.0])];

/// Background and text of a cell with no answers yet ("Not started").
pub const NOT_STARTED: Colour = Colour { background: [0xee, 0xee, 0xee], text: [0x33, 0x33, 0x33] };

/// A cell with answers, but fewer than the evidence setting ("Not enough data"): a lighter
/// neutral than "Not started", so the two read apart and neither reads as a probability.
pub const NOT_ENOUGH: Colour = Colour { background: [0xf7, 0xf7, 0xf7], text: [0x33, 0x33, 0x33] };

pub const BLACK: [u8; 3] = [0, 0, 0];
pub const WHITE: [u8; 3] = [255, 255, 255];

/// A cell's colours as sRGB bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    pub background: [u8; 3],
    pub text: [u8; 3],
}

impl Colour {
    /// The cell colours of probability `p` (clamped to 0..1) with a contrasting text colour.
    pub fn of_probability(p: f32) -> Self {
        let background = cividis(p);
        Self { background, text: text_colour(background) }
    }

    /// The colours of a cell at `level` with probability `p`.
    pub fn of_cell(level: Level, p: f32) -> Self {
        match level {
            Level::NotStarted => NOT_STARTED,
            Level::NotEnoughData => NOT_ENOUGH,
            _ => Self::of_probability(p),
        }
    }

    /// An inline CSS style: `background:rgb(…);color:rgb(…)`.
    pub fn style(&self) -> String {
        format!("background:{};color:{}", css(self.background), css(self.text))
    }
}

/// Cividis at `p`, clamped to 0..1.
pub fn cividis(p: f32) -> [u8; 3] {
    let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
    let i = CIVIDIS.iter().position(|s| s.0 >= p).unwrap_or(CIVIDIS.len() - 1).max(1);
    let (a, b) = (CIVIDIS[i - 1], CIVIDIS[i]);
    let t = (p - a.0) / (b.0 - a.0);
    std::array::from_fn(|k| (a.1[k] + t * (b.1[k] - a.1[k])).round() as u8)
}

/// `rgb(r,g,b)`.
pub fn css(rgb: [u8; 3]) -> String {
    format!("rgb({},{},{})", rgb[0], rgb[1], rgb[2])
}

/// WCAG 2 relative luminance of an sRGB colour (0 black, 1 white).
pub fn relative_luminance(rgb: [u8; 3]) -> f32 {
    let lin = |v: u8| {
        let c = v as f32 / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// WCAG 2 contrast ratio, 1 (same luminance) to 21 (black on white).
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f32 {
    let (la, lb) = (relative_luminance(a), relative_luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Black or white, whichever contrasts more with `background`: cividis's middle greys need
/// black text, its dark blues white. The better of the two is never below 4.58:1.
pub fn text_colour(background: [u8; 3]) -> [u8; 3] {
    if contrast_ratio(background, BLACK) >= contrast_ratio(background, WHITE) { BLACK } else { WHITE }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cividis_runs_from_dark_blue_to_yellow_and_clamps() {
        assert_eq!(cividis(0.0), [0, 32, 77]);
        assert_eq!(cividis(1.0), [255, 234, 70]);
        assert_eq!(cividis(0.5), [124, 123, 120]);
        assert_eq!(cividis(-3.0), cividis(0.0));
        assert_eq!(cividis(7.0), cividis(1.0));
        assert_eq!(cividis(0.125), [33, 55, 92], "halfway between the first two stops");
        // Lightness grows with the probability, so order survives a grey-scale print.
        let l: Vec<f32> = (0..=100).map(|i| relative_luminance(cividis(i as f32 / 100.0))).collect();
        assert!(l.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn contrast_of_black_on_white_is_21_and_of_a_colour_with_itself_1() {
        assert!((contrast_ratio(BLACK, WHITE) - 21.0).abs() < 1e-4);
        assert!((contrast_ratio(WHITE, BLACK) - 21.0).abs() < 1e-4);
        assert!((contrast_ratio([124, 123, 120], [124, 123, 120]) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn text_is_white_on_dark_cells_black_on_light_ones_and_always_readable() {
        assert_eq!(text_colour(cividis(0.0)), WHITE);
        assert_eq!(text_colour(cividis(0.5)), BLACK, "the middle grey needs black");
        assert_eq!(text_colour(cividis(1.0)), BLACK);
        for i in 0..=100 {
            let c = Colour::of_probability(i as f32 / 100.0);
            assert!(contrast_ratio(c.background, c.text) >= 4.5, "p = {i}%: WCAG AA for normal text");
        }
        assert_eq!(Colour::of_cell(Level::NotStarted, 0.9), NOT_STARTED);
        assert_eq!(Colour::of_probability(0.0).style(), "background:rgb(0,32,77);color:rgb(255,255,255)");
    }
}
