//! Decision trees and forests (`DecisionTree*`, `RandomForest*`, `ExtraTrees*`) in a version
//! 2 file, kinds `decision_tree_regressor`, `decision_tree_classifier`, `forest_regressor`,
//! `forest_classifier`: one tree block, and the version rule for classifier leaves resolved.

use alloc::format;
use alloc::string::String;
use serde::Deserialize;

use super::{check_float32_cast, check_n_classes, check_tree_count, TreeBlock, TreeBlockFile};
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::sklearn_version::SklearnVersion;
use crate::ModelError;

/// The estimator object of kind `decision_tree_regressor`.
#[derive(Debug, Deserialize)]
pub struct DecisionTreeRegressorFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub value_meaning: String,
    pub trees: TreeBlockFile,
}

/// The estimator object of kind `decision_tree_classifier`.
#[derive(Debug, Deserialize)]
pub struct DecisionTreeClassifierFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub value_meaning: String,
    pub n_classes: usize,
    pub trees: TreeBlockFile,
}

/// The estimator object of kind `forest_regressor`.
#[derive(Debug, Deserialize)]
pub struct ForestRegressorFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub value_meaning: String,
    pub n_estimators: usize,
    pub trees: TreeBlockFile,
}

/// The estimator object of kind `forest_classifier`.
#[derive(Debug, Deserialize)]
pub struct ForestClassifierFile {
    pub class: String,
    pub input_cast: String,
    pub nan_input: String,
    pub value_meaning: String,
    pub n_estimators: usize,
    pub n_classes: usize,
    pub trees: TreeBlockFile,
}

/// How the trees' answers become the model's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combination {
    /// A decision tree: its leaf is the answer.
    SingleTree,
    /// A forest: the sum over the trees in order, then divided by their number.
    Average,
}

/// What a classifier tree's `predict_proba` makes of its leaf's `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafProbability {
    /// scikit-learn < 1.4: `value` holds weighted class counts; `p = v / sum(v)` (numpy's
    /// sum; a zero sum divides by 1).
    NormaliseCounts,
    /// scikit-learn >= 1.4: `value` already holds the fractions; `p = v`.
    Fractions,
}

/// A decision tree or forest regressor that passed validation (one value per node).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidTreeRegressor {
    pub combination: Combination,
    pub trees: TreeBlock,
}

/// A decision tree or forest classifier that passed validation (`n_classes` values per
/// node).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidTreeClassifier {
    pub combination: Combination,
    pub n_classes: usize,
    pub leaf_probability: LeafProbability,
    pub trees: TreeBlock,
}

fn check_single_tree(trees: &TreeBlockFile) -> Result<(), ModelError> {
    if trees.n_trees != 1 {
        return fail(format!(
            "estimator.trees.n_trees is {}, a decision tree has 1",
            trees.n_trees
        ));
    }
    Ok(())
}

fn check_regression_values(value_meaning: &str) -> Result<(), ModelError> {
    if value_meaning != "mean" {
        return fail(format!(
            "estimator.value_meaning {value_meaning:?} is not a regressor's (\"mean\")"
        ));
    }
    Ok(())
}

/// The leaf rule of `sklearn`, checked against what the file says its values are.
fn leaf_probability(
    value_meaning: &str,
    sklearn: SklearnVersion,
) -> Result<LeafProbability, ModelError> {
    let (rule, expected) = if sklearn >= SklearnVersion::new(1, 4, 0) {
        (LeafProbability::Fractions, "fractions")
    } else {
        (LeafProbability::NormaliseCounts, "weighted_counts")
    };
    if value_meaning != expected {
        return fail(format!(
            "estimator.value_meaning is {value_meaning:?}, scikit-learn {sklearn} stores {expected:?}"
        ));
    }
    Ok(rule)
}

fn regressor(
    context: &EstimatorContext,
    input_cast: &str,
    nan_input: &str,
    value_meaning: &str,
    trees: TreeBlockFile,
    combination: Combination,
) -> Result<ValidTreeRegressor, ModelError> {
    check_float32_cast(input_cast)?;
    check_regression_values(value_meaning)?;
    let trees = trees.validate(context, nan_input, 1)?;
    Ok(ValidTreeRegressor { combination, trees })
}

fn classifier(
    context: &EstimatorContext,
    input_cast: &str,
    nan_input: &str,
    value_meaning: &str,
    n_classes: usize,
    trees: TreeBlockFile,
    combination: Combination,
) -> Result<ValidTreeClassifier, ModelError> {
    check_float32_cast(input_cast)?;
    check_n_classes(n_classes, context)?;
    let leaf_probability = leaf_probability(value_meaning, context.sklearn)?;
    let trees = trees.validate(context, nan_input, n_classes)?;
    Ok(ValidTreeClassifier {
        combination,
        n_classes,
        leaf_probability,
        trees,
    })
}

impl DecisionTreeRegressorFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidTreeRegressor, ModelError> {
        check_single_tree(&self.trees)?;
        regressor(
            context,
            &self.input_cast,
            &self.nan_input,
            &self.value_meaning,
            self.trees,
            Combination::SingleTree,
        )
    }
}

impl DecisionTreeClassifierFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidTreeClassifier, ModelError> {
        check_single_tree(&self.trees)?;
        classifier(
            context,
            &self.input_cast,
            &self.nan_input,
            &self.value_meaning,
            self.n_classes,
            self.trees,
            Combination::SingleTree,
        )
    }
}

impl ForestRegressorFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidTreeRegressor, ModelError> {
        check_tree_count("n_estimators", self.n_estimators, self.trees.n_trees)?;
        regressor(
            context,
            &self.input_cast,
            &self.nan_input,
            &self.value_meaning,
            self.trees,
            Combination::Average,
        )
    }
}

impl ForestClassifierFile {
    pub fn validate(self, context: &EstimatorContext) -> Result<ValidTreeClassifier, ModelError> {
        check_tree_count("n_estimators", self.n_estimators, self.trees.n_trees)?;
        classifier(
            context,
            &self.input_cast,
            &self.nan_input,
            &self.value_meaning,
            self.n_classes,
            self.trees,
            Combination::Average,
        )
    }
}
