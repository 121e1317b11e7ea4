//! Every refusal of the HistGradientBoosting and LogisticRegression validation, each made by
//! corrupting one field of a committed zoo export; the message must name the field.

use base64::Engine as _;
use model_format::hist_gradient_boosting::{HistDecision, HistProba, RegressionLink};
use model_format::logistic::LogisticProba;
use model_format::{ModelFile, ValidEstimator};
use serde_json::{json, Value};

const ZOO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../model_data/zoo");

fn export(line: &str, name: &str) -> Value {
    let path = format!("{ZOO}/sklearn-{line}/{name}.model.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn parse(v: &Value) -> Result<ValidEstimator, String> {
    ModelFile::parse(&serde_json::to_vec(v).unwrap())
        .map(|m| m.estimator)
        .map_err(|e| e.message().to_string())
}

#[track_caller]
fn assert_refused(v: &Value, needles: &[&str]) {
    match parse(v) {
        Ok(_) => panic!("a corrupt export was accepted (expected {needles:?})"),
        Err(message) => {
            for needle in needles {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}");
            }
        }
    }
}

fn bytes_of(array: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(array["data"].as_str().unwrap())
        .unwrap()
}

fn set_bytes(array: &mut Value, bytes: &[u8]) {
    array["data"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
}

fn element_size(array: &Value) -> usize {
    let dtype = array["dtype"].as_str().unwrap();
    dtype[2..].parse().unwrap()
}

/// Sets element `i` of an integer array (any width) to `value`, little-endian, truncated.
fn set_int(array: &mut Value, i: usize, value: i64) {
    let size = element_size(array);
    let mut bytes = bytes_of(array);
    bytes[i * size..(i + 1) * size].copy_from_slice(&value.to_le_bytes()[..size]);
    set_bytes(array, &bytes);
}

fn get_int(array: &Value, i: usize) -> i64 {
    let size = element_size(array);
    let bytes = bytes_of(array);
    let mut wide = [0u8; 8];
    wide[..size].copy_from_slice(&bytes[i * size..(i + 1) * size]);
    i64::from_le_bytes(wide)
}

fn set_f64(array: &mut Value, i: usize, value: f64) {
    let mut bytes = bytes_of(array);
    bytes[i * 8..(i + 1) * 8].copy_from_slice(&value.to_le_bytes());
    set_bytes(array, &bytes);
}

fn f64_array(values: &[f64], shape: &[usize]) -> Value {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    json!({"dtype": "<f8", "shape": shape,
           "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
}

/// The first split node of predictor 0 (node 0 is one in every zoo model).
fn first_split(v: &Value) -> usize {
    let is_leaf = &v["estimator"]["predictors"]["is_leaf"];
    (0..).find(|&i| get_int(is_leaf, i) == 0).unwrap()
}

#[test]
fn committed_exports_resolve_their_version_rules() {
    let cases = [
        (
            "1.0",
            HistProba::ExpMinusLogsumexp,
            HistDecision::ArgmaxProba,
        ),
        ("1.3", HistProba::Softmax, HistDecision::ArgmaxProba),
        ("1.9", HistProba::Softmax, HistDecision::Raw),
    ];
    for (line, proba, decision) in cases {
        let v = export(line, "hist_gradient_boosting_classifier_multiclass");
        let Ok(ValidEstimator::HistGradientBoostingClassifier(hgb)) = parse(&v) else {
            panic!("{line}: not a HistGradientBoostingClassifier");
        };
        assert_eq!((hgb.proba, hgb.decision), (proba, decision), "{line}");
        assert_eq!((hgb.n_classes, hgb.baseline.len()), (3, 3));
        assert_eq!(hgb.predictors.roots.len(), 75);
    }
    let v = export("1.0", "hist_gradient_boosting_classifier_binary");
    let Ok(ValidEstimator::HistGradientBoostingClassifier(hgb)) = parse(&v) else {
        panic!("binary: not a classifier");
    };
    assert_eq!((hgb.proba, hgb.baseline.len()), (HistProba::Expit, 1));
    let v = export("1.9", "hist_gradient_boosting_poisson");
    let Ok(ValidEstimator::HistGradientBoostingRegressor(hgb)) = parse(&v) else {
        panic!("poisson: not a regressor");
    };
    assert_eq!(hgb.link, RegressionLink::Exp);
    let v = export("1.0", "hist_gradient_boosting_squared_error");
    let Ok(ValidEstimator::HistGradientBoostingRegressor(hgb)) = parse(&v) else {
        panic!("squared_error: not a regressor");
    };
    assert_eq!(
        (hgb.link, hgb.baseline),
        (RegressionLink::Identity, 152.13348416289594)
    );

    for (line, name, proba) in [
        ("0.20", "logistic_regression_binary", LogisticProba::Binary),
        (
            "0.20",
            "logistic_regression_multinomial_str",
            LogisticProba::OneVsRest,
        ),
        ("1.3", "logistic_regression_ovr", LogisticProba::OneVsRest),
        (
            "1.3",
            "logistic_regression_multinomial_str",
            LogisticProba::Multinomial,
        ),
        ("1.9", "logistic_regression_binary", LogisticProba::Binary),
    ] {
        let Ok(ValidEstimator::LogisticRegression(lr)) = parse(&export(line, name)) else {
            panic!("{line}/{name}: not a LogisticRegression");
        };
        assert_eq!(lr.proba, proba, "{line}/{name}");
    }
}

#[test]
fn hist_gradient_boosting_fields_are_checked_by_name() {
    let base = export("1.3", "hist_gradient_boosting_classifier_multiclass");
    assert!(parse(&base).is_ok());
    let corrupt = |f: &dyn Fn(&mut Value), needles: &[&str]| {
        let mut v = base.clone();
        f(&mut v);
        assert_refused(&v, needles);
    };
    corrupt(
        &|v| v["estimator"]["input_cast"] = json!("float32"),
        &["estimator.input_cast"],
    );
    corrupt(
        &|v| v["estimator"]["nan_input"] = json!("reject"),
        &["estimator.nan_input"],
    );
    corrupt(
        &|v| v["estimator"]["loss_class"] = json!("HalfTweedieLoss"),
        &["estimator.loss_class"],
    );
    corrupt(
        &|v| v["estimator"]["loss"] = json!("poisson"),
        &["estimator.loss", "loss_class"],
    );
    corrupt(
        &|v| v["estimator"]["inverse_link"] = json!("expit"),
        &["estimator.inverse_link"],
    );
    corrupt(
        &|v| v["estimator"]["n_classes"] = json!(4),
        &["estimator.n_classes is 4"],
    );
    corrupt(
        &|v| {
            v["estimator"].as_object_mut().unwrap().remove("n_classes");
        },
        &["estimator.n_classes is missing"],
    );
    corrupt(
        &|v| v["estimator"]["n_trees_per_iteration"] = json!(1),
        &["softmax", "n_trees_per_iteration 1"],
    );
    corrupt(
        &|v| {
            v["estimator"]["loss_class"] = json!("HalfSquaredError");
            v["estimator"]["loss"] = json!("squared_error");
            v["estimator"]["inverse_link"] = json!("identity");
        },
        &["estimator.inverse_link \"identity\" is a regressor's"],
    );
    // Categorical features, in any field that implies them.
    for field in [
        "is_categorical",
        "categorical_features",
        "known_categories",
        "preprocessor",
    ] {
        corrupt(
            &|v| v["estimator"][field] = json!([true]),
            &[&format!("estimator.{field}: categorical")],
        );
    }
    for field in [
        "bitset_idx",
        "raw_left_cat_bitsets",
        "known_cat_bitsets",
        "binned_left_cat_bitsets",
    ] {
        corrupt(
            &|v| v["estimator"]["predictors"][field] = json!([0]),
            &[&format!("estimator.predictors.{field}: categorical")],
        );
    }
    corrupt(
        &|v| {
            let mut flags = v["estimator"]["predictors"]["missing_go_to_left"].clone();
            let n = bytes_of(&flags).len();
            let mut bytes = vec![0u8; n];
            bytes[5] = 1;
            set_bytes(&mut flags, &bytes);
            v["estimator"]["predictors"]["is_categorical"] = flags;
        },
        &["estimator.predictors.is_categorical[5]: categorical"],
    );
    // An all-false is_categorical says nothing is categorical: accepted.
    let mut v = base.clone();
    let mut flags = v["estimator"]["predictors"]["missing_go_to_left"].clone();
    let n = bytes_of(&flags).len();
    set_bytes(&mut flags, &vec![0u8; n]);
    v["estimator"]["predictors"]["is_categorical"] = flags;
    assert!(parse(&v).is_ok());

    // The baseline: one finite value per tree of an iteration.
    corrupt(
        &|v| v["estimator"]["baseline_prediction"] = f64_array(&[0.0, 0.0], &[1, 2]),
        &["estimator.baseline_prediction: shape [1, 2]"],
    );
    corrupt(
        &|v| v["estimator"]["baseline_prediction"] = f64_array(&[0.0; 3], &[3]),
        &["estimator.baseline_prediction: shape [3]"],
    );
    corrupt(
        &|v| set_f64(&mut v["estimator"]["baseline_prediction"], 2, f64::INFINITY),
        &["estimator.baseline_prediction[2] is not finite"],
    );

    // The predictor block.
    corrupt(
        &|v| v["estimator"]["n_iterations"] = json!(24),
        &["estimator.predictors.n_predictors is 75"],
    );
    corrupt(
        &|v| {
            let off = &mut v["estimator"]["predictors"]["node_offset"];
            off["shape"] = json!([75]);
            let bytes = bytes_of(off);
            set_bytes(off, &bytes[..75 * 8]);
        },
        &["estimator.predictors.node_offset: shape is [75], expected [76]"],
    );
    corrupt(
        &|v| set_int(&mut v["estimator"]["predictors"]["node_offset"], 0, 1),
        &["estimator.predictors.node_offset runs from 1"],
    );
    corrupt(
        &|v| {
            set_int(&mut v["estimator"]["predictors"]["node_offset"], 1, 0);
        },
        &["estimator.predictors.node_offset: predictor 0 has no nodes"],
    );
    corrupt(
        &|v| {
            let value = &mut v["estimator"]["predictors"]["value"];
            value["shape"] = json!([998]);
            let bytes = bytes_of(value);
            set_bytes(value, &bytes[..998 * 8]);
        },
        &["estimator.predictors.feature_idx: shape is [999], expected [998]"],
    );
    corrupt(
        &|v| {
            let i = first_split(v);
            set_int(&mut v["estimator"]["predictors"]["left"], i, i as i64);
        },
        &["estimator.predictors.left[0] (predictor 0, node 0) is 0: a child must come after its parent"],
    );
    corrupt(
        &|v| {
            let off = get_int(&v["estimator"]["predictors"]["node_offset"], 1);
            set_int(&mut v["estimator"]["predictors"]["right"], 0, off);
        },
        &["estimator.predictors.right[0]", "inside the predictor"],
    );
    corrupt(
        &|v| set_int(&mut v["estimator"]["predictors"]["feature_idx"], 0, 13),
        &["estimator.predictors.feature_idx[0] (predictor 0, node 0) is 13, the model has 13 features"],
    );
    corrupt(
        &|v| set_int(&mut v["estimator"]["predictors"]["feature_idx"], 0, -1),
        &["estimator.predictors.feature_idx[0]", "is -1"],
    );
    corrupt(
        &|v| {
            set_f64(
                &mut v["estimator"]["predictors"]["num_threshold"],
                0,
                f64::NAN,
            )
        },
        &["estimator.predictors.num_threshold[0] (predictor 0, node 0) is NaN"],
    );
    corrupt(
        &|v| {
            set_f64(
                &mut v["estimator"]["predictors"]["value"],
                3,
                f64::NEG_INFINITY,
            )
        },
        &["estimator.predictors.value[3]", "is not finite"],
    );
    corrupt(
        &|v| set_int(&mut v["estimator"]["predictors"]["is_leaf"], 0, 2),
        &["estimator.predictors.is_leaf[0] is 2"],
    );
    corrupt(
        &|v| v["estimator"]["predictors"]["num_threshold"]["dtype"] = json!("<i8"),
        &["estimator.predictors.num_threshold: dtype"],
    );
    // A threshold of +inf is scikit-learn's own (a split of missing values only): accepted.
    let mut v = base.clone();
    set_f64(
        &mut v["estimator"]["predictors"]["num_threshold"],
        0,
        f64::INFINITY,
    );
    assert!(parse(&v).is_ok());
}

#[test]
fn hist_gradient_boosting_regressor_fields_are_checked_by_name() {
    let base = export("1.9", "hist_gradient_boosting_poisson");
    assert!(parse(&base).is_ok());
    let corrupt = |f: &dyn Fn(&mut Value), needles: &[&str]| {
        let mut v = base.clone();
        f(&mut v);
        assert_refused(&v, needles);
    };
    corrupt(
        &|v| v["estimator"]["inverse_link"] = json!("identity"),
        &["estimator.inverse_link \"identity\" does not match loss \"poisson\""],
    );
    corrupt(
        &|v| v["estimator"]["n_classes"] = json!(2),
        &["estimator.n_classes is 2: a regressor"],
    );
    corrupt(
        &|v| v["estimator"]["n_trees_per_iteration"] = json!(2),
        &["estimator.n_trees_per_iteration is 2, a regressor has 1"],
    );
    corrupt(
        &|v| {
            v["estimator"]["loss_class"] = json!("HalfBinomialLoss");
            v["estimator"]["loss"] = json!("log_loss");
            v["estimator"]["inverse_link"] = json!("expit");
        },
        &["estimator.inverse_link \"expit\" is a classifier's"],
    );
    corrupt(
        &|v| v["estimator"]["baseline_prediction"] = f64_array(&[0.0, 0.0], &[2, 1]),
        &["estimator.baseline_prediction: shape [2, 1]"],
    );
    // 1.0's 0-d baseline is accepted.
    let mut v = base.clone();
    v["estimator"]["baseline_prediction"] = f64_array(&[1.5], &[]);
    assert!(parse(&v).is_ok());

    let binary = export("1.0", "hist_gradient_boosting_classifier_binary");
    let mut v = binary.clone();
    v["estimator"]["n_trees_per_iteration"] = json!(2);
    assert_refused(&v, &["estimator.inverse_link \"expit\" is binary"]);
}

#[test]
fn logistic_regression_fields_are_checked_by_name() {
    let base = export("1.3", "logistic_regression_ovr");
    assert!(parse(&base).is_ok());
    let corrupt = |f: &dyn Fn(&mut Value), needles: &[&str]| {
        let mut v = base.clone();
        f(&mut v);
        assert_refused(&v, needles);
    };
    corrupt(
        &|v| v["estimator"]["input_cast"] = json!("float32"),
        &["estimator.input_cast"],
    );
    corrupt(
        &|v| v["estimator"]["nan_input"] = json!("missing_go_to_left"),
        &["estimator.nan_input"],
    );
    corrupt(
        &|v| v["estimator"]["n_classes"] = json!(2),
        &["estimator.n_classes is 2, but the file's classes hold 3"],
    );
    corrupt(
        &|v| v["estimator"]["multi_class"] = json!("multinomial"),
        &[
            "estimator.multi_class \"multinomial\" is not what scikit-learn 1.3.2 does",
            "(\"ovr\")",
        ],
    );
    corrupt(
        &|v| v["estimator"]["multi_class_parameter"] = json!("auto"),
        &["estimator.multi_class \"ovr\"", "(\"multinomial\")"],
    );
    corrupt(
        &|v| {
            let coef = &mut v["estimator"]["coef"];
            coef["shape"] = json!([13, 3]);
        },
        &["estimator.coef: shape is [13, 3], expected [3, 13]"],
    );
    corrupt(
        &|v| v["estimator"]["intercept"] = f64_array(&[0.0; 2], &[2]),
        &["estimator.intercept: shape [2] holds 2 values, expected 3"],
    );
    corrupt(
        &|v| set_f64(&mut v["estimator"]["coef"], 14, f64::NAN),
        &["estimator.coef[1, 1] is not finite"],
    );
    corrupt(
        &|v| set_f64(&mut v["estimator"]["intercept"], 2, f64::INFINITY),
        &["estimator.intercept[2] is not finite"],
    );
    // liblinear's "auto" is one-vs-rest; two classes with multinomial are softmax([-d, d]).
    let mut v = base.clone();
    v["estimator"]["multi_class_parameter"] = json!("auto");
    v["estimator"]["solver"] = json!("liblinear");
    assert!(parse(&v).is_ok());
    let mut v = export("1.3", "logistic_regression_binary");
    v["estimator"]["multi_class_parameter"] = json!("multinomial");
    assert_refused(&v, &["(\"binary_softmax\")"]);
    v["estimator"]["multi_class"] = json!("binary_softmax");
    let Ok(ValidEstimator::LogisticRegression(lr)) = parse(&v) else {
        panic!("binary_softmax refused");
    };
    assert_eq!(lr.proba, LogisticProba::BinarySoftmax);
}
