//! The estimators a model pipeline can end in. Each kind is its own module with exactly
//! its library's arithmetic; a new kind is a new module plus one variant here.

pub mod fast;
pub mod gradient_boosting;
pub mod padded;
pub mod ranked;

pub use fast::Kernel;
pub use gradient_boosting::GradientBoostingRegressor;
pub use padded::PaddedForest;
pub use ranked::RankedForest;

/// The last stage of a model pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Estimator {
    GradientBoosting(GradientBoostingRegressor),
}

impl Estimator {
    /// Predicts every row of `rows` (row-major, already scaled, `n_features` wide)
    /// into `out` (one value per row).
    pub fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        match self {
            Self::GradientBoosting(model) => model.predict_into(rows, n_features, out),
        }
    }

    /// The index of the first scaled value this estimator cannot take, if any. Tree
    /// models cast to float32 and scikit-learn refuses a value that overflows it
    /// ("Input contains infinity or a value too large for dtype('float32')").
    pub fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        match self {
            Self::GradientBoosting(_) => rows.iter().position(|v| !(*v as f32).is_finite()),
        }
    }

    /// A short name of the kind, for metadata endpoints.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::GradientBoosting(_) => "gradient_boosting_regressor",
        }
    }
}
