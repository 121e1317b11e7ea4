//! Every model kind against scikit-learn: the reference evaluators on each committed zoo
//! model of the current scikit-learn line (model_data/zoo/sklearn-1.9), one row and 10,000
//! rows, in process CPU time. `scripts/bench/zoo.sh` runs this beside scikit-learn's own
//! `predict` on the same rows (scripts/bench/sklearn_zoo.py) and writes BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use golden::zoo;
use predictor::{Model, Scaling};
use std::hint::black_box;

#[path = "support/cpu_time.rs"]
mod cpu_time;

/// The line benchmarked: the scikit-learn users install today.
const LINE: &str = "sklearn-1.9";
/// Rows of the batch: the golden's rows repeated.
const BATCH_ROWS: usize = 10_000;

fn bench_zoo(c: &mut Criterion<cpu_time::ProcessCpuTime>) {
    let filter = std::env::var("ZOO_BENCH_MODELS").unwrap_or_default();
    for case in zoo::cases().into_iter().filter(|c| c.line == LINE) {
        if !filter.is_empty() && !filter.split(',').any(|m| m == case.name) {
            continue;
        }
        let model =
            Model::from_json(&case.model_bytes).unwrap_or_else(|e| panic!("{}: {e}", case.id()));
        let (shape, x) = zoo::f64_array(&case.golden["X"]);
        let width = shape[1];
        let batch: Vec<f64> = x.iter().copied().cycle().take(BATCH_ROWS * width).collect();
        let one = &x[..width];
        let mut group = c.benchmark_group(format!("zoo_cpu/{}", case.name));
        group.throughput(Throughput::Elements(1));
        group.bench_function("one_row", |b| {
            b.iter(|| model.predict_batch(black_box(one), Scaling::Training, false))
        });
        group.sample_size(10);
        group.throughput(Throughput::Elements(BATCH_ROWS as u64));
        group.bench_function("rows_10000", |b| {
            b.iter(|| model.predict_batch(black_box(&batch), Scaling::Training, false))
        });
        group.finish();
    }
}

criterion_group! {
    name = zoo_cpu;
    config = Criterion::default().with_measurement(cpu_time::ProcessCpuTime);
    targets = bench_zoo
}
criterion_main!(zoo_cpu);
