//! The KServe V2 endpoints through the whole router (axum `oneshot`, no socket): the
//! same golden rows as /predict with the same bits, every tensor form, ids, errors.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use predictor::{Model, Scaling};
use serde_json::{json, Value};

use host::app::AppConfig;

const INFER: &str = "/v2/models/boston-housing/infer";

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn send(request: Request<Body>) -> Answer {
    let mut config = AppConfig::new(Model::embedded());
    config.max_body_bytes = 8 << 20;
    let (status, content_type, bytes) = common::oneshot(config, request).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        content_type,
        body,
    }
}

async fn post(uri: &str, body: &Value) -> Answer {
    send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn get(uri: &str) -> Answer {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

fn bits(answer: &Answer) -> Vec<u64> {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json");
    let output = &answer.body["outputs"][0];
    assert_eq!(output["name"], "predict");
    assert_eq!(output["datatype"], "FP64");
    let data = output["data"].as_array().unwrap();
    assert_eq!(output["shape"], json!([data.len()]));
    data.iter().map(|v| v.as_f64().unwrap().to_bits()).collect()
}

fn matrix(rows: &[[f64; 6]], datatype: &str, nested: bool) -> Value {
    let data = if nested {
        json!(rows)
    } else {
        json!(rows.iter().flatten().collect::<Vec<_>>())
    };
    json!({"inputs": [{"name": "input-0", "shape": [rows.len(), 6], "datatype": datatype, "data": data}]})
}

#[tokio::test]
async fn golden_rows_through_every_tensor_form() {
    let (rows, expected) = common::training_golden();
    assert_eq!(
        bits(&post(INFER, &matrix(&rows, "FP64", false)).await),
        expected
    );
    assert_eq!(
        bits(&post(INFER, &matrix(&rows, "FP64", true)).await),
        expected
    );
    let names = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"];
    let columns: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            json!({"name": name, "shape": [rows.len()], "datatype": "FP64", "data": column})
        })
        .collect();
    let answer = post(INFER, &json!({"id": "columns", "inputs": columns})).await;
    assert_eq!(bits(&answer), expected);
    assert_eq!(answer.body["id"], "columns");
    assert_eq!(answer.body["model_name"], "boston-housing");
    assert_eq!(answer.body["model_version"], "1");
}

#[tokio::test]
async fn same_bits_as_predict_one_row_at_a_time() {
    let (rows, expected) = common::training_golden();
    for (row, want) in rows.iter().zip(&expected).step_by(97) {
        let v2 = post(INFER, &matrix(std::slice::from_ref(row), "FP64", false)).await;
        assert_eq!(bits(&v2), vec![*want]);
        let records = json!([{
            "CHAS": row[0], "RM": row[1], "TAX": row[2], "PTRATIO": row[3], "B": row[4], "LSTAT": row[5]
        }]);
        let v1 = post("/predict", &records).await;
        assert_eq!(v1.status, StatusCode::OK);
        assert_eq!(v1.body["prediction"][0].as_f64().unwrap().to_bits(), *want);
    }
}

#[tokio::test]
async fn fp32_rows_round_to_single_precision() {
    let (rows, _) = common::training_golden();
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
    assert_eq!(
        bits(&post(INFER, &matrix(rows, "FP32", true)).await),
        expected
    );
}

#[tokio::test]
async fn per_request_scaling_and_versioned_path() {
    let row = [[0.0, 6.575, 296.0, 15.3, 396.9, 4.98]];
    let mut body = matrix(&row, "FP64", false);
    body["parameters"] = json!({"scaling": "per-request"});
    let answer = post("/v2/models/boston-housing/versions/1/infer", &body).await;
    assert_eq!(bits(&answer), vec![20.35373177134412f64.to_bits()]);
    let answer = post(
        "/v2/models/boston-housing/infer?scaling=per-request",
        &matrix(&row, "FP64", false),
    )
    .await;
    assert_eq!(bits(&answer), vec![20.35373177134412f64.to_bits()]);
}

#[tokio::test]
async fn metadata_health_and_errors() {
    let server = get("/v2").await;
    assert_eq!(server.status, StatusCode::OK);
    assert_eq!(server.body["name"], "edge-predictor");
    let model = get("/v2/models/boston-housing").await;
    assert_eq!(model.status, StatusCode::OK);
    assert_eq!(model.body["inputs"].as_array().unwrap().len(), 6);
    assert_eq!(get("/v2/health/live").await.body, json!({"live": true}));
    assert_eq!(get("/v2/health/ready").await.body, json!({"ready": true}));
    assert_eq!(
        get("/v2/models/boston-housing/ready").await.body,
        json!({"name": "boston-housing", "ready": true})
    );

    let unknown = post("/v2/models/iris/infer", &matrix(&[[0.0; 6]], "FP64", false)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body["error"]
        .as_str()
        .unwrap()
        .contains("unknown model \"iris\""));
    assert_eq!(get("/v2/models/iris").await.status, StatusCode::NOT_FOUND);

    let mut bad = matrix(&[[0.0; 6]], "FP64", false);
    bad["inputs"][0]["shape"] = json!([1, 7]);
    let answer = post(INFER, &bad).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body["error"]
        .as_str()
        .unwrap()
        .contains("is not [N, 6]"));
}
