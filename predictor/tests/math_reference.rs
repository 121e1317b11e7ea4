//! Holds `predictor::math` to the values Python's math module (the C library), numpy and scipy
//! returned (tools/math_reference.py), compiled in, so the same check runs natively and in wasm.

use predictor::math;

const LIBM: &str = include_str!("data/math_libm.txt");
const LINKS: &str = include_str!("data/math_links.txt");
const NUMPY_1_21: &str = include_str!("data/math_numpy_1_21.txt");
const NUMPY_1_24: &str = include_str!("data/math_numpy_1_24.txt");

/// Whether the values were recorded on a CPU with FMA (the header says), where glibc runs its
/// fused builds of exp and log1p; otherwise the plain ones are the reference.
fn recorded_with_fma() -> bool {
    LIBM.lines().next().is_some_and(|h| h.contains("fma=yes"))
}

/// Whether the values were recorded on an AVX-512 CPU, where numpy's exp is SVML's.
fn recorded_with_avx512() -> bool {
    LIBM.lines()
        .next()
        .is_some_and(|h| h.contains("avx512f=yes"))
}

fn exp_as_recorded(x: f64) -> f64 {
    if recorded_with_fma() {
        math::exp(x)
    } else {
        math::exp_sse2(x)
    }
}

fn f(hex: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(hex, 16).expect("hex bits"))
}

/// The records of one kind: each line's fields after the kind, as doubles (counts as numbers).
fn records<'a>(text: &'a str, kind: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
    text.lines()
        .filter(move |l| l.split(' ').next() == Some(kind))
        .map(|l| l.split(' ').skip(1).collect())
}

/// Distance in ulps between two finite doubles of the same sign (0 when the bits are equal).
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64)
        .wrapping_sub(b.to_bits() as i64)
        .unsigned_abs()
}

#[test]
fn exp_equals_the_c_library() {
    let mut n = 0;
    for r in records(LIBM, "exp") {
        let (x, y) = (f(r[0]), f(r[1]));
        assert_eq!(exp_as_recorded(x).to_bits(), y.to_bits(), "exp({x:e})");
        n += 1;
    }
    assert_eq!(n, 10_000);
}

/// numpy's exp on the recording CPU: with AVX-512 (SVML), `exp_numpy_avx512` exactly below
/// |x| = 707.70327, where glibc's value stands in for SVML's scalar path (1 ulp off at times).
#[test]
fn numpy_exp_equals_numpy() {
    let (mut n, mut rare_differ) = (0, 0);
    for r in records(LIBM, "numpy_exp") {
        let (x, y) = (f(r[0]), f(r[1]));
        let ours = if recorded_with_avx512() {
            math::exp_numpy_avx512(x)
        } else {
            exp_as_recorded(x)
        };
        if x.abs() < 707.7032713517042 || !recorded_with_avx512() {
            assert_eq!(ours.to_bits(), y.to_bits(), "numpy exp({x:e})");
        } else if ours.to_bits() != y.to_bits() {
            assert!(ulps(ours, y) <= 1, "numpy exp({x:e})");
            rare_differ += 1;
        }
        n += 1;
    }
    println!("numpy_exp: {rare_differ} of {n} differ (all with |x| >= 707.70327)");
    assert_eq!(n, 3_000);
    assert!(rare_differ <= 3, "{rare_differ} rare-path values differ");
}

/// numpy's log on the recording CPU: with AVX-512 (SVML), `log_numpy_avx512` exactly.
#[test]
fn numpy_log_equals_numpy() {
    let mut n = 0;
    for r in records(LIBM, "numpy_log") {
        let (x, y) = (f(r[0]), f(r[1]));
        if recorded_with_avx512() {
            assert_eq!(
                math::log_numpy_avx512(x).to_bits(),
                y.to_bits(),
                "numpy log({x:e})"
            );
        } else {
            assert!(ulps(math::log(x), y) <= 1, "numpy log({x:e})");
        }
        n += 1;
    }
    assert_eq!(n, 3_000);
}

/// numpy 1.21's exp and log (Tang's AVX-512F kernels), recorded on an AVX-512 CPU: exact, but
/// for log near 1, where numpy calls the C library's log (1 ulp from ours at times).
#[test]
fn numpy_1_21_exp_and_log_equal_numpy_1_21() {
    assert!(NUMPY_1_21
        .lines()
        .next()
        .is_some_and(|h| h.contains("numpy 1.21") && h.contains("avx512f=yes")));
    let (mut n, mut near_one_differ) = (0, 0);
    for r in records(NUMPY_1_21, "numpy_exp") {
        let (x, y) = (f(r[0]), f(r[1]));
        assert_eq!(
            math::exp_numpy_1_21_avx512(x).to_bits(),
            y.to_bits(),
            "numpy 1.21 exp({x:e})"
        );
        n += 1;
    }
    for r in records(NUMPY_1_21, "numpy_log") {
        let (x, y) = (f(r[0]), f(r[1]));
        let ours = math::log_numpy_1_21_avx512(x);
        if ours.to_bits() != y.to_bits() {
            assert!(
                x > 0.9375 && x < 1.065 && ulps(ours, y) == 1,
                "numpy 1.21 log({x:e})"
            );
            near_one_differ += 1;
        }
        n += 1;
    }
    assert_eq!(n, 6_000);
    assert!(near_one_differ <= 2, "{near_one_differ} near-1 logs differ");
}

/// numpy 1.24's exp and log (SVML's default-accuracy kernels), recorded on an AVX-512 CPU: exp
/// exact below |x| = 707.70327; log exact but where `vrcp14pd` (not reproduced) rounds 1/m to the
/// other 1/32 step (6 in a million measured), 1 ulp off there.
#[test]
fn numpy_1_24_exp_and_log_equal_numpy_1_24() {
    assert!(NUMPY_1_24
        .lines()
        .next()
        .is_some_and(|h| h.contains("numpy 1.24") && h.contains("avx512f=yes")));
    let (mut n, mut differ) = (0, 0);
    for r in records(NUMPY_1_24, "numpy_exp") {
        let (x, y) = (f(r[0]), f(r[1]));
        let ours = math::exp_numpy_svml_la(x);
        if x.abs() < 707.7032713517042 {
            assert_eq!(ours.to_bits(), y.to_bits(), "numpy 1.24 exp({x:e})");
        } else if ours.to_bits() != y.to_bits() {
            assert!(ulps(ours, y) <= 1, "numpy 1.24 exp({x:e})");
            differ += 1;
        }
        n += 1;
    }
    for r in records(NUMPY_1_24, "numpy_log") {
        let (x, y) = (f(r[0]), f(r[1]));
        let ours = math::log_numpy_svml_la(x);
        if ours.to_bits() != y.to_bits() {
            assert!(ulps(ours, y) <= 1, "numpy 1.24 log({x:e})");
            differ += 1;
        }
        n += 1;
    }
    assert_eq!(n, 6_000);
    assert!(differ <= 3, "{differ} differ");
}

#[test]
fn log_is_correctly_rounded_and_mostly_the_c_library() {
    let (mut n, mut differ) = (0, 0);
    for r in records(LIBM, "log") {
        let (x, glibc, correct) = (f(r[0]), f(r[1]), f(r[2]));
        let ours = math::log(x);
        assert_eq!(
            ours.to_bits(),
            correct.to_bits(),
            "log({x:e}) is not correctly rounded"
        );
        if ours.to_bits() != glibc.to_bits() {
            assert_eq!(ulps(ours, glibc), 1, "log({x:e})");
            differ += 1;
        }
        n += 1;
    }
    println!("log: {differ} of {n} differ from the C library");
    assert_eq!(n, 6_000);
    assert!(
        differ <= 6,
        "log: {differ} of {n} differ from the C library"
    );
}

#[test]
fn log1p_equals_the_c_library() {
    let log1p = if recorded_with_fma() {
        math::log1p
    } else {
        math::log1p_sse2
    };
    for r in records(LIBM, "log1p") {
        let (x, y) = (f(r[0]), f(r[1]));
        assert_eq!(log1p(x).to_bits(), y.to_bits(), "log1p({x:e})");
    }
}

#[test]
fn expit_equals_scipy() {
    let mut n = 0;
    for r in records(LINKS, "expit") {
        let (x, y) = (f(r[0]), f(r[1]));
        let ours = if recorded_with_fma() {
            math::expit(x)
        } else {
            1.0 / (1.0 + math::exp_sse2(-x))
        };
        assert_eq!(ours.to_bits(), y.to_bits(), "expit({x:e})");
        n += 1;
    }
    assert_eq!(n, 2_000);
}

/// scipy 1.14 (the recorded one) computes log(p/(1-p)); the split formula of scipy >= 1.15 is
/// checked against the same arithmetic done with the C library's log and log1p. Both go through
/// `log`, so they may differ by 1 ulp where glibc's log is not correctly rounded.
#[test]
fn logit_equals_scipy_both_formulas() {
    let (mut n, mut differ) = (0, 0);
    for r in records(LINKS, "logit") {
        let (p, scipy, log_form, split_form) = (f(r[0]), f(r[1]), f(r[2]), f(r[3]));
        assert_eq!(
            scipy.to_bits(),
            log_form.to_bits(),
            "the recorded scipy is the log form"
        );
        for (ours, want) in [
            (math::logit_scipy_before_1_15(p), log_form),
            (math::logit(p), split_form),
        ] {
            if ours.to_bits() != want.to_bits() {
                assert!(ulps(ours, want) <= 1, "logit({p:e}): {ours:e} vs {want:e}");
                differ += 1;
            }
        }
        n += 2;
    }
    println!("logit: {differ} of {n} differ from scipy's formulas over the C library");
    assert_eq!(n, 4_000);
    assert!(differ <= 4, "logit: {differ} of {n} differ");
}

/// The softmax of each recorded row equals, bit for bit, numpy's arithmetic with the C
/// library's exp (what scikit-learn computes without AVX-512), and is within a few ulps of
/// numpy's own (AVX-512) exp; with `exp_numpy_avx512` it equals that one bit for bit too.
#[test]
fn softmax_equals_sklearn_with_the_c_library_exp() {
    let (mut rows, mut off_numpy) = (0, 0);
    for r in records(LINKS, "softmax") {
        let k: usize = r[0].parse().unwrap();
        let row: Vec<f64> = r[1..=k].iter().map(|h| f(h)).collect();
        let numpy: Vec<f64> = r[k + 1..=2 * k].iter().map(|h| f(h)).collect();
        let libm: Vec<f64> = r[2 * k + 1..=3 * k].iter().map(|h| f(h)).collect();
        let mut ours = row.clone();
        math::softmax_in_place(&mut ours);
        if recorded_with_avx512() {
            let mut as_numpy = row.clone();
            math::softmax_in_place_with(&mut as_numpy, math::exp_numpy_avx512);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&as_numpy),
                bits(&numpy),
                "softmax row {rows} with numpy's exp"
            );
        }
        for j in 0..k {
            assert_eq!(
                ours[j].to_bits(),
                libm[j].to_bits(),
                "softmax row {rows} column {j}"
            );
            if ours[j].to_bits() != numpy[j].to_bits() {
                off_numpy += 1;
                // An exp 1 ulp off moves the sum too: a few ulps at most, never more.
                assert!(ulps(ours[j], numpy[j]) <= 4, "softmax row {rows} vs numpy");
            }
        }
        rows += 1;
    }
    assert_eq!(rows, 600);
    println!("softmax: {off_numpy} values differ from numpy's own exp");
}

#[test]
fn logsumexp_equals_scipy_with_the_c_library() {
    let (mut rows, mut differ, mut off_scipy) = (0, 0, 0);
    for r in records(LINKS, "logsumexp") {
        let k: usize = r[0].parse().unwrap();
        let row: Vec<f64> = r[1..=k].iter().map(|h| f(h)).collect();
        let (scipy, libm) = (f(r[k + 1]), f(r[k + 2]));
        let ours = math::logsumexp(&row);
        if recorded_with_avx512() {
            let as_scipy =
                math::logsumexp_with(&row, math::exp_numpy_avx512, math::log_numpy_avx512);
            assert_eq!(
                as_scipy.to_bits(),
                scipy.to_bits(),
                "logsumexp row {rows} with numpy's exp/log"
            );
        }
        if ours.to_bits() != libm.to_bits() {
            assert!(ulps(ours, libm) <= 1, "logsumexp row {rows}");
            differ += 1;
        }
        assert!(ulps(ours, scipy) <= 4, "logsumexp row {rows} vs scipy");
        off_scipy += usize::from(ours.to_bits() != scipy.to_bits());
        rows += 1;
    }
    println!("logsumexp: {differ} of {rows} differ from the C library's, {off_scipy} from scipy's");
    assert_eq!(rows, 600);
    assert!(
        differ <= 2,
        "logsumexp: {differ} of {rows} differ from the C library's arithmetic"
    );
}
