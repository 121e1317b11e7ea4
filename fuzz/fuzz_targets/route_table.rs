//! The whole route table (`Service::handle`) with an arbitrary method, path, query,
//! content type and body: every answer is a known status, errors are `{"error": ...}`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use predictor::{Model, Request, Scaling, Service, ServiceOptions};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    content_type: Option<&'a str>,
    body: &'a [u8],
    per_request: bool,
    ready: bool,
    max_rows: u16,
}

fuzz_target!(|input: Input<'_>| {
    let options = ServiceOptions {
        default_scaling: if input.per_request {
            Scaling::PerRequest
        } else {
            Scaling::Training
        },
        max_rows: usize::from(input.max_rows),
        ready: input.ready,
    };
    let service = Service::new(Model::embedded(), options);
    let response = service.handle(&Request {
        method: input.method,
        path: input.path,
        query: input.query,
        content_type: input.content_type,
        body: input.body,
    });
    assert!(
        matches!(
            response.status,
            200 | 400 | 404 | 405 | 413 | 415 | 422 | 503
        ),
        "status {} for {input:?}",
        response.status
    );
    if response.status == 405 {
        assert!(response.allow.is_some());
    }
    if response.status >= 400 && response.content_type == predictor::api::JSON {
        let value: serde_json::Value =
            serde_json::from_slice(&response.body).expect("an error body is JSON");
        assert!(value.get("error").is_some(), "{}", response.text());
    }
});
