//! The router answers the /predict contract without a socket (axum's `oneshot` habit):
//! the README sample in both modes, status codes and JSON errors.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use predictor::Model;

use host::app::AppConfig;

use golden::SAMPLE;

async fn send(request: Request<Body>) -> (StatusCode, String, String) {
    let (status, content_type, body) =
        common::oneshot(AppConfig::new(Model::embedded()), request).await;
    (status, content_type, String::from_utf8(body).unwrap())
}

fn post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn readme_sample_training_and_per_request() {
    let (status, content_type, body) = send(post("/predict", SAMPLE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    assert_eq!(body, r#"{"prediction":[25.0021457871835]}"#);
    let (status, _, body) = send(post("/predict?scaling=per-request", SAMPLE)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"prediction":[20.35373177134412]}"#);
}

#[tokio::test]
async fn home_page_is_html() {
    let (status, content_type, body) = send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("<h3>Sklearn Prediction Home</h3>"));
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post("/predict", "{"),
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            Request::post("/predict").body(Body::from(SAMPLE)).unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            post("/predict", "{}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no rows",
        ),
        (
            Request::get("/predict").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "POST",
        ),
        (
            Request::get("/missing").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "/missing",
        ),
        (
            post("/predict", &format!("[{}]", " ".repeat(2 << 20))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than",
        ),
    ];
    for (request, expected_status, needle) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let (status, content_type, body) = send(request).await;
        assert_eq!(status, expected_status, "{what}: {body}");
        assert_eq!(content_type, "application/json", "{what}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        let message = error["error"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{what}: {message:?} lacks {needle:?}"
        );
    }
}
