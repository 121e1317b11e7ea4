//! numpy's own float64 `log` on AVX-512 CPUs: numpy >= 1.22 on Linux x86-64 hands contiguous
//! float64 arrays to Intel SVML's `__svml_log8_ha` on AVX512_SKX CPUs, not to the C library.
//! scikit-learn's GaussianNB, for one, calls it at prediction time (`np.log(2 pi var)`, and
//! `logsumexp`).
//!
//! The kernel (read in the disassembly of numpy 2.1.3's `_multiarray_umath`): x = 2^e m with
//! m in [1, 2); c = an approximation of 1/m (`vrcp14pd`) rounded to a multiple of 1/32;
//! R = c m - 1 (fused, exact); log x = e ln2 - log c + log(1 + R) with -log c from a 16-entry
//! table (`numpy_log_table.rs`, generated), log(1 + R) = R + R^2 P(R), P of degree 7, and the sum
//! ordered as below. `vrcp14pd`'s exact bits are not documented in what this was written from,
//! so c is taken as 1/m correctly rounded to 1/32: the two differ only when 32/m lies within
//! 2^-9 of a half-integer, and even then the result mostly agrees (measured: see the tests).
//! NaN, zero, infinite and negative inputs take SVML's scalar path; here they give the IEEE
//! values (NaN, -inf, +inf, NaN).

use super::fma;
use super::numpy_log_table::{NUMPY_LOG_HI, NUMPY_LOG_LA, NUMPY_LOG_LO};

// The constants of SVML's dlog_ha AVX-512 kernel (numpy's bundled SVML, BSD-3-Clause), as bit
// patterns read from its data table: P(R) ~= -1/2 + R/3 - R^2/4 + ... + R^7/9.
const P9: f64 = f64::from_bits(0x3fbc_81cd_309d_7c70);
const P8: f64 = f64::from_bits(0xbfc0_0735_7e93_af62);
const P7: f64 = f64::from_bits(0x3fc2_4922_9cee_81ef);
const P6: f64 = f64::from_bits(0xbfc5_5553_fb28_db06);
const P5: f64 = f64::from_bits(0x3fc9_9999_99cc_9f5c);
const P4: f64 = f64::from_bits(0xbfd0_0000_000c_05bd);
const P3: f64 = f64::from_bits(0x3fd5_5555_5555_5466);
const P2: f64 = f64::from_bits(0xbfdf_ffff_ffff_ffc6);
/// ln 2 = LN2_HI + LN2_LO, LN2_HI with trailing zeros so e * LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_0000);
const LN2_LO: f64 = f64::from_bits(0x3d7c_f79a_bc9e_0000);

/// ln(x) as numpy >= 1.22 computes it for float64 arrays on an AVX512_SKX CPU (SVML's
/// `__svml_log8_ha`), see the module doc for what is exact.
pub fn log_numpy_avx512(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x <= 0.0 || x == f64::INFINITY {
        return if x == 0.0 {
            f64::NEG_INFINITY
        } else if x < 0.0 {
            f64::NAN
        } else {
            x
        };
    }
    // getexp / getmant: x = 2^e m, m in [1, 2), subnormals normalized.
    let (mut bits, mut e) = (x.to_bits(), 0i64);
    if bits >> 52 == 0 {
        bits = (x * f64::from_bits(0x4330_0000_0000_0000)).to_bits(); // * 2^52
        e = -52;
    }
    e += (bits >> 52) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    // c ~= 1/m on the 1/32 grid (rndscale to 5 fraction bits, nearest-even).
    let c = round_half_even(32.0 / m) / 32.0;
    let mut ed = e as f64;
    if c < 0.75 {
        ed += 1.0;
    }
    let j = ((c.to_bits() >> 48) & 0xf) as usize;
    let r = fma(c, m, -1.0);
    let r2 = r * r;
    let r4 = r2 * r2;
    let a = fma(r2, fma(P9, r, P8), fma(P7, r, P6));
    let b = fma(r2, fma(P5, r, P4), fma(P3, r, P2));
    let p = fma(r4, a, b);
    let head = fma(ed, LN2_HI, f64::from_bits(NUMPY_LOG_HI[j]));
    let hi = head + r;
    let r_lo = r - (hi - head);
    let lo = fma(r2, p, r_lo) + fma(LN2_LO, ed, f64::from_bits(NUMPY_LOG_LO[j]));
    hi + lo
}

/// ln 2 rounded (the default-accuracy kernel's).
const LN2: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);

/// ln(x) as numpy 1.22 .. 1.24 compute it for float64 arrays on an AVX512_SKX CPU: SVML's
/// default-accuracy `__svml_log8` (numpy 1.24.4 checked; numpy 2.x calls the `_ha` kernel,
/// [`log_numpy_avx512`]): the same reduction and polynomial, one table of -log(c) and one ln 2.
pub fn log_numpy_svml_la(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x <= 0.0 || x == f64::INFINITY {
        return if x == 0.0 {
            f64::NEG_INFINITY
        } else if x < 0.0 {
            f64::NAN
        } else {
            x
        };
    }
    let (mut bits, mut e) = (x.to_bits(), 0i64);
    if bits >> 52 == 0 {
        bits = (x * f64::from_bits(0x4330_0000_0000_0000)).to_bits();
        e = -52;
    }
    e += (bits >> 52) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let c = round_half_even(32.0 / m) / 32.0;
    let mut ed = e as f64;
    if c < 0.75 {
        ed += 1.0;
    }
    let j = ((c.to_bits() >> 48) & 0xf) as usize;
    let r = fma(c, m, -1.0);
    let r2 = r * r;
    let r4 = r2 * r2;
    let a = fma(r2, fma(P9, r, P8), fma(P7, r, P6));
    let b = fma(r2, fma(P5, r, P4), fma(P3, r, P2));
    let p = fma(r4, a, b);
    fma(LN2, ed, f64::from_bits(NUMPY_LOG_LA[j]) + fma(r2, p, r))
}

/// Round to the nearest integer, ties to even (for 16 <= v <= 32).
fn round_half_even(v: f64) -> f64 {
    const SHIFT: f64 = 4_503_599_627_370_496.0; // 2^52: adding it rounds to an integer
    (v + SHIFT) - SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_values() {
        assert_eq!(log_numpy_avx512(1.0).to_bits(), 0);
        assert_eq!(log_numpy_avx512(0.0), f64::NEG_INFINITY);
        assert_eq!(log_numpy_avx512(f64::INFINITY), f64::INFINITY);
        assert!(log_numpy_avx512(-1.0).is_nan() && log_numpy_avx512(f64::NAN).is_nan());
        assert!((log_numpy_avx512(2.0) - core::f64::consts::LN_2).abs() < 1e-16);
        assert!((log_numpy_avx512(f64::from_bits(1)) + 744.4400719213812).abs() < 1e-12);
    }
}
