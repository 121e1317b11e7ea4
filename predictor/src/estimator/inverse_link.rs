//! The link functions and reductions HistGradientBoosting and LogisticRegression share, in
//! numpy's/scipy's order of operations: `exp`, `expit` and `softmax` are the crate's
//! glibc-exact `math`; what `math` does not have (1.0's axis-0 logsumexp, numpy's argmax) is here.

use crate::math::log;
pub(crate) use crate::math::{exp, expit, softmax_in_place};

/// numpy's `argmax`: the first maximum, or the first NaN if there is one.
pub(crate) fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate().skip(1) {
        if values[best].is_nan() {
            break;
        }
        if *v > values[best] || v.is_nan() {
            best = i;
        }
    }
    best
}

/// numpy's `sum` of a contiguous run of float64 (a row of a C-ordered matrix summed over
/// its last axis): `0.0 +` numpy's pairwise summation.
pub(crate) fn numpy_sum(values: &[f64]) -> f64 {
    0.0 + crate::scaler::pairwise_sum(values)
}

/// `np.exp(raw - logsumexp(raw))` on one row, in place, with scipy.special.logsumexp
/// (`a_max = amax(a)`, 0 when not finite; `log(sum(exp(a - a_max))) + a_max`). The sum is
/// over axis 0 of 1.0's `[K, n]` raw predictions: one row after the other, left to right.
pub(crate) fn exp_minus_logsumexp_in_place(row: &mut [f64]) {
    let mut max = row.iter().copied().fold(f64::NEG_INFINITY, numpy_maximum);
    if !max.is_finite() {
        max = 0.0;
    }
    let mut sum = 0.0;
    for v in row.iter() {
        sum += exp(v - max);
    }
    let lse = log(sum) + max;
    for v in row.iter_mut() {
        *v = exp(*v - lse);
    }
}

/// `np.maximum` / `np.amax`: NaN wins.
fn numpy_maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if b > a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_is_numpy_s_first_maximum_and_first_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[1.0, f64::NAN, 5.0, f64::NAN]), 1);
        assert_eq!(argmax(&[f64::NEG_INFINITY, f64::NEG_INFINITY]), 0);
        assert_eq!(argmax(&[0.0]), 0);
        assert_eq!(argmax(&[1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax(&[0.0, 0.0]), 0);
        assert_eq!(argmax(&[1.0, f64::NAN, 5.0]), 1);
        assert_eq!(argmax(&[-1.0]), 0);
    }

    #[test]
    fn pairwise_sum_follows_numpy_s_blocks() {
        // Below 8 values: left to right from 0.0.
        assert_eq!(numpy_sum(&[1e16, 1.0, 1.0]), (1e16 + 1.0) + 1.0);
        // 9 values: eight accumulators, then the ninth.
        let a = [1e16, 1.0, 1.0, 1.0, -1e16, 1.0, 1.0, 1.0, 1.0];
        let r = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        assert_eq!(numpy_sum(&a).to_bits(), (r + a[8]).to_bits());
        assert_eq!(numpy_sum(&[-0.0]).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn softmax_and_logsumexp_rows_sum_to_one() {
        let mut p = [1.0, 2.0, 3.0];
        softmax_in_place(&mut p);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(p[2] > p[1] && p[1] > p[0]);
        let mut q = [1.0, 2.0, 3.0];
        exp_minus_logsumexp_in_place(&mut q);
        for (a, b) in p.iter().zip(&q) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(expit(0.0), 0.5);
    }
}
