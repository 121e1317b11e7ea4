//! What the server tells its operators: Prometheus metrics (`GET /metrics`) and one
//! structured log line per request with a request id that is echoed back.

use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// The request id header, taken from the client when it sends a usable one.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The OpenMetrics text format (what prometheus-client writes; Prometheus scrapes it).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which route answered and how many rows it predicted: set by the handlers as a
/// response extension, read here for the metrics and the log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    pub route: &'static str,
    pub rows: usize,
    /// The model that answered (`None` for routes that answer for no model, and for
    /// names the repository does not serve, so labels stay bounded).
    pub model: Option<&'static str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: u16,
    model: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    model: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: &'static str,
}

/// The repository's metrics, written by `repository` as models load, fail and unload.
#[derive(Clone, Debug, Default)]
pub struct ModelMetrics {
    bytes: Family<ModelLabels, Gauge>,
    loads: Family<ModelLabels, Counter>,
    load_failures: Family<ModelLabels, Counter>,
}

impl ModelMetrics {
    /// `host_model_bytes{model}`: the heap the serving model holds (`heap_meter`).
    pub fn bytes(&self, model: &'static str) -> impl std::ops::Deref<Target = Gauge> + '_ {
        self.bytes.get_or_create(&ModelLabels { model })
    }

    /// `host_model_loads_total{model}`: loads that succeeded (start-up included).
    pub fn loads(&self, model: &'static str) -> impl std::ops::Deref<Target = Counter> + '_ {
        self.loads.get_or_create(&ModelLabels { model })
    }

    /// `host_model_load_failures_total{model}`: loads refused (invalid file, over the limit).
    pub fn load_failures(
        &self,
        model: &'static str,
    ) -> impl std::ops::Deref<Target = Counter> + '_ {
        self.load_failures.get_or_create(&ModelLabels { model })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrpcLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrpcMethodLabels {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    model: String,
    model_version: String,
}

fn latency_histogram() -> Histogram {
    // 25 us .. ~13 s, doubling.
    Histogram::new(exponential_buckets(25e-6, 2.0, 20))
}

/// The metrics of one server, and the request ids it hands out.
pub struct Observer {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    rows: Family<RouteLabels, Counter>,
    in_flight: Gauge,
    grpc_requests: Family<GrpcLabels, Counter>,
    grpc_latency: Family<GrpcMethodLabels, Histogram, fn() -> Histogram>,
    ready: Gauge,
    id_seed: u64,
    id_next: AtomicU64,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer").finish_non_exhaustive()
    }
}

impl Observer {
    /// The registry; `host_build` names the default model (`default`: name and version).
    pub fn new(default: (&str, &str), models: &ModelMetrics) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "host_http_requests",
            "HTTP requests answered, by route, status and model",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "host_http_request_duration_seconds",
            "Time from request head to response head, by route and model",
            latency.clone(),
        );
        let rows = Family::<RouteLabels, Counter>::default();
        registry.register(
            "host_predicted_rows",
            "Rows predicted, by route and model",
            rows.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "host_http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        let grpc_requests = Family::<GrpcLabels, Counter>::default();
        registry.register(
            "host_grpc_requests",
            "gRPC calls answered, by method and status code",
            grpc_requests.clone(),
        );
        let grpc_latency =
            Family::<GrpcMethodLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "host_grpc_request_duration_seconds",
            "Time from a gRPC call's message to its answer, by method",
            grpc_latency.clone(),
        );
        let ready = Gauge::default();
        ready.set(1);
        registry.register(
            "host_ready",
            "1 while the server takes traffic, 0 once it is draining",
            ready.clone(),
        );
        registry.register(
            "host_build",
            "The server version and the default model at start-up",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                model: default.0.to_string(),
                model_version: default.1.to_string(),
            }),
        );
        registry.register(
            "host_model_bytes",
            "Size in bytes of the file each serving model was read from (0: embedded or unloaded)",
            models.bytes.clone(),
        );
        registry.register(
            "host_model_loads",
            "Model loads that succeeded, by model",
            models.loads.clone(),
        );
        registry.register(
            "host_model_load_failures",
            "Model loads refused (invalid file, over --max-model-bytes), by model",
            models.load_failures.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            rows,
            in_flight,
            grpc_requests,
            grpc_latency,
            ready,
            id_seed: RandomState::new().hash_one(Instant::now()),
            id_next: AtomicU64::new(0),
        }
    }

    /// The whole registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    fn record(&self, info: RouteInfo, status: u16, seconds: f64) {
        let model = info.model.unwrap_or("");
        self.requests
            .get_or_create(&RequestLabels {
                route: info.route,
                status,
                model,
            })
            .inc();
        let route = RouteLabels {
            route: info.route,
            model,
        };
        self.latency.get_or_create(&route).observe(seconds);
        if info.rows > 0 {
            self.rows.get_or_create(&route).inc_by(info.rows as u64);
        }
    }

    /// One gRPC call: `method` is the service's method name (`ModelInfer`), `code` the
    /// gRPC status code's name (`OK`, `INVALID_ARGUMENT`), `route` and `model` the labels
    /// its predicted rows are counted under.
    pub fn record_grpc(
        &self,
        method: &'static str,
        code: &'static str,
        (route, model): (&'static str, &'static str),
        rows: usize,
        seconds: f64,
    ) {
        self.grpc_requests
            .get_or_create(&GrpcLabels { method, code })
            .inc();
        self.grpc_latency
            .get_or_create(&GrpcMethodLabels { method })
            .observe(seconds);
        if rows > 0 {
            self.rows
                .get_or_create(&RouteLabels { route, model })
                .inc_by(rows as u64);
        }
    }

    /// The client's `x-request-id` if it is short printable ASCII, else a new one
    /// (a per-process random prefix and a counter: unique without a random source per call).
    fn request_id(&self, sent: Option<&HeaderValue>) -> HeaderValue {
        if let Some(value) = sent {
            let bytes = value.as_bytes();
            if (1..=128).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic()) {
                return value.clone();
            }
        }
        let n = self.id_next.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(32);
        let _ = write!(id, "{:016x}{n:016x}", self.id_seed);
        HeaderValue::from_str(&id).expect("hex is a valid header value")
    }
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The outermost middleware: request id, in-flight gauge, metrics and the access log.
/// While the server drains (`ready` false) every response also says `Connection: close`,
/// so keep-alive clients move to another pod between requests, never mid-request.
pub async fn observe(
    State(state): State<Arc<crate::app::AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let observer = &state.observer;
    let id = observer.request_id(request.headers().get(&REQUEST_ID));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    observer.in_flight.inc();
    let guard = InFlight(&observer.in_flight);
    let mut response = next.run(request).await;
    drop(guard);
    let elapsed = start.elapsed();
    let info = response
        .extensions()
        .get::<RouteInfo>()
        .copied()
        .unwrap_or(RouteInfo {
            route: "unknown",
            rows: 0,
            model: None,
        });
    let status = response.status().as_u16();
    observer.record(info, status, elapsed.as_secs_f64());
    // `%` (Display): the text format then writes the values unquoted, without escaping
    // them character by character; none can hold a space (request ids are checked).
    tracing::info!(
        target: "host::access",
        method = %method,
        path = %path,
        route = %info.route,
        model = %info.model.unwrap_or(""),
        status,
        latency_us = elapsed.as_micros() as u64,
        rows = info.rows,
        request_id = %id.to_str().unwrap_or(""),
        "request"
    );
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID.clone(), id);
    if !state.is_ready() {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
