//! The RPCs of `inference.GRPCInferenceService`, each answered from what its HTTP V2
//! route answers: health from the server's readiness, metadata from the core's V2
//! documents, inference through the core's tensor checks. Every call is counted and
//! logged by method and code. The slots and the request timeout are taken before the
//! message is read, by `slots.rs`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use predictor::{v2, ServiceOptions};
use serde_json::Value;
use tonic::{Request, Response, Status};

use super::proto::grpc_inference_service_server::GrpcInferenceService;
use super::proto::model_metadata_response::TensorMetadata;
use super::proto::{
    ModelInferRequest, ModelInferResponse, ModelMetadataRequest, ModelMetadataResponse,
    ModelReadyRequest, ModelReadyResponse, ServerLiveRequest, ServerLiveResponse,
    ServerMetadataRequest, ServerMetadataResponse, ServerReadyRequest, ServerReadyResponse,
};
use super::{code_name, model_named, tensors};
use crate::app::{AppState, INLINE_BODY_BYTES};

/// The label the rows predicted over gRPC are counted under (`host_predicted_rows`).
const INFER_ROUTE: &str = "/inference.GRPCInferenceService/ModelInfer";

/// The gRPC service over a running server's state (shared with HTTP).
#[derive(Clone, Debug)]
pub struct InferenceService {
    state: Arc<AppState>,
}

impl InferenceService {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    /// Runs one call, then counts and logs it. `work` answers the message, the number
    /// of rows it predicted and the model that predicted them (its metric label).
    async fn call<T>(
        &self,
        method: &'static str,
        work: impl Future<Output = Result<(T, usize, &'static str), Status>>,
    ) -> Result<Response<T>, Status> {
        let start = Instant::now();
        let result = work.await;
        let (code, rows, model) = match &result {
            Ok((_, rows, model)) => (tonic::Code::Ok, *rows, *model),
            Err(status) => (status.code(), 0, ""),
        };
        record(&self.state, method, code, rows, model, start.elapsed());
        result.map(|(message, _, _)| Response::new(message))
    }
}

/// The service's methods, as in a call's path.
pub(super) const METHODS: [&str; 6] = [
    "ServerLive",
    "ServerReady",
    "ModelReady",
    "ServerMetadata",
    "ModelMetadata",
    "ModelInfer",
];

/// The methods that take no concurrency slot, as their HTTP routes take none.
pub(super) const HEALTH_METHODS: [&str; 2] = ["ServerLive", "ServerReady"];

/// Counts and logs one call of `method` that ended with `code`.
pub(super) fn record(
    state: &AppState,
    method: &'static str,
    code: tonic::Code,
    rows: usize,
    model: &'static str,
    elapsed: Duration,
) {
    let code = code_name(code);
    state.observer.record_grpc(
        method,
        code,
        (INFER_ROUTE, model),
        rows,
        elapsed.as_secs_f64(),
    );
    tracing::info!(
        target: "host::access",
        rpc = method,
        code,
        latency_us = elapsed.as_micros() as u64,
        rows,
        "grpc call"
    );
}

#[tonic::async_trait]
impl GrpcInferenceService for InferenceService {
    async fn server_live(
        &self,
        _request: Request<ServerLiveRequest>,
    ) -> Result<Response<ServerLiveResponse>, Status> {
        self.call("ServerLive", async {
            Ok((ServerLiveResponse { live: true }, 0, ""))
        })
        .await
    }

    async fn server_ready(
        &self,
        _request: Request<ServerReadyRequest>,
    ) -> Result<Response<ServerReadyResponse>, Status> {
        self.call("ServerReady", async {
            let ready = self.state.is_ready();
            Ok((ServerReadyResponse { ready }, 0, ""))
        })
        .await
    }

    async fn model_ready(
        &self,
        request: Request<ModelReadyRequest>,
    ) -> Result<Response<ModelReadyResponse>, Status> {
        let request = request.into_inner();
        self.call("ModelReady", async {
            model_named(&self.state, &request.name, &request.version)?;
            let ready = self.state.is_ready();
            Ok((ModelReadyResponse { ready }, 0, ""))
        })
        .await
    }

    async fn server_metadata(
        &self,
        _request: Request<ServerMetadataRequest>,
    ) -> Result<Response<ServerMetadataResponse>, Status> {
        self.call("ServerMetadata", async { Ok((server_metadata()?, 0, "")) })
            .await
    }

    async fn model_metadata(
        &self,
        request: Request<ModelMetadataRequest>,
    ) -> Result<Response<ModelMetadataResponse>, Status> {
        let request = request.into_inner();
        self.call("ModelMetadata", async {
            let (_, model) = model_named(&self.state, &request.name, &request.version)?;
            Ok((model_metadata(&model)?, 0, ""))
        })
        .await
    }

    async fn model_infer(
        &self,
        request: Request<ModelInferRequest>,
    ) -> Result<Response<ModelInferResponse>, Status> {
        let call = request.into_inner();
        self.call("ModelInfer", async {
            let (label, model) = model_named(&self.state, &call.model_name, &call.model_version)?;
            let options = ServiceOptions {
                ready: self.state.is_ready(),
                ..self.state.config.service
            };
            let answered = if tensors::payload_bytes(&call) > INLINE_BODY_BYTES {
                tokio::task::spawn_blocking(move || tensors::infer(&model, options, &call))
                    .await
                    .unwrap_or_else(|_| Err(Status::internal("prediction failed")))
            } else {
                tensors::infer(&model, options, &call)
            };
            answered.map(|(response, rows)| (response, rows, label))
        })
        .await
    }
}

/// `GET /v2`'s document as a message: the same name, version and extensions (the host
/// always serves a model repository).
fn server_metadata() -> Result<ServerMetadataResponse, Status> {
    let document = document(&v2::server_metadata(true))?;
    Ok(ServerMetadataResponse {
        name: text(&document["name"]),
        version: text(&document["version"]),
        extensions: texts(&document["extensions"]),
    })
}

/// `GET /v2/models/{name}`'s document as a message: the same name, versions, platform,
/// inputs and outputs (the core writes it once, for both).
fn model_metadata(model: &predictor::Model) -> Result<ModelMetadataResponse, Status> {
    let document = document(&v2::model_metadata(model))?;
    let tensors = |value: &Value| -> Vec<TensorMetadata> {
        value
            .as_array()
            .map(|tensors| {
                tensors
                    .iter()
                    .map(|tensor| TensorMetadata {
                        name: text(&tensor["name"]),
                        datatype: text(&tensor["datatype"]),
                        shape: tensor["shape"]
                            .as_array()
                            .map(|dims| dims.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(ModelMetadataResponse {
        name: text(&document["name"]),
        versions: texts(&document["versions"]),
        platform: text(&document["platform"]),
        inputs: tensors(&document["inputs"]),
        outputs: tensors(&document["outputs"]),
    })
}

fn document(bytes: &[u8]) -> Result<Value, Status> {
    serde_json::from_slice(bytes)
        .map_err(|err| Status::internal(format!("metadata document: {err}")))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn texts(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().map(text).collect())
        .unwrap_or_default()
}
