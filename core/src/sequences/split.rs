//! Seeded train/valid/test splits by student, so no student's history leaks across splits.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Whether `valid` and `test` can cut a split: each in [0, 1) and together less than 1 (what
/// [`split3`] asserts), as an error to show; callers name the settings (`--valid-frac and
/// --test-frac must be …`).
pub fn check_fractions(valid: f64, test: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&valid) && (0.0..1.0).contains(&test) && valid + test < 1.0 {
        Ok(())
    } else {
        Err(format!("must be in [0, 1) and sum to less than 1 (got {valid} and {test})"))
    }
}

/// Shuffles `items` with `seed` and cuts it into three parts of the given fractions
/// (`valid` and `test` are fractions of the whole; train gets the rest).
pub fn split3<T: Clone>(items: &[T], valid: f64, test: f64, seed: u64) -> (Vec<T>, Vec<T>, Vec<T>) {
    assert!((0.0..1.0).contains(&(valid + test)), "valid + test must be in [0, 1)");
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_test = (items.len() as f64 * test).round() as usize;
    let n_valid = (items.len() as f64 * valid).round() as usize;
    let pick = |r: &[usize]| r.iter().map(|&i| items[i].clone()).collect::<Vec<T>>();
    (pick(&order[n_test + n_valid..]), pick(&order[n_test..n_test + n_valid]), pick(&order[..n_test]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_a_seeded_partition() {
        let items: Vec<u32> = (0..100).collect();
        let (a, b, c) = split3(&items, 0.1, 0.2, 3);
        assert_eq!((a.len(), b.len(), c.len()), (70, 10, 20));
        let mut all: Vec<u32> = a.iter().chain(&b).chain(&c).copied().collect();
        all.sort();
        assert_eq!(all, items);
        assert_eq!(split3(&items, 0.1, 0.2, 3), (a, b, c));
        assert_ne!(split3(&items, 0.1, 0.2, 4).2, split3(&items, 0.1, 0.2, 3).2);
    }
}
