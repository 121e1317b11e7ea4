//! The production layers through the router (`oneshot`, no socket): metrics count what
//! was sent, request ids are echoed, readiness turns off for a drain, limits shed load
//! with 503, time out with 408 and refuse large bodies with 413.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use http_body::Frame;
use http_body_util::BodyExt;
use predictor::Model;
use tower::ServiceExt;

use host::app::{router, AppConfig, AppState};

const SAMPLE: &str = r#"{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}"#;

fn server(configure: impl FnOnce(&mut AppConfig)) -> (Arc<AppState>, Router) {
    let mut config = AppConfig::new(Model::embedded());
    configure(&mut config);
    let state = AppState::new(config);
    (state.clone(), router(state))
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value of one sample line of the exposition, 0 when absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_what_was_sent() {
    let (_, app) = server(|_| {});
    let rows3 = r#"{"CHAS":[0,0,1],"RM":[6,6,6],"TAX":[300,300,300],"PTRATIO":[15,15,15],"B":[390,390,390],"LSTAT":[5,5,5]}"#;
    for _ in 0..7 {
        let r = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    for _ in 0..2 {
        let r = app.clone().oneshot(post("/predict", rows3)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        let r = app.clone().oneshot(post("/predict", "{")).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let infer = r#"{"inputs":[{"name":"x","shape":[2,6],"datatype":"FP64","data":[0,6,300,15,390,5,1,6,300,15,390,5]}]}"#;
    for _ in 0..4 {
        let r = app
            .clone()
            .oneshot(post("/v2/models/boston-housing/infer", infer))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app.clone().oneshot(get("/nowhere")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.clone().oneshot(get("/v2/health/live")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let response = app.clone().oneshot(get("/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let m = text(response).await;
    // `model` names the model that answered; routes that answer for none have "".
    let count = |route: &str, status: u16, model: &str| {
        sample(
            &m,
            &format!(
                "host_http_requests_total{{route=\"{route}\",status=\"{status}\",model=\"{model}\"}}"
            ),
        )
    };
    assert_eq!(count("/predict", 200, "boston-housing"), 9.0, "{m}");
    assert_eq!(count("/predict", 400, "boston-housing"), 3.0);
    assert_eq!(count("/v2/models/{name}/infer", 200, "boston-housing"), 4.0);
    assert_eq!(count("unknown", 404, ""), 1.0);
    assert_eq!(count("/v2/health/live", 200, ""), 1.0);
    assert_eq!(
        sample(
            &m,
            "host_predicted_rows_total{route=\"/predict\",model=\"boston-housing\"}"
        ),
        13.0
    );
    assert_eq!(
        sample(
            &m,
            "host_predicted_rows_total{route=\"/v2/models/{name}/infer\",model=\"boston-housing\"}"
        ),
        8.0
    );
    assert_eq!(
        sample(
            &m,
            "host_http_request_duration_seconds_count{route=\"/predict\",model=\"boston-housing\"}"
        ),
        12.0
    );
    assert_eq!(
        sample(
            &m,
            "host_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"/predict\",model=\"boston-housing\"}"
        ),
        12.0
    );
    // The scrape itself is in flight while the exposition is written.
    assert_eq!(sample(&m, "host_http_requests_in_flight"), 1.0);
    assert_eq!(sample(&m, "host_ready"), 1.0);
    assert!(m.contains(&format!(
        "host_build_info{{version=\"{}\",model=\"boston-housing\",model_version=\"1\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(m.ends_with("# EOF\n"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let (_, app) = server(|_| {});
    let mut request = post("/predict", SAMPLE);
    request
        .headers_mut()
        .insert("x-request-id", "trace-1234".parse().unwrap());
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-1234");

    let mut ids = Vec::new();
    for _ in 0..3 {
        let mut request = get("/v2/health/live");
        // Not usable as an id (spaces): replaced by a generated one.
        request
            .headers_mut()
            .insert("x-request-id", "has spaces".parse().unwrap());
        let response = app.clone().oneshot(request).await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "generated ids must differ");
}

#[tokio::test]
async fn readiness_off_answers_503_and_closes_connections() {
    let (state, app) = server(|_| {});
    let ready = app.clone().oneshot(get("/v2/health/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(ready.headers().get(header::CONNECTION).is_none());

    state.set_ready(false);
    let ready = app.clone().oneshot(get("/v2/health/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.headers()[header::CONNECTION], "close");
    assert_eq!(text(ready).await, r#"{"ready":false}"#);
    let model_ready = app
        .clone()
        .oneshot(get("/v2/models/boston-housing/ready"))
        .await
        .unwrap();
    assert_eq!(model_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let live = app.clone().oneshot(get("/v2/health/live")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    // Requests still arriving are answered, each on a connection that then closes.
    let predict = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
    assert_eq!(predict.status(), StatusCode::OK);
    assert_eq!(predict.headers()[header::CONNECTION], "close");
    let m = text(app.clone().oneshot(get("/metrics")).await.unwrap()).await;
    assert_eq!(sample(&m, "host_ready"), 0.0);
}

/// A request body that sends one byte and then never finishes (a stuck client).
struct StalledBody {
    sent: bool,
}

impl HttpBody for StalledBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.sent {
            Poll::Pending
        } else {
            self.sent = true;
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"{")))))
        }
    }
}

fn stalled(uri: &str) -> Request<Body> {
    post(uri, Body::new(StalledBody { sent: false }))
}

#[tokio::test]
async fn a_full_server_sheds_with_503_at_once() {
    let (_, app) = server(|c| {
        c.max_concurrency = 2;
        c.request_timeout = Duration::from_secs(60);
    });
    // Two stuck requests hold both permits.
    let stuck: Vec<_> = (0..2)
        .map(|_| tokio::spawn(app.clone().oneshot(stalled("/predict"))))
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let shed = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "shedding must not queue"
    );
    assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shed.headers()[header::RETRY_AFTER], "1");
    let message = text(shed).await;
    assert!(
        message.contains("limit of 2 concurrent requests"),
        "{message}"
    );
    // Health checks and metrics are exempt, so a saturated pod is not restarted.
    let live = app.clone().oneshot(get("/v2/health/live")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let m = text(app.clone().oneshot(get("/metrics")).await.unwrap()).await;
    assert_eq!(
        sample(
            &m,
            "host_http_requests_total{route=\"(overloaded)\",status=\"503\",model=\"\"}"
        ),
        1.0
    );
    assert_eq!(sample(&m, "host_http_requests_in_flight"), 3.0, "{m}");
    // Once the stuck requests go away, the server takes requests again.
    for task in stuck {
        task.abort();
        let _ = task.await;
    }
    let ok = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let m = text(app.clone().oneshot(get("/metrics")).await.unwrap()).await;
    assert_eq!(sample(&m, "host_http_requests_in_flight"), 1.0, "{m}");
}

#[tokio::test]
async fn a_request_not_done_in_time_is_408() {
    let (_, app) = server(|c| c.request_timeout = Duration::from_millis(200));
    let started = std::time::Instant::now();
    let response = app.clone().oneshot(stalled("/predict")).await.unwrap();
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = text(response).await;
    assert!(message.contains("not completed within 200ms"), "{message}");
    let ok = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let (_, app) = server(|c| c.max_body_bytes = 1000);
    let big = format!("[{}]", vec![r#"{"CHAS":0}"#; 200].join(","));
    let response = app.clone().oneshot(post("/predict", big)).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let message = text(response).await;
    assert!(message.contains("larger than 1000 bytes"), "{message}");
    let ok = app.clone().oneshot(post("/predict", SAMPLE)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}
