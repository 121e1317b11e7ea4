//! V2's binary tensor data extension through the shared route table (so the native server
//! and the Spin component both speak it): bodies built as tritonclient builds them (a JSON
//! header, then each binary input's little-endian bytes in input order, the header's
//! length in `Inference-Header-Content-Length`) give the golden bits; binary outputs come
//! back as tritonclient reads them; every malformed form is a 400 naming what is wrong.

use golden::zoo;
use predictor::{Model, Request, Response, Service, ServiceOptions};
use serde_json::{json, Value};

/// A request as tritonclient's http client sends it: the JSON header, the binary parts
/// appended in order; the header's length for `Inference-Header-Content-Length`.
fn binary_body(header: &Value, parts: &[Vec<u8>]) -> (Vec<u8>, String) {
    let mut body = serde_json::to_vec(header).unwrap();
    let length = body.len().to_string();
    for part in parts {
        body.extend_from_slice(part);
    }
    (body, length)
}

fn fp64_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values.into_iter().flat_map(f64::to_le_bytes).collect()
}

fn fp32_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values
        .into_iter()
        .flat_map(|v| (v as f32).to_le_bytes())
        .collect()
}

fn send(
    model: &Model,
    content_type: Option<&str>,
    header_length: Option<&str>,
    body: &[u8],
) -> Response {
    Service::new(model, ServiceOptions::default()).handle(&Request {
        method: "POST",
        path: &format!("/v2/models/{}/infer", model.name()),
        query: "",
        content_type,
        inference_header_length: header_length,
        body,
    })
}

/// A binary request to the Boston model, sent as application/octet-stream.
fn send_binary(header: &Value, parts: &[Vec<u8>]) -> Response {
    let (body, length) = binary_body(header, parts);
    send(
        Model::embedded(),
        Some("application/octet-stream"),
        Some(&length),
        &body,
    )
}

/// A response's JSON header and the binary data after it (none for a JSON answer).
fn split_answer(response: &Response) -> (Value, Vec<u8>) {
    assert_eq!(response.status, 200, "{}", response.text());
    let length = match response.inference_header_length {
        Some(length) => {
            assert_eq!(response.content_type, "application/octet-stream");
            length
        }
        None => {
            assert_eq!(response.content_type, "application/json");
            response.body.len()
        }
    };
    let header = serde_json::from_slice(&response.body[..length])
        .unwrap_or_else(|e| panic!("header not JSON ({e})"));
    (header, response.body[length..].to_vec())
}

/// Each output's binary bytes, by name, as tritonclient's `InferResult` cuts them: in
/// output order, `binary_data_size` each; every byte accounted for.
fn binary_outputs(header: &Value, binary: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut at = 0;
    let mut out = Vec::new();
    for output in header["outputs"].as_array().unwrap() {
        if let Some(size) = output["parameters"]["binary_data_size"].as_u64() {
            assert!(output.get("data").is_none(), "{output}");
            let size = size as usize;
            out.push((
                output["name"].as_str().unwrap().to_string(),
                binary[at..at + size].to_vec(),
            ));
            at += size;
        }
    }
    assert_eq!(at, binary.len(), "binary data no output accounts for");
    out
}

fn f64s(bytes: &[u8]) -> Vec<f64> {
    assert_eq!(bytes.len() % 8, 0);
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// The `predict` output's bits from a JSON answer.
fn json_bits(response: &Response) -> Vec<u64> {
    let (header, binary) = split_answer(response);
    assert!(binary.is_empty());
    let output = &header["outputs"][0];
    assert_eq!(output["name"], "predict");
    golden::bits(&output["data"])
}

fn matrix_header(rows: usize, datatype: &str, size: usize) -> Value {
    json!({"inputs": [{"name": "INPUT0", "shape": [rows, 6], "datatype": datatype,
                       "parameters": {"binary_data_size": size}}]})
}

#[test]
fn binary_fp64_matrix_gives_the_golden_bits() {
    let g = golden::training();
    let bytes = fp64_bytes(g.flat_rows());
    let response = send_binary(&matrix_header(g.rows.len(), "FP64", bytes.len()), &[bytes]);
    assert_eq!(json_bits(&response), g.prediction_bits);
    assert_eq!(response.rows, g.rows.len());
}

#[test]
fn binary_fp32_matches_json_fp32() {
    let g = golden::training();
    let rows = &g.rows[..500];
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    let bytes = fp32_bytes(flat.iter().copied());
    let binary = send_binary(&matrix_header(rows.len(), "FP32", bytes.len()), &[bytes]);
    let json_body = json!({"inputs": [{"name": "x", "shape": [rows.len(), 6], "datatype": "FP32", "data": flat}]});
    let json_answer = send(
        Model::embedded(),
        Some("application/json"),
        None,
        json_body.to_string().as_bytes(),
    );
    let bits = json_bits(&binary);
    assert_eq!(bits, json_bits(&json_answer));
    // Rounded to float32 first: not the float64 rows' predictions.
    assert_ne!(bits, g.prediction_bits[..500]);
}

#[test]
fn binary_per_column_mixed_with_json_columns() {
    let g = golden::training();
    // Binary FP64 columns in reverse model order, LSTAT as JSON in between: the binary
    // parts are taken in input order, skipping the JSON input.
    let mut inputs = Vec::new();
    let mut parts = Vec::new();
    for j in (0..6).rev() {
        let column: Vec<f64> = g.rows.iter().map(|r| r[j]).collect();
        let name = golden::FEATURES[j];
        if name == "LSTAT" {
            inputs.push(
                json!({"name": name, "shape": [column.len()], "datatype": "FP64", "data": column}),
            );
        } else {
            let bytes = fp64_bytes(column);
            inputs.push(
                json!({"name": name, "shape": [g.rows.len(), 1], "datatype": "FP64",
                               "parameters": {"binary_data_size": bytes.len()}}),
            );
            parts.push(bytes);
        }
    }
    let response = send_binary(&json!({"inputs": inputs}), &parts);
    assert_eq!(json_bits(&response), g.prediction_bits);
}

#[test]
fn octet_stream_without_the_header_is_json() {
    // tritonclient's asyncio client sends JSON bodies as application/octet-stream.
    let g = golden::training();
    let body = json!({"inputs": [{"name": "x", "shape": [g.rows.len(), 6], "datatype": "FP64", "data": g.flat_rows()}]});
    for content_type in [
        Some("application/octet-stream"),
        Some("application/json"),
        None,
    ] {
        let response = send(
            Model::embedded(),
            content_type,
            None,
            body.to_string().as_bytes(),
        );
        assert_eq!(json_bits(&response), g.prediction_bits, "{content_type:?}");
    }
    // The header equal to the whole body: no binary data, the same answer.
    let bytes = body.to_string().into_bytes();
    let length = bytes.len().to_string();
    let response = send(Model::embedded(), None, Some(&length), &bytes);
    assert_eq!(json_bits(&response), g.prediction_bits);
    // /predict still takes JSON declared as JSON only.
    let response = Service::new(Model::embedded(), ServiceOptions::default()).handle(&Request {
        method: "POST",
        path: "/predict",
        query: "",
        content_type: Some("application/octet-stream"),
        inference_header_length: None,
        body: golden::SAMPLE.as_bytes(),
    });
    assert_eq!(response.status, 415, "{}", response.text());
}

#[test]
fn regressor_output_as_binary() {
    let g = golden::training();
    let bytes = fp64_bytes(g.flat_rows());
    let size = bytes.len();
    // Request-level binary_data_output (tritonclient's default when no outputs are named).
    let mut header = matrix_header(g.rows.len(), "FP64", size);
    header["parameters"] = json!({"binary_data_output": true});
    header["id"] = json!("r1");
    let response = send_binary(&header, std::slice::from_ref(&bytes));
    let length = response.inference_header_length.unwrap();
    let (answer, binary) = split_answer(&response);
    assert_eq!(answer["id"], "r1");
    let output = &answer["outputs"][0];
    assert_eq!(output["datatype"], "FP64");
    assert_eq!(output["shape"], json!([g.rows.len()]));
    assert_eq!(
        output["parameters"]["binary_data_size"],
        json!(g.rows.len() * 8)
    );
    assert_eq!(response.body.len(), length + g.rows.len() * 8);
    let outputs = binary_outputs(&answer, &binary);
    let bits: Vec<u64> = f64s(&outputs[0].1).iter().map(|v| v.to_bits()).collect();
    assert_eq!(bits, g.prediction_bits);

    // Per output: binary_data true asks for it, false wins over binary_data_output.
    header["outputs"] = json!([{"name": "predict", "parameters": {"binary_data": false}}]);
    let response = send_binary(&header, std::slice::from_ref(&bytes));
    assert_eq!(response.inference_header_length, None);
    assert_eq!(json_bits(&response), g.prediction_bits);
    header["parameters"] = json!({});
    header["outputs"] = json!([{"name": "predict", "parameters": {"binary_data": true}}]);
    let (answer, binary) = split_answer(&send_binary(&header, &[bytes]));
    assert_eq!(
        binary_outputs(&answer, &binary)[0].1.len(),
        g.rows.len() * 8
    );
}

/// The golden rows `key` of a zoo model, FP64 bytes, and their shape.
fn zoo_rows(golden: &Value, key: &str) -> (Vec<usize>, Vec<u8>) {
    let (shape, values) = zoo::f64_array(&golden[key]);
    (shape, fp64_bytes(values))
}

fn load_zoo(name: &str) -> (Model, Value) {
    let dir = format!("{}/sklearn-1.9", zoo::DIR);
    let model = Model::from_json(&std::fs::read(format!("{dir}/{name}.model.json")).unwrap())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let golden =
        serde_json::from_slice(&std::fs::read(format!("{dir}/{name}.golden.json")).unwrap())
            .unwrap();
    (model, golden)
}

/// A binary request for `outputs` (all binary) on a zoo model's golden rows.
fn zoo_binary_answer(model: &Model, golden: &Value, outputs: &[&str]) -> (Value, Vec<u8>) {
    let (shape, bytes) = zoo_rows(golden, "X");
    let outputs: Vec<Value> = outputs
        .iter()
        .map(|n| json!({"name": n, "parameters": {"binary_data": true}}))
        .collect();
    let header = json!({
        "inputs": [{"name": "x", "shape": shape, "datatype": "FP64", "parameters": {"binary_data_size": bytes.len()}}],
        "outputs": outputs,
    });
    let (body, length) = binary_body(&header, &[bytes]);
    split_answer(&send(
        model,
        Some("application/octet-stream"),
        Some(&length),
        &body,
    ))
}

#[test]
fn string_labels_are_length_prefixed_bytes_and_probabilities_fp64() {
    let (model, golden) = load_zoo("hist_gradient_boosting_classifier_multiclass_str");
    let (answer, binary) = zoo_binary_answer(&model, &golden, &["predict", "predict_proba"]);
    let outputs = binary_outputs(&answer, &binary);
    assert_eq!(answer["outputs"][0]["datatype"], "BYTES");
    // BYTES: a 4-byte little-endian length, then the bytes, per element.
    let mut labels = Vec::new();
    let mut rest = &outputs[0].1[..];
    while !rest.is_empty() {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        labels.push(Value::from(std::str::from_utf8(&rest[4..4 + n]).unwrap()));
        rest = &rest[4 + n..];
    }
    assert_eq!(Value::Array(labels), golden["predict"]);
    let (shape, _) = zoo::f64_array(&golden["predict_proba"]);
    assert_eq!(answer["outputs"][1]["name"], "predict_proba");
    assert_eq!(answer["outputs"][1]["shape"], json!(shape));
    zoo::assert_within_ulps(&f64s(&outputs[1].1), &golden["predict_proba"], 8);
}

#[test]
fn integer_labels_are_int64() {
    let (model, golden) = load_zoo("hist_gradient_boosting_classifier_multiclass");
    let (answer, binary) = zoo_binary_answer(&model, &golden, &["predict"]);
    assert_eq!(answer["outputs"][0]["datatype"], "INT64");
    let outputs = binary_outputs(&answer, &binary);
    let labels: Vec<Value> = outputs[0]
        .1
        .chunks_exact(8)
        .map(|b| Value::from(i64::from_le_bytes(b.try_into().unwrap())))
        .collect();
    assert_eq!(Value::Array(labels), golden["predict"]);
}

#[test]
fn server_metadata_advertises_the_extension() {
    let response = Service::new(Model::embedded(), ServiceOptions::default()).handle(&Request {
        method: "GET",
        path: "/v2",
        query: "",
        content_type: None,
        inference_header_length: None,
        body: b"",
    });
    let v: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(v["extensions"], json!(["binary_tensor_data"]));
}

#[track_caller]
fn assert_refused(response: &Response, needle: &str) {
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(response.content_type, "application/json");
    let v: Value = serde_json::from_slice(&response.body).unwrap();
    let message = v["error"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[test]
fn malformed_binary_requests_are_refused_naming_the_problem() {
    let row = fp64_bytes(golden::SAMPLE_ROW);
    let header = matrix_header(1, "FP64", 48);
    let (body, length) = binary_body(&header, std::slice::from_ref(&row));
    let send_raw = |length: Option<&str>, body: &[u8]| {
        send(
            Model::embedded(),
            Some("application/octet-stream"),
            length,
            body,
        )
    };
    assert_eq!(send_raw(Some(&length), &body).status, 200);
    for bad in ["abc", "-1", "1.5", ""] {
        assert_refused(
            &send_raw(Some(bad), &body),
            &format!("the Inference-Header-Content-Length header {bad:?} is not a number of bytes"),
        );
    }
    assert_refused(
        &send_raw(Some(&(body.len() + 1).to_string()), &body),
        &format!(
            "says the JSON header is {} bytes, but the whole body is {} bytes",
            body.len() + 1,
            body.len()
        ),
    );
    // A header length that cuts the JSON short.
    assert_refused(&send_raw(Some("10"), &body), "not valid JSON");
    // binary_data_size without the header: where would the JSON end?
    assert_refused(
        &send_raw(None, &body),
        "not valid JSON", // the binary tail after the JSON is not JSON
    );
    let json_only = serde_json::to_vec(&header).unwrap();
    assert_refused(
        &send_raw(None, &json_only),
        "input \"INPUT0\": parameters.binary_data_size is set, but the request has no Inference-Header-Content-Length header",
    );
    // Sizes that do not add up to the rest of the body.
    assert_refused(
        &send_binary(&matrix_header(1, "FP64", 56), std::slice::from_ref(&row)),
        "input \"INPUT0\": parameters.binary_data_size 56 is larger than the 48 bytes of binary data left after the JSON header",
    );
    assert_refused(
        &send_binary(&matrix_header(1, "FP64", 40), std::slice::from_ref(&row)),
        "the body holds 48 bytes of binary data after the JSON header, but the inputs' parameters.binary_data_size add up to 40",
    );
    assert_refused(
        &send_binary(&json!({"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP64", "data": golden::SAMPLE_ROW}]}), std::slice::from_ref(&row)),
        "the body holds 48 bytes of binary data after the JSON header, but the inputs' parameters.binary_data_size add up to 0",
    );
    // Sizes that do not fit the datatype or the shape.
    assert_refused(
        &send_binary(&matrix_header(1, "FP64", 47), &[row[..47].to_vec()]),
        "input \"INPUT0\": binary data is 47 bytes, not a whole number of FP64 values (8 bytes each)",
    );
    assert_refused(
        &send_binary(&matrix_header(2, "FP64", 48), std::slice::from_ref(&row)),
        "input \"INPUT0\": shape [2, 6] needs 12 values (96 bytes of FP64), binary data holds 6 (48 bytes)",
    );
    assert_refused(
        &send_binary(&matrix_header(1, "FP32", 48), std::slice::from_ref(&row)),
        "input \"INPUT0\": shape [1, 6] needs 6 values (24 bytes of FP32), binary data holds 12 (48 bytes)",
    );
    assert_refused(
        &send_binary(&matrix_header(1, "INT64", 48), std::slice::from_ref(&row)),
        "input \"INPUT0\": datatype \"INT64\" is not supported; send FP64 or FP32",
    );
    assert_refused(
        &send_binary(&matrix_header(1, "FP64", 48), &[]),
        "parameters.binary_data_size 48 is larger than the 0 bytes of binary data left",
    );
    // The second binary input finds less than it says, after the first took its share.
    let two = json!({"inputs": [
        {"name": "CHAS", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 8}},
        {"name": "RM", "shape": [1], "datatype": "FP64", "parameters": {"binary_data_size": 16}},
    ]});
    assert_refused(
        &send_binary(&two, &[row[..16].to_vec()]),
        "input \"RM\": parameters.binary_data_size 16 is larger than the 8 bytes of binary data left after the JSON header and the inputs before it",
    );
    let mut both = matrix_header(1, "FP64", 48);
    both["inputs"][0]["data"] = json!(golden::SAMPLE_ROW);
    assert_refused(
        &send_binary(&both, std::slice::from_ref(&row)),
        "input \"INPUT0\": has both data and parameters.binary_data_size; send one",
    );
    let mut neither = matrix_header(1, "FP64", 48);
    neither["inputs"][0]["parameters"] = json!({});
    assert_refused(&send_binary(&neither, &[]), "input \"INPUT0\": has no data");
    let mut negative = matrix_header(1, "FP64", 48);
    negative["inputs"][0]["parameters"]["binary_data_size"] = json!(-1);
    assert_refused(
        &send_binary(&negative, std::slice::from_ref(&row)),
        "invalid value",
    );
    let mut typed = matrix_header(1, "FP64", 48);
    typed["parameters"] = json!({"binary_data_output": "yes"});
    assert_refused(
        &send_binary(&typed, std::slice::from_ref(&row)),
        "invalid type",
    );
    // Other media types are still refused, naming the two taken.
    let response = send(Model::embedded(), Some("text/csv"), Some(&length), &body);
    assert_eq!(response.status, 415);
    assert!(response
        .text()
        .contains("application/json or application/octet-stream, not text/csv"));
}

#[test]
fn missing_values_in_binary_fp64_are_nan() {
    // NaN in the bytes is a missing value, as null is in JSON: the Boston model refuses it.
    let mut row = golden::SAMPLE_ROW;
    row[5] = f64::NAN;
    let bytes = fp64_bytes(row);
    assert_refused(
        &send_binary(&matrix_header(1, "FP64", 48), &[bytes]),
        "row 0: value for LSTAT is missing",
    );
}
