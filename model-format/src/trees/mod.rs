//! The estimators built on scikit-learn's `Tree` arrays in a version 2 file: decision trees,
//! random/extra-trees forests (`forest`) and gradient boosting (`boosting`), all of whose
//! trees arrive as ONE tree block (model_data/README.md, "Tree blocks"). This module reads
//! and checks that block into the flat node layout of `crate::tree::Node`, so every walk
//! of a validated tree ends in a leaf.

pub mod boosting;
pub mod forest;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::array::ArrayFile;
use crate::error::fail;
use crate::estimator::EstimatorContext;
use crate::tree::{Node, LEAF};
use crate::ModelError;

/// `estimator.trees` as exported: `Tree.__getstate__()` fields of every tree, concatenated.
#[derive(Debug, Deserialize)]
pub struct TreeBlockFile {
    pub n_trees: usize,
    pub node_offset: ArrayFile,
    pub children_left: ArrayFile,
    pub children_right: ArrayFile,
    pub feature: ArrayFile,
    pub threshold: ArrayFile,
    pub value: ArrayFile,
    #[serde(default)]
    pub missing_go_to_left: Option<ArrayFile>,
}

/// What a NaN input does (`estimator.nan_input`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NanInput {
    /// scikit-learn's predict raises on NaN: the pipeline refuses the batch.
    Reject,
    /// A NaN goes where each split's `missing_go_to_left` says.
    MissingGoToLeft,
}

impl NanInput {
    fn parse(text: &str) -> Result<Self, ModelError> {
        match text {
            "reject" => Ok(Self::Reject),
            "missing_go_to_left" => Ok(Self::MissingGoToLeft),
            other => fail(format!(
                "estimator.nan_input {other:?} is not \"reject\" or \"missing_go_to_left\""
            )),
        }
    }
}

/// Every tree of a model in one node array, children as absolute indices, each tree's root
/// in file order, and `width` values per node (`value[i, 0, :]`; `Node::value` holds the
/// first). Made only by validation: children come after their parent and inside their
/// tree, split features are below the model's width, thresholds are not NaN, values are
/// finite, and `missing_left` is set only when the model takes NaN.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TreeBlock {
    pub nodes: Vec<Node>,
    pub roots: Vec<u32>,
    pub width: usize,
    pub values: Vec<f64>,
    pub nan_input: NanInput,
}

impl TreeBlock {
    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// The global node range of tree `t`.
    pub fn tree_range(&self, t: usize) -> core::ops::Range<usize> {
        let start = self.roots[t] as usize;
        let end = self
            .roots
            .get(t + 1)
            .map_or(self.nodes.len(), |r| *r as usize);
        start..end
    }

    /// The `width` values of node `i`.
    pub fn values_of(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// The trees `trees` (in that order) as a node array of their own, children re-based,
    /// and their roots: gradient boosting's trees of one class.
    pub fn select(&self, trees: impl Iterator<Item = usize>) -> (Vec<Node>, Vec<u32>) {
        let mut nodes = Vec::new();
        let mut roots = Vec::new();
        for t in trees {
            let range = self.tree_range(t);
            // Both bases fit in u32 (validation bounds the node count), and a re-based
            // child stays inside the tree's own new range.
            let (old, new) = (range.start as u32, nodes.len() as u32);
            roots.push(new);
            nodes.extend(self.nodes[range].iter().map(|n| {
                if n.is_leaf() {
                    *n
                } else {
                    Node {
                        left: n.left - old + new,
                        right: n.right - old + new,
                        ..*n
                    }
                }
            }));
        }
        (nodes, roots)
    }
}

/// `estimator.input_cast` of a tree model: `"float32"`.
pub(crate) fn check_float32_cast(input_cast: &str) -> Result<(), ModelError> {
    if input_cast != "float32" {
        return fail(format!(
            "estimator.input_cast {input_cast:?} is not a tree model's (\"float32\")"
        ));
    }
    Ok(())
}

impl TreeBlockFile {
    /// Validates the block of a model whose trees hold `width` values per node.
    pub fn validate(
        self,
        context: &EstimatorContext,
        nan_input: &str,
        width: usize,
    ) -> Result<TreeBlock, ModelError> {
        let nan_input = NanInput::parse(nan_input)?;
        let field = "estimator.trees";
        let n_trees = self.n_trees;
        if n_trees == 0 {
            return fail(format!("{field}.n_trees is 0"));
        }
        let offsets = self
            .node_offset
            .i64s("estimator.trees.node_offset")?
            .with_shape("estimator.trees.node_offset", &[n_trees + 1])?;
        if offsets[0] != 0 {
            return fail(format!(
                "{field}.node_offset[0] is {}, expected 0",
                offsets[0]
            ));
        }
        if let Some(t) = (0..n_trees).find(|&t| offsets[t + 1] <= offsets[t]) {
            return fail(format!(
                "{field}.node_offset[{}] is {}, not above node_offset[{t}] = {} (tree {t} has no nodes)",
                t + 1,
                offsets[t + 1],
                offsets[t]
            ));
        }
        // Increasing from 0: the last offset is positive (and on a 32-bit target may not
        // fit a usize, which is too many nodes as well).
        let n_nodes = usize::try_from(offsets[n_trees]).unwrap_or(usize::MAX);
        if n_nodes >= LEAF as usize {
            return fail(format!(
                "{field}.node_offset ends at {n_nodes}: too many nodes"
            ));
        }
        let ints = |array: ArrayFile, name: &str| -> Result<Vec<i64>, ModelError> {
            let name = format!("{field}.{name}");
            array.i64s(&name)?.with_shape(&name, &[n_nodes])
        };
        let left = ints(self.children_left, "children_left")?;
        let right = ints(self.children_right, "children_right")?;
        let feature = ints(self.feature, "feature")?;
        let threshold = self
            .threshold
            .f64s("estimator.trees.threshold")?
            .with_shape("estimator.trees.threshold", &[n_nodes])?;
        let values = self
            .value
            .f64s("estimator.trees.value")?
            .with_shape("estimator.trees.value", &[n_nodes, 1, width])?;
        let missing = match (nan_input, self.missing_go_to_left) {
            (NanInput::MissingGoToLeft, None) => {
                return fail(
                    "estimator.nan_input is \"missing_go_to_left\" but estimator.trees.missing_go_to_left is null",
                )
            }
            (NanInput::MissingGoToLeft, Some(array)) => Some(
                array
                    .flags("estimator.trees.missing_go_to_left")?
                    .with_shape("estimator.trees.missing_go_to_left", &[n_nodes])?,
            ),
            // NaN never reaches the trees: the flags would never be read.
            (NanInput::Reject, _) => None,
        };
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return fail(format!(
                "{field}.value: node {} has a value that is not finite",
                i / width
            ));
        }
        let mut nodes = Vec::with_capacity(n_nodes);
        let mut roots = Vec::with_capacity(n_trees);
        for t in 0..n_trees {
            // Offsets increase from 0 to n_nodes, so each is a valid index.
            let (start, end) = (offsets[t] as usize, offsets[t + 1] as usize);
            roots.push(start as u32);
            for g in start..end {
                let i = g - start;
                let node = |what: String| format!("{field}: node {i} of tree {t} {what}");
                let (l, r) = (left[g], right[g]);
                if l == -1 && r == -1 {
                    nodes.push(Node::leaf(values[g * width]));
                    continue;
                }
                let local = (end - start) as i64;
                if !(l > i as i64 && l < local && r > i as i64 && r < local) {
                    return fail(node(format!(
                        "has children {l} and {r}: each must be -1 (both, for a leaf) or a later node of the same tree (it has {local})"
                    )));
                }
                let f = feature[g];
                if f < 0 || f as usize >= context.n_features {
                    return fail(node(format!(
                        "splits on feature {f}, the model has {}",
                        context.n_features
                    )));
                }
                if threshold[g].is_nan() {
                    return fail(node(String::from("has a NaN threshold")));
                }
                let split = Node::new(
                    f as u32,
                    threshold[g],
                    (start as i64 + l) as u32,
                    (start as i64 + r) as u32,
                    values[g * width],
                );
                nodes.push(split.with_missing_left(missing.as_ref().is_some_and(|m| m[g])));
            }
        }
        Ok(TreeBlock {
            nodes,
            roots,
            width,
            values,
            nan_input,
        })
    }
}

/// `n` (`estimator.NAME`) must be the block's tree count `n_trees`.
pub(crate) fn check_tree_count(name: &str, n: usize, n_trees: usize) -> Result<(), ModelError> {
    if n != n_trees {
        return fail(format!(
            "estimator.{name} is {n}, estimator.trees.n_trees is {n_trees}"
        ));
    }
    Ok(())
}

/// A classifier's `n_classes` must be the file's number of `classes`.
pub(crate) fn check_n_classes(
    n_classes: usize,
    context: &EstimatorContext,
) -> Result<(), ModelError> {
    match context.n_classes {
        Some(k) if k == n_classes => Ok(()),
        Some(k) => fail(format!(
            "estimator.n_classes is {n_classes}, classes lists {k}"
        )),
        None => fail("estimator.n_classes is given but the model is a regressor (no classes)"),
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use base64::Engine as _;
    use serde_json::{json, Value};

    /// A committed zoo export of `line` (`1.3`) and `name`.
    fn zoo(line: &str, name: &str) -> Value {
        let path = alloc::format!(
            "{}/../model_data/zoo/sklearn-{line}/{name}.model.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The message `doc` is refused with.
    #[track_caller]
    fn refusal(doc: &Value) -> String {
        match crate::ModelFile::parse(&serde_json::to_vec(doc).unwrap()) {
            Ok(_) => panic!("a corrupted model was accepted"),
            Err(e) => e.message().to_string(),
        }
    }

    #[track_caller]
    fn assert_refused(doc: &Value, needle: &str) {
        let message = refusal(doc);
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }

    fn encode(dtype: &str, shape: &[usize], bytes: Vec<u8>) -> Value {
        json!({
            "dtype": dtype,
            "shape": shape,
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    fn ints(array: &Value) -> Vec<i64> {
        let file: crate::array::ArrayFile = serde_json::from_value(array.clone()).unwrap();
        file.i64s("test").unwrap().values
    }

    fn floats(array: &Value) -> Vec<f64> {
        let file: crate::array::ArrayFile = serde_json::from_value(array.clone()).unwrap();
        file.f64s("test").unwrap().values
    }

    /// Rewrites the integer array `estimator.trees.NAME` (as `<i8`).
    fn edit_ints(doc: &mut Value, name: &str, edit: impl FnOnce(&mut Vec<i64>)) {
        let array = &mut doc["estimator"]["trees"][name];
        let mut values = ints(array);
        edit(&mut values);
        let shape: Vec<usize> = serde_json::from_value(array["shape"].clone()).unwrap();
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        *array = encode("<i8", &shape, bytes);
    }

    /// Rewrites the float array `estimator.trees.NAME`.
    fn edit_floats(doc: &mut Value, name: &str, edit: impl FnOnce(&mut Vec<f64>)) {
        let array = &mut doc["estimator"]["trees"][name];
        let mut values = floats(array);
        edit(&mut values);
        let shape: Vec<usize> = serde_json::from_value(array["shape"].clone()).unwrap();
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        *array = encode("<f8", &shape, bytes);
    }

    /// The index of the first split of tree 0 and its left child.
    fn first_split(doc: &Value) -> (usize, i64) {
        let left = ints(&doc["estimator"]["trees"]["children_left"]);
        let i = left.iter().position(|c| *c != -1).unwrap();
        (i, left[i])
    }

    #[test]
    fn the_committed_exports_load() {
        for (line, name) in [
            ("1.3", "decision_tree_classifier_str"),
            ("1.9", "random_forest_classifier_nan"),
            ("0.20", "gradient_boosting_quantile"),
        ] {
            let bytes = serde_json::to_vec(&zoo(line, name)).unwrap();
            assert!(crate::ModelFile::parse(&bytes).is_ok(), "{line}/{name}");
        }
    }

    #[test]
    fn a_child_pointing_back_is_refused() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        // A cycle: the root's left child is the root itself.
        edit_ints(&mut doc, "children_left", |c| c[0] = 0);
        assert_refused(&doc, "estimator.trees: node 0 of tree 0 has children 0 and");
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        let (i, child) = first_split(&doc);
        // A later split pointing at an earlier node loops too.
        edit_ints(&mut doc, "children_right", |c| c[child as usize] = i as i64);
        assert!(refusal(&doc).contains("a later node of the same tree"));
    }

    #[test]
    fn a_child_outside_its_tree_is_refused() {
        let mut doc = zoo("1.9", "random_forest_classifier");
        let n0 = ints(&doc["estimator"]["trees"]["node_offset"])[1];
        // Local indices: node n0 is the next tree's root, outside tree 0.
        edit_ints(&mut doc, "children_right", |c| c[0] = n0);
        assert_refused(&doc, "node 0 of tree 0 has children 1 and");
        let mut doc = zoo("1.9", "random_forest_classifier");
        edit_ints(&mut doc, "children_left", |c| c[0] = -5);
        assert_refused(&doc, "node 0 of tree 0 has children -5");
        // A node with one child.
        let mut doc = zoo("1.9", "random_forest_classifier");
        edit_ints(&mut doc, "children_left", |c| c[0] = -1);
        assert_refused(&doc, "(both, for a leaf)");
    }

    #[test]
    fn node_offsets_must_increase_to_the_node_count() {
        let mut doc = zoo("1.9", "random_forest_classifier");
        edit_ints(&mut doc, "node_offset", |o| o[2] = o[1]);
        assert_refused(&doc, "estimator.trees.node_offset[2] is");
        let mut doc = zoo("1.9", "random_forest_classifier");
        edit_ints(&mut doc, "node_offset", |o| o[0] = 1);
        assert_refused(&doc, "estimator.trees.node_offset[0] is 1, expected 0");
        let mut doc = zoo("1.9", "random_forest_classifier");
        edit_ints(&mut doc, "node_offset", |o| *o.last_mut().unwrap() += 1);
        assert_refused(&doc, "estimator.trees.children_left: shape");
        let mut doc = zoo("1.9", "random_forest_classifier");
        doc["estimator"]["trees"]["n_trees"] = json!(14);
        assert_refused(
            &doc,
            "estimator.n_estimators is 15, estimator.trees.n_trees is 14",
        );
        doc["estimator"]["n_estimators"] = json!(14);
        assert_refused(
            &doc,
            "estimator.trees.node_offset: shape is [16], expected [15]",
        );
        let mut doc = zoo("1.9", "random_forest_classifier");
        doc["estimator"]["n_estimators"] = json!(14);
        assert_refused(
            &doc,
            "estimator.n_estimators is 14, estimator.trees.n_trees is 15",
        );
    }

    #[test]
    fn features_out_of_range_are_refused() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        edit_ints(&mut doc, "feature", |f| f[0] = 4);
        assert_refused(
            &doc,
            "node 0 of tree 0 splits on feature 4, the model has 4",
        );
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        edit_ints(&mut doc, "feature", |f| f[0] = -2);
        assert_refused(&doc, "splits on feature -2");
    }

    #[test]
    fn values_must_have_the_classifiers_shape_and_be_finite() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        let value = &mut doc["estimator"]["trees"]["value"];
        let n = value["shape"][0].as_u64().unwrap() as usize;
        let bytes = floats(value)
            .iter()
            .take(n * 2)
            .flat_map(|v| v.to_le_bytes())
            .collect();
        *value = encode("<f8", &[n, 1, 2], bytes);
        assert_refused(
            &doc,
            &alloc::format!("estimator.trees.value: shape is [{n}, 1, 2], expected [{n}, 1, 3]"),
        );
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        edit_floats(&mut doc, "value", |v| v[7] = f64::INFINITY);
        assert_refused(
            &doc,
            "estimator.trees.value: node 2 has a value that is not finite",
        );
    }

    #[test]
    fn n_classes_must_match_the_classes() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        doc["estimator"]["n_classes"] = json!(2);
        assert_refused(&doc, "estimator.n_classes is 2, classes lists 3");
        let mut doc = zoo("1.9", "random_forest_classifier");
        doc["classes"] = json!([0, 1]);
        assert_refused(&doc, "estimator.n_classes is 3, classes lists 2");
    }

    #[test]
    fn a_nan_threshold_is_refused_and_an_infinite_one_is_not() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        edit_floats(&mut doc, "threshold", |t| t[0] = f64::NAN);
        assert_refused(
            &doc,
            "estimator.trees: node 0 of tree 0 has a NaN threshold",
        );
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        edit_floats(&mut doc, "threshold", |t| t[0] = f64::INFINITY);
        assert!(crate::ModelFile::parse(&serde_json::to_vec(&doc).unwrap()).is_ok());
    }

    #[test]
    fn nan_input_and_input_cast_are_checked() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        doc["estimator"]["trees"]["missing_go_to_left"] = Value::Null;
        assert_refused(
            &doc,
            "estimator.nan_input is \"missing_go_to_left\" but estimator.trees.missing_go_to_left is null",
        );
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        doc["estimator"]["nan_input"] = json!("impute");
        assert_refused(&doc, "estimator.nan_input \"impute\"");
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        doc["estimator"]["input_cast"] = json!("float64");
        assert_refused(&doc, "estimator.input_cast \"float64\"");
        let mut doc = zoo("1.0", "gradient_boosting_squared_error");
        doc["estimator"]["nan_input"] = json!("missing_go_to_left");
        assert_refused(&doc, "estimator.nan_input is \"missing_go_to_left\"");
    }

    #[test]
    fn value_meaning_must_be_what_the_version_stored() {
        let mut doc = zoo("1.3", "decision_tree_classifier_str");
        doc["estimator"]["value_meaning"] = json!("fractions");
        assert_refused(
            &doc,
            "estimator.value_meaning is \"fractions\", scikit-learn 1.3.2 stores \"weighted_counts\"",
        );
        let mut doc = zoo("1.9", "decision_tree_regressor");
        doc["estimator"]["value_meaning"] = json!("fractions");
        assert_refused(
            &doc,
            "estimator.value_meaning \"fractions\" is not a regressor's",
        );
    }

    #[test]
    fn boosting_counts_and_inits_are_checked() {
        let mut doc = zoo("1.3", "gradient_boosting_huber");
        doc["estimator"]["n_stages"] = json!(24);
        assert_refused(&doc, "estimator.n_stages (24) times");
        let mut doc = zoo("1.3", "gradient_boosting_huber");
        doc["estimator"]["init"] = json!({"kind": "dummy_classifier", "strategy": "prior",
            "class_prior": encode("<f8", &[2], [0.5f64, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect())});
        assert_refused(
            &doc,
            "estimator.init.kind \"dummy_classifier\" is a classifier's init",
        );
        let mut doc = zoo("1.3", "gradient_boosting_huber");
        doc["estimator"]["init"]["constant"] =
            encode("<f8", &[1, 1], f64::NAN.to_le_bytes().to_vec());
        assert_refused(&doc, "estimator.init.constant[0] is not finite");
        let mut doc = zoo("1.3", "gradient_boosting_huber");
        doc["estimator"]["loss"] = json!("log_loss");
        assert_refused(&doc, "estimator.loss \"log_loss\" is not a regression loss");
    }

    #[test]
    fn classifier_boosting_rules_are_checked() {
        let multiclass = || zoo("1.9", "gradient_boosting_classifier_multiclass_str");
        let mut doc = multiclass();
        doc["estimator"]["loss"] = json!("exponential");
        assert_refused(
            &doc,
            "estimator.loss \"exponential\" needs 2 classes, the model has 3",
        );
        let mut doc = multiclass();
        doc["estimator"]["n_trees_per_stage"] = json!(1);
        assert_refused(&doc, "estimator.n_trees_per_stage is 1, 3 classes need 3");
        let mut doc = multiclass();
        doc["estimator"]["init"]["strategy"] = json!("uniform");
        assert_refused(&doc, "estimator.init.strategy \"uniform\" is not supported");
        let mut doc = multiclass();
        doc["estimator"]["init"] = json!({"kind": "mean_estimator",
            "mean": encode("<f8", &[], 1.0f64.to_le_bytes().to_vec())});
        assert_refused(
            &doc,
            "estimator.init.kind \"mean_estimator\" is a regressor's init",
        );
        let mut doc = multiclass();
        doc["estimator"]["n_classes"] = json!(4);
        assert_refused(&doc, "estimator.n_classes is 4, classes lists 3");
        let mut doc = zoo("0.20", "gradient_boosting_classifier_multiclass_str");
        doc["estimator"]["init"]["priors"] = encode(
            "<f8",
            &[2],
            [0.5f64, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect(),
        );
        assert_refused(
            &doc,
            "estimator.init.priors: shape [2] holds 2 values, expected 3",
        );
    }

    #[test]
    fn version_rules_resolve_into_the_valid_types() {
        use super::boosting::{ClassifierInit, ClassifierOutput, MulticlassProba, PriorLink};
        use crate::ValidEstimator;
        let load = |line, name| {
            let bytes = serde_json::to_vec(&zoo(line, name)).unwrap();
            crate::ModelFile::parse(&bytes).unwrap().estimator
        };
        let ValidEstimator::GradientBoostingClassifier(old) =
            load("1.3", "gradient_boosting_classifier_multiclass_str")
        else {
            panic!("not a classifier")
        };
        assert!(matches!(
            old.init,
            ClassifierInit::Prior { link: PriorLink::Log, eps, .. } if eps == f64::from(f32::EPSILON)
        ));
        assert!(matches!(
            old.output,
            ClassifierOutput::Multiclass {
                proba: MulticlassProba::ExpMinusLogsumexp,
                ..
            }
        ));
        assert_eq!(old.trees_per_class.len(), 3);
        let ValidEstimator::GradientBoostingClassifier(new) =
            load("1.9", "gradient_boosting_classifier_multiclass_str")
        else {
            panic!("not a classifier")
        };
        assert!(matches!(
            new.init,
            ClassifierInit::Prior { link: PriorLink::Logit { scipy_1_15: true }, eps, .. }
                if eps == f64::EPSILON
        ));
        let ValidEstimator::TreeClassifier(tree) = load("1.3", "decision_tree_classifier_str")
        else {
            panic!("not a tree classifier")
        };
        assert_eq!(
            tree.leaf_probability,
            super::forest::LeafProbability::NormaliseCounts
        );
    }

    #[test]
    fn only_a_boosted_regressor_without_steps_embeds_as_statics() {
        let options = crate::embed::EmbedOptions::for_target("x86_64", "linux");
        let parse = |line, name| {
            let bytes = serde_json::to_vec(&zoo(line, name)).unwrap();
            crate::ModelFile::parse(&bytes).unwrap()
        };
        let plain = parse("1.9", "gradient_boosting_squared_error");
        assert!(crate::embed::render(&plain, &options).is_ok());
        let piped = parse(
            "1.9",
            "pipeline_imputer_most_frequent_minmax_gradient_boosting",
        );
        let err = crate::embed::render(&piped, &options).unwrap_err();
        assert!(err.message().contains("without preprocessing steps"));
        let forest = parse("1.9", "random_forest_regressor");
        assert!(crate::embed::render(&forest, &options).is_err());
    }
}
