//! Parquet in and out for `host predict`, over the `parquet` crate's column API (no
//! Arrow: it would double the binary). Input columns are matched by name as a CSV header
//! is; float64, float32, integer and boolean columns are read as float64 (a null is a
//! missing value), a few thousand rows at a time, row group by row group, so a file of
//! any size is scored in the same memory. Output is one column `predict` (float64, or the
//! class labels' type), or with `--output predict_proba` one float64 column per class,
//! named after it, written a row group at a time.

use std::cell::Cell;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Once};

use parquet::basic::{ConvertedType, LogicalType, Repetition, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, FileReader, Length, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnDescriptor, Type};
use predictor::{columns, Label, LabelKind, Model, PredictError, Predictions};

use super::parquet_footer::check_footer;
use super::parquet_pages::check_pages;
use super::pipeline::{ChunkInput, Source};
use super::BatchError;

/// Rows read per chunk, or the model's `rows_per_pass` when that is more.
const CHUNK_ROWS: usize = 8192;
/// Values (rows x columns) buffered before a row group is written.
const ROW_GROUP_VALUES: usize = 1 << 20;

/// The crate's message on one line, whatever it holds.
fn one_line(e: parquet::errors::ParquetError) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn parquet_error(e: parquet::errors::ParquetError) -> BatchError {
    BatchError::Parquet(one_line(e))
}

fn output_error(e: parquet::errors::ParquetError) -> BatchError {
    BatchError::ParquetOut(one_line(e))
}

/// How one input column becomes float64.
#[derive(Clone, Copy)]
enum Kind {
    Double,
    Float,
    Int32 { signed: bool },
    Int64 { signed: bool },
    Bool,
}

/// What the model takes of a column `column`, or the error naming what it is.
fn kind_of(column: &ColumnDescriptor) -> Result<Kind, PredictError> {
    let refuse = |what: String| {
        PredictError::WrongShape(format!(
            "column {} is {what}; the model takes float64, float32, integer or boolean columns",
            column.name()
        ))
    };
    if column.max_rep_level() > 0 || column.path().parts().len() != 1 {
        return Err(refuse("a nested or repeated column".to_string()));
    }
    let logical = column.logical_type_ref();
    let converted = column.converted_type();
    let integer = |physical: &str| -> Result<bool, PredictError> {
        match (logical, converted) {
            (Some(LogicalType::Integer(int)), _) => Ok(int.is_signed),
            (None, ConvertedType::NONE) => Ok(true),
            (
                None,
                ConvertedType::INT_8
                | ConvertedType::INT_16
                | ConvertedType::INT_32
                | ConvertedType::INT_64,
            ) => Ok(true),
            (
                None,
                ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64,
            ) => Ok(false),
            (Some(l), _) => Err(refuse(format!("{physical} ({l:?})"))),
            (None, c) => Err(refuse(format!("{physical} ({c})"))),
        }
    };
    let plain = |kind: Kind, physical: &str| match logical {
        None => Ok(kind),
        Some(l) => Err(refuse(format!("{physical} ({l:?})"))),
    };
    match column.physical_type() {
        PhysicalType::DOUBLE => plain(Kind::Double, "DOUBLE"),
        PhysicalType::FLOAT => plain(Kind::Float, "FLOAT"),
        PhysicalType::BOOLEAN => plain(Kind::Bool, "BOOLEAN"),
        PhysicalType::INT32 => Ok(Kind::Int32 {
            signed: integer("INT32")?,
        }),
        PhysicalType::INT64 => Ok(Kind::Int64 {
            signed: integer("INT64")?,
        }),
        other => Err(refuse(match logical {
            Some(l) => format!("{other} ({l:?})"),
            None => other.to_string(),
        })),
    }
}

/// The input, shared by the crate's reader and `check_pages`.
struct Shared<R>(Arc<R>);

impl<R: Length> Length for Shared<R> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<R: ChunkReader> ChunkReader for Shared<R> {
    type T = R::T;

    fn get_read(&self, start: u64) -> parquet::errors::Result<R::T> {
        self.0.get_read(start)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.0.get_bytes(start, length)
    }
}

/// The rows of a Parquet file, in model order, a chunk at a time.
pub struct ParquetSource<R: ChunkReader + 'static> {
    input: Arc<R>,
    reader: SerializedFileReader<Shared<R>>,
    /// For each model feature: its leaf column and how it reads.
    columns: Vec<(usize, Kind, i16)>,
    width: usize,
    chunk_rows: usize,
    next_group: usize,
    /// The current row group's column readers (model order) and the rows left in it.
    readers: Vec<ColumnReader>,
    left: usize,
}

impl<R: ChunkReader + 'static> ParquetSource<R> {
    pub fn open(model: &Model, input: R) -> Result<Self, BatchError> {
        let file_len = input.len();
        check_footer(&input)
            .map_err(|why| BatchError::Parquet(format!("the file's footer is damaged: {why}")))?;
        let input = Arc::new(input);
        let shared = Shared(input.clone());
        let reader = guarded(|| SerializedFileReader::new(shared).map_err(parquet_error))?;
        check_chunks(reader.metadata(), file_len)?;
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let names: Vec<&str> = schema
            .root_schema()
            .get_fields()
            .iter()
            .map(|f| f.name())
            .collect();
        let position =
            columns::match_all(model, names.iter().copied()).map_err(PredictError::from)?;
        let mut columns = Vec::with_capacity(position.len());
        for &field in &position {
            let name = names[field];
            // The leaf of a top-level field of that name; a group has none of its own.
            let leaf =
                (0..schema.num_columns()).find(|&i| schema.column(i).path().parts() == [name]);
            let Some(leaf) = leaf else {
                return Err(PredictError::WrongShape(format!(
                    "column {name} is a nested or repeated column; the model takes float64, \
                     float32, integer or boolean columns"
                ))
                .into());
            };
            let descriptor = schema.column(leaf);
            columns.push((leaf, kind_of(&descriptor)?, descriptor.max_def_level()));
        }
        Ok(ParquetSource {
            input,
            reader,
            width: columns.len(),
            chunk_rows: CHUNK_ROWS.max(model.rows_per_pass()),
            columns,
            next_group: 0,
            readers: Vec::new(),
            left: 0,
        })
    }
}

thread_local! {
    /// Set while this thread runs the `parquet` crate under `guarded`.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` (the `parquet` crate reading the input), turning a panic into an error. The
/// crate asserts on some damaged files rather than returning an error (the
/// `parquet_batch` fuzz target found `Decoder for dict should have been set`, a dictionary-
/// encoded page without a dictionary page), and a damaged file must be one line and exit
/// 2. The panic hook stays silent for such a panic (it is reported as the error) and
/// prints every other as before.
fn guarded<T>(read: impl FnOnce() -> Result<T, BatchError>) -> Result<T, BatchError> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.get() {
                previous(info);
            }
        }));
    });
    let outer = GUARDED.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    GUARDED.set(outer);
    result.unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(BatchError::Parquet(format!(
            "the file is damaged: the Parquet reader failed ({})",
            why.replace('\n', " ")
        )))
    })
}

/// Refuses metadata the `parquet` crate would panic on or misread: a column chunk whose
/// offset or size is negative (`ColumnChunkMetaData::byte_range` asserts; found by the
/// `parquet_batch` fuzz target) or that ends past the file, a negative row count.
fn check_chunks(metadata: &ParquetMetaData, file_len: u64) -> Result<(), BatchError> {
    for (g, group) in metadata.row_groups().iter().enumerate() {
        let damaged = |what: String| {
            BatchError::Parquet(format!(
                "row group {g}: {what} (the file's metadata is damaged)"
            ))
        };
        if group.num_rows() < 0 {
            return Err(damaged(format!("a row count of {}", group.num_rows())));
        }
        for column in group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let len = column.compressed_size();
            let end = u64::try_from(start)
                .ok()
                .zip(u64::try_from(len).ok())
                .and_then(|(start, len)| start.checked_add(len));
            if end.is_none_or(|end| end > file_len) {
                return Err(damaged(format!(
                    "column {} at offset {start} with {len} bytes, outside the file's {file_len} bytes",
                    column.column_path()
                )));
            }
        }
    }
    Ok(())
}

/// Reads `n` records of `reader` as float64 into every `width`-th slot of `rows` from
/// `offset`; a null (definition level below `max_def`) is NaN.
fn read_column(
    reader: &mut ColumnReader,
    kind: Kind,
    max_def: i16,
    n: usize,
    rows: &mut [f64],
    offset: usize,
    width: usize,
) -> Result<(), BatchError> {
    let mut defs = Vec::new();
    let defs_arg = (max_def > 0).then_some(&mut defs);
    macro_rules! read {
        ($reader:expr, $convert:expr) => {{
            let mut values = Vec::with_capacity(n);
            let (records, _, _) = $reader
                .read_records(n, defs_arg, None, &mut values)
                .map_err(parquet_error)?;
            if records != n {
                return Err(BatchError::Parquet(format!(
                    "a row group holds fewer values than its {n} rows"
                )));
            }
            let mut values = values.into_iter().map($convert);
            for i in 0..n {
                let present = max_def == 0 || defs.get(i) == Some(&max_def);
                rows[i * width + offset] = if present {
                    values.next().unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                };
            }
        }};
    }
    match (reader, kind) {
        (ColumnReader::DoubleColumnReader(r), Kind::Double) => read!(r, |v: f64| v),
        (ColumnReader::FloatColumnReader(r), Kind::Float) => read!(r, |v: f32| f64::from(v)),
        (ColumnReader::Int32ColumnReader(r), Kind::Int32 { signed }) => {
            read!(r, |v: i32| if signed {
                f64::from(v)
            } else {
                f64::from(v as u32)
            })
        }
        (ColumnReader::Int64ColumnReader(r), Kind::Int64 { signed }) => {
            read!(r, |v: i64| if signed { v as f64 } else { v as u64 as f64 })
        }
        (ColumnReader::BoolColumnReader(r), Kind::Bool) => {
            read!(r, |v: bool| if v { 1.0 } else { 0.0 })
        }
        _ => {
            return Err(BatchError::Parquet(
                "a column's pages are not of its declared type".to_string(),
            ))
        }
    }
    Ok(())
}

impl<R: ChunkReader + 'static> Source for ParquetSource<R> {
    fn next_chunk(&mut self) -> Result<Option<ChunkInput>, BatchError> {
        guarded(|| self.read_chunk())
    }
}

impl<R: ChunkReader + 'static> ParquetSource<R> {
    fn read_chunk(&mut self) -> Result<Option<ChunkInput>, BatchError> {
        while self.left == 0 {
            if self.next_group == self.reader.num_row_groups() {
                return Ok(None);
            }
            let g = self.next_group;
            let group = self.reader.get_row_group(g).map_err(parquet_error)?;
            for &(leaf, _, _) in &self.columns {
                let column = group.metadata().column(leaf);
                let (range, codec) = (column.byte_range(), column.compression());
                check_pages(&*self.input, range, codec).map_err(|why| {
                    BatchError::Parquet(format!(
                        "row group {g}, column {}: {why} (the file is damaged)",
                        column.column_path()
                    ))
                })?;
            }
            self.next_group += 1;
            self.left = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
            self.readers = self
                .columns
                .iter()
                .map(|&(leaf, _, _)| group.get_column_reader(leaf))
                .collect::<Result<_, _>>()
                .map_err(parquet_error)?;
        }
        let n = self.left.min(self.chunk_rows);
        let mut rows = vec![0.0; n * self.width];
        for (j, reader) in self.readers.iter_mut().enumerate() {
            let (_, kind, max_def) = self.columns[j];
            read_column(reader, kind, max_def, n, &mut rows, j, self.width)?;
        }
        self.left -= n;
        Ok(Some(ChunkInput::Rows(rows)))
    }
}

/// A label's text: a string as it is, anything else as JSON prints it.
fn label_text(label: &Label) -> String {
    match label {
        Label::Str(s) => s.clone(),
        other => serde_json::to_string(other).expect("a label serializes"),
    }
}

/// Predictions written as a Parquet file, a row group per `ROW_GROUP_VALUES` values.
pub struct ParquetSink<'m, W: Write + Send> {
    model: &'m Model,
    writer: Option<SerializedFileWriter<W>>,
    /// Buffered columns, as float64 (labels as class indices).
    columns: Vec<Vec<f64>>,
    labels: Vec<u32>,
    proba: bool,
}

impl<'m, W: Write + Send> ParquetSink<'m, W> {
    pub fn new(model: &'m Model, proba: bool, out: W) -> Result<Self, BatchError> {
        let column = |name: &str, physical: PhysicalType, logical: Option<LogicalType>| {
            Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::REQUIRED)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        };
        let fields = if proba {
            model
                .classes()
                .iter()
                .map(|label| column(&label_text(label), PhysicalType::DOUBLE, None))
                .collect::<Result<Vec<_>, _>>()
        } else {
            let (physical, logical) = match model.classes().first().map(Label::kind) {
                None | Some(LabelKind::Float) => (PhysicalType::DOUBLE, None),
                Some(LabelKind::Int) => (PhysicalType::INT64, None),
                Some(LabelKind::Bool) => (PhysicalType::BOOLEAN, None),
                Some(LabelKind::Str) => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
            };
            column("predict", physical, logical).map(|c| vec![c])
        }
        .map_err(output_error)?;
        let n_columns = fields.len();
        let schema = Type::group_type_builder("predictions")
            .with_fields(fields)
            .build()
            .map_err(output_error)?;
        let properties = WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_created_by(format!("edge predictor host {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
            .map_err(output_error)?;
        Ok(ParquetSink {
            model,
            writer: Some(writer),
            columns: vec![Vec::new(); n_columns],
            labels: Vec::new(),
            proba,
        })
    }

    fn buffered_rows(&self) -> usize {
        self.columns[0].len().max(self.labels.len())
    }

    /// Writes the buffered rows as one row group.
    fn flush_group(&mut self) -> Result<(), BatchError> {
        if self.buffered_rows() == 0 {
            return Ok(());
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        let classes = self.model.classes();
        let mut group = writer.next_row_group().map_err(output_error)?;
        let mut j = 0;
        while let Some(mut column) = group.next_column().map_err(output_error)? {
            let written = if !self.proba && !self.labels.is_empty() {
                let labels = self.labels.iter().map(|&i| &classes[i as usize]);
                match classes.first().map(Label::kind) {
                    Some(LabelKind::Int) => {
                        let values: Vec<i64> = labels
                            .map(|l| if let Label::Int(i) = l { *i } else { 0 })
                            .collect();
                        column.typed::<Int64Type>().write_batch(&values, None, None)
                    }
                    Some(LabelKind::Bool) => {
                        let values: Vec<bool> =
                            labels.map(|l| matches!(l, Label::Bool(true))).collect();
                        column.typed::<BoolType>().write_batch(&values, None, None)
                    }
                    Some(LabelKind::Str) => {
                        let values: Vec<ByteArray> = labels
                            .map(|l| ByteArray::from(label_text(l).as_str()))
                            .collect();
                        column
                            .typed::<ByteArrayType>()
                            .write_batch(&values, None, None)
                    }
                    _ => {
                        let values: Vec<f64> = labels
                            .map(|l| {
                                if let Label::Float(x) = l {
                                    *x
                                } else {
                                    f64::NAN
                                }
                            })
                            .collect();
                        column
                            .typed::<DoubleType>()
                            .write_batch(&values, None, None)
                    }
                }
            } else {
                column
                    .typed::<DoubleType>()
                    .write_batch(&self.columns[j], None, None)
            };
            written.map_err(output_error)?;
            column.close().map_err(output_error)?;
            j += 1;
        }
        group.close().map_err(output_error)?;
        self.columns.iter_mut().for_each(Vec::clear);
        self.labels.clear();
        Ok(())
    }
}

impl<W: Write + Send> super::Sink for ParquetSink<'_, W> {
    fn wants_text(&self) -> bool {
        false
    }

    fn write_text(&mut self, _: &[u8]) -> Result<(), BatchError> {
        unreachable!("a Parquet sink takes predictions")
    }

    fn write_predictions(&mut self, predictions: &Predictions) -> Result<(), BatchError> {
        match predictions {
            Predictions::Values(values) => self.columns[0].extend_from_slice(values),
            Predictions::Classes {
                proba: Some(proba), ..
            } if self.proba => {
                let k = self.columns.len();
                for row in proba.chunks(k) {
                    for (column, &p) in self.columns.iter_mut().zip(row) {
                        column.push(p);
                    }
                }
            }
            Predictions::Classes { labels, .. } => self.labels.extend_from_slice(labels),
        }
        if self.buffered_rows() * self.columns.len() >= ROW_GROUP_VALUES {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), BatchError> {
        self.flush_group()?;
        if let Some(mut writer) = self.writer.take() {
            writer.finish().map_err(output_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic of the crate (a `&str` or a formatted `String`) is the one-line error, and
    /// the thread is no longer marked as guarded after it.
    #[test]
    fn guarded_turns_a_panic_into_one_line() {
        let err = guarded::<()>(|| panic!("Decoder for dict should have been set")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file is damaged: the Parquet reader failed (Decoder for dict should have been set)"
        );
        let err = guarded::<()>(|| panic!("two\nlines {}", 2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file is damaged: the Parquet reader failed (two lines 2)"
        );
        assert!(!GUARDED.get());
        assert_eq!(guarded(|| Ok(7)).unwrap(), 7);
    }
}
