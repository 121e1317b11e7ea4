//! A closed-loop gRPC load generator for `host`'s V2 service (no ghz on this machine, and
//! tritonclient is far slower than the server): C callers over K HTTP/2 connections, each
//! sending ModelInfer for the README sample (ROWS copies of it) as tritonclient does (raw
//! FP64 bytes in `raw_input_contents`) and checking every answer's bits, for D seconds.
//! Prints calls/s and latency percentiles. Usage:
//! `grpc_load [ADDR] [CONCURRENCY] [SECONDS] [CONNECTIONS] [ROWS]`
//! (defaults 127.0.0.1:8081 64 10 4 1).

use std::time::{Duration, Instant};

use host::grpc::proto::grpc_inference_service_client::GrpcInferenceServiceClient;
use host::grpc::proto::model_infer_request::InferInputTensor;
use host::grpc::proto::ModelInferRequest;

/// The README sample row and its prediction (training scaling).
const ROW: [f64; 6] = [0.0, 6.575, 296.0, 15.3, 396.9, 4.98];
const ANSWER: f64 = 25.0021457871835;

fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("argument {n} ({a:?}) is not valid"))
        })
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let addr: String = arg(1, "127.0.0.1:8081".to_string());
    let concurrency: usize = arg(2, 64);
    let seconds: u64 = arg(3, 10);
    let connections: usize = arg(4, 4);
    let rows: usize = arg(5, 1);
    let mut channels = Vec::new();
    for _ in 0..connections.max(1) {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .expect("an address")
            .tcp_nodelay(true)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
        channels.push(channel);
    }
    let values: Vec<f64> = ROW.iter().copied().cycle().take(rows * 6).collect();
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let request = ModelInferRequest {
        model_name: "boston-housing".into(),
        inputs: vec![InferInputTensor {
            name: "input-0".into(),
            datatype: "FP64".into(),
            shape: vec![rows as i64, 6],
            ..Default::default()
        }],
        raw_input_contents: vec![raw.into()],
        ..Default::default()
    };
    let end = Instant::now() + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..concurrency)
        .map(|i| {
            let mut client = GrpcInferenceServiceClient::new(channels[i % channels.len()].clone());
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < end {
                    let start = Instant::now();
                    let response = client
                        .model_infer(request.clone())
                        .await
                        .expect("ModelInfer answers")
                        .into_inner();
                    latencies.push(start.elapsed());
                    let bytes = &response.raw_output_contents[0];
                    assert_eq!(bytes.len(), rows * 8);
                    assert!(bytes.chunks_exact(8).all(|b| f64::from_le_bytes(
                        b.try_into().unwrap()
                    )
                    .to_bits()
                        == ANSWER.to_bits()));
                }
                latencies
            })
        })
        .collect();
    let started = Instant::now();
    let mut latencies = Vec::new();
    for caller in callers {
        latencies.extend(caller.await.expect("a caller panicked"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(0.0)
    };
    println!(
        "grpc_load {addr}: c={concurrency} connections={connections} rows={rows}: {} calls in {elapsed:.1} s = {:.0} calls/s, latency p50 {:.2} ms p99 {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
