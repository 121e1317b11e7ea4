//! The estimator kinds a model file may hold: the one place a kind is registered. Each kind's
//! file type and validation live in its own module (`gradient_boosting`); adding a kind is
//! that module plus one variant in each enum here, one arm in `validate` and one in
//! `embed::render`.

use serde::Deserialize;

use crate::gradient_boosting::{GradientBoostingFile, ValidGradientBoosting};
use crate::ModelError;

/// The `estimator` object of the file, told apart by its `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimatorFile {
    GradientBoostingRegressor(GradientBoostingFile),
}

/// An estimator that passed its kind's validation.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidEstimator {
    GradientBoosting(ValidGradientBoosting),
}

impl ValidEstimator {
    /// The gradient-boosting regressor, if this is one.
    pub fn as_gradient_boosting(&self) -> Option<&ValidGradientBoosting> {
        match self {
            Self::GradientBoosting(gbr) => Some(gbr),
        }
    }
}

impl EstimatorFile {
    /// Validates the estimator of a model whose rows are `n_features` wide.
    pub fn validate(self, n_features: usize) -> Result<ValidEstimator, ModelError> {
        match self {
            Self::GradientBoostingRegressor(file) => file
                .validate(n_features)
                .map(ValidEstimator::GradientBoosting),
        }
    }
}
