//! A version 2 model's pipeline steps, applied to float64 rows in place in file order with
//! scikit-learn's arithmetic (`transform` of `SimpleImputer`, `StandardScaler`,
//! `MinMaxScaler`, `MaxAbsScaler`: one rounding per operation, no FMA). NaN passes through
//! the scalers as in scikit-learn; only the imputer replaces it.

use model_format::ValidStep;

/// Applies `step` to `rows` (row-major, `n_features` = the step's vector length wide).
pub fn transform_in_place(step: &ValidStep, rows: &mut [f64]) {
    match step {
        ValidStep::Impute { statistics } => each_column(rows, statistics.len(), |x, j| {
            if x.is_nan() {
                *x = statistics[j];
            }
        }),
        ValidStep::Standardize { mean, scale } => {
            let width = mean.as_ref().or(scale.as_ref()).map_or(0, |v| v.len());
            each_column(rows, width, |x, j| {
                if let Some(mean) = mean {
                    *x -= mean[j];
                }
                if let Some(scale) = scale {
                    *x /= scale[j];
                }
            })
        }
        ValidStep::MinMax { scale, min, clip } => each_column(rows, scale.len(), |x, j| {
            *x *= scale[j];
            *x += min[j];
            if let Some((lo, hi)) = clip {
                // np.clip(X, lo, hi): minimum(maximum(X, lo), hi), NaN stays NaN.
                if *x < *lo {
                    *x = *lo;
                }
                if *x > *hi {
                    *x = *hi;
                }
            }
        }),
        ValidStep::MaxAbs { scale } => each_column(rows, scale.len(), |x, j| *x /= scale[j]),
    }
}

fn each_column(rows: &mut [f64], width: usize, mut f: impl FnMut(&mut f64, usize)) {
    if width == 0 {
        return;
    }
    for row in rows.chunks_exact_mut(width) {
        for (j, x) in row.iter_mut().enumerate() {
            f(x, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn imputer_fills_only_nan_and_scalers_keep_it() {
        let mut rows = vec![f64::NAN, 2.0, 3.0, f64::NAN];
        transform_in_place(
            &ValidStep::Impute {
                statistics: vec![10.0, 20.0],
            },
            &mut rows,
        );
        assert_eq!(rows, [10.0, 2.0, 3.0, 20.0]);
        let mut rows = vec![f64::NAN, 4.0];
        let step = ValidStep::Standardize {
            mean: Some(vec![1.0, 1.0]),
            scale: Some(vec![2.0, 3.0]),
        };
        transform_in_place(&step, &mut rows);
        assert!(rows[0].is_nan());
        assert_eq!(rows[1], 1.0);
    }

    #[test]
    fn min_max_rounds_twice_and_clips_when_fitted_to() {
        let (x, scale, min) = (0.1f64, 3.0f64, 0.7f64);
        let mut rows = vec![x, 5.0];
        let step = ValidStep::MinMax {
            scale: vec![scale, 1.0],
            min: vec![min, 0.0],
            clip: Some((0.0, 1.0)),
        };
        transform_in_place(&step, &mut rows);
        assert_eq!(rows[0].to_bits(), 1.0f64.min(x * scale + min).to_bits());
        assert_eq!(rows[1], 1.0);
    }
}
