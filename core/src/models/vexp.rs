//! `exp` and a decayed softmax written so the compiler vectorises them (SSE/AVX natively,
//! SIMD128 in wasm).
//!
//! Why: after the attention model's inference moved to slices, `perf` put a quarter of the
//! mastery call in the softmax rows and another eighth in libm's scalar `expf`; in wasm `exp` is
//! the `libm` crate's software routine, slower still. A softmax row is a few hundred numbers, so
//! the loops below are branch-free and keep eight partial maxima and sums.
//!
//! [`exp`] is Cephes' `expf` (range reduction by `ln 2`, a degree-5 polynomial), with
//! round-to-nearest by the 1.5·2²³ trick instead of `round`, which has no vector form on
//! baseline x86-64: relative error below 2⁻²² (2·`f32::EPSILON`, 2–4 ulp) against the exact
//! value on `[-87, 88]` (tested), inputs clamped there (`exp(-87)` ≈ 1.6e-38 is the smallest
//! normal result kept).

const LOG2_E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2²³: adding it rounds to an integer held in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;

/// e^x, see the module docs for its accuracy.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2_E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // 2^n: n lies in [-126, 127], so the biased exponent is in [1, 254].
    let n = t.to_bits() as i32 - ROUND.to_bits() as i32;
    e * f32::from_bits(((n + 127) as u32) << 23)
}

/// The largest element (−∞ for an empty slice).
fn max(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = if x > *l { x } else { *l };
        }
    }
    rest.iter().chain(&lanes).fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m })
}

/// In place: `xs[j] ← softmax(scale · xs + bias)[j]`. `bias` is at least as long as `xs`.
pub fn softmax_biased(xs: &mut [f32], scale: f32, bias: &[f32]) {
    for (x, b) in xs.iter_mut().zip(bias) {
        *x = *x * scale + b;
    }
    let m = max(xs);
    let mut lanes = [0.0f32; 8];
    let mut chunks = xs.chunks_exact_mut(8);
    for c in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(c.iter_mut()) {
            *x = exp(*x - m);
            *l += *x;
        }
    }
    let mut sum: f32 = lanes.iter().sum();
    for x in chunks.into_remainder() {
        *x = exp(*x - m);
        sum += *x;
    }
    let inv = 1.0 / sum;
    xs.iter_mut().for_each(|x| *x *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_epsilon_of_the_exact_value_on_its_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let (got, want) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.001_3;
        }
        assert!(worst < 2.0 * f32::EPSILON as f64, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) > 0.0 && exp(-1000.0) < 1e-37, "clamped, not zero or NaN");
    }

    #[test]
    fn softmax_matches_the_textbook_formula() {
        for len in [1usize, 7, 8, 9, 100] {
            let xs: Vec<f32> = (0..len).map(|i| ((i * 37) % 11) as f32 * 0.7 - 3.0).collect();
            let bias: Vec<f32> = (0..len).map(|i| 0.13 * i as f32).collect();
            let mut got = xs.clone();
            softmax_biased(&mut got, 0.35, &bias);
            let z: Vec<f64> = xs.iter().zip(&bias).map(|(&x, &b)| x as f64 * 0.35 + b as f64).collect();
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - m).exp()).sum();
            for (g, v) in got.iter().zip(&z) {
                assert!((*g as f64 - (v - m).exp() / sum).abs() < 1e-6, "len {len}");
            }
        }
    }
}
