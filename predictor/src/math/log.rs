//! The natural logarithm, correctly rounded: the closest double to ln(x), from a double-double
//! (about 104-bit) evaluation, so the result is the same on every target.
//!
//! glibc's `log` (ARM optimized-routines, < 0.52 ulp) rests on a 128-entry table of 1/c, log(c)
//! whose c were picked by a search the published description does not pin down, so it cannot be
//! regenerated here (the published entries' log(c) errors, 2^-69.6 .. 2^-72.1, and their offsets
//! from 1/center, spread over the whole +-2^29 ulps, fit no unique optimum of the stated
//! criteria). Correct rounding agrees with glibc wherever glibc's own result is correctly
//! rounded: `predictor/tests/math_glibc.rs` measures the rest (4 in 10,000, each 1 ulp).
//!
//! Method: x = 2^k m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 +
//! ...) with s = (m - 1)/(m + 1), |s| < 0.172, summed in double-double; then k ln 2 is added with
//! ln 2 split in three parts (the first of 42 bits, so k times it is exact). Ziv's strategy
//! keeps it cheap: a fast evaluation (2s + (2/3)s^3 in double-double, the rest in doubles,
//! error < 2^-60) is rounded when its error interval rounds one way, which is 98.8% of inputs;
//! the full double-double series (error about 2^-100) decides the rest.

/// A double-double: the unevaluated sum hi + lo with |lo| <= ulp(hi) / 2.
#[derive(Clone, Copy)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// Exact a + b as (sum, error) (Knuth's two-sum; any order of magnitudes).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    Dd { hi: s, lo: e }
}

/// Exact a + b for |a| >= |b| (Dekker's fast two-sum).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

/// Veltkamp's split of a into two halves of at most 26 bits each.
#[inline(always)]
const fn split(a: f64) -> (f64, f64) {
    let t = 134_217_729.0 * a; // 2^27 + 1
    let hi = t - (t - a);
    (hi, a - hi)
}

/// Exact a * b as (product, error) without an FMA (Dekker), for the moderate magnitudes here.
#[inline(always)]
const fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    Dd { hi: p, lo: e }
}

#[inline(always)]
fn dd_add(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    let t = two_sum(a.lo, b.lo);
    let s = fast_two_sum(s.hi, s.lo + t.hi);
    fast_two_sum(s.hi, s.lo + t.lo)
}

#[inline(always)]
fn dd_mul(a: Dd, b: Dd) -> Dd {
    let p = two_prod(a.hi, b.hi);
    fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

/// 1/d as a double-double (d a small odd integer), computed at compile time.
const fn reciprocal(d: f64) -> Dd {
    let hi = 1.0 / d;
    let p = two_prod(hi, d);
    // 1 - hi*d exactly (p.hi is within an ulp of 1), divided by d.
    Dd {
        hi,
        lo: ((1.0 - p.hi) - p.lo) / d,
    }
}

/// Terms 0..=10 of the atanh series (1/(2j+1)) in double-double, 11..=21 in double.
const DD_TERMS: usize = 11;
const ALL_TERMS: usize = 22;
const INV_ODD: [Dd; DD_TERMS] = {
    let mut t = [Dd { hi: 0.0, lo: 0.0 }; DD_TERMS];
    let mut j = 0;
    while j < DD_TERMS {
        t[j] = reciprocal((2 * j + 1) as f64);
        j += 1;
    }
    t
};

// ln 2 = LN2_HI + LN2_MID + LN2_LO: LN2_HI is ln 2 rounded to 42 bits (0x1.62e42fefa38p-1),
// LN2_MID and LN2_LO the next two roundings of the remainder (computed with exact decimals).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_3800);
const LN2_MID: f64 = f64::from_bits(0x3d2e_f357_93c7_6730);
const LN2_LO: f64 = f64::from_bits(0x398f_97b5_7a07_9a19);
/// Bits of (about) sqrt(1/2): m = x / 2^k is brought into [this, 2 * this).
const OFF: u64 = 0x3fe6_a09e_667f_3bcd;

/// ln(x) correctly rounded (round to nearest even). log(±0) = -inf, log(+inf) = +inf, a NaN
/// comes back quieted, and a negative x (including -inf) gives the default NaN x86 produces for
/// glibc's `(x - x) / (x - x)`.
pub fn log(x: f64) -> f64 {
    let mut ix = x.to_bits();
    let top = ix >> 52;
    if x == 1.0 {
        return 0.0;
    }
    if top.wrapping_sub(0x001) >= 0x7ff - 0x001 {
        // zero, subnormal, inf, NaN or negative
        if ix << 1 == 0 {
            return f64::NEG_INFINITY;
        }
        if ix == f64::INFINITY.to_bits() {
            return x;
        }
        if x.is_nan() {
            return f64::from_bits(ix | 1 << 51);
        }
        if top & 0x800 != 0 {
            return f64::from_bits(0xfff8_0000_0000_0000);
        }
        // positive subnormal: scale it into the normal range
        ix = (x * f64::from_bits(0x4330_0000_0000_0000))
            .to_bits()
            .wrapping_sub(52u64 << 52);
    }
    let tmp = ix.wrapping_sub(OFF);
    let k = (tmp as i64 >> 52) as f64;
    let m = f64::from_bits(ix.wrapping_sub(tmp & 0xfff << 52));
    let s = atanh_argument(m);
    log_fast(k, s).unwrap_or_else(|| log_accurate(k, s))
}

/// s = (m - 1)/(m + 1) as a double-double: m - 1 is exact (Sterbenz), m + 1 is held exactly.
#[inline(always)]
fn atanh_argument(m: f64) -> Dd {
    let num = m - 1.0;
    let den = two_sum(m, 1.0);
    let q1 = num / den.hi;
    let p = two_prod(q1, den.hi);
    let rem = ((num - p.hi) - p.lo) - q1 * den.lo;
    fast_two_sum(q1, rem / den.hi)
}

/// k ln 2 as a double-double (k * LN2_HI is exact for |k| < 2^11).
#[inline(always)]
fn k_ln2(k: f64) -> Dd {
    let k_ln2 = dd_add(
        Dd {
            hi: k * LN2_HI,
            lo: 0.0,
        },
        two_prod(k, LN2_MID),
    );
    Dd {
        hi: k_ln2.hi,
        lo: k_ln2.lo + k * LN2_LO,
    }
}

/// 1/(2j+1) for j = 2..=14: the tail of the series in plain doubles.
const FAST_TAIL: [f64; 13] = {
    let mut t = [0.0; 13];
    let mut j = 0;
    while j < 13 {
        t[j] = 1.0 / (2 * (j + 2) + 1) as f64;
        j += 1;
    }
    t
};

/// 2/3 as a double-double.
const TWO_THIRDS: Dd = {
    let third = reciprocal(3.0);
    Dd {
        hi: 2.0 * third.hi,
        lo: 2.0 * third.lo,
    }
};

/// Relative error bound of `log_fast`'s double-double before its final rounding: about
/// 2^-62 (the s^5 tail is summed in doubles from s's high part alone), taken as 2^-60.
const FAST_ERROR: f64 = f64::from_bits(0x3c30_0000_0000_0000);

/// The cheap evaluation (2s + (2/3)s^3 in double-double, the rest in doubles) and its rounding,
/// or `None` when the true value may lie on the other side of a rounding boundary (about 1 in
/// 100 inputs); `log_accurate` decides those (Ziv's strategy).
#[inline(always)]
fn log_fast(k: f64, s: Dd) -> Option<f64> {
    let u = s.hi * s.hi;
    let mut tail = 0.0;
    for c in FAST_TAIL.iter().rev() {
        tail = tail * u + c;
    }
    let r5 = 2.0 * (s.hi * (u * u)) * tail;
    let cube = dd_mul(dd_mul(dd_mul(s, s), s), TWO_THIRDS);
    let ln_m = dd_add(
        Dd {
            hi: 2.0 * s.hi,
            lo: 2.0 * s.lo,
        },
        cube,
    );
    let ln_m = dd_add(ln_m, Dd { hi: r5, lo: 0.0 });
    let y = if k == 0.0 {
        ln_m
    } else {
        dd_add(k_ln2(k), ln_m)
    };
    let e = y.hi.abs() * FAST_ERROR;
    let (up, down) = (y.hi + (y.lo + e), y.hi + (y.lo - e));
    (up == down).then_some(up)
}

/// The full double-double evaluation (about 2^-100 relative error) and its rounding.
fn log_accurate(k: f64, s: Dd) -> f64 {
    let u = dd_mul(s, s);
    let mut tail = 0.0;
    let mut j = ALL_TERMS;
    while j > DD_TERMS {
        j -= 1;
        tail = tail * u.hi + 1.0 / (2 * j + 1) as f64;
    }
    let mut sum = Dd { hi: tail, lo: 0.0 };
    for term in INV_ODD.iter().rev() {
        sum = dd_add(dd_mul(sum, u), *term);
    }
    let ln_m = dd_mul(s, sum);
    let ln_m = Dd {
        hi: 2.0 * ln_m.hi,
        lo: 2.0 * ln_m.lo,
    };
    if k == 0.0 {
        return ln_m.hi + ln_m.lo;
    }
    let y = dd_add(k_ln2(k), ln_m);
    y.hi + y.lo
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 200,000 inputs (2 million with optimizations: `cargo test --release`).
    const LOG_FAST_CHECKS: u32 = if cfg!(debug_assertions) {
        200_000
    } else {
        2_000_000
    };

    /// Wherever the fast path answers, it answers what the accurate one does; and it answers
    /// nearly always.
    #[test]
    fn fast_path_agrees_with_the_accurate_one() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (mut n, mut fallbacks) = (0, 0);
        for i in 0..LOG_FAST_CHECKS {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let m = f64::from_bits(OFF) * (1.0 + (state >> 11) as f64 / (1u64 << 53) as f64);
            let k = [0.0, 1.0, -1.0, 10.0, -1074.0, 1023.0][i as usize % 6];
            let s = atanh_argument(m);
            n += 1;
            match log_fast(k, s) {
                Some(y) => assert_eq!(y.to_bits(), log_accurate(k, s).to_bits(), "k={k} m={m:e}"),
                None => fallbacks += 1,
            }
        }
        // Measured: 2,385 of 200,000 (1.2%).
        assert!(fallbacks * 50 < n, "{fallbacks} of {n} fell back");
    }

    #[test]
    fn special_values() {
        assert_eq!(log(1.0).to_bits(), 0);
        assert_eq!(log(0.0), f64::NEG_INFINITY);
        assert_eq!(log(-0.0), f64::NEG_INFINITY);
        assert_eq!(log(f64::INFINITY), f64::INFINITY);
        assert!(log(-1.0).is_nan() && log(f64::NEG_INFINITY).is_nan() && log(f64::NAN).is_nan());
        assert_eq!(log(core::f64::consts::E), 1.0);
        assert_eq!(log(2.0), core::f64::consts::LN_2);
        assert_eq!(log(10.0), core::f64::consts::LN_10);
        // the smallest subnormal: -1074 ln 2 = -744.4400719213812...
        assert_eq!(log(f64::from_bits(1)), -744.4400719213812);
        assert_eq!(log(f64::MAX), 709.782712893384);
    }
}
