//! The estimator kinds a model file may hold: the one place a kind is registered. Each kind's
//! file type and validation live in its own module (`gradient_boosting` for version 1,
//! `linear`, ... for version 2); adding a kind is that module plus one variant in each enum
//! here and one arm in `validate`.

use serde::Deserialize;

use crate::gradient_boosting::{GradientBoostingFile, ValidGradientBoosting};
use crate::hist_gradient_boosting::{
    HistGradientBoostingFile, ValidHistGradientBoostingClassifier,
    ValidHistGradientBoostingRegressor,
};
use crate::linear::{LinearRegressorFile, ValidLinearRegressor};
use crate::logistic::{LogisticRegressionFile, ValidLogisticRegression};
use crate::sklearn_version::SklearnVersion;
use crate::trees::boosting::{
    GradientBoostingClassifierFile, GradientBoostingRegressorFile, ValidGradientBoostingClassifier,
};
use crate::trees::forest::{
    DecisionTreeClassifierFile, DecisionTreeRegressorFile, ForestClassifierFile,
    ForestRegressorFile, ValidTreeClassifier, ValidTreeRegressor,
};
use crate::ModelError;

/// What a version 2 estimator is validated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EstimatorContext {
    /// The width of the rows the estimator gets (after preprocessing).
    pub n_features: usize,
    /// A classifier's number of classes (`classes` of the file), `None` for regression.
    pub n_classes: Option<usize>,
    /// The version that pickled it: validation resolves every version-dependent rule.
    pub sklearn: SklearnVersion,
}

/// The `estimator` object of a version 2 file, told apart by its `kind`
/// (model_data/README.md, "Estimators").
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimatorFileV2 {
    LinearRegressor(LinearRegressorFile),
    DecisionTreeRegressor(DecisionTreeRegressorFile),
    DecisionTreeClassifier(DecisionTreeClassifierFile),
    ForestRegressor(ForestRegressorFile),
    ForestClassifier(ForestClassifierFile),
    GradientBoostingRegressor(GradientBoostingRegressorFile),
    GradientBoostingClassifier(GradientBoostingClassifierFile),
    HistGradientBoostingRegressor(HistGradientBoostingFile),
    HistGradientBoostingClassifier(HistGradientBoostingFile),
    LogisticRegression(LogisticRegressionFile),
}

impl EstimatorFileV2 {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidEstimator, ModelError> {
        match self {
            Self::LinearRegressor(file) => {
                file.validate(context).map(ValidEstimator::LinearRegressor)
            }
            Self::DecisionTreeRegressor(file) => {
                file.validate(context).map(ValidEstimator::TreeRegressor)
            }
            Self::DecisionTreeClassifier(file) => {
                file.validate(context).map(ValidEstimator::TreeClassifier)
            }
            Self::ForestRegressor(file) => {
                file.validate(context).map(ValidEstimator::TreeRegressor)
            }
            Self::ForestClassifier(file) => {
                file.validate(context).map(ValidEstimator::TreeClassifier)
            }
            // Version 2's regressor has version 1's arithmetic and validated form.
            Self::GradientBoostingRegressor(file) => {
                file.validate(context).map(ValidEstimator::GradientBoosting)
            }
            Self::GradientBoostingClassifier(file) => file
                .validate(context)
                .map(ValidEstimator::GradientBoostingClassifier),
            Self::HistGradientBoostingRegressor(file) => file
                .validate_regressor(context)
                .map(ValidEstimator::HistGradientBoostingRegressor),
            Self::HistGradientBoostingClassifier(file) => file
                .validate_classifier(context)
                .map(ValidEstimator::HistGradientBoostingClassifier),
            Self::LogisticRegression(file) => file
                .validate(context)
                .map(ValidEstimator::LogisticRegression),
        }
    }
}

/// The `estimator` object of the file, told apart by its `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimatorFile {
    GradientBoostingRegressor(GradientBoostingFile),
}

/// An estimator that passed its kind's validation.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidEstimator {
    /// A gradient-boosting regressor: version 1's squared-error one (the Boston model), and
    /// version 2's of every loss and init (`trees::boosting`).
    GradientBoosting(ValidGradientBoosting),
    LinearRegressor(ValidLinearRegressor),
    /// A decision tree or forest regressor (`trees::forest`).
    TreeRegressor(ValidTreeRegressor),
    /// A decision tree or forest classifier (`trees::forest`).
    TreeClassifier(ValidTreeClassifier),
    /// A gradient-boosting classifier (`trees::boosting`).
    GradientBoostingClassifier(ValidGradientBoostingClassifier),
    HistGradientBoostingRegressor(ValidHistGradientBoostingRegressor),
    HistGradientBoostingClassifier(ValidHistGradientBoostingClassifier),
    LogisticRegression(ValidLogisticRegression),
}

impl ValidEstimator {
    /// The gradient-boosting regressor, if this is one.
    pub fn as_gradient_boosting(&self) -> Option<&ValidGradientBoosting> {
        match self {
            Self::GradientBoosting(gbr) => Some(gbr),
            _ => None,
        }
    }

    /// A classifier's number of classes; `None` for a regressor.
    pub fn n_classes(&self) -> Option<usize> {
        match self {
            Self::GradientBoosting(_) | Self::LinearRegressor(_) | Self::TreeRegressor(_) => None,
            Self::TreeClassifier(trees) => Some(trees.n_classes),
            Self::GradientBoostingClassifier(gbc) => Some(gbc.n_classes),
            Self::HistGradientBoostingRegressor(_) => None,
            Self::HistGradientBoostingClassifier(hgb) => Some(hgb.n_classes),
            Self::LogisticRegression(logistic) => Some(logistic.n_classes),
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
