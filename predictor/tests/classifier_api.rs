//! Classifiers and missing values through the one route table every target serves:
//! `/predict` labels and `?output=predict_proba`, V2 metadata datatypes and output
//! selection, null cells taken or refused. Every expected answer is what the real
//! scikit-learn recorded for the zoo model (model_data/zoo/sklearn-*/NAME.golden.json):
//! labels identical, probabilities within the bound model_data/README.md documents for
//! the kind ("What is exact": HistGradientBoosting's go through exp, at most 8 ulps).

use golden::zoo;
use predictor::{Model, Request, Response, Service, ServiceOptions};
use serde_json::{json, Value};

/// String labels (alpha, beta, gamma); takes missing values.
const STRING_LABELS: (&str, &str) = (
    "sklearn-1.9",
    "hist_gradient_boosting_classifier_multiclass_str",
);
/// Integer labels (0, 1, 2).
const INTEGER_LABELS: (&str, &str) = (
    "sklearn-1.9",
    "hist_gradient_boosting_classifier_multiclass",
);
/// Refuses missing values, as its scikit-learn does ("Input X contains NaN").
const REFUSES_MISSING: (&str, &str) = ("sklearn-1.9", "logistic_regression_multinomial_str");
/// A regressor.
const REGRESSOR: (&str, &str) = ("sklearn-1.9", "pipeline_standard_ridge");
/// How far HistGradientBoosting's probabilities may be from scikit-learn's (numpy's SIMD
/// exp; model_data/README.md).
const PROBA_ULPS: u64 = 8;

/// A zoo model and its golden.
struct Zoo {
    model: Model,
    golden: Value,
}

fn zoo((line, name): (&str, &str)) -> Zoo {
    let dir = format!("{}/{line}", zoo::DIR);
    let bytes = std::fs::read(format!("{dir}/{name}.model.json")).unwrap();
    let golden = std::fs::read(format!("{dir}/{name}.golden.json")).unwrap();
    Zoo {
        model: Model::from_json(&bytes).unwrap_or_else(|e| panic!("{line}/{name}: {e}")),
        golden: serde_json::from_slice(&golden).unwrap(),
    }
}

impl Zoo {
    fn handle(&self, method: &str, path: &str, query: &str, body: &str) -> Response {
        Service::new(&self.model, ServiceOptions::default()).handle(&Request {
            method,
            path,
            query,
            content_type: Some("application/json"),
            inference_header_length: None,
            body: body.as_bytes(),
        })
    }

    /// A 200 answer's JSON.
    #[track_caller]
    fn ok(&self, method: &str, path: &str, query: &str, body: &str) -> Value {
        let response = self.handle(method, path, query, body);
        assert_eq!(response.status, 200, "{path}?{query}: {}", response.text());
        serde_json::from_slice(&response.body).unwrap()
    }

    /// An error answer: its status and message.
    fn error(&self, method: &str, path: &str, query: &str, body: &str) -> (u16, String) {
        let response = self.handle(method, path, query, body);
        let v: Value = serde_json::from_slice(&response.body).unwrap();
        (response.status, v["error"].as_str().unwrap().to_string())
    }

    /// The model's columns (the golden's rows are in this order).
    fn features(&self) -> Vec<String> {
        self.model.features().map(String::from).collect()
    }

    /// The golden's rows `key` (`X` or `X_nan`) as /predict records, NaN as null.
    fn records(&self, key: &str) -> String {
        let (shape, values) = zoo::f64_array(&self.golden[key]);
        let features = self.features();
        assert_eq!(shape[1], features.len());
        let records: Vec<Value> = values
            .chunks(shape[1])
            .map(|row| {
                let record: serde_json::Map<String, Value> = features
                    .iter()
                    .cloned()
                    .zip(row.iter().map(|x| Value::from(*x)))
                    .collect();
                Value::Object(record)
            })
            .collect();
        Value::Array(records).to_string()
    }

    /// The golden's rows `key` as one V2 `[N, F]` FP64 tensor (NaN as null), asking for
    /// `outputs` (none: the default).
    fn infer_body(&self, key: &str, outputs: &[&str]) -> String {
        let (shape, values) = zoo::f64_array(&self.golden[key]);
        let data: Vec<Value> = values.iter().map(|x| Value::from(*x)).collect();
        let mut body =
            json!({"inputs": [{"name": "x", "shape": shape, "datatype": "FP64", "data": data}]});
        if !outputs.is_empty() {
            let outputs: Vec<Value> = outputs.iter().map(|n| json!({"name": n})).collect();
            body["outputs"] = Value::Array(outputs);
        }
        body.to_string()
    }

    fn infer_path(&self) -> String {
        format!("/v2/models/{}/infer", self.model.name())
    }
}

/// A JSON array of arrays of floats, flattened, as bits.
fn rows_bits(rows: &Value) -> Vec<u64> {
    rows.as_array()
        .unwrap()
        .iter()
        .flat_map(golden::bits)
        .collect()
}

/// A JSON array of floats.
fn floats(values: &Value) -> Vec<f64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// Probabilities (flat, row-major) within `PROBA_ULPS` of the golden array's.
#[track_caller]
fn assert_proba(ours: &[f64], golden: &Value) {
    zoo::assert_within_ulps(ours, golden, PROBA_ULPS);
}

/// The probabilities the model computes, for the check that every printed float parses
/// back to the same float64.
fn computed_proba(zoo: &Zoo, key: &str) -> Vec<u64> {
    let (_, rows) = zoo::f64_array(&zoo.golden[key]);
    match zoo
        .model
        .predict_batch(&rows, predictor::Scaling::Training, true)
        .unwrap()
    {
        predictor::Predictions::Classes { proba: Some(p), .. } => {
            p.iter().map(|x| x.to_bits()).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn string_labels_and_probabilities_are_scikit_learns() {
    let zoo = zoo(STRING_LABELS);
    let body = zoo.records("X");
    let answer = zoo.ok("POST", "/predict", "", &body);
    assert_eq!(answer, json!({"prediction": zoo.golden["predict"]}));
    assert!(answer["prediction"][0].is_string());

    let answer = zoo.ok("POST", "/predict", "output=predict_proba", &body);
    let (shape, _) = zoo::f64_array(&zoo.golden["predict_proba"]);
    assert_eq!(answer["classes"], json!(["alpha", "beta", "gamma"]));
    assert_eq!(answer["classes"], zoo.golden["classes"]);
    let rows = answer["predict_proba"].as_array().unwrap();
    assert_eq!(
        (rows.len(), rows[0].as_array().unwrap().len()),
        (shape[0], shape[1])
    );
    let printed = rows_bits(&answer["predict_proba"]);
    assert_proba(
        &printed
            .iter()
            .map(|b| f64::from_bits(*b))
            .collect::<Vec<_>>(),
        &zoo.golden["predict_proba"],
    );
    assert_eq!(printed, computed_proba(&zoo, "X"));
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["classes", "predict_proba"]
    );
}

#[test]
fn integer_labels_are_json_numbers_as_in_classes() {
    let zoo = zoo(INTEGER_LABELS);
    assert_eq!(zoo.golden["classes"], json!([0, 1, 2]));
    let answer = zoo.ok("POST", "/predict", "", &zoo.records("X"));
    assert_eq!(answer["prediction"], zoo.golden["predict"]);
    assert!(answer["prediction"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_i64));
    let answer = zoo.ok(
        "POST",
        "/predict",
        "output=predict_proba",
        &zoo.records("X"),
    );
    assert_eq!(answer["classes"], json!([0, 1, 2]));
    assert_eq!(
        rows_bits(&answer["predict_proba"]),
        computed_proba(&zoo, "X")
    );
}

#[test]
fn v2_metadata_types_the_outputs_by_label_kind() {
    let outputs = |zoo: &Zoo| {
        let path = format!("/v2/models/{}", zoo.model.name());
        zoo.ok("GET", &path, "", "")["outputs"].clone()
    };
    assert_eq!(
        outputs(&zoo(STRING_LABELS)),
        json!([
            {"name": "predict", "datatype": "BYTES", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}
        ])
    );
    assert_eq!(
        outputs(&zoo(INTEGER_LABELS)),
        json!([
            {"name": "predict", "datatype": "INT64", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}
        ])
    );
    assert_eq!(
        outputs(&zoo(REGRESSOR)),
        json!([{"name": "predict", "datatype": "FP64", "shape": [-1]}])
    );
}

#[test]
fn v2_infer_answers_the_outputs_asked_for() {
    let zoo = zoo(STRING_LABELS);
    let path = zoo.infer_path();
    let (proba_shape, _) = zoo::f64_array(&zoo.golden["predict_proba"]);
    let proba_bits = computed_proba(&zoo, "X");
    let n = proba_shape[0];

    // None named: predict only (MLServer's convention).
    let answer = zoo.ok("POST", &path, "", &zoo.infer_body("X", &[]));
    assert_eq!(
        answer["outputs"],
        json!([{"name": "predict", "datatype": "BYTES", "shape": [n], "data": zoo.golden["predict"]}])
    );

    let answer = zoo.ok("POST", &path, "", &zoo.infer_body("X", &["predict_proba"]));
    let outputs = answer["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["name"], "predict_proba");
    assert_eq!(outputs[0]["datatype"], "FP64");
    assert_eq!(outputs[0]["shape"], json!(proba_shape));
    assert_eq!(golden::bits(&outputs[0]["data"]), proba_bits);
    assert_proba(&floats(&outputs[0]["data"]), &zoo.golden["predict_proba"]);

    // Both, in the order asked for.
    let answer = zoo.ok(
        "POST",
        &path,
        "",
        &zoo.infer_body("X", &["predict_proba", "predict"]),
    );
    let names: Vec<&Value> = answer["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert_eq!(names, [&json!("predict_proba"), &json!("predict")]);
    assert_eq!(golden::bits(&answer["outputs"][0]["data"]), proba_bits);
    assert_eq!(answer["outputs"][1]["data"], zoo.golden["predict"]);

    let (status, message) = zoo.error("POST", &path, "", &zoo.infer_body("X", &["proba"]));
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "unknown output \"proba\"; the model has the outputs \"predict\", \"predict_proba\""
    );
}

#[test]
fn v2_integer_labels_are_int64() {
    let zoo = zoo(INTEGER_LABELS);
    let answer = zoo.ok(
        "POST",
        &zoo.infer_path(),
        "",
        &zoo.infer_body("X", &["predict"]),
    );
    assert_eq!(answer["outputs"][0]["datatype"], "INT64");
    assert_eq!(answer["outputs"][0]["data"], zoo.golden["predict"]);
}

#[test]
fn null_is_a_missing_value_for_a_model_that_takes_them() {
    let zoo = zoo(STRING_LABELS);
    let expected = &zoo.golden["nan_outputs"];
    let proba_bits = computed_proba(&zoo, "X_nan");
    let body = zoo.records("X_nan");
    assert!(body.contains("null"));
    let answer = zoo.ok("POST", "/predict", "", &body);
    assert_eq!(answer["prediction"], expected["predict"]);
    let answer = zoo.ok("POST", "/predict", "output=predict_proba", &body);
    assert_eq!(rows_bits(&answer["predict_proba"]), proba_bits);
    assert_proba(
        &floats(&Value::Array(
            answer["predict_proba"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().clone())
                .collect(),
        )),
        &expected["predict_proba"],
    );

    // V2: null in an FP64 tensor's data.
    let body = zoo.infer_body("X_nan", &["predict", "predict_proba"]);
    let answer = zoo.ok("POST", &zoo.infer_path(), "", &body);
    assert_eq!(answer["outputs"][0]["data"], expected["predict"]);
    assert_eq!(golden::bits(&answer["outputs"][1]["data"]), proba_bits);
}

#[test]
fn a_model_that_does_not_take_missing_values_refuses_them_by_row_and_column() {
    // The golden records scikit-learn's refusal.
    let zoo = zoo(REFUSES_MISSING);
    assert!(zoo.golden["nan_rejected"]
        .as_str()
        .unwrap()
        .contains("Input X contains NaN"));
    let f = zoo.features();
    let body = format!(
        r#"{{"{a}":[5.1,5.1],"{b}":[3.5,3.5],"{c}":[1.4,null],"{d}":[0.2,0.2]}}"#,
        a = f[0],
        b = f[1],
        c = f[2],
        d = f[3]
    );
    let (status, message) = zoo.error("POST", "/predict", "", &body);
    assert_eq!(status, 422);
    assert_eq!(
        message,
        format!(
            "row 1: value for {} is missing, and this model does not take missing values \
             (scikit-learn refuses NaN in its input)",
            f[2]
        )
    );
    let body =
        r#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,null,1.4,0.2]}]}"#;
    let (status, message) = zoo.error("POST", &zoo.infer_path(), "", body);
    assert_eq!(status, 400);
    assert!(
        message.starts_with(&format!("row 0: value for {} is missing", f[1])),
        "{message}"
    );
}

#[test]
fn output_is_checked_against_the_model() {
    let ridge = zoo(REGRESSOR);
    let body = ridge.records("X");
    let (status, message) = ridge.error("POST", "/predict", "output=predict_proba", &body);
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "output predict_proba needs a classifier; model pipeline_standard_ridge is a regressor"
    );
    let (status, message) = ridge.error("POST", "/predict", "output=proba", &body);
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "unknown output \"proba\"; use predict or predict_proba"
    );
    let (status, message) = ridge.error(
        "POST",
        &ridge.infer_path(),
        "",
        &ridge.infer_body("X", &["predict_proba"]),
    );
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "unknown output \"predict_proba\"; the model has one output, \"predict\""
    );
    // A regressor still answers {"prediction": [f64, ...]}, each float printed so it
    // parses back to the bits the model computed.
    let answer = ridge.ok("POST", "/predict", "output=predict", &body);
    let (_, rows) = zoo::f64_array(&ridge.golden["X"]);
    let values = ridge
        .model
        .predict_flat(&rows, predictor::Scaling::Training)
        .unwrap();
    let bits: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(golden::bits(&answer["prediction"]), bits);
}

/// Tree classifiers answer scikit-learn's probabilities bit for bit, so through every
/// route the printed floats are the golden's bits: string labels, integer labels that are
/// not their indices (3, 7), a pipeline with an imputer, and trees that route NaN.
#[test]
fn tree_classifiers_answer_scikit_learns_bits_through_every_route() {
    for (id, datatype) in [
        (("sklearn-1.9", "decision_tree_classifier_str"), "BYTES"),
        (
            ("sklearn-1.9", "pipeline_imputer_median_decision_tree_int"),
            "INT64",
        ),
        (("sklearn-1.9", "decision_tree_classifier_nan"), "INT64"),
        (("sklearn-1.9", "random_forest_classifier_nan"), "INT64"),
    ] {
        let zoo = zoo(id);
        let mut cases = vec![(
            "X",
            zoo.golden["predict"].clone(),
            &zoo.golden["predict_proba"],
        )];
        if zoo.golden["nan_outputs"].is_object() {
            let nan = &zoo.golden["nan_outputs"];
            cases.push(("X_nan", nan["predict"].clone(), &nan["predict_proba"]));
        }
        for (key, labels, proba) in cases {
            let (shape, values) = zoo::f64_array(proba);
            let bits: Vec<u64> = values.iter().map(|x| x.to_bits()).collect();
            let records = zoo.records(key);
            let answer = zoo.ok("POST", "/predict", "", &records);
            assert_eq!(answer["prediction"], labels, "{id:?} {key}");
            let answer = zoo.ok("POST", "/predict", "output=predict_proba", &records);
            assert_eq!(answer["classes"], zoo.golden["classes"], "{id:?}");
            assert_eq!(rows_bits(&answer["predict_proba"]), bits, "{id:?} {key}");

            let body = zoo.infer_body(key, &["predict", "predict_proba"]);
            let answer = zoo.ok("POST", &zoo.infer_path(), "", &body);
            let outputs = &answer["outputs"];
            assert_eq!(outputs[0]["datatype"], datatype, "{id:?}");
            assert_eq!(outputs[0]["data"], labels, "{id:?} {key}");
            assert_eq!(outputs[1]["shape"], json!(shape), "{id:?}");
            assert_eq!(golden::bits(&outputs[1]["data"]), bits, "{id:?} {key}");
        }
    }
}

#[test]
fn integer_labels_are_the_labels_not_their_indices() {
    let zoo = zoo(("sklearn-1.9", "pipeline_imputer_median_decision_tree_int"));
    assert_eq!(zoo.golden["classes"], json!([3, 7]));
    let answer = zoo.ok("POST", "/predict", "", &zoo.records("X"));
    let labels = answer["prediction"].as_array().unwrap();
    assert!(labels.contains(&json!(3)) && labels.contains(&json!(7)));
    assert!(labels.iter().all(|l| *l == json!(3) || *l == json!(7)));
}

#[test]
fn trees_of_scikit_learn_1_0_refuse_missing_values() {
    let zoo = zoo(("sklearn-1.0", "decision_tree_classifier_str"));
    assert!(zoo.golden["nan_rejected"]
        .as_str()
        .unwrap()
        .contains("Input contains NaN"));
    let (status, message) = zoo.error("POST", "/predict", "", &zoo.records("X_nan"));
    assert_eq!(status, 422);
    assert!(
        message.starts_with("row 0: value for ")
            && message.ends_with(
                " is missing, and this model does not take missing values \
                 (scikit-learn refuses NaN in its input)"
            ),
        "{message}"
    );
}

/// Boolean, float and mixed labels: the zoo's [3, 7] tree with its `classes` relabelled,
/// so each answer is the golden's label mapped one to one.
#[test]
fn boolean_float_and_mixed_labels_keep_their_json_kind() {
    let original = zoo(("sklearn-1.9", "pipeline_imputer_median_decision_tree_int"));
    let path = format!(
        "{}/sklearn-1.9/pipeline_imputer_median_decision_tree_int.model.json",
        zoo::DIR
    );
    let file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for (classes, datatype, v2_labels) in [
        (json!([false, true]), "BOOL", json!([false, true])),
        (json!([0.5, 2.25]), "FP64", json!([0.5, 2.25])),
        (json!(["three", 7]), "BYTES", json!(["three", "7"])),
    ] {
        let mut relabelled = file.clone();
        relabelled["classes"] = classes.clone();
        let zoo = Zoo {
            model: Model::from_json(relabelled.to_string().as_bytes()).unwrap(),
            golden: original.golden.clone(),
        };
        let relabel = |labels: &Value, to: &Value| -> Value {
            labels
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    if *l == json!(3) {
                        to[0].clone()
                    } else {
                        to[1].clone()
                    }
                })
                .collect()
        };
        let answer = zoo.ok("POST", "/predict", "", &zoo.records("X"));
        assert_eq!(
            answer["prediction"],
            relabel(&zoo.golden["predict"], &classes)
        );
        let answer = zoo.ok(
            "POST",
            "/predict",
            "output=predict_proba",
            &zoo.records("X"),
        );
        assert_eq!(answer["classes"], classes);

        let metadata = zoo.ok("GET", &format!("/v2/models/{}", zoo.model.name()), "", "");
        assert_eq!(metadata["outputs"][0]["datatype"], datatype);
        let answer = zoo.ok("POST", &zoo.infer_path(), "", &zoo.infer_body("X", &[]));
        assert_eq!(answer["outputs"][0]["datatype"], datatype);
        assert_eq!(
            answer["outputs"][0]["data"],
            relabel(&zoo.golden["predict"], &v2_labels)
        );
    }
}
