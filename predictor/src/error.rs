//! Every way a request or a model can be wrong, as one typed enum whose messages tell a
//! user what to fix; adapters turn `status()` into their transport's error response.

use alloc::string::String;
use core::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum PredictError {
    /// The body is not JSON at all (400).
    InvalidJson(String),
    /// The request's Content-Type is not JSON (415).
    UnsupportedMediaType(String),
    /// The JSON is valid but not a shape this endpoint takes (422).
    WrongShape(String),
    /// The same key twice in one JSON object (422).
    DuplicateKey(String),
    /// The payload holds no rows (422).
    EmptyPayload,
    /// A model feature has no column (422).
    MissingColumn(String),
    /// A column the model does not know (422).
    UnknownColumn { column: String, expected: String },
    /// A row lacks a value for a column (422).
    MissingCell { row: String, column: String },
    /// A value that is not a finite number (422).
    InvalidCell {
        row: String,
        column: String,
        reason: String,
    },
    /// Columns of different lengths (422).
    RaggedColumns {
        column: String,
        len: usize,
        expected: usize,
    },
    /// More rows than the server takes in one request (413).
    TooManyRows { rows: usize, limit: usize },
    /// A query parameter with a value we do not know (400).
    InvalidParameter(String),
}

impl PredictError {
    /// The HTTP status an adapter should answer with.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidJson(_) | Self::InvalidParameter(_) => 400,
            Self::TooManyRows { .. } => 413,
            Self::UnsupportedMediaType(_) => 415,
            _ => 422,
        }
    }
}

impl fmt::Display for PredictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson(m) => write!(f, "body is not valid JSON: {m}"),
            Self::UnsupportedMediaType(m) | Self::WrongShape(m) | Self::InvalidParameter(m) => {
                f.write_str(m)
            }
            Self::DuplicateKey(key) => write!(f, "key {key:?} appears twice in one object"),
            Self::EmptyPayload => f.write_str("payload has no rows"),
            Self::MissingColumn(c) => write!(f, "column {c} is missing"),
            Self::UnknownColumn { column, expected } => {
                write!(f, "unknown column {column:?}; the model takes {expected}")
            }
            Self::MissingCell { row, column } => {
                write!(f, "row {row}: value for {column} is missing")
            }
            Self::InvalidCell {
                row,
                column,
                reason,
            } => write!(f, "row {row}: value for {column} {reason}"),
            Self::RaggedColumns {
                column,
                len,
                expected,
            } => write!(
                f,
                "column {column} has {len} values, the first column has {expected}"
            ),
            Self::TooManyRows { rows, limit } => {
                write!(f, "{rows} rows in one request, the limit is {limit}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PredictError {}
