//! The model file format: the committed file loads to exactly the embedded model, and
//! every kind of broken file is refused with a message naming the field.

use predictor::{Model, ModelError};
use serde_json::{json, Value};

const MODEL_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../model_data/boston_housing.model.json"
);

fn committed() -> Value {
    serde_json::from_slice(&std::fs::read(MODEL_FILE).unwrap()).unwrap()
}

/// `from_json` of the file, checked to agree with `from_json_vec` (which frees the bytes
/// before validating) on the model or on the refusal.
fn load(v: &Value) -> Result<Model, ModelError> {
    load_bytes(serde_json::to_vec(v).unwrap())
}

#[track_caller]
fn load_bytes(bytes: Vec<u8>) -> Result<Model, ModelError> {
    let by_slice = Model::from_json(&bytes);
    match (&by_slice, Model::from_json_vec(bytes)) {
        (Ok(a), Ok(b)) => assert!(*a == b, "from_json_vec loaded another model"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!(
            "from_json gave {:?}, from_json_vec {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }
    by_slice
}

#[track_caller]
fn assert_refused(v: &Value, needle: &str) {
    match load(v) {
        Ok(_) => panic!("a broken model file was accepted (expected {needle:?})"),
        Err(error) => {
            let message = error.message();
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            assert_eq!(error.to_string(), format!("invalid model: {message}"));
        }
    }
}

#[test]
fn committed_file_loads_to_the_embedded_model() {
    let bytes = std::fs::read(MODEL_FILE).unwrap();
    let loaded = Model::from_json(&bytes).unwrap();
    assert!(loaded == *Model::embedded());
    assert_eq!(loaded.name(), "boston-housing");
    assert_eq!(
        loaded.features().collect::<Vec<_>>(),
        ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
    );
    let gbr = loaded.estimator().as_gradient_boosting().unwrap();
    assert_eq!(gbr.n_trees(), 400);
    assert_eq!(gbr.node_table().unwrap().n_nodes(), 5764);
}

#[test]
fn every_zoo_file_loads_the_same_from_a_slice_and_from_an_owned_vec() {
    let zoo = concat!(env!("CARGO_MANIFEST_DIR"), "/../model_data/zoo");
    let mut loaded = 0;
    for line in std::fs::read_dir(zoo).unwrap() {
        for file in std::fs::read_dir(line.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.to_string_lossy().ends_with(".model.json") {
                load_bytes(std::fs::read(&path).unwrap()).unwrap();
                loaded += 1;
            }
        }
    }
    assert!(loaded >= 100, "{loaded} zoo files");
}

#[test]
fn broken_files_are_refused_with_the_field_named() {
    let mut v = committed();
    v["format"] = json!("onnx");
    assert_refused(&v, "format");

    let mut v = committed();
    v["format_version"] = json!(3);
    assert_refused(
        &v,
        "format_version 3 is not supported (this build reads 1 to 2)",
    );

    // A version 1 body labelled version 2 lacks version 2's fields.
    let mut v = committed();
    v["format_version"] = json!(2);
    assert_refused(&v, "not a valid model file");

    let mut v = committed();
    v["features"] = json!(["CHAS", "RM", "TAX", "PTRATIO", "B", "CHAS"]);
    assert_refused(&v, "CHAS is listed twice");

    let mut v = committed();
    v["scaler"]["scale"][2] = json!(0.0);
    assert_refused(&v, "scaler.scale[2] is zero");

    let mut v = committed();
    v["scaler"]["mean"] = json!([0.0, 1.0]);
    assert_refused(&v, "scaler.mean has 2 values");

    let mut v = committed();
    v["estimator"]["loss"] = json!("huber");
    assert_refused(&v, "huber");

    let mut v = committed();
    v["estimator"]["trees"][3]["feature"][0] = json!(6);
    assert_refused(&v, "estimator.trees[3]: node 0 splits on feature 6");

    // A child pointing back at its parent would loop forever: refused.
    let mut v = committed();
    v["estimator"]["trees"][7]["children_left"][1] = json!(0);
    assert_refused(&v, "estimator.trees[7]: node 1 has children 0");

    let mut v = committed();
    v["estimator"]["trees"][0]["value"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_refused(&v, "value has 14 entries");

    let mut v = committed();
    v["estimator"]["trees"] = json!([]);
    assert_refused(&v, "trees is empty");

    let mut v = committed();
    v["estimator"]["kind"] = json!("random_forest_regressor");
    assert_refused(&v, "not a valid model file");

    let truncated = Model::from_json(b"{\"format\":").unwrap_err();
    assert!(truncated.message().starts_with("not a valid model file"));
}

#[test]
fn a_model_without_scaler_uses_raw_inputs_in_training_mode() {
    let mut v = committed();
    v["scaler"] = Value::Null;
    let unscaled = load(&v).unwrap();
    let raw = [0.0, 6.575, 296.0, 15.3, 396.9, 4.98];
    let scaler = Model::embedded().scaler().unwrap();
    let scaled: Vec<f64> = raw
        .iter()
        .zip(scaler.mean().iter().zip(scaler.scale()))
        .map(|(x, (m, s))| (x - m) / s)
        .collect();
    let direct = unscaled
        .predict_flat(&scaled, predictor::Scaling::Training)
        .unwrap();
    assert_eq!(direct[0].to_bits(), 25.0021457871835f64.to_bits());
}
