//! The `POST /predict` wire format of the original service: pandas' "columns" orientation
//! `{"COL": {"rowkey": value}}`, a list of records `[{"COL": value}]`, columns as lists
//! `{"COL": [value, ...]}`, or bare rows in model column order `[[v, ...]]`; and its
//! response `{"prediction": [...]}`.
//!
//! Unlike the original, columns are matched by name (any order), and anything it would
//! have crashed on is refused with a message naming the column and row. Rows keep the
//! original's order: row keys sorted as strings ("10" before "2") for the columns
//! orientation, the given order otherwise.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Display;

use ndarray::Array2;
use serde::Serialize;

use crate::columns;
use crate::error::PredictError;
use crate::json::Json;
use crate::model::Model;
use crate::number::{self, DecimalValue};

/// Decodes a /predict body into a batch (rows x model features, model order),
/// refusing more than `max_rows` rows.
pub fn decode(body: &[u8], model: &Model, max_rows: usize) -> Result<Array2<f64>, PredictError> {
    decode_json(&Json::parse(body)?, model, max_rows)
}

/// Decodes an already parsed /predict payload.
pub fn decode_json(
    json: &Json,
    model: &Model,
    max_rows: usize,
) -> Result<Array2<f64>, PredictError> {
    decode_json_with(json, model, max_rows, number::rust_decimal)
}

/// `decode_json` with `decimal` valuing numeric string cells (`number::parse_with`): the
/// browser module reads JavaScript values straight into `Json` and passes `parseFloat`.
pub fn decode_json_with(
    json: &Json,
    model: &Model,
    max_rows: usize,
    decimal: DecimalValue,
) -> Result<Array2<f64>, PredictError> {
    let table = Table::new(model, max_rows, decimal);
    match json {
        Json::Object(columns) => table.decode_columns(columns),
        Json::Array(records) => table.decode_records(records),
        other => Err(PredictError::WrongShape(format!(
            "expected a JSON object of columns or an array of records, got {}",
            other.kind()
        ))),
    }
}

/// The response body: `{"prediction":[...]}`, each float printed so it parses back to
/// the same float64.
pub fn encode(predictions: &[f64]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Response<'a> {
        prediction: &'a [f64],
    }
    serde_json::to_vec(&Response {
        prediction: predictions,
    })
    .expect("a slice of finite floats always serializes")
}

struct Table<'m> {
    model: &'m Model,
    max_rows: usize,
    /// How a numeric string cell's decimal literal becomes a float64.
    decimal: DecimalValue,
}

impl Table<'_> {
    fn new(model: &Model, max_rows: usize, decimal: DecimalValue) -> Table<'_> {
        Table {
            model,
            max_rows,
            decimal,
        }
    }

    fn check_rows(&self, rows: usize) -> Result<(), PredictError> {
        if rows == 0 {
            Err(PredictError::EmptyPayload)
        } else if rows > self.max_rows {
            Err(PredictError::TooManyRows {
                rows,
                limit: self.max_rows,
            })
        } else {
            Ok(())
        }
    }

    /// Maps payload columns to model features: every feature exactly once, nothing else.
    /// A key twice in the object is refused as JSON first, as in every other object.
    fn match_columns<'j>(
        &self,
        columns: &'j [(String, Json)],
    ) -> Result<Vec<(usize, &'j Json)>, PredictError> {
        Json::check_unique_keys(columns)?;
        let sources =
            columns::match_all(self.model, columns.iter().map(|(name, _)| name.as_str()))?;
        Ok(sources
            .into_iter()
            .enumerate()
            .map(|(j, k)| (j, &columns[k].1))
            .collect())
    }

    fn decode_columns(&self, columns: &[(String, Json)]) -> Result<Array2<f64>, PredictError> {
        if columns.is_empty() {
            return Err(PredictError::EmptyPayload);
        }
        let matched = self.match_columns(columns)?;
        if let Some((j, odd)) = matched
            .iter()
            .find(|(_, v)| !matches!(v, Json::Object(_) | Json::Array(_)))
        {
            return Err(PredictError::WrongShape(format!(
                "column {}: expected an object {{\"row key\": value}} or an array of values, \
                 got {} (for a single row, send [{{\"COLUMN\": value, ...}}])",
                self.model.feature(*j),
                odd.kind()
            )));
        }
        let all_objects = matched.iter().all(|(_, v)| matches!(v, Json::Object(_)));
        let all_arrays = matched.iter().all(|(_, v)| matches!(v, Json::Array(_)));
        if !all_objects && !all_arrays {
            return Err(PredictError::WrongShape(
                "columns must be all objects {\"row key\": value} or all arrays of values, not a mix"
                    .to_string(),
            ));
        }
        if all_objects {
            self.decode_keyed_columns(&matched)
        } else {
            self.decode_list_columns(&matched)
        }
    }

    /// `{"COL": {"rowkey": value}}`: rows are the sorted union of the row keys.
    fn decode_keyed_columns(
        &self,
        matched: &[(usize, &Json)],
    ) -> Result<Array2<f64>, PredictError> {
        let columns: Vec<(usize, &[(String, Json)])> = matched
            .iter()
            .map(|(j, v)| match v {
                Json::Object(cells) => (*j, cells.as_slice()),
                _ => unreachable!("checked by decode_columns"),
            })
            .collect();
        let first = columns[0].1;
        let same_keys_everywhere = columns.iter().all(|(_, cells)| {
            cells.len() == first.len() && cells.iter().zip(first).all(|(a, b)| a.0 == b.0)
        });
        if same_keys_everywhere {
            self.decode_aligned_columns(&columns)
        } else {
            self.decode_union_of_keys(matched)
        }
    }

    /// The usual case: every column lists the same row keys in the same order, so
    /// ordering the first column's keys orders every column.
    fn decode_aligned_columns(
        &self,
        columns: &[(usize, &[(String, Json)])],
    ) -> Result<Array2<f64>, PredictError> {
        let first = columns[0].1;
        self.check_rows(first.len())?;
        // A B-tree rather than a sort: as fast here, and the browser module already
        // carries its code (a sort would add 14 KB).
        let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
        for (position, (key, _)) in first.iter().enumerate() {
            if positions.insert(key, position).is_some() {
                return Err(PredictError::DuplicateKey(key.clone()));
            }
        }
        let mut row_of = vec![0; first.len()];
        for (row, position) in positions.values().enumerate() {
            row_of[*position] = row;
        }
        let mut out = Array2::zeros((first.len(), self.model.n_features()));
        for (j, cells) in columns {
            for ((key, cell), row) in cells.iter().zip(&row_of) {
                out[(*row, *j)] = self.cell_value(cell, key, *j)?;
            }
        }
        Ok(out)
    }

    /// Columns with different row keys: rows are their union, and a key one column
    /// lacks is a missing cell.
    fn decode_union_of_keys(
        &self,
        matched: &[(usize, &Json)],
    ) -> Result<Array2<f64>, PredictError> {
        let mut row_keys: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, column) in matched {
            let Json::Object(cells) = column else {
                unreachable!("checked by decode_columns")
            };
            Json::check_unique_keys(cells)?;
            for (key, _) in cells {
                row_keys.insert(key, 0);
                if row_keys.len() > self.max_rows {
                    break;
                }
            }
        }
        self.check_rows(row_keys.len())?;
        for (i, slot) in row_keys.values_mut().enumerate() {
            *slot = i;
        }
        let width = self.model.n_features();
        let mut out = Array2::from_elem((row_keys.len(), width), f64::NAN);
        for (j, column) in matched {
            let Json::Object(cells) = column else {
                unreachable!("checked by decode_columns")
            };
            if cells.len() != row_keys.len() {
                let missing = row_keys
                    .keys()
                    .find(|key| !cells.iter().any(|(k, _)| k == *key))
                    .expect("a column with fewer keys than the union lacks one");
                return Err(PredictError::MissingCell {
                    row: missing.to_string(),
                    column: self.model.feature(*j).to_string(),
                });
            }
            for (key, cell) in cells {
                let i = row_keys[key.as_str()];
                out[(i, *j)] = self.cell_value(cell, key, *j)?;
            }
        }
        Ok(out)
    }

    /// `{"COL": [value, ...]}`: every column the same length.
    fn decode_list_columns(&self, matched: &[(usize, &Json)]) -> Result<Array2<f64>, PredictError> {
        let lists: Vec<(usize, &[Json])> = matched
            .iter()
            .map(|(j, v)| match v {
                Json::Array(items) => (*j, items.as_slice()),
                _ => unreachable!("checked by decode_columns"),
            })
            .collect();
        let rows = lists[0].1.len();
        for (j, items) in &lists {
            if items.len() != rows {
                return Err(PredictError::RaggedColumns {
                    column: self.model.feature(*j).to_string(),
                    len: items.len(),
                    expected: rows,
                });
            }
        }
        self.check_rows(rows)?;
        let mut out = Array2::zeros((rows, self.model.n_features()));
        for (j, items) in lists {
            for (i, cell) in items.iter().enumerate() {
                out[(i, j)] = self.cell_value(cell, i, j)?;
            }
        }
        Ok(out)
    }

    /// `[{"COL": value}, ...]`: one object per row.
    fn decode_records(&self, records: &[Json]) -> Result<Array2<f64>, PredictError> {
        self.check_rows(records.len())?;
        let width = self.model.n_features();
        let mut out = Array2::from_elem((records.len(), width), f64::NAN);
        for (i, record) in records.iter().enumerate() {
            match record {
                Json::Object(cells) => self.decode_named_record(i, cells, &mut out)?,
                Json::Array(cells) => self.decode_positional_record(i, cells, &mut out)?,
                other => {
                    return Err(PredictError::WrongShape(format!(
                        "row {i}: expected an object of column values, got {}",
                        other.kind()
                    )))
                }
            }
        }
        Ok(out)
    }

    /// `{"COL": value, ...}`: every model column, by name.
    fn decode_named_record(
        &self,
        i: usize,
        cells: &[(String, Json)],
        out: &mut Array2<f64>,
    ) -> Result<(), PredictError> {
        Json::check_unique_keys(cells)?;
        for (column, cell) in cells {
            let j = columns::feature_of(self.model, column)?;
            out[(i, j)] = self.cell_value(cell, i, j)?;
        }
        if cells.len() != self.model.n_features() {
            let j = (0..self.model.n_features())
                .find(|j| out[(i, *j)].is_nan())
                .expect("fewer cells than features leaves one unset");
            return Err(PredictError::MissingCell {
                row: i.to_string(),
                column: self.model.feature(j).to_string(),
            });
        }
        Ok(())
    }

    /// `[value, ...]`: a bare row in model column order, as the original also took.
    fn decode_positional_record(
        &self,
        i: usize,
        cells: &[Json],
        out: &mut Array2<f64>,
    ) -> Result<(), PredictError> {
        let width = self.model.n_features();
        if cells.len() != width {
            return Err(PredictError::WrongShape(format!(
                "row {i}: an array row needs {width} values ({}), got {}",
                self.model.features().collect::<Vec<_>>().join(", "),
                cells.len()
            )));
        }
        for (j, cell) in cells.iter().enumerate() {
            out[(i, j)] = self.cell_value(cell, i, j)?;
        }
        Ok(())
    }

    /// One value as the original's `astype(float)` reads it: numbers, numeric strings
    /// and booleans; the result must be finite.
    fn cell_value(&self, cell: &Json, row: impl Display, j: usize) -> Result<f64, PredictError> {
        let invalid = |reason: String| PredictError::InvalidCell {
            row: row.to_string(),
            column: self.model.feature(j).to_string(),
            reason,
        };
        match cell {
            // JSON text has no NaN or infinity; a JavaScript payload can.
            Json::Number(x) if x.is_finite() => Ok(*x),
            Json::Number(x) => {
                let name = match (x.is_nan(), x.is_sign_positive()) {
                    (true, _) => "NaN",
                    (false, true) => "Infinity",
                    (false, false) => "-Infinity",
                };
                Err(invalid(format!("is not a finite number (got {name})")))
            }
            Json::Bool(b) => Ok(f64::from(u8::from(*b))),
            Json::String(s) => columns::text_cell_with(s, self.decimal).map_err(invalid),
            Json::Null => Err(invalid("is null".to_string())),
            other => Err(invalid(format!("is {}, not a number", other.kind()))),
        }
    }
}
