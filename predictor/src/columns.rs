//! Named columns to model features, and text cells to numbers, once for every wire format
//! (`/predict` payloads, V2 per-column tensors, the CLI's CSV), so they all refuse the
//! same unknown, duplicate and missing columns and read a numeric string the same way.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::error::PredictError;
use crate::model::Model;
use crate::number::{self, DecimalValue};

/// A column that does not match the model's features one to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnError {
    /// A column the model does not know (`expected`: the model's features).
    Unknown { column: String, expected: String },
    /// A column named twice.
    Duplicate(String),
    /// A model feature no column holds.
    Missing(String),
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The /predict and CSV wording; V2 words them as inputs (`v2::tensor`).
        PredictError::from(self.clone()).fmt(f)
    }
}

/// As /predict and the CSV reader report them.
impl From<ColumnError> for PredictError {
    fn from(err: ColumnError) -> Self {
        match err {
            ColumnError::Unknown { column, expected } => {
                PredictError::UnknownColumn { column, expected }
            }
            ColumnError::Duplicate(column) => PredictError::DuplicateKey(column),
            ColumnError::Missing(column) => PredictError::MissingColumn(column),
        }
    }
}

/// Where each model feature's column is among a request's named columns: every name is
/// a model feature, named once. Built by `Columns::match_names`, so past that point no
/// name is unknown or repeated.
#[derive(Clone, Debug)]
pub struct Columns<'m> {
    model: &'m Model,
    /// For each feature (model order), the position of its column among the names.
    source_of: Vec<Option<usize>>,
}

impl<'m> Columns<'m> {
    /// Matches `names` (in the request's order) to the model's features, refusing the
    /// first name that is unknown or already seen.
    pub fn match_names<'n>(
        model: &'m Model,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<Self, ColumnError> {
        let mut source_of = vec![None; model.n_features()];
        for (position, name) in names.into_iter().enumerate() {
            let j = feature_of(model, name)?;
            if source_of[j].replace(position).is_some() {
                return Err(ColumnError::Duplicate(name.to_string()));
            }
        }
        Ok(Columns { model, source_of })
    }

    /// The position of feature `j`'s column, or the error naming it as missing.
    pub fn source(&self, j: usize) -> Result<usize, ColumnError> {
        self.source_of[j].ok_or_else(|| ColumnError::Missing(self.model.feature(j).to_string()))
    }

    /// Every feature's column position (model order), or the first feature missing.
    pub fn sources(&self) -> Result<Vec<usize>, ColumnError> {
        (0..self.source_of.len()).map(|j| self.source(j)).collect()
    }
}

/// The model feature a column name is, or the error naming it as unknown.
pub fn feature_of(model: &Model, name: &str) -> Result<usize, ColumnError> {
    model
        .feature_index(name)
        .ok_or_else(|| ColumnError::Unknown {
            column: name.to_string(),
            expected: model.features().collect::<Vec<_>>().join(", "),
        })
}

/// The position of each model feature's column among `names` (model order): the first
/// unknown or repeated name refused, then the first feature no name holds.
pub fn match_all<'n>(
    model: &Model,
    names: impl IntoIterator<Item = &'n str>,
) -> Result<Vec<usize>, ColumnError> {
    Columns::match_names(model, names)?.sources()
}

/// A text cell as a number, the one grammar of every wire format: `str::parse::<f64>`'s
/// (`number::parse_with`), surrounding whitespace ignored. The value must be finite. The error is the
/// reason that completes "row R: value for COLUMN ...".
pub fn text_cell(text: &str) -> Result<f64, String> {
    text_cell_with(text, number::rust_decimal)
}

/// `text_cell` with `decimal` valuing the decimal literal (`number::parse_with`): the
/// browser module passes JavaScript's `parseFloat`, so it ships no Rust float parser.
pub fn text_cell_with(text: &str, decimal: DecimalValue) -> Result<f64, String> {
    match number::parse_with(text.trim(), decimal) {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(format!("is not a finite number (got {text:?})")),
        None => Err(format!("is not a number (got {text:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&'static str]) -> Result<Vec<usize>, ColumnError> {
        match_all(Model::embedded(), list.iter().copied())
    }

    #[test]
    fn any_order_maps_to_model_order() {
        let got = names(&["LSTAT", "RM", "CHAS", "TAX", "PTRATIO", "B"]).unwrap();
        assert_eq!(got, [2, 1, 3, 4, 5, 0]);
    }

    #[test]
    fn unknown_duplicate_and_missing_columns_are_named() {
        let unknown = names(&["CHAS", "ZN"]).unwrap_err().to_string();
        assert_eq!(
            unknown,
            "unknown column \"ZN\"; the model takes CHAS, RM, TAX, PTRATIO, B, LSTAT"
        );
        let twice = names(&["CHAS", "CHAS"]).unwrap_err().to_string();
        assert_eq!(twice, "key \"CHAS\" appears twice in one object");
        let missing = names(&["CHAS", "RM"]).unwrap_err().to_string();
        assert_eq!(missing, "column TAX is missing");
    }

    #[test]
    fn text_cells_read_as_str_parse_reads_them() {
        assert_eq!(text_cell(" 296 "), Ok(296.0));
        assert_eq!(text_cell("6.575").map(f64::to_bits), Ok(6.575f64.to_bits()));
        assert_eq!(text_cell("1e5"), Ok(1e5));
        assert_eq!(
            text_cell("x"),
            Err("is not a number (got \"x\")".to_string())
        );
        assert_eq!(
            text_cell("inf"),
            Err("is not a finite number (got \"inf\")".to_string())
        );
        assert_eq!(text_cell(""), Err("is not a number (got \"\")".to_string()));
    }
}
