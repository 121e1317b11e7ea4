//! The router: every request goes through `predictor::Service::handle`, the one route
//! table all targets share; this file moves bytes between axum and the core and stacks
//! the production layers (observe, limits) in one visible place, `router()`.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use predictor::{Model, Service, ServiceOptions};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::compression;
use crate::observe::{observe, Observer, RouteInfo, METRICS_CONTENT_TYPE};
use crate::repository::{ModelRepository, RequestModels, Snapshot};

/// How the server is configured (from the command line, or by tests).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The models served, by name (one model unless `--model-dir`).
    pub models: Arc<ModelRepository>,
    pub service: ServiceOptions,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// A request taking longer than this is answered 408 (health checks exempt).
    pub request_timeout: Duration,
    /// Slowest request body accepted, bytes per second after `BODY_GRACE` (0: any).
    pub min_body_rate: u64,
    /// Requests answered at once; more are refused with 503 at once, not queued.
    pub max_concurrency: usize,
}

impl AppConfig {
    /// Serves one fixed model with the default limits.
    pub fn new(model: &Model) -> Self {
        Self::with_models(Arc::new(ModelRepository::single(model)))
    }

    /// Serves a repository with the default limits.
    pub fn with_models(models: Arc<ModelRepository>) -> Self {
        Self {
            models,
            service: ServiceOptions::default(),
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            min_body_rate: 240,
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
        let snapshot = config.models.snapshot();
        let default = snapshot
            .default_model()
            .map(|m| (m.name(), m.version()))
            .unwrap_or(("", ""));
        let observer = Observer::new(default, config.models.metrics());
        Arc::new(Self {
            observer,
            ready: AtomicBool::new(true),
            permits: Semaphore::new(config.max_concurrency),
            config,
        })
    }

    /// The models serving now, by name (`snapshot.get(name)`, `snapshot.default_model()`):
    /// hold it for one request, so the request sees one model from start to end.
    pub fn models(&self) -> Arc<Snapshot> {
        self.config.models.snapshot()
    }

    /// The repository itself (load, unload, reload, index).
    pub fn repository(&self) -> &Arc<ModelRepository> {
        &self.config.models
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// One of the `max_concurrency` slots that HTTP and gRPC requests share, held while
    /// the request is answered; when all are taken, the refusal's message (HTTP 503, gRPC
    /// UNAVAILABLE).
    pub fn try_permit(&self) -> Result<SemaphorePermit<'_>, String> {
        self.permits.try_acquire().map_err(|_| {
            format!(
                "server is at its limit of {} concurrent requests; retry shortly",
                self.config.max_concurrency
            )
        })
    }

    /// Readiness off (on shutdown): /v2/health/ready answers 503, responses close
    /// their connections; everything is still answered.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
        self.observer.set_ready(ready);
    }
}

/// V2's binary tensor extension: the length of the JSON header before binary tensor data
/// (`predictor::v2::HEADER_LENGTH`), in requests and responses.
const INFERENCE_HEADER_LENGTH: HeaderName =
    HeaderName::from_static("inference-header-content-length");

/// Bodies larger than this are predicted on the blocking pool, off the async workers
/// (gRPC messages too).
pub(crate) const INLINE_BODY_BYTES: usize = 64 * 1024;

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
    let _permit = match state.try_permit() {
        Ok(permit) => permit,
        Err(message) => {
            let mut response = error(503, &message, "(overloaded)");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
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
    let limit = config.max_body_bytes;
    let encoding = match compression::request_encoding(&parts.headers) {
        Ok(encoding) => encoding,
        Err(refused) => return body_refused(&refused),
    };
    let raw = match read_body(body, limit, MinRate::new(config.min_body_rate)).await {
        Ok(bytes) => bytes,
        Err(ReadError::TooLarge { rest, started }) => {
            // A client that sent `Expect: 100-continue` and got no 100 (nothing was read)
            // has not sent its body: nothing to drain.
            let expects_continue = parts
                .headers
                .get(header::EXPECT)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
            if started || !expects_continue {
                drain(rest);
            }
            let mut response = body_refused(&compression::BodyError::TooLarge { limit, encoding });
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        Err(ReadError::Broken(reason)) => {
            return body_refused(&compression::BodyError::Unreadable(reason))
        }
        Err(ReadError::TooSlow { read, min_rate }) => {
            let mut response = error(408, &too_slow(read, min_rate), "(slow body)");
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let body = match decompress(encoding, raw, limit).await {
        Ok(bytes) => bytes,
        Err(refused) => return body_refused(&refused),
    };
    let body_len = body.len();
    let options = ServiceOptions {
        ready: state.is_ready(),
        ..config.service
    };
    // Repository calls read files: off the async workers, as large bodies are.
    let blocking = body_len > INLINE_BODY_BYTES || parts.uri.path().starts_with("/v2/repository/");
    let answer = move |state: &AppState| {
        // Not UTF-8 (obs-text): still named in the 415, not taken for a missing header.
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()));
        let inference_header_length = parts
            .headers
            .get(&INFERENCE_HEADER_LENGTH)
            .and_then(|v| v.to_str().ok());
        let repository = &state.config.models;
        // The request's models, fixed until it is answered (a reload swaps in a new
        // snapshot; this one lives on until its last request is done).
        let snapshot = repository.snapshot_guard();
        let models = RequestModels::new(&snapshot, repository);
        let response = Service::with_models(&models, options).handle(&predictor::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            content_type: content_type.as_deref(),
            inference_header_length,
            body: &body,
        });
        (response, models.answered())
    };
    let (response, model) = if blocking {
        let state = state.clone();
        match tokio::task::spawn_blocking(move || answer(&state)).await {
            Ok(answered) => answered,
            Err(_) => (
                predictor::Response::error(500, "prediction failed", "unknown"),
                None,
            ),
        }
    } else {
        answer(&state)
    };
    let mut http = core_response(response);
    if let Some(info) = http.extensions_mut().get_mut::<RouteInfo>() {
        info.model = model;
    }
    http
}

/// Why a request body was not read whole.
enum ReadError {
    /// Over the limit; the rest of the body, still unread (`started`: some was read).
    TooLarge { rest: Body, started: bool },
    /// Broken framing (a bad chunk size, say) or a client gone mid-body.
    Broken(String),
    /// Slower than the minimum body rate: `read` bytes by now.
    TooSlow { read: usize, min_rate: MinRate },
}

/// How long a body may take before its rate is checked (Kestrel's grace period).
const BODY_GRACE: Duration = Duration::from_secs(5);

/// The minimum body data rate, as a deadline: a body that has `len` bytes at `start +
/// max(BODY_GRACE, len / rate)` without more is too slow.
#[derive(Clone, Copy)]
pub(crate) struct MinRate {
    start: tokio::time::Instant,
    bytes_per_second: u64,
}

impl MinRate {
    pub(crate) fn new(bytes_per_second: u64) -> Self {
        Self {
            start: tokio::time::Instant::now(),
            bytes_per_second,
        }
    }

    /// When the next frame must have come, with `len` bytes read (None: no minimum).
    pub(crate) fn deadline(&self, len: usize) -> Option<tokio::time::Instant> {
        let rate = self.bytes_per_second;
        (rate > 0).then(|| {
            let earned = Duration::from_secs_f64(len as f64 / rate as f64);
            self.start + earned.max(BODY_GRACE)
        })
    }
}

/// Why a body `min_rate` cut after `read` bytes was refused (HTTP's 408, gRPC's
/// DEADLINE_EXCEEDED).
pub(crate) fn too_slow(read: usize, min_rate: MinRate) -> String {
    format!(
        "request body arrived too slowly: {read} bytes in {:.1} s, under the minimum of {} \
         bytes/s",
        min_rate.start.elapsed().as_secs_f64(),
        min_rate.bytes_per_second
    )
}

/// The whole body, at most `limit` bytes, at least `min_rate` fast. A declared
/// `Content-Length` over the limit is refused before any byte is read (so `Expect:
/// 100-continue` gets no 100).
async fn read_body(mut body: Body, limit: usize, min_rate: MinRate) -> Result<Bytes, ReadError> {
    if body.size_hint().lower() > limit as u64 {
        return Err(ReadError::TooLarge {
            rest: body,
            started: false,
        });
    }
    // One frame (the usual case) is kept as it came, without a copy.
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut len = 0usize;
    loop {
        let next = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let frame = match min_rate.deadline(len) {
            None => next.await,
            Some(deadline) => match tokio::time::timeout_at(deadline, next).await {
                Ok(frame) => frame,
                Err(_) => {
                    return Err(ReadError::TooSlow {
                        read: len,
                        min_rate,
                    })
                }
            },
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|err| ReadError::Broken(innermost(&err)))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        len += data.len();
        if len > limit {
            return Err(ReadError::TooLarge {
                rest: body,
                started: true,
            });
        }
        match first.take() {
            None if joined.is_empty() => first = Some(data),
            previous => {
                if let Some(previous) = previous {
                    let rest = body.size_hint().lower().min(limit as u64) as usize;
                    joined.reserve(previous.len() + data.len() + rest);
                    joined.extend_from_slice(&previous);
                }
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(joined)))
}

/// The last cause in an error's chain: hyper's "Invalid chunk size line" rather than
/// "error reading a body from connection".
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Most bytes, and longest time, spent reading and discarding the rest of a body after
/// its 413.
const DRAIN_BYTES: usize = 64 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads and discards the rest of a refused body (bounded by `DRAIN_BYTES` and
/// `DRAIN_TIME`), like nginx's lingering close: a client that sends its whole body before
/// reading (no `Expect: 100-continue`) then reads the 413, where closing with its bytes
/// unread would reset the connection and lose the answer. The 413 says `Connection:
/// close`, so hyper closes once the body is done or dropped.
fn drain(mut rest: Body) {
    tokio::spawn(async move {
        let discard = async {
            let mut left = DRAIN_BYTES;
            while let Some(Ok(frame)) = poll_fn(|cx| Pin::new(&mut rest).poll_frame(cx)).await {
                let taken = frame.data_ref().map_or(0, Bytes::len);
                left = left.saturating_sub(taken);
                if left == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
    });
}

/// The body as the route reads it: decompressed (on the blocking pool: the work is bounded
/// by the limit, not by the few bytes sent) when it was sent compressed, at most `limit`
/// bytes either way.
async fn decompress(
    encoding: Option<compression::Encoding>,
    raw: Bytes,
    limit: usize,
) -> Result<Bytes, compression::BodyError> {
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

/// A body refused before any route saw it, as its 4xx; a 415 says which encodings would
/// have been taken (RFC 7694).
fn body_refused(refused: &compression::BodyError) -> Response {
    let mut response = error(refused.status(), &refused.message(), "unknown");
    if refused.status() == 415 {
        response.headers_mut().insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate"),
        );
    }
    response
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
        model: None,
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
        model: None,
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
    if let Some(length) = response.inference_header_length {
        headers.insert(INFERENCE_HEADER_LENGTH, HeaderValue::from(length));
    }
    http.extensions_mut().insert(info);
    http
}
