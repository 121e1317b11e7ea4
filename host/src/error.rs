//! Everything that stops the host short of serving or scoring, as one typed error: a
//! model file or an input it cannot use, a socket it cannot bind, a failed health check.
//! `main` prints it as one line on stderr and exits non-zero.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use predictor::{ModelError, PredictError};

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot read model file {}: {source}", path.display())]
    ReadModel {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model file {}: {source}", path.display())]
    InvalidModel { path: PathBuf, source: ModelError },
    /// The model repository cannot start (`--model-dir`, `--default-model`, the limit).
    #[error("{0}")]
    Repository(String),
    #[error("cannot read standard input: {0}")]
    ReadStdin(#[source] std::io::Error),
    #[error("cannot read {}: {source}", path.display())]
    ReadInput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the output: {0}")]
    WriteOutput(#[source] std::io::Error),
    #[error("cannot write {}: {source}", path.display())]
    CreateOutput {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A Parquet input that cannot be read, or an output that cannot be written.
    #[error("{0}")]
    Parquet(String),
    /// Batch input the model refuses (`host predict`).
    #[error(transparent)]
    Input(#[from] PredictError),
    #[error("PORT={0:?} is not a port number")]
    InvalidPort(String),
    #[error("LISTEN={0:?} is not an address")]
    InvalidListen(String),
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    LocalAddress(#[source] std::io::Error),
    #[error("gRPC server: {0}")]
    Grpc(#[source] tonic::transport::Error),
    #[error("connections still open after the drain timeout of {}", humantime::format_duration(*.0))]
    DrainTimeout(Duration),
    #[error("gRPC calls still in flight after the drain timeout of {}", humantime::format_duration(*.0))]
    GrpcDrainTimeout(Duration),
    #[error(transparent)]
    Healthcheck(#[from] HealthcheckError),
}

/// Why `host healthcheck` found no healthy server at `url`.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {failure}")]
pub struct HealthcheckError {
    pub url: String,
    pub failure: HealthcheckFailure,
}

#[derive(Debug, thiserror::Error)]
pub enum HealthcheckFailure {
    #[error("only http:// URLs are supported")]
    NotHttp,
    #[error("cannot resolve {address}: {source}")]
    Resolve {
        address: String,
        source: std::io::Error,
    },
    #[error("{0} has no address")]
    NoAddress(String),
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    #[error("{0}")]
    Socket(#[source] std::io::Error),
    #[error("cannot send: {0}")]
    Send(#[source] std::io::Error),
    #[error("no answer: {0}")]
    NoAnswer(#[source] std::io::Error),
    #[error("not an HTTP answer: {0:?}")]
    NotAnAnswer(String),
    /// A non-2xx status line.
    #[error("{0}")]
    Unhealthy(String),
}
