//! The streaming scorer: the calling thread reads chunks and writes their results in input
//! order; worker threads (one per core) parse, predict and format chunks. At most
//! `IN_FLIGHT_PER_WORKER` chunks per worker are read and not yet written, so memory stays
//! the same whatever the input's size.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

use predictor::{Model, PredictError, Predictions, Scaling};

use super::csv_chunks::{self, Layout, RecordError};
use super::format::{push_lines, LabelTexts};
use super::{BatchError, Sink};

/// Chunks read ahead per worker: enough that no worker waits for the reader or the writer.
const IN_FLIGHT_PER_WORKER: usize = 3;

/// What a chunk holds when read.
pub enum ChunkInput {
    /// Whole CSV records.
    Csv(Vec<u8>),
    /// Rows already read (row-major, model order; NaN a missing value).
    Rows(Vec<f64>),
}

/// Where chunks come from, in input order.
pub trait Source {
    fn next_chunk(&mut self) -> Result<Option<ChunkInput>, BatchError>;
    /// Takes back a scored chunk's input buffer, to read another chunk into.
    fn recycle(&mut self, _input: ChunkInput) {}
}

/// What is wrong with a row of a chunk.
pub enum RowFailure {
    Record(RecordError),
    Predict(PredictError),
}

/// A scored chunk: its first `rows` rows predicted (all of them unless `failure` names
/// the first bad row).
pub struct Scored {
    rows: usize,
    body: Body,
    failure: Option<(usize, RowFailure)>,
    /// The chunk's input, handed back for reuse.
    input: Option<ChunkInput>,
}

enum Body {
    Text(Vec<u8>),
    Predictions(Option<Predictions>),
}

/// Everything a worker needs to score a chunk.
pub struct Plan<'a> {
    pub model: &'a Model,
    pub scaling: Scaling,
    pub proba: bool,
    /// The CSV's record layout (unused for other inputs).
    pub layout: Layout,
    /// Format lines in the workers (text output) or hand over the predictions.
    pub text: bool,
    pub labels: LabelTexts,
}

impl Plan<'_> {
    /// Scores one chunk. Its rows are predicted up to the first bad one: the first that
    /// does not parse or that the model refuses, so that the error does not depend on
    /// where chunks were cut.
    /// `scratch` is the worker's buffer for parsed rows, and `text` its output's.
    pub fn score(&self, input: ChunkInput, scratch: &mut Vec<f64>, mut text: Vec<u8>) -> Scored {
        let mut failure = None;
        scratch.clear();
        let rows: &[f64] = match &input {
            ChunkInput::Csv(bytes) => {
                if let Err((row, error)) = csv_chunks::parse_chunk(bytes, &self.layout, scratch) {
                    failure = Some((row, RowFailure::Record(error)));
                }
                scratch
            }
            ChunkInput::Rows(rows) => rows,
        };
        let width = self.model.n_features().max(1);
        let mut n = rows.len() / width;
        let mut predictions = None;
        while n > 0 {
            match self
                .model
                .predict_batch(&rows[..n * width], self.scaling, self.proba)
            {
                Ok(p) => {
                    predictions = Some(p);
                    break;
                }
                Err(error) => {
                    // The rows before the one named may still hold an earlier bad row
                    // (the model checks one kind of fault at a time): try them again.
                    let at = row_of(&error).filter(|&r| r < n).unwrap_or(0);
                    failure = Some((at, RowFailure::Predict(error)));
                    n = at;
                }
            }
        }
        let body = if self.text {
            text.clear();
            if let Some(p) = &predictions {
                push_lines(&mut text, &self.labels, p);
            }
            Body::Text(text)
        } else {
            Body::Predictions(predictions)
        };
        Scored {
            rows: n,
            body,
            failure,
            input: Some(input),
        }
    }
}

/// The row an error of `predict_batch` names, in its batch.
fn row_of(error: &PredictError) -> Option<usize> {
    match error {
        PredictError::InvalidCell { row, .. } | PredictError::MissingCell { row, .. } => {
            row.parse().ok()
        }
        _ => None,
    }
}

/// The error of `failure`, naming its row as `row` of the whole input.
pub fn error_at(row: usize, failure: RowFailure, model: &Model) -> PredictError {
    match failure {
        RowFailure::Record(RecordError::Fields { found, expected }) => PredictError::WrongShape(
            format!("CSV row {row}: found record with {found} fields, but the header has {expected} fields"),
        ),
        RowFailure::Record(RecordError::Cell { column, reason }) => PredictError::InvalidCell {
            row: row.to_string(),
            column: model.feature(column).to_string(),
            reason,
        },
        RowFailure::Predict(PredictError::InvalidCell { column, reason, .. }) => {
            PredictError::InvalidCell {
                row: row.to_string(),
                column,
                reason,
            }
        }
        RowFailure::Predict(PredictError::MissingCell { column, .. }) => {
            PredictError::MissingCell {
                row: row.to_string(),
                column,
            }
        }
        RowFailure::Predict(other) => other,
    }
}

/// Writes scored chunks in input order and counts the rows written.
struct Ordered<'s, 'p> {
    sink: &'s mut dyn Sink,
    plan: &'p Plan<'p>,
    waiting: BTreeMap<usize, Scored>,
    next: usize,
    rows: usize,
    /// Output buffers already written, for the next chunks.
    spare_text: Vec<Vec<u8>>,
}

impl Ordered<'_, '_> {
    fn put(
        &mut self,
        seq: usize,
        mut scored: Scored,
        source: &mut dyn Source,
    ) -> Result<(), BatchError> {
        if let Some(input) = scored.input.take() {
            source.recycle(input);
        }
        self.waiting.insert(seq, scored);
        while let Some(scored) = self.waiting.remove(&self.next) {
            self.next += 1;
            match scored.body {
                Body::Text(text) => {
                    self.sink.write_text(&text)?;
                    if self.spare_text.len() < 32 {
                        self.spare_text.push(text);
                    }
                }
                Body::Predictions(Some(p)) => self.sink.write_predictions(&p)?,
                Body::Predictions(None) => {}
            }
            let first = self.rows;
            self.rows += scored.rows;
            if let Some((at, failure)) = scored.failure {
                return Err(BatchError::Input(error_at(
                    first + at,
                    failure,
                    self.plan.model,
                )));
            }
        }
        Ok(())
    }
}

/// Scores every chunk of `source` into `sink`, in order: on all cores, or on this thread
/// alone when `source` is known to hold one chunk (`single`). Returns the rows written; on
/// a bad row, the rows before it are written and the error names it.
pub fn run(
    plan: &Plan<'_>,
    source: &mut dyn Source,
    sink: &mut dyn Sink,
    single: bool,
) -> Result<usize, BatchError> {
    let mut ordered = Ordered {
        sink,
        plan,
        waiting: BTreeMap::new(),
        next: 0,
        rows: 0,
        spare_text: Vec::new(),
    };
    let workers = if single {
        0
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    if workers == 0 {
        let (mut seq, mut scratch) = (0, Vec::new());
        while let Some(input) = source.next_chunk()? {
            let text = ordered.spare_text.pop().unwrap_or_default();
            ordered.put(seq, plan.score(input, &mut scratch, text), source)?;
            seq += 1;
        }
        return Ok(ordered.rows);
    }
    let limit = workers * IN_FLIGHT_PER_WORKER;
    let stop = AtomicBool::new(false);
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, ChunkInput, Vec<u8>)>(limit);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Scored)>();
    std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (job_rx, stop) = (&job_rx, &stop);
            handles.push(scope.spawn(move || {
                let mut scratch = Vec::new();
                loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, input, text))) = job else {
                        break;
                    };
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let scored =
                        catch_unwind(AssertUnwindSafe(|| plan.score(input, &mut scratch, text)))
                            .unwrap_or_else(|_| Scored {
                                rows: 0,
                                body: Body::Predictions(None),
                                failure: Some((
                                    0,
                                    RowFailure::Predict(PredictError::WrongShape(
                                        "internal error while scoring a chunk".to_string(),
                                    )),
                                )),
                                input: None,
                            });
                    if done_tx.send((seq, scored)).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(done_tx);
        let result = (|| {
            let mut in_flight = 0;
            let mut seq = 0;
            let receive =
                |ordered: &mut Ordered<'_, '_>, source: &mut dyn Source, in_flight: &mut usize| {
                    let (seq, scored) = done_rx.recv().expect("a worker answers every chunk");
                    *in_flight -= 1;
                    ordered.put(seq, scored, source)
                };
            while let Some(input) = source.next_chunk()? {
                while in_flight >= limit {
                    receive(&mut ordered, source, &mut in_flight)?;
                }
                let text = ordered.spare_text.pop().unwrap_or_default();
                job_tx
                    .send((seq, input, text))
                    .expect("the workers run until the chunks end");
                seq += 1;
                in_flight += 1;
                while let Ok((seq, scored)) = done_rx.try_recv() {
                    in_flight -= 1;
                    ordered.put(seq, scored, source)?;
                }
            }
            while in_flight > 0 {
                receive(&mut ordered, source, &mut in_flight)?;
            }
            Ok(ordered.rows)
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        drop(job_tx);
        // Joined here, not left to the scope: the scope returns once each worker's closure
        // has returned, while its thread may still be running its thread-locals'
        // destructors; a join waits for the thread itself. Under AddressSanitizer one such
        // thread's destructor list (32 bytes, `__cxa_thread_atexit_impl`) was reported as a
        // leak after 171,538 `parquet_batch` runs, and did not come back when that input
        // ran alone.
        for handle in handles {
            // A worker's panics are caught in it; a join error would be one anyway.
            let _ = handle.join();
        }
        result
    })
}
