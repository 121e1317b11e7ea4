//! The two ways a request's raw values are standardised before the estimator sees them:
//! the training scaler stored with the model, or the original service's scaler fitted on
//! the request itself, reproduced to the bit (numpy's pairwise summation included).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::str::FromStr;

use crate::error::PredictError;

/// Which scaler a prediction uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scaling {
    /// The scaler the model was trained with: real per-row predictions.
    #[default]
    Training,
    /// A scaler fitted on the request's own rows, as the original Flask service did. A
    /// one-row request always scales to zeros (and predicts 20.35373177134412).
    PerRequest,
}

impl Scaling {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Training => "training",
            Self::PerRequest => "per-request",
        }
    }
}

impl FromStr for Scaling {
    type Err = PredictError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "training" => Ok(Self::Training),
            "per-request" => Ok(Self::PerRequest),
            other => Err(PredictError::InvalidParameter(alloc::format!(
                "unknown scaling {other:?}; use \"training\" or \"per-request\""
            ))),
        }
    }
}

/// scikit-learn's StandardScaler: z = (x - mean) / scale, in float64.
#[derive(Clone, Debug, PartialEq)]
pub struct StandardScaler {
    mean: Cow<'static, [f64]>,
    scale: Cow<'static, [f64]>,
}

impl StandardScaler {
    pub fn new(mean: Vec<f64>, scale: Vec<f64>) -> Self {
        assert_eq!(
            mean.len(),
            scale.len(),
            "one mean and one scale per feature"
        );
        Self {
            mean: Cow::Owned(mean),
            scale: Cow::Owned(scale),
        }
    }

    /// The same from statics (the embedded model's), one mean and one scale per feature.
    pub const fn from_static(mean: &'static [f64], scale: &'static [f64]) -> Self {
        Self {
            mean: Cow::Borrowed(mean),
            scale: Cow::Borrowed(scale),
        }
    }

    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Fits the scaler exactly as scikit-learn 0.20.3 (numpy 1.17) fits it on `rows`
    /// (row-major, `n_features` wide): mean = (0 + sum) / n, var = ((sum((x - mean)^2)
    /// / n) * n) / n with numpy's pairwise sums, scale = sqrt(var), 1.0 where it is 0.0.
    pub fn fit_per_request(rows: &[f64], n_features: usize) -> Self {
        let n = rows.len() / n_features;
        let count = n as f64;
        let mut column = Vec::with_capacity(n);
        let mut mean = Vec::with_capacity(n_features);
        let mut scale = Vec::with_capacity(n_features);
        for j in 0..n_features {
            column.clear();
            column.extend(rows.iter().skip(j).step_by(n_features));
            let sum = pairwise_sum(&column);
            let m = (0.0 + sum) / count;
            let numpy_mean = sum / count;
            for x in column.iter_mut() {
                let d = *x - numpy_mean;
                *x = d * d;
            }
            let var = ((pairwise_sum(&column) / count) * count) / count;
            let s = sqrt(var);
            mean.push(m);
            scale.push(if s == 0.0 { 1.0 } else { s });
        }
        Self::new(mean, scale)
    }

    /// Writes the scaled rows into `out` (same layout as `rows`).
    pub fn transform_into(&self, rows: &[f64], out: &mut [f64]) {
        let width = self.mean.len();
        for (raw, scaled) in rows.chunks_exact(width).zip(out.chunks_exact_mut(width)) {
            for j in 0..width {
                scaled[j] = (raw[j] - self.mean[j]) / self.scale[j];
            }
        }
    }
}

/// numpy's pairwise summation of float64 (`pairwise_sum_DOUBLE`, numpy 1.17): below 8
/// values a plain loop, up to 128 eight interleaved accumulators, above that a split
/// at half the length rounded down to a multiple of 8.
pub fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut sum = 0.0;
        for v in values {
            sum += *v;
        }
        sum
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let blocks_end = n - n % 8;
        for block in values[8..blocks_end].chunks_exact(8) {
            for (acc, v) in r.iter_mut().zip(block) {
                *acc += *v;
            }
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[blocks_end..] {
            sum += *v;
        }
        sum
    } else {
        let mut half = n / 2;
        half -= half % 8;
        pairwise_sum(&values[..half]) + pairwise_sum(&values[half..])
    }
}

/// IEEE 754 square root (correctly rounded); `libm`'s where std is absent.
fn sqrt(x: f64) -> f64 {
    #[cfg(feature = "std")]
    {
        x.sqrt()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::sqrt(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_matches_plain_loop_below_eight() {
        let v = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
        let plain = v.iter().fold(0.0, |a, b| a + b);
        assert_eq!(pairwise_sum(&v).to_bits(), plain.to_bits());
    }

    #[test]
    fn pairwise_differs_from_sequential_where_numpy_does() {
        // Eight accumulators reassociate the sum: 1e16 + 1 + 1 ... is not lost.
        let mut v = [1.0; 16];
        v[0] = 1e16;
        let sequential = v.iter().fold(0.0, |a, b| a + b);
        assert_eq!(sequential, 1e16);
        assert_eq!(pairwise_sum(&v), 1e16 + 14.0);
    }

    #[test]
    fn pairwise_splits_above_128_at_a_multiple_of_8() {
        let v: Vec<f64> = (0..300).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let expected = pairwise_sum(&v[..144]) + pairwise_sum(&v[144..]);
        assert_eq!(pairwise_sum(&v).to_bits(), expected.to_bits());
    }

    #[test]
    fn constant_column_scales_by_one_only_when_variance_is_exactly_zero() {
        let one_row = StandardScaler::fit_per_request(&[6.575], 1);
        assert_eq!(one_row.scale[0], 1.0);
        // Three identical rows: the mean is 1 ulp off, so the variance is tiny, not zero.
        let three = StandardScaler::fit_per_request(&[0.1, 0.1, 0.1], 1);
        assert!(three.scale[0] > 0.0 && three.scale[0] < 1e-10);
    }

    #[test]
    fn libm_sqrt_is_the_same_as_std() {
        let mut x = 1e-300f64;
        while x < 1e300 {
            for k in 0..50u64 {
                let v = f64::from_bits(x.to_bits() + k * 977);
                assert_eq!(libm::sqrt(v).to_bits(), v.sqrt().to_bits(), "sqrt({v})");
            }
            x *= 3.7;
        }
    }

    #[test]
    fn scaling_parses_both_modes_and_names_a_bad_one() {
        assert_eq!("training".parse::<Scaling>(), Ok(Scaling::Training));
        assert_eq!("per-request".parse::<Scaling>(), Ok(Scaling::PerRequest));
        let err = "perrequest".parse::<Scaling>().unwrap_err();
        assert!(alloc::format!("{err}").contains("perrequest"));
    }
}
