//! `host predict`: batch scoring from a file or stdin. A /predict JSON payload prints the
//! JSON response (as `POST /predict?output=...` answers it); a CSV with a header row
//! (columns matched by name, an empty cell a missing value) prints one line per row: the
//! value or class label, or with `--output predict_proba` the K class probabilities
//! comma-separated in the model's `classes` order.

use std::io::Read;
use std::path::Path;

use csv_rows::rows_from_csv;
use predictor::payload::{self, Output};
use predictor::{Label, Model, PredictError, Predictions, Scaling};

use crate::error::HostError;

/// Reads the input and returns what to print for `output` (`predict` or
/// `predict_proba`).
pub fn run(
    model: &Model,
    scaling: Scaling,
    output: &str,
    input: &Path,
) -> Result<String, HostError> {
    let output = Output::for_model(Some(output), model)?;
    let bytes = read_input(input)?;
    Ok(predict_output_text(model, scaling, output, &bytes)?)
}

fn read_input(input: &Path) -> Result<Vec<u8>, HostError> {
    if input.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(HostError::ReadStdin)?;
        Ok(bytes)
    } else {
        std::fs::read(input).map_err(|source| HostError::ReadInput {
            path: input.to_path_buf(),
            source,
        })
    }
}

/// `predict_output_text` for `Output::Predict`.
pub fn predict_text(model: &Model, scaling: Scaling, bytes: &[u8]) -> Result<String, PredictError> {
    predict_output_text(model, scaling, Output::Predict, bytes)
}

/// What `host predict` prints for `bytes`: JSON when the first non-blank byte opens an
/// object or array, CSV otherwise.
pub fn predict_output_text(
    model: &Model,
    scaling: Scaling,
    output: Output,
    bytes: &[u8],
) -> Result<String, PredictError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        let rows = payload::decode(bytes, model, usize::MAX)?;
        let predictions = payload::predict(model, rows.view(), scaling, output)?;
        let body = payload::encode_predictions(model, &predictions);
        let mut text = String::from_utf8(body).expect("JSON is UTF-8");
        text.push('\n');
        Ok(text)
    } else {
        let rows = rows_from_csv(model, bytes)?;
        let predictions = model.predict_batch(&rows, scaling, output == Output::PredictProba)?;
        Ok(lines(model, &predictions))
    }
}

/// `field` as one RFC 4180 field: as it is, or in double quotes (inner quotes doubled) when
/// it holds a comma, a quote or a line break, so that every output line is one label.
fn push_csv_field(text: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        text.push('"');
        text.push_str(&field.replace('"', "\"\""));
        text.push('"');
    } else {
        text.push_str(field);
    }
}

/// One line per row: a value, a label (strings as one CSV field, quoted when they hold a
/// comma, quote or line break; numbers and booleans as JSON prints them), or the row's
/// probabilities comma-separated.
fn lines(model: &Model, predictions: &Predictions) -> String {
    let float = |x: &f64| serde_json::to_string(x).expect("a float serializes");
    let mut text = String::new();
    match predictions {
        Predictions::Values(values) => {
            for value in values {
                text.push_str(&float(value));
                text.push('\n');
            }
        }
        Predictions::Classes {
            proba: Some(proba), ..
        } => {
            for row in proba.chunks(model.classes().len().max(1)) {
                let row: Vec<String> = row.iter().map(float).collect();
                text.push_str(&row.join(","));
                text.push('\n');
            }
        }
        Predictions::Classes { labels, .. } => {
            for &label in labels {
                match usize::try_from(label)
                    .ok()
                    .and_then(|i| model.classes().get(i))
                {
                    Some(Label::Str(s)) => push_csv_field(&mut text, s),
                    Some(other) => {
                        text.push_str(&serde_json::to_string(other).expect("a label serializes"))
                    }
                    None => {}
                }
                text.push('\n');
            }
        }
    }
    text
}

mod csv_rows {
    //! CSV to row-major values in model order: the header matched to the model's
    //! features and each cell read as the /predict payload reads a numeric string
    //! (`predictor::columns`); an empty cell is a missing value (NaN).
    use predictor::columns;
    use predictor::{Model, PredictError};

    pub fn rows_from_csv(model: &Model, bytes: &[u8]) -> Result<Vec<f64>, PredictError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| PredictError::WrongShape(format!("CSV header row: {e}")))?
            .clone();
        let position = columns::match_all(model, headers.iter())?;
        let features: Vec<&str> = model.features().collect();
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record =
                record.map_err(|e| PredictError::WrongShape(format!("CSV row {i}: {e}")))?;
            for (k, column) in position.iter().zip(&features) {
                let cell = record.get(*k).unwrap_or("");
                if cell.is_empty() {
                    // A missing value, for the model pipeline to take or refuse.
                    rows.push(f64::NAN);
                    continue;
                }
                let value =
                    columns::text_cell(cell).map_err(|reason| PredictError::InvalidCell {
                        row: i.to_string(),
                        column: column.to_string(),
                        reason,
                    })?;
                rows.push(value);
            }
        }
        if rows.is_empty() {
            return Err(PredictError::EmptyPayload);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<String, String> {
        predict_text(Model::embedded(), Scaling::Training, text.as_bytes())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_string_label_is_one_csv_field_however_it_is_written() {
        let mut text = String::new();
        for label in ["setosa", "a,b", "say \"hi\"", "two\nlines"] {
            push_csv_field(&mut text, label);
            text.push('\n');
        }
        assert_eq!(
            text,
            "setosa\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n"
        );
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let read: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(read, ["setosa", "a,b", "say \"hi\"", "two\nlines"]);
    }

    #[test]
    fn csv_columns_are_matched_as_the_payload_matches_them() {
        let unknown = csv("CHAS,RM,TAX,PTRATIO,B,LSTAT,ZN\n0,6.575,296,15.3,396.9,4.98,1\n");
        assert_eq!(
            unknown.unwrap_err(),
            "unknown column \"ZN\"; the model takes CHAS, RM, TAX, PTRATIO, B, LSTAT"
        );
        let twice = csv("CHAS,RM,RM,TAX,PTRATIO,B,LSTAT\n0,6.575,6.575,296,15.3,396.9,4.98\n");
        assert_eq!(twice.unwrap_err(), "key \"RM\" appears twice in one object");
        let missing = csv("CHAS,RM\n0,6.5\n");
        assert_eq!(missing.unwrap_err(), "column TAX is missing");
    }

    #[test]
    fn csv_cells_are_read_as_payload_strings_are() {
        let ok = csv("CHAS,RM,TAX,PTRATIO,B,LSTAT\n0, 6.575 ,296,15.3,396.9,+4.98e0\n");
        assert_eq!(ok.unwrap(), "25.0021457871835\n");
        let not_finite = csv("CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,inf,296,15.3,396.9,4.98\n");
        assert_eq!(
            not_finite.unwrap_err(),
            "row 0: value for RM is not a finite number (got \"inf\")"
        );
        let not_a_number = csv("CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,six,296,15.3,396.9,4.98\n");
        assert_eq!(
            not_a_number.unwrap_err(),
            "row 0: value for RM is not a number (got \"six\")"
        );
        // An empty cell is a missing value, which the Boston model refuses.
        let empty = csv(
            "CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,6.575,296,15.3,396.9,4.98\n0, ,296,15.3,396.9,4.98\n",
        );
        assert_eq!(
            empty.unwrap_err(),
            "row 1: value for RM is missing, and this model does not take missing values \
             (scikit-learn refuses NaN in its input)"
        );
        assert_eq!(
            csv("CHAS,RM,TAX,PTRATIO,B,LSTAT\n").unwrap_err(),
            "payload has no rows"
        );
    }
}
