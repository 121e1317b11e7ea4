//! `/predict` body decoder on any bytes: every payload form decodes to rows or a typed
//! error, never a panic; decoded rows are the model's width and predict without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{payload, Model, Scaling};

fuzz_target!(|body: &[u8]| {
    let model = Model::embedded();
    if let Ok(rows) = payload::decode(body, model, 1000) {
        assert_eq!(rows.ncols(), model.n_features());
        assert!(rows.nrows() <= 1000);
        for scaling in [Scaling::Training, Scaling::PerRequest] {
            let _ = model.predict(rows.view(), scaling);
        }
    }
});
