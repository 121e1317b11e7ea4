//! `host serve --model-dir`: many models in one server, the V2 repository extension, hot
//! reload that drops nothing, per-model metrics and the memory limit. Every test starts
//! the real binary on 127.0.0.1 over a temporary directory of model files.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Conn, Server, SAMPLE, SAMPLE_ANSWER};
use predictor::{Model, Service, ServiceOptions};

const BOSTON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../model_data/boston_housing.model.json"
);
const TREE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../model_data/zoo/sklearn-1.9/decision_tree_regressor.model.json"
);
/// Boosted trees fitted on the tree's data (same features): a bigger model.
const BIGGER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../model_data/zoo/sklearn-1.9/hist_gradient_boosting_squared_error.model.json"
);
/// One row of the diabetes data set the tree was fitted on (bare rows, model order).
const TREE_ROWS: &str = "[[0.038,0.05,0.062,0.022,-0.044,-0.035,-0.043,-0.003,0.02,-0.018]]";

/// A directory of model files, removed when dropped.
struct ModelDir(PathBuf);

impl ModelDir {
    fn new(test: &str) -> ModelDir {
        let dir = std::env::temp_dir().join(format!("host-repo-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        ModelDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }

    /// Writes `file` atomically (a temporary hidden file renamed over it), as an
    /// operator's deploy should.
    fn put(&self, file: &str, bytes: &[u8]) {
        let tmp = self.0.join(format!(".{file}.tmp"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.0.join(file)).unwrap();
    }

    fn size(&self, file: &str) -> u64 {
        std::fs::metadata(self.0.join(file)).unwrap().len()
    }
}

impl Drop for ModelDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// The Boston model with another version and every prediction moved by +1.0 (its `init`,
/// the constant the trees' sum starts from): a second valid file for the same name.
fn boston_v2() -> Vec<u8> {
    let mut model: serde_json::Value = serde_json::from_slice(&read(BOSTON)).unwrap();
    model["version"] = "2".into();
    let init = model["estimator"]["init"].as_f64().unwrap();
    model["estimator"]["init"] = (init + 1.0).into();
    serde_json::to_vec(&model).unwrap()
}

/// What the core answers for `body` on `POST /predict` with the model in `bytes`: the
/// exact bytes the server must send.
fn expected_predict(bytes: &[u8], body: &str) -> String {
    let model = Model::from_json(bytes).unwrap();
    let response = Service::new(&model, ServiceOptions::default()).handle(&predictor::Request {
        method: "POST",
        path: "/predict",
        query: "",
        content_type: Some("application/json"),
        inference_header_length: None,
        body: body.as_bytes(),
    });
    assert_eq!(response.status, 200, "{}", response.text());
    response.text().to_string()
}

/// `host serve ARGS` must refuse to start: its one-line error (stderr).
fn serve_refuses(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("host serve {args:?} started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    let last = stderr.lines().last().unwrap_or("").to_string();
    assert!(last.starts_with("host: "), "{stderr}");
    last
}

/// The value of the sample line `name` (labels included) in a metrics page.
fn metric(server: &Server, name: &str) -> Option<f64> {
    let page = server.request("GET", "/metrics", &[], b"").text();
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn index(server: &Server) -> serde_json::Value {
    let reply = server.request("POST", "/v2/repository/index", &[], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn index_entry(server: &Server, name: &str) -> serde_json::Value {
    index(server)
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the index"))
        .clone()
}

fn two_models(test: &str) -> ModelDir {
    let dir = ModelDir::new(test);
    dir.put("boston.json", &read(BOSTON));
    dir.put("tree.model.json", &read(TREE));
    // Not model files: ignored.
    dir.put("README.txt", b"not a model");
    dir
}

#[test]
fn a_directory_is_served_model_by_model() {
    let dir = two_models("serve");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    let tree_answer = expected_predict(&read(TREE), TREE_ROWS);

    // The default model answers /predict; every model answers /models/{name}/predict.
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
    assert_eq!(
        server.post_json("/models/boston/predict", SAMPLE).text(),
        SAMPLE_ANSWER
    );
    let tree = server.post_json("/models/tree/predict", TREE_ROWS);
    assert_eq!((tree.status, tree.text()), (200, tree_answer));
    let unknown = server.post_json("/models/nope/predict", SAMPLE);
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .text()
            .contains(r#"unknown model \"nope\"; this server serves \"boston\", \"tree\""#),
        "{}",
        unknown.text()
    );

    // V2 per model, named after its file.
    let metadata = server.request("GET", "/v2/models/tree", &[], b"").json();
    assert_eq!(metadata["name"], "tree");
    assert_eq!(metadata["inputs"].as_array().unwrap().len(), 10);
    let infer = r#"{"inputs":[{"name":"x","shape":[1,10],"datatype":"FP64","data":[0.038,0.05,0.062,0.022,-0.044,-0.035,-0.043,-0.003,0.02,-0.018]}]}"#;
    let answer = server.post_json("/v2/models/tree/infer", infer).json();
    assert_eq!(answer["model_name"], "tree");
    let expected: serde_json::Value =
        serde_json::from_str(&expected_predict(&read(TREE), TREE_ROWS)).unwrap();
    assert_eq!(answer["outputs"][0]["data"], expected["prediction"]);
    let boston = r#"{"inputs":[{"name":"x","shape":[1,6],"datatype":"FP64","data":[0,6.575,296,15.3,396.9,4.98]}]}"#;
    let answer = server
        .post_json("/v2/models/boston/versions/1/infer", boston)
        .json();
    assert_eq!(answer["model_name"], "boston");
    assert_eq!(answer["outputs"][0]["data"][0], 25.0021457871835);
    // The version a file declares, and no other.
    assert_eq!(
        server
            .request("GET", "/v2/models/boston/versions/1", &[], b"")
            .status,
        200
    );
    let other = server.request("GET", "/v2/models/boston/versions/2/ready", &[], b"");
    assert_eq!(other.status, 404);
    assert!(other.text().contains("has version"), "{}", other.text());
    // The embedded model's name is not served from a directory.
    assert_eq!(
        server
            .request("GET", "/v2/models/boston-housing", &[], b"")
            .status,
        404
    );

    let server_metadata = server.request("GET", "/v2", &[], b"").json();
    assert!(
        server_metadata["extensions"]
            .as_array()
            .unwrap()
            .contains(&"model_repository".into()),
        "{server_metadata}"
    );
}

/// Found by the `model_repository` fuzz target: a file called "\n.json" in the directory
/// made start-up's error two lines (the last one, `b.json: ...`, without `host: error:`).
/// The file's name is printed escaped.
#[test]
fn a_file_name_with_a_newline_is_refused_in_one_line() {
    let dir = ModelDir::new("newline-name");
    dir.put("a\nb.json", &boston_v2());
    let refused = serve_refuses(&["--model-dir", dir.path()]);
    assert!(
        refused.ends_with(
            "a\\nb.json: a model name may hold letters, digits, '.', '_' and '-' only; not served"
        ),
        "{refused}"
    );
}

/// Found by the `model_repository` fuzz target (session 7; its input is fuzz/seeds/model_repository/found-newline-in-kind): a model
/// whose "kind" holds a newline was refused with serde's message, which quotes the value
/// raw, so start-up's error was two lines. Model errors are one line whatever they quote.
#[test]
fn a_model_whose_kind_holds_a_newline_is_refused_in_one_line() {
    let mut model: serde_json::Value = serde_json::from_slice(&read(BOSTON)).unwrap();
    model["estimator"]["kind"] = "gradient\nboosting".into();
    let dir = ModelDir::new("newline-kind");
    dir.put("odd.json", &serde_json::to_vec(&model).unwrap());
    let refused = serve_refuses(&["--model-dir", dir.path()]);
    assert!(refused.contains("odd.json"), "{refused}");
    assert!(refused.contains("`gradient\\nboosting`"), "{refused}");
}

#[test]
fn the_default_model_is_named_or_the_only_one() {
    let dir = two_models("default");
    let refused = serve_refuses(&["--model-dir", dir.path()]);
    assert!(
        refused.contains("2 models (\"boston\", \"tree\") and no --default-model"),
        "{refused}"
    );
    let refused = serve_refuses(&["--model-dir", dir.path(), "--default-model", "nope"]);
    assert!(
        refused.contains("--default-model \"nope\": no such model; there are \"boston\", \"tree\""),
        "{refused}"
    );
    let refused = serve_refuses(&["--model-dir", dir.path(), "--model", BOSTON]);
    assert!(refused.contains("--model"), "{refused}");

    let empty = ModelDir::new("default-empty");
    let refused = serve_refuses(&["--model-dir", empty.path()]);
    assert!(refused.contains("no model files"), "{refused}");
    let refused = serve_refuses(&["--model-dir", "/nonexistent/models"]);
    assert!(refused.contains("cannot list it"), "{refused}");

    // A broken file at start-up stops the server, naming it.
    let broken = ModelDir::new("default-broken");
    broken.put("boston.json", &read(BOSTON));
    broken.put("bad.json", b"{\"format\": 1}");
    let refused = serve_refuses(&["--model-dir", broken.path(), "--default-model", "boston"]);
    assert!(
        refused.contains("bad.json is not a valid model"),
        "{refused}"
    );

    // One model needs no --default-model.
    let one = ModelDir::new("default-one");
    one.put("tree.json", &read(TREE));
    let server = Server::start(&["--model-dir", one.path()]);
    let tree = server.post_json("/predict", TREE_ROWS);
    assert_eq!(tree.text(), expected_predict(&read(TREE), TREE_ROWS));
}

#[test]
fn models_unload_and_load_through_the_repository_api() {
    let dir = two_models("api");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    assert_eq!(
        index(&server),
        serde_json::json!([
            {"name": "boston", "version": "1", "state": "READY", "reason": ""},
            {"name": "tree", "version": "1", "state": "READY", "reason": ""},
        ])
    );

    let unloaded = server.request("POST", "/v2/repository/models/tree/unload", &[], b"");
    assert_eq!(unloaded.status, 200, "{}", unloaded.text());
    assert_eq!(unloaded.json()["state"], "UNAVAILABLE");
    let entry = index_entry(&server, "tree");
    assert_eq!(entry["state"], "UNAVAILABLE");
    assert!(
        entry["reason"].as_str().unwrap().contains("unloaded"),
        "{entry}"
    );
    for path in ["/models/tree/predict", "/v2/models/tree/infer"] {
        let gone = server.post_json(path, TREE_ROWS);
        assert_eq!(gone.status, 404, "{path}");
        assert!(
            gone.text()
                .contains("model \\\"tree\\\" is unavailable: unloaded"),
            "{path}: {}",
            gone.text()
        );
    }
    assert_eq!(
        server
            .request("GET", "/v2/models/tree/ready", &[], b"")
            .status,
        404
    );
    // Only ready models, when asked.
    let ready = server.request("POST", "/v2/repository/index", &[], br#"{"ready": true}"#);
    assert_eq!(
        ready.json().as_array().unwrap().len(),
        1,
        "{}",
        ready.text()
    );
    // The other model is untouched.
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);

    let loaded = server.request("POST", "/v2/repository/models/tree/load", &[], b"{}");
    assert_eq!(loaded.status, 200, "{}", loaded.text());
    assert_eq!(
        loaded.json(),
        serde_json::json!({"name": "tree", "version": "1", "state": "READY", "reason": ""})
    );
    assert_eq!(
        server.post_json("/models/tree/predict", TREE_ROWS).text(),
        expected_predict(&read(TREE), TREE_ROWS)
    );

    // Unknown names, wrong methods, unsupported parameters.
    let unknown = server.request("POST", "/v2/repository/models/nope/load", &[], b"");
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.text().contains("no model file for \\\"nope\\\""),
        "{}",
        unknown.text()
    );
    assert_eq!(
        server
            .request("POST", "/v2/repository/models/nope/unload", &[], b"")
            .status,
        404
    );
    assert_eq!(
        server
            .request("GET", "/v2/repository/index", &[], b"")
            .status,
        405
    );
    let parameters = server.request(
        "POST",
        "/v2/repository/models/tree/load",
        &[],
        br#"{"parameters": {"config": "{}"}}"#,
    );
    assert_eq!(parameters.status, 400);

    // A file added after start-up loads on a load call.
    dir.put("tree2.json", &read(TREE));
    let added = server.request("POST", "/v2/repository/models/tree2/load", &[], b"");
    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(
        server.post_json("/models/tree2/predict", TREE_ROWS).status,
        200
    );

    // The default model unloaded: /predict says why.
    server.request("POST", "/v2/repository/models/boston/unload", &[], b"");
    let predict = server.post_json("/predict", SAMPLE);
    assert_eq!(predict.status, 404);
    assert!(predict.text().contains("unavailable"), "{}", predict.text());
}

#[test]
fn a_broken_file_leaves_the_old_model_serving() {
    let dir = two_models("broken");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    dir.put(
        "boston.json",
        br#"{"format": "edge-predictor-model", "format_version": 1}"#,
    );
    let refused = server.request("POST", "/v2/repository/models/boston/load", &[], b"");
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("boston.json is not a valid model"),
        "{}",
        refused.text()
    );
    // The old model answers; the index, the log and the metric say what happened.
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
    let entry = index_entry(&server, "boston");
    assert_eq!(entry["state"], "READY");
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the last load failed, version 1 keeps serving: ")
            && reason.contains("not a valid model"),
        "{entry}"
    );
    assert_eq!(
        metric(&server, "host_model_load_failures_total{model=\"boston\"}"),
        Some(1.0)
    );
    // SIGHUP rereads it too, and fails the same way.
    server.signal(libc::SIGHUP);
    wait_for(|| metric(&server, "host_model_load_failures_total{model=\"boston\"}") == Some(2.0));
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
    // Log lines are flushed every 100 ms.
    wait_for(|| server.log().contains("model load failed"));

    // Fixed: loads, and the reason is gone.
    dir.put("boston.json", &boston_v2());
    let loaded = server.request("POST", "/v2/repository/models/boston/load", &[], b"");
    assert_eq!(loaded.status, 200, "{}", loaded.text());
    assert_eq!(
        loaded.json(),
        serde_json::json!({"name": "boston", "version": "2", "state": "READY", "reason": ""})
    );
    assert_eq!(
        server.post_json("/predict", SAMPLE).text(),
        expected_predict(&boston_v2(), SAMPLE)
    );
}

/// The bytes each model holds, as a server without a limit measures them.
fn measured(dir: &ModelDir, names: &[&str]) -> Vec<u64> {
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", names[0]]);
    names
        .iter()
        .map(|name| {
            let bytes = metric(&server, &format!("host_model_bytes{{model=\"{name}\"}}"));
            bytes.unwrap_or_else(|| panic!("no host_model_bytes for {name}")) as u64
        })
        .collect()
}

#[test]
fn model_memory_is_measured_the_same_every_time() {
    let dir = two_models("memory");
    let first = measured(&dir, &["boston", "tree"]);
    // A model's memory: more than nothing, of the order of its file (the floats its text
    // holds, plus the fast layouts built at load: the Boston model's padded forest makes
    // it 349,564 bytes for a 294,477-byte file), the same on every load.
    for (bytes, file) in first.iter().zip(["boston.json", "tree.model.json"]) {
        assert!(
            *bytes > 1000 && *bytes < 4 * dir.size(file),
            "{file}: {bytes} bytes"
        );
    }
    assert_eq!(measured(&dir, &["boston", "tree"]), first);
    // Padding the file changes its size, not its model.
    let mut padded = read(TREE);
    padded.extend(std::iter::repeat_n(b' ', 5000));
    dir.put("tree.model.json", &padded);
    assert_eq!(measured(&dir, &["boston", "tree"]), first);
    // A hundred boosted trees hold more than one tree.
    dir.put("tree.model.json", &read(BIGGER));
    let bigger = measured(&dir, &["boston", "tree"]);
    assert_eq!(bigger[0], first[0]);
    assert!(bigger[1] > 2 * first[1], "{bigger:?} vs {first:?}");
}

#[test]
fn the_memory_limit_refuses_a_load_with_its_reason() {
    let dir = two_models("limit");
    let sizes = measured(&dir, &["boston", "tree"]);
    let total = sizes[0] + sizes[1];
    let refused = serve_refuses(&[
        "--model-dir",
        dir.path(),
        "--default-model",
        "boston",
        "--max-model-bytes",
        &(total - 1).to_string(),
    ]);
    assert!(refused.contains("over --max-model-bytes"), "{refused}");

    let limit = (total + 100).to_string();
    let server = Server::start(&[
        "--model-dir",
        dir.path(),
        "--default-model",
        "boston",
        "--max-model-bytes",
        &limit,
    ]);
    assert_eq!(
        metric(&server, "host_model_bytes{model=\"boston\"}"),
        Some(sizes[0] as f64)
    );
    assert_eq!(
        metric(&server, "host_model_bytes{model=\"tree\"}"),
        Some(sizes[1] as f64)
    );
    // A bigger model (same features) in the tree's place holds more than the limit leaves.
    dir.put("tree.model.json", &read(BIGGER));
    let refused = server.request("POST", "/v2/repository/models/tree/load", &[], b"");
    assert_eq!(refused.status, 409, "{}", refused.text());
    let message = refused.json()["error"].as_str().unwrap().to_string();
    assert!(
        message.contains("bytes in memory")
            && message.contains(&format!("over --max-model-bytes {limit}")),
        "{message}"
    );
    let entry = index_entry(&server, "tree");
    assert_eq!(entry["state"], "READY");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("--max-model-bytes"),
        "{entry}"
    );
    // The old tree still answers.
    assert_eq!(
        server.post_json("/models/tree/predict", TREE_ROWS).text(),
        expected_predict(&read(TREE), TREE_ROWS)
    );
    // Unloading the other model frees its bytes; the bigger one fits if the limit allows.
    server.request("POST", "/v2/repository/models/boston/unload", &[], b"");
    assert_eq!(
        metric(&server, "host_model_bytes{model=\"boston\"}"),
        Some(0.0)
    );
    let bigger = measured(&dir, &["boston", "tree"])[1];
    let loaded = server.request("POST", "/v2/repository/models/tree/load", &[], b"");
    if bigger <= total + 100 {
        assert_eq!(loaded.status, 200, "{}", loaded.text());
        assert_eq!(
            metric(&server, "host_model_bytes{model=\"tree\"}"),
            Some(bigger as f64)
        );
    } else {
        assert_eq!(loaded.status, 409, "{}", loaded.text());
    }
}

#[test]
fn metrics_are_labelled_by_model() {
    let dir = two_models("metrics");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    for _ in 0..3 {
        assert_eq!(server.post_json("/predict", SAMPLE).status, 200);
    }
    for _ in 0..2 {
        assert_eq!(
            server.post_json("/models/tree/predict", TREE_ROWS).status,
            200
        );
    }
    assert_eq!(
        server.post_json("/models/nope/predict", TREE_ROWS).status,
        404
    );
    let count = |labels: &str| metric(&server, &format!("host_http_requests_total{{{labels}}}"));
    assert_eq!(
        count(r#"route="/predict",status="200",model="boston""#),
        Some(3.0)
    );
    assert_eq!(
        count(r#"route="/models/{name}/predict",status="200",model="tree""#),
        Some(2.0)
    );
    // A name that is not served gets no label of its own.
    assert_eq!(
        count(r#"route="/models/{name}/predict",status="404",model="""#),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &server,
            r#"host_predicted_rows_total{route="/models/{name}/predict",model="tree"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &server,
            r#"host_http_request_duration_seconds_count{route="/predict",model="boston"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(&server, r#"host_model_loads_total{model="tree"}"#),
        Some(1.0)
    );
}

/// Polls `condition` for at most 10 s.
fn wait_for(condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sighup_and_watch_reload_changed_files() {
    let v2_answer = expected_predict(&boston_v2(), SAMPLE);

    // SIGHUP rereads every file.
    let dir = two_models("sighup");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    dir.put("boston.json", &boston_v2());
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
    server.signal(libc::SIGHUP);
    wait_for(|| server.post_json("/predict", SAMPLE).text() == v2_answer);
    assert_eq!(index_entry(&server, "boston")["version"], "2");

    // --watch sees changed, added and removed files by itself.
    let dir = two_models("watch");
    let server = Server::start(&[
        "--model-dir",
        dir.path(),
        "--default-model",
        "boston",
        "--watch",
        "--watch-interval",
        "50ms",
    ]);
    dir.put("boston.json", &boston_v2());
    wait_for(|| server.post_json("/predict", SAMPLE).text() == v2_answer);
    dir.put("late.json", &read(TREE));
    wait_for(|| server.post_json("/models/late/predict", TREE_ROWS).status == 200);
    std::fs::remove_file(dir.0.join("late.json")).unwrap();
    wait_for(|| server.post_json("/models/late/predict", TREE_ROWS).status == 404);
    let entry = index_entry(&server, "late");
    assert!(
        entry["reason"].as_str().unwrap().contains("removed"),
        "{entry}"
    );
    // A broken write is reported once, and the old model keeps serving.
    dir.put("boston.json", b"{ not json");
    wait_for(|| metric(&server, "host_model_load_failures_total{model=\"boston\"}") == Some(1.0));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        metric(&server, "host_model_load_failures_total{model=\"boston\"}"),
        Some(1.0)
    );
    assert_eq!(server.post_json("/predict", SAMPLE).text(), v2_answer);
}

/// 100 reloads of one name, alternating two different valid files, while clients send
/// requests on keep-alive connections: no request fails, and every answer is exactly the
/// old model's or the new one's.
#[test]
fn a_hundred_reloads_under_load_drop_nothing() {
    let dir = two_models("reload");
    let server = Server::start(&["--model-dir", dir.path(), "--default-model", "boston"]);
    let files = [read(BOSTON), boston_v2()];
    let answers = [
        expected_predict(&files[0], SAMPLE),
        expected_predict(&files[1], SAMPLE),
    ];
    assert_ne!(answers[0], answers[1]);
    assert_eq!(answers[0], SAMPLE_ANSWER);

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let (stop, seen, failures, answers) = (
                stop.clone(),
                seen.clone(),
                failures.clone(),
                answers.clone(),
            );
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr).unwrap();
                let path = if i % 2 == 0 {
                    "/predict"
                } else {
                    "/models/boston/predict"
                };
                while !stop.load(Ordering::Relaxed) {
                    let reply = conn.send(
                        "POST",
                        path,
                        &[("Content-Type", "application/json")],
                        SAMPLE.as_bytes(),
                    );
                    match reply {
                        Ok(reply) if reply.status == 200 => {
                            let text = reply.text();
                            match answers.iter().position(|a| *a == text) {
                                Some(k) => {
                                    seen[k].fetch_add(1, Ordering::Relaxed);
                                }
                                None => failures.lock().unwrap().push(text),
                            }
                        }
                        Ok(reply) => failures.lock().unwrap().push(format!(
                            "{}: {}",
                            reply.status,
                            reply.text()
                        )),
                        Err(err) => {
                            failures.lock().unwrap().push(err.to_string());
                            conn = Conn::open(addr).unwrap();
                        }
                    }
                }
            })
        })
        .collect();

    let mut admin = server.connect();
    let start = Instant::now();
    for i in 1..=100 {
        let k = i % 2;
        dir.put("boston.json", &files[k]);
        let loaded = admin
            .send("POST", "/v2/repository/models/boston/load", &[], b"")
            .unwrap();
        assert_eq!(loaded.status, 200, "reload {i}: {}", loaded.text());
        assert_eq!(loaded.json()["version"], ["1", "2"][k], "reload {i}");
        // Let the clients answer a few requests on each model.
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    let (old, new) = (
        seen[0].load(Ordering::Relaxed),
        seen[1].load(Ordering::Relaxed),
    );
    eprintln!("100 reloads in {elapsed:?}: {old} answers from version 1, {new} from version 2");
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(old > 100 && new > 100, "version 1: {old}, version 2: {new}");
    assert_eq!(
        metric(&server, "host_model_loads_total{model=\"boston\"}"),
        Some(101.0)
    );
    // The last load was version 1 again (i = 100 is even).
    assert_eq!(server.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
}

/// The signal handlers are in place once the server says it is serving: a SIGHUP at that
/// moment reloads (before, it could come first and take its default action, ending the
/// process), and a SIGTERM then drains and exits 0.
#[test]
fn signals_right_after_start_are_handled() {
    let dir = ModelDir::new("early-signal");
    dir.put("x.json", &read(TREE));
    let file = dir.0.join("x.json");
    let loads = "host_model_loads_total{model=\"decision_tree_regressor\"}";
    for _ in 0..5 {
        let mut server = Server::start(&["--model", file.to_str().unwrap()]);
        server.signal(libc::SIGHUP);
        wait_for(|| metric(&server, loads) == Some(2.0));
        let mut server2 =
            Server::start(&["--model", file.to_str().unwrap(), "--shutdown-delay", "0s"]);
        server2.signal(libc::SIGTERM);
        let status = server2
            .wait(Duration::from_secs(10))
            .expect("exits after SIGTERM");
        assert_eq!(status.code(), Some(0), "{}", server2.log());
        server.signal(libc::SIGTERM);
        let _ = server.wait(Duration::from_secs(10));
    }
}

/// `--model FILE` and the embedded model are repositories of one: the same index, and
/// SIGHUP rereads the file (under the name it declared at start-up).
#[test]
fn one_model_servers_have_the_repository_too() {
    let dir = ModelDir::new("single");
    dir.put("x.json", &read(TREE));
    let file = dir.0.join("x.json");
    let server = Server::start(&["--model", file.to_str().unwrap()]);
    assert_eq!(
        index(&server),
        serde_json::json!([{"name": "decision_tree_regressor", "version": "1", "state": "READY", "reason": ""}])
    );
    let loads = "host_model_loads_total{model=\"decision_tree_regressor\"}";
    assert_eq!(metric(&server, loads), Some(1.0));
    let mut padded = read(TREE);
    padded.push(b'\n');
    dir.put("x.json", &padded);
    server.signal(libc::SIGHUP);
    wait_for(|| metric(&server, loads) == Some(2.0));
    assert_eq!(
        server.post_json("/predict", TREE_ROWS).text(),
        expected_predict(&read(TREE), TREE_ROWS)
    );

    let embedded = Server::start(&[]);
    let unloaded = embedded.request(
        "POST",
        "/v2/repository/models/boston-housing/unload",
        &[],
        b"",
    );
    assert_eq!(unloaded.status, 200);
    assert_eq!(embedded.post_json("/predict", SAMPLE).status, 404);
    let loaded = embedded.request(
        "POST",
        "/v2/repository/models/boston-housing/load",
        &[],
        b"",
    );
    assert_eq!(loaded.json()["state"], "READY");
    assert_eq!(embedded.post_json("/predict", SAMPLE).text(), SAMPLE_ANSWER);
}
