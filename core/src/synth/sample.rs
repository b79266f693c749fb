//! Small sampling helpers on top of rand 0.9, so every module draws the same way.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// An independent random stream for one purpose (or one student). Separate streams keep parts
/// of the simulation decoupled: turning social influence off changes the reading choices but
/// not the students, the curriculum or the practice data of the same seed.
pub(crate) fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Standard normal draw (Box-Muller; rand 0.9 has no normal distribution without rand_distr).
pub(crate) fn normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal draw with the given median and log-scale spread.
pub(crate) fn lognormal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Index drawn with probability proportional to `weights` (non-negative, not all zero).
pub(crate) fn weighted_index(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    // Rounding can leave x a hair above the last weight: fall back to the last positive one.
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// `k` distinct indices from `0..n` (k <= n), in draw order.
pub(crate) fn distinct(rng: &mut impl Rng, n: usize, k: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = rng.random_range(i..n);
        pool.swap(i, j);
    }
    pool.truncate(k.min(n));
    pool
}
