//! The browser / Node module (wasm32-unknown-unknown + wasm-bindgen, packed into web/pkg/ by
//! scripts/build/web.sh): the core's `/predict` codec and row API as JavaScript functions,
//! same bits and same error messages as the server. The functions here serve the embedded
//! model; `loadModel(bytes)` (`loaded`) gives a `Model` object for any model file.
//!
//! A payload is read straight from the JavaScript value into the server's JSON tree
//! (`js_json`; JS numbers are float64, so no bits are lost) and then decoded by the
//! server's own code, so it is read as the same JSON POSTed to `/predict` would be,
//! without shipping a JSON parser in the module. Numeric string cells are valued by the
//! engine's `parseFloat` (`payload::decode_json_with`), so Rust's float parser is not shipped
//! either. Results go back through serde-wasm-bindgen.
//!
//! The crate also builds natively (wasm-bindgen's glue would only fail when called outside
//! wasm), so `cargo clippy --workspace` and `cargo test --workspace` check it on the host.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use predictor::payload;
use predictor::{Model, PredictError, Scaling};

mod js_json;
mod loaded;

pub use loaded::{load_model, LoadedModel};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** How to standardise the inputs (the server's `?scaling=`); default "training". For a
 * loaded model's `predict`, also what to answer (the server's `?output=`): default "predict". */
export interface PredictOptions {
  scaling?: "training" | "per-request";
  output?: "predict" | "predict_proba";
}
/** A classifier's class label, as its `classes_` holds it. */
export type Label = number | string | boolean;
/** What `predict` returns: one float (a regressor) or one class label (a classifier) per
 * row, as `POST /predict` answers. */
export interface Prediction {
  prediction: number[] | Label[];
}
/** A classifier's `predict` with `output: "predict_proba"`: K probabilities per row, in
 * `classes` order, as `POST /predict?output=predict_proba` answers. */
export interface ProbaPrediction {
  predict_proba: number[][];
  classes: Label[];
}
/** A loaded model (`Model.info()`). */
export interface LoadedModelInfo {
  name: string;
  version: string;
  description: string;
  target: string | null;
  features: string[];
  /** The class labels in `classes_` order; empty for a regressor. */
  classes: Label[];
  /** The estimator's kind, as the model file names it (`random_forest_classifier`, ...). */
  kind: string;
  /** The scikit-learn version that pickled the model (null for a version 1 file). */
  sklearnVersion: string | null;
}
/** The embedded model. */
export interface ModelInfo {
  name: string;
  version: string;
  description: string;
  target: string | null;
  features: string[];
  scalings: string[];
  defaultScaling: string;
}
"#;

/// `options.scaling`, or the default.
fn scaling(options: Option<&js_sys::Object>) -> Result<Scaling, JsError> {
    match option_string(
        options,
        "scaling",
        "a string, \"training\" or \"per-request\"",
    )? {
        None => Ok(Scaling::default()),
        Some(name) => name.parse().map_err(js_error),
    }
}

/// `options[name]` if it is set (not undefined or null); an error if reading it throws
/// (a getter, a proxy) or it is not a string (`expected` says what it must be).
fn option_string(
    options: Option<&js_sys::Object>,
    name: &str,
    expected: &str,
) -> Result<Option<String>, JsError> {
    let Some(options) = options else {
        return Ok(None);
    };
    let value = js_sys::Reflect::get(options, &JsValue::from_str(name))
        .map_err(|_| JsError::new(&format!("options: cannot read options.{name}")))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| JsError::new(&format!("options: {name} must be {expected}")))
}

fn js_error(err: PredictError) -> JsError {
    JsError::new(&err.to_string())
}

/// Predicts a `/predict` payload: an object of columns (`{"RM": {"0": 6.575}, ...}` or
/// `{"RM": [6.575], ...}`), an array of records, or an array of rows in model order.
#[wasm_bindgen(unchecked_return_type = "Prediction")]
pub fn predict(
    #[wasm_bindgen(unchecked_param_type = "object")] payload: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Prediction {
        prediction: Vec<f64>,
    }
    let scaling = scaling(options.as_ref())?;
    if payload.is_undefined() {
        return Err(JsError::new(
            "payload is undefined; expected an object of columns or an array of records",
        ));
    }
    let json = js_json::to_json(&payload)
        .map_err(|reason| JsError::new(&format!("payload holds {reason}")))?;
    let model = Model::embedded();
    let rows = payload::decode_json_with(&json, model, usize::MAX, js_sys::parse_float)
        .map_err(js_error)?;
    let prediction = model.predict(rows.view(), scaling).map_err(js_error)?;
    Ok(serde_wasm_bindgen::to_value(&Prediction { prediction })?)
}

/// Predicts `nRows` rows of row-major values, the model's columns in model order
/// (`modelInfo().features`); the fast path for numeric data.
#[wasm_bindgen(js_name = predictRows)]
pub fn predict_rows(
    rows: &[f64],
    #[wasm_bindgen(js_name = nRows)] n_rows: usize,
    #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
) -> Result<Vec<f64>, JsError> {
    let scaling = scaling(options.as_ref())?;
    let model = Model::embedded();
    let width = model.n_features();
    if n_rows.checked_mul(width) != Some(rows.len()) {
        return Err(JsError::new(&format!(
            "{nRows} rows of {width} values need {want} values, got {got}",
            nRows = n_rows,
            want = n_rows.saturating_mul(width),
            got = rows.len()
        )));
    }
    model.predict_flat(rows, scaling).map_err(js_error)
}

/// One row's value (the model's columns in model order) as a number: `predictRows(row, 1)`
/// with no array in or out, the cheapest call for one row.
#[wasm_bindgen(js_name = predictValue)]
pub fn predict_value(
    row: &[f64],
    #[wasm_bindgen(unchecked_param_type = "PredictOptions")] options: Option<js_sys::Object>,
) -> Result<f64, JsError> {
    predict_rows(row, 1, options).map(|values| values[0])
}

/// The embedded model: name, version, description, target and feature order.
#[wasm_bindgen(js_name = modelInfo, unchecked_return_type = "ModelInfo")]
pub fn model_info() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Info<'m> {
        name: &'m str,
        version: &'m str,
        description: &'m str,
        target: Option<&'m str>,
        features: Vec<&'m str>,
        scalings: [&'static str; 2],
        default_scaling: &'static str,
    }
    let model = Model::embedded();
    let info = Info {
        name: model.name(),
        version: model.version(),
        description: model.description(),
        target: model.target(),
        features: model.features().collect(),
        scalings: [Scaling::Training.as_str(), Scaling::PerRequest.as_str()],
        default_scaling: Scaling::default().as_str(),
    };
    // json_compatible: `target: None` becomes null, as the TypeScript type says.
    Ok(info.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
}
