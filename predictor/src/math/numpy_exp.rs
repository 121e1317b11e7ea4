//! numpy's own float64 `exp` on AVX-512 CPUs: numpy >= 1.22 on Linux x86-64 hands contiguous
//! float64 arrays to Intel SVML's `__svml_exp8_ha` when the CPU has AVX512_SKX, instead of the
//! C library's `exp`; 4.6% of its results are 1 ulp from glibc's. Reproduced here so a model
//! whose reference was computed on such a CPU can be matched too.
//!
//! The kernel (read in the disassembly of numpy 2.1.3's `_multiarray_umath`): N = x log2(e)
//! rounded DOWN to a multiple of 1/16 (a fused multiply-add with a 1.5 * 2^48 shifter under
//! round-toward-zero), j = 16 frac(N); r = (x - N ln2_hi) - N ln2_lo (two fused steps);
//! exp(x) = 2^floor(N) * H[j] (1 + T[j] + r p(r)), p a degree-5 polynomial, all fused, where
//! 2^(j/16) ~= H[j] (1 + T[j]) are entries 8j of the exp table (`exp_table.rs`). Inputs with
//! |x| >= 707.70327 (and NaN) go to SVML's scalar "rare" routine, which is NOT reproduced: there
//! this returns glibc's value ([`super::exp`]), 1 ulp from numpy's on 144 of 284,751 such inputs
//! measured. Below that: 0 of 2,515,249 differ (numpy 2.1.3; `tests/math_reference.rs` holds a
//! recorded sample).

use super::exp_table::EXP_TABLE;
use super::fma;

// The constants of SVML's dexp_ha AVX-512 kernel (numpy's bundled SVML, BSD-3-Clause), as
// bit patterns read from its data table.
/// log2(e) rounded.
const LOG2E: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
/// 1.5 * 2^48 + 1023: rounds to multiples of 1/16 (the low bits then hold 16 (N + 1023)).
const SHIFTER: f64 = f64::from_bits(0x42f8_0000_0000_3ff0);
/// ln 2 rounded, and the rounding error of that.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
const LN2_LO: f64 = f64::from_bits(0x3c7a_bc9e_3b39_803f);
/// p(r) ~= (e^r - 1)/r: C5 r^5 + ... + C0.
const C5: f64 = f64::from_bits(0x3f57_4118_3694_0c04);
const C4: f64 = f64::from_bits(0x3f81_101c_bbc2_65c0);
const C3: f64 = f64::from_bits(0x3fa5_5557_242d_68fe);
const C2: f64 = f64::from_bits(0x3fc5_5555_5393_9732);
const C1: f64 = f64::from_bits(0x3fe0_0000_0000_d008);
const C0: f64 = f64::from_bits(0x3fef_ffff_ffff_ff70);
/// |x| at and above which SVML takes its scalar path (0x1.61da04cbafe44p+9).
const RARE: f64 = f64::from_bits(0x4086_1da0_4cba_fe44);
/// One step of the shifter's grid (2^-4), for rounding down.
const GRID: f64 = 0.0625;

/// e^x as numpy >= 1.22 computes it for float64 arrays on an AVX512_SKX CPU (SVML's
/// `__svml_exp8_ha`): bit-identical for |x| < 707.70327, glibc's value beyond (see module doc).
pub fn exp_numpy_avx512(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= RARE {
        return super::exp(x);
    }
    // z = x * log2(e) + SHIFTER rounded toward zero: the nearest rounding, one grid step down
    // when it rounded up (the exact residual's sign says which; z - SHIFTER is exact).
    let mut z = fma(x, LOG2E, SHIFTER);
    if fma(x, LOG2E, -(z - SHIFTER)) < 0.0 {
        z -= GRID;
    }
    let n = z - SHIFTER;
    let j = (z.to_bits() & 0xf) as usize;
    let r = fma(-n, LN2_HI, x);
    let r = fma(-n, LN2_LO, r);
    let r2 = r * r;
    let a = fma(r, C5, C4);
    let b = fma(r, C3, C2);
    let c = fma(r, C1, C0);
    let p = fma(r2, fma(r2, a, b), c);
    let tail = f64::from_bits(EXP_TABLE[16 * j]);
    let head = f64::from_bits(EXP_TABLE[16 * j + 1].wrapping_add((8 * j as u64) << 45));
    let res = fma(head, fma(p, r, tail), head);
    // scalef(res, N): res * 2^floor(N); here floor(N) is in [-1022, 1021], so exactly.
    let m = libm::floor(n) as i64;
    res * f64::from_bits(((1023 + m) as u64) << 52)
}

// The "la" (low accuracy, the SVML default) kernel's polynomial: e^r ~= 1 + r + L2 r^2 + r^3 (L3
// + L4 r + r^2 (L5 + L6 r)); its reduction and 2^(j/16) table are the ones above.
const L6: f64 = f64::from_bits(0x3f57_2eb5_ef0d_213d);
const L5: f64 = f64::from_bits(0x3f81_1066_03d9_7c00);
const L4: f64 = f64::from_bits(0x3fa5_5556_4bb4_f5f0);
const L3: f64 = f64::from_bits(0x3fc5_5555_54b5_08a2);
const L2: f64 = f64::from_bits(0x3fe0_0000_0000_2622);

/// e^x as numpy 1.22 .. 1.24 compute it for float64 arrays on an AVX512_SKX CPU: SVML's
/// default-accuracy `__svml_exp8` (numpy 1.24.4 checked; numpy 2.x calls the `_ha` kernel, see
/// [`exp_numpy_avx512`]). Bit-identical for |x| < 707.70327, glibc's value beyond.
pub fn exp_numpy_svml_la(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= RARE {
        return super::exp(x);
    }
    let mut z = fma(x, LOG2E, SHIFTER);
    if fma(x, LOG2E, -(z - SHIFTER)) < 0.0 {
        z -= GRID;
    }
    let n = z - SHIFTER;
    let j = (z.to_bits() & 0xf) as usize;
    let r = fma(-n, LN2_HI, x);
    let r = fma(-n, LN2_LO, r);
    let r2 = r * r;
    let r3 = r2 * r;
    let a = fma(r2, fma(r, L6, L5), fma(r, L4, L3));
    let poly = fma(r3, a, fma(r2, L2, r));
    let head = f64::from_bits(EXP_TABLE[16 * j + 1].wrapping_add((8 * j as u64) << 45));
    let res = fma(head, poly, head);
    let m = libm::floor(n) as i64;
    res * f64::from_bits(((1023 + m) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_entries_are_sixteenths() {
        // H[8] is sqrt(2) rounded.
        let head = f64::from_bits(EXP_TABLE[16 * 8 + 1].wrapping_add(64 << 45));
        assert_eq!(head, core::f64::consts::SQRT_2);
        assert_eq!(exp_numpy_avx512(0.0), 1.0);
        assert_eq!(exp_numpy_avx512(f64::NEG_INFINITY), 0.0);
        assert!(exp_numpy_avx512(f64::NAN).is_nan());
    }
}
