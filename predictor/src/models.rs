//! The models one service answers for. Every target serves one model (`&Model` is a
//! `Models`); the native host serves a repository of them, looked up by name in a
//! snapshot that stays fixed for the whole of a request. The route table
//! (`api::Service`) only asks this trait, so a route exists once for every target.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::Model;

/// A set of models, by name, with the one `POST /predict` answers.
pub trait Models {
    /// The model called `name`, or why there is none to answer (the 404's message: an
    /// unknown name, or a model that is known but unavailable, with its reason).
    fn get(&self, name: &str) -> Result<&Model, String>;

    /// The model `POST /predict` and `GET /` answer with, or why there is none.
    fn default_model(&self) -> Result<&Model, String>;

    /// The V2 model repository extension, when this set has one (`GET /v2` then lists
    /// `model_repository`).
    fn repository(&self) -> Option<&dyn Repository> {
        None
    }
}

/// One model is a set of one: its own name, and it is the default.
impl Models for Model {
    fn get(&self, name: &str) -> Result<&Model, String> {
        if name == self.name() {
            Ok(self)
        } else {
            Err(format!(
                "unknown model {name:?}; this server serves {:?}",
                self.name()
            ))
        }
    }

    fn default_model(&self) -> Result<&Model, String> {
        Ok(self)
    }
}

/// The V2 model repository extension: list the models, load (or reload) and unload one.
/// Loading may read files: an adapter calls it off its async workers.
pub trait Repository {
    /// Every model the repository knows, ready or not, sorted by name.
    fn index(&self) -> Vec<RepositoryEntry>;

    /// Reads and validates the model `name` again and, if it is valid, serves it from
    /// now on (requests already answering keep the model they started with).
    fn load(&self, name: &str) -> Result<RepositoryEntry, RepositoryError>;

    /// Stops serving `name`: it stays in the index, `UNAVAILABLE`, until loaded again.
    fn unload(&self, name: &str) -> Result<RepositoryEntry, RepositoryError>;
}

/// A model's line in `POST /v2/repository/index`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RepositoryEntry {
    pub name: String,
    /// The version the serving model (or, when none serves, its file) declares; empty
    /// when unknown (a file that never loaded).
    pub version: String,
    pub state: ModelState,
    /// Why it is unavailable, or why its last reload failed while the old model serves;
    /// empty otherwise.
    pub reason: String,
}

/// The V2 repository states this server reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ModelState {
    #[serde(rename = "READY")]
    Ready,
    #[serde(rename = "UNAVAILABLE")]
    Unavailable,
}

/// A refused load or unload: the HTTP status and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryError {
    /// 404 for a name the repository does not have, 400 for a file that does not
    /// validate, 409 for a load over the memory limit.
    pub status: u16,
    pub message: String,
}
