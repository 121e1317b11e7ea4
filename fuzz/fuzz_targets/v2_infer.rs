//! KServe V2 infer request decoder on any bytes: rows or a typed error, and the rows
//! it accepts predict or fail with a typed error. The first byte picks whether the
//! request uses the binary tensor extension: with it, the next two bytes are the JSON
//! header's length (`Inference-Header-Content-Length`), the rest the body; the answer for
//! accepted rows is encoded with every output binary, and its header length must point
//! inside the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::payload::Output;
use predictor::{v2, Model, Scaling};

fuzz_target!(|data: &[u8]| {
    let model = Model::embedded();
    let (header_length, body) = match data {
        [flag, hi, lo, rest @ ..] if flag & 1 == 1 => {
            (Some(u16::from_be_bytes([*hi, *lo]).to_string()), rest)
        }
        _ => (None, data),
    };
    if let Ok(decoded) = v2::decode_infer_http(body, header_length.as_deref(), model, 1000) {
        let request = &decoded.request;
        assert_eq!(request.rows.ncols(), model.n_features());
        assert!(request.rows.nrows() <= 1000);
        assert_eq!(decoded.binary_outputs.len(), request.outputs.len());
        if let Ok(predictions) = v2::infer(model, request, Scaling::Training) {
            let binary = vec![true; request.outputs.len()];
            let encoded =
                v2::encode_infer_http(model, None, &predictions, &request.outputs, &binary);
            let length = encoded
                .header_length
                .expect("binary outputs set the header");
            assert!(length <= encoded.body.len());
            let _ = v2::encode_infer_outputs(
                model,
                request.id.as_deref(),
                &predictions,
                &[Output::Predict],
            );
        }
    }
});
