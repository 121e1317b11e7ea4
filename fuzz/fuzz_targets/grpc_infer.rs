//! The V2 gRPC decoder (host/src/grpc/tensors.rs) on any bytes: protobuf-decoded as a
//! `ModelInferRequest` (typed contents or `raw_input_contents`) and answered as the
//! ModelInfer call would, on the embedded model. A typed `Status` or an answer with one
//! output per row count; never a panic. An answer must survive protobuf encoding.
#![no_main]

use host::grpc::proto::{ModelInferRequest, ModelInferResponse};
use host::grpc::tensors;
use libfuzzer_sys::fuzz_target;
use predictor::{Model, ServiceOptions};
use prost::Message;

fuzz_target!(|bytes: &[u8]| {
    let Ok(call) = ModelInferRequest::decode(bytes) else {
        return;
    };
    let options = ServiceOptions {
        max_rows: 10_000,
        ..ServiceOptions::default()
    };
    if let Ok((response, rows)) = tensors::infer(Model::embedded(), options, &call) {
        assert!(rows > 0, "an answer predicts at least one row");
        assert!(!response.outputs.is_empty(), "an answer has an output");
        let again = ModelInferResponse::decode(response.encode_to_vec().as_slice())
            .expect("an answer decodes");
        assert_eq!(again, response);
    }
});
