//! The model file loader on any bytes: a model or a typed `ModelError`, never a panic,
//! hang or unbounded allocation; a model it accepts predicts a row without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{Model, Scaling};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(model) = Model::from_json(bytes) {
        let row = vec![0.5; model.n_features()];
        let _ = model.predict_flat(&row, Scaling::Training);
    }
});
