//! `host predict`: batch scoring from a file or stdin. A /predict JSON payload prints the
//! JSON response; a CSV with a header row (columns matched by name) prints one
//! prediction per line.

use std::io::Read;
use std::path::Path;

use csv_rows::rows_from_csv;
use predictor::{payload, Model, PredictError, Scaling};

/// Reads the input and returns what to print.
pub fn run(model: &Model, scaling: Scaling, input: &Path) -> Result<String, String> {
    let bytes = read_input(input)?;
    predict_text(model, scaling, &bytes).map_err(|e| e.to_string())
}

fn read_input(input: &Path) -> Result<Vec<u8>, String> {
    if input.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(bytes)
    } else {
        std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))
    }
}

/// JSON when the first non-blank byte opens an object or array, CSV otherwise.
pub fn predict_text(model: &Model, scaling: Scaling, bytes: &[u8]) -> Result<String, PredictError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        let rows = payload::decode(bytes, model, usize::MAX)?;
        let predictions = model.predict(rows.view(), scaling)?;
        let mut text = String::from_utf8(payload::encode(&predictions)).expect("JSON is UTF-8");
        text.push('\n');
        Ok(text)
    } else {
        let rows = rows_from_csv(model, bytes)?;
        let predictions = model.predict_flat(&rows, scaling)?;
        let mut text = String::with_capacity(predictions.len() * 20);
        for p in predictions {
            text.push_str(&serde_json::to_string(&p).expect("finite floats serialize"));
            text.push('\n');
        }
        Ok(text)
    }
}

mod csv_rows {
    //! CSV to row-major values in model order.
    use predictor::{Model, PredictError};

    pub fn rows_from_csv(model: &Model, bytes: &[u8]) -> Result<Vec<f64>, PredictError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| PredictError::WrongShape(format!("CSV header row: {e}")))?
            .clone();
        let mut position = vec![None; model.n_features()];
        for (k, name) in headers.iter().enumerate() {
            let j = model
                .feature_index(name)
                .ok_or_else(|| PredictError::UnknownColumn {
                    column: name.to_string(),
                    expected: model.features().collect::<Vec<_>>().join(", "),
                })?;
            if position[j].is_some() {
                return Err(PredictError::DuplicateKey(name.to_string()));
            }
            position[j] = Some(k);
        }
        let position: Vec<usize> = position
            .iter()
            .zip(model.features())
            .map(|(p, name)| p.ok_or_else(|| PredictError::MissingColumn(name.to_string())))
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record =
                record.map_err(|e| PredictError::WrongShape(format!("CSV row {i}: {e}")))?;
            for (j, k) in position.iter().enumerate() {
                let column = model.features().nth(j).unwrap_or_default();
                let cell = record.get(*k).unwrap_or("");
                let value = cell.parse::<f64>().map_err(|_| PredictError::InvalidCell {
                    row: i.to_string(),
                    column: column.to_string(),
                    reason: format!("is not a number (got {cell:?})"),
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
