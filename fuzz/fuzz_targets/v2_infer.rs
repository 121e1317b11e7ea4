//! KServe V2 infer request decoder on any bytes: rows or a typed error, and the rows
//! it accepts predict or fail with a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{v2, Model, Scaling};

fuzz_target!(|body: &[u8]| {
    let model = Model::embedded();
    if let Ok(request) = v2::decode_infer(body, model, 1000) {
        assert_eq!(request.rows.ncols(), model.n_features());
        assert!(request.rows.nrows() <= 1000);
        if let Ok(predictions) = v2::predict(model, &request, Scaling::Training) {
            let _ = v2::encode_infer(model, request.id.as_deref(), &predictions);
        }
    }
});
