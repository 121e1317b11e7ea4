//! The route table over a set of models (`Models`): one model on every target, several in
//! the native host. Checks the routing and the lookups with a plain two-model set here, so
//! the core's part is tested without a server.

use golden::{SAMPLE, SAMPLE_ANSWER};
use predictor::{Model, Models, Request, Response, Service, ServiceOptions};

fn send(
    service_answer: impl Fn(&Request<'_>) -> Response,
    method: &str,
    path: &str,
    body: &str,
) -> Response {
    service_answer(&Request {
        method,
        path,
        query: "",
        content_type: Some("application/json"),
        inference_header_length: None,
        body: body.as_bytes(),
    })
}

/// Two copies of the Boston model under two names; `first` is the default.
struct Two {
    first: Model,
    second: Model,
}

impl Two {
    fn new() -> Two {
        let mut first = Model::embedded().clone();
        first.set_name("first".to_string());
        let mut second = Model::embedded().clone();
        second.set_name("second".to_string());
        Two { first, second }
    }
}

impl Models for Two {
    fn get(&self, name: &str) -> Result<&Model, String> {
        match name {
            "first" => Ok(&self.first),
            "second" => Ok(&self.second),
            _ => Err(format!("unknown model {name:?}")),
        }
    }

    fn default_model(&self) -> Result<&Model, String> {
        Ok(&self.first)
    }
}

#[test]
fn every_model_route_looks_its_model_up_by_name() {
    let two = Two::new();
    let service = Service::with_models(&two, ServiceOptions::default());
    let answer = |r: &Request<'_>| service.handle(r);
    let r = send(answer, "POST", "/predict", SAMPLE);
    assert_eq!((r.status, r.text()), (200, SAMPLE_ANSWER));
    let r = send(answer, "POST", "/models/second/predict", SAMPLE);
    assert_eq!(
        (r.status, r.text(), r.route),
        (200, SAMPLE_ANSWER, "/models/{name}/predict")
    );
    assert_eq!(r.rows, 1);
    let r = send(answer, "POST", "/models/third/predict", SAMPLE);
    assert_eq!(
        (r.status, r.text()),
        (404, r#"{"error":"unknown model \"third\""}"#)
    );
    let r = send(answer, "GET", "/models/second/predict", "");
    assert_eq!((r.status, r.allow), (405, Some("POST")));
    for bad in ["/models//predict", "/models/a/b/predict", "/models/second"] {
        assert_eq!(send(answer, "POST", bad, SAMPLE).status, 404, "{bad}");
    }
    let r = send(answer, "GET", "/v2/models/second", "");
    assert!(
        r.text().starts_with(r#"{"name":"second","versions":["1"]"#),
        "{}",
        r.text()
    );
    let infer = r#"{"inputs":[{"name":"x","shape":[1,6],"datatype":"FP64","data":[0,6.575,296,15.3,396.9,4.98]}]}"#;
    let r = send(answer, "POST", "/v2/models/second/versions/1/infer", infer);
    assert!(
        r.text()
            .starts_with(r#"{"model_name":"second","model_version":"1""#),
        "{}",
        r.text()
    );
    assert_eq!(
        send(answer, "POST", "/v2/models/second/versions/2/infer", infer).status,
        404
    );
    // This set has no repository: its routes say so, and /v2 lists only the binary
    // tensor extension (every target has that one).
    let r = send(answer, "POST", "/v2/repository/index", "");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("no model repository"), "{}", r.text());
    assert_eq!(
        send(answer, "POST", "/v2/repository/models/first/unload", "").status,
        404
    );
    let r = send(answer, "GET", "/v2", "");
    assert!(
        r.text()
            .ends_with(r#""extensions":["binary_tensor_data"]}"#),
        "{}",
        r.text()
    );
}

#[test]
fn one_model_is_a_set_of_one() {
    let model = Model::embedded();
    assert_eq!(
        Models::get(model, "boston-housing").map(Model::name),
        Ok("boston-housing")
    );
    assert_eq!(
        Models::get(model, "x").unwrap_err(),
        r#"unknown model "x"; this server serves "boston-housing""#
    );
    let service = Service::new(model, ServiceOptions::default());
    let r = send(
        |r| service.handle(r),
        "POST",
        "/models/boston-housing/predict",
        SAMPLE,
    );
    assert_eq!((r.status, r.text()), (200, SAMPLE_ANSWER));
}
