//! The router: every request goes through `predictor::Service::handle`, the one route
//! table all targets share; this file moves bytes between axum and the core and stacks
//! the production layers (observe, limits) in one visible place, `router()`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use predictor::{Model, Service, ServiceOptions};
use tokio::sync::Semaphore;

use crate::compression;
use crate::observe::{observe, Observer, RouteInfo, METRICS_CONTENT_TYPE};

/// How the server is configured (from the command line, or by tests).
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub model: &'static Model,
    pub service: ServiceOptions,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// A request taking longer than this is answered 408 (health checks exempt).
    pub request_timeout: Duration,
    /// Requests answered at once; more are refused with 503 at once, not queued.
    pub max_concurrency: usize,
}

impl AppConfig {
    pub fn new(model: &'static Model) -> Self {
        Self {
            model,
            service: ServiceOptions::default(),
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            max_concurrency: 1024,
        }
    }
}

/// A running server's shared state: its config, readiness and metrics.
#[derive(Debug)]
pub struct AppState {
    pub config: AppConfig,
    pub observer: Observer,
    ready: AtomicBool,
    permits: Semaphore,
}

impl AppState {
    pub fn new(config: AppConfig) -> Arc<Self> {
        Arc::new(Self {
            observer: Observer::new(config.model),
            ready: AtomicBool::new(true),
            permits: Semaphore::new(config.max_concurrency),
            config,
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Readiness off (on shutdown): /v2/health/ready answers 503, responses close
    /// their connections; everything is still answered.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
        self.observer.set_ready(ready);
    }
}

/// Bodies larger than this are predicted on the blocking pool, off the async workers.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// The whole HTTP application with a fresh state.
pub fn app(config: AppConfig) -> Router {
    router(AppState::new(config))
}

/// The application over a state the caller keeps (to turn readiness off, read metrics).
/// Layers run outside in: `observe` (request id, metrics, access log) sees every
/// answer, including the 503s and 408s of `limits`; then response compression (request
/// bodies are decompressed by `handle`, within the body limit).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(compression::compression())
        .layer(from_fn_with_state(state.clone(), limits))
        .layer(from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Health checks and metrics must answer even when the server is saturated.
fn exempt_from_limits(path: &str) -> bool {
    path.starts_with("/v2/health/") || path == "/metrics"
}

/// Load shedding (a full server answers 503 at once) and the request timeout.
async fn limits(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if exempt_from_limits(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(_permit) = state.permits.try_acquire() else {
        let mut response = error(
            503,
            &format!(
                "server is at its limit of {} concurrent requests; retry shortly",
                state.config.max_concurrency
            ),
            "(overloaded)",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let timeout = state.config.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error(
            408,
            &format!(
                "request not completed within {}",
                humantime::format_duration(timeout)
            ),
            "(timeout)",
        ),
    }
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.uri.path() == "/metrics" {
        return metrics(&state, &parts.method);
    }
    let config = &state.config;
    let body = match read_body(&parts.headers, body, config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(refused) => {
            let mut response = error(refused.status(), &refused.message(), "unknown");
            if refused.status() == 415 {
                // RFC 7694: say which encodings would have been taken.
                response.headers_mut().insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static("gzip, deflate"),
                );
            }
            return response;
        }
    };
    let body_len = body.len();
    let model = config.model;
    let options = ServiceOptions {
        ready: state.is_ready(),
        ..config.service
    };
    let answer = move || {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        Service::new(model, options).handle(&predictor::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            content_type,
            body: &body,
        })
    };
    let response = if body_len > INLINE_BODY_BYTES {
        match tokio::task::spawn_blocking(answer).await {
            Ok(response) => response,
            Err(_) => predictor::Response::error(500, "prediction failed", "unknown"),
        }
    } else {
        answer()
    };
    core_response(response)
}

/// The request body, decompressed if it was sent compressed (on the blocking pool: the
/// work is bounded by the limit, not by the few bytes sent), at most `limit` bytes.
async fn read_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, compression::BodyError> {
    let encoding = compression::request_encoding(headers)?;
    let raw = compression::read_raw(body, limit, encoding).await?;
    let Some(encoding) = encoding else {
        return Ok(raw);
    };
    tokio::task::spawn_blocking(move || compression::decode(encoding, &raw, limit))
        .await
        .unwrap_or_else(|_| {
            Err(compression::BodyError::Unreadable(
                "decompression failed".into(),
            ))
        })
}

/// `GET /metrics`: the Prometheus (OpenMetrics text) exposition.
fn metrics(state: &AppState, method: &Method) -> Response {
    const ROUTE: &str = "/metrics";
    if method != Method::GET && method != Method::HEAD {
        let mut response = error(405, &format!("{ROUTE} takes GET, not {method}"), ROUTE);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    let mut response = (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        state.observer.encode(),
    )
        .into_response();
    response.extensions_mut().insert(RouteInfo {
        route: ROUTE,
        rows: 0,
    });
    response
}

/// `{"error": message}` with `status`, labelled `route` in metrics and logs.
fn error(status: u16, message: &str, route: &'static str) -> Response {
    core_response(predictor::Response::error(status, message, route))
}

/// Turns the core's response into an HTTP response.
pub fn core_response(response: predictor::Response) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let info = RouteInfo {
        route: response.route,
        rows: response.rows,
    };
    let mut http = (status, Body::from(response.body)).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    if let Some(allow) = response.allow {
        headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    http.extensions_mut().insert(info);
    http
}
