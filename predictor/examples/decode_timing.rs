//! Times the /predict path for a 100-row columns payload: decode vs predict.
use predictor::{payload, Model, Scaling};
use std::time::Instant;

fn main() {
    let model = Model::embedded();
    let n = 100;
    let mut cols = Vec::new();
    for (j, name) in model.features().enumerate() {
        let cells: Vec<String> = (0..n)
            .map(|i| format!("\"{i}\":{}", 1.5 + (i * 7 + j) as f64 * 0.37))
            .collect();
        cols.push(format!("\"{name}\":{{{}}}", cells.join(",")));
    }
    let body = format!("{{{}}}", cols.join(","));
    let reps = 2000;
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(predictor::json::Json::parse(body.as_bytes()).unwrap());
    }
    println!("json parse: {:?}/req", t.elapsed() / reps);
    let t = Instant::now();
    let mut rows = None;
    for _ in 0..reps {
        rows = Some(payload::decode(body.as_bytes(), model, 1000).unwrap());
    }
    println!("decode: {:?}/req", t.elapsed() / reps);
    let rows = rows.unwrap();
    let t = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(model.predict(rows.view(), Scaling::Training).unwrap());
    }
    println!("predict: {:?}/req", t.elapsed() / reps);
}
