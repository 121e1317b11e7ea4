//! Hostile clients against the real `host serve` over 127.0.0.1 (issue 14): slowloris,
//! thousands of idle keep-alive connections, file-descriptor exhaustion, request-smuggling
//! shapes, heads over the limits, bytes that are not UTF-8, bodies that stop half-way or
//! stall (the minimum body rate), clients that never read, and an 8 MiB body sent without
//! `Expect: 100-continue`; over HTTP/2 (gRPC), calls stalled mid-message or slower than
//! the minimum rate, answers never taken, connections at the stream limit, rapid reset,
//! and CONTINUATION, PING and SETTINGS floods.
//!
//! Each case checks that the abusive requests get their 4xx or a closed connection, that a
//! well-behaved client beside them keeps getting the right answer, and that the server's
//! memory and open files stay bounded and come back. Assertions are on statuses and
//! counts, never on latency; the figures (the good client's p50/p99, VmRSS and open files
//! before/peak/after) are printed as `FIGURES` lines, for RELIABILITY.md:
//! `cargo test -p host --test hostile -- --nocapture --test-threads 1`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Conn, Reply, Server, SAMPLE, SAMPLE_ANSWER};

/// One case at a time: each measures one server's memory and the good client's latency,
/// which a case running beside it would disturb.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Raises this process's open-file limit (the server inherits it) to at least `need`.
fn raise_open_files(need: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write/read the struct we pass, nothing else.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < need {
            assert!(
                limit.rlim_max >= need,
                "this test needs {need} open files; the hard limit is {}",
                limit.rlim_max
            );
            limit.rlim_cur = need;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// Lowers the running server's open-file limit to `limit` (prlimit on our own child).
fn limit_open_files(server: &Server, limit: u64) {
    let pid = server.child.id() as libc::pid_t;
    let low = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: prlimit on our own child with a valid struct.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &low, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit");
}

/// The server process as /proc shows it.
struct Probe {
    pid: u32,
}

impl Probe {
    fn of(server: &Server) -> Probe {
        Probe {
            pid: server.child.id(),
        }
    }

    /// VmRSS (0 once the process is gone).
    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Open files (0 once the process is gone).
    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid)).map_or(0, Iterator::count)
    }

    /// Waits until the server holds at most `limit` files (its connections closed).
    fn wait_fds_at_most(&self, limit: usize, within: Duration) -> usize {
        let start = Instant::now();
        loop {
            let fds = self.fds();
            if fds <= limit || start.elapsed() > within {
                return fds;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Samples the server's VmRSS and open files every 10 ms; `finish` gives the peaks.
struct Watch {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<(u64, usize)>,
}

impl Watch {
    fn start(pid: u32) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let probe = Probe { pid };
            let (mut rss, mut fds) = (0, 0);
            while !flag.load(Ordering::SeqCst) {
                rss = rss.max(probe.rss_kib());
                fds = fds.max(probe.fds());
                std::thread::sleep(Duration::from_millis(10));
            }
            (rss, fds)
        });
        Watch { stop, handle }
    }

    fn finish(self) -> (u64, usize) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

/// A well-behaved keep-alive client: the README sample every 5 ms, each answer checked.
struct GoodClient {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
    handle: JoinHandle<(Vec<Duration>, Vec<String>)>,
}

impl GoodClient {
    fn start(addr: SocketAddr) -> GoodClient {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let (flag, count) = (stop.clone(), answered.clone());
        let handle = std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            let mut conn: Option<Conn> = None;
            while !flag.load(Ordering::SeqCst) && failures.len() < 10 {
                let start = Instant::now();
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::open(addr) {
                        Ok(c) => conn.insert(c),
                        Err(e) => {
                            failures.push(format!("connect: {e}"));
                            continue;
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
                        latencies.push(start.elapsed());
                        count.fetch_add(1, Ordering::SeqCst);
                        if reply.closes() {
                            conn = None;
                        }
                    }
                    Ok(reply) => {
                        failures.push(format!("{} {}", reply.status, reply.text()));
                        conn = None;
                    }
                    Err(e) => {
                        failures.push(format!("request: {e}"));
                        conn = None;
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (latencies, failures)
        });
        GoodClient {
            stop,
            answered,
            handle,
        }
    }

    /// Stops it (after at least 100 answers, or 10 s, so its p99 means something);
    /// every answer must have been right, and there must have been some.
    #[track_caller]
    fn finish(self) -> Latency {
        let start = Instant::now();
        while self.answered.load(Ordering::SeqCst) < 100
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.stop.store(true, Ordering::SeqCst);
        let (mut latencies, failures) = self.handle.join().unwrap();
        assert!(
            failures.is_empty(),
            "the well-behaved client failed: {failures:?}"
        );
        assert!(
            !latencies.is_empty(),
            "the well-behaved client got no answer"
        );
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        Latency {
            requests: latencies.len(),
            p50: at(0.5),
            p99: at(0.99),
            max: *latencies.last().unwrap(),
        }
    }
}

struct Latency {
    requests: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

/// A case's measurements, printed as one line.
struct Figures {
    case: &'static str,
    rss_before: u64,
    fds_before: usize,
    watch: Watch,
    probe: Probe,
}

impl Figures {
    fn start(case: &'static str, server: &Server) -> Figures {
        let probe = Probe::of(server);
        Figures {
            case,
            rss_before: probe.rss_kib(),
            fds_before: probe.fds(),
            watch: Watch::start(probe.pid),
            probe,
        }
    }

    /// Prints the figures once the attack is over and the server has closed its
    /// connections (at most 2 more files than before: connections still closing), then
    /// asserts no connection leaked and memory stayed bounded.
    fn finish(self, good: &Latency, outcome: &str) {
        let fds_after = self
            .probe
            .wait_fds_at_most(self.fds_before + 2, Duration::from_secs(30));
        let rss_after = self.probe.rss_kib();
        let (rss_peak, fds_peak) = self.watch.finish();
        let mib = |kib: u64| kib as f64 / 1024.0;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "FIGURES | {} | {outcome} | {} req, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | \
             RSS {:.1} / {:.1} / {:.1} MiB | fds {} / {} / {} |",
            self.case,
            good.requests,
            ms(good.p50),
            ms(good.p99),
            ms(good.max),
            mib(self.rss_before),
            mib(rss_peak),
            mib(rss_after),
            self.fds_before,
            fds_peak,
            fds_after,
        );
        assert!(
            fds_after <= self.fds_before + 2,
            "{}: the server still holds {fds_after} files (was {}): connections leaked",
            self.case,
            self.fds_before
        );
        // Generous: the bound that matters is "not proportional to the attack".
        assert!(
            rss_peak < 512 * 1024,
            "{}: peak RSS {} MiB",
            self.case,
            rss_peak / 1024
        );
    }
}

fn open(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads until the server closes the connection (EOF or reset) or `limit` passes:
/// `Some(bytes read)` if it closed, `None` if it was still open.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Some(got), // reset
        }
    }
}

/// The status of the first response in `bytes` (`None` if there is none).
fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// How many responses `bytes` holds (status lines at the start of a line).
fn responses_in(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    text.match_indices("HTTP/1.1 ")
        .filter(|(i, _)| *i == 0 || text[..*i].ends_with('\n'))
        .count()
}

fn assert_still_serving(server: &Server) {
    let reply = server.post_json("/predict", SAMPLE);
    assert_eq!(
        (reply.status, reply.text()),
        (200, SAMPLE_ANSWER.to_string())
    );
}

/// The `columns` payload with `rows` rows (every value 1).
fn rows_payload(rows: usize) -> String {
    let list = vec!["1"; rows].join(",");
    format!(
        r#"{{"CHAS":[{list}],"RM":[{list}],"TAX":[{list}],"PTRATIO":[{list}],"B":[{list}],"LSTAT":[{list}]}}"#
    )
}

#[test]
fn slowloris_500_connections_dripping_header_bytes_are_closed_at_the_header_timeout() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&["--header-read-timeout", "2s"]);
    let figures = Figures::start(
        "slowloris: 500 connections, 1 header byte each per 100 ms",
        &server,
    );
    let good = GoodClient::start(server.addr);
    let head =
        b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nX-Drip: ";
    let start = Instant::now();
    let mut conns: Vec<(TcpStream, Instant, usize)> = (0..500)
        .map(|_| {
            let s = open(server.addr);
            s.set_nonblocking(true).unwrap();
            (s, Instant::now(), 0)
        })
        .collect();
    let mut held = Vec::new(); // how long each connection was kept open by the server
    let mut answered = Vec::new();
    let mut buf = [0u8; 4096];
    while !conns.is_empty() && start.elapsed() < Duration::from_secs(40) {
        conns.retain_mut(|(stream, opened, sent)| {
            match stream.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => answered.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    // Still open: one more byte (the head never ends).
                    let byte = head.get(*sent).copied().unwrap_or(b'a');
                    if stream.write(&[byte]).is_ok() {
                        *sent += 1;
                        return true;
                    }
                }
                Err(_) => {}
            }
            held.push(opened.elapsed());
            false
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    let good = good.finish();
    assert!(
        conns.is_empty(),
        "{} slowloris connections still open after 40 s",
        conns.len()
    );
    // hyper closes at the header timeout without a response (or with a 408).
    assert!(
        answered.iter().all(|a| a.starts_with("HTTP/1.1 408")),
        "{answered:?}"
    );
    held.sort();
    let outcome = format!(
        "500/500 closed by the server, held {:.1}-{:.1} s",
        held[0].as_secs_f64(),
        held[held.len() - 1].as_secs_f64()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

#[test]
fn two_thousand_idle_keep_alive_connections_then_the_idle_timeout_closes_them() {
    let _serial = serial();
    raise_open_files(8192);
    let server = Server::start(&["--header-read-timeout", "10s"]);
    let figures = Figures::start("2000 idle keep-alive connections", &server);
    let addr = server.addr;
    // Four threads open 500 each; each connection gets one answer, then idles.
    let openers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                (0..500)
                    .map(|_| {
                        let mut conn = Conn::open(addr).expect("connect");
                        let reply = conn.send("GET", "/v2/health/live", &[], b"").unwrap();
                        assert_eq!(reply.status, 200);
                        assert!(!reply.closes());
                        conn
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut idle: Vec<Conn> = openers
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let open_on_server = Probe::of(&server).fds();
    assert!(
        open_on_server >= 2000,
        "server holds {open_on_server} files"
    );
    let good = GoodClient::start(addr);
    std::thread::sleep(Duration::from_secs(2));
    let good = good.finish();
    // The server closes every idle connection at the timeout (the test never does).
    let closed = idle
        .iter_mut()
        .map(|c| read_until_closed(c.stream(), Duration::from_secs(20)))
        .filter(|got| got.as_deref() == Some(&[][..]))
        .count();
    assert_eq!(closed, 2000, "idle connections closed by the server");
    let outcome = format!(
        "2000/2000 answered, then idle; {open_on_server} files open; all closed at the idle timeout"
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

#[test]
fn file_descriptor_exhaustion_does_not_stop_the_listener() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&["--header-read-timeout", "60s"]);
    limit_open_files(&server, 128);
    let figures = Figures::start(
        "fd exhaustion: ulimit -n 128, 400 idle connections",
        &server,
    );
    let mut idle: Vec<TcpStream> = (0..400).map(|_| open(server.addr)).collect();
    // The server reaches its limit and says so (EMFILE), without exiting.
    let start = Instant::now();
    while !server.log().contains("Too many open files") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no EMFILE: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let at_limit = Probe::of(&server).fds();
    assert!(at_limit >= 120, "the server holds {at_limit} files");
    // A request sent now waits in the listen queue...
    let addr = server.addr;
    let waiting = std::thread::spawn(move || {
        let mut conn = Conn::open(addr).expect("connect (the kernel's queue)");
        conn.stream()
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let reply = conn
            .send(
                "POST",
                "/predict",
                &[("Content-Type", "application/json")],
                SAMPLE.as_bytes(),
            )
            .expect("answered once files are free");
        (reply, Instant::now())
    });
    std::thread::sleep(Duration::from_millis(500));
    // ...and is answered once the idle clients go away.
    let released = Instant::now();
    idle.clear();
    let (reply, answered) = waiting.join().unwrap();
    assert_eq!(
        (reply.status, reply.text()),
        (200, SAMPLE_ANSWER.to_string())
    );
    let good = GoodClient::start(addr);
    std::thread::sleep(Duration::from_secs(1));
    let good = good.finish();
    let warnings = server.log().matches("accept failed").count();
    let outcome = format!(
        "EMFILE at {at_limit} files ({warnings} `accept failed` warnings, 50 ms apart); \
         the queued request answered {:.0} ms after the idle clients closed",
        answered.duration_since(released).as_secs_f64() * 1e3
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

/// Raw request bytes and the status they must get (0: closed without an answer).
struct Raw {
    name: &'static str,
    bytes: Vec<u8>,
    status: u16,
    /// A close without an answer is right too: the server refused the head without
    /// reading the rest, so its close may reset the connection and the client lose the
    /// answer (hyper cannot linger there).
    or_closed: bool,
}

fn raw(name: &'static str, bytes: impl Into<Vec<u8>>, status: u16) -> Raw {
    Raw {
        name,
        bytes: bytes.into(),
        status,
        or_closed: false,
    }
}

fn raw_or_closed(name: &'static str, bytes: impl Into<Vec<u8>>, status: u16) -> Raw {
    Raw {
        or_closed: true,
        ..raw(name, bytes, status)
    }
}

/// Sends each request on a fresh connection: the status must be the one expected, it must
/// be the only response (nothing smuggled behind it is answered), and the server must
/// then close the connection.
fn run_table(server: &Server, table: &[Raw]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in table {
        let mut stream = open(server.addr);
        let mut writer = stream.try_clone().unwrap();
        let bytes = case.bytes.clone();
        // From another thread: a server that answers before reading everything must not
        // deadlock the test.
        let write = std::thread::spawn(move || {
            let _ = writer.write_all(&bytes);
        });
        let got = read_until_closed(&mut stream, Duration::from_secs(10));
        let _ = write.join();
        let text =
            |bytes: &[u8]| String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        match got {
            None => failures.push(format!("{}: connection left open", case.name)),
            Some(bytes) if bytes.is_empty() && (case.or_closed || case.status == 0) => {}
            Some(bytes) if status_of(&bytes) != Some(case.status) || responses_in(&bytes) != 1 => {
                failures.push(format!(
                    "{}: want one {} then close, got {:?}",
                    case.name,
                    case.status,
                    text(&bytes)
                ))
            }
            Some(_) => {}
        }
    }
    failures
}

/// A POST /predict with the JSON content type, the extra `head` lines, then `body`.
fn post(head: &str, body: &str) -> Vec<u8> {
    format!("POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{head}\r\n{body}")
        .into_bytes()
}

#[test]
fn request_smuggling_shapes_get_400_and_a_closed_connection() {
    let _serial = serial();
    let server = Server::start(&[]);
    let figures = Figures::start("request smuggling shapes", &server);
    let good = GoodClient::start(server.addr);
    let smuggled = "GET /v2/health/live HTTP/1.1\r\nHost: test\r\n\r\n";
    let chunked_sample = format!("{:x}\r\n{SAMPLE}\r\n0\r\n\r\n", SAMPLE.len());
    let n = SAMPLE.len();
    let table = vec![
        // CL.TE: Transfer-Encoding wins (RFC 9112 6.3), the connection closes after the
        // answer, so what the Content-Length would have left over is never a request.
        raw("Content-Length and Transfer-Encoding (CL.TE)", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", &format!("0\r\n\r\n{smuggled}")), 400),
        raw("Transfer-Encoding then Content-Length (TE.CL)", post("Transfer-Encoding: chunked\r\nContent-Length: 300\r\n", &format!("{chunked_sample}{smuggled}")), 200),
        raw("two different Content-Lengths", post(&format!("Content-Length: {n}\r\nContent-Length: {}\r\n", n + 40), &format!("{SAMPLE}{smuggled}")), 400),
        raw("Content-Length list with different values", post(&format!("Content-Length: {n}, {}\r\n", n + 40), &format!("{SAMPLE}{smuggled}")), 400),
        raw("Content-Length +N", post(&format!("Content-Length: +{n}\r\n"), SAMPLE), 400),
        raw("Content-Length -1", post("Content-Length: -1\r\n", SAMPLE), 400),
        raw("Content-Length in hex", post("Content-Length: 0x10\r\n", SAMPLE), 400),
        raw("Content-Length over u64", post("Content-Length: 99999999999999999999999\r\n", SAMPLE), 400),
        raw("Content-Length empty", post("Content-Length: \r\n", SAMPLE), 400),
        raw("Content-Length with a space before the colon", post(&format!("Content-Length : {n}\r\n"), SAMPLE), 400),
        raw("Transfer-Encoding with a space before the colon", post("Transfer-Encoding : chunked\r\n", &chunked_sample), 400),
        raw("Transfer-Encoding: chunked not last", post("Transfer-Encoding: chunked, gzip\r\n", &chunked_sample), 400),
        raw("Transfer-Encoding: xchunked", post("Transfer-Encoding: xchunked\r\n", &chunked_sample), 400),
        raw("Transfer-Encoding: identity", post("Transfer-Encoding: identity\r\n", SAMPLE), 400),
        raw("two Transfer-Encodings, chunked first", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", &chunked_sample), 400),
        raw("Transfer-Encoding in HTTP/1.0", format!("POST /predict HTTP/1.0\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunked_sample}"), 400),
        raw("chunk size not hex", post("Transfer-Encoding: chunked\r\n", &format!("zz\r\n{SAMPLE}\r\n0\r\n\r\n{smuggled}")), 400),
        raw("chunk size negative", post("Transfer-Encoding: chunked\r\n", &format!("-1\r\n{SAMPLE}\r\n0\r\n\r\n{smuggled}")), 400),
        raw("chunk size over u64", post("Transfer-Encoding: chunked\r\n", &format!("fffffffffffffffffffff\r\n{SAMPLE}\r\n0\r\n\r\n")), 400),
        raw("chunk longer than its size", post("Transfer-Encoding: chunked\r\n", &format!("2\r\n{SAMPLE}\r\n0\r\n\r\n{smuggled}")), 400),
        raw("chunk size with 0x", post("Transfer-Encoding: chunked\r\n", &format!("0x{:x}\r\n{SAMPLE}\r\n0\r\n\r\n", SAMPLE.len())), 400),
        raw("obs-fold header", post(&format!("X-Folded: a\r\n b\r\nContent-Length: {n}\r\n"), SAMPLE), 400),
        raw("obs-fold Transfer-Encoding", post("Transfer-Encoding:\r\n chunked\r\n", &chunked_sample), 400),
        raw("header without a colon", post(&format!("X-No-Colon\r\nContent-Length: {n}\r\n"), SAMPLE), 400),
        raw("space in a header name", post(&format!("X Bad: 1\r\nContent-Length: {n}\r\n"), SAMPLE), 400),
        raw("NUL in a header value", post(&format!("X-Nul: a\0b\r\nContent-Length: {n}\r\n"), SAMPLE), 400),
        raw("bare CR in a header value", post(&format!("X-Cr: a\rb\r\nContent-Length: {n}\r\n"), SAMPLE), 400),
        raw("two spaces in the request line", format!("POST  /predict HTTP/1.1\r\nHost: test\r\nContent-Length: {n}\r\n\r\n{SAMPLE}"), 400),
        raw("unknown HTTP version", format!("POST /predict HTTP/1.2\r\nHost: test\r\nContent-Length: {n}\r\n\r\n{SAMPLE}"), 400),
        raw("HTTP/2 preface on HTTP/1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0),
    ];
    let failures = run_table(&server, &table);
    let good = good.finish();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    figures.finish(
        &good,
        &format!(
            "{}/{} shapes: one answer, then closed",
            table.len(),
            table.len()
        ),
    );
    assert_still_serving(&server);
}

#[test]
fn heads_over_the_limits_get_431_and_a_closed_connection() {
    let _serial = serial();
    let server = Server::start(&[]);
    let figures = Figures::start("heads over the limits (100 headers, 64 KiB)", &server);
    let good = GoodClient::start(server.addr);
    let headers =
        |count: usize| -> String { (0..count).map(|i| format!("X-H{i}: {i}\r\n")).collect() };
    let n = SAMPLE.len();
    let big = |bytes: usize| format!("X-Big: {}\r\nContent-Length: {n}\r\n", "a".repeat(bytes));
    // Host and Content-Type are two of the 100.
    let table = vec![
        raw(
            "99 more headers (100 in all)",
            post(&format!("{}Content-Length: {n}\r\n", headers(97)), SAMPLE),
            200,
        ),
        raw(
            "101 headers",
            post(&format!("{}Content-Length: {n}\r\n", headers(98)), SAMPLE),
            431,
        ),
        raw_or_closed(
            "10,000 headers",
            post(
                &format!("{}Content-Length: {n}\r\n", headers(10_000)),
                SAMPLE,
            ),
            431,
        ),
        raw("a 60 KiB header", post(&big(60 * 1024), SAMPLE), 200),
        raw_or_closed("a 65 KiB header", post(&big(65 * 1024), SAMPLE), 431),
        raw_or_closed("a 70 KiB header", post(&big(70 * 1024), SAMPLE), 431),
        raw_or_closed("a 73 KiB header", post(&big(73 * 1024), SAMPLE), 431),
        raw_or_closed("a 300 KiB header", post(&big(300 * 1024), SAMPLE), 431),
        raw_or_closed("a 4 MiB header", post(&big(4 << 20), SAMPLE), 431),
        raw_or_closed(
            "a 70 KiB path",
            format!(
                "GET /{} HTTP/1.1\r\nHost: test\r\n\r\n",
                "p".repeat(70 * 1024)
            ),
            431,
        ),
    ];
    let (fine, over): (Vec<_>, Vec<_>) = table.into_iter().partition(|c| c.status == 200);
    let mut failures = run_table(&server, &over);
    // Those under the limits are answered on a connection that stays open.
    for case in &fine {
        let mut conn = server.connect();
        conn.write_raw(&case.bytes).unwrap();
        let reply = conn.read_reply(false).unwrap();
        if reply.status != 200 || reply.text() != SAMPLE_ANSWER {
            failures.push(format!("{}: {} {}", case.name, reply.status, reply.text()));
        }
    }
    let good = good.finish();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    figures.finish(&good, "over: 431 then closed; under: answered");
    assert_still_serving(&server);
}

#[test]
fn fat_heads_that_stall_hold_at_most_the_header_limit_each() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&["--header-read-timeout", "3s"]);
    let figures = Figures::start(
        "500 connections, 63 KiB of headers each, then silence",
        &server,
    );
    let good = GoodClient::start(server.addr);
    let fat = format!(
        "POST /predict HTTP/1.1\r\nHost: test\r\nX-Fat: {}\r\n",
        "a".repeat(63 * 1024)
    );
    let mut conns: Vec<TcpStream> = (0..500)
        .map(|_| {
            let mut s = open(server.addr);
            s.write_all(fat.as_bytes()).unwrap();
            s
        })
        .collect();
    let closed = conns
        .iter_mut()
        .map(|s| read_until_closed(s, Duration::from_secs(30)))
        .filter(Option::is_some)
        .count();
    let good = good.finish();
    assert_eq!(closed, 500, "stalled heads closed by the header timeout");
    figures.finish(&good, "500/500 closed at the header timeout");
    assert_still_serving(&server);
}

#[test]
fn bytes_that_are_not_utf8_get_a_4xx_never_a_panic() {
    let _serial = serial();
    let server = Server::start(&[]);
    let figures = Figures::start("bytes that are not UTF-8 in path, query, headers", &server);
    let good = GoodClient::start(server.addr);
    let n = SAMPLE.len();
    let with = |head: &[u8]| -> Vec<u8> {
        let mut bytes = b"POST /predict HTTP/1.1\r\nHost: test\r\n".to_vec();
        bytes.extend_from_slice(head);
        bytes.extend_from_slice(format!("Content-Length: {n}\r\n\r\n{SAMPLE}").as_bytes());
        bytes
    };
    let request_line = |line: &[u8]| -> Vec<u8> {
        let mut bytes = line.to_vec();
        bytes.extend_from_slice(format!("\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n\r\n{SAMPLE}").as_bytes());
        bytes
    };
    // Refused by hyper before the router: 400 and close.
    let refused = vec![
        raw(
            "0xFF in the path",
            request_line(b"POST /pre\xffdict HTTP/1.1"),
            400,
        ),
        raw(
            "0xFF in the query",
            request_line(b"POST /predict?scaling=\xff HTTP/1.1"),
            400,
        ),
        raw(
            "overlong UTF-8 in the path",
            request_line(b"POST /\xc0\xaf HTTP/1.1"),
            400,
        ),
        raw(
            "0xFF in the method",
            request_line(b"PO\xffST /predict HTTP/1.1"),
            400,
        ),
        raw(
            "0xFF in a header name",
            with(b"X-\xff: 1\r\nContent-Type: application/json\r\n"),
            400,
        ),
    ];
    let mut failures = run_table(&server, &refused);
    // Valid HTTP (obs-text in values, percent-escapes): the router answers, with JSON.
    let answered: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "%FF in the path",
            request_line(b"POST /pre%ffdict HTTP/1.1"),
            404,
            "no route /pre%ffdict",
        ),
        (
            "%FF in the query",
            request_line(b"POST /predict?scaling=%ff HTTP/1.1"),
            400,
            "%ff",
        ),
        (
            "0xFF in the Content-Type",
            with(b"Content-Type: application/json\xff\r\n"),
            415,
            "not application/json",
        ),
        (
            "0xFF in an unrelated header",
            with(b"X-Junk: \xff\xfe\r\nContent-Type: application/json\r\n"),
            200,
            "",
        ),
        (
            "0xFF in x-request-id",
            with(b"X-Request-Id: \xff\r\nContent-Type: application/json\r\n"),
            200,
            "",
        ),
    ];
    for (name, bytes, status, needle) in &answered {
        let mut conn = server.connect();
        conn.write_raw(bytes).unwrap();
        let reply = conn.read_reply(false).unwrap();
        let ok = reply.status == *status
            && if *status == 200 {
                reply.text() == SAMPLE_ANSWER
            } else {
                reply.json()["error"]
                    .as_str()
                    .is_some_and(|e| e.contains(needle))
            };
        if !ok {
            failures.push(format!("{name}: {} {}", reply.status, reply.text()));
        }
        if *name == "0xFF in x-request-id" {
            let id = reply.header("x-request-id").unwrap_or("");
            if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                failures.push(format!("{name}: echoed id {id:?}"));
            }
        }
    }
    let good = good.finish();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    figures.finish(
        &good,
        &format!(
            "{} refused by hyper (400, close), {} answered by the router",
            refused.len(),
            answered.len()
        ),
    );
    assert_still_serving(&server);
}

/// `n` connections that send a head declaring a 1000-byte body, 10 bytes of it, then
/// nothing.
fn stalled_bodies(server: &Server, n: usize) -> Vec<TcpStream> {
    let head = "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    (0..n)
        .map(|_| {
            let mut s = open(server.addr);
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(&SAMPLE.as_bytes()[..10]).unwrap();
            s
        })
        .collect()
}

#[test]
fn bodies_that_stop_half_way_get_408_and_a_closed_connection() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&["--request-timeout", "2s"]);
    let figures = Figures::start("200 bodies that stop half-way", &server);
    let sent = Instant::now();
    let mut conns = stalled_bodies(&server, 200);
    let good = GoodClient::start(server.addr);
    let mut waited = Vec::new();
    let mut failures = Vec::new();
    for s in &mut conns {
        match read_until_closed(s, Duration::from_secs(30)) {
            Some(bytes) if status_of(&bytes) == Some(408) && responses_in(&bytes) == 1 => {
                waited.push(sent.elapsed());
            }
            got => failures.push(format!(
                "{:?}",
                got.map(|b| String::from_utf8_lossy(&b).into_owned())
            )),
        }
    }
    let good = good.finish();
    assert!(
        failures.is_empty(),
        "{} not 408 then close: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    let outcome = format!(
        "200/200 got 408 then close, the last {:.1} s after sending",
        waited.last().unwrap().as_secs_f64()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

#[test]
fn stalled_bodies_are_cut_at_the_minimum_body_rate_and_slow_honest_ones_are_not() {
    let _serial = serial();
    raise_open_files(4096);
    // The default 30 s request timeout: without the minimum rate (240 bytes/s after 5 s),
    // each stalled body would hold its request slot for 30 s.
    let server = Server::start(&[]);
    let figures = Figures::start("200 stalled bodies, the default limits", &server);
    let sent = Instant::now();
    let mut conns = stalled_bodies(&server, 200);
    // An honest slow client beside them: the sample in 8-byte pieces every 20 ms
    // (about 400 bytes/s, a 6-7 s body), answered as usual.
    let slow = {
        let addr = server.addr;
        std::thread::spawn(move || {
            let mut s = open(addr);
            let body = SAMPLE.as_bytes();
            let head = format!(
                "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len() + 2400
            );
            s.write_all(head.as_bytes()).unwrap();
            // Leading whitespace is valid JSON: 2400 spaces, then the sample.
            let mut padded = vec![b' '; 2400];
            padded.extend_from_slice(body);
            let started = Instant::now();
            for piece in padded.chunks(8) {
                s.write_all(piece).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
            (
                started.elapsed(),
                read_until_closed(&mut s, Duration::from_secs(30)),
            )
        })
    };
    let good = GoodClient::start(server.addr);
    let mut waited = Vec::new();
    let mut failures = Vec::new();
    for s in &mut conns {
        match read_until_closed(s, Duration::from_secs(20)) {
            Some(bytes)
                if status_of(&bytes) == Some(408)
                    && responses_in(&bytes) == 1
                    && String::from_utf8_lossy(&bytes).contains("arrived too slowly") =>
            {
                waited.push(sent.elapsed());
            }
            got => failures.push(format!(
                "{:?}",
                got.map(|b| String::from_utf8_lossy(&b).into_owned())
            )),
        }
    }
    let good = good.finish();
    let (took, slow_reply) = slow.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} not 408 then close: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    let last = *waited.last().unwrap();
    assert!(
        last < Duration::from_secs(15),
        "the stalled bodies were cut after {last:?}, not at the 5 s grace"
    );
    let slow_reply =
        String::from_utf8_lossy(&slow_reply.expect("the slow client's answer")).into_owned();
    assert!(
        slow_reply.starts_with("HTTP/1.1 200") && slow_reply.ends_with(SAMPLE_ANSWER),
        "the slow honest client ({took:?} to send) got: {slow_reply}"
    );
    let outcome = format!(
        "200/200 got 408 then close, the last {:.1} s after sending; a 400 bytes/s body of {:.1} s got its 200",
        last.as_secs_f64(),
        took.as_secs_f64()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

/// Shrinks a socket's receive buffer, so a client that does not read holds little
/// kernel memory (the server's send buffer still fills).
fn small_receive_buffer(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 32 * 1024;
    // SAFETY: setsockopt on an open socket with a pointer to a live c_int of that size.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt SO_RCVBUF");
}

#[test]
fn clients_that_never_read_are_disconnected_and_block_nobody() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&["--request-timeout", "2s"]);
    let figures = Figures::start(
        "4 clients pipelining big answers (5,000 rows, 60 KB 404s), never reading",
        &server,
    );
    let body = rows_payload(5_000);
    // Every answer would be right: check one first.
    let one = server.post_json("/predict", &body);
    assert_eq!(one.status, 200, "{}", one.text());
    let answer_len = one.body.len();
    let big = Arc::new(
        format!(
            "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    );
    // Then requests whose answers are as big and cost little CPU (which the good client
    // needs): a 404 naming a 60 KiB path. 200 of them (12 MB) overflow any socket buffers.
    let path = "p".repeat(60 * 1024);
    let lost = Arc::new(format!("GET /{path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes());
    let echo = server.request("GET", &format!("/{path}"), &[], b"");
    assert_eq!(echo.status, 404);
    let echo_len = echo.body.len();
    const MOST: usize = 200;
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let mut s = open(server.addr);
            small_receive_buffer(&s);
            s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
            let (big, lost) = (big.clone(), lost.clone());
            let keep = s.try_clone().unwrap();
            let handle = std::thread::spawn(move || {
                if s.write_all(&big).is_err() {
                    return 0;
                }
                (0..MOST).take_while(|_| s.write_all(&lost).is_ok()).count()
            });
            (keep, handle)
        })
        .collect();
    let good = GoodClient::start(server.addr);
    // The server gives up on each after 2 s without progress; the clients still hold
    // their sockets, unread, so the server's files coming back shows it closed them.
    let before = figures.fds_before;
    let probe = Probe::of(&server);
    let start = Instant::now();
    while probe.fds() < before + 4 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        probe.fds() >= before + 4,
        "the server never accepted the clients"
    );
    let fds = probe.wait_fds_at_most(before + 2, Duration::from_secs(40));
    let held = start.elapsed();
    let good = good.finish();
    assert!(
        fds <= before + 2,
        "server still holds {fds} files (was {before})"
    );
    let sent: Vec<usize> = writers
        .into_iter()
        .map(|(keep, handle)| {
            let sent = handle.join().unwrap();
            drop(keep);
            sent
        })
        .collect();
    assert!(
        sent.iter().all(|&s| s < MOST),
        "a client sent all {MOST} requests: {sent:?}"
    );
    let outcome = format!(
        "4/4 closed by the server {:.1} s after they connected (a {answer_len}-byte answer, \
         then {}-{} of {MOST} {echo_len}-byte 404s sent before the server stopped reading)",
        held.as_secs_f64(),
        sent.iter().min().unwrap(),
        sent.iter().max().unwrap()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

/// Writes `head` then `body_len` bytes of `[`-filler (in 64 KiB pieces, or chunked),
/// then reads the response, as Python's http.client does (everything sent before reading).
fn send_all_then_read(
    addr: SocketAddr,
    head: &str,
    body_len: usize,
    chunked: bool,
) -> std::io::Result<Reply> {
    let mut conn = Conn::open(addr)?;
    conn.stream()
        .set_write_timeout(Some(Duration::from_secs(30)))?;
    conn.write_raw(head.as_bytes())?;
    // The head has arrived and been answered before the body goes (as on a slow uplink):
    // a server that closes at once has then closed before the client's last byte.
    std::thread::sleep(Duration::from_millis(100));
    let piece = vec![b'['; 64 * 1024];
    let mut left = body_len;
    while left > 0 {
        let n = left.min(piece.len());
        if chunked {
            conn.write_raw(format!("{n:x}\r\n").as_bytes())?;
        }
        conn.write_raw(&piece[..n])?;
        if chunked {
            conn.write_raw(b"\r\n")?;
        }
        left -= n;
    }
    if chunked {
        conn.write_raw(b"0\r\n\r\n")?;
    }
    conn.read_reply(false)
}

#[test]
fn an_8_mib_body_without_expect_continue_reads_its_413() {
    let _serial = serial();
    let server = Server::start(&[]);
    let figures = Figures::start("8 MiB bodies against the 1 MiB limit", &server);
    let good = GoodClient::start(server.addr);
    let eight = 8 << 20;
    let head = |extra: &str| {
        format!(
            "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{extra}\r\n"
        )
    };
    for (name, head, chunked) in [
        (
            "Content-Length",
            head(&format!("Content-Length: {eight}\r\n")),
            false,
        ),
        ("chunked", head("Transfer-Encoding: chunked\r\n"), true),
    ] {
        for _ in 0..3 {
            let reply = send_all_then_read(server.addr, &head, eight, chunked)
                .unwrap_or_else(|e| panic!("{name}: the 413 was lost: {e}"));
            assert_eq!(reply.status, 413, "{name}: {}", reply.text());
            assert!(reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("larger than 1048576 bytes"));
            assert!(reply.closes(), "{name}: a 413 closes its connection");
        }
    }
    // With `Expect: 100-continue` the 413 comes at once, without a 100 first.
    let mut conn = server.connect();
    conn.write_raw(
        head(&format!(
            "Content-Length: {eight}\r\nExpect: 100-continue\r\n"
        ))
        .as_bytes(),
    )
    .unwrap();
    let reply = conn.read_reply(false).unwrap();
    assert_eq!(reply.status, 413);
    assert!(read_until_closed(conn.stream(), Duration::from_secs(10)).is_some());
    // Chunked with `Expect: 100-continue`: the body is asked for (100) before its size is
    // known, so it is sent, and drained after the 413 like any other.
    let mut conn = server.connect();
    conn.write_raw(head("Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n").as_bytes())
        .unwrap();
    let interim = conn.read_reply(false).unwrap();
    assert_eq!(interim.status, 100);
    let piece = format!("{:x}\r\n{}\r\n", 1 << 20, "[".repeat(1 << 20));
    for _ in 0..8 {
        conn.write_raw(piece.as_bytes())
            .expect("the body is read after its 100");
    }
    conn.write_raw(b"0\r\n\r\n").unwrap();
    let reply = conn.read_reply(false).unwrap();
    assert_eq!((reply.status, reply.closes()), (413, true));
    // The drain is bounded: a client that never stops sending is cut off.
    let mut conn = server.connect();
    conn.stream()
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    conn.write_raw(head("Content-Length: 100000000000\r\n").as_bytes())
        .unwrap();
    let piece = vec![b'['; 64 * 1024];
    let mut sent = 0usize;
    let cut = loop {
        match conn.write_raw(&piece) {
            Ok(()) => sent += piece.len(),
            Err(e) => break e,
        }
        assert!(sent < 1 << 30, "the server drained 1 GiB");
    };
    let good = good.finish();
    let outcome = format!(
        "413 read after sending all 8 MiB (6/6); Expect: 413 at once, or after a 100 \
         for a chunked body sent whole; \
         endless body cut after {} MiB ({})",
        sent >> 20,
        cut.kind()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

/// The head of a gRPC `ModelInfer` call to `addr`, its message to follow.
fn model_infer_head(addr: SocketAddr) -> http::Request<()> {
    http::Request::post(format!(
        "http://{addr}/inference.GRPCInferenceService/ModelInfer"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(())
    .unwrap()
}

/// How the gRPC calls of `connections` HTTP/2 connections x `streams` streams, each of
/// which sends the first `sent` bytes of a message and stalls, ended: with a gRPC status
/// (by code), reset, or still open after 15 s; and the status's message.
fn stall_grpc_calls(
    addr: SocketAddr,
    connections: usize,
    streams: usize,
    sent: usize,
) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut calls = Vec::new();
        let mut senders = Vec::new();
        for _ in 0..connections {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
            tokio::spawn(connection);
            for _ in 0..streams {
                client = client.ready().await.unwrap();
                let (response, mut body) =
                    client.send_request(model_infer_head(addr), false).unwrap();
                // A message that claims 1,000,000 bytes (under --max-body-bytes), and the
                // first `sent` (within the stream's initial window), then nothing.
                let mut start = vec![0u8];
                start.extend(1_000_000u32.to_be_bytes());
                start.resize(sent, 7);
                // A call refused at once (UNAVAILABLE) has its stream closed already.
                if body.send_data(start.into(), false).is_ok() {
                    senders.push(body);
                }
                calls.push(tokio::spawn(async move {
                    let Ok(response) = response.await else {
                        return ("reset".to_string(), String::new());
                    };
                    // A status is in the head (trailers-only) or in the trailers.
                    let mut fields = response.headers().clone();
                    let mut body = response.into_body();
                    if let Ok(Some(trailers)) = body.trailers().await {
                        fields.extend(trailers);
                    }
                    let field = |name: &str| {
                        fields.get(name).map_or(String::new(), |v| {
                            percent_decoded(v.to_str().unwrap_or("?"))
                        })
                    };
                    (
                        format!("grpc-status {}", field("grpc-status")),
                        field("grpc-message"),
                    )
                }));
            }
        }
        let mut outcomes = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        for call in calls {
            let outcome = tokio::time::timeout_at(deadline, call).await;
            outcomes.push(match outcome {
                Ok(joined) => joined.unwrap(),
                Err(_) => ("still open after 15 s".to_string(), String::new()),
            });
        }
        drop(senders);
        outcomes
    })
}

/// A `grpc-message` as written (gRPC percent-encodes it: `%20` for a space).
fn percent_decoded(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if bytes[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The outcomes of stalled calls, without their messages.
fn codes(ended: Vec<(String, String)>) -> Vec<String> {
    ended.into_iter().map(|(outcome, _)| outcome).collect()
}

/// Counts of each distinct entry of `outcomes`.
fn tally(outcomes: &[String]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for o in outcomes {
        match counts.iter_mut().find(|(k, _)| k == o) {
            Some((_, n)) => *n += 1,
            None => counts.push((o.clone(), 1)),
        }
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn grpc_calls_that_stall_mid_message_hold_a_slot_and_end_at_the_request_timeout() {
    let _serial = serial();
    let server = Server::start(&[
        "--grpc-listen",
        "127.0.0.1:0",
        "--request-timeout",
        "2s",
        "--max-concurrency",
        "1000",
    ]);
    let grpc = server.grpc_addr();
    let figures = Figures::start("800 gRPC calls stalled mid-message", &server);
    let good = GoodClient::start(server.addr);
    let sent = Instant::now();
    let outcomes = codes(stall_grpc_calls(grpc, 8, 100, 60_005));
    let waited = sent.elapsed();
    let good = good.finish();
    let summary = tally(&outcomes);
    // Each holds one of the 1,000 slots while its message is awaited, and is ended
    // with DEADLINE_EXCEEDED (4) at the request timeout; the good client has the rest.
    assert!(outcomes.iter().all(|o| o == "grpc-status 4"), "{summary}");
    figures.finish(
        &good,
        &format!(
            "{summary}; the last {:.1} s after sending",
            waited.as_secs_f64()
        ),
    );
    assert_still_serving(&server);
}

#[test]
fn grpc_calls_past_the_slots_are_refused_unavailable_before_their_message_is_read() {
    let _serial = serial();
    let server = Server::start(&[
        "--grpc-listen",
        "127.0.0.1:0",
        "--request-timeout",
        "1s",
        "--max-concurrency",
        "10",
    ]);
    let outcomes = codes(stall_grpc_calls(server.grpc_addr(), 1, 25, 60_005));
    let count = |code: &str| outcomes.iter().filter(|o| *o == code).count();
    assert_eq!(
        (count("grpc-status 4"), count("grpc-status 14")),
        (10, 15),
        "{}",
        tally(&outcomes)
    );
    assert_still_serving(&server);
}

/// A gRPC `ServerMetadata` call (an empty message; the answer has a body) to `addr`.
fn server_metadata_head(addr: SocketAddr) -> http::Request<()> {
    http::Request::post(format!(
        "http://{addr}/inference.GRPCInferenceService/ServerMetadata"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(())
    .unwrap()
}

/// How `connections` HTTP/2 connections fared whose one gRPC call's answer the client
/// never takes: each grants `window` bytes of stream window (SETTINGS_INITIAL_WINDOW_SIZE)
/// and never releases more. Returns, per connection, when the server closed it (seconds
/// after the call was sent) or that it was still open after `limit`.
fn unread_grpc_answers(
    addr: SocketAddr,
    connections: usize,
    window: u32,
    limit: Duration,
) -> Vec<Option<f64>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut held = Vec::new();
        let mut ends = Vec::new();
        for _ in 0..connections {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (client, connection) = h2::client::Builder::new()
                .initial_window_size(window)
                .handshake::<_, bytes::Bytes>(tcp)
                .await
                .unwrap();
            let end = tokio::spawn(connection);
            let mut client = client.ready().await.unwrap();
            let sent = Instant::now();
            let (response, mut body) = client
                .send_request(server_metadata_head(addr), false)
                .unwrap();
            body.send_data(vec![0u8; 5].into(), true).unwrap();
            // The head is not flow-controlled: it comes; the body waits for the window.
            let response = response.await.expect("the answer's head");
            assert_eq!(response.status(), 200);
            // Kept, unread: dropping the client and the stream would close the connection.
            held.push((client, body, response));
            ends.push((sent, end));
        }
        let deadline = tokio::time::Instant::now() + limit;
        let mut closed = Vec::new();
        for (sent, end) in ends {
            closed.push(match tokio::time::timeout_at(deadline, end).await {
                Ok(_) => Some(sent.elapsed().as_secs_f64()),
                Err(_) => None,
            });
        }
        drop(held);
        closed
    })
}

/// One HTTP/2 connection that takes a gRPC answer, waits `idle`, then makes a second call
/// on the same connection: the answer's status both times.
fn two_grpc_calls_apart(addr: SocketAddr, idle: Duration) -> (u16, u16) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut client = client;
        let mut statuses = Vec::new();
        for call in 0..2 {
            if call == 1 {
                tokio::time::sleep(idle).await;
            }
            client = client.ready().await.unwrap();
            let (response, mut body) = client
                .send_request(server_metadata_head(addr), false)
                .unwrap();
            body.send_data(vec![0u8; 5].into(), true).unwrap();
            let response = response.await.expect("an answer");
            let status = response.status().as_u16();
            let mut answer = response.into_body();
            while let Some(chunk) = answer.data().await {
                let chunk = chunk.expect("the answer's body");
                let _ = answer.flow_control().release_capacity(chunk.len());
            }
            let trailers = answer.trailers().await.unwrap().unwrap_or_default();
            assert_eq!(
                trailers.get("grpc-status").map(|v| v.as_bytes()),
                Some(&b"0"[..])
            );
            statuses.push(status);
        }
        (statuses[0], statuses[1])
    })
}

#[test]
fn grpc_clients_that_never_take_their_answer_lose_the_connection_at_the_request_timeout() {
    let _serial = serial();
    let server = Server::start(&["--grpc-listen", "127.0.0.1:0", "--request-timeout", "2s"]);
    let grpc = server.grpc_addr();
    let figures = Figures::start("40 gRPC answers never taken (window 0 / 10 bytes)", &server);
    let good = GoodClient::start(server.addr);
    // 20 clients that grant no window at all, 20 that grant 10 bytes (a part of the
    // answer is sent, the rest waits): every connection is closed at the 2 s timeout.
    let mut closed = unread_grpc_answers(grpc, 20, 0, Duration::from_secs(10));
    closed.extend(unread_grpc_answers(grpc, 20, 10, Duration::from_secs(10)));
    let good = good.finish();
    let open = closed.iter().filter(|c| c.is_none()).count();
    let latest = closed.iter().flatten().fold(0.0f64, |a, b| a.max(*b));
    assert_eq!(open, 0, "{open} of 40 connections still open after 10 s");
    // A client that takes its answer keeps its connection past the timeout.
    assert_eq!(
        two_grpc_calls_apart(grpc, Duration::from_secs(3)),
        (200, 200)
    );
    figures.finish(
        &good,
        &format!("40 of 40 connections closed, the last {latest:.1} s after its call"),
    );
    assert_still_serving(&server);
}

#[test]
fn grpc_messages_slower_than_the_minimum_body_rate_end_with_deadline_exceeded() {
    let _serial = serial();
    // A 30 s request timeout: what ends the call is the rate (1,000 bytes/s after the 5 s
    // grace), not the timeout.
    let server = Server::start(&[
        "--grpc-listen",
        "127.0.0.1:0",
        "--request-timeout",
        "30s",
        "--min-body-rate",
        "1000",
    ]);
    let grpc = server.grpc_addr();
    let sent = Instant::now();
    // 105 bytes of a message: at 1,000 bytes/s they are due by the 5 s grace.
    let ended = stall_grpc_calls(grpc, 1, 3, 105);
    let waited = sent.elapsed();
    let slow = "request body arrived too slowly: 105 bytes in";
    assert!(
        ended
            .iter()
            .all(|(code, message)| code == "grpc-status 4" && message.starts_with(slow)),
        "{ended:?}"
    );
    assert!(
        waited < Duration::from_secs(15),
        "the calls ended after {waited:?}: at the request timeout, not the body rate"
    );
    assert_still_serving(&server);
}

/// How a rapid-reset client (CVE-2023-44487) fared: `streams` gRPC calls opened and
/// reset at once on one HTTP/2 connection, as fast as the connection allows; returns the
/// calls it got to open and how the connection ended.
fn rapid_reset(addr: SocketAddr, streams: usize) -> (usize, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut client, connection) = h2::client::handshake(tcp).await.unwrap();
        let connection = tokio::spawn(connection);
        let mut opened = 0;
        let mut ended = "the client stopped".to_string();
        for _ in 0..streams {
            client = match client.clone().ready().await {
                Ok(client) => client,
                Err(e) => {
                    ended = format!("refused: {e}");
                    break;
                }
            };
            match client.send_request(model_infer_head(addr), false) {
                Ok((_, mut body)) => {
                    body.send_reset(h2::Reason::CANCEL);
                    opened += 1;
                }
                Err(e) => {
                    ended = format!("refused: {e}");
                    break;
                }
            }
        }
        drop(client);
        if let Ok(Ok(Err(e))) = tokio::time::timeout(Duration::from_secs(5), connection).await {
            ended = format!("{ended}; connection: {e}");
        }
        (opened, ended)
    })
}

/// The CPU time (user + system) the process `pid` has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name's closing parenthesis: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf reads a constant.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// h2 0.4.20 sends GOAWAY for streams reset before the server accepts them (more than 20
/// pending); hyper accepts each at once, so this client is not cut off: what it costs is
/// the server's CPU per stream, reported, and nobody else is blocked.
#[test]
fn a_rapid_reset_client_blocks_nobody() {
    let _serial = serial();
    let server = Server::start(&["--grpc-listen", "127.0.0.1:0"]);
    let grpc = server.grpc_addr();
    let cpu_before = cpu_seconds(server.child.id());
    let figures = Figures::start(
        "HTTP/2 rapid reset: 100,000 calls opened and reset",
        &server,
    );
    let good = GoodClient::start(server.addr);
    let sent = Instant::now();
    let (opened, ended) = rapid_reset(grpc, 100_000);
    let waited = sent.elapsed();
    let good = good.finish();
    let cpu = cpu_seconds(server.child.id()) - cpu_before;
    figures.finish(
        &good,
        &format!(
            "{opened} opened and reset in {:.1} s, then {ended}; the server's CPU {cpu:.1} s",
            waited.as_secs_f64()
        ),
    );
    assert_still_serving(&server);
}

/// An HTTP/2 frame: its 9-byte header (length, type, flags, stream) and `payload`.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut frame = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    frame.extend([kind, flags]);
    frame.extend(stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// Writes the client preface and an empty SETTINGS frame, then `frame()` until the server
/// closes the connection or `limit` bytes are sent; the bytes sent and how it ended. With
/// `read`, what the server sends is read (and dropped), so that only its choice closes
/// the connection; without, nothing is read (a 32 KiB receive buffer).
fn h2_flood(
    addr: SocketAddr,
    mut frame: impl FnMut(usize) -> Vec<u8>,
    limit: usize,
    read: bool,
) -> (usize, String) {
    let mut stream = open(addr);
    // Long enough that a server slow to read (a debug build on a busy machine) is not
    // taken for one that closed.
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    if !read {
        small_receive_buffer(&stream);
    }
    let reader = stream.try_clone().unwrap();
    let drained = std::thread::spawn(move || {
        let mut reader = reader;
        let mut buf = [0u8; 16384];
        let mut total = 0;
        if read {
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                total += n;
            }
        }
        total
    });
    let mut sent = 0;
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2_frame(4, 0, 0, &[]));
    let mut ended = format!("{limit} bytes sent, still open");
    let mut i = 0;
    let mut next = hello;
    while sent < limit {
        if let Err(e) = stream.write_all(&next) {
            ended = match e.kind() {
                ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                    format!("open, but read nothing for 30 s, after {sent} bytes")
                }
                kind => format!("closed by the server after {sent} bytes ({kind})"),
            };
            break;
        }
        sent += next.len();
        next = frame(i);
        i += 1;
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = drained.join();
    (sent, ended)
}

/// h2 refuses a header block past its size limit, so a CONTINUATION flood is cut off at
/// once; a PING flood is answered PING for PING and a SETTINGS flood ACK for SETTINGS (the
/// client pays for every answer it gets); both are reported, with the server's CPU, not
/// cut off.
#[test]
fn http2_continuation_floods_are_cut_off_and_ping_and_settings_floods_cost_only_their_bytes() {
    let _serial = serial();
    let server = Server::start(&["--grpc-listen", "127.0.0.1:0"]);
    let grpc = server.grpc_addr();
    let cpu_before = cpu_seconds(server.child.id());
    let figures = Figures::start("HTTP/2 CONTINUATION, PING and SETTINGS floods", &server);
    let good = GoodClient::start(server.addr);
    // A HEADERS frame without END_HEADERS, then CONTINUATION frames of new literal
    // headers ("x-NNNNNN: 4 KiB of a"), never ending the header block: 64 MiB of it.
    let (continuation_sent, continuation) = h2_flood(
        grpc,
        |i| {
            let name = format!("x-{i:06}");
            let mut block = vec![0x00, name.len() as u8];
            block.extend(name.as_bytes());
            block.extend([0x7f, 0x81, 0x1f]); // a 4,096-byte value (7-bit prefix + 3969)
            block.extend([b'a'; 4096]);
            if i == 0 {
                h2_frame(1, 0, 1, &block)
            } else {
                h2_frame(9, 0, 1, &block)
            }
        },
        64 << 20,
        true,
    );
    // PING frames, 16 MiB of them (983,000), whose PONGs the client reads (and drops).
    let (_, ping) = h2_flood(grpc, |_| h2_frame(6, 0, 0, &[7; 8]), 16 << 20, true);
    // SETTINGS frames (MAX_CONCURRENT_STREAMS 100), 16 MiB of them (1,118,000), each of
    // which the server acknowledges.
    let settings = |_| h2_frame(4, 0, 0, &[0, 3, 0, 0, 0, 100]);
    let (_, settings) = h2_flood(grpc, settings, 16 << 20, true);
    let good = good.finish();
    let cpu = cpu_seconds(server.child.id()) - cpu_before;
    figures.finish(
        &good,
        &format!(
            "CONTINUATION: {continuation}; PING: {ping}; SETTINGS: {settings}; the \
             server's CPU {cpu:.1} s"
        ),
    );
    assert!(
        continuation.starts_with("closed by the server") && continuation_sent < 1 << 20,
        "{continuation}"
    );
    assert_still_serving(&server);
}

/// A client that floods PINGs and never reads their PONGs: the server stops reading once
/// its answers back up (h2 holds one PONG), and the send timeout closes the connection.
#[test]
fn an_http2_client_that_never_reads_its_pongs_is_disconnected_at_the_send_timeout() {
    let _serial = serial();
    let server = Server::start(&["--grpc-listen", "127.0.0.1:0", "--request-timeout", "2s"]);
    let grpc = server.grpc_addr();
    let figures = Figures::start("HTTP/2 PING flood, PONGs never read", &server);
    let good = GoodClient::start(server.addr);
    let start = Instant::now();
    let (sent, ended) = h2_flood(grpc, |_| h2_frame(6, 0, 0, &[7; 8]), 256 << 20, false);
    let waited = start.elapsed();
    let good = good.finish();
    figures.finish(&good, &format!("{ended}, {:.1} s", waited.as_secs_f64()));
    assert!(
        ended.starts_with("closed by the server") && sent < 64 << 20,
        "{ended}"
    );
    assert_still_serving(&server);
}

/// 16 connections, each with the 128 streams the server allows one connection, every
/// call stalled mid-message: the 1,024 slots bound what they hold, the rest are refused.
#[test]
fn grpc_connections_each_at_the_stream_limit_are_bounded_by_the_slots() {
    let _serial = serial();
    // 5 s: every call is sent before the first slots come free, even on a slow machine.
    let server = Server::start(&["--grpc-listen", "127.0.0.1:0", "--request-timeout", "5s"]);
    let grpc = server.grpc_addr();
    let figures = Figures::start("16 gRPC connections x 128 stalled streams", &server);
    let outcomes = codes(stall_grpc_calls(grpc, 16, 128, 60_005));
    let count = |code: &str| outcomes.iter().filter(|o| *o == code).count();
    let (deadline, unavailable) = (count("grpc-status 4"), count("grpc-status 14"));
    assert_eq!(deadline + unavailable, 2048, "{}", tally(&outcomes));
    assert!(
        deadline <= 1024 && unavailable >= 1024,
        "{}",
        tally(&outcomes)
    );
    let idle = Latency {
        requests: 0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        max: Duration::ZERO,
    };
    figures.finish(&idle, &tally(&outcomes));
    assert_still_serving(&server);
}

/// Slowloris on the gRPC port: 250 connections that send nothing and 250 that drip the
/// HTTP/2 preface a byte per 100 ms. hyper would wait for a preface for ever; the server
/// closes each at the header read timeout.
#[test]
fn grpc_connections_that_never_finish_their_preface_are_closed_at_the_header_timeout() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&[
        "--grpc-listen",
        "127.0.0.1:0",
        "--header-read-timeout",
        "2s",
    ]);
    let grpc = server.grpc_addr();
    let figures = Figures::start(
        "gRPC slowloris: 250 silent connections, 250 dripping the preface",
        &server,
    );
    let good = GoodClient::start(server.addr);
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let start = Instant::now();
    let mut conns: Vec<(TcpStream, Instant, usize, bool)> = (0..500)
        .map(|i| {
            let s = open(grpc);
            s.set_nonblocking(true).unwrap();
            (s, Instant::now(), 0, i % 2 == 0)
        })
        .collect();
    let mut held = Vec::new();
    let mut buf = [0u8; 4096];
    while !conns.is_empty() && start.elapsed() < Duration::from_secs(40) {
        conns.retain_mut(|(stream, opened, sent, drips)| {
            // The server's SETTINGS (and a GOAWAY) are read and dropped; EOF or an error
            // is the close.
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        if !*drips || *sent == preface.len() - 1 {
                            return true;
                        }
                        if stream.write(&preface[*sent..*sent + 1]).is_ok() {
                            *sent += 1;
                            return true;
                        }
                        break;
                    }
                    Err(_) => break,
                }
            }
            held.push(opened.elapsed());
            false
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    let good = good.finish();
    assert!(
        conns.is_empty(),
        "{} connections still open after 40 s",
        conns.len()
    );
    held.sort();
    let outcome = format!(
        "500/500 closed by the server, held {:.1}-{:.1} s",
        held[0].as_secs_f64(),
        held[held.len() - 1].as_secs_f64()
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}

/// The gRPC port out of file descriptors: 400 HTTP/2 connections that send their preface
/// and stay, against `ulimit -n 128`. Accepting fails (EMFILE), backs off 50 ms a time
/// (one warning each, not a spin), and a call queued meanwhile is answered once the idle
/// connections go.
#[test]
fn grpc_file_descriptor_exhaustion_backs_off_and_does_not_stop_the_listener() {
    let _serial = serial();
    raise_open_files(4096);
    let server = Server::start(&[
        "--grpc-listen",
        "127.0.0.1:0",
        "--header-read-timeout",
        "60s",
    ]);
    let grpc = server.grpc_addr();
    limit_open_files(&server, 128);
    let figures = Figures::start(
        "gRPC fd exhaustion: ulimit -n 128, 400 idle HTTP/2 connections",
        &server,
    );
    let start = Instant::now();
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2_frame(4, 0, 0, &[]));
    let mut idle: Vec<TcpStream> = (0..400)
        .map(|_| {
            let mut s = open(grpc);
            s.write_all(&hello).unwrap();
            s
        })
        .collect();
    while !server.log().contains("gRPC accept failed") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no EMFILE: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let at_limit = Probe::of(&server).fds();
    let waiting = std::thread::spawn(move || two_grpc_calls_apart(grpc, Duration::ZERO));
    std::thread::sleep(Duration::from_millis(1000));
    let exhausted = start.elapsed();
    let warnings = server.log().matches("gRPC accept failed").count();
    idle.clear();
    let released = Instant::now();
    while !waiting.is_finished() {
        assert!(
            released.elapsed() < Duration::from_secs(30),
            "the queued gRPC call was not answered 30 s after the idle connections closed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(waiting.join().unwrap(), (200, 200));
    let answered = released.elapsed();
    // At most one failed accept per 50 ms while exhausted (tonic's own loop retried at once).
    let most = (exhausted.as_millis() / 50) as usize + 5;
    assert!(
        warnings <= most,
        "{warnings} failed accepts in {exhausted:?}: no back-off"
    );
    let good = GoodClient::start(server.addr);
    std::thread::sleep(Duration::from_secs(1));
    let good = good.finish();
    let outcome = format!(
        "EMFILE at {at_limit} files ({warnings} `gRPC accept failed` warnings in {:.1} s); \
         the queued call answered {:.0} ms after the idle connections closed",
        exhausted.as_secs_f64(),
        answered.as_secs_f64() * 1e3
    );
    figures.finish(&good, &outcome);
    assert_still_serving(&server);
}
