//! The HTTP contract, once, for every target: a transport-neutral request goes in, a
//! response comes out. The native server (axum) and the Spin component only translate
//! their own request types to and from these, so a route exists in exactly one place.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::PredictError;
use crate::model::{Model, Predictions};
use crate::payload::{self, Output};
use crate::scaler::Scaling;
use crate::v2;

/// What an adapter knows about an incoming request.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string without `?` ("" when absent).
    pub query: &'a str,
    pub content_type: Option<&'a str>,
    /// The `Inference-Header-Content-Length` header (V2's binary tensor extension: the
    /// body is a JSON header of this many bytes, then binary tensor data).
    pub inference_header_length: Option<&'a str>,
    pub body: &'a [u8],
}

/// What the adapter sends back.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    /// The route that answered (a fixed label for metrics and logs), "unknown" for 404s.
    pub route: &'static str,
    /// Rows predicted (0 when none).
    pub rows: usize,
    /// The `Inference-Header-Content-Length` header to send: the JSON header's length
    /// when binary tensor data follows it (a V2 infer answer with binary outputs).
    pub inference_header_length: Option<usize>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>, route: &'static str) -> Self {
        Self {
            status,
            content_type,
            body,
            allow: None,
            route,
            rows: 0,
            inference_header_length: None,
        }
    }

    /// `{"error": "..."}` with the given status.
    pub fn error(status: u16, message: &str, route: &'static str) -> Self {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
        }
        let body = serde_json::to_vec(&Body { error: message }).expect("a string serializes");
        Self::new(status, JSON, body, route)
    }

    fn from_error(err: &PredictError, route: &'static str) -> Self {
        Self::error(status_of(err), &err.to_string(), route)
    }

    /// The body as text (for tests and logs).
    pub fn text(&self) -> &str {
        core::str::from_utf8(&self.body).unwrap_or("<binary>")
    }
}

pub const JSON: &str = "application/json";
/// A V2 infer body with binary tensor data (or, from some clients, plain JSON).
pub const OCTET_STREAM: &str = "application/octet-stream";
pub const HTML: &str = "text/html; charset=utf-8";

/// How the service answers, beyond the model itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceOptions {
    /// Scaling used when a request does not say `?scaling=`.
    pub default_scaling: Scaling,
    /// Most rows one request may hold (413 above).
    pub max_rows: usize,
    /// Whether the host takes traffic: false makes `/v2/health/ready` and
    /// `/v2/models/{name}/ready` answer 503 (set while draining on shutdown); liveness
    /// and every other route are unaffected.
    pub ready: bool,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            default_scaling: Scaling::Training,
            max_rows: 100_000,
            ready: true,
        }
    }
}

/// A model behind the HTTP contract.
#[derive(Clone, Copy, Debug)]
pub struct Service<'m> {
    model: &'m Model,
    options: ServiceOptions,
}

/// The routes, each with the one method it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Home,
    Predict,
    /// `GET /v2`: server metadata.
    V2Server,
    V2Live,
    V2Ready,
    /// `GET /v2/models/{name}[/versions/{version}]`.
    V2Model,
    V2ModelReady,
    V2Infer,
}

/// The `{name}` and optional `{version}` of a `/v2/models/...` path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModelPath<'p> {
    name: &'p str,
    version: Option<&'p str>,
}

impl Route {
    fn find(path: &str) -> Option<(Route, Option<ModelPath<'_>>)> {
        let route = match path {
            "/" => Route::Home,
            "/predict" => Route::Predict,
            "/v2" => Route::V2Server,
            "/v2/health/live" => Route::V2Live,
            "/v2/health/ready" => Route::V2Ready,
            _ => return Self::find_model(path),
        };
        Some((route, None))
    }

    /// `/v2/models/{name}[/versions/{version}][/ready|/infer]`.
    fn find_model(path: &str) -> Option<(Route, Option<ModelPath<'_>>)> {
        let rest = path.strip_prefix("/v2/models/")?;
        let mut parts = rest.split('/');
        let name = parts.next().filter(|n| !n.is_empty())?;
        let mut next = parts.next();
        let mut version = None;
        if next == Some("versions") {
            version = Some(parts.next().filter(|v| !v.is_empty())?);
            next = parts.next();
        }
        let route = match next {
            None => Route::V2Model,
            Some("ready") => Route::V2ModelReady,
            Some("infer") => Route::V2Infer,
            Some(_) => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some((route, Some(ModelPath { name, version })))
    }

    fn method(self) -> &'static str {
        match self {
            Route::Predict | Route::V2Infer => "POST",
            _ => "GET",
        }
    }

    /// A fixed label (path parameters as `{name}`), for metrics and logs.
    fn label(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Predict => "/predict",
            Route::V2Server => "/v2",
            Route::V2Live => "/v2/health/live",
            Route::V2Ready => "/v2/health/ready",
            Route::V2Model => "/v2/models/{name}",
            Route::V2ModelReady => "/v2/models/{name}/ready",
            Route::V2Infer => "/v2/models/{name}/infer",
        }
    }
}

impl<'m> Service<'m> {
    pub fn new(model: &'m Model, options: ServiceOptions) -> Self {
        Self { model, options }
    }

    pub fn model(&self) -> &'m Model {
        self.model
    }

    pub fn options(&self) -> ServiceOptions {
        self.options
    }

    /// Answers one request.
    pub fn handle(&self, req: &Request<'_>) -> Response {
        let Some((route, model_path)) = Route::find(req.path) else {
            return Response::error(404, &alloc::format!("no route {}", req.path), "unknown");
        };
        let allowed = route.method();
        if req.method != allowed && !(req.method == "HEAD" && allowed == "GET") {
            let mut response = Response::error(
                405,
                &alloc::format!("{} takes {allowed}, not {}", route.label(), req.method),
                route.label(),
            );
            response.allow = Some(allowed);
            return response;
        }
        if let Some(model_path) = model_path {
            if let Err(response) = self.check_model(model_path, route.label()) {
                return response;
            }
        }
        match route {
            Route::Home => self.home(),
            Route::Predict => self.predict(req),
            Route::V2Server => Response::new(200, JSON, v2::server_metadata(), route.label()),
            Route::V2Live => Response::new(200, JSON, v2::health("live", true), route.label()),
            Route::V2Ready => Response::new(
                self.ready_status(),
                JSON,
                v2::health("ready", self.options.ready),
                route.label(),
            ),
            Route::V2Model => {
                Response::new(200, JSON, v2::model_metadata(self.model), route.label())
            }
            Route::V2ModelReady => Response::new(
                self.ready_status(),
                JSON,
                v2::model_ready(self.model, self.options.ready),
                route.label(),
            ),
            Route::V2Infer => self.infer(req),
        }
    }

    fn ready_status(&self) -> u16 {
        if self.options.ready {
            200
        } else {
            503
        }
    }

    /// 404 unless the path names this model (and, if given, its version).
    fn check_model(&self, path: ModelPath<'_>, route: &'static str) -> Result<(), Response> {
        let model = self.model;
        if path.name != model.name() {
            return Err(Response::error(
                404,
                &alloc::format!(
                    "unknown model {:?}; this server serves {:?}",
                    path.name,
                    model.name()
                ),
                route,
            ));
        }
        match path.version {
            Some(version) if version != model.version() => Err(Response::error(
                404,
                &alloc::format!(
                    "model {:?} has no version {version:?}; it has version {:?}",
                    model.name(),
                    model.version()
                ),
                route,
            )),
            _ => Ok(()),
        }
    }

    fn infer(&self, req: &Request<'_>) -> Response {
        let route = Route::V2Infer.label();
        match self.try_infer(req) {
            Ok((decoded, predictions)) => {
                let request = &decoded.request;
                let encoded = v2::encode_infer_http(
                    self.model,
                    request.id.as_deref(),
                    &predictions,
                    &request.outputs,
                    &decoded.binary_outputs,
                );
                let content_type = match encoded.header_length {
                    Some(_) => OCTET_STREAM,
                    None => JSON,
                };
                let mut response = Response::new(200, content_type, encoded.body, route);
                response.rows = request.rows.nrows();
                response.inference_header_length = encoded.header_length;
                response
            }
            Err(err) => Response::from_error(&err, route),
        }
    }

    fn try_infer(
        &self,
        req: &Request<'_>,
    ) -> Result<(v2::HttpInferRequest, Predictions), PredictError> {
        require_infer_media_type(req.content_type)?;
        let decoded = v2::decode_infer_http(
            req.body,
            req.inference_header_length,
            self.model,
            self.options.max_rows,
        )?;
        let request = &decoded.request;
        // `?scaling=` wins over `parameters.scaling`, which wins over the default.
        let scaling = match query_param(req.query, "scaling").or(request.scaling.as_deref()) {
            Some(value) => value.parse()?,
            None => self.options.default_scaling,
        };
        let predictions = v2::infer(self.model, request, scaling)?;
        Ok((decoded, predictions))
    }

    fn home(&self) -> Response {
        let model = self.model;
        let features = model.features().collect::<Vec<_>>().join(", ");
        let page = alloc::format!(
            "<!doctype html>\n<title>edge predictor</title>\n<h3>Sklearn Prediction Home</h3>\n\
             <p>Model <b>{name}</b> version {version}: {description}</p>\n\
             <p>POST JSON to <code>/predict</code> with columns {features}.</p>\n",
            name = html_escape(model.name()),
            version = html_escape(model.version()),
            description = html_escape(model.description()),
            features = html_escape(&features),
        );
        Response::new(200, HTML, page.into_bytes(), Route::Home.label())
    }

    fn predict(&self, req: &Request<'_>) -> Response {
        let route = Route::Predict.label();
        match self.try_predict(req) {
            Ok((rows, predictions)) => {
                let body = payload::encode_predictions(self.model, &predictions);
                let mut response = Response::new(200, JSON, body, route);
                response.rows = rows;
                response
            }
            Err(err) => Response::from_error(&err, route),
        }
    }

    /// The rows predicted and what the model answered for them.
    fn try_predict(&self, req: &Request<'_>) -> Result<(usize, Predictions), PredictError> {
        require_json(req.content_type)?;
        let scaling = self.scaling(req.query)?;
        let output = self.output(req.query)?;
        let rows = payload::decode(req.body, self.model, self.options.max_rows)?;
        let predictions = payload::predict(self.model, rows.view(), scaling, output)?;
        Ok((rows.nrows(), predictions))
    }

    /// The `output` query parameter (`predict`, the default, or `predict_proba` for a
    /// classifier), checked against the model.
    pub fn output(&self, query: &str) -> Result<Output, PredictError> {
        Output::for_model(query_param(query, "output"), self.model)
    }

    /// The `scaling` query parameter, or the service default.
    pub fn scaling(&self, query: &str) -> Result<Scaling, PredictError> {
        match query_param(query, "scaling") {
            Some(value) => value.parse(),
            None => Ok(self.options.default_scaling),
        }
    }
}

/// The HTTP status of each kind of error, for every route: a body that is not JSON, an
/// unknown parameter value or a V2 infer request that does not fit is a bad request
/// (400), too many rows is 413, a body not declared as JSON is 415, and a /predict
/// payload that is valid JSON but does not fit the model is 422.
pub fn status_of(err: &PredictError) -> u16 {
    match err {
        PredictError::InvalidJson(_)
        | PredictError::InvalidParameter(_)
        | PredictError::InvalidInferRequest(_) => 400,
        PredictError::TooManyRows { .. } => 413,
        PredictError::UnsupportedMediaType(_) => 415,
        PredictError::WrongShape(_)
        | PredictError::DuplicateKey(_)
        | PredictError::EmptyPayload
        | PredictError::MissingColumn(_)
        | PredictError::UnknownColumn { .. }
        | PredictError::MissingCell { .. }
        | PredictError::InvalidCell { .. }
        | PredictError::RaggedColumns { .. } => 422,
    }
}

/// Refuses a body that is not declared as JSON.
pub fn require_json(content_type: Option<&str>) -> Result<(), PredictError> {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if essence.eq_ignore_ascii_case(JSON) {
        Ok(())
    } else if essence.is_empty() {
        Err(PredictError::UnsupportedMediaType(
            "Content-Type must be application/json (none was sent)".to_string(),
        ))
    } else {
        Err(PredictError::UnsupportedMediaType(alloc::format!(
            "Content-Type must be application/json, not {essence}"
        )))
    }
}

/// Refuses a V2 infer body that is neither JSON nor `application/octet-stream` (the
/// binary tensor extension, and the JSON some clients send under that type, as
/// tritonclient's asyncio client does). V2 clients (Triton's among them) may send no
/// Content-Type at all.
pub fn require_infer_media_type(content_type: Option<&str>) -> Result<(), PredictError> {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    if essence.is_empty()
        || essence.eq_ignore_ascii_case(JSON)
        || essence.eq_ignore_ascii_case(OCTET_STREAM)
    {
        Ok(())
    } else {
        Err(PredictError::UnsupportedMediaType(alloc::format!(
            "Content-Type must be application/json or application/octet-stream, not {essence}"
        )))
    }
}

/// The value of `name` in a query string (`a=1&b=2`), without percent-decoding.
pub fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
