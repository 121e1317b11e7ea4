//! `exp` as glibc (>= 2.28) computes it on x86-64 CPUs with FMA and AVX2 (and on aarch64): the
//! ARM optimized-routines algorithm, with each multiply-add fused exactly where GCC fuses it.
//!
//! The algorithm (Szabolcs Nagy, ARM, 2018; the same one in glibc's
//! `sysdeps/ieee754/dbl-64/e_exp.c` and musl's `src/math/exp.c`):
//! x = k ln2/128 + r with |r| <= ln2/256; exp(x) = 2^(k/128) exp(r), where 2^(k/128) comes from
//! a 128-entry table as `scale * (1 + tail)` and exp(r) - 1 from a degree-5 polynomial, so the
//! result is `scale + scale * (tail + r + r^2 (C2 + r C3) + r^4 (C4 + r C5))`.
//!
//! glibc on x86-64 picks, at load time, a build of that C code compiled with `-mfma -mavx2`
//! (`__exp_fma`) when the CPU has FMA and AVX2, and GCC then contracts `a * b + c` into one
//! fused multiply-add. The disassembly of Debian's glibc 2.36 `__exp_fma` shows eight fused
//! operations (marked `fma` below); everything else is a plain IEEE operation. [`exp_sse2`] is
//! the same algorithm without any fusing, as glibc computes it on CPUs without FMA (`__exp_sse2`).

use super::exp_table::EXP_TABLE;
use super::madd;

const TABLE_BITS: u32 = 7;
const N: u64 = 1 << TABLE_BITS;

// Constants of the published algorithm (optimized-routines `math/exp_data.c`, N = 128,
// EXP_POLY_ORDER = 5, !EXP_POLY_WIDE; glibc `sysdeps/ieee754/dbl-64/e_exp_data.c`).
/// 128 / ln 2, rounded.
const INV_LN2_N: f64 = f64::from_bits(0x3ff7_1547_652b_82fe) * N as f64;
/// -ln2/128 split so that `k * NEG_LN2_HI_N` is exact for the k that occur.
const NEG_LN2_HI_N: f64 = -f64::from_bits(0x3f76_2e42_fefa_0000);
const NEG_LN2_LO_N: f64 = -f64::from_bits(0x3d0c_f79a_bc9e_3b3a);
/// 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
// The Remez coefficients of exp(r) - 1 - r on |r| < ln2/256 + eps (abs error 1.555 * 2^-66),
// as published in `exp_data.c`: 0x1.ffffffffffdbdp-2, 0x1.555555555543cp-3,
// 0x1.55555cf172b91p-5, 0x1.1111167a4d017p-7.
const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);

/// 2^1009 and 2^-1022, the rescaling factors of the overflow and underflow paths.
const TWO_1009: f64 = f64::from_bits(0x7f00_0000_0000_0000);
const TWO_M1022: f64 = f64::from_bits(0x0010_0000_0000_0000);

/// Top 12 bits of a double (sign and exponent).
const fn top12(x: f64) -> u32 {
    (x.to_bits() >> 52) as u32
}

/// e^x, bit-identical to glibc's `exp` on CPUs with FMA and AVX2 (every x86-64 since 2013's
/// Haswell, and aarch64), which is what scipy's `expit` and numpy's `exp` (without AVX-512)
/// call on Linux.
pub fn exp(x: f64) -> f64 {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "fma")))]
    if std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA, checked just above.
        return unsafe { exp_with_fma_instructions(x) };
    }
    exp_algorithm::<true>(x)
}

/// The fused algorithm compiled with FMA instructions inline (the same bits as the software or
/// library `fma`, 5x faster than calling the C library's `fma` eight times).
#[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "fma")))]
#[target_feature(enable = "fma")]
fn exp_with_fma_instructions(x: f64) -> f64 {
    exp_algorithm::<true>(x)
}

/// e^x, bit-identical to glibc's `exp` on x86-64 CPUs without FMA (`__exp_sse2`).
pub fn exp_sse2(x: f64) -> f64 {
    exp_algorithm::<false>(x)
}

#[inline(always)]
fn exp_algorithm<const FUSED: bool>(x: f64) -> f64 {
    let mut abstop = top12(x) & 0x7ff;
    if abstop.wrapping_sub(top12(f64::from_bits(0x3c90_0000_0000_0000)))
        >= top12(512.0) - top12(f64::from_bits(0x3c90_0000_0000_0000))
    {
        // |x| < 2^-54 (including 0): 1 + x rounds to 1 (or to 1 - 2^-53 for tiny negatives).
        if abstop.wrapping_sub(top12(f64::from_bits(0x3c90_0000_0000_0000))) >= 0x8000_0000 {
            return 1.0 + x;
        }
        if abstop >= top12(1024.0) {
            if x == f64::NEG_INFINITY {
                return 0.0;
            }
            if abstop >= top12(f64::INFINITY) {
                // +inf stays inf; a NaN comes back quieted with its payload, as x86's 1.0 + x
                // gives it (wasm would be free to pick any NaN bits for the addition).
                return if x.is_nan() {
                    f64::from_bits(x.to_bits() | 1 << 51)
                } else {
                    1.0 + x
                };
            }
            return if x.is_sign_negative() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        // 512 <= |x| < 1024: the result may overflow or be subnormal, see `special_case`.
        abstop = 0;
    }

    let kd_shifted = madd::<FUSED>(INV_LN2_N, x, SHIFT); // fma
    let ki = kd_shifted.to_bits();
    let kd = kd_shifted - SHIFT;
    let r = madd::<FUSED>(kd, NEG_LN2_LO_N, madd::<FUSED>(kd, NEG_LN2_HI_N, x)); // fma, fma
    let idx = 2 * (ki % N) as usize;
    let top = ki << (52 - TABLE_BITS);
    let tail = f64::from_bits(EXP_TABLE[idx]);
    // A valid scale only when -1023*128 < k < 1024*128 (the normal path).
    let sbits = EXP_TABLE[idx + 1].wrapping_add(top);
    let r2 = r * r;
    let c23 = madd::<FUSED>(r, C3, C2); // fma
    let c45 = madd::<FUSED>(r, C5, C4); // fma
    let tmp = madd::<FUSED>(r2 * r2, c45, madd::<FUSED>(r2, c23, tail + r)); // fma, fma
    if abstop == 0 {
        return special_case::<FUSED>(tmp, sbits, ki);
    }
    let scale = f64::from_bits(sbits);
    madd::<FUSED>(scale, tmp, scale) // fma
}

/// scale * (1 + tmp) where the exponent of scale (held in `sbits`) may have overflowed: k > 0
/// may overflow, k < 0 may be subnormal, where the sum is rounded once more carefully to avoid
/// a double rounding.
fn special_case<const FUSED: bool>(tmp: f64, sbits: u64, ki: u64) -> f64 {
    if ki & 0x8000_0000 == 0 {
        // k > 0: the exponent of scale may be over the top by up to 460.
        let scale = f64::from_bits(sbits.wrapping_sub(1009u64 << 52));
        return TWO_1009 * madd::<FUSED>(scale, tmp, scale); // fma
    }
    // k < 0: careful in the subnormal range. `scale * tmp` is used twice, so GCC keeps it
    // as its own rounded product here, fused build or not.
    let scale = f64::from_bits(sbits.wrapping_add(1022u64 << 52));
    let scaled_tmp = scale * tmp;
    let mut y = scale + scaled_tmp;
    if y < 1.0 {
        let lo = scale - y + scaled_tmp;
        let hi = 1.0 + y;
        let lo = 1.0 - hi + y + lo;
        y = (hi + lo) - 1.0;
        // Avoid -0.0 (only possible in downward rounding, kept for fidelity).
        if y == 0.0 {
            y = 0.0;
        }
    }
    TWO_M1022 * y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert_eq!(exp(0.0).to_bits(), 1.0f64.to_bits());
        assert_eq!(exp(-0.0).to_bits(), 1.0f64.to_bits());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-746.0).to_bits(), 0);
        assert_eq!(exp(-1e300).to_bits(), 0);
        assert!(exp(f64::NAN).is_nan());
        // The smallest subnormal and the largest finite result.
        assert_eq!(exp(-745.1332191019411).to_bits(), 1);
        assert!(exp(709.78).is_finite() && exp(709.79).is_infinite());
    }

    #[test]
    fn exact_at_one() {
        assert_eq!(exp(1.0), core::f64::consts::E);
    }
}
