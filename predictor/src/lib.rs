//! The model core of the edge predictor: a pre-trained scikit-learn model behind one
//! HTTP contract, with predictions equal to scikit-learn's bit for bit.
//!
//! Why it is shaped like this:
//! - `no_std` + `alloc`, so the same code runs natively, in a Spin component
//!   (wasm32-wasip1) and in a browser (wasm32-unknown-unknown); a prediction is the same
//!   bit pattern on all three.
//! - Exactness is the product. scikit-learn casts its input to float32 before walking
//!   the trees and sums tree outputs in float64 in tree order; the original service
//!   fitted a scaler on each request with numpy's pairwise sums. Each of those steps is
//!   reproduced literally (`estimator`, `scaler`), not approximated.
//! - The default model is compiled in as static data (`build.rs`): an edge runtime that
//!   starts an instance per request must not parse a model per request.
//! - Layers depend downwards only: the `model_format` crate (the file, its validation, the
//!   tree layouts; `build.rs` embeds with it too) -> `scaler`, `estimator` (one module per
//!   kind) -> `model` (the pipeline) -> `payload`, `v2` (wire formats) -> `api` (the routes).
//!   Adapters (the crates `host`, `predictor-spin`, `predictor-web`) sit on top and only
//!   translate.
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
pub mod columns;
mod embedded;
pub mod error;
pub mod estimator;
pub mod json;
pub mod math;
pub mod model;
pub mod models;
pub mod number;
pub mod payload;
pub mod preprocessing;
pub mod scaler;
mod scan;
pub mod v2;

pub use api::{Request, Response, Service, ServiceOptions};
pub use error::PredictError;
pub use model::{Model, Predictions};
pub use model_format::{tree, Label, LabelKind, ModelError};
pub use models::{ModelState, Models, Repository, RepositoryEntry, RepositoryError};
pub use scaler::Scaling;
