//! A table of malformed requests sent to the real server over TCP: each gets the right
//! 4xx with a JSON `{"error": ...}` naming the problem, and the server keeps serving.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use common::{Conn, Reply, Server, SAMPLE, SAMPLE_ANSWER};

struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    needle: &'static str,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: impl Into<Vec<u8>>,
    status: u16,
    needle: &'static str,
) -> Case {
    Case {
        name,
        method,
        path,
        content_type: Some("application/json"),
        body: body.into(),
        status,
        needle,
    }
}

const INFER: &str = "/v2/models/boston-housing/infer";

fn tensor(shape: &str, datatype: &str, data: &str) -> String {
    format!(
        r#"{{"inputs":[{{"name":"x","shape":{shape},"datatype":"{datatype}","data":{data}}}]}}"#
    )
}

fn cases() -> Vec<Case> {
    let row = "0,6.575,296,15.3,396.9,4.98";
    let columns = |n: usize| {
        let list = vec!["1"; n].join(",");
        format!(
            r#"{{"CHAS":[{list}],"RM":[{list}],"TAX":[{list}],"PTRATIO":[{list}],"B":[{list}],"LSTAT":[{list}]}}"#
        )
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = format!("[{}]", vec![r#"{"CHAS":0}"#; 200_000].join(","));
    vec![
        // Not JSON at all.
        case("bad JSON", "POST", "/predict", "{", 400, "not valid JSON"),
        case("truncated JSON", "POST", "/predict", r#"{"CHAS":{"0":0}"#, 400, "not valid JSON"),
        case("empty body", "POST", "/predict", "", 400, "not valid JSON"),
        case("trailing garbage", "POST", "/predict", format!("{SAMPLE} x"), 400, "trailing characters"),
        case("invalid UTF-8", "POST", "/predict", b"{\"CHAS\xff\":1}".to_vec(), 400, "not valid JSON"),
        case("NaN literal", "POST", "/predict", r#"[{"CHAS":NaN}]"#, 400, "not valid JSON"),
        case("Infinity literal", "POST", "/predict", r#"[{"CHAS":Infinity}]"#, 400, "not valid JSON"),
        case("1e400", "POST", "/predict", r#"[{"CHAS":1e400}]"#, 400, "number out of range"),
        case("-1e400", "POST", "/predict", r#"[{"CHAS":-1e400}]"#, 400, "number out of range"),
        // Below a cell only a container's kind is kept; the nesting is still checked as JSON.
        case("deep nesting", "POST", "/predict", deep.clone(), 422, "an array row needs 6 values"),
        case("deep nesting, unclosed", "POST", "/predict", "[".repeat(100_000), 400, "not valid JSON"),
        // Wrong media type.
        Case { content_type: Some("text/plain"), ..case("text/plain", "POST", "/predict", SAMPLE, 415, "not text/plain") },
        Case { content_type: None, ..case("no Content-Type", "POST", "/predict", SAMPLE, 415, "none was sent") },
        // Too big.
        case("body over 1 MiB", "POST", "/predict", huge.clone(), 413, "larger than 1048576 bytes"),
        case("too many rows", "POST", "/predict", columns(1001), 413, "1001 rows in one request, the limit is 1000"),
        // Valid JSON, wrong content.
        case("NaN as a string", "POST", "/predict", r#"[{"CHAS":"NaN","RM":6,"TAX":1,"PTRATIO":1,"B":1,"LSTAT":1}]"#, 422, "not a finite number"),
        case("nested object cell", "POST", "/predict", r#"{"CHAS":{"0":{"x":1}},"RM":{"0":6},"TAX":{"0":1},"PTRATIO":{"0":1},"B":{"0":1},"LSTAT":{"0":1}}"#, 422, "value for CHAS is an object"),
        case("duplicate column", "POST", "/predict", r#"{"CHAS":[0],"CHAS":[1],"RM":[6],"TAX":[1],"PTRATIO":[1],"B":[1],"LSTAT":[1]}"#, 422, "\"CHAS\" appears twice"),
        case("duplicate row key", "POST", "/predict", r#"{"CHAS":{"0":0,"0":1},"RM":{"0":6},"TAX":{"0":1},"PTRATIO":{"0":1},"B":{"0":1},"LSTAT":{"0":1}}"#, 422, "\"0\" appears twice"),
        case("unknown column", "POST", "/predict", r#"[{"CHAS":0,"RM":6,"TAX":1,"PTRATIO":1,"B":1,"LSTAT":1,"ZN":0}]"#, 422, "unknown column \"ZN\""),
        case("missing column", "POST", "/predict", r#"[{"CHAS":0,"RM":6,"TAX":1,"PTRATIO":1,"B":1}]"#, 422, "LSTAT is missing"),
        case("null cell", "POST", "/predict", r#"[{"CHAS":null,"RM":6,"TAX":1,"PTRATIO":1,"B":1,"LSTAT":1}]"#, 422, "row 0: value for CHAS is missing, and this model does not take missing values"),
        case("bare scalar", "POST", "/predict", "5", 422, "got a number"),
        case("empty object", "POST", "/predict", "{}", 422, "no rows"),
        case("empty list", "POST", "/predict", "[]", 422, "no rows"),
        case("ragged columns", "POST", "/predict", r#"{"CHAS":[0,1],"RM":[6],"TAX":[1,1],"PTRATIO":[1,1],"B":[1,1],"LSTAT":[1,1]}"#, 422, "column RM has 1 values"),
        case("unknown scaling", "POST", "/predict?scaling=zscore", SAMPLE, 400, "zscore"),
        // Wrong method or path.
        case("GET /predict", "GET", "/predict", "", 405, "takes POST"),
        case("DELETE /", "DELETE", "/", "", 405, "takes GET"),
        case("GET infer", "GET", INFER, "", 405, "takes POST"),
        case("POST /metrics", "POST", "/metrics", "", 405, "takes GET"),
        case("unknown path", "GET", "/predictions", "", 404, "no route /predictions"),
        // KServe V2.
        case("V2 unknown model", "POST", "/v2/models/iris/infer", tensor("[1,6]", "FP64", &format!("[{row}]")), 404, "unknown model \"iris\""),
        case("V2 unknown version", "POST", "/v2/models/boston-housing/versions/9/infer", tensor("[1,6]", "FP64", &format!("[{row}]")), 404, "no version \"9\""),
        case("V2 bad JSON", "POST", INFER, "{\"inputs\":", 400, "not valid JSON"),
        case("V2 not an object", "POST", INFER, "[1]", 400, "must be a JSON object"),
        case("V2 no inputs field", "POST", INFER, "{}", 400, "missing field `inputs`"),
        case("V2 negative shape", "POST", INFER, tensor("[-1,6]", "FP64", &format!("[{row}]")), 400, "negative dimension"),
        case("V2 zero rows", "POST", INFER, tensor("[0,6]", "FP64", "[]"), 400, "has no rows"),
        case("V2 data shorter than shape", "POST", INFER, tensor("[2,6]", "FP64", &format!("[{row}]")), 400, "needs 12 values, data holds 6"),
        case("V2 wrong width", "POST", INFER, tensor("[1,7]", "FP64", &format!("[{row},1]")), 400, "is not [N, 6]"),
        case("V2 NaN", "POST", INFER, tensor("[1,6]", "FP64", "[0,6,296,15,396,NaN]"), 400, "not valid JSON"),
        case("V2 1e400", "POST", INFER, tensor("[1,6]", "FP64", "[0,6,296,15,396,1e400]"), 400, "number out of range"),
        case("V2 string value", "POST", INFER, tensor("[1,6]", "FP64", "[0,6,296,15,396,\"4\"]"), 400, "holds a string"),
        case("V2 nested object value", "POST", INFER, tensor("[1,6]", "FP64", "[0,6,296,15,396,{\"v\":4}]"), 400, "holds an object"),
        case("V2 INT8", "POST", INFER, tensor("[1,6]", "INT8", &format!("[{row}]")), 400, "datatype \"INT8\""),
        case("V2 unknown column", "POST", INFER, r#"{"inputs":[{"name":"CRIM","shape":[1],"datatype":"FP64","data":[0]},{"name":"CHAS","shape":[1],"datatype":"FP64","data":[0]}]}"#, 400, "unknown input \"CRIM\""),
        case("V2 duplicate field", "POST", INFER, format!(r#"{{"inputs":[],"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP64","data":[{row}]}}]}}"#), 400, "duplicate field `inputs`"),
        case("V2 too many rows", "POST", INFER, tensor("[1001,6]", "FP64", &format!("[{}]", vec![row; 1001].join(","))), 413, "1001 rows in one request, the limit is 1000"),
        case("V2 deep nesting", "POST", INFER, format!("{{\"inputs\":[{{\"name\":\"x\",\"shape\":[1,6],\"datatype\":\"FP64\",\"data\":{deep}}}]}}"), 400, "recursion limit"),
        case("V2 body over 1 MiB", "POST", INFER, huge, 413, "larger than 1048576 bytes"),
        Case { content_type: Some("text/csv"), ..case("V2 text/csv", "POST", INFER, tensor("[1,6]", "FP64", &format!("[{row}]")), 415, "not text/csv") },
    ]
}

/// Sends one case on a fresh connection; the body is written from another thread so
/// a server that answers before reading it all (413) cannot deadlock the test.
fn send(server: &Server, case: &Case) -> Reply {
    send_to(server.addr, case)
}

fn send_to(addr: SocketAddr, case: &Case) -> Reply {
    let mut conn = Conn::open(addr).expect("server accepts connections");
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n",
        case.method,
        case.path,
        case.body.len()
    );
    if let Some(ct) = case.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_raw(head.as_bytes()).unwrap();
    let mut writer = conn.stream().try_clone().unwrap();
    let body = case.body.clone();
    let write = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
    });
    let reply = conn
        .read_reply(false)
        .unwrap_or_else(|e| panic!("{}: no answer: {e}", case.name));
    drop(conn);
    let _ = write.join();
    reply
}

fn assert_still_serving(server: &Server) {
    let reply = server.post_json("/predict", SAMPLE);
    assert_eq!(
        (reply.status, reply.text()),
        (200, SAMPLE_ANSWER.to_string())
    );
    let ready = server.request("GET", "/v2/health/ready", &[], b"");
    assert_eq!(ready.status, 200);
}

#[test]
fn every_malformed_request_gets_its_4xx_and_the_server_keeps_serving() {
    let server = Server::start(&["--max-rows", "1000"]);
    let cases = cases();
    assert!(cases.len() >= 30);
    let mut failures = Vec::new();
    for case in &cases {
        let reply = send(&server, case);
        let content_type = reply.header("content-type").unwrap_or("").to_string();
        let message = serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string));
        match message {
            Some(message)
                if reply.status == case.status
                    && content_type == "application/json"
                    && message.contains(case.needle) => {}
            _ => failures.push(format!(
                "{}: got {} {content_type} {} (want {} with {:?})",
                case.name,
                reply.status,
                reply.text().chars().take(300).collect::<String>(),
                case.status,
                case.needle
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_still_serving(&server);
}

#[test]
fn a_slow_client_cannot_hold_a_connection() {
    let server = Server::start(&["--header-read-timeout", "300ms"]);
    let mut conn = Conn::open(server.addr).unwrap();
    // Half a request head, then silence.
    conn.write_raw(b"POST /predict HTTP/1.1\r\nHost: test\r\n")
        .unwrap();
    conn.stream()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 512];
    let n = std::io::Read::read(conn.stream(), &mut buf).unwrap_or(0);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "connection held for {waited:?}"
    );
    // hyper answers 408 or just closes; either way the connection is gone.
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    assert_still_serving(&server);
}

/// The same table against the edge component (issue 14, item 4): `scripts/test/edge.sh`
/// serves it with `wasmtime serve` and runs this test with `EDGE_URL` set. Every case must
/// get the same status, Content-Type and body as from the native server with the edge's
/// settings (the defaults, so the table's two `--max-rows 1000` cases are 200 on both),
/// but `/metrics`, which only the native server has (404 at the edge).
#[test]
#[ignore = "needs the edge component served: scripts/test/edge.sh runs it with EDGE_URL"]
fn the_edge_component_answers_the_table_as_the_native_server_does() {
    let url = std::env::var("EDGE_URL").expect("EDGE_URL=http://127.0.0.1:PORT of the component");
    let edge: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|e| panic!("EDGE_URL {url}: {e}"));
    let native = Server::start(&[]);
    let cases = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let e = send_to(edge, case);
        if case.path == "/metrics" {
            // Metrics are the native server's own: no such route at the edge.
            if e.status != 404 || !e.text().contains("no route /metrics") {
                failures.push(format!("{}: edge {} {}", case.name, e.status, e.text()));
            }
            continue;
        }
        let n = send(&native, case);
        let answer = |r: &Reply| {
            let body = r.text();
            let body: String = body.chars().take(300).collect();
            format!(
                "{} {} {body}",
                r.status,
                r.header("content-type").unwrap_or("")
            )
        };
        if answer(&n) != answer(&e) || n.body != e.body {
            failures.push(format!(
                "{}:\n  native {}\n  edge   {}",
                case.name,
                answer(&n),
                answer(&e)
            ));
        }
    }
    println!(
        "edge vs native: {} of {} cases answered alike",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
