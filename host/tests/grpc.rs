//! V2 over gRPC against the real binary (`--grpc-listen 127.0.0.1:0`), with a client
//! generated from the same .proto (host/proto): health and metadata say what the HTTP
//! routes say, inference gives scikit-learn's bits from typed contents and from raw
//! little-endian bytes (what tritonclient sends), refusals carry the HTTP message as a
//! gRPC status, calls are counted by method and code, and SIGTERM drains gRPC like HTTP.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use host::grpc::proto::grpc_inference_service_client::GrpcInferenceServiceClient;
use host::grpc::proto::infer_parameter::ParameterChoice;
use host::grpc::proto::model_infer_request::{InferInputTensor, InferRequestedOutputTensor};
use host::grpc::proto::{
    InferParameter, InferTensorContents, ModelInferRequest, ModelInferResponse,
    ModelMetadataRequest, ModelMetadataResponse, ModelReadyRequest, ServerLiveRequest,
    ServerMetadataRequest, ServerReadyRequest,
};
use serde_json::{json, Value};
use tonic::transport::Channel;
use tonic::Code;

use common::Server;
use golden::zoo;

type Client = GrpcInferenceServiceClient<Channel>;

const MODEL: &str = "boston-housing";

fn start(args: &[&str]) -> (Server, SocketAddr) {
    let mut all = vec!["--grpc-listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let server = Server::start(&all);
    let addr = server.grpc_addr();
    (server, addr)
}

async fn client(addr: SocketAddr) -> Client {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("the gRPC port accepts connections");
    GrpcInferenceServiceClient::new(channel)
}

/// A metadata message as the JSON document HTTP V2 sends.
fn metadata_json(m: &ModelMetadataResponse) -> Value {
    let tensors = |ts: &[host::grpc::proto::model_metadata_response::TensorMetadata]| {
        ts.iter()
            .map(|t| json!({"name": t.name, "datatype": t.datatype, "shape": t.shape}))
            .collect::<Vec<_>>()
    };
    json!({
        "name": m.name,
        "versions": m.versions,
        "platform": m.platform,
        "inputs": tensors(&m.inputs),
        "outputs": tensors(&m.outputs),
    })
}

fn metric(server: &Server, series: &str) -> f64 {
    let text = server.request("GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metadata_say_what_http_says() {
    let (server, addr) = start(&[]);
    let mut grpc = client(addr).await;

    let live = grpc.server_live(ServerLiveRequest {}).await.unwrap();
    assert!(live.into_inner().live);
    let ready = grpc.server_ready(ServerReadyRequest {}).await.unwrap();
    assert!(ready.into_inner().ready);
    let ready = grpc
        .model_ready(ModelReadyRequest {
            name: MODEL.into(),
            version: String::new(),
        })
        .await
        .unwrap();
    assert!(ready.into_inner().ready);
    let ready = grpc
        .model_ready(ModelReadyRequest {
            name: MODEL.into(),
            version: "1".into(),
        })
        .await
        .unwrap();
    assert!(ready.into_inner().ready);

    let meta = grpc
        .server_metadata(ServerMetadataRequest {})
        .await
        .unwrap()
        .into_inner();
    let http = server.request("GET", "/v2", &[], b"").json();
    assert_eq!(
        json!({"name": meta.name, "version": meta.version, "extensions": meta.extensions}),
        http
    );

    let meta = grpc
        .model_metadata(ModelMetadataRequest {
            name: MODEL.into(),
            version: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let http = server
        .request("GET", &format!("/v2/models/{MODEL}"), &[], b"")
        .json();
    assert_eq!(metadata_json(&meta), http);
    assert_eq!(meta.inputs.len(), 6);

    // Unknown models and versions: NOT_FOUND with HTTP's 404 message.
    for (name, version, path) in [
        ("nope", "", "/v2/models/nope"),
        (MODEL, "7", "/v2/models/boston-housing/versions/7"),
    ] {
        let http = server.request("GET", path, &[], b"");
        assert_eq!(http.status, 404);
        let err = grpc
            .model_metadata(ModelMetadataRequest {
                name: name.into(),
                version: version.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(err.message(), http.json()["error"]);
        let err = grpc
            .model_ready(ModelReadyRequest {
                name: name.into(),
                version: version.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(err.message(), http.json()["error"]);
    }

    // Every call above, by method and code.
    let count = |method: &str, code: &str| {
        metric(
            &server,
            &format!("host_grpc_requests_total{{method=\"{method}\",code=\"{code}\"}}"),
        )
    };
    assert_eq!(count("ServerLive", "OK"), 1.0);
    assert_eq!(count("ModelReady", "OK"), 2.0);
    assert_eq!(count("ModelReady", "NOT_FOUND"), 2.0);
    assert_eq!(count("ModelMetadata", "NOT_FOUND"), 2.0);
    assert_eq!(
        metric(
            &server,
            "host_grpc_request_duration_seconds_count{method=\"ModelMetadata\"}"
        ),
        3.0
    );
}

#[test]
fn grpc_listen_none_serves_no_grpc_and_a_bad_address_is_refused() {
    // The tests' default (common::Server): GRPC_LISTEN=none.
    let server = Server::start(&[]);
    assert_eq!(
        server.request("GET", "/v2/health/live", &[], b"").status,
        200
    );
    assert!(
        !server.log().contains("GRPCInferenceService"),
        "{}",
        server.log()
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["serve", "--grpc-listen", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"nowhere\" is not an address"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_turns_readiness_off_then_closes_the_grpc_port_and_exits_0() {
    let (mut server, addr) = start(&["--shutdown-delay", "1500ms", "--drain-timeout", "10s"]);
    let mut grpc = client(addr).await;
    assert!(
        grpc.server_ready(ServerReadyRequest {})
            .await
            .unwrap()
            .into_inner()
            .ready
    );

    server.signal(libc::SIGTERM);
    // Within the delay: still answering, readiness false on both the server and the model.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    loop {
        let ready = grpc.server_ready(ServerReadyRequest {}).await.unwrap();
        if !ready.into_inner().ready {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "readiness still true");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ready = grpc
        .model_ready(ModelReadyRequest {
            name: MODEL.into(),
            version: String::new(),
        })
        .await
        .unwrap();
    assert!(!ready.into_inner().ready);
    assert!(
        grpc.server_live(ServerLiveRequest {})
            .await
            .unwrap()
            .into_inner()
            .live
    );

    let status = tokio::task::spawn_blocking(move || {
        let status = server.wait(Duration::from_secs(10));
        (status, server)
    })
    .await
    .unwrap();
    let (status, server) = status;
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
        "the gRPC port still accepts after exit"
    );
}

/// An FP64 input holding `values` as typed contents.
fn typed(name: &str, shape: &[i64], values: &[f64]) -> InferInputTensor {
    InferInputTensor {
        name: name.into(),
        datatype: "FP64".into(),
        shape: shape.to_vec(),
        parameters: Default::default(),
        contents: Some(InferTensorContents {
            fp64_contents: values.to_vec(),
            ..Default::default()
        }),
    }
}

/// An input whose values go in `raw_input_contents` (as tritonclient sends them).
fn raw_input(name: &str, datatype: &str, shape: &[i64]) -> InferInputTensor {
    InferInputTensor {
        name: name.into(),
        datatype: datatype.into(),
        shape: shape.to_vec(),
        parameters: Default::default(),
        contents: None,
    }
}

fn le_f64(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn infer_request(
    model: &str,
    inputs: Vec<InferInputTensor>,
    raw: Vec<Vec<u8>>,
) -> ModelInferRequest {
    ModelInferRequest {
        model_name: model.into(),
        model_version: String::new(),
        id: String::new(),
        parameters: Default::default(),
        inputs,
        outputs: Vec::new(),
        raw_input_contents: raw.into_iter().map(Into::into).collect(),
    }
}

fn outputs(names: &[&str]) -> Vec<InferRequestedOutputTensor> {
    names
        .iter()
        .map(|n| InferRequestedOutputTensor {
            name: (*n).into(),
            parameters: Default::default(),
        })
        .collect()
}

/// Little-endian f64s of a raw output.
fn f64s(bytes: &[u8]) -> Vec<f64> {
    assert_eq!(bytes.len() % 8, 0);
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// BYTES elements of a raw output (each a 4-byte little-endian length, then the bytes).
fn byte_strings(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let n = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        out.push(String::from_utf8(bytes[4..4 + n].to_vec()).unwrap());
        bytes = &bytes[4 + n..];
    }
    out
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The one output of a response, checked to be `predict`, FP64, `[n]`.
fn predict_output(response: &ModelInferResponse, n: usize) {
    assert_eq!(response.outputs.len(), 1);
    let output = &response.outputs[0];
    assert_eq!(output.name, "predict");
    assert_eq!(output.datatype, "FP64");
    assert_eq!(output.shape, vec![n as i64]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_rows_typed_and_raw_give_scikit_learns_bits() {
    let training = golden::training();
    let n = training.rows.len();
    let flat = training.flat_rows();
    let (server, addr) = start(&["--max-body-bytes", "8388608"]);
    let mut grpc = client(addr).await;

    // One [N, 6] FP64 tensor as typed contents: typed contents back.
    let mut request = infer_request(MODEL, vec![typed("x", &[n as i64, 6], &flat)], vec![]);
    request.id = "typed".into();
    let response = grpc.model_infer(request).await.unwrap().into_inner();
    assert_eq!(response.id, "typed");
    assert_eq!(response.model_name, MODEL);
    assert_eq!(response.model_version, "1");
    predict_output(&response, n);
    assert!(response.raw_output_contents.is_empty());
    let values = &response.outputs[0].contents.as_ref().unwrap().fp64_contents;
    assert_eq!(bits(values), training.prediction_bits);

    // One [N] tensor per column as raw little-endian bytes (tritonclient's default form,
    // columns in another order than the model's): raw bytes back.
    let mut inputs = Vec::new();
    let mut raw = Vec::new();
    for (j, name) in golden::FEATURES.iter().enumerate().rev() {
        let column: Vec<f64> = training.rows.iter().map(|r| r[j]).collect();
        inputs.push(raw_input(name, "FP64", &[n as i64]));
        raw.push(le_f64(&column));
    }
    let response = grpc
        .model_infer(infer_request(MODEL, inputs, raw))
        .await
        .unwrap()
        .into_inner();
    predict_output(&response, n);
    assert!(response.outputs[0].contents.is_none());
    assert_eq!(response.raw_output_contents.len(), 1);
    assert_eq!(
        bits(&f64s(&response.raw_output_contents[0])),
        training.prediction_bits
    );

    // FP32 raw bytes: the same answer as HTTP gives for the same FP32 tensor.
    let row: Vec<f32> = golden::SAMPLE_ROW.iter().map(|&v| v as f32).collect();
    let bytes: Vec<u8> = row.iter().flat_map(|v| v.to_le_bytes()).collect();
    let response = grpc
        .model_infer(infer_request(
            MODEL,
            vec![raw_input("x", "FP32", &[1, 6])],
            vec![bytes],
        ))
        .await
        .unwrap()
        .into_inner();
    let http = server.post_json(
        "/v2/models/boston-housing/infer",
        &json!({"inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP32",
                "data": row.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()}]})
        .to_string(),
    );
    assert_eq!(http.status, 200, "{}", http.text());
    assert_eq!(
        bits(&f64s(&response.raw_output_contents[0])),
        golden::bits(&http.json()["outputs"][0]["data"])
    );

    // parameters.scaling, as over HTTP: the original service's per-request scaling.
    let mut request = infer_request(
        MODEL,
        vec![typed("x", &[1, 6], &golden::SAMPLE_ROW)],
        vec![],
    );
    request.parameters.insert(
        "scaling".into(),
        InferParameter {
            parameter_choice: Some(ParameterChoice::StringParam("per-request".into())),
        },
    );
    let response = grpc.model_infer(request).await.unwrap().into_inner();
    let values = &response.outputs[0].contents.as_ref().unwrap().fp64_contents;
    assert_eq!(bits(values), bits(&[golden::SAMPLE_PER_REQUEST]));

    // Counted: 4 calls, N + N + 1 + 1 rows.
    assert_eq!(
        metric(
            &server,
            "host_grpc_requests_total{method=\"ModelInfer\",code=\"OK\"}"
        ),
        4.0
    );
    assert_eq!(
        metric(
            &server,
            "host_predicted_rows_total{route=\"/inference.GRPCInferenceService/ModelInfer\",model=\"boston-housing\"}"
        ),
        (2 * n + 2) as f64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classifier_answers_labels_and_probabilities_typed_and_raw() {
    const STRING_LABELS: &str = "sklearn-1.9/hist_gradient_boosting_classifier_multiclass_str";
    const INTEGER_LABELS: &str = "sklearn-1.9/hist_gradient_boosting_classifier_multiclass";
    let read = |p: String| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))).unwrap()
    };

    for id in [STRING_LABELS, INTEGER_LABELS] {
        let path = format!("{}/{id}.model.json", zoo::DIR);
        let model = read(path.clone());
        let golden = read(format!("{}/{id}.golden.json", zoo::DIR));
        let name = model["name"].as_str().unwrap().to_string();
        let (shape, values) = zoo::f64_array(&golden["X"]);
        let (n, width) = (shape[0], shape[1]);
        let (server, addr) = start(&["--model", &path]);
        let mut grpc = client(addr).await;
        let shape = [n as i64, width as i64];

        // Raw: labels and probabilities as raw bytes, in the order asked for.
        let mut request = infer_request(
            &name,
            vec![raw_input("x", "FP64", &shape)],
            vec![le_f64(&values)],
        );
        request.outputs = outputs(&["predict_proba", "predict"]);
        let response = grpc.model_infer(request).await.unwrap().into_inner();
        let names: Vec<&str> = response.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["predict_proba", "predict"], "{id}");
        let k = golden["classes"].as_array().unwrap().len();
        assert_eq!(response.outputs[0].datatype, "FP64");
        assert_eq!(response.outputs[0].shape, vec![n as i64, k as i64]);
        zoo::assert_within_ulps(
            &f64s(&response.raw_output_contents[0]),
            &golden["predict_proba"],
            8,
        );
        let labels = &response.raw_output_contents[1];
        let predict = &response.outputs[1];
        assert_eq!(predict.shape, vec![n as i64]);
        if id == STRING_LABELS {
            assert_eq!(predict.datatype, "BYTES");
            assert_eq!(json!(byte_strings(labels)), golden["predict"]);
        } else {
            assert_eq!(predict.datatype, "INT64");
            let ints: Vec<i64> = labels
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
                .collect();
            assert_eq!(json!(ints), golden["predict"]);
        }

        // Typed: the default output only, in its datatype's field.
        let response = grpc
            .model_infer(infer_request(
                &name,
                vec![typed("x", &shape, &values)],
                vec![],
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.outputs.len(), 1);
        let contents = response.outputs[0].contents.as_ref().unwrap();
        if id == STRING_LABELS {
            let labels: Vec<String> = contents
                .bytes_contents
                .iter()
                .map(|b| String::from_utf8(b.clone()).unwrap())
                .collect();
            assert_eq!(json!(labels), golden["predict"]);
        } else {
            assert_eq!(json!(contents.int64_contents), golden["predict"]);
        }

        // The metadata lists both outputs, as over HTTP.
        let meta = grpc
            .model_metadata(ModelMetadataRequest {
                name: name.clone(),
                version: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let http = server.request("GET", &format!("/v2/models/{name}"), &[], b"");
        assert_eq!(metadata_json(&meta), http.json());
        assert_eq!(meta.outputs.len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_the_http_message_as_a_grpc_status() {
    let (server, addr) = start(&["--max-rows", "3"]);
    let mut grpc = client(addr).await;

    // The same tensor over HTTP and over gRPC: typed contents get the message of HTTP's
    // JSON `data`, raw contents the message of HTTP's binary tensor extension.
    let http_json = |input: Value| -> (u16, String) {
        let reply = server.post_json(
            "/v2/models/boston-housing/infer",
            &json!({"inputs": [input]}).to_string(),
        );
        (
            reply.status,
            reply.json()["error"].as_str().unwrap().to_string(),
        )
    };
    let http_binary = |mut input: Value, bytes: &[u8]| -> (u16, String) {
        input["parameters"] = json!({"binary_data_size": bytes.len()});
        let header = json!({"inputs": [input]}).to_string();
        let mut body = header.clone().into_bytes();
        body.extend_from_slice(bytes);
        let reply = server.request(
            "POST",
            "/v2/models/boston-housing/infer",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Inference-Header-Content-Length", &header.len().to_string()),
            ],
            &body,
        );
        (
            reply.status,
            reply.json()["error"].as_str().unwrap().to_string(),
        )
    };
    let five = [1.0, 2.0, 3.0, 4.0, 5.0];
    let four_rows = [golden::SAMPLE_ROW; 4].concat();
    let ints = [0i64, 6, 296, 15, 396, 4];
    let int_bytes: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut int_tensor = raw_input("x", "INT64", &[1, 6]);
    int_tensor.contents = Some(InferTensorContents {
        int64_contents: ints.to_vec(),
        ..Default::default()
    });
    // (what, the JSON input, the typed gRPC input, the raw bytes, the HTTP status, the code)
    type Case<'a> = (&'a str, Value, InferInputTensor, Vec<u8>, u16, Code);
    let cases: Vec<Case> = vec![
        (
            "a bad shape",
            json!({"name": "x", "shape": [1, 5], "datatype": "FP64", "data": five}),
            typed("x", &[1, 5], &five),
            le_f64(&five),
            400,
            Code::InvalidArgument,
        ),
        (
            "fewer values than the shape holds",
            json!({"name": "x", "shape": [2, 6], "datatype": "FP64", "data": golden::SAMPLE_ROW}),
            typed("x", &[2, 6], &golden::SAMPLE_ROW),
            le_f64(&golden::SAMPLE_ROW),
            400,
            Code::InvalidArgument,
        ),
        (
            "an unsupported datatype",
            json!({"name": "x", "shape": [1, 6], "datatype": "INT64", "data": ints}),
            int_tensor,
            int_bytes,
            400,
            Code::InvalidArgument,
        ),
        (
            "more rows than --max-rows",
            json!({"name": "x", "shape": [4, 6], "datatype": "FP64", "data": four_rows}),
            typed("x", &[4, 6], &four_rows),
            le_f64(&four_rows),
            413,
            Code::ResourceExhausted,
        ),
    ];
    for (what, json_input, typed_input, bytes, status, code) in cases {
        let (http_status, http_message) = http_json(json_input.clone());
        assert_eq!(http_status, status, "{what}: {http_message}");
        let mut raw_tensor = typed_input.clone();
        raw_tensor.contents = None;
        let err = grpc
            .model_infer(infer_request(MODEL, vec![typed_input], vec![]))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{what}: {}", err.message());
        assert_eq!(err.message(), http_message, "{what}");

        let mut json_input = json_input;
        json_input.as_object_mut().unwrap().remove("data");
        let (http_status, http_message) = http_binary(json_input, &bytes);
        assert_eq!(http_status, status, "{what} (binary): {http_message}");
        let err = grpc
            .model_infer(infer_request(MODEL, vec![raw_tensor], vec![bytes]))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{what} (raw): {}", err.message());
        assert_eq!(err.message(), http_message, "{what} (raw)");
    }

    // An unknown output: the same message as HTTP.
    let reply = server.post_json(
        "/v2/models/boston-housing/infer",
        &json!({
            "inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP64", "data": golden::SAMPLE_ROW}],
            "outputs": [{"name": "predict_proba"}]
        })
        .to_string(),
    );
    assert_eq!(reply.status, 400);
    let http_message = reply.json()["error"].clone();
    let mut request = infer_request(
        MODEL,
        vec![typed("x", &[1, 6], &golden::SAMPLE_ROW)],
        vec![],
    );
    request.outputs = outputs(&["predict_proba"]);
    let err = grpc.model_infer(request).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(err.message(), http_message);

    // An unknown model: NOT_FOUND with HTTP's 404 message.
    let http = server.post_json("/v2/models/nope/infer", &json!({"inputs": []}).to_string());
    assert_eq!(http.status, 404);
    let err = grpc
        .model_infer(infer_request(
            "nope",
            vec![typed("x", &[1, 6], &golden::SAMPLE_ROW)],
            vec![],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(err.message(), http.json()["error"]);

    // gRPC's own forms: raw contents that do not match the inputs, typed values in the
    // wrong field, no values at all.
    let err = grpc
        .model_infer(infer_request(
            MODEL,
            vec![
                raw_input("x", "FP64", &[1, 6]),
                raw_input("y", "FP64", &[1, 6]),
            ],
            vec![le_f64(&golden::SAMPLE_ROW)],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "raw_input_contents has 1 entries, the request has 2 inputs; send one per input, in input order"
    );
    let mut wrong_field = typed("x", &[1, 6], &[]);
    wrong_field.contents.as_mut().unwrap().fp32_contents = vec![1.0; 6];
    let err = grpc
        .model_infer(infer_request(MODEL, vec![wrong_field], vec![]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        err.message(),
        "input \"x\": datatype \"FP64\" takes its values in contents.fp64_contents"
    );
    let err = grpc
        .model_infer(infer_request(
            MODEL,
            vec![raw_input("x", "FP64", &[1, 6])],
            vec![],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().starts_with("input \"x\": has no contents"),
        "{}",
        err.message()
    );

    assert_eq!(
        metric(
            &server,
            "host_grpc_requests_total{method=\"ModelInfer\",code=\"INVALID_ARGUMENT\"}"
        ),
        10.0
    );
    assert_eq!(
        metric(
            &server,
            "host_grpc_requests_total{method=\"ModelInfer\",code=\"RESOURCE_EXHAUSTED\"}"
        ),
        2.0
    );
}

/// What one load client saw until its first failure.
#[derive(Debug, Default)]
struct ClientRun {
    ok: u64,
    ok_after_signal: u64,
    end: Option<(Code, String)>,
}

/// Whether `status` is a stream the server's GOAWAY named as never processed (its id above
/// the frame's last stream id): h2 fails those with the GOAWAY's own `NO_ERROR`, which
/// tonic reports as INTERNAL "h2 protocol error"; gRPC clients retry them.
fn refused_by_goaway(status: &tonic::Status) -> bool {
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return h2.is_go_away() && h2.is_remote() && h2.reason() == Some(h2::Reason::NO_ERROR);
        }
        source = error.source();
    }
    false
}

/// Sends the sample row (raw FP64) until a call fails; every answer must be the sample's.
async fn load_client(addr: SocketAddr, signalled: Arc<AtomicBool>) -> ClientRun {
    let mut run = ClientRun::default();
    let mut grpc = client(addr).await;
    let expected = golden::SAMPLE_TRAINING.to_bits();
    loop {
        let request = infer_request(
            MODEL,
            vec![raw_input("x", "FP64", &[1, 6])],
            vec![le_f64(&golden::SAMPLE_ROW)],
        );
        let after_signal = signalled.load(Ordering::SeqCst);
        match grpc.model_infer(request).await {
            Ok(response) => {
                let values = f64s(&response.into_inner().raw_output_contents[0]);
                assert_eq!(bits(&values), [expected]);
                run.ok += 1;
                if after_signal {
                    run.ok_after_signal += 1;
                }
            }
            Err(status) => {
                let message = if refused_by_goaway(&status) {
                    "refused by the server's GOAWAY".to_string()
                } else {
                    status.message().to_string()
                };
                run.end = Some((status.code(), message));
                return run;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_answers_every_call_it_took() {
    let (mut server, addr) = start(&["--shutdown-delay", "500ms", "--drain-timeout", "10s"]);
    let signalled = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| tokio::spawn(load_client(addr, signalled.clone())))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    signalled.store(true, Ordering::SeqCst);
    server.signal(libc::SIGTERM);
    let mut runs = Vec::new();
    for client in clients {
        runs.push(
            tokio::time::timeout(Duration::from_secs(15), client)
                .await
                .expect("a client still running 15 s after SIGTERM")
                .unwrap(),
        );
    }
    let (status, server) = tokio::task::spawn_blocking(move || {
        let status = server.wait(Duration::from_secs(10));
        (status, server)
    })
    .await
    .unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());

    // Calls kept being answered through the shutdown delay; each client stopped only
    // when the server no longer took calls, never on a call cut off in flight: the next
    // connection refused (UNAVAILABLE "tcp connect error"), or a call the client itself
    // dropped because it raced the server's GOAWAY on the old connection (hyper's
    // CANCELLED "operation was canceled": never sent; gRPC clients retry these), or a call
    // sent as the GOAWAY crossed it, which the GOAWAY's last stream id names as never
    // processed (h2's remote GOAWAY NO_ERROR; retried by gRPC clients too).
    for run in &runs {
        assert!(run.ok_after_signal > 0, "{runs:?}");
        let (code, message) = run.end.as_ref().unwrap();
        let refused = *code == Code::Unavailable && message == "tcp connect error";
        let raced_goaway = *code == Code::Cancelled && message == "operation was canceled";
        let refused_by_goaway = message == "refused by the server's GOAWAY";
        assert!(
            refused || raced_goaway || refused_by_goaway,
            "{code:?} {message} ({runs:?})"
        );
    }
    // Every call the server answered reached its client, and no other.
    let answered = server
        .log()
        .lines()
        .filter(|l| l.contains(r#""rpc":"ModelInfer""#) && l.contains(r#""code":"OK""#))
        .count() as u64;
    let received: u64 = runs.iter().map(|r| r.ok).sum();
    assert_eq!(answered, received, "{runs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_at_sigterm_is_answered_before_exit() {
    let (mut server, addr) = start(&["--max-body-bytes", "4194304", "--drain-timeout", "20s"]);
    let mut grpc = client(addr).await;
    // 20,000 rows: long enough (a second in a debug build) to be in flight at the signal.
    let n = 20_000;
    let rows: Vec<f64> = golden::SAMPLE_ROW
        .iter()
        .copied()
        .cycle()
        .take(n * 6)
        .collect();
    let request = infer_request(
        MODEL,
        vec![raw_input("x", "FP64", &[n as i64, 6])],
        vec![le_f64(&rows)],
    );
    let started = std::time::Instant::now();
    let call = tokio::spawn(async move { grpc.model_infer(request).await });
    // Signal once the call has reached the server (the log check below proves it had).
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.signal(libc::SIGTERM);
    let response = call.await.unwrap().expect("the call in flight is answered");
    let elapsed = started.elapsed();
    let values = f64s(&response.into_inner().raw_output_contents[0]);
    assert_eq!(values.len(), n);
    assert!(values
        .iter()
        .all(|v| v.to_bits() == golden::SAMPLE_TRAINING.to_bits()));
    let (status, server) = tokio::task::spawn_blocking(move || {
        let status = server.wait(Duration::from_secs(20));
        (status, server)
    })
    .await
    .unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());
    // The server began shutting down before it answered the call.
    let log = server.log();
    let shutdown = log.find("shutting down").expect("shutdown logged");
    let answered = log.find(r#""rpc":"ModelInfer""#).expect("call logged");
    assert!(
        shutdown < answered,
        "the call finished before the signal ({elapsed:?}): {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_above_max_body_bytes_are_refused_compressed_or_not() {
    use tonic::codec::CompressionEncoding;
    let (server, addr) = start(&["--max-body-bytes", "2000"]);
    let small = infer_request(
        MODEL,
        vec![raw_input("x", "FP64", &[1, 6])],
        vec![le_f64(&golden::SAMPLE_ROW)],
    );
    // 100 rows of zeros: 4,800 bytes of tensor, a few dozen gzipped.
    let zeros = vec![0.0; 600];
    let big = infer_request(
        MODEL,
        vec![raw_input("x", "FP64", &[100, 6])],
        vec![le_f64(&zeros)],
    );

    let mut plain = client(addr).await;
    let err = plain.model_infer(big.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{}", err.message());
    assert!(
        err.message().contains("the limit is: 2000 bytes"),
        "{}",
        err.message()
    );

    // gzip both ways: a small call is answered (compressed) with the same bits; a big one
    // is refused while it is decompressed, not after (no gzip bomb).
    let mut gzip = client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = gzip.model_infer(small).await.unwrap().into_inner();
    assert_eq!(
        bits(&f64s(&response.raw_output_contents[0])),
        bits(&[golden::SAMPLE_TRAINING])
    );
    let err = gzip.model_infer(big).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("size limit, of 2000 bytes"),
        "{}",
        err.message()
    );
    // The server still serves.
    assert!(
        plain
            .server_live(ServerLiveRequest {})
            .await
            .unwrap()
            .into_inner()
            .live
    );
    assert_eq!(
        server.request("GET", "/v2/health/ready", &[], b"").status,
        200
    );
}
