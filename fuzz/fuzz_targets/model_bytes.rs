//! The model file loader on any bytes (version 1 and 2 files; the seeds hold the zoo's
//! exports of every kind): a model or a typed `ModelError`, never a panic, hang or unbounded
//! allocation; a model it accepts answers a row (values, or labels and probabilities)
//! without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{Model, Scaling};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(model) = Model::from_json(bytes) {
        let row = vec![0.5; model.n_features()];
        let _ = model.predict_batch(&row, Scaling::Training, true);
    }
});
