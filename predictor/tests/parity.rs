//! Exact parity with the original stack: every golden case in model_data/golden (made by
//! Python 3.7 + scikit-learn 0.20.3 + pandas 0.24.2 + numpy 1.17.2) must come out with
//! the same bits, in both scaling modes, through the same route table every target uses.

use predictor::{Model, Request, Scaling, Service, ServiceOptions};
use serde_json::Value;

use golden::bits;

#[test]
fn per_request_cases_match_the_original_service() {
    let cases = golden::per_request_cases();
    let service = Service::new(Model::embedded(), ServiceOptions::default());
    let mut total_rows = 0;
    let features: Vec<&str> = Model::embedded().features().collect();
    for case in &cases {
        let payload =
            as_the_original_read_it(&case["payload"], &case["original_column_order"], &features);
        let body = serde_json::to_vec(&payload).unwrap();
        let response = service.handle(&Request {
            method: "POST",
            path: "/predict",
            query: "scaling=per-request",
            content_type: Some("application/json"),
            inference_header_length: None,
            body: &body,
        });
        assert_eq!(
            response.status,
            200,
            "{}: {}",
            case["name"],
            response.text()
        );
        let got: Value = serde_json::from_slice(&response.body).unwrap();
        let expected = bits(&case["prediction"]);
        total_rows += expected.len();
        assert_eq!(bits(&got["prediction"]), expected, "case {}", case["name"]);
    }
    assert!(total_rows > 5000, "{total_rows} rows");
}

/// The original took columns by position, and pandas 0.24 sorted a list of records'
/// keys, so it fed the model B as CHAS, CHAS as RM, and so on. This service matches
/// columns by name; renaming each column to the feature the original fed it to
/// reproduces the original's arithmetic exactly.
fn as_the_original_read_it(payload: &Value, original_order: &Value, features: &[&str]) -> Value {
    let order: Vec<&str> = original_order
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let rename = |object: &serde_json::Map<String, Value>| -> Value {
        let mut renamed = serde_json::Map::new();
        for (k, v) in object {
            let position = order.iter().position(|c| c == k).unwrap();
            renamed.insert(features[position].to_string(), v.clone());
        }
        Value::Object(renamed)
    };
    match payload {
        Value::Object(columns) => rename(columns),
        Value::Array(records) => Value::Array(
            records
                .iter()
                .map(|r| rename(r.as_object().unwrap()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn training_rows_match_scikit_learn() {
    let training = golden::training();
    let model = Model::embedded();
    assert_eq!(
        golden::FEATURES.to_vec(),
        model.features().collect::<Vec<_>>()
    );
    let rows = training.flat_rows();
    let expected = training.prediction_bits;
    assert!(expected.len() >= 2000, "{} rows", expected.len());
    // As one batch...
    let batch = model.predict_flat(&rows, Scaling::Training).unwrap();
    let got: Vec<u64> = batch.iter().map(|p| p.to_bits()).collect();
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "row {i}: {:?}", &rows[i * 6..i * 6 + 6]);
    }
    assert_eq!(got.len(), expected.len());
    // ...and one row at a time.
    for (i, row) in rows.chunks_exact(6).enumerate() {
        let one = model.predict_flat(row, Scaling::Training).unwrap();
        assert_eq!(one[0].to_bits(), expected[i], "row {i} alone");
    }
}

#[test]
fn rows_scikit_learn_refuses_are_refused() {
    let rejected = golden::training().rejected_rows;
    assert!(!rejected.is_empty());
    let model = Model::embedded();
    for row in rejected {
        let err = model.predict_flat(&row, Scaling::Training).unwrap_err();
        assert_eq!(predictor::api::status_of(&err), 422);
        assert!(err.to_string().contains("overflows float32"), "{err}");
    }
}

#[test]
fn a_value_that_is_not_finite_is_named_before_any_overflow() {
    let overflowing = golden::training().rejected_rows[0].clone();
    let model = Model::embedded();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut rows = overflowing.clone();
        rows.extend([0.0, bad, 296.0, 15.3, 396.9, 4.98]);
        for scaling in [Scaling::Training, Scaling::PerRequest] {
            let err = model.predict_flat(&rows, scaling).unwrap_err();
            let expected = if bad.is_nan() {
                // NaN is a missing value, which this model (as scikit-learn's) refuses.
                "row 1: value for RM is missing, and this model does not take missing values (scikit-learn refuses NaN in its input)"
            } else {
                "row 1: value for RM is not a finite number"
            };
            assert_eq!(err.to_string(), expected, "{bad} {scaling:?}");
            assert_eq!(predictor::api::status_of(&err), 422);
        }
    }
}

#[test]
fn reference_values_from_the_reference_document() {
    let model = Model::embedded();
    let housing_1_to_3 = [
        [0.0, 6.421, 242.0, 17.8, 396.9, 9.14],
        [0.0, 7.185, 242.0, 17.8, 392.83, 4.03],
        [0.0, 6.998, 222.0, 18.7, 394.63, 2.94],
    ];
    let flat: Vec<f64> = housing_1_to_3.iter().flatten().copied().collect();
    let got = model.predict_flat(&flat, Scaling::Training).unwrap();
    let expected = [22.32004381268876, 35.44994977530471, 33.59861808659295];
    for (g, e) in got.iter().zip(expected) {
        assert_eq!(g.to_bits(), f64::to_bits(e));
    }
}
