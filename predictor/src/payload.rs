//! The `POST /predict` wire format of the original service: pandas' "columns" orientation
//! `{"COL": {"rowkey": value}}`, a list of records `[{"COL": value}]`, columns as lists
//! `{"COL": [value, ...]}`, or bare rows in model column order `[[v, ...]]`; and its
//! response: `{"prediction": [...]}` (a regressor's values or a classifier's labels), or
//! with `?output=predict_proba` `{"predict_proba": [[p, ...], ...], "classes": [...]}`.
//! A `null` cell is a missing value (NaN), which the model pipeline takes or refuses.
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

use ndarray::{Array2, ArrayView2};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use model_format::Label;

use crate::columns;
use crate::error::PredictError;
use crate::json::Json;
use crate::model::{Model, Predictions};
use crate::number::{self, DecimalValue};
use crate::scaler::Scaling;

/// What a request asks the model for, as scikit-learn names it: `predict` (values or
/// class labels) or, for a classifier, `predict_proba` (every class's probability).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    #[default]
    Predict,
    PredictProba,
}

impl Output {
    pub fn as_str(self) -> &'static str {
        match self {
            Output::Predict => "predict",
            Output::PredictProba => "predict_proba",
        }
    }

    /// The output called `name`, if there is one (for any model).
    pub fn named(name: &str) -> Option<Output> {
        match name {
            "predict" => Some(Output::Predict),
            "predict_proba" => Some(Output::PredictProba),
            _ => None,
        }
    }

    /// The outputs `model` has: `predict`, and `predict_proba` for a classifier.
    pub fn of(model: &Model) -> &'static [Output] {
        if model.is_classifier() {
            &[Output::Predict, Output::PredictProba]
        } else {
            &[Output::Predict]
        }
    }

    /// The `output` a request names (`None`: `predict`), refusing a name that is not an
    /// output and `predict_proba` for a regressor (`PredictError::InvalidParameter`).
    pub fn for_model(value: Option<&str>, model: &Model) -> Result<Output, PredictError> {
        let Some(value) = value else {
            return Ok(Output::Predict);
        };
        match Output::named(value) {
            None => Err(PredictError::InvalidParameter(format!(
                "unknown output {value:?}; use predict or predict_proba"
            ))),
            Some(Output::PredictProba) if !model.is_classifier() => {
                Err(PredictError::InvalidParameter(format!(
                    "output predict_proba needs a classifier; model {} is a regressor",
                    model.name()
                )))
            }
            Some(output) => Ok(output),
        }
    }
}

/// Predicts a decoded batch (`decode`) for `output`: a regressor's values, or a
/// classifier's labels (with their probabilities for `Output::PredictProba`).
pub fn predict(
    model: &Model,
    rows: ArrayView2<'_, f64>,
    scaling: Scaling,
    output: Output,
) -> Result<Predictions, PredictError> {
    let proba = output == Output::PredictProba;
    match rows.as_slice() {
        Some(flat) => model.predict_batch(flat, scaling, proba),
        None => model.predict_batch(&rows.iter().copied().collect::<Vec<_>>(), scaling, proba),
    }
}

/// The response body for what `predict` answered: `{"prediction": [value, ...]}` for a
/// regressor (as `encode`), `{"prediction": [label, ...]}` for a classifier (labels as
/// the model's `classes` hold them: JSON numbers, strings or booleans), or
/// `{"predict_proba": [[p, ...], ...], "classes": [...]}` when probabilities were asked
/// for. Every float is printed so it parses back to the same float64.
pub fn encode_predictions(model: &Model, predictions: &Predictions) -> Vec<u8> {
    #[derive(Serialize)]
    struct LabelsResponse<'a> {
        prediction: Labels<'a>,
    }
    #[derive(Serialize)]
    struct ProbaResponse<'a> {
        predict_proba: ProbaRows<'a>,
        classes: &'a [Label],
    }
    let classes = model.classes();
    match predictions {
        Predictions::Values(values) => return encode(values),
        Predictions::Classes {
            labels,
            proba: None,
        } => serde_json::to_vec(&LabelsResponse {
            prediction: Labels {
                indices: labels,
                classes,
            },
        }),
        Predictions::Classes {
            proba: Some(proba), ..
        } => serde_json::to_vec(&ProbaResponse {
            predict_proba: ProbaRows {
                values: proba,
                width: classes.len(),
            },
            classes,
        }),
    }
    .unwrap_or_default()
}

/// Class indices serialized as the labels they stand for.
pub(crate) struct Labels<'a> {
    pub(crate) indices: &'a [u32],
    pub(crate) classes: &'a [Label],
}

impl Serialize for Labels<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.indices.len()))?;
        for &i in self.indices {
            // An estimator answers indices below K; were one not, it prints as null.
            seq.serialize_element(&usize::try_from(i).ok().and_then(|i| self.classes.get(i)))?;
        }
        seq.end()
    }
}

/// Row-major probabilities (`width` per row) serialized as one array per row.
struct ProbaRows<'a> {
    values: &'a [f64],
    width: usize,
}

impl Serialize for ProbaRows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let width = self.width.max(1);
        let mut seq = serializer.serialize_seq(Some(self.values.len() / width))?;
        for row in self.values.chunks(width) {
            seq.serialize_element(row)?;
        }
        seq.end()
    }
}

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
        // Unique names that are all features: fewer than the features leaves one out (a
        // null cell is NaN too, so the names say which, not the values).
        if cells.len() != self.model.n_features() {
            let missing = self
                .model
                .features()
                .find(|feature| !cells.iter().any(|(name, _)| name == feature))
                .unwrap_or_default();
            return Err(PredictError::MissingCell {
                row: i.to_string(),
                column: missing.to_string(),
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
    /// and booleans, which must be finite; `null` is a missing value (NaN).
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
            // A missing value: the model's imputer or estimator takes it, or the pipeline
            // refuses it naming this cell (`Model::predict_batch`).
            Json::Null => Ok(f64::NAN),
            other => Err(invalid(format!("is {}, not a number", other.kind()))),
        }
    }
}
