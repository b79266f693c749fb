//! The one safe entry to SGEMM, which every kernel calls: matrixmultiply's natively (instead of
//! its `unsafe` function), the packed-panel kernel of [`super::panel_gemm`] in WebAssembly.
//!
//! `matrixmultiply::sgemm` takes raw pointers and strides and reads or writes wherever they
//! point. [`sgemm`] takes slices and checks, with `assert!` (so also in release builds, which is
//! what CI and users run), that every element the strides can reach lies inside its slice before
//! handing the pointers over. The checks are a few multiplications per call, nothing beside the
//! product itself.

/// `c = a · b + beta · c`, where `a` is an `m × k` matrix whose element `(i, l)` is
/// `a[i * rsa + l * csa]`, `b` a `k × n` matrix whose element `(l, j)` is `b[l * rsb + j * csb]`
/// (so a transpose is read by swapping the strides), and `c` a row-major `m × n` matrix (its
/// first `m * n` elements; `c` may be longer). With `beta == 0` the old `c` is ignored, NaNs
/// included.
///
/// Panics, before touching memory, when a slice is too short for the extents its strides imply
/// or an extent overflows `usize`. An empty product (`m`, `k` or `n` zero) reads nothing from `a`
/// and `b`, so they may then be empty; with `k == 0` and `m, n > 0` it still sets `c = beta · c`.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(m: usize, k: usize, n: usize, a: &[f32], (rsa, csa): (usize, usize), b: &[f32], (rsb, csb): (usize, usize), beta: f32, c: &mut [f32]) {
    let c_len = m.checked_mul(n).expect("sgemm: m × n overflows usize");
    assert!(c.len() >= c_len, "sgemm: c holds {} values, an {m} × {n} product needs {c_len}", c.len());
    // matrixmultiply reads `a` and `b` only when the product is not empty.
    if m > 0 && k > 0 && n > 0 {
        let a_last = last_index(m, k, rsa, csa).expect("sgemm: a's extent overflows usize");
        assert!(a_last < a.len(), "sgemm: a holds {} values, an {m} × {k} matrix with strides ({rsa}, {csa}) reaches index {a_last}", a.len());
        let b_last = last_index(k, n, rsb, csb).expect("sgemm: b's extent overflows usize");
        assert!(b_last < b.len(), "sgemm: b holds {} values, a {k} × {n} matrix with strides ({rsb}, {csb}) reaches index {b_last}", b.len());
    }
    // In the browser, the packed-panel kernel (its module says why).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        crate::models::panel_gemm::gemm(m, k, n, a, (rsa, csa), b, (rsb, csb), beta, c);
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    matrixmultiply_sgemm(m, k, n, a, (rsa, csa), b, (rsb, csb), beta, c);
}

/// [`sgemm`] through matrixmultiply, after [`sgemm`]'s checks.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[allow(clippy::too_many_arguments)]
fn matrixmultiply_sgemm(m: usize, k: usize, n: usize, a: &[f32], (rsa, csa): (usize, usize), b: &[f32], (rsb, csb): (usize, usize), beta: f32, c: &mut [f32]) {
    // Every stride is at most an in-bounds offset of a slice, and slices hold at most
    // `isize::MAX` bytes, so the casts below are exact; kept as checks for the empty cases.
    let stride = |s: usize| isize::try_from(s).expect("sgemm: stride overflows isize");
    let (rsa, csa, rsb, csb, rsc) = (stride(rsa), stride(csa), stride(rsb), stride(csb), stride(n));
    // SAFETY: matrixmultiply reads `a` at offsets `i * rsa + l * csa` (i < m, l < k) and `b` at
    // `l * rsb + j * csb` (l < k, j < n), and only when m, k and n are all non-zero; the largest
    // such offsets were checked by `sgemm` to lie inside `a` and `b`. It writes `c` at `i * n + j`
    // (i < m, j < n), below `m * n <= c.len()`; with m or n zero it writes nothing. `c` is a
    // `&mut` borrow, so it overlaps neither `a` nor `b`.
    unsafe {
        matrixmultiply::sgemm(m, k, n, 1.0, a.as_ptr(), rsa, csa, b.as_ptr(), rsb, csb, beta, c.as_mut_ptr(), rsc, 1);
    }
}

/// The largest offset `(rows - 1) * row_stride + (cols - 1) * col_stride` of a non-empty
/// matrix, or `None` when it overflows.
fn last_index(rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> Option<usize> {
    (rows - 1).checked_mul(row_stride)?.checked_add((cols - 1).checked_mul(col_stride)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `a · b + beta · c` the slow way, with the same strides (also the reference of
    /// `panel_gemm`'s and `recurrent_gemm`'s tests).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn naive(
        m: usize,
        k: usize,
        n: usize,
        a: &[f32],
        (rsa, csa): (usize, usize),
        b: &[f32],
        (rsb, csb): (usize, usize),
        beta: f32,
        c: &[f32],
    ) -> Vec<f32> {
        (0..m * n)
            .map(|x| (x / n, x % n))
            .map(|(i, j)| beta * c[i * n + j] + (0..k).map(|l| a[i * rsa + l * csa] * b[l * rsb + j * csb]).sum::<f32>())
            .collect()
    }

    #[test]
    fn matches_a_naive_product_with_transposes_and_beta() {
        let mut init = crate::models::init::Init::new(3);
        for (m, k, n) in [(1, 1, 1), (3, 5, 7), (17, 33, 45), (4, 1, 9)] {
            let a = init.uniform(m * k, 1.0);
            let b = init.uniform(k * n, 1.0);
            let c0 = init.uniform(m * n, 1.0);
            // a row-major and transposed (stored k × m); b row-major and transposed (stored n × k).
            for (sa, sb, beta) in [((k, 1), (n, 1), 1.0), ((1, m), (1, k), 0.5), ((k, 1), (1, k), 0.0)] {
                let mut c = c0.clone();
                sgemm(m, k, n, &a, sa, &b, sb, beta, &mut c);
                for (got, want) in c.iter().zip(naive(m, k, n, &a, sa, &b, sb, beta, &c0)) {
                    assert!((got - want).abs() < 1e-4, "{m}x{k}x{n} {sa:?} {sb:?}: {got} vs {want}");
                }
            }
        }
    }

    #[test]
    fn empty_products_read_nothing_and_scale_c() {
        let mut c = vec![2.0f32; 6];
        sgemm(2, 0, 3, &[], (0, 1), &[], (3, 1), 0.5, &mut c);
        assert_eq!(c, [1.0; 6], "k = 0: c = beta · c");
        sgemm(0, 4, 3, &[], (4, 1), &[1.0; 12], (3, 1), 0.0, &mut []);
        sgemm(2, 4, 0, &[1.0; 8], (4, 1), &[], (0, 1), 0.0, &mut []);
    }

    #[test]
    #[should_panic(expected = "sgemm: a holds 5 values")]
    fn a_too_short_panics() {
        sgemm(2, 3, 2, &[0.0; 5], (3, 1), &[0.0; 6], (2, 1), 0.0, &mut [0.0; 4]);
    }

    #[test]
    #[should_panic(expected = "sgemm: b holds 5 values")]
    fn b_too_short_for_its_transposed_strides_panics() {
        // b is 3 × 2 read transposed from a 2 × 3 store: its last element is at (3 - 1) · 1 + (2 - 1) · 3 = 5.
        sgemm(2, 3, 2, &[0.0; 6], (3, 1), &[0.0; 5], (1, 3), 0.0, &mut [0.0; 4]);
    }

    #[test]
    #[should_panic(expected = "sgemm: c holds 3 values")]
    fn c_too_short_panics() {
        sgemm(2, 3, 2, &[0.0; 6], (3, 1), &[0.0; 6], (2, 1), 0.0, &mut [0.0; 3]);
    }

    #[test]
    #[should_panic(expected = "sgemm: c holds 5 values")]
    fn c_too_short_panics_even_when_k_is_zero() {
        sgemm(2, 0, 3, &[], (0, 1), &[], (3, 1), 0.0, &mut [0.0; 5]);
    }

    #[test]
    #[should_panic(expected = "overflows")]
    fn overflowing_extents_panic() {
        sgemm(3, 2, 1, &[0.0; 4], (usize::MAX / 2 + 1, 1), &[0.0; 2], (1, 1), 0.0, &mut [0.0; 3]);
    }
}
