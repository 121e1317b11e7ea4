//! Criterion benchmarks of the model core; `scripts/bench/core.sh` runs them and writes the
//! medians into BENCHMARKS.md. Ids (`predict/one_row`, `predict/batch_100k`) are read by tools.

use std::hint::black_box;
use std::path::Path;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use predictor::estimator::Kernel;
use predictor::{Model, Scaling};

mod support;

use support::cpu_time;

const BATCH_ROWS: usize = 100_000;
/// housing.csv columns the model takes: CHAS, RM, TAX, PTRATIO, B, LSTAT.
const COLUMNS: [usize; 6] = [3, 5, 9, 10, 11, 12];

/// The 506 housing rows (model columns, row-major), cycled to `n` rows.
fn housing_rows(n: usize) -> Vec<f64> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model_data/housing.csv");
    let text = std::fs::read_to_string(&path).expect("model_data/housing.csv");
    let table: Vec<Vec<f64>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<f64> = l.split_whitespace().map(|c| c.parse().unwrap()).collect();
            COLUMNS.iter().map(|&c| cells[c]).collect()
        })
        .collect();
    table.iter().cycle().take(n).flatten().copied().collect()
}

/// Group `predict` in wall time; `predict_cpu`, the same benches in process CPU time
/// (all threads), for numbers that hold on a machine shared with other work.
fn bench_predict(c: &mut Criterion) {
    bench_group(c, "predict");
}

fn bench_predict_cpu(c: &mut Criterion<cpu_time::ProcessCpuTime>) {
    bench_group(c, "predict_cpu");
}

fn bench_group<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let model = Model::embedded();
    let one = housing_rows(1);
    let batch = housing_rows(BATCH_ROWS);
    let mut group = c.benchmark_group(name);

    group.throughput(Throughput::Elements(1));
    group.bench_function("one_row", |b| {
        b.iter(|| model.predict_flat(black_box(&one), Scaling::Training))
    });
    group.bench_function("one_row_per_request", |b| {
        b.iter(|| model.predict_flat(black_box(&one), Scaling::PerRequest))
    });
    // The reference evaluator (a plain node walk, tree by tree) on already scaled input.
    let gbr = model
        .estimator()
        .as_gradient_boosting()
        .expect("the embedded model is a gradient-boosting regressor");
    let reference = gbr.reference().expect("native builds carry the node table");
    let mut scaled = vec![0.0; one.len()];
    model.scaler().unwrap().transform_into(&one, &mut scaled);
    group.bench_function("one_row_reference", |b| {
        b.iter(|| reference.predict_row(black_box(&scaled)))
    });
    let fast = gbr.fast().expect("the embedded model has the fast layout");
    group.bench_function("one_row_fast", |b| {
        b.iter(|| fast.predict_row(black_box(&scaled)))
    });
    group.bench_function("one_row_scalar", |b| {
        b.iter(|| fast.predict_row_with(Kernel::Scalar, black_box(&scaled)))
    });
    // The floor of any exact one-row evaluator: init + 400 products, added in tree order.
    let addends: Vec<f64> = (0..400).map(|i| 0.1 * f64::from(i).sin()).collect();
    group.bench_function("add_chain_400", |b| {
        b.iter(|| {
            let mut sum = black_box(22.5);
            for v in black_box(&addends[..]) {
                sum += *v;
            }
            sum
        })
    });

    group.sample_size(10);
    group.throughput(Throughput::Elements(BATCH_ROWS as u64));
    group.bench_function("batch_100k", |b| {
        b.iter(|| model.predict_flat(black_box(&batch), Scaling::Training))
    });
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    group.bench_function("batch_100k_one_core", |b| {
        b.iter(|| one_core.install(|| model.predict_flat(black_box(&batch), Scaling::Training)))
    });
    group.bench_function("batch_100k_per_request", |b| {
        b.iter(|| model.predict_flat(black_box(&batch), Scaling::PerRequest))
    });
    let mut scaled = vec![0.0; batch.len()];
    model.scaler().unwrap().transform_into(&batch, &mut scaled);
    group.bench_function("batch_100k_reference", |b| {
        b.iter_batched_ref(
            || vec![0.0; BATCH_ROWS],
            |out| {
                reference.predict_into(black_box(&scaled), 6, out);
            },
            BatchSize::LargeInput,
        )
    });
    // Each kernel on its own, one thread, scaled input.
    for kernel in Kernel::ALL.into_iter().filter(|k| k.is_available()) {
        group.bench_function(format!("batch_100k_{}", kernel.name()), |b| {
            b.iter_batched_ref(
                || vec![0.0; BATCH_ROWS],
                |out| fast.predict_into_with(kernel, black_box(&scaled), 6, out),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(wall, bench_predict);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(cpu_time::ProcessCpuTime);
    targets = bench_predict_cpu
}
criterion_main!(wall, cpu);
