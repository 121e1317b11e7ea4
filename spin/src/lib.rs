//! The Spin / wasi:http component (built for wasm32-wasip1 by spin.toml): moves one
//! `wasi:http/incoming-handler` request into `predictor::Service::handle` and its answer
//! back out. No routes here: the core's `api` is the one route table every target shares.
//!
//! The model is the embedded one, or the model file the env var `MODEL_FILE` names (mounted
//! with spin.toml's `files`; `wasmtime serve --dir HOST::GUEST --env MODEL_FILE=GUEST/...`).
//! Spin starts an instance per request, so that file is read and parsed on every request;
//! a file that cannot be read or is not a valid model answers 500 naming the file and why.
//!
//! It imports nothing Spin-specific (plain wasi, wasi:filesystem for `MODEL_FILE`), so the
//! component runs in Spin 2.x/3.x and in any other wasi:http 0.2 host (`wasmtime serve`,
//! `jco serve`, SpinKube).
//!
//! Only the export is wasm32-only: its symbol, `wasi:http/incoming-handler@0.2.0#handle`,
//! is not one a native linker accepts. Everything else builds on the host too, so
//! `cargo clippy --workspace` and `cargo test --workspace` check this crate like any other
//! (spin-sdk and wasi compile natively; their calls would only fail at run time).

use std::borrow::Cow;

use spin_sdk::http::{IncomingRequest, Method, Response};
use wasi::io::streams::StreamError;

use predictor::api::{self, Service, ServiceOptions};
use predictor::Model;

/// Largest request body accepted (413 above); the same limit as the native server.
const MAX_BODY_BYTES: usize = 1 << 20;

/// How much one read of the body stream asks for.
const READ_CHUNK: u64 = 64 * 1024;

/// The env var naming a model file to serve instead of the embedded model.
const MODEL_FILE: &str = "MODEL_FILE";

/// Wizer's pre-initialization hook: `wasmtime wizer --init-func wizer.initialize` (run by
/// scripts/build/edge.sh when a model file is embedded) calls this once at build time and
/// snapshots the instance, so the parsed embedded model is in the module's data segments
/// and no instance parses it again: Spin starts an instance per request, and a 500-tree
/// forest's parse cost more than the rest of the request (BENCHMARKS.md "Edge per-request
/// cost"). It calls no import (wizer refuses those): the parse is allocation only.
#[cfg(target_arch = "wasm32")]
#[export_name = "wizer.initialize"]
pub extern "C" fn wizer_initialize() {
    let _ = Model::embedded();
}

#[cfg_attr(target_arch = "wasm32", spin_sdk::http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(request: IncomingRequest) -> Response {
    let method = request.method();
    let path_with_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query
        .split_once('?')
        .unwrap_or((path_with_query.as_str(), ""));
    let content_type = first_header(&request, "content-type");
    let inference_header_length = first_header(&request, "inference-header-content-length");
    let served = served_model(std::env::var_os(MODEL_FILE).as_deref(), |path| {
        std::fs::read(path)
    });
    let answer = match (served, read_body(&request)) {
        (Err(refusal), _) | (_, Err(refusal)) => refusal,
        (Ok(model), Ok(body)) => {
            Service::new(&model, ServiceOptions::default()).handle(&api::Request {
                method: &method.to_string(),
                path,
                query,
                content_type: content_type.as_deref(),
                inference_header_length: inference_header_length.as_deref(),
                body: &body,
            })
        }
    };
    to_spin(answer, method == Method::Head)
}

/// The model to serve: the file `model_file` names (read with `read`), or the embedded
/// model when it is unset or empty; a 500 naming the file and the reason when that file
/// cannot be read or is not a valid model.
fn served_model(
    model_file: Option<&std::ffi::OsStr>,
    read: impl FnOnce(&std::path::Path) -> std::io::Result<Vec<u8>>,
) -> Result<Cow<'static, Model>, api::Response> {
    let Some(path) = model_file.filter(|p| !p.is_empty()) else {
        return Ok(Cow::Borrowed(Model::embedded()));
    };
    let path = std::path::Path::new(path);
    let refuse = |reason: String| {
        let message = format!("{MODEL_FILE} {}: {reason}", path.display());
        api::Response::error(500, &message, "unknown")
    };
    let bytes = read(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    // "invalid model: " and what is wrong with it.
    let model = Model::from_json_vec(bytes).map_err(|e| refuse(e.to_string()))?;
    Ok(Cow::Owned(model))
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
    if let Some(length) = answer.inference_header_length {
        builder.header("inference-header-content-length", length.to_string());
    }
    if head {
        builder.build()
    } else {
        builder.body(answer.body).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIDGE: &[u8] =
        include_bytes!("../../model_data/zoo/sklearn-1.9/pipeline_standard_ridge.model.json");

    fn error_of(answer: api::Response) -> String {
        assert_eq!(answer.status, 500);
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        body["error"].as_str().unwrap().to_string()
    }

    #[test]
    fn unset_or_empty_serves_the_embedded_model() {
        let never = |_: &std::path::Path| -> std::io::Result<Vec<u8>> { unreachable!() };
        assert_eq!(*served_model(None, never).unwrap(), *Model::embedded());
        assert_eq!(
            *served_model(Some("".as_ref()), never).unwrap(),
            *Model::embedded()
        );
    }

    #[test]
    fn a_model_file_is_served() {
        let model = served_model(Some("/m/ridge.json".as_ref()), |p| {
            assert_eq!(p, std::path::Path::new("/m/ridge.json"));
            Ok(RIDGE.to_vec())
        })
        .unwrap();
        assert_eq!(*model, Model::from_json(RIDGE).unwrap());
        assert_ne!(*model, *Model::embedded());
    }

    #[test]
    fn a_missing_file_is_a_500_naming_it() {
        let missing = served_model(Some("/m/gone.json".as_ref()), |_| {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        });
        let message = error_of(missing.unwrap_err());
        assert!(
            message.starts_with("MODEL_FILE /m/gone.json: cannot be read: "),
            "{message}"
        );
    }

    #[test]
    fn an_invalid_file_is_a_500_naming_it_and_the_reason() {
        let invalid = served_model(Some("/m/bad.json".as_ref()), |_| {
            Ok(b"{\"format\": 1}".to_vec())
        });
        let message = error_of(invalid.unwrap_err());
        assert!(
            message.starts_with("MODEL_FILE /m/bad.json: invalid model: "),
            "{message}"
        );
    }
}
