//! Parity with the real scikit-learn on every committed zoo model: each
//! model_data/zoo/sklearn-<line>/NAME.model.json (exported from a pickle of that line) is
//! loaded and evaluated on the golden's rows, and every output is compared with what that
//! scikit-learn predicted (NAME.golden.json): bit for bit, or within the bound
//! model_data/README.md ("What is exact") documents for outputs that go through exp/log
//! (numpy's own SIMD exp/log differ from glibc's) or a BLAS dot product.
//!
//! `cargo test -p predictor --test zoo -- --nocapture` prints how many outputs of each
//! model are bit-exact and the largest distance.

use golden::zoo::{self, Case};
use predictor::{Model, Predictions, Scaling};
use serde_json::Value;

/// How close an output must be to scikit-learn's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    Exact,
    /// At most this many units in the last place (exp/log of another libm).
    Ulps(u64),
    /// Within `Ulps(n)`, or at most `abs` away: `1 - p1` of a `p1` a few ulps off (near 1)
    /// has a small absolute error but many ulps when it is small.
    UlpsOrAbsolute(u64, f64),
    /// `|ours - theirs| <= r * max(1, |theirs|)` (BLAS summation orders).
    Relative(f64),
}

impl Bound {
    fn holds(self, ours: f64, theirs: f64) -> bool {
        match self {
            Bound::Exact => ours.to_bits() == theirs.to_bits(),
            Bound::Ulps(n) => zoo::ulps(ours, theirs) <= n,
            Bound::UlpsOrAbsolute(n, abs) => {
                zoo::ulps(ours, theirs) <= n || (ours - theirs).abs() <= abs
            }
            Bound::Relative(r) => (ours - theirs).abs() <= r * theirs.abs().max(1.0),
        }
    }
}

/// The bounds on (predict, predict_proba) for a model this build evaluates; `None` for a
/// kind it does not evaluate yet. Labels must always be identical.
fn bounds(case: &Case) -> Option<(Bound, Bound)> {
    Some(match case.kind.as_str() {
        "linear_regressor" => (Bound::Relative(1e-12), Bound::Exact),
        // Tree sums are exact; numpy's SIMD exp/log (exp link, multiclass probabilities) are
        // not glibc's; scipy's expit (binary probabilities) is.
        "hist_gradient_boosting_regressor" if inverse_link(case) == "exp" => {
            (Bound::Ulps(8), Bound::Exact)
        }
        "hist_gradient_boosting_regressor" => (Bound::Exact, Bound::Exact),
        "hist_gradient_boosting_classifier" if inverse_link(case) == "expit" => {
            (Bound::Exact, Bound::Exact)
        }
        "hist_gradient_boosting_classifier" => (Bound::Exact, Bound::Ulps(8)),
        // BLAS's dot-product order, then exp.
        "logistic_regression" => (Bound::Exact, Bound::Relative(1e-12)),
        "decision_tree_regressor"
        | "decision_tree_classifier"
        | "forest_regressor"
        | "forest_classifier"
        | "gradient_boosting_regressor" => (Bound::Exact, Bound::Exact),
        // Probabilities go through exp, and the init's log-odds through log: numpy's own
        // SIMD exp/log on the zoo's AVX-512 machines are not glibc's (1.0 and 1.3's binary
        // prior: 1 ulp; its `1 - p1` then 2^-52 off).
        "gradient_boosting_classifier" => {
            (Bound::Exact, Bound::UlpsOrAbsolute(8, 2.0 * f64::EPSILON))
        }
        _ => return None,
    })
}

/// A HistGradientBoosting model's `inverse_link` (`identity`, `exp`, `expit`, `softmax`).
fn inverse_link(case: &Case) -> String {
    let model: Value = serde_json::from_slice(&case.model_bytes).unwrap();
    model["estimator"]["inverse_link"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Differences of one output set from the golden's, and how many values were exact.
#[derive(Default)]
struct Comparison {
    problems: Vec<String>,
    values: usize,
    exact: usize,
    max_ulps: u64,
}

impl Comparison {
    fn floats(&mut self, what: &str, bound: Bound, ours: &[f64], theirs: &Value) {
        let (_, theirs) = zoo::f64_array(theirs);
        if ours.len() != theirs.len() {
            self.problems.push(format!(
                "{what}: {} values, golden has {}",
                ours.len(),
                theirs.len()
            ));
            return;
        }
        let mut bad = Vec::new();
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            self.values += 1;
            let d = zoo::ulps(*a, *b);
            if d == 0 {
                self.exact += 1;
            }
            self.max_ulps = self.max_ulps.max(d);
            if !bound.holds(*a, *b) {
                bad.push((i, *a, *b));
            }
        }
        if let Some((i, a, b)) = bad.first() {
            self.problems.push(format!(
                "{what}: {} of {} values outside {bound:?}, first [{i}] {a:e} vs {b:e}",
                bad.len(),
                ours.len()
            ));
        }
    }

    fn labels(&mut self, what: &str, model: &Model, ours: &[u32], theirs: &Value) {
        let theirs = theirs.as_array().expect("labels");
        let ours: Vec<Value> = ours
            .iter()
            .map(|&k| serde_json::to_value(&model.classes()[k as usize]).unwrap())
            .collect();
        let bad: Vec<usize> = (0..ours.len().min(theirs.len()))
            .filter(|&i| ours[i] != theirs[i])
            .collect();
        if ours.len() != theirs.len() || !bad.is_empty() {
            self.problems.push(format!(
                "{what}: labels differ on {} of {} rows (first {:?})",
                bad.len(),
                theirs.len(),
                bad.first()
            ));
        }
    }
}

fn rows(golden: &Value) -> Vec<f64> {
    zoo::f64_array(golden).1
}

/// Evaluates `x` and compares with the golden outputs `want` (`predict`, `predict_proba`).
fn compare(
    model: &Model,
    bounds: (Bound, Bound),
    x: &[f64],
    want: &Value,
    what: &str,
    out: &mut Comparison,
) {
    match model.predict_batch(x, Scaling::Training, true) {
        Err(e) => out.problems.push(format!("{what}: refused: {e}")),
        Ok(Predictions::Values(values)) => out.floats(
            &format!("{what} predict"),
            bounds.0,
            &values,
            &want["predict"],
        ),
        Ok(Predictions::Classes { labels, proba }) => {
            out.labels(&format!("{what} predict"), model, &labels, &want["predict"]);
            out.floats(
                &format!("{what} predict_proba"),
                bounds.1,
                proba.as_deref().unwrap_or_default(),
                &want["predict_proba"],
            );
        }
    }
}

#[test]
fn every_supported_zoo_model_matches_scikit_learn() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in zoo::cases() {
        let Some(bounds) = bounds(&case) else {
            continue;
        };
        let model = match Model::from_json(&case.model_bytes) {
            Ok(model) => model,
            Err(e) => {
                failures.push(format!("{}: does not load: {e}", case.id()));
                continue;
            }
        };
        let mut cmp = Comparison::default();
        compare(
            &model,
            bounds,
            &rows(&case.golden["X"]),
            &case.golden,
            "X",
            &mut cmp,
        );
        let x_nan = &case.golden["X_nan"];
        if !x_nan.is_null() {
            let x_nan = rows(x_nan);
            match &case.golden["nan_rejected"] {
                Value::String(_) => match model.predict_batch(&x_nan, Scaling::Training, true) {
                    Err(e) => {
                        let message = e.to_string();
                        if !message.contains("missing") || predictor::api::status_of(&e) != 422 {
                            cmp.problems
                                .push(format!("X_nan: refused, but with {message:?}"));
                        }
                    }
                    Ok(_) => cmp
                        .problems
                        .push("X_nan: scikit-learn refuses NaN, this model took it".into()),
                },
                _ => compare(
                    &model,
                    bounds,
                    &x_nan,
                    &case.golden["nan_outputs"],
                    "X_nan",
                    &mut cmp,
                ),
            }
        }
        eprintln!(
            "{:<70} {:>6} values, {:>6} bit-exact, max {} ulp",
            case.id(),
            cmp.values,
            cmp.exact,
            cmp.max_ulps
        );
        failures.extend(cmp.problems.iter().map(|p| format!("{}: {p}", case.id())));
        checked += 1;
    }
    assert!(checked > 0, "no zoo model of a supported kind");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_zoo_model_is_of_a_kind_this_build_evaluates() {
    let cases = zoo::cases();
    let unchecked: Vec<String> = cases
        .iter()
        .filter(|c| bounds(c).is_none())
        .map(|c| format!("{} ({})", c.id(), c.kind))
        .collect();
    assert!(unchecked.is_empty(), "not checked: {unchecked:?}");
    // Every line of the zoo is here: 0.20.3, 1.0.2, 1.3.2 and 1.9.1.
    let mut lines: Vec<&str> = cases.iter().map(|c| c.line.as_str()).collect();
    lines.dedup();
    assert_eq!(
        lines,
        ["sklearn-0.20", "sklearn-1.0", "sklearn-1.3", "sklearn-1.9"]
    );
    assert!(cases.len() >= 137, "{} zoo models", cases.len());
}
