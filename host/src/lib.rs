//! The native host: glue between the `predictor` core and the outside world. `app()`
//! builds the router (tests call it without a socket), `compression` decodes and encodes
//! bodies, `grpc` is the V2 gRPC service beside it, `serve` binds both and drains them on
//! shutdown, `repository` holds the served models and reloads them, `observe` and
//! `logging` tell operators what happens, `healthcheck` probes a
//! running server, `batch` scores files from the command line, `error` says what stopped
//! it. No model logic lives here.

pub mod app;
pub mod batch;
pub mod cli;
pub mod compression;
pub mod error;
pub mod grpc;
pub mod healthcheck;
pub mod heap_meter;
pub mod logging;
pub mod observe;
pub mod repository;
pub mod send_timeout;
pub mod serve;

use predictor::Model;

pub use error::HostError;

/// The embedded model, or the model file at `path` (validated), for the process's life.
pub fn load_model(path: Option<&std::path::Path>) -> Result<&'static Model, HostError> {
    match path {
        None => Ok(Model::embedded()),
        Some(path) => Ok(Box::leak(Box::new(read_model(path)?))),
    }
}

/// The model file at `path`, validated.
pub fn read_model(path: &std::path::Path) -> Result<Model, HostError> {
    let bytes = std::fs::read(path).map_err(|source| HostError::ReadModel {
        path: path.to_path_buf(),
        source,
    })?;
    Model::from_json_vec(bytes).map_err(|source| HostError::InvalidModel {
        path: path.to_path_buf(),
        source,
    })
}
