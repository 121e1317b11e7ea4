//! The Spin / wasi:http component (built for wasm32-wasip1 by spin.toml): moves one
//! `wasi:http/incoming-handler` request into `predictor::Service::handle` and its answer
//! back out. No routes here: the core's `api` is the one route table every target shares.
//!
//! It imports nothing Spin-specific, so the component runs in Spin 2.x/3.x and in any
//! other wasi:http 0.2 host (`wasmtime serve`, `jco serve`, SpinKube).
//!
//! Only the export is wasm32-only: its symbol, `wasi:http/incoming-handler@0.2.0#handle`,
//! is not one a native linker accepts. Everything else builds on the host too, so
//! `cargo clippy --workspace` and `cargo test --workspace` check this crate like any other
//! (spin-sdk and wasi compile natively; their calls would only fail at run time).

use spin_sdk::http::{IncomingRequest, Method, Response};
use wasi::io::streams::StreamError;

use predictor::api::{self, Service, ServiceOptions};
use predictor::Model;

/// Largest request body accepted (413 above); the same limit as the native server.
const MAX_BODY_BYTES: usize = 1 << 20;

/// How much one read of the body stream asks for.
const READ_CHUNK: u64 = 64 * 1024;

#[cfg_attr(target_arch = "wasm32", spin_sdk::http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: IncomingRequest) -> Response {
    let method = request.method();
    let path_with_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query
        .split_once('?')
        .unwrap_or((path_with_query.as_str(), ""));
    let content_type = first_header(&request, "content-type");
    let answer = match read_body(&request) {
        Ok(body) => {
            Service::new(Model::embedded(), ServiceOptions::default()).handle(&api::Request {
                method: &method.to_string(),
                path,
                query,
                content_type: content_type.as_deref(),
                body: &body,
            })
        }
        Err(refusal) => refusal,
    };
    to_spin(answer, method == Method::Head)
}

/// The first value of a header, if it is text.
fn first_header(request: &IncomingRequest, name: &str) -> Option<String> {
    let values = request.headers().get(name);
    let first = values.into_iter().next()?;
    String::from_utf8(first).ok()
}

/// The whole request body, at most `MAX_BODY_BYTES`.
fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, api::Response> {
    let unreadable = || api::Response::error(400, "the request body could not be read", "unknown");
    let body = request.consume().map_err(|()| unreadable())?;
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|()| unreadable())?;
        loop {
            match stream.blocking_read(READ_CHUNK) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
            }
            if bytes.len() > MAX_BODY_BYTES {
                return Err(api::Response::error(
                    413,
                    &format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                    "unknown",
                ));
            }
        }
    }
    Ok(bytes)
}

/// The core's answer as a Spin response (no body for HEAD).
fn to_spin(answer: api::Response, head: bool) -> Response {
    let mut builder = Response::builder();
    builder
        .status(answer.status)
        .header("content-type", answer.content_type);
    if let Some(allow) = answer.allow {
        builder.header("allow", allow);
    }
    if head {
        builder.build()
    } else {
        builder.body(answer.body).build()
    }
}
