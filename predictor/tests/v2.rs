//! The KServe V2 routes through the shared route table (so the native server and the
//! Spin component both get them): the same golden cases as /predict, bit for bit, every
//! tensor form, metadata, readiness and the errors a V2 client can cause.

use predictor::{Model, Request, Response, Scaling, Service, ServiceOptions};
use serde_json::{json, Value};

/// The training golden rows and their predictions (as bits).
fn training() -> (Vec<[f64; 6]>, Vec<u64>) {
    let g = golden::training();
    (g.rows, g.prediction_bits)
}

fn handle_with(options: ServiceOptions, method: &str, path: &str, body: &str) -> Response {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Service::new(Model::embedded(), options).handle(&Request {
        method,
        path,
        query,
        content_type: Some("application/json"),
        inference_header_length: None,
        body: body.as_bytes(),
    })
}

fn handle(method: &str, path: &str, body: &str) -> Response {
    handle_with(ServiceOptions::default(), method, path, body)
}

fn infer(body: &Value) -> Response {
    handle("POST", "/v2/models/boston-housing/infer", &body.to_string())
}

fn json_of(response: &Response) -> Value {
    assert_eq!(response.content_type, "application/json");
    serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", response.text()))
}

/// The `predict` output's bits, checking the response's envelope on the way.
fn output_bits(response: &Response) -> Vec<u64> {
    assert_eq!(response.status, 200, "{}", response.text());
    let v = json_of(response);
    assert_eq!(v["model_name"], "boston-housing");
    assert_eq!(v["model_version"], "1");
    let outputs = v["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 1);
    let out = &outputs[0];
    assert_eq!(out["name"], "predict");
    assert_eq!(out["datatype"], "FP64");
    let data = out["data"].as_array().unwrap();
    assert_eq!(out["shape"], json!([data.len()]));
    assert_eq!(response.rows, data.len());
    data.iter().map(|x| x.as_f64().unwrap().to_bits()).collect()
}

fn matrix(rows: &[[f64; 6]], datatype: &str, nested: bool) -> Value {
    let data: Value = if nested {
        json!(rows)
    } else {
        json!(rows.iter().flatten().collect::<Vec<_>>())
    };
    json!({"inputs": [{"name": "input-0", "shape": [rows.len(), 6], "datatype": datatype, "data": data}]})
}

fn per_column(rows: &[[f64; 6]], shape_n1: bool) -> Value {
    let names = golden::FEATURES;
    // Sent in reverse model order: tensors are matched by name, not position.
    let inputs: Vec<Value> = (0..6)
        .rev()
        .map(|j| {
            let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            let (shape, data) = if shape_n1 {
                (
                    json!([rows.len(), 1]),
                    json!(column.iter().map(|v| [v]).collect::<Vec<_>>()),
                )
            } else {
                (json!([rows.len()]), json!(column))
            };
            json!({"name": names[j], "shape": shape, "datatype": "FP64", "data": data})
        })
        .collect();
    json!({"inputs": inputs})
}

#[test]
fn golden_training_rows_give_the_same_bits_in_every_tensor_form() {
    let (rows, expected) = training();
    assert_eq!(output_bits(&infer(&matrix(&rows, "FP64", false))), expected);
    assert_eq!(output_bits(&infer(&matrix(&rows, "FP64", true))), expected);
    assert_eq!(output_bits(&infer(&per_column(&rows, false))), expected);
    assert_eq!(output_bits(&infer(&per_column(&rows, true))), expected);
    // One row at a time, as a client scoring live traffic would, with the versioned path;
    // and the same bits as /predict answers for the row.
    for (row, want) in rows.iter().zip(&expected).step_by(37) {
        let body = matrix(std::slice::from_ref(row), "FP64", false).to_string();
        let response = handle("POST", "/v2/models/boston-housing/versions/1/infer", &body);
        assert_eq!(output_bits(&response), vec![*want], "row {row:?}");
        let records = json!([{
            "CHAS": row[0], "RM": row[1], "TAX": row[2], "PTRATIO": row[3], "B": row[4], "LSTAT": row[5]
        }]);
        let v1 = handle("POST", "/predict", &records.to_string());
        assert_eq!(v1.status, 200, "{}", v1.text());
        assert_eq!(
            json_of(&v1)["prediction"][0].as_f64().unwrap().to_bits(),
            *want
        );
    }
}

#[test]
fn fp32_tensors_are_rounded_to_single_precision_first() {
    let (rows, _) = training();
    let rows = &rows[..1000];
    let single: Vec<f64> = rows
        .iter()
        .flatten()
        .map(|&v| f64::from(v as f32))
        .collect();
    let expected: Vec<u64> = Model::embedded()
        .predict_flat(&single, Scaling::Training)
        .unwrap()
        .iter()
        .map(|p| p.to_bits())
        .collect();
    assert_eq!(output_bits(&infer(&matrix(rows, "FP32", false))), expected);
    assert_eq!(output_bits(&infer(&matrix(rows, "FP32", true))), expected);
    // A value a float32 holds exactly predicts the same as FP64.
    let exact = [[0.0, 6.5, 296.0, 15.5, 396.875, 4.75]];
    assert_eq!(
        output_bits(&infer(&matrix(&exact, "FP32", true))),
        output_bits(&infer(&matrix(&exact, "FP64", true)))
    );
}

#[test]
fn golden_per_request_cases_through_v2() {
    let cases = golden::per_request_cases();
    let model = Model::embedded();
    let mut checked = 0;
    for case in &cases {
        // Records payloads were fed to the original in pandas' sorted column order,
        // which a tensor in model order cannot reproduce; the others were in model order.
        if case["original_column_order"] != json!(golden::FEATURES) {
            continue;
        }
        let payload = case["payload"].to_string();
        let rows = predictor::payload::decode(payload.as_bytes(), model, usize::MAX).unwrap();
        let flat: Vec<f64> = rows.iter().copied().collect();
        let expected = golden::bits(&case["prediction"]);
        let body = json!({
            "id": case["name"],
            "parameters": {"scaling": "per-request"},
            "inputs": [{"name": "x", "shape": [rows.nrows(), 6], "datatype": "FP64", "data": flat}],
        });
        let response = infer(&body);
        assert_eq!(output_bits(&response), expected, "case {}", case["name"]);
        assert_eq!(json_of(&response)["id"], case["name"]);
        // ?scaling= in the query does the same.
        let body = json!({"inputs": body["inputs"]}).to_string();
        let response = handle(
            "POST",
            "/v2/models/boston-housing/infer?scaling=per-request",
            &body,
        );
        assert_eq!(output_bits(&response), expected, "case {}", case["name"]);
        checked += 1;
    }
    assert!(checked > 50, "only {checked} cases in model column order");
}

#[test]
fn per_request_scaling_from_parameters_or_query_on_the_versioned_path() {
    let row = [golden::SAMPLE_ROW];
    let mut body = matrix(&row, "FP64", false);
    body["parameters"] = json!({"scaling": "per-request"});
    let response = handle(
        "POST",
        "/v2/models/boston-housing/versions/1/infer",
        &body.to_string(),
    );
    assert_eq!(
        output_bits(&response),
        vec![golden::SAMPLE_PER_REQUEST.to_bits()]
    );
    let response = handle(
        "POST",
        "/v2/models/boston-housing/infer?scaling=per-request",
        &matrix(&row, "FP64", false).to_string(),
    );
    assert_eq!(output_bits(&response), vec![20.35373177134412f64.to_bits()]);
}

#[test]
fn id_is_echoed_and_omitted_when_absent() {
    let row = [[0.0, 6.575, 296.0, 15.3, 396.9, 4.98]];
    let mut body = matrix(&row, "FP64", false);
    let plain = json_of(&infer(&body));
    assert!(plain.get("id").is_none(), "{plain}");
    body["id"] = json!("req-42 \u{e9}\"quoted\"");
    body["outputs"] = json!([{"name": "predict"}]);
    let response = infer(&body);
    assert_eq!(output_bits(&response), vec![25.0021457871835f64.to_bits()]);
    assert_eq!(json_of(&response)["id"], "req-42 \u{e9}\"quoted\"");
}

#[test]
fn metadata_and_health() {
    let server = handle("GET", "/v2", "");
    assert_eq!(server.status, 200);
    let v = json_of(&server);
    assert_eq!(v["name"], "edge-predictor");
    assert!(v["version"].is_string() && v["extensions"].is_array());

    for path in [
        "/v2/models/boston-housing",
        "/v2/models/boston-housing/versions/1",
    ] {
        let response = handle("GET", path, "");
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.route, "/v2/models/{name}");
        let v = json_of(&response);
        assert_eq!(v["name"], "boston-housing");
        assert_eq!(v["versions"], json!(["1"]));
        let inputs: Vec<&str> = v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                assert_eq!(t["datatype"], "FP64");
                assert_eq!(t["shape"], json!([-1]));
                t["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(inputs, ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]);
        assert_eq!(
            v["outputs"],
            json!([{"name": "predict", "datatype": "FP64", "shape": [-1]}])
        );
    }

    let live = handle("GET", "/v2/health/live", "");
    assert_eq!((live.status, json_of(&live)), (200, json!({"live": true})));
    let ready = handle("GET", "/v2/health/ready", "");
    assert_eq!(
        (ready.status, json_of(&ready)),
        (200, json!({"ready": true}))
    );
    let model_ready = handle("GET", "/v2/models/boston-housing/ready", "");
    assert_eq!(
        (model_ready.status, json_of(&model_ready)),
        (200, json!({"name": "boston-housing", "ready": true}))
    );
    let versioned = handle("GET", "/v2/models/boston-housing/versions/1/ready", "");
    assert_eq!(versioned.status, 200);
    let head = handle("HEAD", "/v2/health/ready", "");
    assert_eq!(head.status, 200);
}

#[test]
fn not_ready_answers_503_on_readiness_only() {
    let draining = ServiceOptions {
        ready: false,
        ..ServiceOptions::default()
    };
    let ready = handle_with(draining, "GET", "/v2/health/ready", "");
    assert_eq!(
        (ready.status, json_of(&ready)),
        (503, json!({"ready": false}))
    );
    let model = handle_with(draining, "GET", "/v2/models/boston-housing/ready", "");
    assert_eq!(model.status, 503);
    assert_eq!(
        handle_with(draining, "GET", "/v2/health/live", "").status,
        200
    );
    // Requests already sent while draining are still answered.
    let body = matrix(&[[0.0, 6.575, 296.0, 15.3, 396.9, 4.98]], "FP64", false).to_string();
    let response = handle_with(draining, "POST", "/v2/models/boston-housing/infer", &body);
    assert_eq!(response.status, 200);
}

#[track_caller]
fn assert_error(response: &Response, status: u16, needle: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    let message = json_of(response)["error"].as_str().unwrap().to_string();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[test]
fn unknown_models_versions_and_paths_are_404() {
    let body = matrix(&[[0.0; 6]], "FP64", false).to_string();
    for (method, path, needle) in [
        ("POST", "/v2/models/other/infer", "unknown model \"other\""),
        ("POST", "/v2/models/iris/infer", "unknown model \"iris\""),
        ("GET", "/v2/models/iris", "unknown model"),
        ("GET", "/v2/models/other", "unknown model"),
        ("GET", "/v2/models/other/ready", "unknown model"),
        (
            "POST",
            "/v2/models/boston-housing/versions/2/infer",
            "no version \"2\"",
        ),
        ("GET", "/v2/models/boston-housing/versions/7", "no version"),
        ("GET", "/v2/models/boston-housing/explain", "no route"),
        ("GET", "/v2/models/", "no route"),
        ("GET", "/v2/models/boston-housing/versions/", "no route"),
        ("GET", "/v2/models/boston-housing/ready/extra", "no route"),
        ("GET", "/v2/health", "no route"),
    ] {
        assert_error(&handle(method, path, &body), 404, needle);
    }
}

#[test]
fn wrong_methods_are_405_with_allow() {
    for (method, path, allow) in [
        ("GET", "/v2/models/boston-housing/infer", "POST"),
        ("POST", "/v2/health/ready", "GET"),
        ("PUT", "/v2/models/boston-housing", "GET"),
        ("DELETE", "/v2", "GET"),
    ] {
        let response = handle(method, path, "");
        assert_error(&response, 405, allow);
        assert_eq!(response.allow, Some(allow));
    }
}

#[test]
fn bad_infer_requests_name_the_problem() {
    let row = "0, 6.575, 296.0, 15.3, 396.9, 4.98";
    let tensor = |shape: &str, datatype: &str, data: &str| {
        format!(
            r#"{{"inputs":[{{"name":"x","shape":{shape},"datatype":"{datatype}","data":{data}}}]}}"#
        )
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("{".into(), 400, "not valid JSON"),
        ("[]".into(), 400, "must be a JSON object with \"inputs\", not an array"),
        ("[".into(), 400, "not valid JSON"),
        ("{}".into(), 400, "missing field `inputs`"),
        (r#"{"inputs":[]}"#.into(), 400, "no inputs"),
        (r#"{"inputs":{}}"#.into(), 400, "invalid type"),
        (r#"{"inputs":[{"name":"x"}]}"#.into(), 400, "missing field"),
        (tensor("[1,6]", "INT64", &format!("[{row}]")), 400, "datatype \"INT64\""),
        (tensor("[1,6]", "BYTES", &format!("[{row}]")), 400, "send FP64 or FP32"),
        (tensor("[1,5]", "FP64", "[0,1,2,3,4]"), 400, "is not [N, 6]"),
        (tensor("[1,7]", "FP64", &format!("[{row}]")), 400, "is not [N, 6]"),
        (tensor("[6]", "FP64", &format!("[{row}]")), 400, "is not [N, 6]"),
        (tensor("[1,6,1]", "FP64", &format!("[{row}]")), 400, "is not [N, 6]"),
        (tensor("[0,6]", "FP64", "[]"), 400, "no rows"),
        (tensor("[-1,6]", "FP64", &format!("[{row}]")), 400, "negative dimension"),
        (tensor("[2,6]", "FP64", &format!("[{row}]")), 400, "needs 12 values, data holds 6"),
        (tensor("[1,6]", "FP64", &format!("[{row}, 1]")), 400, "needs 6 values, data holds 7"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,\"5\"]"), 400, "holds a string"),
        // null is a missing value, which the Boston model refuses as scikit-learn does.
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,null]"), 400, "row 0: value for LSTAT is missing, and this model does not take missing values"),
        (tensor("[1,6]", "FP32", "[0,1,2,3,4,null]"), 400, "row 0: value for LSTAT is missing"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,true]"), 400, "holds a boolean"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,{\"a\":1}]"), 400, "holds an object"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,NaN]"), 400, "not valid JSON"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,Infinity]"), 400, "not valid JSON"),
        (tensor("[1,6]", "FP64", "[0,1,2,3,4,1e400]"), 400, "not valid JSON"),
        (tensor("[1,6]", "FP32", "[0,1,2,3,4,1e39]"), 400, "value 1e39 at position 5 does not fit FP32"),
        (tensor("[1,6]", "FP64", "5"), 400, "array of numbers"),
        (tensor("[2,6]", "FP64", &format!("[[{row}],[{row},1]]")), 400, "needs 12 values"),
        (tensor("[2,6]", "FP64", &format!("[[{row}],[[{row}]]]")), 400, "nested data"),
        (tensor("[1.5,6]", "FP64", &format!("[{row}]")), 400, "invalid type"),
        (tensor("[1,6]", "FP64", &format!("[{row}]")).replace("\"x\"", "5"), 400, "invalid type"),
        (
            format!(r#"{{"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP64","data":[{row}],"parameters":{{"binary_data_size":48}}}}]}}"#),
            400,
            "input \"x\": has both data and parameters.binary_data_size; send one",
        ),
        (
            format!(r#"{{"inputs":[{{"name":"x","name":"y","shape":[1,6],"datatype":"FP64","data":[{row}]}}]}}"#),
            400,
            "duplicate field `name`",
        ),
        (
            format!(r#"{{"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP64","data":[{row}]}}],"outputs":[{{"name":"proba"}}]}}"#),
            400,
            "unknown output \"proba\"",
        ),
        (
            format!(r#"{{"id":7,"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP64","data":[{row}]}}]}}"#),
            400,
            "invalid type",
        ),
        (
            format!(r#"{{"parameters":{{"scaling":"minmax"}},"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP64","data":[{row}]}}]}}"#),
            400,
            "minmax",
        ),
        (
            r#"{"inputs":[{"name":"CHAS","shape":[1],"datatype":"FP64","data":[0]},{"name":"ZN","shape":[1],"datatype":"FP64","data":[0]}]}"#.into(),
            400,
            "unknown input \"ZN\"",
        ),
        (
            r#"{"inputs":[{"name":"CHAS","shape":[1],"datatype":"FP64","data":[0]},{"name":"CHAS","shape":[1],"datatype":"FP64","data":[1]}]}"#.into(),
            400,
            "appears twice",
        ),
        (
            r#"{"inputs":[{"name":"CHAS","shape":[1],"datatype":"FP64","data":[0]},{"name":"RM","shape":[1],"datatype":"FP64","data":[6]}]}"#.into(),
            400,
            "column TAX is missing",
        ),
    ];
    assert!(cases.len() >= 30);
    for (body, status, needle) in &cases {
        let response = handle("POST", "/v2/models/boston-housing/infer", body);
        assert_eq!(response.route, "/v2/models/{name}/infer");
        assert_error(&response, *status, needle);
    }
}

#[test]
fn values_the_model_refuses_are_a_bad_infer_request() {
    // /predict answers these 422; V2 answers every bad request 400.
    let rejected = golden::training().rejected_rows;
    let row: [f64; 6] = rejected[0].clone().try_into().unwrap();
    let response = infer(&matrix(&[row], "FP64", false));
    assert_error(&response, 400, "overflows float32");
    let records = json!([{
        "CHAS": row[0], "RM": row[1], "TAX": row[2], "PTRATIO": row[3], "B": row[4], "LSTAT": row[5]
    }]);
    let v1 = handle("POST", "/predict", &records.to_string());
    assert_error(&v1, 422, "overflows float32");
}

#[test]
fn per_column_shapes_must_agree() {
    let names = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"];
    let mut inputs: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "shape": [2], "datatype": "FP64", "data": [1, 2]}))
        .collect();
    inputs[3] = json!({"name": "PTRATIO", "shape": [1], "datatype": "FP64", "data": [1]});
    assert_error(
        &infer(&json!({"inputs": inputs})),
        400,
        "has 1 rows, input \"CHAS\" has 2",
    );
    inputs[3] =
        json!({"name": "PTRATIO", "shape": [2, 2], "datatype": "FP64", "data": [1, 2, 3, 4]});
    assert_error(
        &infer(&json!({"inputs": inputs})),
        400,
        "is not [N] or [N, 1]",
    );
}

#[test]
fn limits_content_type_and_row_count() {
    let body = matrix(&[[0.0; 6]; 3], "FP64", false).to_string();
    let small = ServiceOptions {
        max_rows: 2,
        ..ServiceOptions::default()
    };
    let response = handle_with(small, "POST", "/v2/models/boston-housing/infer", &body);
    assert_error(&response, 413, "3 rows in one request, the limit is 2");

    let service = Service::new(Model::embedded(), ServiceOptions::default());
    let request = |content_type| Request {
        method: "POST",
        path: "/v2/models/boston-housing/infer",
        query: "",
        content_type,
        inference_header_length: None,
        body: body.as_bytes(),
    };
    assert_error(
        &service.handle(&request(Some("text/plain"))),
        415,
        "text/plain",
    );
    // V2 clients may leave the Content-Type out; JSON is assumed.
    assert_eq!(service.handle(&request(None)).status, 200);
    assert_eq!(
        service
            .handle(&request(Some("application/json; charset=utf-8")))
            .status,
        200
    );
}
