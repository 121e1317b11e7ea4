//! A model is a pipeline: named input columns, an optional training scaler, then an
//! estimator. This is the one entry point every adapter calls to predict.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ndarray::ArrayView2;

use model_format::{ModelError, ModelFile, ValidModel};

use crate::error::PredictError;
use crate::estimator::Estimator;
use crate::scaler::{Scaling, StandardScaler};

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    name: Cow<'static, str>,
    version: Cow<'static, str>,
    description: Cow<'static, str>,
    /// Read by `payload` by index (its messages name the column).
    features: Cow<'static, [Cow<'static, str>]>,
    target: Option<Cow<'static, str>>,
    scaler: Option<StandardScaler>,
    estimator: Estimator,
}

impl Model {
    /// The model compiled into this build (the Boston housing model unless
    /// `EDGE_PREDICTOR_MODEL` named another file at build time). Nothing is parsed.
    pub fn embedded() -> &'static Model {
        &crate::embedded::EMBEDDED_MODEL
    }

    /// Loads and validates a model file (format: model_data/README.md).
    pub fn from_json(bytes: &[u8]) -> Result<Model, ModelError> {
        Ok(Self::from_valid(ModelFile::parse(bytes)?))
    }

    /// The runtime form of a validated model.
    pub fn from_valid(model: ValidModel) -> Model {
        Model {
            name: Cow::Owned(model.name),
            version: Cow::Owned(model.version),
            description: Cow::Owned(model.description),
            features: model.features.into_iter().map(Cow::Owned).collect(),
            target: model.target.map(Cow::Owned),
            scaler: model.scaler.map(|s| StandardScaler::new(s.mean, s.scale)),
            estimator: Estimator::from_valid(model.estimator),
        }
    }

    /// Assembles a model from statics (the embedded model, rendered by build.rs with
    /// `model_format::embed` from a validated file).
    pub const fn from_static(
        name: &'static str,
        version: &'static str,
        description: &'static str,
        features: &'static [Cow<'static, str>],
        target: Option<&'static str>,
        scaler: Option<StandardScaler>,
        estimator: Estimator,
    ) -> Model {
        Model {
            name: Cow::Borrowed(name),
            version: Cow::Borrowed(version),
            description: Cow::Borrowed(description),
            features: Cow::Borrowed(features),
            target: match target {
                Some(t) => Some(Cow::Borrowed(t)),
                None => None,
            },
            scaler,
            estimator,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The input columns, in the order the model takes them.
    pub fn features(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.features.iter().map(|f| &**f)
    }

    /// The name of input column `j` (model order); `j < n_features()`.
    pub fn feature(&self, j: usize) -> &str {
        &self.features[j]
    }

    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// Position of the column called `name`, if the model takes it.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.features.iter().position(|f| f == name)
    }

    pub fn scaler(&self) -> Option<&StandardScaler> {
        self.scaler.as_ref()
    }

    pub fn estimator(&self) -> &Estimator {
        &self.estimator
    }

    /// Predicts every row of a batch (`n_rows x n_features`, columns in model order).
    pub fn predict(
        &self,
        rows: ArrayView2<'_, f64>,
        scaling: Scaling,
    ) -> Result<Vec<f64>, PredictError> {
        if rows.ncols() != self.n_features() {
            return Err(PredictError::WrongShape(format!(
                "rows have {} columns, the model takes {}",
                rows.ncols(),
                self.n_features()
            )));
        }
        match rows.as_slice() {
            Some(flat) => self.predict_flat(flat, scaling),
            None => self.predict_flat(&rows.iter().copied().collect::<Vec<_>>(), scaling),
        }
    }

    /// Predicts row-major values (`n_features` per row, model order). Every value must
    /// be finite; the error names the first that is not.
    pub fn predict_flat(&self, rows: &[f64], scaling: Scaling) -> Result<Vec<f64>, PredictError> {
        let width = self.n_features();
        if !rows.len().is_multiple_of(width) {
            return Err(PredictError::WrongShape(format!(
                "{} values do not make whole rows of {width}",
                rows.len()
            )));
        }
        if rows.is_empty() {
            return Err(PredictError::EmptyPayload);
        }
        let mut scaled = vec![0.0; rows.len()];
        let input: &[f64] = match (scaling, &self.scaler) {
            (Scaling::Training, Some(scaler)) => {
                scaler.transform_into(rows, &mut scaled);
                &scaled
            }
            (Scaling::Training, None) => rows,
            (Scaling::PerRequest, _) => {
                StandardScaler::fit_per_request(rows, width).transform_into(rows, &mut scaled);
                &scaled
            }
        };
        // One pass over the model's input for a valid batch: a raw value that is not
        // finite makes its scaled value non-finite too, so only when this finds something
        // are the raw values searched, to name the first bad one as the error.
        if let Some(i) = self.estimator.as_predict().first_unrepresentable(input) {
            if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
                return Err(PredictError::InvalidCell {
                    row: format!("{}", i / width),
                    column: String::from(&*self.features[i % width]),
                    reason: String::from("is not a finite number"),
                });
            }
            return Err(PredictError::InvalidCell {
                row: format!("{}", i / width),
                column: String::from(&*self.features[i % width]),
                reason: format!(
                    "is out of range: scaled ({} scaling) it overflows float32, which scikit-learn refuses",
                    scaling.as_str()
                ),
            });
        }
        let mut out = vec![0.0; rows.len() / width];
        self.estimator
            .as_predict()
            .predict_into(input, width, &mut out);
        Ok(out)
    }
}
