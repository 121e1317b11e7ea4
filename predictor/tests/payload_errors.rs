//! Every class of bad /predict input gets the right status and a message that names the
//! problem, through the same route table every target uses; and the accepted forms all
//! give the same bits.

use predictor::{Model, Request, Response, Service, ServiceOptions};

fn post(body: &str) -> Response {
    post_with(body, Some("application/json"), "")
}

fn post_with(body: &str, content_type: Option<&str>, query: &str) -> Response {
    let options = ServiceOptions {
        max_rows: 1000,
        ..ServiceOptions::default()
    };
    Service::new(Model::embedded(), options).handle(&Request {
        method: "POST",
        path: "/predict",
        query,
        content_type,
        inference_header_length: None,
        body: body.as_bytes(),
    })
}

fn error_of(response: &Response) -> String {
    let v: serde_json::Value = serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {}", response.text()));
    v["error"].as_str().expect("error is a string").to_string()
}

#[track_caller]
fn assert_error(body: &str, status: u16, needles: &[&str]) {
    let response = post(body);
    assert_eq!(response.status, status, "{body} -> {}", response.text());
    assert_eq!(response.content_type, "application/json");
    let message = error_of(&response);
    for needle in needles {
        assert!(
            message.contains(needle),
            "{body}: {message:?} lacks {needle:?}"
        );
    }
}

const SAMPLE: &str = r#"{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}"#;

fn predictions(response: &Response) -> Vec<u64> {
    assert_eq!(response.status, 200, "{}", response.text());
    let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    v["prediction"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_f64().unwrap().to_bits())
        .collect()
}

#[test]
fn every_accepted_form_gives_the_same_bits() {
    let expected = predictions(&post(SAMPLE));
    assert_eq!(expected, vec![25.0021457871835f64.to_bits()]);
    for body in [
        r#"[{"CHAS":0,"RM":6.575,"TAX":296.0,"PTRATIO":15.3,"B":396.9,"LSTAT":4.98}]"#,
        r#"{"CHAS":[0],"RM":[6.575],"TAX":[296],"PTRATIO":[15.3],"B":[396.9],"LSTAT":[4.98]}"#,
        r#"[[0, 6.575, 296, 15.3, 396.9, 4.98]]"#,
        r#"{"CHAS":{"0":false},"RM":{"0":"6.575"},"TAX":{"0":" 296 "},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}"#,
        // Columns in another order are matched by name (the original silently mixed them).
        r#"{"LSTAT":{"0":4.98},"B":{"0":396.9},"PTRATIO":{"0":15.3},"TAX":{"0":296.0},"RM":{"0":6.575},"CHAS":{"0":0}}"#,
    ] {
        assert_eq!(predictions(&post(body)), expected, "{body}");
    }
}

#[test]
fn row_keys_sort_as_strings_like_the_original() {
    // Keys "10" and "2": "10" sorts first, so its prediction comes first.
    let body = r#"{"CHAS":{"2":0,"10":0},"RM":{"2":6.575,"10":8.0},"TAX":{"2":296,"10":296},"PTRATIO":{"2":15.3,"10":15.3},"B":{"2":396.9,"10":396.9},"LSTAT":{"2":4.98,"10":4.98}}"#;
    let got = predictions(&post(body));
    let rich = predictions(&post(
        r#"[{"CHAS":0,"RM":8.0,"TAX":296,"PTRATIO":15.3,"B":396.9,"LSTAT":4.98}]"#,
    ));
    assert_eq!(got, vec![rich[0], 25.0021457871835f64.to_bits()]);
}

#[test]
fn scaling_is_chosen_per_request() {
    let per_request = post_with(SAMPLE, Some("application/json"), "scaling=per-request");
    assert_eq!(
        predictions(&per_request),
        vec![20.35373177134412f64.to_bits()]
    );
    let bad = post_with(SAMPLE, Some("application/json"), "scaling=zscore");
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad).contains("zscore"));
}

#[test]
fn content_type_must_be_json() {
    let none = post_with(SAMPLE, None, "");
    assert_eq!(none.status, 415);
    assert!(error_of(&none).contains("application/json"));
    let text = post_with(SAMPLE, Some("text/plain"), "");
    assert_eq!(text.status, 415);
    assert!(error_of(&text).contains("text/plain"));
    let charset = post_with(SAMPLE, Some("application/json; charset=utf-8"), "");
    assert_eq!(charset.status, 200);
}

#[test]
fn malformed_json_is_400() {
    assert_error("{", 400, &["not valid JSON"]);
    assert_error("", 400, &["not valid JSON"]);
    assert_error(r#"{"CHAS": NaN}"#, 400, &["not valid JSON"]);
    assert_error(r#"[{"CHAS": 1e400}]"#, 400, &["not valid JSON"]);
}

#[test]
fn wrong_shapes_are_422_and_say_what_was_expected() {
    assert_error("{}", 422, &["no rows"]);
    assert_error("[]", 422, &["no rows"]);
    assert_error("null", 422, &["got null"]);
    assert_error("42", 422, &["got a number"]);
    assert_error(r#"[1, 2]"#, 422, &["row 0", "got a number"]);
    assert_error(
        r#"[[0, 6.575, 296, 15.3, 396.9]]"#,
        422,
        &["row 0: an array row needs 6 values", "got 5"],
    );
    assert_error(
        r#"{"CHAS":0,"RM":6.5,"TAX":296,"PTRATIO":15.3,"B":396.9,"LSTAT":4.98}"#,
        422,
        &["column CHAS", "got a number", "single row"],
    );
    assert_error(
        r#"{"CHAS":[0],"RM":{"0":6.5},"TAX":[296],"PTRATIO":[15.3],"B":[396.9],"LSTAT":[4.98]}"#,
        422,
        &["not a mix"],
    );
    assert_error(
        r#"{"CHAS":{},"RM":{},"TAX":{},"PTRATIO":{},"B":{},"LSTAT":{}}"#,
        422,
        &["no rows"],
    );
}

#[test]
fn missing_and_unknown_columns_are_named() {
    // Five columns, as the original crashed on.
    assert_error(
        r#"{"CHAS":[0],"RM":[6.5],"TAX":[296],"PTRATIO":[15.3],"B":[396.9]}"#,
        422,
        &["column LSTAT is missing"],
    );
    // Seven columns.
    assert_error(
        r#"{"CHAS":[0],"RM":[6.5],"TAX":[296],"PTRATIO":[15.3],"B":[396.9],"LSTAT":[5],"CRIM":[0.1]}"#,
        422,
        &[
            "unknown column \"CRIM\"",
            "CHAS, RM, TAX, PTRATIO, B, LSTAT",
        ],
    );
    assert_error(
        r#"[{"CHAS":0,"RM":6.5,"TAX":296,"PTRATIO":15.3,"B":396.9,"lstat":5}]"#,
        422,
        &["unknown column \"lstat\""],
    );
}

#[test]
fn missing_cells_name_row_and_column() {
    assert_error(
        r#"{"CHAS":{"0":0,"1":0},"RM":{"0":6.5},"TAX":{"0":296,"1":296},"PTRATIO":{"0":15,"1":15},"B":{"0":396,"1":396},"LSTAT":{"0":5,"1":5}}"#,
        422,
        &["row 1: value for RM is missing"],
    );
    assert_error(
        r#"[{"CHAS":0,"RM":6.5,"TAX":296,"PTRATIO":15.3,"B":396.9,"LSTAT":5},{"CHAS":0,"RM":6.5,"TAX":296,"PTRATIO":15.3,"B":396.9}]"#,
        422,
        &["row 1: value for LSTAT is missing"],
    );
}

#[test]
fn bad_cells_name_row_and_column() {
    let cell = |value: &str| {
        format!(
            r#"{{"CHAS":[0,0],"RM":[6.5,{value}],"TAX":[296,296],"PTRATIO":[15,15],"B":[396,396],"LSTAT":[5,5]}}"#
        )
    };
    // null is a missing value, which the Boston model refuses as scikit-learn does.
    assert_error(
        &cell("null"),
        422,
        &["row 1: value for RM is missing, and this model does not take missing values"],
    );
    assert_error(
        &cell(r#""abc""#),
        422,
        &["row 1: value for RM is not a number", "abc"],
    );
    assert_error(
        &cell(r#""inf""#),
        422,
        &["row 1: value for RM is not a finite number"],
    );
    assert_error(
        &cell(r#""NaN""#),
        422,
        &["row 1: value for RM is not a finite number"],
    );
    assert_error(
        &cell(r#"{"x":1}"#),
        422,
        &["row 1: value for RM is an object"],
    );
    assert_error(&cell("[1]"), 422, &["row 1: value for RM is an array"]);
}

#[test]
fn ragged_columns_and_duplicate_keys_are_refused() {
    assert_error(
        r#"{"CHAS":[0,0],"RM":[6.5],"TAX":[296,296],"PTRATIO":[15,15],"B":[396,396],"LSTAT":[5,5]}"#,
        422,
        &["column RM has 1 values", "2"],
    );
    assert_error(
        r#"{"CHAS":[0],"RM":[6.5],"RM":[7.5],"TAX":[296],"PTRATIO":[15],"B":[396],"LSTAT":[5]}"#,
        422,
        &["\"RM\" appears twice"],
    );
    assert_error(
        r#"{"CHAS":{"0":0,"0":1},"RM":{"0":6.5},"TAX":{"0":296},"PTRATIO":{"0":15},"B":{"0":396},"LSTAT":{"0":5}}"#,
        422,
        &["\"0\" appears twice"],
    );
    // Every column repeats the same row key: the aligned-columns path.
    let column = r#"{"1":6.5,"0":6.5,"1":6.5}"#;
    let body = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
        .map(|name| format!("{name:?}:{column}"))
        .join(",");
    assert_error(&format!("{{{body}}}"), 422, &["\"1\" appears twice"]);
}

#[test]
fn too_many_rows_is_413() {
    let n = 1001;
    let column = format!("[{}]", vec!["1"; n].join(","));
    let body = format!(
        r#"{{"CHAS":{column},"RM":{column},"TAX":{column},"PTRATIO":{column},"B":{column},"LSTAT":{column}}}"#
    );
    assert_error(&body, 413, &["1001 rows", "limit is 1000"]);
}

#[test]
fn routes_methods_and_home() {
    let service = Service::new(Model::embedded(), ServiceOptions::default());
    let request = |method, path| Request {
        method,
        path,
        query: "",
        content_type: None,
        inference_header_length: None,
        body: b"",
    };
    let home = service.handle(&request("GET", "/"));
    assert_eq!(home.status, 200);
    assert!(home.content_type.starts_with("text/html"));
    assert!(home.text().contains("<h3>Sklearn Prediction Home</h3>"));
    let wrong_method = service.handle(&request("GET", "/predict"));
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.allow, Some("POST"));
    assert!(error_of(&wrong_method).contains("POST"));
    let missing = service.handle(&request("GET", "/nope"));
    assert_eq!(missing.status, 404);
    assert!(error_of(&missing).contains("/nope"));
}
