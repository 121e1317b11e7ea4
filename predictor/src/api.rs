//! The HTTP contract, once, for every target: a transport-neutral request goes in, a
//! response comes out. The native server (axum) and the Spin component only translate
//! their own request types to and from these, so a route exists in exactly one place.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::PredictError;
use crate::model::Model;
use crate::payload;
use crate::scaler::Scaling;

/// What an adapter knows about an incoming request.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string without `?` ("" when absent).
    pub query: &'a str,
    pub content_type: Option<&'a str>,
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
        Self::error(err.status(), &err.to_string(), route)
    }

    /// The body as text (for tests and logs).
    pub fn text(&self) -> &str {
        core::str::from_utf8(&self.body).unwrap_or("<binary>")
    }
}

pub const JSON: &str = "application/json";
pub const HTML: &str = "text/html; charset=utf-8";

/// How the service answers, beyond the model itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ServiceOptions {
    /// Scaling used when a request does not say `?scaling=`.
    pub default_scaling: Scaling,
    /// Most rows one request may hold (413 above).
    pub max_rows: usize,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self {
            default_scaling: Scaling::Training,
            max_rows: 100_000,
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
}

impl Route {
    fn find(path: &str) -> Option<Route> {
        match path {
            "/" => Some(Route::Home),
            "/predict" => Some(Route::Predict),
            _ => None,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Route::Home => "GET",
            Route::Predict => "POST",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Route::Home => "/",
            Route::Predict => "/predict",
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
        let Some(route) = Route::find(req.path) else {
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
        match route {
            Route::Home => self.home(),
            Route::Predict => self.predict(req),
        }
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
            Ok(predictions) => {
                let mut response = Response::new(200, JSON, payload::encode(&predictions), route);
                response.rows = predictions.len();
                response
            }
            Err(err) => Response::from_error(&err, route),
        }
    }

    fn try_predict(&self, req: &Request<'_>) -> Result<Vec<f64>, PredictError> {
        require_json(req.content_type)?;
        let scaling = self.scaling(req.query)?;
        let rows = payload::decode(req.body, self.model, self.options.max_rows)?;
        self.model.predict(rows.view(), scaling)
    }

    /// The `scaling` query parameter, or the service default.
    pub fn scaling(&self, query: &str) -> Result<Scaling, PredictError> {
        match query_param(query, "scaling") {
            Some(value) => value.parse(),
            None => Ok(self.options.default_scaling),
        }
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
