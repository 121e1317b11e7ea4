//! scikit-learn's linear regressors (`LinearRegression`, `Ridge`, `Lasso`, `ElasticNet`):
//! `dot(x, coef) + intercept` (`LinearModel._decision_function`) on float64 rows.
//!
//! The order of the dot product: numpy hands it to BLAS, whose kernel (and so its summation
//! order and FMA use) depends on the CPU, so there is no one order to match. This one is
//! written down and the same on every target: products added left to right in feature
//! order, no FMA, then the intercept. Against scikit-learn it is within 1e-12 relative
//! error, not bit for bit (model_data/README.md, "What is exact").

use alloc::vec::Vec;

use model_format::linear::ValidLinearRegressor;

use super::{Head, Predict, Regress};

#[derive(Clone, Debug, PartialEq)]
pub struct LinearRegressor {
    coef: Vec<f64>,
    intercept: f64,
}

impl LinearRegressor {
    pub fn from_valid(valid: ValidLinearRegressor) -> Self {
        Self {
            coef: valid.coef,
            intercept: valid.intercept,
        }
    }

    pub fn coef(&self) -> &[f64] {
        &self.coef
    }

    pub fn intercept(&self) -> f64 {
        self.intercept
    }
}

/// `sum(x[j] * coef[j])` left to right, each product rounded before it is added.
pub fn dot(x: &[f64], coef: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (x, c) in x.iter().zip(coef) {
        sum += x * c;
    }
    sum
}

impl Predict for LinearRegressor {
    fn kind(&self) -> &'static str {
        "linear_regressor"
    }

    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        crate::scan::first_where(rows, f64::is_infinite)
    }

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for LinearRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        for (row, y) in rows.chunks_exact(n_features).zip(out.iter_mut()) {
            *y = dot(row, &self.coef) + self.intercept;
        }
    }
}
