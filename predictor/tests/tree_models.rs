//! The tree kinds beyond the zoo harness (tests/zoo.rs): gradient-boosting classifiers' raw
//! scores against scikit-learn's recorded `raw_init` and `decision_function` (where the init's
//! log/logit and the stage sums are seen before exp blurs them), and a property test that a
//! loaded tree model answers or refuses any row, never panics.

use golden::zoo;
use predictor::estimator::Estimator;
use predictor::{Model, Predictions, Scaling};

/// (values, bit-exact, max ulp) of `ours` against the golden array `theirs`.
fn distance(ours: &[f64], theirs: &serde_json::Value) -> (usize, usize, u64) {
    let (_, theirs) = zoo::f64_array(theirs);
    assert_eq!(ours.len(), theirs.len());
    let d: Vec<u64> = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| zoo::ulps(*a, *b))
        .collect();
    let exact = d.iter().filter(|u| **u == 0).count();
    (d.len(), exact, d.into_iter().max().unwrap_or(0))
}

/// `cargo test -p predictor --test tree_models -- --nocapture` prints the distances.
#[test]
fn gradient_boosting_classifier_raw_scores_match_scikit_learn() {
    let mut checked = 0;
    let mut problems = Vec::new();
    for case in zoo::cases() {
        if case.kind != "gradient_boosting_classifier" {
            continue;
        }
        let model = Model::from_json(&case.model_bytes).unwrap();
        let Estimator::GradientBoostingClassifier(gbc) = model.estimator() else {
            panic!("{}: not a gradient-boosting classifier", case.id());
        };
        let (_, x) = zoo::f64_array(&case.golden["X"]);
        let k = gbc.raw_init().len();
        let mut raw = vec![0.0; x.len() / model.n_features() * k];
        gbc.raw_predict_into(&x, model.n_features(), &mut raw);
        // 0.20's goldens have no raw_init (its init is the stored raw score itself).
        let init = match &case.golden["raw_init"] {
            serde_json::Value::Null => (0, 0, 0),
            recorded => distance(gbc.raw_init(), recorded),
        };
        let scores = distance(&raw, &case.golden["decision_function"]);
        eprintln!(
            "{:<60} raw_init {} ulp, decision_function {}/{} bit-exact, max {} ulp",
            case.id(),
            init.2,
            scores.1,
            scores.0,
            scores.2
        );
        // The init goes through numpy's log (SIMD on AVX-512 in some lines): a few ulps at
        // most; the stage sums add nothing to that.
        if init.2 > 2 || scores.2 > 8 {
            problems.push(case.id());
        }
        checked += 1;
    }
    assert_eq!(checked, 12, "the zoo has 12 gradient-boosting classifiers");
    assert!(problems.is_empty(), "raw scores too far: {problems:?}");
}

/// A batch large enough to be split over cores answers what one thread does.
#[test]
fn large_batches_split_over_cores_answer_the_same() {
    let mut checked = 0;
    for case in zoo::cases() {
        if !matches!(
            case.id().as_str(),
            "sklearn-1.9/random_forest_classifier_nan"
                | "sklearn-1.9/extra_trees_regressor_nan"
                | "sklearn-1.9/hist_gradient_boosting_squared_error"
                | "sklearn-1.9/hist_gradient_boosting_classifier_multiclass"
        ) {
            continue;
        }
        let model = Model::from_json(&case.model_bytes).unwrap();
        let width = model.n_features();
        let mut x = zoo::f64_array(&case.golden["X"]).1;
        x.extend(zoo::f64_array(&case.golden["X_nan"]).1);
        let rows: Vec<f64> = x.iter().copied().cycle().take(10_000 * width).collect();
        let got = model.predict_batch(&rows, Scaling::Training, true).unwrap();
        match (model.estimator(), got) {
            (Estimator::TreeRegressor(trees), Predictions::Values(values)) => {
                let mut one = vec![0.0; 10_000];
                trees.predict_on_this_thread(&rows, width, &mut one);
                assert!(values
                    .iter()
                    .zip(&one)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            (Estimator::TreeClassifier(trees), Predictions::Classes { labels, proba }) => {
                let k = model.classes().len();
                let (mut l, mut p) = (vec![0; 10_000], vec![0.0; 10_000 * k]);
                trees.classify_on_this_thread(&rows, width, &mut l, Some(&mut p));
                assert_eq!(labels, l);
                let proba = proba.unwrap();
                assert!(proba
                    .iter()
                    .zip(&p)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
                // Labels alone (no probabilities asked) through the split path too.
                let Predictions::Classes { labels: alone, .. } = model
                    .predict_batch(&rows, Scaling::Training, false)
                    .unwrap()
                else {
                    unreachable!()
                };
                assert_eq!(alone, l);
            }
            (Estimator::HistGradientBoostingRegressor(hgb), Predictions::Values(values)) => {
                let mut one = vec![0.0; 10_000];
                hgb.predict_reference_into(&rows, width, &mut one);
                assert!(values
                    .iter()
                    .zip(&one)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            (
                Estimator::HistGradientBoostingClassifier(hgb),
                Predictions::Classes { labels, proba },
            ) => {
                let k = model.classes().len();
                let (mut l, mut p) = (vec![0; 10_000], vec![0.0; 10_000 * k]);
                hgb.classify_reference_into(&rows, width, &mut l, Some(&mut p));
                assert_eq!(labels, l);
                assert!(proba
                    .unwrap()
                    .iter()
                    .zip(&p)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            _ => panic!("{}: not a tree model", case.id()),
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
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
            60 => -1e3f64..1e3,
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
        fn tree_models_answer_or_refuse_any_row(cells in prop::collection::vec(cell(), 30 * 4)) {
            let models = [
                load("1.9", "random_forest_classifier_nan"),
                load("1.3", "decision_tree_regressor_nan"),
                load("1.0", "extra_trees_classifier"),
                load("0.20", "gradient_boosting_huber"),
                load("1.0", "gradient_boosting_classifier_binary"),
                load("1.9", "gradient_boosting_classifier_multiclass_str"),
            ];
            for model in &models {
                let width = model.n_features();
                // The whole batch, then each row alone (most of those are clean).
                let batch = &cells[..cells.len() / width * width];
                for rows in core::iter::once(batch).chain(batch.chunks_exact(width)) {
                    answers_or_refuses(model, rows)?;
                }
            }
        }
    }

    #[test]
    fn extreme_but_representable_rows_are_answered() {
        let edge = f64::from(f32::MAX);
        for (line, name) in [
            ("1.9", "random_forest_classifier_nan"),
            ("1.0", "gradient_boosting_classifier_binary"),
            ("1.9", "gradient_boosting_classifier_multiclass_str"),
            ("0.20", "gradient_boosting_huber"),
        ] {
            let model = load(line, name);
            let width = model.n_features();
            let rows: Vec<f64> = (0..2 * width)
                .map(|i| if i % 2 == 0 { edge } else { -edge })
                .collect();
            let got = model.predict_batch(&rows, Scaling::Training, true);
            assert!(got.is_ok(), "{line}/{name}: {got:?}");
            // Twice float32's largest overflows the cast: refused, the cell named.
            let mut over = rows.clone();
            over[1] = 2.0 * edge;
            let err = model
                .predict_batch(&over, Scaling::Training, true)
                .unwrap_err();
            assert!(err.to_string().contains("overflows float32"), "{err}");
        }
    }

    fn answers_or_refuses(model: &Model, rows: &[f64]) -> Result<(), TestCaseError> {
        let n_rows = rows.len() / model.n_features();
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
                prop_assert_eq!(proba.len(), n_rows * k);
                prop_assert!(proba.iter().all(|p| (0.0..=1.0).contains(p)));
            }
            Err(_) => {
                let refused_nan = rows.iter().any(|v| v.is_nan())
                    && !model.estimator().as_predict().takes_missing();
                prop_assert!(refused_nan || rows.iter().any(bad));
            }
        }
        Ok(())
    }
}

/// Structure-aware mutations of a tree block (children, features, offsets, flags, values):
/// the loader refuses them with a typed error, or the model it accepts answers every row
/// (which needs every walk to end).
mod mutated_blocks {
    use super::*;
    use model_format::array::ArrayFile;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    const FIELDS: &[&str] = &[
        "node_offset",
        "children_left",
        "children_right",
        "feature",
        "missing_go_to_left",
        "threshold",
        "value",
    ];

    fn mutate(doc: &mut Value, field: usize, at: usize, choice: i64) {
        let name = FIELDS[field];
        let array = &mut doc["estimator"]["trees"][name];
        let file: ArrayFile = serde_json::from_value(array.clone()).unwrap();
        let shape = file.shape.clone();
        let (dtype, bytes): (&str, Vec<u8>) = if matches!(name, "threshold" | "value") {
            let mut v = file.f64s(name).unwrap().values;
            let i = at % v.len();
            v[i] = [
                f64::NAN,
                f64::INFINITY,
                -f64::INFINITY,
                1e300,
                -0.0,
                choice as f64,
            ][choice.unsigned_abs() as usize % 6];
            ("<f8", v.iter().flat_map(|x| x.to_le_bytes()).collect())
        } else if name == "missing_go_to_left" {
            let mut v = file.flags(name).unwrap().values;
            let i = at % v.len();
            v[i] = !v[i];
            let bytes = v.iter().map(|b| u8::from(*b)).collect();
            ("|u1", bytes)
        } else {
            let mut v = file.i64s(name).unwrap().values;
            let n = v.len() as i64;
            let i = at % v.len();
            v[i] = [
                -2,
                -1,
                0,
                1,
                i as i64,
                i as i64 + 1,
                n,
                n - 1,
                i64::MAX,
                choice,
            ][choice.unsigned_abs() as usize % 10];
            ("<i8", v.iter().flat_map(|x| x.to_le_bytes()).collect())
        };
        *array = json!({"dtype": dtype, "shape": shape, "data": base64(&bytes)});
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn a_mutated_tree_block_is_refused_or_answers(
            edits in prop::collection::vec((0..FIELDS.len(), 0usize..10_000, -40i64..40), 1..4),
            which in 0usize..3,
        ) {
            let (line, name) = [
                ("1.3", "decision_tree_classifier_nan"),
                ("1.9", "random_forest_regressor_nan"),
                ("1.0", "gradient_boosting_classifier_multiclass_str"),
            ][which];
            let path = format!(
                "{}/../model_data/zoo/sklearn-{line}/{name}.model.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let has_flags = !doc["estimator"]["trees"]["missing_go_to_left"].is_null();
            for (field, at, choice) in edits {
                if FIELDS[field] == "missing_go_to_left" && !has_flags {
                    continue;
                }
                mutate(&mut doc, field, at, choice);
            }
            if let Ok(model) = Model::from_json(&serde_json::to_vec(&doc).unwrap()) {
                let width = model.n_features();
                let rows: Vec<f64> = (0..8 * width)
                    .map(|i| if i % 7 == 0 { f64::NAN } else { (i % 13) as f64 - 6.0 })
                    .collect();
                let clean: Vec<f64> = rows.iter().map(|v| if v.is_nan() { 0.5 } else { *v }).collect();
                prop_assert!(model.predict_batch(&clean, Scaling::Training, true).is_ok());
                let with_nan = model.predict_batch(&rows, Scaling::Training, true);
                prop_assert_eq!(with_nan.is_ok(), model.estimator().as_predict().takes_missing());
            }
        }
    }

    #[test]
    fn the_encoder_round_trips() {
        let bytes: Vec<u8> = (0u8..=20).collect();
        for n in 0..bytes.len() {
            let array = json!({"dtype": "|u1", "shape": [n], "data": base64(&bytes[..n])});
            let file: ArrayFile = serde_json::from_value(array).unwrap();
            assert_eq!(
                file.i64s("x").unwrap().values,
                (0..n as i64).collect::<Vec<_>>()
            );
        }
    }
}
