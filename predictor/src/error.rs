//! Every way a request can be wrong, as one typed enum whose messages tell a user what to
//! fix. It says what is wrong, not how a transport answers it: the route table
//! (`api::status_of`) maps each kind to its HTTP status in one place.

use alloc::string::String;
use core::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum PredictError {
    /// The body is not JSON at all.
    InvalidJson(String),
    /// The request's Content-Type is not JSON.
    UnsupportedMediaType(String),
    /// The JSON is valid but not a shape this endpoint takes.
    WrongShape(String),
    /// The same key twice in one JSON object (or a column named twice).
    DuplicateKey(String),
    /// The payload holds no rows.
    EmptyPayload,
    /// A model feature has no column.
    MissingColumn(String),
    /// A column the model does not know.
    UnknownColumn { column: String, expected: String },
    /// A row lacks a value for a column.
    MissingCell { row: String, column: String },
    /// A value that is not a finite number.
    InvalidCell {
        row: String,
        column: String,
        reason: String,
    },
    /// Columns of different lengths.
    RaggedColumns {
        column: String,
        len: usize,
        expected: usize,
    },
    /// A V2 infer request that the protocol or the model refuses: its tensors do not fit
    /// (wrong shape, datatype, data, an unknown or missing input) or the model cannot
    /// take their values. The V2 protocol answers all of these as a bad request, where
    /// `/predict` tells a malformed body from one that does not fit the model.
    InvalidInferRequest(String),
    /// More rows than the server takes in one request.
    TooManyRows { rows: usize, limit: usize },
    /// A query parameter with a value we do not know.
    InvalidParameter(String),
}

impl fmt::Display for PredictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson(m) => write!(f, "body is not valid JSON: {m}"),
            Self::UnsupportedMediaType(m)
            | Self::WrongShape(m)
            | Self::InvalidInferRequest(m)
            | Self::InvalidParameter(m) => f.write_str(m),
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
