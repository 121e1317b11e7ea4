//! The estimators a model pipeline can end in: one module per kind, with exactly its
//! library's arithmetic (`gradient_boosting` for version 1's regressor, `linear`, ...).
//!
//! The design: an enum for storage, a trait for behaviour. `Estimator` is an enum because
//! the embedded model is a `static` built by `const fn`s (a `Box<dyn _>` cannot be), a
//! model must be `Clone` and comparable (`PartialEq`: a loaded file equals the embedded
//! model), and code that needs one kind's internals (its evaluators, in tests and
//! benchmarks) asks for it by name (`as_gradient_boosting`) instead of downcasting. What
//! every kind does is the small trait `Predict` (as linfa's `Predict`): the pipeline
//! calls only that, through `as_predict`, the one `match` over the kinds that dispatches.
//! `Predict::head` says what the estimator answers: values (`Regress`) or classes and
//! their probabilities (`Classify`).
//!
//! The path model file -> validated -> runtime is written once per kind: the file type and
//! its validation in `model_format` (`model_format::gradient_boosting`), the runtime here.
//! Adding a kind is a module in each crate, a variant of `model_format::ValidEstimator`,
//! and here one variant of `Estimator` with its arm in `from_valid` and in `as_predict`.

pub mod compact;
pub mod gradient_boosting;
pub mod gradient_boosting_classifier;
pub mod hist_gradient_boosting;
mod inverse_link;
pub mod linear;
pub mod logistic;
pub mod trees;

pub use gradient_boosting::{FastForest, GradientBoostingRegressor, Kernel};
pub use gradient_boosting_classifier::GradientBoostingClassifier;
pub use hist_gradient_boosting::{HistGradientBoostingClassifier, HistGradientBoostingRegressor};
pub use linear::LinearRegressor;
pub use logistic::LogisticRegression;
pub use trees::{TreeClassifier, TreeRegressor};

use model_format::ValidEstimator;

/// What every estimator kind does, on rows already preprocessed by the pipeline.
pub trait Predict {
    /// A short name of the kind (`gradient_boosting_regressor`), for metadata.
    fn kind(&self) -> &'static str;

    /// Whether a NaN (a missing value) is an input this estimator takes, routing it as
    /// scikit-learn does (HistGradientBoosting, trees fitted on data with missing
    /// values). When false the pipeline refuses NaN before calling the estimator, as
    /// scikit-learn's `predict` does ("Input X contains NaN").
    fn takes_missing(&self) -> bool {
        false
    }

    /// The index of the first value of `rows` other than NaN that this estimator cannot
    /// take (infinities; values that overflow float32 for trees), if any: the pipeline
    /// turns it into the error naming the cell.
    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize>;

    /// Rows a batch should hold for this estimator to read its model once per block of
    /// rows rather than once per few rows (a model larger than the caches, walked tree by
    /// tree): a batch scorer (`host predict`) sizes its chunks by it. 1 when any batch
    /// size reads the model as fast.
    fn rows_per_pass(&self, _n_features: usize) -> usize {
        1
    }

    /// What the estimator answers.
    fn head(&self) -> Head<'_>;
}

/// A regressor answers one value per row, a classifier a class per row (and, when asked,
/// the probability of every class).
#[derive(Clone, Copy)]
pub enum Head<'a> {
    Regressor(&'a dyn Regress),
    Classifier(&'a dyn Classify),
}

pub trait Regress {
    /// Predicts every row of `rows` (row-major, `n_features` wide) into `out` (one value
    /// per row): scikit-learn's `predict`.
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]);
}

pub trait Classify {
    /// K, the length of the model's `classes`.
    fn n_classes(&self) -> usize;

    /// Each row's class as an index into the model's `classes` into `labels` (one per
    /// row: scikit-learn's `predict`), and when `proba` is given each row's K
    /// probabilities into it (row-major, `classes` order: `predict_proba`).
    fn classify_into(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        proba: Option<&mut [f64]>,
    );
}

/// The last stage of a model pipeline. `non_exhaustive`: more kinds are coming, so code
/// outside this crate asks for a kind (`as_gradient_boosting`) rather than assuming it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
// The embedded model is a `static` made by `const fn`s, so no variant can be boxed.
#[allow(clippy::large_enum_variant)]
pub enum Estimator {
    GradientBoosting(GradientBoostingRegressor),
    LinearRegressor(LinearRegressor),
    HistGradientBoostingRegressor(HistGradientBoostingRegressor),
    HistGradientBoostingClassifier(HistGradientBoostingClassifier),
    LogisticRegression(LogisticRegression),
    TreeRegressor(TreeRegressor),
    TreeClassifier(TreeClassifier),
    GradientBoostingClassifier(GradientBoostingClassifier),
}

impl Estimator {
    /// The runtime form of a validated estimator: the registration of every kind.
    pub fn from_valid(valid: ValidEstimator) -> Estimator {
        match valid {
            ValidEstimator::GradientBoosting(gbr) => {
                Self::GradientBoosting(GradientBoostingRegressor::from_valid(gbr))
            }
            ValidEstimator::LinearRegressor(linear) => {
                Self::LinearRegressor(LinearRegressor::from_valid(linear))
            }
            ValidEstimator::HistGradientBoostingRegressor(hgb) => {
                Self::HistGradientBoostingRegressor(HistGradientBoostingRegressor::from_valid(hgb))
            }
            ValidEstimator::HistGradientBoostingClassifier(hgb) => {
                Self::HistGradientBoostingClassifier(HistGradientBoostingClassifier::from_valid(
                    hgb,
                ))
            }
            ValidEstimator::LogisticRegression(logistic) => {
                Self::LogisticRegression(LogisticRegression::from_valid(logistic))
            }
            ValidEstimator::TreeRegressor(trees) => {
                Self::TreeRegressor(TreeRegressor::from_valid(trees))
            }
            ValidEstimator::TreeClassifier(trees) => {
                Self::TreeClassifier(TreeClassifier::from_valid(trees))
            }
            ValidEstimator::GradientBoostingClassifier(gbc) => {
                Self::GradientBoostingClassifier(GradientBoostingClassifier::from_valid(gbc))
            }
        }
    }

    /// What this estimator does, whatever its kind.
    pub fn as_predict(&self) -> &dyn Predict {
        match self {
            Self::GradientBoosting(gbr) => gbr,
            Self::LinearRegressor(linear) => linear,
            Self::HistGradientBoostingRegressor(hgb) => hgb,
            Self::HistGradientBoostingClassifier(hgb) => hgb,
            Self::LogisticRegression(logistic) => logistic,
            Self::TreeRegressor(trees) => trees,
            Self::TreeClassifier(trees) => trees,
            Self::GradientBoostingClassifier(gbc) => gbc,
        }
    }

    /// The gradient-boosting regressor, if this is one.
    pub fn as_gradient_boosting(&self) -> Option<&GradientBoostingRegressor> {
        match self {
            Self::GradientBoosting(gbr) => Some(gbr),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_estimator_names_its_kind() {
        let estimator = crate::Model::embedded().estimator();
        assert_eq!(estimator.as_predict().kind(), "gradient_boosting_regressor");
        assert!(estimator.as_gradient_boosting().is_some());
    }
}
