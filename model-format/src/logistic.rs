//! scikit-learn's `LogisticRegression` in a version 2 file, kind `logistic_regression`: a
//! coefficient row per decision function and how the writing version turned the decision
//! functions into probabilities (`multi_class`, resolved by the exporter and checked here).
//!
//! Source: sklearn/linear_model/_logistic.py `predict_proba`, _base.py
//! `LinearClassifierMixin.decision_function`, `predict`, `_predict_proba_lr`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::array::ArrayFile;
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::sklearn_version::SklearnVersion;
use crate::ModelError;

/// The estimator object of kind `logistic_regression`, as exported.
#[derive(Debug, Deserialize)]
pub struct LogisticRegressionFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub multi_class: String,
    pub multi_class_parameter: String,
    pub solver: String,
    pub n_classes: usize,
    pub coef: ArrayFile,
    pub intercept: ArrayFile,
}

/// How the decision functions `d = dot(x, coef_k) + intercept_k` become probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogisticProba {
    /// Two classes, one decision function: `p1 = expit(d)`, proba `[1 - p1, p1]`.
    Binary,
    /// Two classes with `multi_class="multinomial"` (0.22-1.7): `softmax([-d, d])`.
    BinarySoftmax,
    /// One-vs-rest: `p = expit(d)`, `p = p / sum(p)`.
    OneVsRest,
    /// `softmax(d)`.
    Multinomial,
}

/// `coef` is row-major `[rows, n_features]`, one row per decision function (1 for two
/// classes, else n_classes), all finite.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ValidLogisticRegression {
    pub coef: Vec<f64>,
    pub intercept: Vec<f64>,
    pub n_features: usize,
    pub n_classes: usize,
    pub proba: LogisticProba,
}

impl LogisticRegressionFile {
    pub fn validate(
        self,
        context: &EstimatorContext,
    ) -> Result<ValidLogisticRegression, ModelError> {
        if self.input_cast != "float64" {
            return fail(format!(
                "estimator.input_cast {:?} is not a linear model's (\"float64\")",
                self.input_cast
            ));
        }
        if self.nan_input != "reject" {
            return fail(format!(
                "estimator.nan_input {:?} is not LogisticRegression's (\"reject\": scikit-learn refuses NaN)",
                self.nan_input
            ));
        }
        if context.n_features == 0 {
            return fail("n_features is 0: scikit-learn fits no model without features");
        }
        let n_classes = self.n_classes;
        if context.n_classes != Some(n_classes) {
            return fail(format!(
                "estimator.n_classes is {n_classes}, but the file's classes hold {}",
                context.n_classes.unwrap_or(0)
            ));
        }
        if n_classes < 2 {
            return fail(format!(
                "estimator.n_classes is {n_classes}: a classifier has at least 2"
            ));
        }
        let expected = resolve_multi_class(
            &self.multi_class_parameter,
            &self.solver,
            context.sklearn,
            n_classes,
        );
        if self.multi_class != expected {
            return fail(format!(
                "estimator.multi_class {:?} is not what scikit-learn {} does with multi_class={:?}, solver={:?} and {n_classes} classes ({expected:?})",
                self.multi_class, context.sklearn, self.multi_class_parameter, self.solver
            ));
        }
        let proba = match expected {
            "binary" => LogisticProba::Binary,
            "binary_softmax" => LogisticProba::BinarySoftmax,
            "ovr" => LogisticProba::OneVsRest,
            _ => LogisticProba::Multinomial,
        };
        let rows = if n_classes == 2 { 1 } else { n_classes };
        let n_features = context.n_features;
        let coef = self
            .coef
            .f64s("estimator.coef")?
            .with_shape("estimator.coef", &[rows, n_features])?;
        let intercept = self
            .intercept
            .f64s("estimator.intercept")?
            .with_len("estimator.intercept", rows)?;
        if let Some(i) = coef.iter().position(|c| !c.is_finite()) {
            return fail(format!(
                "estimator.coef[{}, {}] is not finite",
                i / n_features,
                i % n_features
            ));
        }
        if let Some(k) = intercept.iter().position(|c| !c.is_finite()) {
            return fail(format!("estimator.intercept[{k}] is not finite"));
        }
        Ok(ValidLogisticRegression {
            coef,
            intercept,
            n_features,
            n_classes,
            proba,
        })
    }
}

/// What `predict_proba` of scikit-learn `version` does for these parameters, exactly as
/// tools/export_v2.py `logistic_multi_class` resolves it: two classes are `binary` (or
/// `binary_softmax` for an explicit `multinomial`); more are `ovr` for `ovr`/`warn`, or
/// `auto` with liblinear, and `multinomial` otherwise (1.8+ pickles have no `multi_class`).
fn resolve_multi_class(
    parameter: &str,
    solver: &str,
    version: SklearnVersion,
    n_classes: usize,
) -> &'static str {
    if n_classes <= 2 {
        return if parameter == "multinomial" {
            "binary_softmax"
        } else {
            "binary"
        };
    }
    if version < SklearnVersion::new(0, 22, 0) && parameter == "warn" {
        return "ovr";
    }
    match parameter {
        "ovr" | "warn" => "ovr",
        "multinomial" => "multinomial",
        // "auto", "deprecated" (1.5-1.7's default) and anything later
        _ if solver == "liblinear" => "ovr",
        _ => "multinomial",
    }
}
