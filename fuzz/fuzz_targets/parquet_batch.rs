//! `host predict`'s Parquet reader (host/src/batch/parquet_io.rs, over the `parquet` crate)
//! on any bytes: a hostile or damaged file from a user. Predictions or a one-line error;
//! never a panic, an abort or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::{Model, Scaling};

fuzz_target!(|bytes: &[u8]| {
    if let Err(message) =
        host::batch::predict_parquet_text(Model::embedded(), Scaling::Training, bytes.to_vec())
    {
        assert!(
            !message.is_empty() && !message.contains('\n'),
            "one line: {message:?}"
        );
    }
});
