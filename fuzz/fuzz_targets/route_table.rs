//! The whole route table (`Service::handle`) with an arbitrary method, path, query,
//! content type, `Inference-Header-Content-Length` and body: every answer is a known
//! status, errors are `{"error": ...}`.
//! The first bytes pick a known method, path and media type most of the time (any string
//! otherwise), so the decoders behind the routes are reached; the rest is the body.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use predictor::{Model, Request, Scaling, Service, ServiceOptions};

const METHODS: &[&str] = &["POST", "GET", "HEAD", "PUT", "post"];
const PATHS: &[&str] = &[
    "/predict",
    "/v2/models/boston-housing/infer",
    "/v2/models/boston-housing/versions/1/infer",
    "/",
    "/v2",
    "/v2/health/live",
    "/v2/health/ready",
    "/v2/models/boston-housing",
    "/v2/models/boston-housing/ready",
    "/v2/models/other/infer",
    "/v2/models//infer",
];
const TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "APPLICATION/JSON",
    "application/octet-stream",
];
/// `Inference-Header-Content-Length` values (V2's binary tensor extension).
const HEADER_LENGTHS: &[&str] = &["0", "2", "64", "100", "x"];
const QUERIES: &[&str] = &["", "scaling=training", "scaling=per_request", "scaling=x"];

/// One of `known` (most often) or any string.
fn pick<'a>(u: &mut Unstructured<'a>, known: &[&'static str]) -> Result<&'a str> {
    let i = usize::from(u.arbitrary::<u8>()?);
    match known.get(i % (known.len() + 1)) {
        Some(s) => Ok(s),
        None => u.arbitrary(),
    }
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let method = pick(&mut u, METHODS)?;
    let path = pick(&mut u, PATHS)?;
    let content_type = if u.ratio(1, 8)? {
        None
    } else {
        Some(pick(&mut u, TYPES)?)
    };
    let inference_header_length = if u.ratio(1, 4)? {
        Some(pick(&mut u, HEADER_LENGTHS)?)
    } else {
        None
    };
    let query = pick(&mut u, QUERIES)?;
    let flags: u8 = u.arbitrary()?;
    let max_rows = if flags & 4 == 0 {
        1000
    } else {
        usize::from(flags >> 3)
    };
    let options = ServiceOptions {
        default_scaling: if flags & 1 == 0 {
            Scaling::Training
        } else {
            Scaling::PerRequest
        },
        max_rows,
        ready: flags & 2 == 0,
    };
    let body = u.take_rest();
    let service = Service::new(Model::embedded(), options);
    let request = Request {
        method,
        path,
        query,
        content_type,
        inference_header_length,
        body,
    };
    let response = service.handle(&request);
    assert!(
        matches!(
            response.status,
            200 | 400 | 404 | 405 | 413 | 415 | 422 | 503
        ),
        "status {} for {request:?}",
        response.status
    );
    if response.status == 405 {
        assert!(response.allow.is_some());
    }
    // 4xx only: a 503 from a readiness route is its V2 body ({"ready": false}).
    if (400..500).contains(&response.status) && response.content_type == predictor::api::JSON {
        let value: serde_json::Value =
            serde_json::from_slice(&response.body).expect("an error body is JSON");
        assert!(value.get("error").is_some(), "{}", response.text());
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
