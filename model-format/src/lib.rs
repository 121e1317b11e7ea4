//! The edge predictor's model file (`edge-predictor-model`, versions 1 and 2) and everything that
//! needs the model before it runs: parsing, validation, the layouts the fast evaluators
//! read, and the rendering of a validated model as Rust statics for `predictor/build.rs`.
//!
//! Why a crate of its own: the build script and the runtime must validate and lay out a
//! model with the same code, and a build script can only call another crate. It depends
//! on `alloc`, serde and serde_json only, so both the build (host) and every target
//! (no_std, wasm) compile it as it is.
//!
//! One module per estimator kind holds that kind's file type, its validation and the
//! layouts baked for it (`gradient_boosting`); `estimator` is where a kind is registered.
//! model_data/README.md documents every field of the file.
//!
//! It reads files from users: no unsafe code (forbidden below), so a malformed file can
//! only be refused or mis-parsed, never corrupt memory.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod array;
pub mod embed;
mod error;
pub mod estimator;
pub mod gradient_boosting;
pub mod hist_gradient_boosting;
pub mod label;
pub mod linear;
pub mod logistic;
mod model;
pub mod preprocessing;
pub mod sklearn_version;
pub mod tree;
pub mod trees;

pub use error::ModelError;
pub use estimator::{EstimatorContext, EstimatorFile, EstimatorFileV2, ValidEstimator};
pub use label::{Label, LabelKind};
pub use model::{
    ModelFile, ModelFileV2, ReadModelFile, ScalerFile, SourceFile, Task, ValidModel, ValidScaler,
    FORMAT_NAME, FORMAT_VERSION,
};
pub use preprocessing::{StepFile, ValidStep};
pub use sklearn_version::SklearnVersion;
