//! numpy 1.20/1.21's float64 `exp` and `log` on AVX-512F CPUs (before numpy 1.22 switched to
//! SVML): the `AVX512F_exp_DOUBLE` and `AVX512F_log_DOUBLE` kernels of
//! `loops_exponent_log.dispatch.c.src`, Tang's table-driven methods (ACM TOMS 15, 1989; 16, 1990),
//! one lane at a time. scikit-learn 1.0's zoo line (numpy 1.21.6) ran them.
//!
//! exp: x = (32 m + j) ln2/32 + r; exp(x) = 2^m (T[j] + T[j] p(r)) with 2^(j/32) = TOP[j] +
//! TAIL[j] (`numpy_tang_table.rs`, generated) and p(r) ~= e^r - 1 a degree-5 polynomial; the
//! scaling is `vscalefpd`, one rounding even into the subnormal range.
//! log: x = 2^k z, z in [1, 2), c = 1 + i/64 the table point below z; u = 2 (z - c)/(z + c);
//! log x = k ln2 + log c + u + u^3 q(u^2), log c = LOG_TOP[i] + LOG_TAIL[i]; inputs in
//! (1 - 2^-4, 1 + 0x1.09p-4) go to the C library's log instead (numpy's `npy_log`).

use super::fma;
use super::numpy_tang_table::{TANG_LOG_TAIL, TANG_LOG_TOP, TANG_TAIL, TANG_TOP};

// numpy's constants (npy_simd_data.h): 32/ln2, the rounding shifter 1.5 * 2^52, -ln2/32 split
// (L1 with trailing zeros), and Tang's polynomial coefficients A1..A5.
const INV_LN2_MUL_32: f64 = f64::from_bits(0x4047_1547_652b_82fe);
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
const NEG_L1: f64 = f64::from_bits(0xbf96_2e42_fef0_0000);
const NEG_L2: f64 = f64::from_bits(0xbd84_73de_6af2_78ed);
const A1: f64 = 0.5;
const A2: f64 = f64::from_bits(0x3fc5_5555_5554_8f7c);
const A3: f64 = f64::from_bits(0x3fa5_5555_5554_5d4e);
const A4: f64 = f64::from_bits(0x3f81_1115_b7aa_905e);
const A5: f64 = f64::from_bits(0x3f56_c172_8d73_9765);
/// Above it the result is +inf, below `MIN` 0 (0x1.62e42fefa39efp+9, -0x1.74910d52d3053p+9).
const MAX: f64 = f64::from_bits(0x4086_2e42_fefa_39ef);
const MIN: f64 = f64::from_bits(0xc087_4910_d52d_3053);

// The log kernel's constants (npy_simd_data.h): Tang's coefficients and ln 2 split.
const LOG_A1: f64 = f64::from_bits(0x3fb5_5555_5555_54e6);
const LOG_A2: f64 = f64::from_bits(0x3f89_9999_99ba_c6d4);
const LOG_A3: f64 = f64::from_bits(0x3f62_4923_07f1_519f);
const LOG_A4: f64 = f64::from_bits(0x3f3c_8034_c85d_fff0);
const LOG_LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_4000);
const LOG_LN2_LO: f64 = f64::from_bits(0xbd48_432a_1b0e_2634);

/// ln(x) as numpy 1.20 and 1.21 compute it for float64 arrays on an AVX-512F CPU; near 1 it
/// is the C library's (here the correctly rounded [`super::log`], 1 ulp from glibc's on 4 in
/// 10,000 inputs). NaN, zero, infinite and negative inputs give NaN, -inf, +inf and -NaN.
pub fn log_numpy_1_21_avx512(x: f64) -> f64 {
    if x < 1.0 + f64::from_bits(0x3fb0_9000_0000_0000)
        && x > 1.0 - f64::from_bits(0x3fb0_0000_0000_0000)
    {
        return super::log(x);
    }
    if x.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x < 0.0 {
        return -f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    let mut ix = x.to_bits();
    if ix & 0xfff0_0000_0000_0000 == 0 {
        ix = (x * f64::from_bits(0x4330_0000_0000_0000))
            .to_bits()
            .wrapping_sub(52 << 52);
    }
    let tmp = ix.wrapping_sub(0x3ff0_0000_0000_0000);
    let i = ((tmp as i64 >> 46) & 0x3f) as usize;
    let k = (tmp as i64 >> 52) as f64;
    let z = f64::from_bits(ix.wrapping_sub(tmp & 0xfff0_0000_0000_0000));
    let c = fma(i as f64, 1.0 / 64.0, 1.0);
    let u = 2.0 * ((z - c) / (z + c));
    let v = u * u;
    let q = fma(v, fma(v, fma(v, LOG_A4, LOG_A3), LOG_A2), LOG_A1) * v;
    let res = fma(u, q, u);
    let (hi, lo) = (
        f64::from_bits(TANG_LOG_TOP[i]),
        f64::from_bits(TANG_LOG_TAIL[i]),
    );
    (fma(k, LOG_LN2_HI, hi) + fma(k, LOG_LN2_LO, lo)) + res
}

/// e^x as numpy 1.20 and 1.21 compute it for float64 arrays on an AVX-512F CPU.
pub fn exp_numpy_1_21_avx512(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x > MAX {
        return f64::INFINITY;
    }
    if x < MIN {
        return 0.0;
    }
    if x.abs() < f64::from_bits(0x3c90_0000_0000_0000) {
        return 1.0; // the kernel zeroes x there, then returns x + 1
    }
    let kd = x * INV_LN2_MUL_32 + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r1 = fma(kd, NEG_L1, x);
    let r2 = kd * NEG_L2;
    let r = r1 + r2;
    let q = fma(fma(fma(fma(A5, r, A4), r, A3), r, A2), r, A1) * r;
    let p = r1 + fma(r, q, r2);
    let j = (ki & 0x1f) as usize;
    let (top, tail) = (f64::from_bits(TANG_TOP[j]), f64::from_bits(TANG_TAIL[j]));
    let res = fma(top + tail, p, tail) + top;
    scalef(res, libm::floor(kd / 32.0))
}

/// `vscalefpd`: res * 2^n rounded once, n an integer in [-1100, 1100].
fn scalef(res: f64, n: f64) -> f64 {
    let n = n as i64;
    let half = n / 2;
    let pow2 = |e: i64| f64::from_bits(((1023 + e) as u64) << 52);
    // Two exact powers of two: the first product is exact, the second rounds once.
    (res * pow2(half)) * pow2(n - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_limits() {
        assert_eq!(
            f64::from_bits(TANG_TOP[16] & !0x3f),
            f64::from_bits(TANG_TOP[16])
        );
        assert_eq!(exp_numpy_1_21_avx512(0.0), 1.0);
        assert_eq!(exp_numpy_1_21_avx512(1000.0), f64::INFINITY);
        assert_eq!(exp_numpy_1_21_avx512(-1000.0), 0.0);
        assert!((exp_numpy_1_21_avx512(1.0) - core::f64::consts::E).abs() < 1e-15);
    }
}
