//! The pipeline steps a version 2 model applies before its estimator (`preprocessing`):
//! scikit-learn's imputer and scalers with their fitted statistics, validated (one finite
//! value per feature) so that the runtime (`predictor::preprocessing`) only computes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::array::ArrayFile;
use crate::error::fail;
use crate::ModelError;

/// One step as the exporter writes it (model_data/README.md, "Preprocessing steps").
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepFile {
    SimpleImputer {
        strategy: String,
        missing_values: String,
        statistics: ArrayFile,
    },
    StandardScaler {
        mean: Option<ArrayFile>,
        scale: Option<ArrayFile>,
    },
    MinMaxScaler {
        min: ArrayFile,
        scale: ArrayFile,
        clip: bool,
        feature_range: [f64; 2],
    },
    MaxAbsScaler {
        scale: ArrayFile,
    },
}

/// A validated step: every vector has one finite value per feature.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidStep {
    /// `SimpleImputer.transform`: a NaN in column j becomes `statistics[j]`.
    Impute { statistics: Vec<f64> },
    /// `StandardScaler.transform`: `x -= mean[j]` (when fitted with the mean), then
    /// `x /= scale[j]` (when fitted with the standard deviation).
    Standardize {
        mean: Option<Vec<f64>>,
        scale: Option<Vec<f64>>,
    },
    /// `MinMaxScaler.transform`: `x *= scale[j]`, `x += min[j]`, then with `clip` the
    /// result is clipped to `feature_range`.
    MinMax {
        scale: Vec<f64>,
        min: Vec<f64>,
        clip: Option<(f64, f64)>,
    },
    /// `MaxAbsScaler.transform`: `x /= scale[j]`.
    MaxAbs { scale: Vec<f64> },
}

impl StepFile {
    /// Validates step `index` of a pipeline whose rows are `n_features` wide.
    pub fn validate(self, index: usize, n_features: usize) -> Result<ValidStep, ModelError> {
        let field = |name: &str| format!("preprocessing[{index}].{name}");
        let vector = |name: &str, array: &ArrayFile| -> Result<Vec<f64>, ModelError> {
            let field = field(name);
            let values = array.f64s(&field)?.with_len(&field, n_features)?;
            match values.iter().position(|v| !v.is_finite()) {
                Some(j) => fail(format!("{field}[{j}] is not finite")),
                None => Ok(values),
            }
        };
        let nonzero = |name: &str, values: Vec<f64>| match values.iter().position(|v| *v == 0.0) {
            Some(j) => fail(format!("{}[{j}] is zero", field(name))),
            None => Ok(values),
        };
        Ok(match self {
            StepFile::SimpleImputer {
                strategy,
                missing_values,
                statistics,
            } => {
                if missing_values != "nan" {
                    return fail(format!(
                        "{}: {missing_values:?} is not supported (only \"nan\")",
                        field("missing_values")
                    ));
                }
                if !matches!(
                    strategy.as_str(),
                    "mean" | "median" | "most_frequent" | "constant"
                ) {
                    return fail(format!(
                        "{}: {strategy:?} is not a strategy",
                        field("strategy")
                    ));
                }
                ValidStep::Impute {
                    statistics: vector("statistics", &statistics)?,
                }
            }
            StepFile::StandardScaler { mean, scale } => ValidStep::Standardize {
                mean: mean.map(|m| vector("mean", &m)).transpose()?,
                scale: match scale {
                    Some(s) => Some(nonzero("scale", vector("scale", &s)?)?),
                    None => None,
                },
            },
            StepFile::MinMaxScaler {
                min,
                scale,
                clip,
                feature_range: [lo, hi],
            } => {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return fail(format!(
                        "{}: [{lo}, {hi}] is not a range",
                        field("feature_range")
                    ));
                }
                ValidStep::MinMax {
                    scale: vector("scale", &scale)?,
                    min: vector("min", &min)?,
                    clip: clip.then_some((lo, hi)),
                }
            }
            StepFile::MaxAbsScaler { scale } => ValidStep::MaxAbs {
                scale: nonzero("scale", vector("scale", &scale)?)?,
            },
        })
    }
}
