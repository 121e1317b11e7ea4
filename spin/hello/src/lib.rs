//! A hello-world Spin / wasi:http component: every request gets the same small JSON. The
//! edge benchmark (scripts/bench/edge_cost.sh) serves it beside the project's component
//! (spin/) to tell what an instance per request costs the host itself from what the
//! project's component adds on top.

use spin_sdk::http::{IncomingRequest, Response};

#[cfg_attr(target_arch = "wasm32", spin_sdk::http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn handle(_request: IncomingRequest) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(r#"{"hello":"world"}"#)
        .build()
}
