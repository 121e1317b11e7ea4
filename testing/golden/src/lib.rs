//! The golden cases (model_data/golden, made by the original Python stack) and the README
//! sample, read in one place so that every crate's tests check the same files the same
//! way. Dev-only: no library or binary depends on it.

use serde_json::Value;

pub mod zoo;

/// The README's one-row payload (columns orientation).
pub const SAMPLE: &str = r#"{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}"#;
/// `SAMPLE`'s response with training scaling.
pub const SAMPLE_ANSWER: &str = r#"{"prediction":[25.0021457871835]}"#;
/// `SAMPLE`'s row in model column order.
pub const SAMPLE_ROW: [f64; 6] = [0.0, 6.575, 296.0, 15.3, 396.9, 4.98];
/// `SAMPLE`'s prediction with training and with per-request scaling.
pub const SAMPLE_TRAINING: f64 = 25.0021457871835;
pub const SAMPLE_PER_REQUEST: f64 = 20.35373177134412;

/// The Boston model's features, in model order.
pub const FEATURES: [&str; 6] = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"];

/// Where the golden files are.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../model_data/golden");

/// A golden file, parsed.
pub fn json(name: &str) -> Value {
    let path = format!("{DIR}/{name}");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON array of floats as their bits.
pub fn bits(values: &Value) -> Vec<u64> {
    values
        .as_array()
        .expect("an array of numbers")
        .iter()
        .map(|v| v.as_f64().expect("a number").to_bits())
        .collect()
}

/// training.json: rows scikit-learn predicted with the training scaler.
pub struct Training {
    /// The training rows, model column order.
    pub rows: Vec<[f64; 6]>,
    /// scikit-learn's prediction of each row, as bits.
    pub prediction_bits: Vec<u64>,
    /// Rows scikit-learn refuses (a scaled value overflows float32).
    pub rejected_rows: Vec<Vec<f64>>,
}

impl Training {
    /// The rows flattened, row-major.
    pub fn flat_rows(&self) -> Vec<f64> {
        self.rows.iter().flatten().copied().collect()
    }
}

/// training.json, checked to hold what every test relies on.
pub fn training() -> Training {
    let g = json("training.json");
    assert_eq!(g["features"], serde_json::json!(FEATURES));
    let rows: Vec<[f64; 6]> = serde_json::from_value(g["rows"].clone()).unwrap();
    let prediction_bits = bits(&g["prediction"]);
    let rejected_rows: Vec<Vec<f64>> = serde_json::from_value(g["rejected_rows"].clone()).unwrap();
    assert_eq!(rows.len(), prediction_bits.len());
    assert!(rows.len() > 5000, "only {} training rows", rows.len());
    Training {
        rows,
        prediction_bits,
        rejected_rows,
    }
}

/// per_request.json: payloads the original service answered (a scaler fitted on each
/// request), each with `name`, `payload`, `prediction` and `original_column_order`.
pub fn per_request_cases() -> Vec<Value> {
    let cases = json("per_request.json");
    let cases = cases["cases"].as_array().unwrap().clone();
    assert!(cases.len() >= 100, "only {} golden payloads", cases.len());
    cases
}
