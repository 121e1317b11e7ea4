//! A model is a pipeline: named input columns, preprocessing (version 1's training scaler,
//! or version 2's imputer and scaler steps), then an estimator that answers values or
//! classes. This is the one entry point every adapter calls to predict.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ndarray::ArrayView2;

use model_format::{Label, ModelError, ModelFile, SklearnVersion, ValidModel, ValidStep};

use crate::error::PredictError;
use crate::estimator::{Estimator, Head};
use crate::preprocessing;
use crate::scaler::{Scaling, StandardScaler};
use crate::scan::first_where;

/// What a model answers for a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Predictions {
    /// A regressor's value for each row.
    Values(Vec<f64>),
    /// A classifier's class for each row, as an index into `Model::classes`, and when
    /// asked every row's probabilities (row-major, `n_rows x K`, `classes` order).
    Classes {
        labels: Vec<u32>,
        proba: Option<Vec<f64>>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    name: Cow<'static, str>,
    version: Cow<'static, str>,
    description: Cow<'static, str>,
    /// Read by `payload` by index (its messages name the column).
    features: Cow<'static, [Cow<'static, str>]>,
    target: Option<Cow<'static, str>>,
    scaler: Option<StandardScaler>,
    preprocessing: Vec<ValidStep>,
    /// A classifier's labels (empty for a regressor).
    classes: Vec<Label>,
    sklearn_version: Option<SklearnVersion>,
    estimator: Estimator,
}

impl Model {
    /// The model compiled into this build (the Boston housing model unless
    /// `EDGE_PREDICTOR_MODEL` named another file at build time): statics for version 1's
    /// gradient boosting, else the file parsed on the first call (`embedded`).
    pub fn embedded() -> &'static Model {
        crate::embedded::model()
    }

    /// Loads and validates a model file (format: model_data/README.md).
    pub fn from_json(bytes: &[u8]) -> Result<Model, ModelError> {
        Ok(Self::from_valid(ModelFile::parse(bytes)?))
    }

    /// `from_json` on bytes the caller gives up: they are freed as soon as they are read,
    /// before the arrays are decoded and the trees laid out, so a large file's bytes are
    /// not held beside its trees.
    pub fn from_json_vec(bytes: Vec<u8>) -> Result<Model, ModelError> {
        let file = ModelFile::read(&bytes)?;
        drop(bytes);
        Ok(Self::from_valid(file.validate()?))
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
            preprocessing: model.preprocessing,
            classes: model.classes,
            sklearn_version: model.sklearn_version,
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
            preprocessing: Vec::new(),
            classes: Vec::new(),
            sklearn_version: None,
            estimator,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Serves the model under another name (a repository names a model after its file).
    pub fn set_name(&mut self, name: String) {
        self.name = Cow::Owned(name);
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

    /// Rows a `predict_batch` call should hold for the model to be read once per block of
    /// rows rather than once per few rows (`Predict::rows_per_pass`: a forest larger than
    /// the caches); 1 when any batch size is as fast. `host predict` sizes its chunks by it.
    pub fn rows_per_pass(&self) -> usize {
        self.estimator.as_predict().rows_per_pass(self.n_features())
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

    /// The pipeline steps of a version 2 model, in order.
    pub fn preprocessing(&self) -> &[ValidStep] {
        &self.preprocessing
    }

    /// A classifier's labels in `classes_` order; empty for a regressor.
    pub fn classes(&self) -> &[Label] {
        &self.classes
    }

    pub fn is_classifier(&self) -> bool {
        !self.classes.is_empty()
    }

    /// The scikit-learn version that pickled a version 2 model.
    pub fn sklearn_version(&self) -> Option<SklearnVersion> {
        self.sklearn_version
    }

    /// Predicts every row of a batch (`n_rows x n_features`, columns in model order) of a
    /// regressor; a classifier's batch is an error here (`predict_batch` answers both).
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

    /// `predict_batch` for a regressor: its values.
    pub fn predict_flat(&self, rows: &[f64], scaling: Scaling) -> Result<Vec<f64>, PredictError> {
        match self.predict_batch(rows, scaling, false)? {
            Predictions::Values(values) => Ok(values),
            Predictions::Classes { .. } => Err(PredictError::InvalidParameter(format!(
                "model {} is a classifier: it answers class labels, not values",
                self.name
            ))),
        }
    }

    /// Predicts row-major values (`n_features` per row, model order): a regressor's
    /// values, or a classifier's classes and, with `proba`, their probabilities. NaN is a
    /// missing value: the model's imputer or estimator takes it, or the error names the
    /// first; any other value the estimator cannot take is named too.
    pub fn predict_batch(
        &self,
        rows: &[f64],
        scaling: Scaling,
        proba: bool,
    ) -> Result<Predictions, PredictError> {
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
        // The estimator's input: the rows themselves when nothing transforms them.
        let input: Cow<'_, [f64]> = match (scaling, &self.scaler) {
            (Scaling::Training, None) if self.preprocessing.is_empty() => Cow::Borrowed(rows),
            (Scaling::Training, None) => {
                let mut input = rows.to_vec();
                for step in &self.preprocessing {
                    preprocessing::transform_in_place(step, &mut input);
                }
                Cow::Owned(input)
            }
            (Scaling::Training, Some(scaler)) => {
                let mut input = vec![0.0; rows.len()];
                scaler.transform_into(rows, &mut input);
                Cow::Owned(input)
            }
            (Scaling::PerRequest, _) => {
                let mut input = vec![0.0; rows.len()];
                StandardScaler::fit_per_request(rows, width).transform_into(rows, &mut input);
                Cow::Owned(input)
            }
        };
        let estimator = self.estimator.as_predict();
        // scikit-learn's imputer and scalers refuse infinities ("Input X contains
        // infinity") even in front of an estimator that takes them (HistGradientBoosting).
        if !self.preprocessing.is_empty() {
            if let Some(i) = first_where(rows, f64::is_infinite) {
                return Err(self.invalid_cell(i, String::from("is not a finite number")));
            }
        }
        if !estimator.takes_missing() {
            if let Some(i) = first_where(&input, f64::is_nan) {
                // A NaN after preprocessing: missing in the request (a scaler keeps NaN),
                // or made by per-request scaling from a value that is not finite.
                let i = rows.iter().position(|v| !v.is_finite()).unwrap_or(i);
                let reason = if rows[i].is_nan() {
                    "is missing, and this model does not take missing values (scikit-learn refuses NaN in its input)"
                } else {
                    "is not a finite number"
                };
                return Err(self.invalid_cell(i, String::from(reason)));
            }
        }
        // One pass over the model's input for a valid batch: a raw value that is not
        // finite makes its scaled value non-finite too, so only when this finds something
        // are the raw values searched, to name the first bad one as the error.
        if let Some(i) = estimator.first_unrepresentable(&input) {
            if let Some(i) = rows.iter().position(|v| v.is_infinite()) {
                return Err(self.invalid_cell(i, String::from("is not a finite number")));
            }
            let reason = if input[i].is_infinite() {
                format!(
                    "is out of range: scaled ({} scaling) it is no longer a finite number, which scikit-learn refuses",
                    scaling.as_str()
                )
            } else {
                format!(
                    "is out of range: scaled ({} scaling) it overflows float32, which scikit-learn refuses",
                    scaling.as_str()
                )
            };
            return Err(self.invalid_cell(i, reason));
        }
        let n_rows = rows.len() / width;
        Ok(match estimator.head() {
            Head::Regressor(regressor) => {
                let mut out = vec![0.0; n_rows];
                regressor.predict_into(&input, width, &mut out);
                Predictions::Values(out)
            }
            Head::Classifier(classifier) => {
                let mut labels = vec![0u32; n_rows];
                let mut probabilities = proba.then(|| vec![0.0; n_rows * classifier.n_classes()]);
                classifier.classify_into(&input, width, &mut labels, probabilities.as_deref_mut());
                Predictions::Classes {
                    labels,
                    proba: probabilities,
                }
            }
        })
    }

    fn invalid_cell(&self, i: usize, reason: String) -> PredictError {
        let width = self.n_features();
        PredictError::InvalidCell {
            row: format!("{}", i / width),
            column: String::from(&*self.features[i % width]),
            reason,
        }
    }
}
