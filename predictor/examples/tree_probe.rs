//! A probe for A/B runs of the tree kernels on one model: CPU time per row of
//! `Model::predict_batch` and of the estimator's reference evaluator, on rows read from a
//! raw little-endian float64 file (row-major, the model's width).
//! usage: tree_probe MODEL.json ROWS.f64 N_ROWS REPEATS (native only)
//!
//! `one_row` predicts the rows one call each, a different row every call (a request's
//! latency with the branch predictor untrained), unlike criterion's one repeated row.

#[cfg(not(target_family = "wasm"))]
use predictor::estimator::{Classify, Estimator, Regress};
#[cfg(not(target_family = "wasm"))]
use predictor::{Model, Scaling};

#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
fn cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

#[cfg(not(target_family = "wasm"))]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = Model::from_json(&std::fs::read(&args[1]).unwrap()).unwrap();
    let bytes = std::fs::read(&args[2]).unwrap();
    let all: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let n_rows: usize = args[3].parse().unwrap();
    let repeats: usize = args[4].parse().unwrap();
    let width = model.n_features();
    let rows: Vec<f64> = all.iter().copied().cycle().take(n_rows * width).collect();
    let time = |what: &str, f: &mut dyn FnMut()| {
        f();
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = cpu_seconds();
            for _ in 0..repeats {
                f();
            }
            best = best.min((cpu_seconds() - start) / (repeats * n_rows) as f64 * 1e9);
        }
        println!("{what:<10} {n_rows:>6} rows  {best:>10.1} ns/row");
    };
    time("pipeline", &mut || {
        std::hint::black_box(
            model
                .predict_batch(&rows, Scaling::Training, false)
                .unwrap(),
        );
    });
    // One row per call, a different row each time (a request's latency, branches unlearnt).
    let mut next = 0;
    let distinct = all.len() / width;
    time("one_row", &mut || {
        for _ in 0..n_rows {
            let row = &all[next * width..(next + 1) * width];
            next = (next + 1) % distinct;
            std::hint::black_box(model.predict_batch(row, Scaling::Training, false).unwrap());
        }
    });
    let mut out = vec![0.0; n_rows];
    let mut labels = vec![0u32; n_rows];
    match model.estimator() {
        Estimator::TreeRegressor(m) => {
            time("fast", &mut || {
                m.predict_on_this_thread(&rows, width, &mut out)
            });
            time("reference", &mut || {
                m.predict_reference_into(&rows, width, &mut out)
            });
        }
        Estimator::TreeClassifier(m) => {
            time("fast", &mut || {
                m.classify_on_this_thread(&rows, width, &mut labels, None)
            });
            time("reference", &mut || {
                m.classify_reference_into(&rows, width, &mut labels, None)
            });
        }
        Estimator::GradientBoosting(m) => {
            time("fast", &mut || m.predict_into(&rows, width, &mut out));
            let r = m.reference().unwrap();
            time("reference", &mut || r.predict_into(&rows, width, &mut out));
        }
        Estimator::HistGradientBoostingRegressor(m) => {
            time("fast", &mut || m.predict_into(&rows, width, &mut out));
            time("reference", &mut || {
                m.predict_reference_into(&rows, width, &mut out)
            });
        }
        Estimator::HistGradientBoostingClassifier(m) => {
            time("fast", &mut || {
                m.classify_into(&rows, width, &mut labels, None)
            });
            time("reference", &mut || {
                m.classify_reference_into(&rows, width, &mut labels, None)
            });
        }
        _ => {}
    }
}
