//! Why a model file was refused: one error type for loading at run time and for embedding
//! at build time, whose message names the offending field. The message is always one
//! line: a model file's own strings (a "kind", a feature name) can reach it through
//! serde's messages, and a newline there would split a log line or the CLI's error.

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
            message: one_line(message.into()),
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

/// `message` with its control characters (newlines, tabs, escapes) written as Rust
/// escapes, so that it prints as one line.
fn one_line(message: String) -> String {
    if !message.chars().any(char::is_control) {
        return message;
    }
    let mut escaped = String::with_capacity(message.len() + 8);
    for c in message.chars() {
        if c.is_control() {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// `Err` of a `ModelError` with `message`.
pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError::new(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        let error = ModelError::new("kind \"a\nb\r\t\u{1b}\u{85}\" é");
        assert_eq!(error.message(), "kind \"a\\nb\\r\\t\\u{1b}\\u{85}\" é");
        assert_eq!(ModelError::new("plain").message(), "plain");
    }
}
