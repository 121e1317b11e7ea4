//! Holds `predictor::math` to the C library it replaces: natively on Linux/glibc, `f64::exp`
//! and `f64::ln` call glibc's `exp` and `log` at run time, so every input is compared bit for bit.
//!
//! Counts: 12 million exp inputs and 6 million log inputs in a release build, a tenth of that in a
//! debug build (`cfg(debug_assertions)`), so `cargo test` stays within seconds.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

use core::hint::black_box;
use predictor::math;

/// How many inputs of each kind (debug builds run a tenth).
const SCALE: usize = if cfg!(debug_assertions) {
    100_000
} else {
    1_000_000
};

/// splitmix64: a fixed, portable stream of 64-bit values.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        lo + (hi - lo) * unit
    }
}

/// Compares `ours` with `glibc` on every input; panics with the first few mismatches.
fn assert_same_bits(
    what: &str,
    inputs: impl Iterator<Item = f64>,
    ours: fn(f64) -> f64,
    glibc: fn(f64) -> f64,
) -> usize {
    let mut count = 0;
    let mut mismatches = Vec::new();
    for x in inputs {
        count += 1;
        let (a, b) = (ours(x), glibc(black_box(x)));
        let same = a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        if !same {
            mismatches.push((x, a, b));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {count} inputs differ from glibc, e.g. {:?}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .map(|(x, a, b)| format!("x={x:e} ({:#x}) ours={a:e} glibc={b:e}", x.to_bits()))
            .collect::<Vec<_>>()
    );
    count
}

/// The exp inputs: the whole useful range, the sigmoid range densely, both edges, subnormal
/// results, random bit patterns (tiny, huge, NaN) and the special values.
fn exp_inputs() -> impl Iterator<Item = f64> {
    let mut rng = Rng(0x5eed_0e8b);
    let mut v = Vec::with_capacity(12 * SCALE + 64);
    v.extend((0..3 * SCALE).map(|_| rng.uniform(-745.2, 709.8)));
    v.extend((0..5 * SCALE).map(|_| rng.uniform(-40.0, 40.0)));
    v.extend((0..SCALE).map(|_| rng.uniform(700.0, 709.8)));
    v.extend((0..SCALE).map(|_| rng.uniform(-745.2, -708.0)));
    v.extend(
        (0..SCALE).map(|_| rng.uniform(-1.0, 1.0) * 2f64.powi(-((rng.next_u64() % 60) as i32))),
    );
    v.extend((0..SCALE).map(|_| f64::from_bits(rng.next_u64())));
    v.extend([
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        709.782712893384,
        709.7827128933841,
        -708.3964185322641,
        -708.3964185322642,
        -745.1332191019411,
        -745.1332191019412,
        -745.0,
        512.0,
        -512.0,
        1024.0,
        -1024.0,
        f64::MAX,
        f64::MIN,
    ]);
    v.into_iter()
}

/// Whether this process's glibc runs its FMA builds (`__exp_fma`, `__log1p_fma`): on an FMA +
/// AVX2 CPU, unless the child of `unfused_builds_are_glibc_without_fma` told it otherwise.
fn glibc_is_fused() -> bool {
    std::env::var_os("MATH_GLIBC_NO_FMA").is_none()
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("avx2")
}

#[test]
fn exp_is_glibc_exp() {
    let ours: fn(f64) -> f64 = if glibc_is_fused() {
        math::exp
    } else {
        math::exp_sse2
    };
    let n = assert_same_bits("exp", exp_inputs(), ours, f64::exp);
    assert!(n >= 12 * SCALE);
    // The two builds differ on some of these inputs, so the test tells them apart.
    let differ = exp_inputs().filter(|&x| math::exp(x).to_bits() != math::exp_sse2(x).to_bits());
    let differ = differ.count();
    println!("exp: {n} inputs equal to glibc's; fused and unfused builds differ on {differ}");
    assert!(differ > n / 10_000);
}

/// The log1p inputs: scipy's logit calls it on [-0.4, 0.3]; also all of (-1, inf) by bits, tiny
/// values, and the special values.
fn log1p_inputs() -> impl Iterator<Item = f64> {
    let mut rng = Rng(0x5eed_1091);
    let mut v = Vec::with_capacity(4 * SCALE + 16);
    v.extend((0..2 * SCALE).map(|_| rng.uniform(-0.4, 0.3)));
    v.extend((0..SCALE / 2).map(|_| f64::from_bits(rng.next_u64() >> 1)));
    v.extend((0..SCALE / 2).map(|_| rng.uniform(-1.0, 0.0)));
    v.extend(
        (0..SCALE).map(|_| rng.uniform(-1.0, 1.0) * 2f64.powi(-((rng.next_u64() % 64) as i32))),
    );
    v.extend([
        0.0,
        -0.0,
        -1.0,
        -2.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e-300,
        -1e-300,
    ]);
    v.extend([
        f64::MAX,
        2f64.powi(53),
        0.41421,
        -0.29289,
        f64::EPSILON,
        -f64::EPSILON / 2.0,
    ]);
    v.into_iter()
}

#[test]
fn log1p_is_glibc_log1p() {
    let ours: fn(f64) -> f64 = if glibc_is_fused() {
        math::log1p
    } else {
        math::log1p_sse2
    };
    let n = assert_same_bits("log1p", log1p_inputs(), ours, f64::ln_1p);
    let differ =
        log1p_inputs().filter(|&x| math::log1p(x).to_bits() != math::log1p_sse2(x).to_bits());
    let differ = differ.count();
    println!("log1p: {n} inputs equal to glibc's; fused and unfused builds differ on {differ}");
    assert!(differ > n / 10_000);
}

/// Runs the `_is_glibc_` tests once more in a child process whose glibc is told
/// (GLIBC_TUNABLES) that the CPU has no FMA or AVX2, so it picks `__exp_sse2` and
/// `__log1p_sse2`, and `exp_sse2` and `log1p_sse2` are held to those.
#[test]
fn unfused_builds_are_glibc_without_fma() {
    if std::env::var_os("MATH_GLIBC_NO_FMA").is_some() {
        return; // this is the child
    }
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["_is_glibc_", "--quiet"])
        .env("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4")
        .env("MATH_GLIBC_NO_FMA", "1")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "an unfused build differs from glibc's without FMA"
    );
}

/// The log inputs: random positive doubles over every binade, [0.5, 2], close to 1, subnormals
/// and the special values.
fn log_inputs() -> impl Iterator<Item = f64> {
    let mut rng = Rng(0x5eed_1096);
    let mut v = Vec::with_capacity(6 * SCALE + 16);
    v.extend((0..2 * SCALE).map(|_| f64::from_bits(rng.next_u64() >> 1)));
    v.extend((0..SCALE).map(|_| rng.uniform(0.5, 2.0)));
    v.extend(
        (0..SCALE)
            .map(|_| 1.0 + rng.uniform(-1.0, 1.0) * 2f64.powi(-((rng.next_u64() % 40) as i32))),
    );
    v.extend((0..SCALE).map(|_| rng.uniform(0.0, 1.0)));
    v.extend((0..SCALE).map(|_| f64::from_bits(rng.next_u64() >> 12)));
    v.extend([
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
    ]);
    v.extend([
        f64::from_bits(1),
        f64::MAX,
        f64::EPSILON,
        1.0 - f64::EPSILON / 2.0,
        2.0,
        0.5,
    ]);
    v.into_iter()
}

/// Our log is correctly rounded; glibc's is not always (< 0.52 ulp): where they differ, it is by
/// one ulp, and on no more than 1 in 1,000 of these inputs (measured: see the printed count).
#[test]
fn log_is_glibc_log_but_where_glibc_is_not_correctly_rounded() {
    let mut n = 0usize;
    let mut differ = 0usize;
    for x in log_inputs() {
        n += 1;
        let (ours, glibc) = (math::log(x), black_box(x).ln());
        if ours.is_nan() && glibc.is_nan() {
            assert_eq!(ours.to_bits(), glibc.to_bits(), "log({x:e}): NaN bits");
            continue;
        }
        if ours.to_bits() != glibc.to_bits() {
            differ += 1;
            let ulps = (ours.to_bits() as i64)
                .wrapping_sub(glibc.to_bits() as i64)
                .unsigned_abs();
            assert_eq!(
                ulps,
                1,
                "log({x:e} = {:#x}): ours {ours:e}, glibc {glibc:e}",
                x.to_bits()
            );
        }
    }
    println!("log: {differ} of {n} inputs differ from glibc's (by 1 ulp each)");
    assert!(n >= 6 * SCALE);
    assert!(
        differ * 1000 <= n,
        "log: {differ} of {n} inputs differ from glibc"
    );
}
