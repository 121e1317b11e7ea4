//! V2's binary tensor data extension against the running binary over a real socket,
//! requests built by hand exactly as tritonclient's http client builds them: the JSON
//! header, then each binary input's little-endian row-major bytes in input order, the
//! header's length in `Inference-Header-Content-Length`, the body sent as
//! application/octet-stream. Predictions come back with the golden bits; binary outputs
//! are cut from the answer as tritonclient's `InferResult` cuts them. The codec's every
//! refusal is tested in the core (predictor/tests/v2_binary.rs).

mod common;

use golden::zoo;
use serde_json::{json, Value};

use common::{Reply, Server};

const INFER: &str = "/v2/models/boston-housing/infer";

/// `(body, header length)`: the JSON header with the binary parts appended.
fn binary_body(header: &Value, parts: &[Vec<u8>]) -> (Vec<u8>, String) {
    let mut body = serde_json::to_vec(header).unwrap();
    let length = body.len().to_string();
    parts.iter().for_each(|p| body.extend_from_slice(p));
    (body, length)
}

fn post_binary(server: &Server, path: &str, header: &Value, parts: &[Vec<u8>]) -> Reply {
    let (body, length) = binary_body(header, parts);
    server.request(
        "POST",
        path,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Inference-Header-Content-Length", &length),
        ],
        &body,
    )
}

/// The answer's JSON header and each binary output's bytes (in output order), checking
/// the response headers tritonclient reads.
fn binary_answer(reply: &Reply) -> (Value, Vec<Vec<u8>>) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    let length: usize = reply
        .header("inference-header-content-length")
        .expect("Inference-Header-Content-Length on a binary answer")
        .parse()
        .unwrap();
    let header: Value = serde_json::from_slice(&reply.body[..length]).unwrap();
    let mut at = length;
    let mut parts = Vec::new();
    for output in header["outputs"].as_array().unwrap() {
        let size = output["parameters"]["binary_data_size"]
            .as_u64()
            .unwrap_or_else(|| panic!("not binary: {output}")) as usize;
        parts.push(reply.body[at..at + size].to_vec());
        at += size;
    }
    assert_eq!(at, reply.body.len(), "bytes no output accounts for");
    (header, parts)
}

fn fp64_bytes(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
    values.into_iter().flat_map(f64::to_le_bytes).collect()
}

fn f64_bits(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[test]
fn boston_binary_requests_give_the_golden_bits() {
    let g = golden::training();
    let server = Server::start(&["--max-body-bytes", "8388608"]);

    // One FP64 [N, 6] tensor; binary_data_output, as tritonclient asks when no outputs
    // are named.
    let bytes = fp64_bytes(g.flat_rows());
    let header = json!({
        "id": "matrix",
        "inputs": [{"name": "INPUT0", "shape": [g.rows.len(), 6], "datatype": "FP64",
                    "parameters": {"binary_data_size": bytes.len()}}],
        "parameters": {"binary_data_output": true},
    });
    let (answer, parts) = binary_answer(&post_binary(&server, INFER, &header, &[bytes]));
    assert_eq!(answer["id"], "matrix");
    assert_eq!(answer["outputs"][0]["name"], "predict");
    assert_eq!(answer["outputs"][0]["datatype"], "FP64");
    assert_eq!(answer["outputs"][0]["shape"], json!([g.rows.len()]));
    assert_eq!(f64_bits(&parts[0]), g.prediction_bits);

    // One FP64 tensor per column, JSON answer (no binary output asked for).
    let mut inputs = Vec::new();
    let mut columns = Vec::new();
    for (j, name) in golden::FEATURES.iter().enumerate() {
        let column = fp64_bytes(g.rows.iter().map(|r| r[j]));
        inputs.push(
            json!({"name": name, "shape": [g.rows.len()], "datatype": "FP64",
                           "parameters": {"binary_data_size": column.len()}}),
        );
        columns.push(column);
    }
    let reply = post_binary(&server, INFER, &json!({"inputs": inputs}), &columns);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("inference-header-content-length"), None);
    assert_eq!(
        golden::bits(&reply.json()["outputs"][0]["data"]),
        g.prediction_bits
    );

    // FP32 per column: the same bits as the JSON FP32 request (rounded to float32 first).
    let rows = &g.rows[..300];
    let mut inputs = Vec::new();
    let mut json_inputs = Vec::new();
    let mut columns = Vec::new();
    for (j, name) in golden::FEATURES.iter().enumerate() {
        let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        let bytes: Vec<u8> = column
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes())
            .collect();
        inputs.push(
            json!({"name": name, "shape": [rows.len(), 1], "datatype": "FP32",
                           "parameters": {"binary_data_size": bytes.len()}}),
        );
        json_inputs
            .push(json!({"name": name, "shape": [rows.len()], "datatype": "FP32", "data": column}));
        columns.push(bytes);
    }
    let header = json!({"inputs": inputs, "outputs": [{"name": "predict", "parameters": {"binary_data": true}}]});
    let (_, parts) = binary_answer(&post_binary(&server, INFER, &header, &columns));
    let json_reply = server.post_json(INFER, &json!({"inputs": json_inputs}).to_string());
    assert_eq!(json_reply.status, 200, "{}", json_reply.text());
    let want = golden::bits(&json_reply.json()["outputs"][0]["data"]);
    assert_eq!(f64_bits(&parts[0]), want);
    assert_ne!(want, g.prediction_bits[..300]);
}

#[test]
fn json_sent_as_octet_stream_and_refusals_over_a_socket() {
    let server = Server::start(&[]);
    let body = json!({"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP64", "data": golden::SAMPLE_ROW}]});
    // tritonclient's asyncio client: JSON, Content-Type application/octet-stream.
    let reply = server.request(
        "POST",
        INFER,
        &[("Content-Type", "application/octet-stream")],
        body.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["outputs"][0]["data"][0]
            .as_f64()
            .unwrap()
            .to_bits(),
        golden::SAMPLE_TRAINING.to_bits()
    );
    let refused = |headers: &[(&str, &str)], body: &[u8], needle: &str| {
        let reply = server.request("POST", INFER, headers, body);
        assert_eq!(reply.status, 400, "{}", reply.text());
        let message = reply.json()["error"].as_str().unwrap().to_string();
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    };
    let octet = ("Content-Type", "application/octet-stream");
    let header = json!({"inputs": [{"name": "INPUT0", "shape": [1, 6], "datatype": "FP64",
                                    "parameters": {"binary_data_size": 48}}]});
    let (bytes, length) = binary_body(&header, &[fp64_bytes(golden::SAMPLE_ROW)]);
    refused(
        &[octet, ("Inference-Header-Content-Length", "lots")],
        &bytes,
        "the Inference-Header-Content-Length header \"lots\" is not a number of bytes",
    );
    refused(
        &[octet, ("Inference-Header-Content-Length", "100000")],
        &bytes,
        "says the JSON header is 100000 bytes",
    );
    refused(
        &[octet, ("Inference-Header-Content-Length", &length)],
        &bytes[..bytes.len() - 1],
        "input \"INPUT0\": parameters.binary_data_size 48 is larger than the 47 bytes",
    );
    let (json_only, _) = binary_body(&header, &[]);
    refused(
        &[octet],
        &json_only,
        "input \"INPUT0\": parameters.binary_data_size is set, but the request has no Inference-Header-Content-Length header",
    );
    let reply = server.request("GET", "/v2", &[], b"");
    assert_eq!(
        reply.json()["extensions"],
        json!(["binary_tensor_data", "model_repository"])
    );
}

#[test]
fn classifier_labels_and_probabilities_as_binary_outputs() {
    let id = "sklearn-1.9/hist_gradient_boosting_classifier_multiclass_str";
    let path = format!("{}/{id}.model.json", zoo::DIR);
    let golden: Value =
        serde_json::from_slice(&std::fs::read(format!("{}/{id}.golden.json", zoo::DIR)).unwrap())
            .unwrap();
    let model: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let name = model["name"].as_str().unwrap();
    let server = Server::start(&["--model", &path]);
    let (shape, values) = zoo::f64_array(&golden["X"]);
    let bytes = fp64_bytes(values);
    let header = json!({
        "inputs": [{"name": "x", "shape": shape, "datatype": "FP64",
                    "parameters": {"binary_data_size": bytes.len()}}],
        "outputs": [{"name": "predict", "parameters": {"binary_data": true}},
                    {"name": "predict_proba", "parameters": {"binary_data": true}}],
    });
    let reply = post_binary(
        &server,
        &format!("/v2/models/{name}/infer"),
        &header,
        &[bytes],
    );
    let (answer, parts) = binary_answer(&reply);
    assert_eq!(answer["outputs"][0]["datatype"], "BYTES");
    assert_eq!(answer["outputs"][0]["shape"], json!([shape[0]]));
    // BYTES: each element a 4-byte little-endian length and its bytes.
    let mut labels = Vec::new();
    let mut rest = &parts[0][..];
    while !rest.is_empty() {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        labels.push(Value::from(std::str::from_utf8(&rest[4..4 + n]).unwrap()));
        rest = &rest[4 + n..];
    }
    assert_eq!(Value::Array(labels), golden["predict"]);
    let (proba_shape, _) = zoo::f64_array(&golden["predict_proba"]);
    assert_eq!(answer["outputs"][1]["datatype"], "FP64");
    assert_eq!(answer["outputs"][1]["shape"], json!(proba_shape));
    let proba: Vec<f64> = f64_bits(&parts[1])
        .into_iter()
        .map(f64::from_bits)
        .collect();
    zoo::assert_within_ulps(&proba, &golden["predict_proba"], 8);
}
