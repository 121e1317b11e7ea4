//! The HTTP contract, once, for every target: a transport-neutral request goes in, a
//! response comes out. The native server (axum) and the Spin component only translate
//! their own request types to and from these, so a route exists in exactly one place.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::PredictError;
use crate::model::{Model, Predictions};
use crate::models::{Models, Repository};
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

/// Models behind the HTTP contract: one `Model` on every target, a repository of them
/// in the native host (`Models`).
#[derive(Clone, Copy, Debug)]
pub struct Service<'m, M: Models + ?Sized = Model> {
    models: &'m M,
    options: ServiceOptions,
}

/// The routes, each with the one method it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Home,
    Predict,
    /// `POST /models/{name}/predict`: `/predict` for any model.
    ModelPredict,
    /// `GET /v2`: server metadata.
    V2Server,
    V2Live,
    V2Ready,
    /// `GET /v2/models/{name}[/versions/{version}]`.
    V2Model,
    V2ModelReady,
    V2Infer,
    /// `POST /v2/repository/index`.
    RepositoryIndex,
    /// `POST /v2/repository/models/{name}/load`.
    RepositoryLoad,
    /// `POST /v2/repository/models/{name}/unload`.
    RepositoryUnload,
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
            "/v2/repository/index" => Route::RepositoryIndex,
            _ => {
                return Self::find_model(path)
                    .or_else(|| Self::find_model_predict(path))
                    .or_else(|| Self::find_repository(path))
            }
        };
        Some((route, None))
    }

    /// `/models/{name}/predict`.
    fn find_model_predict(path: &str) -> Option<(Route, Option<ModelPath<'_>>)> {
        let name = path.strip_prefix("/models/")?.strip_suffix("/predict")?;
        (!name.is_empty() && !name.contains('/')).then_some((
            Route::ModelPredict,
            Some(ModelPath {
                name,
                version: None,
            }),
        ))
    }

    /// `/v2/repository/models/{name}/load|unload`.
    fn find_repository(path: &str) -> Option<(Route, Option<ModelPath<'_>>)> {
        let rest = path.strip_prefix("/v2/repository/models/")?;
        let (name, action) = rest.split_once('/')?;
        let route = match action {
            "load" => Route::RepositoryLoad,
            "unload" => Route::RepositoryUnload,
            _ => return None,
        };
        (!name.is_empty()).then_some((
            route,
            Some(ModelPath {
                name,
                version: None,
            }),
        ))
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
            Route::Predict
            | Route::ModelPredict
            | Route::V2Infer
            | Route::RepositoryIndex
            | Route::RepositoryLoad
            | Route::RepositoryUnload => "POST",
            _ => "GET",
        }
    }

    /// Routes whose `{name}` must be a model that answers (the repository's own routes
    /// take unavailable models too).
    fn serves_model(self) -> bool {
        matches!(
            self,
            Route::ModelPredict | Route::V2Model | Route::V2ModelReady | Route::V2Infer
        )
    }

    /// A fixed label (path parameters as `{name}`), for metrics and logs.
    fn label(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Predict => "/predict",
            Route::ModelPredict => "/models/{name}/predict",
            Route::V2Server => "/v2",
            Route::V2Live => "/v2/health/live",
            Route::V2Ready => "/v2/health/ready",
            Route::V2Model => "/v2/models/{name}",
            Route::V2ModelReady => "/v2/models/{name}/ready",
            Route::V2Infer => "/v2/models/{name}/infer",
            Route::RepositoryIndex => "/v2/repository/index",
            Route::RepositoryLoad => "/v2/repository/models/{name}/load",
            Route::RepositoryUnload => "/v2/repository/models/{name}/unload",
        }
    }
}

impl<'m> Service<'m, Model> {
    /// One model behind the contract (every target).
    pub fn new(model: &'m Model, options: ServiceOptions) -> Self {
        Self::with_models(model, options)
    }

    /// The model of a one-model service.
    pub fn model(&self) -> &'m Model {
        self.models
    }
}

impl<'m, M: Models + ?Sized> Service<'m, M> {
    /// A set of models behind the contract (the native host's repository).
    pub fn with_models(models: &'m M, options: ServiceOptions) -> Self {
        Self { models, options }
    }

    pub fn models(&self) -> &'m M {
        self.models
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
        let model = match model_path {
            Some(path) if route.serves_model() => match self.lookup(path, route.label()) {
                Ok(model) => Some(model),
                Err(response) => return response,
            },
            _ => None,
        };
        match (route, model) {
            (Route::Home, _) => self.home(),
            (Route::Predict, _) => match self.models.default_model() {
                Ok(model) => self.predict(req, model, route.label()),
                Err(message) => Response::error(404, &message, route.label()),
            },
            (Route::ModelPredict, Some(model)) => self.predict(req, model, route.label()),
            (Route::V2Server, _) => Response::new(
                200,
                JSON,
                v2::server_metadata(self.models.repository().is_some()),
                route.label(),
            ),
            (Route::V2Live, _) => Response::new(200, JSON, v2::health("live", true), route.label()),
            (Route::V2Ready, _) => Response::new(
                self.ready_status(),
                JSON,
                v2::health("ready", self.options.ready),
                route.label(),
            ),
            (Route::V2Model, Some(model)) => {
                Response::new(200, JSON, v2::model_metadata(model), route.label())
            }
            (Route::V2ModelReady, Some(model)) => Response::new(
                self.ready_status(),
                JSON,
                v2::model_ready(model, self.options.ready),
                route.label(),
            ),
            (Route::V2Infer, Some(model)) => self.infer(req, model),
            (Route::RepositoryIndex, _) => self.repository_index(req),
            (Route::RepositoryLoad | Route::RepositoryUnload, _) => {
                let name = model_path.map_or("", |p| p.name);
                self.repository_change(req, route, name)
            }
            // Route::find gives these routes a model path: not reached.
            (Route::ModelPredict | Route::V2Model | Route::V2ModelReady | Route::V2Infer, None) => {
                Response::error(404, &alloc::format!("no route {}", req.path), "unknown")
            }
        }
    }

    fn ready_status(&self) -> u16 {
        if self.options.ready {
            200
        } else {
            503
        }
    }

    /// The model the path names (and, if given, its version), or a 404 saying why not.
    fn lookup(&self, path: ModelPath<'_>, route: &'static str) -> Result<&'m Model, Response> {
        let model = self
            .models
            .get(path.name)
            .map_err(|message| Response::error(404, &message, route))?;
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
            _ => Ok(model),
        }
    }

    /// The repository, or a 404 on a target that serves one fixed model.
    fn repository(&self, route: Route) -> Result<&'m dyn Repository, Response> {
        self.models.repository().ok_or_else(|| {
            Response::error(
                404,
                "this server serves one fixed model and has no model repository \
                 (the native host has one with --model-dir)",
                route.label(),
            )
        })
    }

    /// `POST /v2/repository/index`: every model the repository knows, with its state.
    fn repository_index(&self, req: &Request<'_>) -> Response {
        let route = Route::RepositoryIndex;
        let repository = match self.repository(route) {
            Ok(repository) => repository,
            Err(response) => return response,
        };
        match v2::decode_index_request(req.body) {
            Ok(ready_only) => {
                let body = v2::encode_index(&repository.index(), ready_only);
                Response::new(200, JSON, body, route.label())
            }
            Err(err) => Response::from_error(&err, route.label()),
        }
    }

    /// `POST /v2/repository/models/{name}/load|unload`: answers the model's new index line.
    fn repository_change(&self, req: &Request<'_>, route: Route, name: &str) -> Response {
        let repository = match self.repository(route) {
            Ok(repository) => repository,
            Err(response) => return response,
        };
        if let Err(err) = v2::decode_load_request(req.body) {
            return Response::from_error(&err, route.label());
        }
        let result = if route == Route::RepositoryLoad {
            repository.load(name)
        } else {
            repository.unload(name)
        };
        match result {
            Ok(entry) => Response::new(200, JSON, v2::encode_entry(&entry), route.label()),
            Err(err) => Response::error(err.status, &err.message, route.label()),
        }
    }

    fn infer(&self, req: &Request<'_>, model: &Model) -> Response {
        let route = Route::V2Infer.label();
        match self.try_infer(req, model) {
            Ok((decoded, predictions)) => {
                let request = &decoded.request;
                let encoded = v2::encode_infer_http(
                    model,
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
        model: &Model,
    ) -> Result<(v2::HttpInferRequest, Predictions), PredictError> {
        require_infer_media_type(req.content_type)?;
        let decoded = v2::decode_infer_http(
            req.body,
            req.inference_header_length,
            model,
            self.options.max_rows,
        )?;
        let request = &decoded.request;
        // `?scaling=` wins over `parameters.scaling`, which wins over the default.
        let scaling = match query_param(req.query, "scaling").or(request.scaling.as_deref()) {
            Some(value) => value.parse()?,
            None => self.options.default_scaling,
        };
        let predictions = v2::infer(model, request, scaling)?;
        Ok((decoded, predictions))
    }

    fn home(&self) -> Response {
        let about = match self.models.default_model() {
            Ok(model) => {
                let features = model.features().collect::<Vec<_>>().join(", ");
                alloc::format!(
                    "<p>Model <b>{name}</b> version {version}: {description}</p>\n\
                     <p>POST JSON to <code>/predict</code> with columns {features}.</p>\n",
                    name = html_escape(model.name()),
                    version = html_escape(model.version()),
                    description = html_escape(model.description()),
                    features = html_escape(&features),
                )
            }
            Err(message) => alloc::format!("<p>{}</p>\n", html_escape(&message)),
        };
        let page = alloc::format!(
            "<!doctype html>\n<title>edge predictor</title>\n<h3>Sklearn Prediction Home</h3>\n{about}"
        );
        Response::new(200, HTML, page.into_bytes(), Route::Home.label())
    }

    fn predict(&self, req: &Request<'_>, model: &Model, route: &'static str) -> Response {
        match self.try_predict(req, model) {
            Ok((rows, predictions)) => {
                let body = payload::encode_predictions(model, &predictions);
                let mut response = Response::new(200, JSON, body, route);
                response.rows = rows;
                response
            }
            Err(err) => Response::from_error(&err, route),
        }
    }

    /// The rows predicted and what the model answered for them.
    fn try_predict(
        &self,
        req: &Request<'_>,
        model: &Model,
    ) -> Result<(usize, Predictions), PredictError> {
        require_json(req.content_type)?;
        let scaling = self.scaling(req.query)?;
        let output = Output::for_model(query_param(req.query, "output"), model)?;
        let rows = payload::decode(req.body, model, self.options.max_rows)?;
        let predictions = payload::predict(model, rows.view(), scaling, output)?;
        Ok((rows.nrows(), predictions))
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
