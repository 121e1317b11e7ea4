//! The model zoo (model_data/zoo/sklearn-<line>/): per model the committed version 2 export
//! (`NAME.model.json`) and what that line's real scikit-learn predicted (`NAME.golden.json`,
//! written by tools/zoo/make_zoo.py), read once for every crate's parity tests.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

/// Where the zoo is.
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../model_data/zoo");

/// One zoo model: its export and its golden.
pub struct Case {
    /// `sklearn-1.9`, ...
    pub line: String,
    pub name: String,
    pub model_path: PathBuf,
    pub model_bytes: Vec<u8>,
    /// The export's `estimator.kind`.
    pub kind: String,
    pub golden: Value,
}

impl Case {
    /// `sklearn-1.9/random_forest_classifier`, for messages.
    pub fn id(&self) -> String {
        format!("{}/{}", self.line, self.name)
    }
}

/// Every zoo model of every line, in a stable order.
pub fn cases() -> Vec<Case> {
    let mut lines: Vec<PathBuf> = std::fs::read_dir(DIR)
        .unwrap_or_else(|e| panic!("{DIR}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    lines.sort();
    let mut cases = Vec::new();
    for line in lines {
        let mut goldens: Vec<PathBuf> = std::fs::read_dir(&line)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".golden.json"))
            .collect();
        goldens.sort();
        for golden_path in goldens {
            let file = golden_path.file_name().unwrap().to_string_lossy();
            let name = file.trim_end_matches(".golden.json").to_string();
            let model_path = line.join(format!("{name}.model.json"));
            let model_bytes = read(&model_path);
            let model: Value = serde_json::from_slice(&model_bytes).unwrap();
            let kind = model["estimator"]["kind"].as_str().unwrap().to_string();
            cases.push(Case {
                line: line.file_name().unwrap().to_string_lossy().into_owned(),
                name,
                model_path,
                model_bytes,
                kind,
                golden: serde_json::from_slice(&read(&golden_path)).unwrap(),
            });
        }
    }
    cases
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `{"dtype": "<f8", "shape", "data"}` array of a golden: its shape and values.
pub fn f64_array(value: &Value) -> (Vec<usize>, Vec<f64>) {
    assert_eq!(value["dtype"], "<f8", "{value}");
    let shape = value["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value["data"].as_str().unwrap())
        .unwrap();
    let values = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (shape, values)
}

/// How far apart two floats are in units in the last place (0 when equal, including
/// NaN == NaN; `u64::MAX` across signs).
pub fn ulps(a: f64, b: f64) -> u64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        return u64::MAX;
    }
    a.to_bits().abs_diff(b.to_bits())
}

/// Asserts that `ours` (flat, row-major) has the golden array's length and each value is
/// within `max_ulps` of scikit-learn's.
#[track_caller]
pub fn assert_within_ulps(ours: &[f64], golden: &Value, max_ulps: u64) {
    let (_, theirs) = f64_array(golden);
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert!(
            ulps(*a, *b) <= max_ulps,
            "[{i}] {a:e} vs scikit-learn's {b:e}"
        );
    }
}
