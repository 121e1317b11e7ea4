//! scikit-learn's `HistGradientBoostingRegressor` and `HistGradientBoostingClassifier` in a
//! version 2 file (kinds `hist_gradient_boosting_regressor` / `_classifier`): the predictor
//! node records verbatim, checked so every walk ends, and the version rules of the link.
//!
//! model_data/README.md ("Estimators", `hist_gradient_boosting_*`) is the spec; the source is
//! sklearn/ensemble/_hist_gradient_boosting/{gradient_boosting.py, predictor.py,
//! _predictor.pyx} and sklearn/_loss/ (1.1+) or loss.py (1.0).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::array::ArrayFile;
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::sklearn_version::SklearnVersion;
use crate::ModelError;

/// The estimator object of both HistGradientBoosting kinds, as exported.
#[derive(Debug, Deserialize)]
pub struct HistGradientBoostingFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub loss: String,
    pub loss_parameter: String,
    pub loss_class: String,
    pub inverse_link: String,
    pub n_iterations: usize,
    pub n_trees_per_iteration: usize,
    pub baseline_prediction: ArrayFile,
    pub predictors: PredictorsFile,
    /// Classifiers only: the length of `classes_`.
    #[serde(default)]
    pub n_classes: Option<usize>,
    /// Fields that would mean categorical features (refused when present and not null).
    #[serde(default)]
    pub is_categorical: Option<IgnoredAny>,
    #[serde(default)]
    pub categorical_features: Option<IgnoredAny>,
    #[serde(default)]
    pub known_categories: Option<IgnoredAny>,
    #[serde(default)]
    pub preprocessor: Option<IgnoredAny>,
}

/// `estimator.predictors`: every `TreePredictor.nodes` of the model, iteration-major, in one
/// set of arrays (children local to their predictor).
#[derive(Debug, Deserialize)]
pub struct PredictorsFile {
    pub n_predictors: usize,
    pub node_offset: ArrayFile,
    pub value: ArrayFile,
    pub feature_idx: ArrayFile,
    pub num_threshold: ArrayFile,
    pub missing_go_to_left: ArrayFile,
    pub left: ArrayFile,
    pub right: ArrayFile,
    pub is_leaf: ArrayFile,
    /// The node record's categorical flag: refused if any node is categorical.
    #[serde(default)]
    pub is_categorical: Option<ArrayFile>,
    /// Fields that exist only for categorical splits (refused when present and not null).
    #[serde(default)]
    pub bitset_idx: Option<IgnoredAny>,
    #[serde(default)]
    pub raw_left_cat_bitsets: Option<IgnoredAny>,
    #[serde(default)]
    pub known_cat_bitsets: Option<IgnoredAny>,
    #[serde(default)]
    pub binned_left_cat_bitsets: Option<IgnoredAny>,
}

/// One predictor node: a leaf's `value`, or a split sending `x[feature]` left when
/// `x <= threshold` (NaN: left iff `missing_go_to_left`). Children are absolute indices
/// into the model's node array, always after their parent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistNode {
    pub value: f64,
    pub threshold: f64,
    pub feature: u32,
    pub left: u32,
    pub right: u32,
    pub missing_go_to_left: bool,
    pub is_leaf: bool,
}

/// All predictors of a model: `roots[t]` is predictor t's first node (iteration-major:
/// predictor `i * K + k`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ValidHistPredictors {
    pub nodes: Vec<HistNode>,
    pub roots: Vec<u32>,
}

/// The regressor's inverse link (`_loss.inverse_link_function` in 1.0, `_loss.link.inverse`
/// from 1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegressionLink {
    /// squared_error, absolute_error, quantile: predict = raw.
    Identity,
    /// poisson, gamma: predict = `np.exp(raw)`.
    Exp,
}

/// How a classifier turns raw scores into probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistProba {
    /// Binary (one tree per iteration): `p1 = expit(raw)`, proba `[1 - p1, p1]`.
    Expit,
    /// Multiclass before 1.1 (`CategoricalCrossEntropy.predict_proba`):
    /// `exp(raw - logsumexp(raw))`.
    ExpMinusLogsumexp,
    /// Multiclass from 1.1 (`HalfMultinomialLoss`): sklearn.utils.extmath.softmax.
    Softmax,
}

/// What a classifier's `predict` looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistDecision {
    /// Before 1.4: `argmax(predict_proba)` (first maximum).
    ArgmaxProba,
    /// From 1.4: `raw > 0` (binary) or `argmax(raw)` (multiclass).
    Raw,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ValidHistGradientBoostingRegressor {
    pub predictors: ValidHistPredictors,
    pub baseline: f64,
    pub link: RegressionLink,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ValidHistGradientBoostingClassifier {
    pub predictors: ValidHistPredictors,
    /// One raw baseline per tree of an iteration (K: 1 for binary, n_classes otherwise).
    pub baseline: Vec<f64>,
    pub n_classes: usize,
    pub proba: HistProba,
    pub decision: HistDecision,
}

/// The pickled loss object's class -> (canonical loss, inverse link), as the exporter maps
/// them (tools/export_v2.py `HGB_LOSSES`).
const LOSSES: &[(&str, &str, &str)] = &[
    ("LeastSquares", "squared_error", "identity"),
    ("HalfSquaredError", "squared_error", "identity"),
    ("LeastAbsoluteDeviation", "absolute_error", "identity"),
    ("AbsoluteError", "absolute_error", "identity"),
    ("PinballLoss", "quantile", "identity"),
    ("Poisson", "poisson", "exp"),
    ("HalfPoissonLoss", "poisson", "exp"),
    ("HalfGammaLoss", "gamma", "exp"),
    ("BinaryCrossEntropy", "log_loss", "expit"),
    ("HalfBinomialLoss", "log_loss", "expit"),
    ("CategoricalCrossEntropy", "log_loss", "softmax"),
    ("HalfMultinomialLoss", "log_loss", "softmax"),
];

impl HistGradientBoostingFile {
    /// Validates a `hist_gradient_boosting_regressor`.
    pub fn validate_regressor(
        self,
        context: &EstimatorContext,
    ) -> Result<ValidHistGradientBoostingRegressor, ModelError> {
        let link = self.check_common()?;
        let link = match link {
            "identity" => RegressionLink::Identity,
            "exp" => RegressionLink::Exp,
            other => {
                return fail(format!(
                    "estimator.inverse_link {other:?} is a classifier's, not a regressor's (\"identity\" or \"exp\")"
                ))
            }
        };
        if let Some(n) = self.n_classes {
            return fail(format!(
                "estimator.n_classes is {n}: a regressor has no classes"
            ));
        }
        if self.n_trees_per_iteration != 1 {
            return fail(format!(
                "estimator.n_trees_per_iteration is {}, a regressor has 1",
                self.n_trees_per_iteration
            ));
        }
        let baseline = baseline(&self.baseline_prediction, 1)?[0];
        let predictors = self.predictors.validate(
            self.n_iterations,
            self.n_trees_per_iteration,
            context.n_features,
        )?;
        Ok(ValidHistGradientBoostingRegressor {
            predictors,
            baseline,
            link,
        })
    }

    /// Validates a `hist_gradient_boosting_classifier`, resolving its version rules.
    pub fn validate_classifier(
        self,
        context: &EstimatorContext,
    ) -> Result<ValidHistGradientBoostingClassifier, ModelError> {
        let link = self.check_common()?;
        let Some(n_classes) = self.n_classes else {
            return fail("estimator.n_classes is missing: a classifier needs it");
        };
        if context.n_classes != Some(n_classes) {
            return fail(format!(
                "estimator.n_classes is {n_classes}, but the file's classes hold {}",
                context.n_classes.unwrap_or(0)
            ));
        }
        let k = self.n_trees_per_iteration;
        let proba = match link {
            "expit" => {
                if n_classes != 2 || k != 1 {
                    return fail(format!(
                        "estimator.inverse_link \"expit\" is binary, but n_classes is {n_classes} and n_trees_per_iteration {k} (expected 2 and 1)"
                    ));
                }
                HistProba::Expit
            }
            "softmax" => {
                if n_classes < 3 || k != n_classes {
                    return fail(format!(
                        "estimator.inverse_link \"softmax\" is multiclass, but n_classes is {n_classes} and n_trees_per_iteration {k} (expected n_classes >= 3 trees per iteration)"
                    ));
                }
                if context.sklearn < SklearnVersion::new(1, 1, 0) {
                    HistProba::ExpMinusLogsumexp
                } else {
                    HistProba::Softmax
                }
            }
            other => {
                return fail(format!(
                    "estimator.inverse_link {other:?} is a regressor's, not a classifier's (\"expit\" or \"softmax\")"
                ))
            }
        };
        let decision = if context.sklearn < SklearnVersion::new(1, 4, 0) {
            HistDecision::ArgmaxProba
        } else {
            HistDecision::Raw
        };
        let baseline = baseline(&self.baseline_prediction, k)?;
        let predictors = self
            .predictors
            .validate(self.n_iterations, k, context.n_features)?;
        Ok(ValidHistGradientBoostingClassifier {
            predictors,
            baseline,
            n_classes,
            proba,
            decision,
        })
    }

    /// The checks both kinds share; returns the inverse link, checked against the loss.
    fn check_common(&self) -> Result<&str, ModelError> {
        if self.input_cast != "float64" {
            return fail(format!(
                "estimator.input_cast {:?} is not HistGradientBoosting's (\"float64\": no cast)",
                self.input_cast
            ));
        }
        if self.nan_input != "missing_go_to_left" {
            return fail(format!(
                "estimator.nan_input {:?} is not HistGradientBoosting's (\"missing_go_to_left\")",
                self.nan_input
            ));
        }
        let categorical = [
            ("estimator.is_categorical", self.is_categorical.is_some()),
            (
                "estimator.categorical_features",
                self.categorical_features.is_some(),
            ),
            (
                "estimator.known_categories",
                self.known_categories.is_some(),
            ),
            ("estimator.preprocessor", self.preprocessor.is_some()),
        ];
        if let Some((field, _)) = categorical.iter().find(|(_, present)| *present) {
            return fail(format!("{field}: categorical features are not supported"));
        }
        let Some((_, loss, link)) = LOSSES
            .iter()
            .find(|(class, _, _)| *class == self.loss_class)
        else {
            return fail(format!(
                "estimator.loss_class {:?} is not a HistGradientBoosting loss this format knows",
                self.loss_class
            ));
        };
        if self.loss != *loss {
            return fail(format!(
                "estimator.loss {:?} does not match loss_class {:?} ({loss:?})",
                self.loss, self.loss_class
            ));
        }
        if self.inverse_link != *link {
            return fail(format!(
                "estimator.inverse_link {:?} does not match loss {:?} ({link:?})",
                self.inverse_link, self.loss
            ));
        }
        Ok(&self.inverse_link)
    }
}

/// `_baseline_prediction` as pickled: `[]` or `[1, 1]` for one tree per iteration, `[K, 1]`
/// (1.0) or `[1, K]` (1.1+) for K; value k is element k (C order), finite.
fn baseline(array: &ArrayFile, k: usize) -> Result<Vec<f64>, ModelError> {
    const FIELD: &str = "estimator.baseline_prediction";
    let array = array.f64s(FIELD)?;
    let shape_ok = match array.shape.as_slice() {
        [] => k == 1,
        [a, b] => (*a == k && *b == 1) || (*a == 1 && *b == k),
        _ => false,
    };
    if !shape_ok {
        return fail(format!(
            "{FIELD}: shape {:?} does not hold one value per tree of an iteration ({k}: [], [1, 1], [K, 1] or [1, K])",
            array.shape
        ));
    }
    if let Some(i) = array.values.iter().position(|v| !v.is_finite()) {
        return fail(format!("{FIELD}[{i}] is not finite"));
    }
    Ok(array.values)
}

impl PredictorsFile {
    /// Checks `n_iterations * k` predictors whose every walk from the root ends at a leaf.
    fn validate(
        self,
        n_iterations: usize,
        k: usize,
        n_features: usize,
    ) -> Result<ValidHistPredictors, ModelError> {
        const P: &str = "estimator.predictors";
        if n_features == 0 {
            return fail("n_features is 0: scikit-learn fits no model without features");
        }
        let expected = n_iterations.checked_mul(k);
        if expected != Some(self.n_predictors) {
            return fail(format!(
                "{P}.n_predictors is {}, expected n_iterations * n_trees_per_iteration = {n_iterations} * {k}",
                self.n_predictors
            ));
        }
        if self.n_predictors == 0 {
            return fail(format!("{P}.n_predictors is 0: the model has no trees"));
        }
        let unsupported = [
            ("bitset_idx", self.bitset_idx.is_some()),
            ("raw_left_cat_bitsets", self.raw_left_cat_bitsets.is_some()),
            ("known_cat_bitsets", self.known_cat_bitsets.is_some()),
            (
                "binned_left_cat_bitsets",
                self.binned_left_cat_bitsets.is_some(),
            ),
        ];
        if let Some((field, _)) = unsupported.iter().find(|(_, present)| *present) {
            return fail(format!("{P}.{field}: categorical splits are not supported"));
        }
        let field = |name: &str| format!("{P}.{name}");
        let offsets = self.node_offset.i64s(&field("node_offset"))?.with_shape(
            &field("node_offset"),
            &[self.n_predictors.saturating_add(1)],
        )?;
        let value = self.value.f64s(&field("value"))?;
        let n_nodes = value.values.len();
        let value = value.with_shape(&field("value"), &[n_nodes])?;
        let feature = self
            .feature_idx
            .i64s(&field("feature_idx"))?
            .with_shape(&field("feature_idx"), &[n_nodes])?;
        let threshold = self
            .num_threshold
            .f64s(&field("num_threshold"))?
            .with_shape(&field("num_threshold"), &[n_nodes])?;
        let missing_left = self
            .missing_go_to_left
            .flags(&field("missing_go_to_left"))?
            .with_shape(&field("missing_go_to_left"), &[n_nodes])?;
        let left = self
            .left
            .i64s(&field("left"))?
            .with_shape(&field("left"), &[n_nodes])?;
        let right = self
            .right
            .i64s(&field("right"))?
            .with_shape(&field("right"), &[n_nodes])?;
        let is_leaf = self
            .is_leaf
            .flags(&field("is_leaf"))?
            .with_shape(&field("is_leaf"), &[n_nodes])?;
        if let Some(categorical) = &self.is_categorical {
            let flags = categorical
                .flags(&field("is_categorical"))?
                .with_shape(&field("is_categorical"), &[n_nodes])?;
            if let Some(i) = flags.iter().position(|c| *c) {
                return fail(format!(
                    "{P}.is_categorical[{i}]: categorical splits are not supported"
                ));
            }
        }
        if u32::try_from(n_nodes).is_err() {
            return fail(format!("{P}: {n_nodes} nodes are too many"));
        }
        if offsets[0] != 0 || offsets[self.n_predictors] != n_nodes as i64 {
            return fail(format!(
                "{P}.node_offset runs from {} to {}, expected 0 to the {n_nodes} nodes",
                offsets[0], offsets[self.n_predictors]
            ));
        }
        let mut nodes = Vec::with_capacity(n_nodes);
        let mut roots = Vec::with_capacity(self.n_predictors);
        for t in 0..self.n_predictors {
            let (start, end) = (offsets[t], offsets[t + 1]);
            if end <= start {
                return fail(format!(
                    "{P}.node_offset: predictor {t} has no nodes ({start}..{end})"
                ));
            }
            // 0 <= start < end <= n_nodes, which fits u32.
            let (start, end) = (start as usize, end as usize);
            let size = end - start;
            roots.push(start as u32);
            for i in 0..size {
                let g = start + i;
                let at = |name: &str| format!("{P}.{name}[{g}] (predictor {t}, node {i})");
                if !value[g].is_finite() {
                    return fail(format!("{} is not finite", at("value")));
                }
                if is_leaf[g] {
                    nodes.push(HistNode {
                        value: value[g],
                        threshold: 0.0,
                        feature: 0,
                        left: 0,
                        right: 0,
                        missing_go_to_left: false,
                        is_leaf: true,
                    });
                    continue;
                }
                let child = |name: &str, c: i64| -> Result<u32, ModelError> {
                    // Children come after their parent and inside the predictor, so every
                    // walk from the root ends at a leaf.
                    if c <= i as i64 || c >= size as i64 {
                        return fail(format!(
                            "{} is {c}: a child must come after its parent and inside the predictor's {size} nodes",
                            at(name)
                        ));
                    }
                    Ok((start + c as usize) as u32)
                };
                let l = child("left", left[g])?;
                let r = child("right", right[g])?;
                let f = feature[g];
                if f < 0 || f >= n_features as i64 {
                    return fail(format!(
                        "{} is {f}, the model has {n_features} features",
                        at("feature_idx")
                    ));
                }
                if threshold[g].is_nan() {
                    return fail(format!("{} is NaN", at("num_threshold")));
                }
                nodes.push(HistNode {
                    value: value[g],
                    threshold: threshold[g],
                    feature: f as u32,
                    left: l,
                    right: r,
                    missing_go_to_left: missing_left[g],
                    is_leaf: false,
                });
            }
        }
        Ok(ValidHistPredictors { nodes, roots })
    }
}
