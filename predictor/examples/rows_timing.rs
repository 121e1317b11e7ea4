//! Times `Model::predict_flat` natively on one row at a time and on a 100,000-row batch (the
//! golden training rows, tiled), the same work scripts/bench/web.mjs times in wasm, so
//! scripts/bench/edge.sh can print the ratio. Prints one JSON line.
//! usage: cargo run --release -p predictor --example rows_timing [--no-default-features --features std]

use std::time::Instant;

use predictor::{Model, Scaling};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let rows = golden::training().flat_rows();
    let model = Model::embedded();
    let width = model.n_features();
    let n_golden = rows.len() / width;
    // The golden rows are all predictable (the file keeps the refused ones in rejected_rows).
    let batch: Vec<f64> = rows.iter().copied().cycle().take(100_000 * width).collect();

    // One row per call, cycling through the golden rows (branch predictors do not learn one).
    let calls = 20_000;
    let mut sink = 0.0;
    let mut one_row = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        for i in 0..calls {
            let row = &rows[(i % n_golden) * width..][..width];
            sink += model.predict_flat(row, Scaling::Training).unwrap()[0];
        }
        one_row.push(start.elapsed().as_secs_f64() * 1e6 / calls as f64);
    }
    let mut per_row = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        sink += model.predict_flat(&batch, Scaling::Training).unwrap()[99_999];
        per_row.push(start.elapsed().as_secs_f64() * 1e9 / 100_000.0);
    }
    println!(
        "{{\"one_row_us\": {:.4}, \"batch_100k_ns_per_row\": {:.2}, \"checksum\": {sink}}}",
        median(one_row),
        median(per_row)
    );
}
