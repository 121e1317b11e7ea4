//! Compressed bodies against the real `host` binary: gzip and deflate requests answer the
//! same bytes (and golden bits) as plain ones; a gzip bomb (1000 MiB of zeros in 1 MB) is a
//! 413 within the body limit, quickly and without the server's memory growing; corrupt
//! streams are 400 naming the problem; unknown encodings 415; `Accept-Encoding` gives a
//! compressed answer that decompresses to the plain answer on /predict, V2 infer and
//! /metrics (errors, health and metadata stay plain). The compressed-size cap is checked through the router (`oneshot`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::{Compress, Compression, FlushCompress};
use predictor::Model;
use serde_json::{json, Value};

use common::{oneshot, Server, SAMPLE, SAMPLE_ANSWER};

const INFER: &str = "/v2/models/boston-housing/infer";
const LIMIT: usize = 1 << 20;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A raw deflate stream of `mib` MiB of zeros, built from two compressed MiB: the second
/// MiB's blocks (sync-flushed, so byte-aligned, over a window of zeros) decode to one more
/// MiB of zeros wherever zeros precede them, so they are repeated. ~1 KB per MiB.
fn deflate_zeros(mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = Compress::new(Compression::best(), false);
    let mut chunk = |out: &mut Vec<u8>| {
        let mut buf = Vec::with_capacity(64 << 10);
        let before = compress.total_in();
        compress
            .compress_vec(&zeros, &mut buf, FlushCompress::Sync)
            .unwrap();
        assert_eq!(compress.total_in() - before, zeros.len() as u64);
        out.extend_from_slice(&buf);
        buf.len()
    };
    let mut first = Vec::new();
    chunk(&mut first);
    let mut second = Vec::new();
    chunk(&mut second);
    let mut stream = Vec::with_capacity(first.len() + second.len() * mib);
    stream.extend_from_slice(&first);
    for _ in 1..mib {
        stream.extend_from_slice(&second);
    }
    // The last block: fixed Huffman, BFINAL, only its end-of-block code.
    stream.extend_from_slice(&[0x03, 0x00]);
    stream
}

/// `mib` MiB of zeros as a gzip member (its CRC is never reached: the limit stops first).
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    bomb.extend(deflate_zeros(mib));
    bomb.extend_from_slice(&[0; 8]);
    bomb
}

fn zlib_bomb(mib: usize) -> Vec<u8> {
    let mut bomb = vec![0x78, 0xda];
    bomb.extend(deflate_zeros(mib));
    bomb.extend_from_slice(&[0; 4]);
    bomb
}

/// A raw HTTP/1.1 exchange: the status, the headers (names lower-cased) and the body
/// (de-chunked; compressed answers are chunked). The body is written from another thread,
/// so a server that answers before reading it all cannot deadlock the test.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn error(&self) -> String {
        assert_eq!(self.header("content-type"), Some("application/json"));
        self.json()["error"].as_str().unwrap().to_string()
    }

    /// The body, decoded as its Content-Encoding says.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding") {
            None => out.clone_from(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Some("deflate") => {
                flate2::read::ZlibDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        }
        out
    }
}

fn exchange(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    let write = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
    });
    let mut raw = Vec::new();
    // A reset after the answer (the server closes with the rest of a refused body
    // unread) ends the read; what arrived before it is the answer.
    let mut buf = [0u8; 64 << 10];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    drop(stream);
    let _ = write.join();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        assert!(rest.len() >= length, "body cut short");
        rest[..length].to_vec()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(
            std::str::from_utf8(&rest[..line_end])
                .unwrap()
                .split(';')
                .next()
                .unwrap(),
            16,
        )
        .unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn post(
    server: &Server,
    path: &str,
    encoding: Option<&str>,
    accept: Option<&str>,
    body: &[u8],
) -> Answer {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(encoding) = encoding {
        headers.push(("Content-Encoding", encoding));
    }
    if let Some(accept) = accept {
        headers.push(("Accept-Encoding", accept));
    }
    exchange(server, "POST", path, &headers, body)
}

/// A V2 request for the first `n` golden training rows, and their golden bits.
fn golden_infer(n: usize) -> (Vec<u8>, Vec<u64>) {
    let training = golden::training();
    let data: Vec<f64> = training.rows[..n].iter().flatten().copied().collect();
    let body =
        json!({"inputs": [{"name": "x", "shape": [n, 6], "datatype": "FP64", "data": data}]});
    (
        body.to_string().into_bytes(),
        training.prediction_bits[..n].to_vec(),
    )
}

fn output_bits(answer: &Answer) -> Vec<u64> {
    golden::bits(&serde_json::from_slice::<Value>(&answer.decoded()).unwrap()["outputs"][0]["data"])
}

/// The server's peak resident set (VmHWM), in bytes.
fn peak_rss(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn gzip_and_deflate_bodies_answer_the_same_bytes_as_plain_ones() {
    let server = Server::start(&[]);
    let (infer, want) = golden_infer(1000);
    for (path, body) in [("/predict", SAMPLE.as_bytes()), (INFER, &infer[..])] {
        let plain = post(&server, path, None, None, body);
        assert_eq!(
            plain.status,
            200,
            "{}",
            String::from_utf8_lossy(&plain.body)
        );
        for (encoding, compressed) in [("gzip", gzip(body)), ("deflate", zlib(body))] {
            assert!(compressed.len() < body.len() || body.len() < 200);
            let answer = post(&server, path, Some(encoding), None, &compressed);
            assert_eq!(answer.status, 200, "{path} {encoding}: {}", answer.error());
            assert_eq!(answer.body, plain.body, "{path} {encoding}");
        }
        // `identity` is no encoding at all.
        let answer = post(&server, path, Some("identity"), None, body);
        assert_eq!(answer.body, plain.body, "{path} identity");
    }
    let plain = post(&server, "/predict", None, None, SAMPLE.as_bytes());
    assert_eq!(plain.body, SAMPLE_ANSWER.as_bytes());
    let answer = post(&server, INFER, Some("gzip"), None, &gzip(&infer));
    assert_eq!(output_bits(&answer), want, "golden bits through gzip");
}

#[test]
fn a_gzip_bomb_is_413_at_the_limit_quickly_and_in_bounded_memory() {
    let server = Server::start(&[]);
    // 1000 MiB of zeros (the most that fits the default 1 MiB body limit compressed:
    // deflate's best ratio is ~1030:1).
    let gzip_bomb = gzip_bomb(1000);
    let zlib_bomb = zlib_bomb(1000);
    assert!(
        gzip_bomb.len() < LIMIT && zlib_bomb.len() < LIMIT,
        "the bombs fit the body limit compressed: {} and {} bytes",
        gzip_bomb.len(),
        zlib_bomb.len()
    );
    // A small bomb decodes to what it claims (so the big one is 1 GiB of zeros).
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(&deflate_zeros(3)[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out.len(), 3 << 20);
    assert!(out.iter().all(|b| *b == 0));

    // Warm up (the first requests allocate the server's buffers), then measure.
    assert_eq!(
        post(&server, "/predict", None, None, SAMPLE.as_bytes()).status,
        200
    );
    let before = peak_rss(&server);
    for (path, encoding, bomb) in [
        ("/predict", "gzip", &gzip_bomb),
        (INFER, "gzip", &gzip_bomb),
        ("/predict", "deflate", &zlib_bomb),
        (INFER, "deflate", &zlib_bomb),
    ] {
        let start = Instant::now();
        let answer = post(&server, path, Some(encoding), None, bomb);
        let took = start.elapsed();
        assert_eq!(answer.status, 413, "{path} {encoding}");
        assert_eq!(
            answer.error(),
            format!(
                "request body is larger than {LIMIT} bytes once decompressed (Content-Encoding: \
                 {encoding}; the limit applies to the compressed and the decompressed size)"
            )
        );
        assert!(took < Duration::from_secs(5), "{path} {encoding}: {took:?}");
    }
    // A server that inflated one bomb would have held 1000 MiB; this one holds the
    // compressed MiB, the limit's MiB out and its allocator's slack (a plain 1 MiB body
    // refused with 413 costs a few MiB of peak RSS too).
    let grown = peak_rss(&server).saturating_sub(before);
    assert!(
        grown < 128 << 20,
        "peak RSS grew {grown} bytes on four 1000 MiB bombs"
    );
    // And the server goes on answering.
    let answer = post(
        &server,
        "/predict",
        Some("gzip"),
        None,
        &gzip(SAMPLE.as_bytes()),
    );
    assert_eq!(answer.body, SAMPLE_ANSWER.as_bytes());
}

#[test]
fn corrupt_compressed_bodies_are_400_naming_the_problem() {
    let server = Server::start(&[]);
    let good = gzip(SAMPLE.as_bytes());
    let mut bad_crc = good.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"garbage");
    let cases: [(&str, &str, Vec<u8>, &str); 6] = [
        (
            "not gzip at all",
            "gzip",
            SAMPLE.as_bytes().to_vec(),
            "invalid gzip header",
        ),
        ("cut short", "gzip", good[..good.len() - 12].to_vec(), ""),
        ("wrong CRC", "gzip", bad_crc, ""),
        (
            "bytes after the end",
            "gzip",
            trailing,
            "7 bytes after the end of the gzip data",
        ),
        ("not zlib at all", "deflate", SAMPLE.as_bytes().to_vec(), ""),
        (
            "raw deflate, no zlib header",
            "deflate",
            {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
                e.write_all(SAMPLE.as_bytes()).unwrap();
                e.finish().unwrap()
            },
            "",
        ),
    ];
    for (what, encoding, body, needle) in cases {
        for path in ["/predict", INFER] {
            let answer = post(&server, path, Some(encoding), None, &body);
            assert_eq!(
                answer.status,
                400,
                "{what} {path}: {:?}",
                String::from_utf8_lossy(&answer.body)
            );
            let message = answer.error();
            let prefix = format!(
                "request body is not valid {encoding} data (Content-Encoding: {encoding}): "
            );
            assert!(message.starts_with(&prefix), "{what}: {message}");
            assert!(
                message.len() > prefix.len(),
                "{what}: says nothing: {message}"
            );
            assert!(message.contains(needle), "{what}: {message}");
        }
    }
}

#[test]
fn unknown_encodings_are_415_saying_which_are_taken() {
    let server = Server::start(&[]);
    for encoding in ["br", "zstd", "compress", "gzip, br", "gzip, gzip"] {
        let answer = post(&server, "/predict", Some(encoding), None, SAMPLE.as_bytes());
        assert_eq!(answer.status, 415, "{encoding}");
        assert_eq!(
            answer.error(),
            format!(
                "Content-Encoding {encoding:?} is not supported: send the body as gzip, deflate \
                 or identity"
            )
        );
        assert_eq!(answer.header("accept-encoding"), Some("gzip, deflate"));
    }
}

#[test]
fn answers_are_compressed_when_the_client_accepts_it() {
    let server = Server::start(&[]);
    let (infer, want) = golden_infer(1000);
    for (path, body) in [("/predict", SAMPLE.as_bytes()), (INFER, &infer[..])] {
        let plain = post(&server, path, None, None, body);
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(
            plain.header("content-length"),
            Some(plain.body.len().to_string().as_str()),
            "uncompressed answers keep their length"
        );
        for accept in [
            "gzip",
            "deflate",
            "gzip;q=1.0, deflate;q=0.5",
            "br;q=1, gzip;q=0.1",
        ] {
            let answer = post(&server, path, None, Some(accept), body);
            assert_eq!(answer.status, 200);
            let encoding = if accept.starts_with("deflate") {
                "deflate"
            } else {
                "gzip"
            };
            if plain.body.len() > 32 {
                assert_eq!(
                    answer.header("content-encoding"),
                    Some(encoding),
                    "{path} {accept}"
                );
                assert_eq!(answer.header("vary"), Some("accept-encoding"));
            }
            assert_eq!(answer.decoded(), plain.body, "{path} {accept}");
            assert_eq!(answer.header("content-type"), Some("application/json"));
        }
    }
    // Both at once: a gzip request answered in deflate.
    let answer = post(&server, INFER, Some("gzip"), Some("deflate"), &gzip(&infer));
    assert_eq!(answer.header("content-encoding"), Some("deflate"));
    assert_eq!(output_bits(&answer), want);
    // 1,000 predictions (17 significant digits each) compress to about half.
    let plain = post(&server, INFER, None, None, &infer);
    let answer = post(&server, INFER, None, Some("gzip"), &infer);
    assert!(
        answer.body.len() * 3 < plain.body.len() * 2,
        "{} vs {}",
        answer.body.len(),
        plain.body.len()
    );

    // Errors, metrics and health checks work with Accept-Encoding too.
    let answer = post(&server, "/predict", None, Some("gzip"), b"{not json");
    assert_eq!(answer.status, 400);
    let error: Value = serde_json::from_slice(&answer.decoded()).unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("not valid JSON"),
        "{error}"
    );
    for path in ["/metrics", "/v2/health/ready", "/v2/health/live", "/v2"] {
        let answer = exchange(&server, "GET", path, &[("Accept-Encoding", "gzip")], b"");
        assert_eq!(answer.status, 200, "{path}");
        let text = String::from_utf8(answer.decoded()).unwrap();
        if path == "/metrics" {
            assert_eq!(answer.header("content-encoding"), Some("gzip"));
            assert!(text.contains("host_http_requests_total"), "{text}");
            assert!(text.ends_with("# EOF\n"), "{text}");
        } else {
            serde_json::from_str::<Value>(&text).unwrap();
        }
    }
}

/// The limit holds for the compressed bytes too: deflate spends 5 bytes on an empty
/// stored block, so a stream of them is any length that decompresses to nothing.
#[tokio::test]
async fn compressed_bodies_are_limited_before_and_after_decompression() {
    let mut config = host::app::AppConfig::new(Model::embedded());
    config.max_body_bytes = 4096;
    let request = |encoding: &str, body: Vec<u8>| {
        Request::post("/predict")
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(Body::from(body))
            .unwrap()
    };
    // Under the limit both ways: answered.
    let (status, _, body) = oneshot(config.clone(), request("gzip", gzip(SAMPLE.as_bytes()))).await;
    assert_eq!(status, 200);
    assert_eq!(body, SAMPLE_ANSWER.as_bytes());
    // 100 KB of JSON whitespace around the sample in 200 compressed bytes: over 4096.
    let padded = format!("{}{SAMPLE}", " ".repeat(100_000));
    let compressed = gzip(padded.as_bytes());
    assert!(compressed.len() < 4096);
    let (status, _, body) = oneshot(config.clone(), request("gzip", compressed)).await;
    assert_eq!(status, 413);
    assert!(String::from_utf8_lossy(&body).contains("larger than 4096 bytes once decompressed"));
    // 5,000 empty stored blocks (25 KB) that decompress to nothing: over 4096 on the wire.
    let mut empty_blocks = vec![0x78, 0x01];
    for _ in 0..5000 {
        empty_blocks.extend_from_slice(&[0x00, 0x00, 0x00, 0xff, 0xff]);
    }
    let (status, _, body) = oneshot(config.clone(), request("deflate", empty_blocks)).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("larger than 4096 bytes"));
}
