//! scikit-learn's GradientBoostingRegressor (squared-error loss, mean init) in the model
//! file: its file type, its validation into one flat node table, and the layouts the fast
//! evaluators read (`padded`, and `ranked` on top of it), baked by `embed` into statics.
//! The evaluators themselves are `predictor::estimator::gradient_boosting`.

pub mod embed;
pub mod padded;
pub mod ranked;

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::error::fail;
use crate::tree::{Node, LEAF};
use crate::ModelError;

/// The estimator object of kind `gradient_boosting_regressor`, as exported.
#[derive(Debug, Deserialize)]
pub struct GradientBoostingFile {
    pub loss: String,
    pub learning_rate: f64,
    pub init: f64,
    pub trees: Vec<TreeFile>,
}

/// scikit-learn's `tree_` arrays, verbatim.
#[derive(Debug, Deserialize)]
pub struct TreeFile {
    pub children_left: Vec<i64>,
    pub children_right: Vec<i64>,
    pub feature: Vec<i64>,
    pub threshold: Vec<f64>,
    pub value: Vec<f64>,
}

/// A regressor that passed validation: finite `init` and `learning_rate`, and trees whose
/// every walk ends in a leaf. Only `GradientBoostingFile::validate` makes one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidGradientBoosting {
    pub init: f64,
    pub learning_rate: f64,
    pub trees: NodeTable,
}

/// Every tree's nodes in one array (children as absolute indices), and each tree's root,
/// in stage order: what the reference evaluator walks.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTable {
    nodes: Cow<'static, [Node]>,
    roots: Cow<'static, [u32]>,
}

impl NodeTable {
    /// A table of trees whose children come after their parent and inside the array (what
    /// validation checks), so every walk from a root ends.
    pub fn new(nodes: Vec<Node>, roots: Vec<u32>) -> Self {
        Self {
            nodes: Cow::Owned(nodes),
            roots: Cow::Owned(roots),
        }
    }

    /// The same from statics a validation produced (the embedded model's).
    pub const fn from_static(nodes: &'static [Node], roots: &'static [u32]) -> Self {
        Self {
            nodes: Cow::Borrowed(nodes),
            roots: Cow::Borrowed(roots),
        }
    }

    /// Every tree's nodes, one after the other.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Index of each tree's root in `nodes()`, in stage order.
    pub fn roots(&self) -> &[u32] {
        &self.roots
    }

    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }
}

impl GradientBoostingFile {
    /// Validates the regressor of a model whose rows are `n_features` wide.
    pub fn validate(self, n_features: usize) -> Result<ValidGradientBoosting, ModelError> {
        let Self {
            loss,
            learning_rate,
            init,
            trees,
        } = self;
        if loss != "ls" && loss != "squared_error" {
            return fail(format!(
                "estimator.loss {loss:?} is not supported (only \"ls\")"
            ));
        }
        if !learning_rate.is_finite() || !init.is_finite() {
            return fail("estimator.learning_rate and estimator.init must be finite");
        }
        if trees.is_empty() {
            return fail("estimator.trees is empty");
        }
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(trees.len());
        for (t, tree) in trees.iter().enumerate() {
            let base = nodes.len();
            roots.push(u32::try_from(base).map_err(|_| ModelError::new("too many nodes"))?);
            flatten_tree(tree, base, n_features, &mut nodes)
                .map_err(|e| e.within(&format!("estimator.trees[{t}]")))?;
        }
        if nodes.len() >= LEAF as usize {
            return fail("too many nodes");
        }
        Ok(ValidGradientBoosting {
            init,
            learning_rate,
            trees: NodeTable::new(nodes, roots),
        })
    }
}

/// Appends one tree's nodes, checking that every walk from the root ends in a leaf:
/// children come after their parent (as scikit-learn writes them) and inside the tree.
fn flatten_tree(
    tree: &TreeFile,
    base: usize,
    n_features: usize,
    nodes: &mut Vec<Node>,
) -> Result<(), ModelError> {
    let n = tree.children_left.len();
    if n == 0 {
        return fail("has no nodes");
    }
    for (field, len) in [
        ("children_right", tree.children_right.len()),
        ("feature", tree.feature.len()),
        ("threshold", tree.threshold.len()),
        ("value", tree.value.len()),
    ] {
        if len != n {
            return fail(format!("{field} has {len} entries, children_left has {n}"));
        }
    }
    for i in 0..n {
        let (left, right) = (tree.children_left[i], tree.children_right[i]);
        let value = tree.value[i];
        if !value.is_finite() {
            return fail(format!("value[{i}] is not finite"));
        }
        if left == -1 && right == -1 {
            nodes.push(Node::leaf(value));
            continue;
        }
        let child_ok = |c: i64| c > i as i64 && (c as usize) < n;
        if !child_ok(left) || !child_ok(right) {
            return fail(format!(
                "node {i} has children {left} and {right}: each must be -1 (both, for a leaf) or a later node of the tree"
            ));
        }
        let feature = tree.feature[i];
        if feature < 0 || feature as usize >= n_features {
            return fail(format!(
                "node {i} splits on feature {feature}, the model has {n_features}"
            ));
        }
        let threshold = tree.threshold[i];
        if !threshold.is_finite() {
            return fail(format!("threshold[{i}] is not finite"));
        }
        nodes.push(Node::new(
            feature as u32,
            threshold,
            (base + left as usize) as u32,
            (base + right as usize) as u32,
            value,
        ));
    }
    Ok(())
}

/// The regressor of the committed Boston model (model_data/), for tests of the layouts.
#[cfg(test)]
pub(crate) fn committed_model() -> ValidGradientBoosting {
    let bytes = include_bytes!("../../../model_data/boston_housing.model.json");
    let model = crate::ModelFile::parse(bytes).unwrap();
    model.estimator.as_gradient_boosting().unwrap().clone()
}
