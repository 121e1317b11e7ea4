//! The model file format (`edge-predictor-model`, version 1): its serde types and the
//! validation that every model passes before it is used, whether loaded at run time or
//! embedded by `build.rs` (which includes this file with `#[path]`, so it depends only on
//! `alloc`, serde and `crate::tree`). model_data/README.md documents every field.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::Deserialize;

use crate::tree::{Node, LEAF};

pub const FORMAT_NAME: &str = "edge-predictor-model";
pub const FORMAT_VERSION: u32 = 1;

/// The file as written by `tools/export_model.py`.
#[derive(Debug, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    pub features: Vec<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub scaler: Option<ScalerFile>,
    pub estimator: EstimatorFile,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScalerFile {
    Standard { mean: Vec<f64>, scale: Vec<f64> },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimatorFile {
    GradientBoostingRegressor {
        loss: String,
        learning_rate: f64,
        init: f64,
        trees: Vec<TreeFile>,
    },
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

/// Why a model file was refused; the message names the offending field.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError(pub String);

/// A model that passed validation, with its trees flattened into one node array.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidModel {
    pub name: String,
    pub version: String,
    pub description: String,
    pub features: Vec<String>,
    pub target: Option<String>,
    pub scaler: Option<ValidScaler>,
    pub estimator: ValidEstimator,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidScaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValidEstimator {
    GradientBoosting {
        init: f64,
        learning_rate: f64,
        nodes: Vec<Node>,
        roots: Vec<u32>,
    },
}

fn fail<T>(message: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(message.into()))
}

impl ModelFile {
    /// Parses and validates a model file.
    pub fn parse(bytes: &[u8]) -> Result<ValidModel, FormatError> {
        let file: ModelFile = serde_json::from_slice(bytes)
            .map_err(|e| FormatError(format!("not a valid model file: {e}")))?;
        file.validate()
    }

    pub fn validate(self) -> Result<ValidModel, FormatError> {
        if self.format != FORMAT_NAME {
            return fail(format!(
                "format is {:?}, expected {FORMAT_NAME:?}",
                self.format
            ));
        }
        if self.format_version != FORMAT_VERSION {
            return fail(format!(
                "format_version {} is not supported (this build reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.name.is_empty() || !self.name.bytes().all(is_url_safe) {
            return fail("name must be non-empty and use only letters, digits, '-', '_' and '.'");
        }
        let n_features = self.features.len();
        if n_features == 0 {
            return fail("features is empty");
        }
        for (i, name) in self.features.iter().enumerate() {
            if name.is_empty() {
                return fail(format!("features[{i}] is empty"));
            }
            if self.features[..i].contains(name) {
                return fail(format!("feature {name} is listed twice"));
            }
        }
        let scaler = match self.scaler {
            None => None,
            Some(ScalerFile::Standard { mean, scale }) => {
                check_floats("scaler.mean", &mean, n_features)?;
                check_floats("scaler.scale", &scale, n_features)?;
                if let Some(i) = scale.iter().position(|s| *s == 0.0) {
                    return fail(format!("scaler.scale[{i}] is zero"));
                }
                Some(ValidScaler { mean, scale })
            }
        };
        let estimator = match self.estimator {
            EstimatorFile::GradientBoostingRegressor {
                loss,
                learning_rate,
                init,
                trees,
            } => validate_gradient_boosting(&loss, learning_rate, init, &trees, n_features)?,
        };
        Ok(ValidModel {
            name: self.name,
            version: self.version,
            description: self.description.unwrap_or_default(),
            features: self.features,
            target: self.target,
            scaler,
            estimator,
        })
    }
}

fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn check_floats(field: &str, values: &[f64], expected_len: usize) -> Result<(), FormatError> {
    if values.len() != expected_len {
        return fail(format!(
            "{field} has {} values, expected {expected_len} (one per feature)",
            values.len()
        ));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => fail(format!("{field}[{i}] is not finite")),
        None => Ok(()),
    }
}

fn validate_gradient_boosting(
    loss: &str,
    learning_rate: f64,
    init: f64,
    trees: &[TreeFile],
    n_features: usize,
) -> Result<ValidEstimator, FormatError> {
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
        roots.push(u32::try_from(base).map_err(|_| FormatError("too many nodes".to_string()))?);
        flatten_tree(tree, base, n_features, &mut nodes)
            .map_err(|FormatError(m)| FormatError(format!("estimator.trees[{t}]: {m}")))?;
    }
    if nodes.len() >= LEAF as usize {
        return fail("too many nodes");
    }
    Ok(ValidEstimator::GradientBoosting {
        init,
        learning_rate,
        nodes,
        roots,
    })
}

/// Appends one tree's nodes, checking that every walk from the root ends in a leaf:
/// children come after their parent (as scikit-learn writes them) and inside the tree.
fn flatten_tree(
    tree: &TreeFile,
    base: usize,
    n_features: usize,
    nodes: &mut Vec<Node>,
) -> Result<(), FormatError> {
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
        nodes.push(Node {
            feature: feature as u32,
            threshold,
            left: (base + left as usize) as u32,
            right: (base + right as usize) as u32,
            value,
        });
    }
    Ok(())
}
