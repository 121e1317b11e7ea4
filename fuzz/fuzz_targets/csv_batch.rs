//! `host predict`'s batch reader (host/src/batch.rs) on any bytes: CSV (or a JSON
//! payload) to predictions or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{Model, Scaling};

fuzz_target!(|bytes: &[u8]| {
    let _ = host::batch::predict_text(Model::embedded(), Scaling::Training, bytes);
});
