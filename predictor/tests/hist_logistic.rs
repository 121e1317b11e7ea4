//! HistGradientBoosting and LogisticRegression beyond the zoo harness's outputs: the raw
//! scores scikit-learn recorded (`_raw_predict`, `decision_function`) are matched before any
//! link (HistGradientBoosting bit for bit, LogisticRegression within 1e-12), and a loaded
//! model (every zoo export of those kinds, pipelines included) answers any batch without
//! panicking: NaN, infinities, huge and tiny values are predictions (HistGradientBoosting
//! takes them all, as scikit-learn does) or typed errors (LogisticRegression refuses NaN and
//! infinities, as scikit-learn does).

use golden::zoo;
use predictor::estimator::Estimator;
use predictor::{Model, Predictions, Scaling};
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

fn models() -> &'static [(String, Model)] {
    static MODELS: OnceLock<Vec<(String, Model)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        zoo::cases()
            .into_iter()
            .filter(|c| {
                c.kind.starts_with("hist_gradient_boosting") || c.kind == "logistic_regression"
            })
            .map(|c| (c.id(), Model::from_json(&c.model_bytes).unwrap()))
            .collect()
    })
}

fn cell() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(-f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(-0.0),
        -1e300..1e300f64,
        -10.0..10.0f64,
        any::<f64>(),
    ]
}

/// The model's input for the golden rows `x`: its preprocessing applied.
fn preprocessed(model: &Model, x: &[f64]) -> Vec<f64> {
    let mut input = x.to_vec();
    for step in model.preprocessing() {
        predictor::preprocessing::transform_in_place(step, &mut input);
    }
    input
}

/// `(raw scores per row, K)` of a HistGradientBoosting or LogisticRegression model.
fn raw_scores(model: &Model, rows: &[f64]) -> Option<(Vec<f64>, usize)> {
    let width = model.n_features();
    let mut out = Vec::new();
    let k = match model.estimator() {
        Estimator::HistGradientBoostingRegressor(hgb) => {
            out.extend(rows.chunks_exact(width).map(|row| hgb.raw(row)));
            1
        }
        Estimator::HistGradientBoostingClassifier(hgb) => {
            let k = hgb.n_trees_per_iteration();
            let mut raw = vec![0.0; k];
            for row in rows.chunks_exact(width) {
                hgb.raw_into(row, &mut raw);
                out.extend_from_slice(&raw);
            }
            k
        }
        Estimator::LogisticRegression(lr) => {
            let k = lr.n_decisions();
            let mut d = vec![0.0; k];
            for row in rows.chunks_exact(width) {
                lr.decision_into(row, &mut d);
                out.extend_from_slice(&d);
            }
            k
        }
        _ => return None,
    };
    Some((out, k))
}

#[test]
fn raw_scores_match_scikit_learn_before_the_link() {
    let mut checked = 0;
    for case in zoo::cases()
        .iter()
        .filter(|c| c.kind.starts_with("hist_gradient_boosting") || c.kind == "logistic_regression")
    {
        let model = Model::from_json(&case.model_bytes).unwrap();
        let key = if case.kind == "logistic_regression" {
            "decision_function"
        } else {
            "raw_predict"
        };
        let x = preprocessed(&model, &zoo::f64_array(&case.golden["X"]).1);
        let Some((ours, k)) = raw_scores(&model, &x) else {
            continue;
        };
        let (shape, mut theirs) = zoo::f64_array(&case.golden[key]);
        let n = ours.len() / k;
        // 1.0's HistGradientBoosting `_raw_predict` is [K, n]: transpose it.
        if k > 1 && shape == [k, n] {
            theirs = (0..n * k).map(|i| theirs[(i % k) * n + i / k]).collect();
        }
        assert_eq!(ours.len(), theirs.len(), "{}", case.id());
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            if case.kind == "logistic_regression" {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "{} [{i}]: {a:e} vs {b:e}",
                    case.id()
                );
            } else {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{} [{i}]: {a:e} vs {b:e}",
                    case.id()
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 39, "only {checked} zoo models of these kinds");
}

/// A one-split HistGradientBoostingRegressor on one feature `x`: left leaf 1.0, right 2.0,
/// split at `threshold` (base64 of the `<f8` array [threshold, 0, 0]), NaN left.
fn one_split(threshold_b64: &str) -> Model {
    let a = |dtype: &str, n: usize, data: &str| json!({"dtype": dtype, "shape": [n], "data": data});
    let mut v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/sklearn-1.9/hist_gradient_boosting_squared_error.model.json",
            zoo::DIR
        ))
        .unwrap(),
    )
    .unwrap();
    v["n_features"] = json!(1);
    v["features"] = json!(["x"]);
    let e = &mut v["estimator"];
    e["n_iterations"] = json!(1);
    e["baseline_prediction"] = json!({"dtype": "<f8", "shape": [], "data": "AAAAAAAAAAA="});
    e["predictors"] = json!({
        "n_predictors": 1,
        "node_offset": a("<i8", 2, "AAAAAAAAAAADAAAAAAAAAA=="),
        "value": a("<f8", 3, "AAAAAAAAAAAAAAAAAADwPwAAAAAAAABA"),
        "feature_idx": a("|u1", 3, "AAAA"),
        "num_threshold": a("<f8", 3, threshold_b64),
        "missing_go_to_left": a("|u1", 3, "AQAA"),
        "left": a("|u1", 3, "AQAA"),
        "right": a("|u1", 3, "AgAA"),
        "is_leaf": a("|u1", 3, "AAEB"),
    });
    Model::from_json(&serde_json::to_vec(&v).unwrap()).unwrap()
}

fn predict(model: &Model, rows: &[f64]) -> Vec<f64> {
    match model.predict_batch(rows, Scaling::Training, false).unwrap() {
        Predictions::Values(values) => values,
        other => panic!("a regressor answered {other:?}"),
    }
}

#[test]
fn splits_route_nan_by_flag_and_everything_else_by_less_or_equal() {
    let half = one_split("AAAAAAAA4D8AAAAAAAAAAAAAAAAAAAAA");
    let rows = [
        0.5,
        0.5000000000000001,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
    ];
    assert_eq!(predict(&half, &rows), [1.0, 2.0, 1.0, 2.0, 1.0, 1.0]);
    // A threshold of +inf (scikit-learn's split of the missing values only): inf <= inf.
    let inf = one_split("AAAAAAAA8H8AAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        predict(&inf, &[f64::INFINITY, f64::MAX, f64::NAN]),
        [1.0, 1.0, 1.0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_batch_is_an_answer_or_a_typed_error(cells in prop::collection::vec(cell(), 1..120)) {
        for (id, model) in models() {
            let width = model.n_features();
            let n_rows = cells.len().div_ceil(width);
            let rows: Vec<f64> = cells.iter().copied().cycle().take(n_rows * width).collect();
            let takes_everything = model.estimator().as_predict().takes_missing();
            let has_nan = rows.iter().any(|v| v.is_nan());
            let has_inf = rows.iter().any(|v| v.is_infinite());
            let imputes = id.contains("imputer");
            // scikit-learn's scalers and imputer refuse infinities even in front of
            // HistGradientBoosting, which alone takes them.
            let refuses_inf = !model.preprocessing().is_empty();
            // A scaler can overflow a huge value to inf, which LogisticRegression refuses.
            let huge = rows.iter().any(|v| v.abs() > 1e306);
            for proba in [false, true] {
                match model.predict_batch(&rows, Scaling::Training, proba) {
                    Ok(Predictions::Values(values)) => {
                        prop_assert!(takes_everything, "{}: took a batch", id);
                        prop_assert_eq!(values.len(), n_rows);
                        prop_assert!(values.iter().all(|v| !v.is_nan()), "{}: NaN prediction", id);
                    }
                    Ok(Predictions::Classes { labels, proba: p }) => {
                        prop_assert!(takes_everything || ((!has_nan || imputes) && !has_inf),
                            "{}: took NaN or inf", id);
                        prop_assert_eq!(labels.len(), n_rows);
                        let k = model.classes().len();
                        prop_assert!(labels.iter().all(|&l| (l as usize) < k), "{}: label out of range", id);
                        prop_assert_eq!(p.is_some(), proba);
                        if let Some(p) = p {
                            prop_assert_eq!(p.len(), n_rows * k);
                            // Probabilities are in [0, 1] (NaN only where a logistic dot of huge
                            // values is inf - inf, as in scikit-learn).
                            prop_assert!(p.iter().all(|v| v.is_nan() || (0.0..=1.0).contains(v)),
                                "{}: probability out of range", id);
                            if takes_everything {
                                prop_assert!(p.iter().all(|v| !v.is_nan()), "{}: NaN probability", id);
                            }
                        }
                    }
                    Err(e) => {
                        prop_assert!(!takes_everything || (refuses_inf && has_inf), "{}: refused {:?}", id, e);
                        prop_assert!((has_nan && !imputes) || has_inf || huge, "{}: refused a finite batch: {}", id, e);
                        prop_assert_eq!(predictor::api::status_of(&e), 422);
                    }
                }
            }
        }
    }
}
