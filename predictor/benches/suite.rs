//! The tree-ensemble suite of `scripts/bench_zoo.sh` (issue 13), this project's side: every
//! model that `scripts/bench/suite.py train DIR` wrote, loaded at run time from its model
//! file (`Model::from_json`, what `--model`, `loadModel` and `MODEL_FILE` do), timed on one
//! row per call and on the whole batch of rows (100,000; 10,000 with `--quick`) in process
//! CPU time, medians of repeats, the way suite.py times the peers. Run it on one core
//! (`RAYON_NUM_THREADS=1`). It writes its answers beside the peers' (DIR/out/) for
//! suite_report.py's bit-for-bit comparison, and one JSON line per model on stdout.
//!
//! usage: `cargo bench -p predictor --bench suite -- DIR [--quick]` (SUITE_MODELS=a,b limits
//! the models).

use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use predictor::{Model, Predictions, Scaling};

fn cpu_now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Median over `repeats` of the CPU time of `calls` calls, per call (ns).
fn cpu_median(mut f: impl FnMut(), calls: u32, repeats: u32) -> f64 {
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t0 = cpu_now_ns();
            for _ in 0..calls {
                f();
            }
            (cpu_now_ns() - t0) as f64 / f64::from(calls)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn write_f64(path: &Path, values: impl Iterator<Item = f64>) {
    let bytes: Vec<u8> = values.flat_map(f64::to_le_bytes).collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // cargo bench passes `--bench`; the first other argument is the suite's directory.
    let Some(dir) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench -p predictor --bench suite -- DIR [--quick]");
        std::process::exit(2);
    };
    let quick = args.iter().any(|a| a == "--quick");
    let dir = Path::new(dir);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("manifest.json")).expect("DIR/manifest.json (suite.py train)"),
    )
    .expect("manifest.json is JSON");
    let filter = std::env::var("SUITE_MODELS").unwrap_or_default();
    let stdout = std::io::stdout();
    for m in manifest["models"].as_array().expect("models") {
        let name = m["name"].as_str().expect("name");
        if !filter.is_empty() && !filter.split(',').any(|f| f == name) {
            continue;
        }
        let width = m["n_features"].as_u64().expect("n_features") as usize;
        let classifier = m["classifier"].as_bool().expect("classifier");
        let bytes = std::fs::read(dir.join(format!("{name}.model.json"))).expect("model file");
        let t0 = Instant::now();
        let model = Model::from_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let load_ms = t0.elapsed().as_secs_f64() * 1e3;
        drop(bytes);
        let raw = std::fs::read(dir.join(format!("rows.{}.f64", m["data"].as_str().unwrap())))
            .expect("rows file");
        let rows: Vec<f64> = raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let n_rows = rows.len() / width;
        let one = &rows[..width];
        let run = |x: &[f64]| {
            model
                .predict_batch(black_box(x), Scaling::Training, classifier)
                .expect("predicts")
        };
        run(one);
        let one_row_ns = cpu_median(
            || {
                black_box(run(one));
            },
            if quick { 200 } else { 2000 },
            if quick { 5 } else { 9 },
        );
        let batch_ns = cpu_median(
            || {
                black_box(run(&rows));
            },
            1,
            if quick { 3 } else { 5 },
        );
        let out = dir.join("out");
        match run(&rows) {
            Predictions::Values(values) => write_f64(
                &out.join(format!("{name}.edge-predictor.values.f64")),
                values.into_iter(),
            ),
            Predictions::Classes { labels, proba } => {
                write_f64(
                    &out.join(format!("{name}.edge-predictor.labels.f64")),
                    labels.into_iter().map(f64::from),
                );
                write_f64(
                    &out.join(format!("{name}.edge-predictor.values.f64")),
                    proba.expect("asked for probabilities").into_iter(),
                );
            }
        }
        let kind = model.estimator().as_predict().kind();
        let record = serde_json::json!({
            "model": name,
            "engine": "edge-predictor",
            "one_row_ns": one_row_ns,
            "batch_ns_per_row": batch_ns / n_rows as f64,
            "load_ms": load_ms,
            "note": format!("Model::predict_batch ({kind}{}), native release", if classifier { ", labels + probabilities" } else { "" }),
        });
        writeln!(stdout.lock(), "{record}").unwrap();
    }
}
