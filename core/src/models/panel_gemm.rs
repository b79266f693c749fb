//! Packed-panel SGEMM with a WebAssembly SIMD micro-kernel: what [`super::sgemm::sgemm`] and
//! [`super::recurrent_gemm::RecurrentWeights`] run in the browser.
//!
//! Why not matrixmultiply there: its wasm kernel is an 8 × 8 tile, 16 `v128` accumulators plus
//! the loaded vectors, and V8 maps `v128` onto the host's 16 SSE/AVX registers, so the tile
//! spills on every step of `k`. A 4 × 8 tile (8 accumulators, 2 loads, 1 broadcast) does not. In
//! Node 22 on this project's 2-vCPU VM, for the DKT fit's recurrent product (64 × 100 by
//! 100 × 400), matrixmultiply ran at 15.3–15.8 GMAC/s and this tile at 19.2–20.6 over the same
//! panels; 5 × 8, 6 × 8 and 8 × 8 tiles fell to 3.7–12 (spills). And matrixmultiply re-packs `B`
//! on every call, which the DKT trainer's products with the same `W_hh` at every time step need
//! not do: [`Panels`] are packed once and reused.
//!
//! Native builds keep matrixmultiply (AVX2/AVX-512 kernels, many threads of callers): there this
//! module's portable micro-kernel (plain loops, the same arithmetic order as the wasm one) runs
//! only in the tests, which check the packing, blocking and ragged edges against a naive product.

/// Rows of a tile.
const MR: usize = 4;
/// Columns of a tile and of a packed panel: two `v128` of four floats.
const NR: usize = 8;
/// `k` is cut into blocks of this many, so a block of `B`'s panel (8 KiB) stays in L1 while
/// every row block of `A` passes over it (as matrixmultiply's wasm parameters do).
const KC: usize = 256;

/// `B` (`k × n`) packed into `n.div_ceil(8)` column panels of `k × 8` floats (the last one
/// zero-padded), for repeated `C += A · B`.
pub struct Panels {
    data: Vec<f32>,
    k: usize,
    n: usize,
}

impl Panels {
    /// Packs `B`, whose element `(l, j)` is `b[l * rsb + j * csb]`. Panics when `b` is too
    /// short for the strides.
    pub fn pack(b: &[f32], k: usize, n: usize, (rsb, csb): (usize, usize)) -> Self {
        if k > 0 && n > 0 {
            let last = (k - 1).checked_mul(rsb).and_then(|x| x.checked_add((n - 1).checked_mul(csb)?));
            assert!(last.is_some_and(|last| last < b.len()), "panels: b holds {} values, too few for {k} × {n} with strides ({rsb}, {csb})", b.len());
        }
        if k == 0 || n == 0 {
            return Self { data: Vec::new(), k, n };
        }
        // Checked: the tile trusts `k × 8` to be the panels' length, so it must not wrap.
        let len = n.div_ceil(NR).checked_mul(k).and_then(|x| x.checked_mul(NR)).expect("panels: k × n overflows usize");
        let mut data = vec![0.0f32; len];
        for (p, panel) in data.chunks_exact_mut(k * NR).enumerate() {
            let cols = NR.min(n - p * NR);
            for (l, row) in panel.chunks_exact_mut(NR).enumerate() {
                for (j, v) in row[..cols].iter_mut().enumerate() {
                    *v = b[l * rsb + (p * NR + j) * csb];
                }
            }
        }
        Self { data, k, n }
    }

    /// `c (m × n, row-major) += A · B`, where `A` (`m × k`) has element `(i, l)` at
    /// `a[i * rsa + l * csa]`. Panics, before any unchecked read, when `a` or `c` is too short.
    pub fn accumulate(&self, m: usize, a: &[f32], (rsa, csa): (usize, usize), c: &mut [f32]) {
        let (k, n) = (self.k, self.n);
        assert!(m.checked_mul(n).is_some_and(|len| c.len() >= len), "panels: c holds {} values, not {m} × {n}", c.len());
        if m == 0 || k == 0 || n == 0 {
            return;
        }
        let last = (m - 1).checked_mul(rsa).and_then(|x| x.checked_add((k - 1).checked_mul(csa)?));
        assert!(last.is_some_and(|last| last < a.len()), "panels: a holds {} values, too few for {m} × {k} with strides ({rsa}, {csa})", a.len());
        for r0 in (0..m).step_by(MR) {
            let rows = MR.min(m - r0);
            // A short last block reads its last row again; those sums are dropped below.
            let offsets: [usize; MR] = std::array::from_fn(|r| (r0 + r.min(rows - 1)) * rsa);
            for (p, panel) in self.data.chunks_exact(k * NR).enumerate() {
                let tile = tile(k, a, offsets, csa, panel);
                let cols = NR.min(n - p * NR);
                for (r, sums) in tile.iter().enumerate().take(rows) {
                    let out = &mut c[(r0 + r) * n + p * NR..(r0 + r) * n + p * NR + cols];
                    out.iter_mut().zip(sums).for_each(|(o, s)| *o += s);
                }
            }
        }
    }
}

/// `c = a · b + beta · c` with the strides of [`super::sgemm::sgemm`] (whose checks have run):
/// `B` is packed one block of [`KC`] rows at a time.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], (rsa, csa): (usize, usize), b: &[f32], (rsb, csb): (usize, usize), beta: f32, c: &mut [f32]) {
    let c = &mut c[..m * n];
    if beta == 0.0 {
        c.fill(0.0);
    } else if beta != 1.0 {
        c.iter_mut().for_each(|v| *v *= beta);
    }
    if m == 0 || n == 0 {
        return;
    }
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        let panels = Panels::pack(&b[k0 * rsb..], kc, n, (rsb, csb));
        panels.accumulate(m, &a[k0 * csa..], (rsa, csa), c);
    }
}

/// The sums of one `4 × 8` tile over `l < k`: row `r`'s `A` values at `a[offsets[r] + l * csa]`,
/// `B`'s at `panel[l * 8 + j]`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn tile(k: usize, a: &[f32], offsets: [usize; MR], csa: usize, panel: &[f32]) -> [[f32; NR]; MR] {
    use core::arch::wasm32::*;
    // The checks the unchecked loads rely on, once per tile (a few comparisons against k × 32
    // multiply-adds): every A offset read and the whole panel lie inside their slices.
    assert!(panel.len() >= k * NR, "tile: panel too short");
    assert!(k == 0 || offsets.iter().all(|&o| o + (k - 1) * csa < a.len()), "tile: a too short");
    let (a, panel) = (a.as_ptr(), panel.as_ptr());
    let mut acc = [[f32x4_splat(0.0); 2]; MR];
    for l in 0..k {
        // SAFETY: l < k, and panel holds k × 8 floats (checked above): both 4-float loads lie in
        // its row l (wasm loads need no alignment).
        let (b0, b1) = unsafe { (v128_load(panel.add(l * NR) as *const v128), v128_load(panel.add(l * NR + 4) as *const v128)) };
        for r in 0..MR {
            // SAFETY: offsets[r] + l * csa < a.len() for every l < k (checked above).
            let x = unsafe { v128_load32_splat(a.add(offsets[r] + l * csa) as *const u32) };
            acc[r][0] = f32x4_add(acc[r][0], f32x4_mul(x, b0));
            acc[r][1] = f32x4_add(acc[r][1], f32x4_mul(x, b1));
        }
    }
    std::array::from_fn(|r| {
        let lanes = |v: v128| [f32x4_extract_lane::<0>(v), f32x4_extract_lane::<1>(v), f32x4_extract_lane::<2>(v), f32x4_extract_lane::<3>(v)];
        let (lo, hi) = (lanes(acc[r][0]), lanes(acc[r][1]));
        [lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], hi[2], hi[3]]
    })
}

/// The portable tile: the same sums in the same order (native builds use it only in tests).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn tile(k: usize, a: &[f32], offsets: [usize; MR], csa: usize, panel: &[f32]) -> [[f32; NR]; MR] {
    let mut acc = [[0.0f32; NR]; MR];
    for l in 0..k {
        let b = &panel[l * NR..(l + 1) * NR];
        for r in 0..MR {
            let x = a[offsets[r] + l * csa];
            acc[r].iter_mut().zip(b).for_each(|(s, &w)| *s += x * w);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::sgemm::tests::naive;

    #[test]
    fn gemm_matches_a_naive_product_on_ragged_shapes_and_strides() {
        let mut init = crate::models::init::Init::new(3);
        // k past one block (KC = 256), m and n not multiples of the tile, transposed reads.
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (4, 8, 8), (17, 33, 45), (64, 100, 400), (9, 600, 13), (5, 0, 3)] {
            for transposed in [false, true] {
                let a = init.uniform(m * k, 1.0);
                let b = init.uniform(k * n, 1.0);
                let sa = if transposed { (1, m) } else { (k, 1) };
                let sb = if transposed { (1, k) } else { (n, 1) };
                for beta in [0.0, 1.0, 0.5] {
                    let c0 = init.uniform(m * n + 2, 1.0);
                    let mut c = c0.clone();
                    gemm(m, k, n, &a, sa, &b, sb, beta, &mut c);
                    let want = naive(m, k, n, &a, sa, &b, sb, beta, &c0);
                    for (i, (got, want)) in c.iter().zip(&want).enumerate() {
                        assert!((got - want).abs() < 1e-3, "{m}x{k}x{n} transposed {transposed} beta {beta} at {i}: {got} vs {want}");
                    }
                    assert_eq!(c[m * n..], c0[m * n..], "past m × n, c is untouched");
                }
            }
        }
    }

    #[test]
    fn packed_once_accumulates_repeatedly() {
        let mut init = crate::models::init::Init::new(4);
        let (m, k, n) = (6, 10, 12);
        let (a, b) = (init.uniform(m * k, 1.0), init.uniform(k * n, 1.0));
        let panels = Panels::pack(&b, k, n, (n, 1));
        let mut c = vec![0.0f32; m * n];
        panels.accumulate(m, &a, (k, 1), &mut c);
        panels.accumulate(m, &a, (k, 1), &mut c);
        let once = naive(m, k, n, &a, (k, 1), &b, (n, 1), 0.0, &vec![0.0; m * n]);
        for (got, want) in c.iter().zip(&once) {
            assert!((got - 2.0 * want).abs() < 1e-4);
        }
    }

    #[test]
    #[should_panic(expected = "panels: a holds 7 values")]
    fn a_short_a_panics_before_reading() {
        Panels::pack(&[1.0; 6], 2, 3, (3, 1)).accumulate(4, &[1.0; 7], (2, 1), &mut [0.0; 12]);
    }

    #[test]
    #[should_panic(expected = "panels: k × n overflows usize")]
    fn a_size_that_overflows_panics_before_packing() {
        // Strides of 0 let one value stand for any extent: only the size check can refuse it.
        Panels::pack(&[1.0], usize::MAX / 4, 9, (0, 0));
    }

    #[test]
    #[should_panic(expected = "panels: b holds 5 values")]
    fn a_short_b_panics() {
        Panels::pack(&[1.0; 5], 2, 3, (3, 1));
    }
}
