//! Generates the gRPC service (`inference.GRPCInferenceService`, host/src/grpc) from
//! host/proto/grpc_predict_v2.proto at build time. The .proto is compiled by protox, a
//! protobuf compiler written in Rust, so building needs no `protoc` on the machine (a
//! fresh checkout, the musl image build, CI); tonic-prost-build writes the Rust types,
//! the server trait and a client (the tests' and load generators' client, generic over
//! any HTTP/2 channel, so the server binary links no client transport).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const PROTO: &str = "proto/grpc_predict_v2.proto";
    println!("cargo:rerun-if-changed={PROTO}");
    let descriptors = protox::compile([PROTO], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        // Raw tensor bytes stay slices of the received message (no copy per input).
        .bytes(".inference.ModelInferRequest.raw_input_contents")
        .bytes(".inference.ModelInferResponse.raw_output_contents")
        .compile_fds(descriptors)?;
    Ok(())
}
