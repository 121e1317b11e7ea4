//! The KServe V2 infer route end to end over a real socket: the golden rows sent as one
//! tensor per column to the running binary come back with scikit-learn's bits. The V2
//! codec itself (every tensor form, metadata, each error) is tested in the core
//! (predictor/tests/v2.rs), through the same route table the server calls.

mod common;

use serde_json::{json, Value};

use common::Server;

#[test]
fn golden_rows_as_per_column_tensors_over_a_socket() {
    let training = golden::training();
    let rows = &training.rows;
    let columns: Vec<Value> = golden::FEATURES
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            json!({"name": name, "shape": [rows.len()], "datatype": "FP64", "data": column})
        })
        .collect();
    let body = json!({"id": "columns", "inputs": columns}).to_string();
    let server = Server::start(&["--max-body-bytes", "8388608"]);
    let reply = server.post_json("/v2/models/boston-housing/infer", &body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let answer = reply.json();
    assert_eq!(answer["id"], "columns");
    assert_eq!(answer["model_name"], "boston-housing");
    assert_eq!(answer["model_version"], "1");
    let output = &answer["outputs"][0];
    assert_eq!(output["name"], "predict");
    assert_eq!(output["datatype"], "FP64");
    assert_eq!(output["shape"], json!([rows.len()]));
    assert_eq!(golden::bits(&output["data"]), training.prediction_bits);
}
