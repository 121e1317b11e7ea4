//! The real binary under load: metrics count exactly what clients sent, and SIGTERM
//! drains without dropping a request (readiness off first, in-flight requests finished,
//! exit 0). `host healthcheck` follows readiness.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Conn, Server, SAMPLE, SAMPLE_ANSWER};

/// What the client threads saw.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failures: std::sync::Mutex<Vec<String>>,
}

/// A keep-alive client that sends the README sample until `stop`, reconnecting when the
/// server closes the connection, like a load balancer's pool.
fn client(server_addr: std::net::SocketAddr, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut conn: Option<Conn> = None;
    while !stop.load(Ordering::SeqCst) {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::open(server_addr) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tally.failures.lock().unwrap().push(format!("connect: {e}"));
                    return;
                }
            },
        };
        match c.send(
            "POST",
            "/predict",
            &[("Content-Type", "application/json")],
            SAMPLE.as_bytes(),
        ) {
            Ok(reply) if reply.status == 200 && reply.text() == SAMPLE_ANSWER => {
                tally.ok.fetch_add(1, Ordering::SeqCst);
                if reply.closes() {
                    conn = None;
                }
            }
            Ok(reply) => {
                tally
                    .failures
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", reply.status, reply.text()));
                return;
            }
            Err(e) => {
                tally.failures.lock().unwrap().push(format!("request: {e}"));
                return;
            }
        }
    }
}

fn metric(server: &Server, series: &str) -> f64 {
    let text = server.request("GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

fn healthcheck(server: &Server) -> bool {
    let url = format!("http://{}/v2/health/ready", server.addr);
    Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn sigterm_under_load_drops_nothing_and_metrics_count_every_request() {
    let mut server = Server::start(&["--shutdown-delay", "700ms", "--drain-timeout", "10s"]);
    assert!(healthcheck(&server));
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let spawn_clients = |n| {
        (0..n)
            .map(|_| {
                let (stop, tally, addr) = (stop.clone(), tally.clone(), server.addr);
                std::thread::spawn(move || client(addr, stop, tally))
            })
            .collect::<Vec<_>>()
    };

    // Phase 1: load, then the counters must equal what the clients got.
    let clients = spawn_clients(8);
    std::thread::sleep(Duration::from_millis(700));
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let sent = tally.ok.load(Ordering::SeqCst);
    assert!(sent > 100, "only {sent} requests in 0.7 s");
    assert!(tally.failures.lock().unwrap().is_empty());
    let counted = metric(
        &server,
        "host_http_requests_total{route=\"/predict\",status=\"200\",model=\"boston-housing\"}",
    );
    assert_eq!(counted, sent as f64);
    let rows = metric(
        &server,
        "host_predicted_rows_total{route=\"/predict\",model=\"boston-housing\"}",
    );
    assert_eq!(rows, sent as f64);

    // Phase 2: load again, SIGTERM in the middle.
    stop.store(false, Ordering::SeqCst);
    let clients = spawn_clients(8);
    std::thread::sleep(Duration::from_millis(300));
    let before = tally.ok.load(Ordering::SeqCst);
    let signalled = Instant::now();
    server.signal(libc::SIGTERM);
    // A load balancer's probe sees readiness go off while liveness stays on...
    let mut ready_off = None;
    while signalled.elapsed() < Duration::from_millis(600) {
        let ready = server.request("GET", "/v2/health/ready", &[], b"");
        if ready.status == 503 {
            ready_off = Some(signalled.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let ready_off = ready_off.expect("readiness never turned off");
    assert_eq!(
        server.request("GET", "/v2/health/live", &[], b"").status,
        200
    );
    assert!(
        !healthcheck(&server),
        "healthcheck must fail while draining"
    );
    // ...and stops routing new requests; requests already sent must all complete.
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let failures = tally.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "dropped: {failures:?}");
    assert!(
        tally.ok.load(Ordering::SeqCst) > before,
        "no load during shutdown"
    );

    let status = server
        .wait(Duration::from_secs(10))
        .expect("server did not exit within the drain timeout");
    assert_eq!(status.code(), Some(0), "{}", server.log());
    let exited = signalled.elapsed();
    assert!(
        exited >= Duration::from_millis(700),
        "left before the delay: {exited:?}"
    );
    assert!(ready_off < Duration::from_millis(600));
    let log = server.log();
    assert!(log.contains("\"signal\":\"SIGTERM\""), "{log}");
    assert!(log.contains("drained, exiting"), "{log}");
}

#[test]
fn a_request_in_flight_at_sigterm_is_finished() {
    let mut server = Server::start(&["--max-body-bytes", "8388608", "--drain-timeout", "10s"]);
    let rows = 20_000;
    let list = vec!["6.5"; rows].join(",");
    let body = format!(
        r#"{{"CHAS":[{list}],"RM":[{list}],"TAX":[{list}],"PTRATIO":[{list}],"B":[{list}],"LSTAT":[{list}]}}"#
    );
    let mut conn = server.connect();
    let head = format!(
        "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_raw(head.as_bytes()).unwrap();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    conn.write_raw(first).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // The server is mid-request (half the body read) when the signal comes.
    server.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    // The listener is closed: no new connections...
    assert!(
        Conn::open(server.addr).is_err(),
        "listener still open after SIGTERM"
    );
    // ...but the request in flight gets its whole answer.
    conn.write_raw(rest).unwrap();
    let reply = conn.read_reply(false).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["prediction"].as_array().unwrap().len(), rows);
    assert!(reply.closes());
    let status = server.wait(Duration::from_secs(10)).expect("no exit");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_exits_0_and_healthcheck_fails_on_a_closed_port() {
    let mut server = Server::start(&[]);
    let addr = server.addr;
    assert!(healthcheck(&server));
    server.signal(libc::SIGINT);
    let status = server.wait(Duration::from_secs(10)).expect("no exit");
    assert_eq!(status.code(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_host"))
        .args([
            "healthcheck",
            "--url",
            &format!("http://{addr}/v2/health/ready"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}
