//! Element-wise LSTM maths shared by the inference kernel and the fused trainer.
//!
//! The functions are written as plain loops that LLVM vectorises, and compiled three times: for
//! the baseline target (SSE2 on x86-64, SIMD128 where wasm enables it) and, on x86-64, for
//! AVX2+FMA and for AVX-512, picked at run time. That widens the vectors without making the
//! binary require either.

/// Defines `fn name(args)` that runs an AVX-512 or AVX2+FMA build of `body` where the CPU has it.
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn generic($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512($($arg: $ty),*) {
                    generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) {
                    generic($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports the features `avx512` was compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            generic($($arg),*)
        }
    };
}

/// `exp(x)` to ~2 ulp, branch-free so loops over it vectorise: 2^n · p(r) with
/// r = x - n·ln2 in [-ln2/2, ln2/2] and p a degree-6 Taylor polynomial.
#[inline(always)]
pub fn exp_approx(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest by adding and removing 1.5·2^23: unlike `f32::round` (a libm call without
    // SSE4.1) this stays in vector registers.
    const SHIFTER: f32 = 12_582_912.0;
    let t = x * std::f32::consts::LOG2_E + SHIFTER;
    let n = t - SHIFTER;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // 2^n straight from `t`'s bits, whose low mantissa bits hold n + 0x40_0000: integer ops only.
    // (`n as i32` would be a saturating conversion, which LLVM leaves scalar.) The clamp keeps
    // n + 127 in the normal exponent range [1, 254].
    let two_n = f32::from_bits(t.to_bits().wrapping_add(127u32.wrapping_sub(0x4B40_0000)) << 23);
    p * two_n
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp_approx(-x))
}

/// tanh(x) = 2·sigmoid(2x) − 1.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

multiversion! {
    pub fn sigmoid_in_place(v: &mut [f32]) {
        v.iter_mut().for_each(|x| *x = sigmoid(*x));
    }
}

multiversion! {
    /// One LSTM cell for one row. On entry `gates` holds the pre-activations `[i, f, o, g]` and
    /// `c` the previous cell state; on exit `gates` holds the activations, `c` the new cell
    /// state, `tanh_c` its tanh and `h` the new hidden state.
    pub fn lstm_cell(gates: &mut [f32], c: &mut [f32], tanh_c: &mut [f32], h: &mut [f32]) {
        let n = c.len();
        let (ifo, g) = gates.split_at_mut(3 * n);
        ifo.iter_mut().for_each(|x| *x = sigmoid(*x));
        g.iter_mut().for_each(|x| *x = tanh(*x));
        let (i, fo) = ifo.split_at(n);
        let (f, o) = fo.split_at(n);
        for j in 0..n {
            c[j] = f[j] * c[j] + i[j] * g[j];
            tanh_c[j] = tanh(c[j]);
            h[j] = o[j] * tanh_c[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximations_are_tight() {
        for i in -2000..2000 {
            let x = i as f32 / 50.0;
            let rel = (exp_approx(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-6, "exp({x}) rel err {rel}");
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "tanh({x})");
            let mut v = [x];
            sigmoid_in_place(&mut v);
            assert!((v[0] - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6);
        }
    }

    #[test]
    fn lstm_cell_matches_the_textbook_formula() {
        let pre = [0.3f32, -1.2, 0.5, 2.0, -0.7, 0.1, 1.5, -0.4];
        let c_prev = [0.25f32, -0.5];
        let (mut g, mut c, mut tc, mut h) = (pre, c_prev, [0.0; 2], [0.0; 2]);
        lstm_cell(&mut g, &mut c, &mut tc, &mut h);
        let s = |x: f32| 1.0 / (1.0 + (-x).exp());
        for j in 0..2 {
            let (i, f, o, gg) = (s(pre[j]), s(pre[2 + j]), s(pre[4 + j]), pre[6 + j].tanh());
            let cj = f * c_prev[j] + i * gg;
            assert!((c[j] - cj).abs() < 1e-6);
            assert!((h[j] - o * cj.tanh()).abs() < 1e-6);
            assert!((g[j] - i).abs() < 1e-6 && (g[6 + j] - gg).abs() < 1e-6);
        }
    }
}
