//! An exported scikit-learn classifier as a user runs it: `host serve --model M.json` over
//! a real socket (labels, `?output=predict_proba`, V2 metadata and outputs, null cells) and
//! `host predict --model M.json [--output ...]` on CSV and JSON. Every expected answer is
//! the real scikit-learn's, from the zoo golden beside the model
//! (model_data/zoo/sklearn-*/NAME.golden.json); probabilities within the bound
//! model_data/README.md documents for the kind (HistGradientBoosting: 8 ulps, via exp).

mod common;

use golden::zoo;
use serde_json::{json, Value};

use std::process::Output;

use common::{host_predict, stdout_of_success, Server};

/// String labels (alpha, beta, gamma); takes missing values.
const STRING_LABELS: &str = "sklearn-1.9/hist_gradient_boosting_classifier_multiclass_str";
/// Integer labels (0, 1, 2).
const INTEGER_LABELS: &str = "sklearn-1.9/hist_gradient_boosting_classifier_multiclass";
/// Refuses missing values, as its scikit-learn does.
const REFUSES_MISSING: &str = "sklearn-1.9/logistic_regression_multinomial_str";
/// A regressor.
const REGRESSOR: &str = "sklearn-1.9/pipeline_standard_ridge";
const PROBA_ULPS: u64 = 8;

/// A zoo export's path, its model file and its golden.
struct Zoo {
    path: String,
    model: Value,
    golden: Value,
}

fn zoo(id: &str) -> Zoo {
    let path = format!("{}/{id}.model.json", zoo::DIR);
    let read = |p: &str| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))).unwrap()
    };
    Zoo {
        model: read(&path),
        golden: read(&format!("{}/{id}.golden.json", zoo::DIR)),
        path,
    }
}

impl Zoo {
    fn name(&self) -> &str {
        self.model["name"].as_str().unwrap()
    }

    fn features(&self) -> Vec<String> {
        serde_json::from_value(self.model["features"].clone()).unwrap()
    }

    /// The golden's rows `key` (`X`, `X_nan`), row-major, and their width.
    fn rows(&self, key: &str) -> (usize, Vec<f64>) {
        let (shape, values) = zoo::f64_array(&self.golden[key]);
        (shape[1], values)
    }

    /// As /predict records, NaN as null.
    fn records(&self, key: &str) -> String {
        let (width, values) = self.rows(key);
        let features = self.features();
        let records: Vec<Value> = values
            .chunks(width)
            .map(|row| {
                Value::Object(
                    features
                        .iter()
                        .cloned()
                        .zip(row.iter().map(|x| Value::from(*x)))
                        .collect(),
                )
            })
            .collect();
        Value::Array(records).to_string()
    }

    /// As a CSV with a header row, NaN as an empty cell.
    fn csv(&self, key: &str) -> String {
        let (width, values) = self.rows(key);
        let mut text = self.features().join(",");
        text.push('\n');
        for row in values.chunks(width) {
            let cells: Vec<String> = row
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        String::new()
                    } else {
                        x.to_string()
                    }
                })
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        text
    }

    /// The golden's labels, one line each, as `host predict` prints them.
    fn label_lines(&self, labels: &Value) -> String {
        labels
            .as_array()
            .unwrap()
            .iter()
            .map(|l| match l {
                Value::String(s) => format!("{s}\n"),
                other => format!("{other}\n"),
            })
            .collect()
    }
}

/// Probabilities (flat, row-major) within `PROBA_ULPS` of the golden array's.
#[track_caller]
fn assert_proba(ours: &[f64], golden: &Value) {
    zoo::assert_within_ulps(ours, golden, PROBA_ULPS);
}

fn flat_floats(rows: &Value) -> Vec<f64> {
    rows.as_array()
        .unwrap()
        .iter()
        .flat_map(|row| match row {
            Value::Array(items) => items.iter().map(|v| v.as_f64().unwrap()).collect(),
            v => vec![v.as_f64().unwrap()],
        })
        .collect()
}

#[test]
fn serves_an_exported_classifier_with_scikit_learns_answers() {
    let zoo = zoo(STRING_LABELS);
    let server = Server::start(&["--model", &zoo.path]);

    let reply = server.post_json("/predict", &zoo.records("X"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({"prediction": zoo.golden["predict"]}));

    let reply = server.post_json("/predict?output=predict_proba", &zoo.records("X"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["classes"], zoo.golden["classes"]);
    assert_proba(
        &flat_floats(&answer["predict_proba"]),
        &zoo.golden["predict_proba"],
    );

    // Missing values: null cells, which this model takes as scikit-learn does.
    let reply = server.post_json("/predict", &zoo.records("X_nan"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["prediction"],
        zoo.golden["nan_outputs"]["predict"]
    );

    let reply = server.request("GET", &format!("/v2/models/{}", zoo.name()), &[], b"");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["outputs"],
        json!([
            {"name": "predict", "datatype": "BYTES", "shape": [-1]},
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}
        ])
    );

    let (width, values) = zoo.rows("X_nan");
    let data: Vec<Value> = values.iter().map(|x| Value::from(*x)).collect();
    let body = json!({
        "id": "nan rows",
        "inputs": [{"name": "x", "shape": [values.len() / width, width], "datatype": "FP64", "data": data}],
        "outputs": [{"name": "predict"}, {"name": "predict_proba"}]
    });
    let reply = server.post_json(
        &format!("/v2/models/{}/infer", zoo.name()),
        &body.to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(answer["id"], "nan rows");
    assert_eq!(answer["outputs"][0]["datatype"], "BYTES");
    assert_eq!(
        answer["outputs"][0]["data"],
        zoo.golden["nan_outputs"]["predict"]
    );
    assert_eq!(answer["outputs"][1]["name"], "predict_proba");
    assert_proba(
        &flat_floats(&answer["outputs"][1]["data"]),
        &zoo.golden["nan_outputs"]["predict_proba"],
    );
}

#[test]
fn refuses_what_the_model_refuses() {
    let zoo = zoo(REFUSES_MISSING);
    let server = Server::start(&["--model", &zoo.path]);
    let body = r#"[{"sepal_len":5.1,"sepal_wid":3.5,"petal_len":1.4,"petal_wid":0.2},
                   {"sepal_len":5.1,"sepal_wid":null,"petal_len":1.4,"petal_wid":0.2}]"#;
    let reply = server.post_json("/predict", body);
    assert_eq!(reply.status, 422, "{}", reply.text());
    assert_eq!(
        reply.json()["error"],
        "row 1: value for sepal_wid is missing, and this model does not take missing values \
         (scikit-learn refuses NaN in its input)"
    );
    let reply = server.post_json("/predict?output=probabilities", body);
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .text()
            .contains("unknown output \\\"probabilities\\\""),
        "{}",
        reply.text()
    );

    let regressor = zoo_server_reply(REGRESSOR, "/predict?output=predict_proba");
    assert_eq!(regressor.0, 400);
    assert!(regressor.1.contains("is a regressor"), "{}", regressor.1);
}

/// Serves one zoo model and posts its golden rows to `path`: the status and body.
fn zoo_server_reply(id: &str, path: &str) -> (u16, String) {
    let zoo = zoo(id);
    let server = Server::start(&["--model", &zoo.path]);
    let reply = server.post_json(path, &zoo.records("X"));
    (reply.status, reply.text())
}

/// A failed run: exit 2 and exactly one line on stderr, returned.
#[track_caller]
fn one_line_error(out: &Output) -> String {
    one_line_error_after(out, 0)
}

/// `one_line_error` of a run whose first `rows` rows were good: their lines are printed
/// (host predict streams), and nothing else.
fn one_line_error_after(out: &Output, rows: usize) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), rows, "{stdout:?}");
    assert!(stdout.is_empty() || stdout.ends_with('\n'), "{stdout:?}");
    stderr
}

#[test]
fn cli_prints_labels_and_probabilities_per_csv_row() {
    let zoo = zoo(STRING_LABELS);
    let model = ["--model", zoo.path.as_str()];
    let out = host_predict(&model, &zoo.csv("X"));
    assert_eq!(
        stdout_of_success(&out),
        zoo.label_lines(&zoo.golden["predict"])
    );

    let out = host_predict(
        &[&model[..], &["--output", "predict_proba", "-"]].concat(),
        &zoo.csv("X"),
    );
    let text = stdout_of_success(&out);
    let probabilities: Vec<f64> = text
        .lines()
        .inspect(|line| assert_eq!(line.split(',').count(), 3, "{line}"))
        .flat_map(|line| {
            line.split(',')
                .map(|p| p.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_proba(&probabilities, &zoo.golden["predict_proba"]);

    // An empty cell is a missing value.
    let out = host_predict(&model, &zoo.csv("X_nan"));
    assert_eq!(
        stdout_of_success(&out),
        zoo.label_lines(&zoo.golden["nan_outputs"]["predict"])
    );

    // A JSON payload prints the /predict response.
    let out = host_predict(&model, &zoo.records("X"));
    let answer: Value = serde_json::from_str(&stdout_of_success(&out)).unwrap();
    assert_eq!(answer, json!({"prediction": zoo.golden["predict"]}));
    let out = host_predict(
        &[&model[..], &["--output", "predict_proba"]].concat(),
        &zoo.records("X"),
    );
    let answer: Value = serde_json::from_str(&stdout_of_success(&out)).unwrap();
    assert_eq!(answer["classes"], zoo.golden["classes"]);
    assert_proba(
        &flat_floats(&answer["predict_proba"]),
        &zoo.golden["predict_proba"],
    );
}

#[test]
fn cli_prints_integer_labels_as_numbers() {
    let zoo = zoo(INTEGER_LABELS);
    let out = host_predict(&["--model", &zoo.path], &zoo.csv("X"));
    let text = stdout_of_success(&out);
    assert_eq!(text, zoo.label_lines(&zoo.golden["predict"]));
    assert!(text.lines().all(|l| l.parse::<i64>().is_ok()), "{text}");
}

#[test]
fn cli_refusals_are_one_line() {
    let zoo = zoo(REFUSES_MISSING);
    let csv = "sepal_len,sepal_wid,petal_len,petal_wid\n5.1,3.5,1.4,0.2\n5.1,3.5,,0.2\n";
    let err = one_line_error_after(&host_predict(&["--model", &zoo.path], csv), 1);
    assert_eq!(
        err,
        "host: error: row 1: value for petal_len is missing, and this model does not take \
         missing values (scikit-learn refuses NaN in its input)\n"
    );
    let csv = "sepal_len,sepal_wid,petal_len,petal_wid\n5.1,3.5,n/a,0.2\n";
    let err = one_line_error(&host_predict(&["--model", &zoo.path], csv));
    assert_eq!(
        err,
        "host: error: row 0: value for petal_len is not a number (got \"n/a\")\n"
    );
    let ridge = self::zoo(REGRESSOR);
    let out = host_predict(
        &["--model", &ridge.path, "--output", "predict_proba"],
        &ridge.csv("X"),
    );
    assert_eq!(
        one_line_error(&out),
        "host: error: output predict_proba needs a classifier; model pipeline_standard_ridge is a regressor\n"
    );
}

/// A tree classifier's probabilities are scikit-learn's bits, so what the server and the
/// CLI print parses back to exactly the golden's floats.
#[test]
fn tree_classifiers_served_and_scored_bit_for_bit() {
    let bits = |values: &[f64]| values.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let zoo = zoo("sklearn-1.9/decision_tree_classifier_str");
    let (_, proba) = zoo::f64_array(&zoo.golden["predict_proba"]);
    let server = Server::start(&["--model", &zoo.path]);
    let reply = server.post_json("/predict", &zoo.records("X"));
    assert_eq!(reply.json(), json!({"prediction": zoo.golden["predict"]}));
    let reply = server.post_json("/predict?output=predict_proba", &zoo.records("X"));
    let answer = reply.json();
    assert_eq!(
        answer["classes"],
        json!(["setosa", "versicolor", "virginica"])
    );
    assert_eq!(bits(&flat_floats(&answer["predict_proba"])), bits(&proba));
    drop(server);

    // Integer labels 3 and 7 (not their indices), through an imputer, from CSV.
    let zoo = self::zoo("sklearn-1.9/pipeline_imputer_median_decision_tree_int");
    let model = ["--model", zoo.path.as_str()];
    let text = stdout_of_success(&host_predict(&model, &zoo.csv("X")));
    assert_eq!(text, zoo.label_lines(&zoo.golden["predict"]));
    assert!(text.lines().all(|l| l == "3" || l == "7"), "{text}");
    let text = stdout_of_success(&host_predict(
        &[&model[..], &["--output", "predict_proba"]].concat(),
        &zoo.csv("X_nan"),
    ));
    let printed: Vec<f64> = text
        .lines()
        .flat_map(|l| {
            l.split(',')
                .map(|p| p.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let (_, proba) = zoo::f64_array(&zoo.golden["nan_outputs"]["predict_proba"]);
    assert_eq!(bits(&printed), bits(&proba));

    // Empty cells routed by the tree itself (fitted on data with missing values).
    let zoo = self::zoo("sklearn-1.9/decision_tree_classifier_nan");
    let text = stdout_of_success(&host_predict(&["--model", &zoo.path], &zoo.csv("X_nan")));
    assert_eq!(text, zoo.label_lines(&zoo.golden["nan_outputs"]["predict"]));
}

/// Every field of every row of a Parquet file, with the file's column names.
fn read_parquet(path: &std::path::Path) -> (Vec<String>, Vec<Vec<parquet::record::Field>>) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let names = (0..schema.num_columns())
        .map(|i| schema.column(i).name().to_string())
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, f)| f.clone())
                .collect()
        })
        .collect();
    (names, rows)
}

/// Parquet output of a classifier: a `predict` column of the labels' own type (strings,
/// integers), or one float64 column per class named after it with `predict_proba`.
#[test]
fn cli_writes_labels_and_probabilities_as_parquet() {
    use parquet::record::Field;
    let path = std::env::temp_dir().join(format!("host-classifier-{}.parquet", std::process::id()));
    let file = path.to_str().unwrap();
    for (id, expect) in [(STRING_LABELS, "strings"), (INTEGER_LABELS, "integers")] {
        let zoo = zoo(id);
        let out = host_predict(
            &["--model", &zoo.path, "--output-file", file],
            &zoo.csv("X"),
        );
        stdout_of_success(&out);
        let (names, rows) = read_parquet(&path);
        assert_eq!(names, ["predict"]);
        let labels: Vec<Value> = rows
            .iter()
            .map(|row| match &row[0] {
                Field::Str(s) if expect == "strings" => Value::from(s.clone()),
                Field::Long(i) if expect == "integers" => Value::from(*i),
                other => panic!("{expect}: {other:?}"),
            })
            .collect();
        assert_eq!(Value::Array(labels), zoo.golden["predict"], "{id}");

        let args = [
            "--model",
            &zoo.path,
            "--output",
            "predict_proba",
            "--output-file",
            file,
        ];
        stdout_of_success(&host_predict(&args, &zoo.csv("X")));
        let (names, rows) = read_parquet(&path);
        let classes: Vec<String> = zoo.golden["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
            .collect();
        assert_eq!(names, classes, "{id}");
        let proba: Vec<f64> = rows
            .iter()
            .flatten()
            .map(|f| match f {
                Field::Double(p) => *p,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_proba(&proba, &zoo.golden["predict_proba"]);
    }
    std::fs::remove_file(&path).unwrap();
}
