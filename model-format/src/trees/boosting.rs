//! scikit-learn's `GradientBoostingRegressor` and `GradientBoostingClassifier` in a version 2
//! file (kinds `gradient_boosting_regressor`, `gradient_boosting_classifier`): the init
//! estimator, the stage-major tree block, and every version rule of the classifier's
//! links resolved into the enums below (model_data/README.md, "Estimators").
//!
//! A regressor validates into version 1's `ValidGradientBoosting` (init constant, learning
//! rate, trees in stage order): its arithmetic is the Boston model's, so it runs on the
//! same evaluators, fast kernels included. A classifier's raw score of class k is such a
//! regressor too (trees `i*K + k`, its own init), so it keeps one node table per class.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::Deserialize;

use super::{check_float32_cast, check_n_classes, NanInput, TreeBlock, TreeBlockFile};
use crate::array::ArrayFile;
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::gradient_boosting::{NodeTable, ValidGradientBoosting};
use crate::sklearn_version::SklearnVersion;
use crate::ModelError;

/// The estimator object of kind `gradient_boosting_regressor` (version 2).
#[derive(Debug, Deserialize)]
pub struct GradientBoostingRegressorFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub loss: String,
    pub loss_parameter: String,
    pub learning_rate: f64,
    pub n_stages: usize,
    pub n_trees_per_stage: usize,
    pub init: InitFile,
    pub trees: TreeBlockFile,
    #[serde(default)]
    pub alpha: Option<f64>,
}

/// The estimator object of kind `gradient_boosting_classifier`.
#[derive(Debug, Deserialize)]
pub struct GradientBoostingClassifierFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub loss: String,
    pub loss_parameter: String,
    pub learning_rate: f64,
    pub n_stages: usize,
    pub n_trees_per_stage: usize,
    pub n_classes: usize,
    pub init: InitFile,
    pub trees: TreeBlockFile,
}

/// `estimator.init`: where the raw score starts, told apart by its `kind`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InitFile {
    /// `init="zero"` (1.0+).
    Zero,
    /// 0.20's `ZeroEstimator`.
    ZeroEstimator,
    /// A fitted `DummyRegressor`: `constant` is `constant_`, `[1, 1]`.
    DummyRegressor {
        strategy: String,
        constant: ArrayFile,
    },
    /// 0.20's `MeanEstimator`.
    MeanEstimator { mean: ArrayFile },
    /// 0.20's `QuantileEstimator`.
    QuantileEstimator { quantile: ArrayFile },
    /// A fitted `DummyClassifier(strategy="prior")`: `class_prior_`.
    DummyClassifier {
        strategy: String,
        class_prior: ArrayFile,
    },
    /// 0.20's `LogOddsEstimator`: `prior` is already the raw score.
    LogOddsEstimator { prior: ArrayFile },
    /// 0.20's `ScaledLogOddsEstimator` (exponential loss): `prior` likewise.
    ScaledLogOddsEstimator { prior: ArrayFile },
    /// 0.20's `PriorProbabilityEstimator`: 0.20 used the priors themselves as raw scores.
    PriorProbabilityEstimator { priors: ArrayFile },
}

impl InitFile {
    fn kind(&self) -> &'static str {
        match self {
            Self::Zero => "zero",
            Self::ZeroEstimator => "zero_estimator",
            Self::DummyRegressor { .. } => "dummy_regressor",
            Self::MeanEstimator { .. } => "mean_estimator",
            Self::QuantileEstimator { .. } => "quantile_estimator",
            Self::DummyClassifier { .. } => "dummy_classifier",
            Self::LogOddsEstimator { .. } => "log_odds_estimator",
            Self::ScaledLogOddsEstimator { .. } => "scaled_log_odds_estimator",
            Self::PriorProbabilityEstimator { .. } => "prior_probability_estimator",
        }
    }
}

/// `len` finite float64 values of `estimator.init.NAME`, whatever the shape.
fn init_values(array: ArrayFile, name: &str, len: usize) -> Result<Vec<f64>, ModelError> {
    let field = format!("estimator.init.{name}");
    let values = array.f64s(&field)?.with_len(&field, len)?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return fail(format!("{field}[{i}] is not finite"));
    }
    Ok(values)
}

/// The checks every gradient-boosting file shares; the tree block in stage order.
fn stages(
    context: &EstimatorContext,
    input_cast: &str,
    nan_input: &str,
    learning_rate: f64,
    n_stages: usize,
    n_trees_per_stage: usize,
    trees: TreeBlockFile,
) -> Result<TreeBlock, ModelError> {
    check_float32_cast(input_cast)?;
    if !learning_rate.is_finite() {
        return fail("estimator.learning_rate is not finite");
    }
    if n_stages.checked_mul(n_trees_per_stage) != Some(trees.n_trees) {
        return fail(format!(
            "estimator.n_stages ({n_stages}) times estimator.n_trees_per_stage ({n_trees_per_stage}) is not estimator.trees.n_trees ({})",
            trees.n_trees
        ));
    }
    let block = trees.validate(context, nan_input, 1)?;
    if block.nan_input != NanInput::Reject {
        return fail(
            "estimator.nan_input is \"missing_go_to_left\": scikit-learn's gradient boosting refuses NaN (\"reject\")",
        );
    }
    Ok(block)
}

impl GradientBoostingRegressorFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidGradientBoosting, ModelError> {
        if !matches!(
            self.loss.as_str(),
            "squared_error" | "absolute_error" | "huber" | "quantile"
        ) {
            return fail(format!(
                "estimator.loss {:?} is not a regression loss (squared_error, absolute_error, huber, quantile)",
                self.loss
            ));
        }
        if self.n_trees_per_stage != 1 {
            return fail(format!(
                "estimator.n_trees_per_stage is {}, a regressor has 1",
                self.n_trees_per_stage
            ));
        }
        // Every loss's raw prediction is the init estimator's constant (as it stored it),
        // then the stages; predict is the raw score (identity link).
        let init = match self.init {
            InitFile::Zero | InitFile::ZeroEstimator => 0.0,
            InitFile::DummyRegressor { constant, .. } => init_values(constant, "constant", 1)?[0],
            InitFile::MeanEstimator { mean } => init_values(mean, "mean", 1)?[0],
            InitFile::QuantileEstimator { quantile } => init_values(quantile, "quantile", 1)?[0],
            other => {
                return fail(format!(
                    "estimator.init.kind {:?} is a classifier's init",
                    other.kind()
                ))
            }
        };
        let block = stages(
            context,
            &self.input_cast,
            &self.nan_input,
            self.learning_rate,
            self.n_stages,
            self.n_trees_per_stage,
            self.trees,
        )?;
        Ok(ValidGradientBoosting {
            init,
            learning_rate: self.learning_rate,
            trees: NodeTable::new(block.nodes, block.roots),
        })
    }
}

/// The loss of a two-class model (one tree per stage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryLoss {
    /// `p1 = expit(raw)`.
    LogLoss,
    /// `p1 = expit(2 * raw)`.
    Exponential,
}

/// How a two-class model picks its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryDecision {
    /// `argmax([1 - p1, p1])`, the first on a tie (< 1.4, log_loss:
    /// `BinomialDeviance._raw_prediction_to_decision`).
    ProbaArgmax,
    /// `raw >= 0` (exponential before 1.4; every loss from 1.4, `predict`).
    RawNonNegative,
}

/// A multiclass model's `predict_proba` of its K raw scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulticlassProba {
    /// Before 1.4: `nan_to_num(exp(raw - logsumexp(raw)))` (`MultinomialDeviance`).
    ExpMinusLogsumexp,
    /// From 1.4: sklearn.utils.extmath `softmax`.
    Softmax,
}

/// How a multiclass model picks its class (the first maximum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MulticlassDecision {
    /// Before 1.4: of the probabilities.
    ProbaArgmax,
    /// From 1.4: of the raw scores.
    RawArgmax,
}

/// What a classifier answers from its raw scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassifierOutput {
    Binary {
        loss: BinaryLoss,
        decision: BinaryDecision,
    },
    Multiclass {
        proba: MulticlassProba,
        decision: MulticlassDecision,
    },
}

/// How a `DummyClassifier`'s class prior becomes the raw init score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorLink {
    /// Before 1.4 (sklearn/ensemble/_gb_losses.py): binary `log(p1 / (1 - p1))`, multiclass
    /// `log(p_k)`, numpy's `np.log`.
    Log,
    /// From 1.4 (sklearn/_loss/link.py): binary `scipy.special.logit(p1)`, multiclass
    /// `log(p_k / gmean(p))` with `gmean(p) = exp(mean(log(p)))` (scipy.stats.gmean).
    /// `scipy_1_15`: scipy 1.15 changed logit's formula; the model file does not say which
    /// scipy ran, so scikit-learn >= 1.7 (released after scipy 1.15, checked on 1.9.1 with
    /// scipy 1.18) takes the new one and 1.4 - 1.6 the old one (not covered by the zoo).
    Logit { scipy_1_15: bool },
}

/// Where a classifier's raw scores start (the same for every row).
#[derive(Clone, Debug, PartialEq)]
pub enum ClassifierInit {
    /// The K raw scores themselves: `zero`, and 0.20's init estimators' stored values.
    Raw(Vec<f64>),
    /// From a `DummyClassifier`'s `class_prior` (n_classes values): each clipped to
    /// `[eps, 1 - eps]`, then `link`; `half` (exponential loss) multiplies a binary
    /// model's score by 0.5 afterwards.
    Prior {
        class_prior: Vec<f64>,
        eps: f64,
        link: PriorLink,
        half: bool,
    },
}

/// A gradient-boosting classifier that passed validation: per class k (K = 1 for two
/// classes, else `n_classes`) the trees `i*K + k` in stage order, with children re-based.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidGradientBoostingClassifier {
    pub n_classes: usize,
    pub learning_rate: f64,
    pub init: ClassifierInit,
    pub output: ClassifierOutput,
    pub trees_per_class: Vec<NodeTable>,
}

impl GradientBoostingClassifierFile {
    pub fn validate(
        self,
        context: &EstimatorContext,
    ) -> Result<ValidGradientBoostingClassifier, ModelError> {
        check_n_classes(self.n_classes, context)?;
        let n_classes = self.n_classes;
        if n_classes < 2 {
            return fail(format!(
                "estimator.n_classes is {n_classes}: gradient boosting needs at least 2"
            ));
        }
        let k = if n_classes == 2 { 1 } else { n_classes };
        if self.n_trees_per_stage != k {
            return fail(format!(
                "estimator.n_trees_per_stage is {}, {n_classes} classes need {k}",
                self.n_trees_per_stage
            ));
        }
        let exponential = match self.loss.as_str() {
            "log_loss" => false,
            "exponential" if n_classes == 2 => true,
            "exponential" => {
                return fail(format!(
                    "estimator.loss \"exponential\" needs 2 classes, the model has {n_classes}"
                ))
            }
            other => {
                return fail(format!(
                    "estimator.loss {other:?} is not a classification loss (log_loss, exponential)"
                ))
            }
        };
        let sklearn = context.sklearn;
        let modern = sklearn >= SklearnVersion::new(1, 4, 0);
        let output = if k == 1 {
            ClassifierOutput::Binary {
                loss: if exponential {
                    BinaryLoss::Exponential
                } else {
                    BinaryLoss::LogLoss
                },
                decision: if modern || exponential {
                    BinaryDecision::RawNonNegative
                } else {
                    BinaryDecision::ProbaArgmax
                },
            }
        } else if modern {
            ClassifierOutput::Multiclass {
                proba: MulticlassProba::Softmax,
                decision: MulticlassDecision::RawArgmax,
            }
        } else {
            ClassifierOutput::Multiclass {
                proba: MulticlassProba::ExpMinusLogsumexp,
                decision: MulticlassDecision::ProbaArgmax,
            }
        };
        let init = match self.init {
            InitFile::Zero | InitFile::ZeroEstimator => ClassifierInit::Raw(vec![0.0; k]),
            InitFile::LogOddsEstimator { prior } | InitFile::ScaledLogOddsEstimator { prior } => {
                if k != 1 {
                    return fail("estimator.init: a log-odds init belongs to a two-class model");
                }
                ClassifierInit::Raw(init_values(prior, "prior", 1)?)
            }
            InitFile::PriorProbabilityEstimator { priors } => {
                ClassifierInit::Raw(init_values(priors, "priors", k)?)
            }
            InitFile::DummyClassifier {
                strategy,
                class_prior,
            } => {
                if strategy != "prior" {
                    return fail(format!(
                        "estimator.init.strategy {strategy:?} is not supported (only \"prior\")"
                    ));
                }
                let class_prior = init_values(class_prior, "class_prior", n_classes)?;
                // _gb_losses.py (< 1.4) and _gb.py `_init_raw_predictions` up to 1.8 clip
                // at float32's eps; 1.9 at float64's.
                let eps = if sklearn >= SklearnVersion::new(1, 9, 0) {
                    f64::EPSILON
                } else {
                    f64::from(f32::EPSILON)
                };
                ClassifierInit::Prior {
                    class_prior,
                    eps,
                    link: if modern {
                        PriorLink::Logit {
                            scipy_1_15: sklearn >= SklearnVersion::new(1, 7, 0),
                        }
                    } else {
                        PriorLink::Log
                    },
                    half: exponential,
                }
            }
            other => {
                return fail(format!(
                    "estimator.init.kind {:?} is a regressor's init",
                    other.kind()
                ))
            }
        };
        let block = stages(
            context,
            &self.input_cast,
            &self.nan_input,
            self.learning_rate,
            self.n_stages,
            k,
            self.trees,
        )?;
        let n_stages = self.n_stages;
        let trees_per_class = (0..k)
            .map(|c| {
                let (nodes, roots) = block.select((0..n_stages).map(|i| i * k + c));
                NodeTable::new(nodes, roots)
            })
            .collect();
        Ok(ValidGradientBoostingClassifier {
            n_classes,
            learning_rate: self.learning_rate,
            init,
            output,
            trees_per_class,
        })
    }
}
