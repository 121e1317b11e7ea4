//! The tree kinds against scikit-learn's recorded outputs (model_data/zoo), with the ulp
//! statistics of gradient-boosting classifier probabilities printed per model.

use model_format::array::ArrayFile;
use predictor::{Model, Predictions, Scaling};
use serde_json::Value;

const KINDS: &[&str] = &[
    "decision_tree_regressor",
    "decision_tree_classifier",
    "forest_regressor",
    "forest_classifier",
    "gradient_boosting_regressor",
];

fn f64s(array: &Value) -> Vec<f64> {
    let array: ArrayFile = serde_json::from_value(array.clone()).unwrap();
    array.f64s("golden").unwrap().values
}

fn ulps(a: f64, b: f64) -> u64 {
    if a.to_bits() == b.to_bits() {
        0
    } else if a.is_sign_negative() != b.is_sign_negative() {
        u64::MAX
    } else {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }
}

/// (rows compared, rows differing, max ulp) of `got` against the recorded `want`.
fn compare(got: &[f64], want: &[f64]) -> (usize, usize, u64) {
    assert_eq!(got.len(), want.len());
    let d: Vec<u64> = got.iter().zip(want).map(|(a, b)| ulps(*a, *b)).collect();
    (
        d.len(),
        d.iter().filter(|u| **u > 0).count(),
        d.into_iter().max().unwrap_or(0),
    )
}

fn check(model: &Model, rows: &[f64], outputs: &Value, name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let proba = outputs.get("predict_proba").is_some_and(|p| !p.is_null());
    let got = model
        .predict_batch(rows, Scaling::Training, proba)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    match got {
        Predictions::Values(values) => {
            let (_, bad, max) = compare(&values, &f64s(&outputs["predict"]));
            if bad > 0 {
                problems.push(format!("{name}: predict differs on {bad} rows ({max} ulp)"));
            }
        }
        Predictions::Classes { labels, proba } => {
            let want: Vec<Value> = outputs["predict"].as_array().unwrap().clone();
            let classes = model.classes();
            let got: Vec<Value> = labels
                .iter()
                .map(|l| serde_json::to_value(&classes[*l as usize]).unwrap())
                .collect();
            let bad = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            if bad > 0 {
                problems.push(format!("{name}: predict labels differ on {bad} rows"));
            }
            if let Some(p) = proba {
                let (n, bad, max) = compare(&p, &f64s(&outputs["predict_proba"]));
                if bad > 0 {
                    problems.push(format!(
                        "{name}: predict_proba differs in {bad}/{n} values (max {max} ulp)"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_zoo_tree_model_matches_scikit_learn() {
    let zoo = concat!(env!("CARGO_MANIFEST_DIR"), "/../model_data/zoo");
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in ["sklearn-0.20", "sklearn-1.0", "sklearn-1.3", "sklearn-1.9"] {
        let dir = format!("{zoo}/{line}");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let n = e.unwrap().file_name().into_string().unwrap();
                n.strip_suffix(".model.json").map(str::to_string)
            })
            .collect();
        names.sort();
        for name in names {
            let bytes = std::fs::read(format!("{dir}/{name}.model.json")).unwrap();
            let doc: Value = serde_json::from_slice(&bytes).unwrap();
            let kind = doc["estimator"]["kind"].as_str().unwrap();
            if !KINDS.contains(&kind) {
                continue;
            }
            let label = format!("{line}/{name}");
            let model = Model::from_json(&bytes).unwrap_or_else(|e| panic!("{label}: {e}"));
            let golden: Value = serde_json::from_slice(
                &std::fs::read(format!("{dir}/{name}.golden.json")).unwrap(),
            )
            .unwrap();
            problems.extend(check(&model, &f64s(&golden["X"]), &golden, &label));
            if !golden["X_nan"].is_null() {
                let rows = f64s(&golden["X_nan"]);
                if golden["nan_rejected"].is_null() {
                    problems.extend(check(
                        &model,
                        &rows,
                        &golden["nan_outputs"],
                        &format!("{label} (NaN rows)"),
                    ));
                } else if model.predict_batch(&rows, Scaling::Training, false).is_ok() {
                    problems.push(format!("{label}: NaN rows accepted, scikit-learn refuses"));
                }
            }
            checked += 1;
        }
    }
    eprintln!("{checked} zoo models of the tree kinds checked");
    assert!(checked > 40, "only {checked} models checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn load(line: &str, name: &str) -> Model {
        let path = format!(
            "{}/../model_data/zoo/sklearn-{line}/{name}.model.json",
            env!("CARGO_MANIFEST_DIR")
        );
        Model::from_json(&std::fs::read(path).unwrap()).unwrap()
    }

    /// Ordinary values, NaN, infinities, values that overflow float32 and the edges.
    fn cell() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => -1e3f64..1e3,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(1e300),
            1 => Just(-3.5e38),
            1 => Just(f64::from(f32::MAX)),
            1 => Just(-0.0),
            1 => any::<f64>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn tree_models_answer_or_refuse_any_row(cells in prop::collection::vec(cell(), 30 * 3)) {
            let models = [
                load("1.9", "random_forest_classifier_nan"),
                load("1.3", "decision_tree_regressor_nan"),
                load("1.0", "extra_trees_classifier"),
                load("0.20", "gradient_boosting_huber"),
            ];
            for model in &models {
                let width = model.n_features();
                let rows = &cells[..cells.len() / width * width];
                let n_rows = rows.len() / width;
                let bad = |v: &f64| !v.is_nan() && !(*v as f32).is_finite();
                match model.predict_batch(rows, Scaling::Training, true) {
                    Ok(Predictions::Values(values)) => {
                        prop_assert_eq!(values.len(), n_rows);
                        prop_assert!(values.iter().all(|v| v.is_finite()));
                    }
                    Ok(Predictions::Classes { labels, proba }) => {
                        let k = model.classes().len();
                        prop_assert_eq!(labels.len(), n_rows);
                        prop_assert!(labels.iter().all(|l| (*l as usize) < k));
                        let proba = proba.unwrap();
                        prop_assert!(proba.iter().all(|p| (0.0..=1.0).contains(p)));
                    }
                    Err(_) => {
                        let refused_nan = rows.iter().any(|v| v.is_nan())
                            && !model.estimator().as_predict().takes_missing();
                        prop_assert!(refused_nan || rows.iter().any(bad));
                    }
                }
            }
        }
    }
}
