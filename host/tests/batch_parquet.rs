//! `host predict` on Parquet as a user runs it: a file written by pyarrow (committed,
//! tools/parquet_fixture) prints scikit-learn's golden predictions; every column type the
//! model takes reads as the same rows in CSV do; Parquet output reads back to the same
//! bits; a null, a missing or mistyped column and a corrupt file exit 2 with one line.

mod common;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, FloatType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::Type;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/boston_golden.parquet"
);

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("host-parquet-{}-{name}", std::process::id()))
}

fn host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host"))
        .arg("predict")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn printed_bits(stdout: &[u8]) -> Vec<u64> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse::<f64>().unwrap().to_bits())
        .collect()
}

/// Every value of a file's `predict` column (float64), as bits.
fn read_predict_column(path: &Path) -> Vec<u64> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    assert_eq!(schema.num_columns(), 1);
    assert_eq!(schema.column(0).name(), "predict");
    reader
        .get_row_iter(None)
        .unwrap()
        .map(
            |row| match row.unwrap().get_column_iter().next().unwrap().1 {
                Field::Double(x) => x.to_bits(),
                other => panic!("{other:?}"),
            },
        )
        .collect()
}

#[track_caller]
fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{needle}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
}

#[test]
fn a_pyarrow_file_prints_scikit_learns_predictions() {
    let golden = golden::training();
    let out = host(&[FIXTURE]);
    let stdout = common::stdout_of_success(&out);
    assert_eq!(printed_bits(stdout.as_bytes()), golden.prediction_bits);
    // The same from standard input, named by --input-format.
    let out = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["predict", "--input-format", "parquet", "-"])
        .stdin(File::open(FIXTURE).unwrap())
        .output()
        .unwrap();
    assert_eq!(printed_bits(&out.stdout), golden.prediction_bits);
}

#[test]
fn parquet_output_reads_back_to_the_same_bits() {
    let golden = golden::training();
    let path = temp("out.parquet");
    let out = host(&[FIXTURE, "--output-file", path.to_str().unwrap()]);
    common::stdout_of_success(&out);
    assert!(out.stdout.is_empty());
    assert_eq!(read_predict_column(&path), golden.prediction_bits);
    // CSV in, Parquet out (chosen by --output-format, written to stdout).
    let csv = temp("in.csv");
    let mut text = String::from("CHAS,RM,TAX,PTRATIO,B,LSTAT\n");
    for row in &golden.rows {
        let cells: Vec<String> = row.iter().map(f64::to_string).collect();
        text += &(cells.join(",") + "\n");
    }
    std::fs::write(&csv, text).unwrap();
    let out = host(&[csv.to_str().unwrap(), "--output-format", "parquet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&path, &out.stdout).unwrap();
    assert_eq!(read_predict_column(&path), golden.prediction_bits);
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&csv).unwrap();
}

/// A column of a test file.
enum Values {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    /// Nullable float64.
    OptF64(Vec<Option<f64>>),
    Str(Vec<String>),
}

/// Writes `columns` as a Parquet file of row groups of `group_rows` rows, with the
/// parquet crate.
fn write_parquet(path: &Path, columns: &[(&str, Values)], group_rows: usize) {
    let fields = columns
        .iter()
        .map(|(name, values)| {
            let (physical, logical, repetition) = match values {
                Values::F64(_) => (PhysicalType::DOUBLE, None, Repetition::REQUIRED),
                Values::F32(_) => (PhysicalType::FLOAT, None, Repetition::REQUIRED),
                Values::I32(_) => (PhysicalType::INT32, None, Repetition::REQUIRED),
                Values::I64(_) => (PhysicalType::INT64, None, Repetition::REQUIRED),
                Values::OptF64(_) => (PhysicalType::DOUBLE, None, Repetition::OPTIONAL),
                Values::Str(_) => (
                    PhysicalType::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::REQUIRED,
                ),
            };
            Arc::new(
                Type::primitive_type_builder(name, physical)
                    .with_repetition(repetition)
                    .with_logical_type(logical)
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    let schema = Arc::new(
        Type::group_type_builder("test")
            .with_fields(fields)
            .build()
            .unwrap(),
    );
    let mut writer = SerializedFileWriter::new(
        File::create(path).unwrap(),
        schema,
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    let n = match &columns[0].1 {
        Values::F64(v) => v.len(),
        Values::F32(v) => v.len(),
        Values::I32(v) => v.len(),
        Values::I64(v) => v.len(),
        Values::OptF64(v) => v.len(),
        Values::Str(v) => v.len(),
    };
    for start in (0..n).step_by(group_rows) {
        let r = start..(start + group_rows).min(n);
        let mut group = writer.next_row_group().unwrap();
        let mut j = 0;
        while let Some(mut column) = group.next_column().unwrap() {
            match &columns[j].1 {
                Values::F64(v) => {
                    column
                        .typed::<DoubleType>()
                        .write_batch(&v[r.clone()], None, None)
                }
                Values::F32(v) => {
                    column
                        .typed::<FloatType>()
                        .write_batch(&v[r.clone()], None, None)
                }
                Values::I32(v) => {
                    column
                        .typed::<Int32Type>()
                        .write_batch(&v[r.clone()], None, None)
                }
                Values::I64(v) => {
                    column
                        .typed::<Int64Type>()
                        .write_batch(&v[r.clone()], None, None)
                }
                Values::OptF64(v) => {
                    let defs: Vec<i16> = v[r.clone()]
                        .iter()
                        .map(|x| i16::from(x.is_some()))
                        .collect();
                    let present: Vec<f64> = v[r.clone()].iter().flatten().copied().collect();
                    column
                        .typed::<DoubleType>()
                        .write_batch(&present, Some(&defs), None)
                }
                Values::Str(v) => {
                    let bytes: Vec<ByteArray> = v[r.clone()]
                        .iter()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&bytes, None, None)
                }
            }
            .unwrap();
            column.close().unwrap();
            j += 1;
        }
        group.close().unwrap();
    }
    writer.close().unwrap();
}

/// The golden rows' columns (model order), the first `n` rows.
fn golden_columns(n: usize) -> Vec<Vec<f64>> {
    let golden = golden::training();
    (0..6)
        .map(|j| golden.rows.iter().take(n).map(|row| row[j]).collect())
        .collect()
}

/// Every type the model takes reads as the same numbers in CSV do; rows of many row groups
/// and chunks come out in order.
#[test]
fn every_numeric_column_type_reads_as_its_csv_does() {
    let c = golden_columns(5000);
    // Column values in the types' ranges (CHAS is 0/1; TAX an integer; RM as float32).
    let chas: Vec<i32> = c[0].iter().map(|&x| (x != 0.0) as i32).collect();
    let rm: Vec<f32> = c[1].iter().map(|&x| x.clamp(0.0, 100.0) as f32).collect();
    let tax: Vec<i64> = c[2]
        .iter()
        .map(|&x| x.clamp(0.0, 1000.0).round() as i64)
        .collect();
    let path = temp("types.parquet");
    write_parquet(
        &path,
        &[
            ("LSTAT", Values::F64(c[5].clone())),
            ("RM", Values::F32(rm.clone())),
            ("CHAS", Values::I32(chas.clone())),
            ("TAX", Values::I64(tax.clone())),
            (
                "PTRATIO",
                Values::OptF64(c[3].iter().map(|&x| Some(x)).collect()),
            ),
            ("B", Values::F64(c[4].clone())),
        ],
        1500,
    );
    let from_parquet = host(&[path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    let mut csv = String::from("CHAS,RM,TAX,PTRATIO,B,LSTAT\n");
    for i in 0..5000 {
        csv += &format!(
            "{},{},{},{},{},{}\n",
            chas[i],
            f64::from(rm[i]),
            tax[i],
            c[3][i],
            c[4][i],
            c[5][i]
        );
    }
    let from_csv = common::host_predict(&["-"], &csv);
    let expected = common::stdout_of_success(&from_csv);
    assert_eq!(expected.lines().count(), 5000);
    assert_eq!(common::stdout_of_success(&from_parquet), expected);
}

#[test]
fn a_null_is_a_missing_value_named_with_its_row() {
    let c = golden_columns(5000);
    let mut rm: Vec<Option<f64>> = c[1].iter().map(|&x| Some(x)).collect();
    rm[3001] = None;
    rm[4000] = None;
    let path = temp("null.parquet");
    write_parquet(
        &path,
        &[
            ("CHAS", Values::F64(c[0].clone())),
            ("RM", Values::OptF64(rm)),
            ("TAX", Values::F64(c[2].clone())),
            ("PTRATIO", Values::F64(c[3].clone())),
            ("B", Values::F64(c[4].clone())),
            ("LSTAT", Values::F64(c[5].clone())),
        ],
        1000,
    );
    let out = host(&[path.to_str().unwrap()]);
    assert_one_line_error(&out, "row 3001: value for RM is missing");
    let golden = golden::training();
    assert_eq!(printed_bits(&out.stdout), golden.prediction_bits[..3001]);
    // A Parquet output is closed as a valid file of the rows before the bad one.
    let written = temp("null-out.parquet");
    let out = host(&[
        path.to_str().unwrap(),
        "--output-file",
        written.to_str().unwrap(),
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_one_line_error(&out, "row 3001: value for RM is missing");
    assert_eq!(
        read_predict_column(&written),
        golden.prediction_bits[..3001]
    );
    std::fs::remove_file(&written).unwrap();
}

#[test]
fn a_missing_or_mistyped_column_or_a_corrupt_file_exits_2_with_one_line() {
    let c = golden_columns(100);
    let path = temp("bad.parquet");
    let numeric = |j: usize| Values::F64(c[j].clone());
    let cases: Vec<(Vec<(&str, Values)>, &str)> = vec![
        (
            vec![
                ("CHAS", numeric(0)),
                ("RM", numeric(1)),
                ("TAX", numeric(2)),
            ],
            "column PTRATIO is missing",
        ),
        (
            vec![
                ("CHAS", numeric(0)),
                ("RM", numeric(1)),
                ("TAX", numeric(2)),
                ("PTRATIO", numeric(3)),
                ("B", numeric(4)),
                (
                    "LSTAT",
                    Values::Str(c[5].iter().map(|x| x.to_string()).collect()),
                ),
            ],
            "column LSTAT is BYTE_ARRAY",
        ),
        (
            vec![
                ("CHAS", numeric(0)),
                ("RM", numeric(1)),
                ("TAX", numeric(2)),
                ("PTRATIO", numeric(3)),
                ("B", numeric(4)),
                ("LSTAT", numeric(5)),
                ("ZN", numeric(5)),
            ],
            "unknown column \"ZN\"",
        ),
    ];
    for (columns, needle) in cases {
        write_parquet(&path, &columns, 50);
        assert_one_line_error(&host(&[path.to_str().unwrap()]), needle);
    }
    // Not Parquet at all, and a Parquet file cut short.
    let fixture = std::fs::read(FIXTURE).unwrap();
    for bytes in [
        b"CHAS,RM\n0,1\n".to_vec(),
        fixture[..fixture.len() / 2].to_vec(),
    ] {
        std::fs::write(&path, bytes).unwrap();
        let out = host(&[path.to_str().unwrap()]);
        assert_one_line_error(&out, "Parquet input");
        assert!(out.stdout.is_empty());
    }
    // A page cut in the middle: the footer is intact, the data is not.
    let mut damaged = fixture.clone();
    for b in &mut damaged[100..2000] {
        *b = 0xA5;
    }
    std::fs::write(&path, damaged).unwrap();
    let out = host(&[path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

/// Found by the `parquet_batch` fuzz target (RELIABILITY.md): a column chunk at a negative
/// offset made the `parquet` crate panic (`byte_range`'s assertion), exit 101 and a
/// backtrace. A damaged file is one line and exit 2, from a file and from stdin.
#[test]
fn a_column_chunk_outside_the_file_is_one_line_not_a_panic() {
    let damaged = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz_negative_chunk_offset.parquet"
    );
    assert_one_line_error(
        &host(&[damaged]),
        "row group 0: column \"TAX\" at offset -215 with 102 bytes, outside the file's 1485 bytes",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["predict", "--input-format", "parquet", "-"])
        .stdin(File::open(damaged).unwrap())
        .output()
        .unwrap();
    assert_one_line_error(&out, "the file's metadata is damaged");
}

/// Found by the `parquet_batch` fuzz target with a dictionary-encoded page without its
/// dictionary (the `parquet` crate panicked: `Decoder for dict should have been set`). The
/// same mutation typed a footer field as a boolean, and the footer check
/// (parquet_footer.rs), which reads the footer before the crate does, refuses that first.
/// The crate's panics are caught all the same (`guarded`, unit-tested in parquet_io.rs).
#[test]
fn a_damaged_page_header_is_one_line_not_a_backtrace() {
    let damaged = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz_dictionary_page_missing.parquet"
    );
    let out = host(&[damaged]);
    assert_one_line_error(
        &out,
        "the file's footer is damaged: FileMetaData field 4: RowGroup field 1: ColumnChunk \
         field 3: ColumnMetaData field 10 has wire type bool, the format says i64",
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// Found by the `parquet_batch` fuzz target (session 7): a 3.8 KB footer whose skipped
/// `path_in_schema` is a list claiming 2^31 booleans, which the `parquet` crate skips as
/// no bytes each: 2^31 turns of a loop, about 1 s (and minutes for a larger footer). The
/// footer check refuses the list before the crate reads the footer.
#[test]
fn a_footer_list_claiming_2_31_booleans_is_refused_before_the_crate_loops() {
    let damaged = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz_footer_claims_2_31_booleans.parquet"
    );
    assert_one_line_error(
        &host(&[damaged]),
        "the file's footer is damaged: FileMetaData field 4: RowGroup field 1: ColumnChunk \
         field 3: ColumnMetaData field 3: a list of binary holds bool elements",
    );
}

/// Found by the `parquet_batch` fuzz target: a 4 KB file whose page claims 1.4 GB
/// uncompressed made the `parquet` crate allocate and zero-fill it (1.39 GB of RSS) before
/// failing on the data. The page check refuses the claim first: one line, exit 2, and the
/// process stays small.
#[test]
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its own peak RSS"
)]
fn a_page_claiming_gigabytes_is_refused_before_it_is_allocated() {
    let damaged = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fuzz_page_claims_1_4_gb.parquet"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["predict", damaged])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    // This child's own peak RSS (wait4), not the test process's other children.
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 2,
        "{status} {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "row group 0, column \"CHAS\": page 0: the page claims 1396538040 bytes \
             uncompressed, over the limit of 268435456 bytes a page (the file is damaged)"
        ),
        "{stderr}"
    );
    let peak_mb = usage.ru_maxrss / 1024;
    assert!(peak_mb < 100, "peak RSS {peak_mb} MB");
}
