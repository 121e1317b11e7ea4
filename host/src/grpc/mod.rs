//! V2 over gRPC: `inference.GRPCInferenceService`, the KServe Open Inference Protocol's
//! gRPC service (what tritonclient[grpc] and KServe's gRPC clients call), on its own
//! port beside HTTP. Every RPC answers through the same core calls as its HTTP V2 route,
//! so a request gets the same bits, and a refusal the same message (as a gRPC status:
//! `status`), over both.
//!
//! `proto` is generated from host/proto/grpc_predict_v2.proto by host/build.rs,
//! `connection` accepts the port's connections and closes one whose client stalls (its
//! preface, its reads, the answers it does not take), `slots` takes a call's concurrency
//! slot and reads its message before tonic does, `service` answers the RPCs, `tensors` reads and writes infer messages through the
//! core's V2 tensor API, and `serve` runs tonic's server until the shutdown that
//! also stops HTTP (serve.rs), then lets the calls in flight finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use predictor::{Model, PredictError};
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};

use crate::app::AppState;

mod connection;
mod service;
mod slots;
pub mod tensors;

/// The generated messages, server trait and client of `inference.GRPCInferenceService`.
#[allow(clippy::all, missing_docs)]
pub mod proto {
    tonic::include_proto!("inference");
}

pub use service::InferenceService;

/// The service's full name, as in a gRPC path (`/inference.GRPCInferenceService/ModelInfer`).
pub const SERVICE: &str = "inference.GRPCInferenceService";

/// The HTTP/2 streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS;
/// nginx's default is 128, hyper's 200, tonic's none): more wait in the client.
const MAX_STREAMS_PER_CONNECTION: u32 = 128;

/// Serves gRPC on `listener` until `stop` resolves; then closes the listener, tells every
/// connection to finish (HTTP/2 GOAWAY) and returns once the calls in flight are answered.
/// The caller bounds that wait (the drain timeout). A connection must send its HTTP/2
/// preface within `preface_timeout` (`--header-read-timeout`).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    preface_timeout: Duration,
    stop: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let max_message = state.config.max_body_bytes;
    let timeouts = connection::Timeouts {
        send: state.config.request_timeout,
        preface: preface_timeout,
    };
    let incoming = connection::Incoming::new(listener, timeouts);
    let slots = slots::Slots {
        state: state.clone(),
    };
    let service = proto::grpc_inference_service_server::GrpcInferenceServiceServer::new(
        InferenceService::new(state),
    )
    .max_decoding_message_size(max_message)
    .accept_compressed(CompressionEncoding::Gzip)
    .accept_compressed(CompressionEncoding::Deflate)
    .send_compressed(CompressionEncoding::Gzip)
    .send_compressed(CompressionEncoding::Deflate);
    tonic::transport::Server::builder()
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION)
        .layer(slots)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, stop)
        .await
}

/// The model a call names (with its name as a metric label), `version` empty or its
/// version, or NOT_FOUND with the
/// message HTTP V2 answers with 404: looked up in the repository's current snapshot, so a
/// call keeps the model it started with across a reload.
pub(crate) fn model_named(
    state: &AppState,
    name: &str,
    version: &str,
) -> Result<(&'static str, Arc<Model>), Status> {
    let snapshot = state.config.models.snapshot();
    let (label, model) = snapshot.lookup(name).map_err(Status::not_found)?;
    if !version.is_empty() && version != model.version() {
        return Err(Status::not_found(format!(
            "model {:?} has no version {version:?}; it has version {:?}",
            model.name(),
            model.version()
        )));
    }
    Ok((label, model.clone()))
}

/// A refusal of the core as a gRPC status with the same message as over HTTP.
pub(crate) fn status(err: &PredictError) -> Status {
    Status::new(
        code_for_http(predictor::api::status_of(err)),
        err.to_string(),
    )
}

/// The gRPC code of an HTTP status, for the statuses the V2 routes answer with:
/// 400/415/422 a bad request (INVALID_ARGUMENT), 404 NOT_FOUND, 408 DEADLINE_EXCEEDED,
/// 413 RESOURCE_EXHAUSTED (too many rows), 503 UNAVAILABLE.
pub(crate) fn code_for_http(status: u16) -> Code {
    match status {
        400 | 415 | 422 => Code::InvalidArgument,
        404 => Code::NotFound,
        408 => Code::DeadlineExceeded,
        413 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        _ => Code::Internal,
    }
}

/// A code's canonical name (`INVALID_ARGUMENT`), for metrics and logs.
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_the_code_of_its_http_status() {
        let bad = PredictError::InvalidInferRequest("input \"x\": shape [1] is not [N, 6]".into());
        let status = status(&bad);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "input \"x\": shape [1] is not [N, 6]");
        let many = PredictError::TooManyRows { rows: 9, limit: 2 };
        assert_eq!(super::status(&many).code(), Code::ResourceExhausted);
        assert_eq!(
            super::status(&many).message(),
            "9 rows in one request, the limit is 2"
        );
        assert_eq!(code_for_http(404), Code::NotFound);
        assert_eq!(code_for_http(503), Code::Unavailable);
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
    }
}
