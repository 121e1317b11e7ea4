//! `host predict` as a user runs it: JSON and CSV in, predictions out; bad input exits 2
//! with one line on stderr.

mod common;

use common::{host_predict, stdout_of_success};

const SAMPLE: &str = r#"{"CHAS":{"0":0},"RM":{"0":6.575},"TAX":{"0":296.0},"PTRATIO":{"0":15.3},"B":{"0":396.9},"LSTAT":{"0":4.98}}"#;

#[test]
fn json_payload_prints_the_response() {
    assert_eq!(
        stdout_of_success(&host_predict(&[], SAMPLE)),
        "{\"prediction\":[25.0021457871835]}\n"
    );
    let out = host_predict(&["--scaling", "per-request"], SAMPLE);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"prediction\":[20.35373177134412]}\n"
    );
}

#[test]
fn csv_prints_one_prediction_per_line_in_row_order() {
    // Columns in another order than the model's: matched by header name.
    let csv =
        "LSTAT,RM,CHAS,TAX,PTRATIO,B\n4.98,6.575,0,296,15.3,396.9\n9.14,6.421,0,242,17.8,396.9\n";
    assert_eq!(
        stdout_of_success(&host_predict(&["-"], csv)),
        "25.0021457871835\n22.32004381268876\n"
    );
}

#[test]
fn reads_a_file_argument() {
    let path = std::env::temp_dir().join(format!("host-cli-{}.json", std::process::id()));
    std::fs::write(&path, SAMPLE).unwrap();
    let out = host_predict(&[path.to_str().unwrap()], "");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"prediction\":[25.0021457871835]}\n"
    );
}

#[test]
fn bad_input_exits_2_with_one_line_on_stderr() {
    for (args, stdin, needle) in [
        (vec![], "{\"CHAS\":[0]}", "column RM is missing"),
        (vec![], "[1]", "row 0"),
        (vec![], "CHAS,RM\n0,6.5\n", "column TAX is missing"),
        (
            vec![],
            "CHAS,RM,TAX,PTRATIO,B,LSTAT\n0,x,296,15.3,396.9,4.98\n",
            "value for RM is not a number",
        ),
        (vec!["--scaling", "zscore"], SAMPLE, "zscore"),
        (
            vec!["/nonexistent/payload.json"],
            "",
            "cannot read /nonexistent/payload.json",
        ),
        (
            vec!["--model", "/nonexistent/model.json"],
            SAMPLE,
            "cannot read model file",
        ),
    ] {
        let out = host_predict(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?} {stdin:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_model_file_is_loaded_and_validated() {
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../model_data/boston_housing.model.json"
    );
    let out = host_predict(&["--model", model], SAMPLE);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"prediction\":[25.0021457871835]}\n"
    );
    let broken = std::env::temp_dir().join(format!("host-cli-model-{}.json", std::process::id()));
    std::fs::write(
        &broken,
        r#"{"format":"edge-predictor-model","format_version":9}"#,
    )
    .unwrap();
    let out = host_predict(&["--model", broken.to_str().unwrap()], SAMPLE);
    std::fs::remove_file(&broken).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid model"));
}
