//! Models loaded at run time from a model file's bytes (`loadModel`): the JavaScript class
//! `Model`, with the `/predict` codec (`predict`), typed rows (`predictRows`,
//! `predictProba`, and `predictValue` for one row) and `info()`, answering what
//! `POST /predict` answers for the same file: values for a regressor, class labels (and
//! probabilities) for a classifier.

use js_sys::{Array, Float64Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use predictor::payload::{self, Output};
use predictor::{Label, Model, Predictions, Scaling};

use crate::{js_error, js_json, option_string, scaling};

/// `options.output` (the server's `?output=`, same refusals): `predict` by default.
fn output(options: Option<&js_sys::Object>, model: &Model) -> Result<Output, JsError> {
    let name = option_string(options, "output", "a string")?;
    Output::for_model(name.as_deref(), model).map_err(js_error)
}

/// A class label as JavaScript has it: a number, a string or a boolean (integer labels
/// beyond 2^53 are the nearest number, as `JSON.parse` of the server's answer gives).
fn label_value(label: &Label) -> JsValue {
    match label {
        Label::Bool(b) => JsValue::from_bool(*b),
        Label::Int(i) => JsValue::from_f64(*i as f64),
        Label::Float(x) => JsValue::from_f64(*x),
        Label::Str(s) => JsValue::from_str(s),
    }
}

/// A model loaded from a model file (model_data/README.md); `loadModel(bytes)` makes one.
#[wasm_bindgen(js_name = Model)]
pub struct LoadedModel {
    model: Model,
}

/// Loads and validates a model file's bytes (any format version, any kind this build
/// evaluates); throws an `Error` saying what is wrong with the file. The bytes' copy in
/// wasm memory is freed once read, before the trees are laid out.
#[wasm_bindgen(js_name = loadModel)]
pub fn load_model(bytes: Vec<u8>) -> Result<LoadedModel, JsError> {
    Model::from_json_vec(bytes)
        .map(|model| LoadedModel { model })
        .map_err(|e| JsError::new(&e.to_string()))
}

impl LoadedModel {
    /// `predict_batch` of `n_rows` row-major rows, checked for shape first.
    fn batch(
        &self,
        rows: &[f64],
        n_rows: usize,
        scaling: Scaling,
        proba: bool,
    ) -> Result<Predictions, JsError> {
        let width = self.model.n_features();
        if n_rows.checked_mul(width) != Some(rows.len()) {
            return Err(JsError::new(&format!(
                "{n_rows} rows of {width} values need {want} values, got {got}",
                want = n_rows.saturating_mul(width),
                got = rows.len()
            )));
        }
        self.model
            .predict_batch(rows, scaling, proba)
            .map_err(js_error)
    }

    fn labels(&self, labels: &[u32]) -> Array {
        let classes = self.model.classes();
        labels
            .iter()
            .map(|&i| {
                classes
                    .get(i as usize)
                    .map_or(JsValue::UNDEFINED, label_value)
            })
            .collect()
    }

    fn not_a_regressor(&self) -> JsError {
        JsError::new(&format!(
            "model {} is a classifier: predictValue answers a regressor's value; \
             its labels come from predictRows, its probabilities from predictProba",
            self.model.name()
        ))
    }

    fn not_a_classifier(&self) -> JsError {
        JsError::new(&format!(
            "model {} is a regressor: it has no predict_proba, only values",
            self.model.name()
        ))
    }
}

#[wasm_bindgen(js_class = Model)]
impl LoadedModel {
    /// Predicts a `/predict` payload (an object of columns, an array of records, or an
    /// array of rows in model order): `{prediction: [...]}` (values, or class labels), or
    /// with `options.output = "predict_proba"` a classifier's
    /// `{predict_proba: [[p, ...], ...], classes: [...]}`.
    #[wasm_bindgen(unchecked_return_type = "Prediction | ProbaPrediction")]
    pub fn predict(
        &self,
        #[wasm_bindgen(unchecked_param_type = "object")] payload: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> Result<JsValue, JsError> {
        let scaling = scaling(options.as_ref())?;
        let output = output(options.as_ref(), &self.model)?;
        if payload.is_undefined() {
            return Err(JsError::new(
                "payload is undefined; expected an object of columns or an array of records",
            ));
        }
        let json = js_json::to_json(&payload)
            .map_err(|reason| JsError::new(&format!("payload holds {reason}")))?;
        let rows = payload::decode_json_with(&json, &self.model, usize::MAX, js_sys::parse_float)
            .map_err(js_error)?;
        let n_rows = rows.nrows();
        let flat: Vec<f64> = match rows.as_slice() {
            Some(flat) => flat.to_vec(),
            None => rows.iter().copied().collect(),
        };
        let answer = js_sys::Object::new();
        let set = |key: &str, value: &JsValue| {
            js_sys::Reflect::set(&answer, &JsValue::from_str(key), value)
                .map(|_| ())
                .map_err(|_| JsError::new("cannot build the answer object"))
        };
        match self.batch(&flat, n_rows, scaling, output == Output::PredictProba)? {
            Predictions::Values(values) => {
                let values: Array = values.into_iter().map(JsValue::from_f64).collect();
                set("prediction", &values)?;
            }
            Predictions::Classes { labels, proba } => match (output, proba) {
                (Output::PredictProba, Some(proba)) => {
                    let k = self.model.classes().len();
                    let rows: Array = proba
                        .chunks(k.max(1))
                        .map(|row| {
                            row.iter()
                                .copied()
                                .map(JsValue::from_f64)
                                .collect::<Array>()
                        })
                        .collect();
                    set("predict_proba", &rows)?;
                    let classes: Array = self.model.classes().iter().map(label_value).collect();
                    set("classes", &classes)?;
                }
                _ => set("prediction", &self.labels(&labels))?,
            },
        }
        Ok(answer.into())
    }

    /// Predicts `nRows` rows of row-major values (columns in `info().features` order; NaN
    /// is a missing value): a `Float64Array` of values for a regressor, an `Array` of
    /// class labels for a classifier.
    #[wasm_bindgen(js_name = predictRows, unchecked_return_type = "Float64Array | Label[]")]
    pub fn predict_rows(
        &self,
        rows: &[f64],
        #[wasm_bindgen(js_name = nRows)] n_rows: usize,
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> Result<JsValue, JsError> {
        let scaling = scaling(options.as_ref())?;
        match self.batch(rows, n_rows, scaling, false)? {
            Predictions::Values(values) => Ok(Float64Array::from(values.as_slice()).into()),
            Predictions::Classes { labels, .. } => Ok(self.labels(&labels).into()),
        }
    }

    /// One row's value (columns in `info().features` order; NaN is a missing value) as a
    /// number: a regressor's one-row call with no array in or out, 0.15-0.2 us cheaper
    /// than `predictRows(row, 1)`. A classifier throws: its labels come from `predictRows`,
    /// its probabilities from `predictProba`.
    #[wasm_bindgen(js_name = predictValue)]
    pub fn predict_value(
        &self,
        row: &[f64],
        #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
    ) -> Result<f64, JsError> {
        if self.model.is_classifier() {
            return Err(self.not_a_regressor());
        }
        let scaling = scaling(options.as_ref())?;
        match self.batch(row, 1, scaling, false)? {
            Predictions::Values(values) => Ok(values[0]),
            Predictions::Classes { .. } => Err(self.not_a_regressor()),
        }
    }

    /// A classifier's probabilities for `nRows` row-major rows: `nRows x K` values,
    /// row-major, in `info().classes` order (the training scaling of the file).
    #[wasm_bindgen(js_name = predictProba)]
    pub fn predict_proba(
        &self,
        rows: &[f64],
        #[wasm_bindgen(js_name = nRows)] n_rows: usize,
    ) -> Result<Vec<f64>, JsError> {
        if !self.model.is_classifier() {
            return Err(self.not_a_classifier());
        }
        match self.batch(rows, n_rows, Scaling::Training, true)? {
            Predictions::Classes {
                proba: Some(proba), ..
            } => Ok(proba),
            _ => Err(self.not_a_classifier()),
        }
    }

    /// The model: name, version, description, target, features (model order), classes
    /// (`[]` for a regressor), the estimator's kind and the scikit-learn version that
    /// pickled it (null for a version 1 file).
    #[wasm_bindgen(unchecked_return_type = "LoadedModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Info<'m> {
            name: &'m str,
            version: &'m str,
            description: &'m str,
            target: Option<&'m str>,
            features: Vec<&'m str>,
            kind: &'static str,
            sklearn_version: Option<String>,
        }
        let model = &self.model;
        let info = Info {
            name: model.name(),
            version: model.version(),
            description: model.description(),
            target: model.target(),
            features: model.features().collect(),
            kind: model.estimator().as_predict().kind(),
            sklearn_version: model.sklearn_version().map(|v| v.to_string()),
        };
        let value = info.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?;
        let classes: Array = model.classes().iter().map(label_value).collect();
        js_sys::Reflect::set(&value, &JsValue::from_str("classes"), &classes)
            .map_err(|_| JsError::new("cannot build the info object"))?;
        Ok(value)
    }
}
