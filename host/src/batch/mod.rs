//! `host predict`: batch scoring from a file or stdin. A /predict JSON payload prints the
//! JSON response (as `POST /predict?output=...` answers it); a CSV with a header row
//! (columns matched by name, an empty cell a missing value) prints one line per row: the
//! value or class label, or with `--output predict_proba` the K class probabilities
//! comma-separated in the model's `classes` order.
//!
//! CSV is streamed: read in chunks of whole records (`csv_chunks`), parsed, predicted and
//! printed on every core and written in input order (`pipeline`), so a file of any size
//! scores in the same memory. A bad row stops the run with an error naming it; the lines
//! of the rows before it have been written (and no line of any row after it).
//! `--scaling per-request` fits its scaler on all rows, so it reads the whole input first
//! and writes nothing on an error, as one request would.
//!
//! Parquet (`parquet_io`) comes in as rows a chunk at a time and goes through the same
//! pipeline; the output is text lines (`TextSink`) or a Parquet file (`ParquetSink`).

mod csv_chunks;
mod format;
mod parquet_footer;
mod parquet_io;
mod parquet_pages;
mod parquet_thrift;
mod pipeline;

use std::io::{self, Read, Write};
use std::path::Path;

use predictor::payload::{self, Output};
use predictor::{columns, Model, PredictError, Predictions, Scaling};

use crate::cli::PredictArgs;
use crate::error::HostError;
use csv_chunks::{Chunker, Layout, CHUNK_BYTES};
use format::{push_lines, LabelTexts};
use pipeline::{ChunkInput, Plan, RowFailure, Source};

/// Why a batch stopped.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Input the model refuses.
    #[error(transparent)]
    Input(#[from] PredictError),
    #[error("{0}")]
    Read(#[source] io::Error),
    #[error("cannot write the output: {0}")]
    Write(#[source] io::Error),
    /// A Parquet input that cannot be read.
    #[error("{0}")]
    Parquet(String),
    /// A Parquet output that cannot be written.
    #[error("{0}")]
    ParquetOut(String),
}

/// Where predictions go: text lines (or the JSON response of a JSON payload).
pub trait Sink {
    /// Whether chunks come as formatted text (`write_text`) rather than predictions.
    fn wants_text(&self) -> bool;
    fn write_text(&mut self, text: &[u8]) -> Result<(), BatchError>;
    fn write_predictions(&mut self, predictions: &Predictions) -> Result<(), BatchError>;
    /// Called once at the end, also after an error (what was written stays written).
    fn finish(&mut self) -> Result<(), BatchError>;
}

/// Text output: one line per row.
pub struct TextSink<W> {
    out: W,
    labels: LabelTexts,
}

impl<W: Write> TextSink<W> {
    pub fn new(model: &Model, out: W) -> Self {
        TextSink {
            out,
            labels: LabelTexts::new(model),
        }
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn wants_text(&self) -> bool {
        true
    }

    fn write_text(&mut self, text: &[u8]) -> Result<(), BatchError> {
        self.out.write_all(text).map_err(BatchError::Write)
    }

    fn write_predictions(&mut self, predictions: &Predictions) -> Result<(), BatchError> {
        let mut text = Vec::new();
        push_lines(&mut text, &self.labels, predictions);
        self.write_text(&text)
    }

    fn finish(&mut self) -> Result<(), BatchError> {
        self.out.flush().map_err(BatchError::Write)
    }
}

/// How `score` tells the input's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// JSON when the first non-blank byte opens an object or array, CSV otherwise.
    Auto,
    Csv,
    Json,
}

/// `host predict`: reads the input (a file, or `-` for stdin) and writes the predictions
/// for `--output` (`predict` or `predict_proba`) to stdout or `--output-file`.
pub fn run(model: &Model, args: &PredictArgs) -> Result<(), HostError> {
    let output = Output::for_model(Some(&args.output), model)?;
    let input = args.input.as_path();
    let stdin = input.as_os_str() == "-";
    let read_error = |source: io::Error| {
        if stdin {
            HostError::ReadStdin(source)
        } else {
            HostError::ReadInput {
                path: input.to_path_buf(),
                source,
            }
        }
    };
    let named_parquet = |path: &Path| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    };
    let parquet_in = match args.input_format.as_str() {
        "parquet" => true,
        "auto" => !stdin && named_parquet(input),
        _ => false,
    };
    let parquet_out = match args.output_format.as_deref() {
        Some(format) => format == "parquet",
        None => args.output_file.as_deref().is_some_and(named_parquet),
    };
    let format = match args.input_format.as_str() {
        "csv" => TextFormat::Csv,
        "json" => TextFormat::Json,
        _ => TextFormat::Auto,
    };
    let out: Box<dyn Write + Send> = match &args.output_file {
        Some(path) => Box::new(io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(path).map_err(|source| HostError::CreateOutput {
                path: path.clone(),
                source,
            })?,
        )),
        None => Box::new(io::stdout()),
    };
    let mut sink: Box<dyn Sink> = if parquet_out {
        Box::new(
            parquet_io::ParquetSink::new(model, output == Output::PredictProba, out)
                .map_err(|e| HostError::Parquet(format!("Parquet output: {e}")))?,
        )
    } else {
        Box::new(TextSink::new(model, out))
    };
    let scaling = args.model.scaling;
    let result = if parquet_in {
        let source = if stdin {
            let mut bytes = Vec::new();
            io::stdin().read_to_end(&mut bytes).map_err(read_error)?;
            parquet_io::ParquetSource::open(model, bytes::Bytes::from(bytes))
                .map(|s| Box::new(s) as Box<dyn Source>)
        } else {
            let file = std::fs::File::open(input).map_err(read_error)?;
            parquet_io::ParquetSource::open(model, file).map(|s| Box::new(s) as Box<dyn Source>)
        };
        source.and_then(|mut source| score_rows(model, scaling, output, &mut *source, &mut *sink))
    } else {
        let reader: Box<dyn Read> = if stdin {
            Box::new(io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(input).map_err(read_error)?)
        };
        score(model, scaling, output, format, reader, &mut *sink)
    };
    // What was written stays written, and a Parquet output is closed (a valid file of the
    // rows before an error).
    let finished = sink.finish();
    let where_ = |what: &str| {
        if stdin {
            format!("Parquet {what} (standard input)")
        } else {
            format!("Parquet {what} {}", input.display())
        }
    };
    match result.and(finished) {
        Ok(_) => Ok(()),
        Err(BatchError::Input(e)) => Err(HostError::Input(e)),
        Err(BatchError::Read(e)) => Err(read_error(e)),
        Err(BatchError::Write(e)) => Err(HostError::WriteOutput(e)),
        Err(BatchError::Parquet(e)) => Err(HostError::Parquet(format!("{}: {e}", where_("input")))),
        Err(BatchError::ParquetOut(e)) => Err(HostError::Parquet(format!("Parquet output: {e}"))),
    }
}

/// Scores rows already read (Parquet) into `sink`: streamed with training scaling, all at
/// once with per-request scaling (its scaler is fitted on every row).
fn score_rows(
    model: &Model,
    scaling: Scaling,
    output: Output,
    source: &mut dyn Source,
    sink: &mut dyn Sink,
) -> Result<usize, BatchError> {
    let plan = Plan {
        model,
        scaling,
        proba: output == Output::PredictProba,
        layout: Layout {
            n_fields: 0,
            position: Vec::new(),
        },
        text: sink.wants_text(),
        labels: LabelTexts::new(model),
    };
    let rows = match scaling {
        Scaling::Training => pipeline::run(&plan, source, sink, false)?,
        Scaling::PerRequest => {
            let mut rows = Vec::new();
            while let Some(chunk) = source.next_chunk()? {
                if let ChunkInput::Rows(chunk) = chunk {
                    rows.extend_from_slice(&chunk);
                }
            }
            if !rows.is_empty() {
                let predictions = model.predict_batch(&rows, scaling, plan.proba)?;
                sink.write_predictions(&predictions)?;
            }
            rows.len() / model.n_features().max(1)
        }
    };
    if rows == 0 {
        return Err(PredictError::EmptyPayload.into());
    }
    Ok(rows)
}

/// `predict_output_text` for `Output::Predict`.
pub fn predict_text(model: &Model, scaling: Scaling, bytes: &[u8]) -> Result<String, PredictError> {
    predict_output_text(model, scaling, Output::Predict, bytes)
}

/// What `host predict` prints for `bytes` (the whole of it, or the error): JSON when the
/// first non-blank byte opens an object or array, CSV otherwise.
pub fn predict_output_text(
    model: &Model,
    scaling: Scaling,
    output: Output,
    bytes: &[u8],
) -> Result<String, PredictError> {
    let mut sink = TextSink::new(model, Vec::new());
    match score(model, scaling, output, TextFormat::Auto, bytes, &mut sink) {
        Ok(_) => Ok(String::from_utf8(sink.out).expect("predictions print as UTF-8")),
        Err(BatchError::Input(e)) => Err(e),
        // Neither reading a slice nor writing a Vec fails.
        Err(other) => Err(PredictError::WrongShape(other.to_string())),
    }
}

/// What `host predict` prints for the bytes of a Parquet file, or the one-line error it
/// exits with: the `parquet_batch` fuzz target's entry (the reader on hostile files).
pub fn predict_parquet_text(
    model: &Model,
    scaling: Scaling,
    bytes: Vec<u8>,
) -> Result<String, String> {
    let mut sink = TextSink::new(model, Vec::new());
    parquet_io::ParquetSource::open(model, bytes::Bytes::from(bytes))
        .and_then(|mut source| score_rows(model, scaling, Output::Predict, &mut source, &mut sink))
        .map(|_| String::from_utf8(sink.out).expect("predictions print as UTF-8"))
        .map_err(|e| e.to_string())
}

/// Reads from `reader` until `buf` holds `want` more bytes or the input ends; true at the end.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> Result<bool, BatchError> {
    let before = buf.len();
    reader
        .take(want as u64)
        .read_to_end(buf)
        .map_err(BatchError::Read)?;
    Ok(buf.len() - before < want)
}

/// Scores a JSON payload or a CSV from `reader` into `sink`; the rows written.
pub fn score<R: Read>(
    model: &Model,
    scaling: Scaling,
    output: Output,
    format: TextFormat,
    mut reader: R,
    sink: &mut dyn Sink,
) -> Result<usize, BatchError> {
    let mut buf = Vec::new();
    let mut eof = false;
    // Enough to see the first non-blank byte (JSON or CSV) and the CSV's header record.
    let json = loop {
        eof = eof || fill(&mut reader, &mut buf, CHUNK_BYTES)?;
        let first = buf.iter().find(|b| !b.is_ascii_whitespace()).copied();
        let json = match format {
            TextFormat::Auto => matches!(first, Some(b'{' | b'[')),
            TextFormat::Csv => false,
            TextFormat::Json => true,
        };
        if eof || json {
            break json;
        }
        if first.is_some() && csv_chunks::header_end(&buf).is_some() {
            break false;
        }
    };
    if json {
        if !eof {
            reader.read_to_end(&mut buf).map_err(BatchError::Read)?;
        }
        return score_json(model, scaling, output, &buf, sink);
    }
    let header_len = csv_chunks::header_end(&buf).unwrap_or(buf.len());
    let mut header = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(&buf[..header_len]);
    let headers = header
        .headers()
        .map_err(|e| PredictError::WrongShape(format!("CSV header row: {e}")))?;
    let layout = Layout {
        n_fields: headers.len(),
        position: columns::match_all(model, headers.iter()).map_err(PredictError::from)?,
    };
    let rest = buf[header_len..].to_vec();
    drop(buf);
    let chunk_bytes = csv_chunks::chunk_bytes(model.rows_per_pass(), &rest);
    let chunker = Chunker::new(reader, rest, eof, chunk_bytes);
    let text = sink.wants_text();
    let plan = Plan {
        model,
        scaling,
        proba: output == Output::PredictProba,
        layout,
        text,
        labels: LabelTexts::new(model),
    };
    let rows = match scaling {
        Scaling::PerRequest => score_whole_csv(&plan, chunker, sink)?,
        Scaling::Training => pipeline::run(&plan, &mut CsvSource(chunker), sink, eof)?,
    };
    if rows == 0 {
        return Err(PredictError::EmptyPayload.into());
    }
    Ok(rows)
}

/// The chunks of a CSV's records.
struct CsvSource<R>(Chunker<R>);

impl<R: Read> Source for CsvSource<R> {
    fn next_chunk(&mut self) -> Result<Option<ChunkInput>, BatchError> {
        Ok(self
            .0
            .next_chunk()
            .map_err(BatchError::Read)?
            .map(ChunkInput::Csv))
    }

    fn recycle(&mut self, input: ChunkInput) {
        if let ChunkInput::Csv(bytes) = input {
            self.0.recycle(bytes);
        }
    }
}

/// Per-request scaling: every row is read, then all are predicted as one request (the
/// first bad cell refused before any prediction, as `POST /predict` would).
fn score_whole_csv<R: Read>(
    plan: &Plan<'_>,
    chunker: Chunker<R>,
    sink: &mut dyn Sink,
) -> Result<usize, BatchError> {
    let bytes = chunker.read_all().map_err(BatchError::Read)?;
    let mut rows = Vec::new();
    if let Err((row, error)) = csv_chunks::parse_chunk(&bytes, &plan.layout, &mut rows) {
        return Err(pipeline::error_at(row, RowFailure::Record(error), plan.model).into());
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let predictions = plan.model.predict_batch(&rows, plan.scaling, plan.proba)?;
    sink.write_predictions(&predictions)?;
    Ok(rows.len() / plan.model.n_features().max(1))
}

/// A /predict JSON payload: the JSON response, as the server answers it.
fn score_json(
    model: &Model,
    scaling: Scaling,
    output: Output,
    bytes: &[u8],
    sink: &mut dyn Sink,
) -> Result<usize, BatchError> {
    let rows = payload::decode(bytes, model, usize::MAX)?;
    let predictions = payload::predict(model, rows.view(), scaling, output)?;
    if sink.wants_text() {
        let mut body = payload::encode_predictions(model, &predictions);
        body.push(b'\n');
        sink.write_text(&body)?;
    } else {
        sink.write_predictions(&predictions)?;
    }
    Ok(rows.nrows())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<String, String> {
        predict_text(Model::embedded(), Scaling::Training, text.as_bytes())
            .map_err(|e| e.to_string())
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
        let short = csv("CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,6.575,296,15.3,396.9,4.98\n0,6.575\n");
        assert_eq!(
            short.unwrap_err(),
            "CSV row 1: found record with 2 fields, but the header has 6 fields"
        );
    }

    /// The first bad row is the error, whichever kind of fault comes first.
    #[test]
    fn the_first_bad_row_is_named() {
        let text = "CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,6.575,296,15.3,396.9,4.98\n\
                    0,,296,15.3,396.9,4.98\n0,x,296,15.3,396.9,4.98\n";
        assert!(csv(text)
            .unwrap_err()
            .starts_with("row 1: value for RM is missing"));
        // Per-request scaling reads every cell before predicting, as one request.
        let per_request = predict_text(Model::embedded(), Scaling::PerRequest, text.as_bytes());
        assert_eq!(
            per_request.unwrap_err().to_string(),
            "row 2: value for RM is not a number (got \"x\")"
        );
    }
}
