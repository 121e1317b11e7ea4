//! The HTTP floor of the load benchmark (scripts/bench/load.sh): the least an axum server
//! on this machine can do per request (read the body, answer a fixed JSON), so `host` is
//! measured against the cost of HTTP itself. Usage: `floor [ADDR]` (default 127.0.0.1:8090).

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;

/// The same allocator as `host`, so the ratio measures the application, not malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn answer(body: Bytes) -> impl IntoResponse {
    // Touch the body so it is read in full, as a real handler would.
    std::hint::black_box(body.len());
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"prediction":[25.0021457871835]}"#,
    )
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_string());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
            eprintln!("floor: serving on http://{addr}");
            let app = Router::new().route("/predict", post(answer));
            axum::serve(listener, app).await.expect("serve");
        });
}
