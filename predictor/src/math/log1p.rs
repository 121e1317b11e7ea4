//! `log1p` as glibc computes it (fdlibm's `s_log1p.c`, with Shimizu's 1997 pipelining change),
//! needed by scipy's `logit` since 1.15: glibc's x86-64 build contracted with FMA
//! (`__log1p_fma`, picked on FMA + AVX2 CPUs) and the plain one ([`log1p_sse2`]).
//!
//! Algorithm (Sun Microsystems, 1993): 1 + x = 2^k (1 + f) with sqrt(2)/2 < 1 + f < sqrt(2),
//! plus a correction c ~ ((1 + x) - u)/u for the rounding of u = 1 + x; s = f/(2 + f);
//! log(1 + f) = f - (f^2/2 - s (f^2/2 + R(s^2))) with R a degree-7 polynomial in s^2; the result
//! k ln2_hi - ((f^2/2 - (s (f^2/2 + R) + (k ln2_lo + c))) - f). The fused operations follow the
//! disassembly of Debian's glibc 2.36 `__log1p_fma` (marked `fma` below).

use super::madd;

// fdlibm's constants (s_log1p.c): ln 2 split so that k * LN2_HI is exact for |k| < 2000, and
// the Remez coefficients Lp1..Lp7 of R(z) on [0, 0.1716] (error < 2^-58.45).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LP1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
const LP2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
const LP3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
const LP4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
const LP5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
const LP6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
const LP7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);
/// The double nearest 2/3, of the |f| < 2^-20 shortcut.
const TWO_THIRDS: f64 = f64::from_bits(0x3fe5_5555_5555_5555);

/// log(1 + x), bit-identical to glibc's `log1p` on CPUs with FMA and AVX2.
pub fn log1p(x: f64) -> f64 {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "fma")))]
    if std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA, checked just above.
        return unsafe { log1p_with_fma_instructions(x) };
    }
    log1p_algorithm::<true>(x)
}

/// The fused algorithm compiled with FMA instructions inline (the same bits as the library `fma`).
#[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "fma")))]
#[target_feature(enable = "fma")]
fn log1p_with_fma_instructions(x: f64) -> f64 {
    log1p_algorithm::<true>(x)
}

/// log(1 + x), bit-identical to glibc's `log1p` on x86-64 CPUs without FMA.
pub fn log1p_sse2(x: f64) -> f64 {
    log1p_algorithm::<false>(x)
}

/// The high 32 bits of a double's representation, as a signed integer.
const fn high_word(x: f64) -> i32 {
    (x.to_bits() >> 32) as u32 as i32
}

/// `x` with its high 32 bits replaced.
const fn with_high_word(x: f64, hi: u32) -> f64 {
    f64::from_bits((x.to_bits() & 0xffff_ffff) | (hi as u64) << 32)
}

#[inline(always)]
fn log1p_algorithm<const FUSED: bool>(x: f64) -> f64 {
    let hx = high_word(x);
    let ax = hx & 0x7fff_ffff;
    let mut k = 1i32;
    let mut f = 0.0;
    let mut hu = 0i32;
    let mut c = 0.0;
    if hx < 0x3fda_827a {
        // x < 0.41422
        if ax >= 0x3ff0_0000 {
            // x <= -1.0 (or a NaN with its sign bit set)
            if x == -1.0 {
                return f64::NEG_INFINITY;
            }
            return if x.is_nan() { quiet(x) } else { DEFAULT_NAN };
        }
        if ax < 0x3e20_0000 {
            // |x| < 2^-29
            if ax < 0x3c90_0000 {
                return x;
            }
            return madd::<FUSED>(-(x * x), 0.5, x); // fma: x - x*x*0.5
        }
        if hx > 0 || hx <= 0xbfd2_bec3_u32 as i32 {
            // -0.2929 < x < 0.41422: f = x exactly
            k = 0;
            f = x;
            hu = 1;
        }
    } else if hx >= 0x7ff0_0000 {
        // +inf or a NaN: x + x
        return if x.is_nan() { quiet(x) } else { x };
    }
    if k != 0 {
        let u;
        if hx < 0x4340_0000 {
            u = 1.0 + x;
            hu = high_word(u);
            k = (hu >> 20) - 1023;
            c = if k > 0 { 1.0 - (u - x) } else { x - (u - 1.0) }; // correction term
            c /= u;
        } else {
            u = x;
            hu = high_word(u);
            k = (hu >> 20) - 1023;
            c = 0.0;
        }
        hu &= 0x000f_ffff;
        let normalized = if hu < 0x6a09e {
            with_high_word(u, hu as u32 | 0x3ff0_0000) // u in [1, sqrt(2))
        } else {
            k += 1;
            let v = with_high_word(u, hu as u32 | 0x3fe0_0000); // u/2 in [sqrt(2)/2, 1)
            hu = (0x0010_0000 - hu) >> 2;
            v
        };
        f = normalized - 1.0;
    }
    let hfsq = 0.5 * f * f;
    let kd = k as f64;
    if hu == 0 {
        // |f| < 2^-20
        if f == 0.0 {
            if k == 0 {
                return 0.0;
            }
            return madd::<FUSED>(kd, LN2_HI, madd::<FUSED>(kd, LN2_LO, c)); // fma, fma
        }
        let r = madd::<FUSED>(-f, TWO_THIRDS, 1.0) * hfsq; // fma
        if k == 0 {
            return f - r;
        }
        let t = (r - madd::<FUSED>(kd, LN2_LO, c)) - f; // fma
        return madd::<FUSED>(kd, LN2_HI, -t); // fma
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let r2 = madd::<FUSED>(z, LP3, LP2); // fma
    let r3 = madd::<FUSED>(z, LP5, LP4); // fma
    let r4 = madd::<FUSED>(z, LP7, LP6); // fma
    let z2 = z * z;
    let z4 = z2 * z2;
    let z6 = z2 * z4;
    // R = z Lp1 + z2 R2 + z4 R3 + z6 R4, left to right.
    let r = madd::<FUSED>(z, LP1, z2 * r2); // fma
    let r = madd::<FUSED>(z4, r3, r); // fma
    let r = madd::<FUSED>(z6, r4, r); // fma
    let s_term = s * (hfsq + r);
    if k == 0 {
        return f - (hfsq - s_term);
    }
    let t = (hfsq - (s_term + madd::<FUSED>(kd, LN2_LO, c))) - f; // fma
    madd::<FUSED>(kd, LN2_HI, -t) // fma
}

/// The NaN x86 produces for an invalid operation such as 0/0 (sign set, quiet, no payload).
const DEFAULT_NAN: f64 = f64::from_bits(0xfff8_0000_0000_0000);

/// A NaN with its quiet bit set, payload and sign kept, as x86 arithmetic returns it.
const fn quiet(x: f64) -> f64 {
    f64::from_bits(x.to_bits() | 1 << 51)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert_eq!(log1p(0.0).to_bits(), 0);
        assert_eq!(log1p(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(log1p(-1.0), f64::NEG_INFINITY);
        assert_eq!(log1p(f64::INFINITY), f64::INFINITY);
        assert_eq!(log1p(-2.0).to_bits(), DEFAULT_NAN.to_bits());
        assert!(log1p(f64::NAN).is_nan());
        assert_eq!(log1p(1e-300), 1e-300);
        assert_eq!(log1p(core::f64::consts::E - 1.0), 1.0);
    }
}
