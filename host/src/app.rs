//! The router: every request goes through `predictor::Service::handle`, the one route
//! table all targets share; this file only moves bytes between axum and the core.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use predictor::{Model, Service, ServiceOptions};

/// Everything a request handler needs.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub model: &'static Model,
    pub service: ServiceOptions,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
}

impl AppConfig {
    pub fn new(model: &'static Model) -> Self {
        Self {
            model,
            service: ServiceOptions::default(),
            max_body_bytes: 1 << 20,
        }
    }
}

/// Bodies larger than this are predicted on the blocking pool, off the async workers.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// The whole HTTP application.
pub fn app(config: AppConfig) -> Router {
    Router::new().fallback(handle).with_state(Arc::new(config))
}

async fn handle(State(config): State<Arc<AppConfig>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return core_response(predictor::Response::error(
                413,
                &format!(
                    "request body is larger than {} bytes",
                    config.max_body_bytes
                ),
                "unknown",
            ))
        }
    };
    let body_len = body.len();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer = move || {
        let service = Service::new(config.model, config.service);
        service.handle(&predictor::Request {
            method: &method,
            path: &path,
            query: &query,
            content_type: content_type.as_deref(),
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

/// Turns the core's response into an HTTP response.
pub fn core_response(response: predictor::Response) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut http = (status, Body::from(response.body)).into_response();
    let headers = http.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    if let Some(allow) = response.allow {
        headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    http
}
