//! The recurrent product `gates += h · W_hh`, run once per time step with the same `W_hh`.
//!
//! matrixmultiply's SGEMM re-packs `W_hh` on every call; at these shapes (16 × 100 by 100 × 400
//! per thread and step) packing plus its buffer allocation cost half as much as the arithmetic
//! (perf: 18% packing, ~8% page faults, 30% kernel). Where the CPU has AVX-512, `W_hh` is packed
//! once per batch into 32-column panels and a 4 × 32 register tile (8 zmm accumulators) is
//! accumulated over `k` with explicit FMA intrinsics. In WebAssembly `W` is packed once per batch
//! into the 8-column [`Panels`] of [`crate::models::panel_gemm`] (its 4 × 8 SIMD tile). Elsewhere
//! (AVX2 machines) matrixmultiply is used, through the checked [`sgemm`]: a plain-Rust AVX2 tile
//! measured slower than its kernels (criterion: 19.8 vs 16.2 µs per step).

use crate::models::panel_gemm::Panels;
use crate::models::sgemm::sgemm;

const NR: usize = 32;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const MR: usize = 4;

/// `W` (`k × n`, row-major), ready for repeated `C += A · W`.
pub struct RecurrentWeights<'w> {
    w: &'w [f32],
    k: usize,
    n: usize,
    /// Where `W`'s element `(l, j)` is: `w[l * strides.0 + j * strides.1]`.
    strides: (usize, usize),
    /// `W` packed for the WebAssembly SIMD tile; present only in wasm builds with `simd128`.
    simd128: Option<Panels>,
    /// Column panels of width 32 (zero-padded), present when the AVX-512 path is taken.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    panels: Option<Vec<f32>>,
}

impl<'w> RecurrentWeights<'w> {
    /// Panics unless `w` holds exactly `k × n` values.
    pub fn new(w: &'w [f32], k: usize, n: usize) -> Self {
        assert!(k.checked_mul(n) == Some(w.len()), "weight shape: {} values for {k} × {n}", w.len());
        let panels = avx512_available().then(|| {
            let n_panels = n.div_ceil(NR);
            let mut p = vec![0.0f32; n_panels * k * NR];
            for panel in 0..n_panels {
                for kk in 0..k {
                    for l in 0..NR.min(n - panel * NR) {
                        p[(panel * k + kk) * NR + l] = w[kk * n + panel * NR + l];
                    }
                }
            }
            p
        });
        Self { w, k, n, strides: (n, 1), simd128: Self::simd128(w, k, n, (n, 1)), panels }
    }

    /// `W = Mᵀ` for `M` (`n × k`, row-major, the values `m` holds): the backward product
    /// `dh = dgates · W_hhᵀ`. Panics unless `m` holds exactly `k × n` values.
    pub fn transposed(m: &'w [f32], k: usize, n: usize) -> Self {
        assert!(k.checked_mul(n) == Some(m.len()), "weight shape: {} values for {n} × {k}", m.len());
        Self { w: m, k, n, strides: (1, k), simd128: Self::simd128(m, k, n, (1, k)), panels: None }
    }

    fn simd128(w: &[f32], k: usize, n: usize, strides: (usize, usize)) -> Option<Panels> {
        cfg!(all(target_arch = "wasm32", target_feature = "simd128")).then(|| Panels::pack(w, k, n, strides))
    }

    /// `c (m × n) += a (m × k) · W`, row-major (the first `m × k` values of `a` and `m × n` of
    /// `c`). Panics when `a` or `c` is shorter.
    pub fn accumulate(&self, a: &[f32], m: usize, c: &mut [f32]) {
        let (k, n) = (self.k, self.n);
        assert!(m.checked_mul(k).is_some_and(|len| a.len() >= len), "a holds {} values, not {m} × {k}", a.len());
        assert!(m.checked_mul(n).is_some_and(|len| c.len() >= len), "c holds {} values, not {m} × {n}", c.len());
        if m == 0 || k == 0 || n == 0 {
            // Nothing to add (and `chunks_exact(k * NR)` below needs a non-zero size).
            return;
        }
        if let Some(panels) = &self.simd128 {
            panels.accumulate(m, a, (k, 1), c);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(panels) = &self.panels {
            // SAFETY: `gemm_acc`'s one requirement is AVX-512F, and `panels` exists only when
            // `new` detected it. (Its reads and writes of `a` and `c` are bounds-checked, and its
            // unchecked loads stay inside the panels `new` built for this `k × n`.)
            unsafe { avx512::gemm_acc(a, m, k, n, panels, c) };
            return;
        }
        sgemm(m, k, n, a, (k, 1), self.w, self.strides, 1.0, c);
    }
}

fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{MR, NR};

    /// `c (m × n) += a (m × k) · W` for `W` packed by [`super::RecurrentWeights::new`] into
    /// `panels`: `n.div_ceil(32)` panels of `k × 32` values. `k` must not be zero. Slices that
    /// are too short panic (every access but the panel loads is bounds-checked, and those stay
    /// inside `chunks_exact(k * NR)` chunks).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn gemm_acc(a: &[f32], m: usize, k: usize, n: usize, panels: &[f32], c: &mut [f32]) {
        let zeros = vec![0.0f32; k];
        let mut r0 = 0;
        while r0 < m {
            let rows = MR.min(m - r0);
            let row = |r: usize| if r < rows { &a[(r0 + r) * k..(r0 + r + 1) * k] } else { &zeros[..] };
            let ar = [row(0), row(1), row(2), row(3)];
            for (p, panel) in panels.chunks_exact(k * NR).enumerate() {
                let mut acc = [[_mm512_setzero_ps(); 2]; MR];
                for kk in 0..k {
                    // SAFETY: `panel` is a `chunks_exact(k * NR)` chunk, so it holds k rows of
                    // NR = 32 floats, and kk < k: both 16-float loads lie in row kk.
                    let (w0, w1) = unsafe { (_mm512_loadu_ps(panel.as_ptr().add(kk * NR)), _mm512_loadu_ps(panel.as_ptr().add(kk * NR + 16))) };
                    for r in 0..MR {
                        let x = _mm512_set1_ps(ar[r][kk]);
                        acc[r][0] = _mm512_fmadd_ps(x, w0, acc[r][0]);
                        acc[r][1] = _mm512_fmadd_ps(x, w1, acc[r][1]);
                    }
                }
                let cols = NR.min(n - p * NR);
                for (r, acc_r) in acc.iter().enumerate().take(rows) {
                    let mut tmp = [0.0f32; NR];
                    // SAFETY: `tmp` holds 32 floats: the stores cover [0, 16) and [16, 32).
                    unsafe {
                        _mm512_storeu_ps(tmp.as_mut_ptr(), acc_r[0]);
                        _mm512_storeu_ps(tmp.as_mut_ptr().add(16), acc_r[1]);
                    }
                    let out = &mut c[(r0 + r) * n + p * NR..(r0 + r) * n + p * NR + cols];
                    out.iter_mut().zip(&tmp).for_each(|(o, v)| *o += v);
                }
            }
            r0 += MR;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::sgemm::tests::naive;

    #[test]
    fn empty_shapes_add_nothing() {
        let mut c = vec![1.0f32; 6];
        RecurrentWeights::new(&[], 0, 3).accumulate(&[], 2, &mut c);
        RecurrentWeights::new(&[], 4, 0).accumulate(&[0.5; 8], 2, &mut []);
        RecurrentWeights::new(&[0.5; 12], 4, 3).accumulate(&[], 0, &mut c);
        assert_eq!(c, [1.0; 6]);
    }

    #[test]
    #[should_panic(expected = "c holds 5 values")]
    fn a_short_output_panics() {
        RecurrentWeights::new(&[0.5; 12], 4, 3).accumulate(&[1.0; 8], 2, &mut [0.0; 5]);
    }

    #[test]
    #[should_panic(expected = "weight shape")]
    fn a_short_weight_panics() {
        RecurrentWeights::new(&[0.5; 11], 4, 3);
    }

    #[test]
    fn matches_a_naive_product_on_ragged_shapes() {
        let mut init = crate::models::init::Init::new(1);
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (16, 100, 400), (17, 33, 45), (5, 8, 64), (16, 400, 100)] {
            for transposed in [false, true] {
                let a = init.uniform(m * k, 1.0);
                let w = init.uniform(k * n, 1.0);
                let c0 = vec![0.5f32; m * n];
                let mut c = c0.clone();
                let (weights, strides) = if transposed { (RecurrentWeights::transposed(&w, k, n), (1, k)) } else { (RecurrentWeights::new(&w, k, n), (n, 1)) };
                weights.accumulate(&a, m, &mut c);
                let want = naive(m, k, n, &a, (k, 1), &w, strides, 1.0, &c0);
                for (i, (got, want)) in c.iter().zip(&want).enumerate() {
                    assert!((got - want).abs() < 1e-3, "{m}x{k}x{n} transposed {transposed} at {i}");
                }
            }
        }
    }
}
