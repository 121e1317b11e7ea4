//! Why a model file was refused: one error type for loading at run time and for embedding
//! at build time, whose message names the offending field.

use alloc::string::String;
use core::fmt;

/// A model file that cannot be used; `message()` names the field (for example
/// "estimator.trees[3]: node 0 splits on feature 6, the model has 6").
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    message: String,
}

impl ModelError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// What is wrong, without the "invalid model: " prefix `Display` adds.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` (a field path) in front of its message.
    pub(crate) fn within(self, context: &str) -> Self {
        Self::new(alloc::format!("{context}: {}", self.message))
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid model: {}", self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ModelError {}

/// `Err` of a `ModelError` with `message`.
pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError::new(message))
}
