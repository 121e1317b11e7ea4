//! `host predict` streaming CSV as a user runs it, on inputs of many chunks: the
//! predictions are scikit-learn's own (model_data/golden) in input order, and a bad row
//! late in the input stops the run with one line on stderr naming it, after the lines of
//! every row before it (and of none after it).

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The model's columns in another order than the model's (matched by name).
const HEADER: &str = "LSTAT,B,PTRATIO,TAX,RM,CHAS";

/// `row` (model order: CHAS, RM, TAX, PTRATIO, B, LSTAT) as a line in `HEADER`'s order.
fn line(row: &[f64]) -> String {
    let [chas, rm, tax, ptratio, b, lstat] = row else {
        panic!("{row:?}")
    };
    format!("{lstat},{b},{ptratio},{tax},{rm},{chas}\n")
}

/// The golden training rows, `copies` times over (about 300 KB, more than one chunk, per
/// copy), with their golden predictions.
fn golden_csv(copies: usize) -> (Vec<String>, Vec<u64>) {
    let golden = golden::training();
    let mut lines = vec![];
    let mut bits = vec![];
    for _ in 0..copies {
        for (row, &b) in golden.rows.iter().zip(&golden.prediction_bits) {
            lines.push(line(row));
            bits.push(b);
        }
    }
    (lines, bits)
}

/// A temporary file removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("host-stream-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn predict_file(args: &[&str], lines: &[String], name: &str) -> Output {
    let mut text = format!("{HEADER}\n");
    text.extend(lines.iter().map(String::as_str));
    let file = TempFile::new(name, text.as_bytes());
    Command::new(env!("CARGO_BIN_EXE_host"))
        .arg("predict")
        .args(args)
        .arg(&file.0)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Each output line parsed back, as bits.
fn printed_bits(stdout: &[u8]) -> Vec<u64> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| {
            l.parse::<f64>()
                .unwrap_or_else(|e| panic!("{l:?}: {e}"))
                .to_bits()
        })
        .collect()
}

#[test]
fn a_many_chunk_csv_prints_scikit_learns_predictions_in_order() {
    let (lines, bits) = golden_csv(8);
    let out = predict_file(&[], &lines, "golden.csv");
    let stdout = common::stdout_of_success(&out);
    assert!(out.stderr.is_empty());
    let printed = printed_bits(stdout.as_bytes());
    assert_eq!(printed.len(), bits.len());
    let first_wrong = printed.iter().zip(&bits).position(|(p, g)| p != g);
    assert_eq!(
        first_wrong, None,
        "row {first_wrong:?} differs from scikit-learn"
    );
}

#[test]
fn stdin_streams_the_same_as_a_file() {
    let (lines, bits) = golden_csv(2);
    let mut child = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["predict", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(format!("{HEADER}\r\n").as_bytes()).unwrap();
        // CRLF line ends, written a few bytes at a time: chunks end wherever reads end.
        for l in &lines {
            let crlf = l.replace('\n', "\r\n");
            for piece in crlf.as_bytes().chunks(7) {
                stdin.write_all(piece).unwrap();
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stdout = common::stdout_of_success(&out);
    assert_eq!(printed_bits(stdout.as_bytes()), bits);
}

/// A bad row deep in the input: exit 2, one stderr line naming it, and stdout holds
/// exactly the predictions of the rows before it.
#[test]
fn a_bad_row_in_a_late_chunk_is_named_after_the_rows_before_it() {
    let (mut lines, bits) = golden_csv(4);
    let bad = 17_011;
    let golden = golden::training();
    let rejected = line(&golden.rejected_rows[0]);
    let row = |i: usize| golden.rows[i % golden.rows.len()];
    let mut missing_rm = row(bad);
    missing_rm[1] = f64::NAN;
    for (replacement, needle) in [
        (
            line(&row(bad))
                .split(',')
                .enumerate()
                .map(|(k, cell)| if k == 4 { "six" } else { cell })
                .collect::<Vec<_>>()
                .join(","),
            format!("row {bad}: value for RM is not a number"),
        ),
        (
            line(&missing_rm).replace("NaN", ""),
            format!("row {bad}: value for RM is missing"),
        ),
        (
            "1,2,3\n".to_string(),
            format!("CSV row {bad}: found record with 3 fields"),
        ),
        (
            rejected,
            format!("row {bad}: value for CHAS is out of range"),
        ),
    ] {
        let good = std::mem::replace(&mut lines[bad], replacement);
        // A second bad row later on: the first one is the error.
        let later = std::mem::replace(&mut lines[bad + 5000], "x,x,x,x,x,x\n".to_string());
        let out = predict_file(&[], &lines, "bad.csv");
        lines[bad] = good;
        lines[bad + 5000] = later;
        assert_eq!(out.status.code(), Some(2), "{needle}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&needle), "{stderr:?} lacks {needle:?}");
        assert!(out.stdout.ends_with(b"\n"), "a partial line");
        assert_eq!(printed_bits(&out.stdout), bits[..bad], "{needle}");
    }
}

#[test]
fn per_request_scaling_fits_its_scaler_on_the_whole_csv() {
    let cases = golden::per_request_cases();
    let case = cases
        .iter()
        .find(|c| c["name"] == "random_size_lists_n444_5")
        .expect("the golden case");
    let columns: Vec<Vec<f64>> = golden::FEATURES
        .iter()
        .map(|f| {
            case["payload"][f]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().expect("a numeric case"))
                .collect()
        })
        .collect();
    let lines: Vec<String> = (0..columns[0].len())
        .map(|i| line(&columns.iter().map(|c| c[i]).collect::<Vec<_>>()))
        .collect();
    let out = predict_file(&["--scaling", "per-request"], &lines, "per-request.csv");
    let stdout = common::stdout_of_success(&out);
    assert_eq!(
        printed_bits(stdout.as_bytes()),
        golden::bits(&case["prediction"])
    );
}
