//! The link functions scikit-learn turns raw scores into probabilities with: scipy's `expit`,
//! `logit` and `logsumexp`, and scikit-learn's `softmax`, each exactly the library's formula over
//! [`exp`], [`log`] and [`log1p`], operation for operation.

use super::{exp, log, log1p};
use crate::scaler::pairwise_sum;

/// `scipy.special.expit(x)` for float64: `1 / (1 + exp(-x))`, the formula of every scipy from
/// 1.5 to the current one (`_logit.h`, then xsf's `log_exp.h`). scipy calls the C library's
/// `exp`, so this equals scipy on Linux bit for bit.
pub fn expit(x: f64) -> f64 {
    1.0 / (1.0 + exp(-x))
}

/// `scipy.special.logit(p)` for float64 as scipy computes it since 1.15 (PR #21388, xsf's
/// `log_exp.h`): `log(p / (1 - p))` for p < 0.3 or p > 0.65, `log1p(s) - log1p(-s)` with
/// s = 2 (p - 0.5) in between (a NaN takes that branch too). Exact where it calls [`log1p`];
/// where it calls [`log`], equal to scipy wherever glibc's log is correctly rounded.
// scipy's comparison, literally: a NaN fails both and takes the log1p branch.
#[allow(clippy::manual_range_contains)]
pub fn logit(p: f64) -> f64 {
    if p < 0.3 || p > 0.65 {
        log(p / (1.0 - p))
    } else {
        let s = 2.0 * (p - 0.5);
        log1p(s) - log1p(-s)
    }
}

/// `scipy.special.logit(p)` as scipy 1.5 .. 1.14 computed it: `log(p / (1 - p))` everywhere.
pub fn logit_scipy_before_1_15(p: f64) -> f64 {
    log(p / (1.0 - p))
}

/// The largest value of `row` as numpy's `max` finds it: a NaN anywhere gives NaN.
fn numpy_max(row: &[f64]) -> f64 {
    let mut max = f64::NEG_INFINITY;
    for &v in row {
        if v.is_nan() {
            return v;
        }
        if v > max {
            max = v;
        }
    }
    max
}

/// `sklearn.utils.extmath.softmax` on one row, in place: x -= max(x); x = exp(x);
/// x /= sum(x), with numpy's pairwise summation (`np.sum(X, axis=1)` sums each C-contiguous row
/// pairwise; below 8 values that is a plain left-to-right loop). An empty row stays empty.
pub fn softmax_in_place(row: &mut [f64]) {
    if row.is_empty() {
        return;
    }
    let max = numpy_max(row);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    // numpy's add.reduce starts from its identity, 0.0: 0.0 + sum.
    let sum = 0.0 + pairwise_sum(row);
    for v in row.iter_mut() {
        *v /= sum;
    }
}

/// `scipy.special.logsumexp(row)` for one row of float64, as scipy 1.5 .. 1.14 computes it (1.14
/// checked in its source): a_max = max(row), replaced by 0 when not finite;
/// s = sum(exp(row - a_max)) (numpy's pairwise sum); log(s) + a_max. An empty row gives -inf, as
/// scipy's `initial=-inf` does. scipy 1.15 rewrote it (the largest term is taken out and
/// `log1p` of the rest's sum used), which rounds differently.
pub fn logsumexp(row: &[f64]) -> f64 {
    if row.is_empty() {
        return f64::NEG_INFINITY;
    }
    let mut a_max = numpy_max(row);
    if !a_max.is_finite() {
        a_max = 0.0;
    }
    let mut terms = alloc::vec::Vec::with_capacity(row.len());
    terms.extend(row.iter().map(|&v| exp(v - a_max)));
    let s = 0.0 + pairwise_sum(&terms);
    log(s) + a_max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expit_limits_and_midpoint() {
        assert_eq!(expit(0.0), 0.5);
        assert_eq!(expit(800.0), 1.0);
        assert_eq!(expit(-800.0), 0.0);
        assert_eq!(expit(f64::INFINITY), 1.0);
        assert!(expit(f64::NAN).is_nan());
    }

    #[test]
    fn logit_branches() {
        assert_eq!(logit(0.5), 0.0);
        assert_eq!(logit(0.0), f64::NEG_INFINITY);
        assert_eq!(logit(1.0), f64::INFINITY);
        assert!(logit(f64::NAN).is_nan() && logit(-0.5).is_nan());
        // Near 0.5 the two formulas round differently; the split one is the accurate one.
        let p = 0.5 + 1e-9;
        assert_ne!(logit(p).to_bits(), logit_scipy_before_1_15(p).to_bits());
    }

    #[test]
    fn softmax_sums_to_about_one_and_keeps_nan() {
        let mut row = [1.0, 2.0, 3.0];
        softmax_in_place(&mut row);
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(row[0] < row[1] && row[1] < row[2]);
        let mut with_nan = [1.0, f64::NAN];
        softmax_in_place(&mut with_nan);
        assert!(with_nan.iter().all(|v| v.is_nan()));
        softmax_in_place(&mut []);
    }

    #[test]
    fn logsumexp_edges() {
        assert_eq!(logsumexp(&[]), f64::NEG_INFINITY);
        assert_eq!(logsumexp(&[0.0, 0.0]), core::f64::consts::LN_2);
        assert_eq!(logsumexp(&[f64::NEG_INFINITY; 3]), f64::NEG_INFINITY);
        assert_eq!(
            logsumexp(&[1000.0, 1000.0]),
            1000.0 + core::f64::consts::LN_2
        );
    }
}
