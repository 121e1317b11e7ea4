//! scikit-learn's linear regressors (`LinearRegression`, `Ridge`, `Lasso`, `ElasticNet`) in a
//! version 2 file, kind `linear_regressor`: one coefficient per feature and an intercept.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::array::ArrayFile;
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::ModelError;

/// The estimator object of kind `linear_regressor`, as exported.
#[derive(Debug, Deserialize)]
pub struct LinearRegressorFile {
    pub class: String,
    pub input_cast: String,
    pub coef: ArrayFile,
    pub intercept: ArrayFile,
}

/// `predict = dot(x, coef) + intercept` with finite coefficients.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidLinearRegressor {
    pub coef: Vec<f64>,
    pub intercept: f64,
}

impl LinearRegressorFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidLinearRegressor, ModelError> {
        if self.input_cast != "float64" {
            return fail(format!(
                "estimator.input_cast {:?} is not a linear model's (\"float64\")",
                self.input_cast
            ));
        }
        let coef = self
            .coef
            .f64s("estimator.coef")?
            .with_len("estimator.coef", context.n_features)?;
        let intercept = self
            .intercept
            .f64s("estimator.intercept")?
            .with_len("estimator.intercept", 1)?[0];
        if let Some(j) = coef.iter().position(|c| !c.is_finite()) {
            return fail(format!("estimator.coef[{j}] is not finite"));
        }
        if !intercept.is_finite() {
            return fail("estimator.intercept is not finite");
        }
        Ok(ValidLinearRegressor { coef, intercept })
    }
}
