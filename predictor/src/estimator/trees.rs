//! scikit-learn's decision trees and forests (`DecisionTree*`, `RandomForest*`,
//! `ExtraTrees*`) with exactly their arithmetic: the row cast to float32, each tree walked
//! as `Tree.apply` does (a NaN where the split's `missing_go_to_left` says), and the leaves
//! combined in float64 as `predict` / `predict_proba` do, trees in file order.
//!
//! A classifier leaf's probabilities depend on the leaf alone (before 1.4 `v / sum(v)`,
//! numpy's sum), so they are computed once here when the model is built, bit for bit what
//! scikit-learn computes per row; a decision tree's class is the first maximum of the
//! stored `v` (not of `p`, which may tie where `v` does not), also kept per leaf.
//! Predictions walk the compact layout (`super::compact`: 16-byte float32 splits, leaves as
//! negative references, rows in blocks (`block_rows`) tree by tree, lanes in lock step);
//! the reference walk over the validated nodes (`predict_reference_into`,
//! `classify_reference_into`) is what the property tests hold it to.
//! The file types and validation are `model_format::trees`.

use alloc::vec;
use alloc::vec::Vec;

use model_format::tree::{leaf_index, Node};
use model_format::trees::forest::{
    Combination, LeafProbability, ValidTreeClassifier, ValidTreeRegressor,
};
use model_format::trees::{NanInput, TreeBlock};

use super::compact::walk::LANES;
use super::compact::{CompactTrees, FromFloat32, SplitValue, TreeValue};
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
use super::gradient_boosting::kernels::PARALLEL_MIN_ROWS;
use super::inverse_link::argmax;
use super::{Classify, Head, Predict, Regress};
use crate::scaler::pairwise_sum;

/// A validated tree block: the reference walk's nodes and roots, and the same trees in the
/// compact layout the fast kernels walk (`super::compact`), on float32 rows.
#[derive(Clone, Debug, PartialEq)]
struct Walker {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    takes_missing: bool,
    /// `None` only for a model too large for the layout's 31-bit references.
    fast: Option<CompactTrees<TreeValue>>,
}

impl Walker {
    fn new(block: TreeBlock) -> Self {
        Self {
            takes_missing: block.nan_input == NanInput::MissingGoToLeft,
            fast: CompactTrees::from_tree_nodes(&block.nodes, &block.roots),
            nodes: block.nodes,
            roots: block.roots,
        }
    }

    /// Calls `each(row index, row as float32)` for every row of `rows`, with one buffer.
    fn for_each_row(&self, rows: &[f64], n_features: usize, mut each: impl FnMut(usize, &[f32])) {
        let mut row32 = vec![0.0f32; n_features];
        for (r, row) in rows.chunks_exact(n_features).enumerate() {
            for (x32, x) in row32.iter_mut().zip(row) {
                *x32 = *x as f32;
            }
            each(r, &row32);
        }
    }

    /// The leaf the row reaches in the first (a decision tree's only) tree: the reference.
    fn first_leaf(&self, row: &[f32]) -> usize {
        leaf_index(&self.nodes, self.roots[0], row)
    }
}

/// Calls `each(first row index, rows in the block, the block's values)` for blocks of
/// `rows_per_block` rows (row-major, `n_features` wide) of a model of `model_bytes`, with
/// one buffer: scikit-learn's float32 cast, each value as the compact layout's
/// `TreeValue`.
pub(crate) fn for_each_block32(
    rows: &[f64],
    n_features: usize,
    model_bytes: usize,
    mut each: impl FnMut(usize, usize, &[TreeValue]),
) {
    let n_rows = rows.len() / n_features;
    let block_rows = rows_per_block(n_rows, n_features, 4, model_bytes);
    let mut block32 = vec![TreeValue::of_f64(0.0); block_rows * n_features];
    for (b, block) in rows.chunks(block_rows * n_features).enumerate() {
        let block32 = &mut block32[..block.len()];
        for (x32, x) in block32.iter_mut().zip(block) {
            *x32 = TreeValue::of_f64(*x);
        }
        let first = b * block_rows;
        each(first, block_rows.min(n_rows - first), block32);
    }
}

/// `block_rows(..)` capped at `n_rows`, without the division when the whole batch fits
/// one block (a one-row request: a division is ~10 ns on these cores, measured).
pub(crate) fn rows_per_block(
    n_rows: usize,
    width: usize,
    value_bytes: usize,
    model_bytes: usize,
) -> usize {
    if n_rows * width * value_bytes <= block_bytes(model_bytes) {
        n_rows.max(1)
    } else {
        block_rows(width, value_bytes, model_bytes).min(n_rows)
    }
}

/// Rows a batch takes through every tree before the next rows (the kernels go tree by tree
/// within a block): as many `width` values of `value_bytes` as fit `block_bytes`, at most
/// `block_bytes / 64`.
pub(crate) fn block_rows(width: usize, value_bytes: usize, model_bytes: usize) -> usize {
    let bytes = block_bytes(model_bytes);
    (bytes / (width.max(1) * value_bytes)).clamp(LANES, bytes / 64)
}

/// Bytes of rows per block for a model of `model_bytes` of splits. One that stays in a
/// core's caches (`CACHED_BYTES`) gets blocks that do too (1 MB). A larger one is read
/// from memory once per block, so its blocks are larger: 4 MB. Measured on the suite's
/// 100-tree forests (6-10 M nodes, 32 features, 100,000 rows, one core, AVX-512 EPYC, 2-6
/// runs each): the random forest 10,700-12,000 ns/row with 1 MB blocks (8,192 rows),
/// 6,500-8,500 with 2 MB, 4,700-7,300 with 4 MB, no better with 8 or 16 MB; the
/// HistGradientBoosting models (under 1 MB) 10-17% slower with 4 MB blocks (one run).
fn block_bytes(model_bytes: usize) -> usize {
    if model_bytes > CACHED_BYTES {
        4 << 20
    } else {
        1 << 20
    }
}

/// Splits larger than this do not stay in a core's caches from one batch to the next.
const CACHED_BYTES: usize = 1 << 20;

/// `Predict::rows_per_pass` of a model walked in the compact layout `fast`: a block of
/// rows when its splits are larger than the caches (`CACHED_BYTES`), so that they are
/// read from memory once per block, not once per batch of a few rows; 1 otherwise (they
/// stay in cache between batches) and for a model without the layout.
pub(crate) fn rows_per_pass<T: SplitValue>(
    fast: Option<&CompactTrees<T>>,
    width: usize,
    value_bytes: usize,
) -> usize {
    match fast {
        Some(fast) if fast.node_bytes() > CACHED_BYTES => {
            block_rows(width, value_bytes, fast.node_bytes())
        }
        _ => 1,
    }
}

/// Bytes of splits of `fast`'s layout (0 without one): what `block_bytes` sizes by.
pub(crate) fn split_bytes<T: SplitValue>(fast: Option<&CompactTrees<T>>) -> usize {
    fast.map_or(0, CompactTrees::node_bytes)
}

/// Rows per rayon task for a batch of `n_rows` split over cores: as few tasks as keep
/// each within one block (so splitting keeps the blocks large), a multiple of the threads
/// (so they finish together), at least 2,048 rows each.
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
pub(crate) fn parallel_chunk_rows(
    n_rows: usize,
    width: usize,
    value_bytes: usize,
    model_bytes: usize,
) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let block = block_rows(width, value_bytes, model_bytes).max(2048);
    let tasks = (n_rows.div_ceil(block).div_ceil(threads) * threads).max(1);
    n_rows.div_ceil(tasks).max(2048)
}

/// The smallest float64 magnitude that rounds to float32 infinity: halfway between
/// `f32::MAX` (2^128 - 2^104) and 2^128, where round-half-to-even goes up (MAX's last bit
/// is odd).
const FLOAT32_OVERFLOW: f64 = 340_282_356_779_733_661_637_539_395_458_142_568_448.0;

/// Tree models cast to float32, and scikit-learn refuses a value that overflows it
/// ("Input contains infinity or a value too large for dtype('float32')"). A float64
/// compare rather than the cast, so the scan vectorizes on every target (wasm has no
/// vector float64-to-float32 conversion the compiler uses); NaN compares false.
pub(crate) fn first_over_float32(rows: &[f64]) -> Option<usize> {
    crate::scan::first_where(rows, |v| v.abs() >= FLOAT32_OVERFLOW)
}

/// `DecisionTreeRegressor`, `RandomForestRegressor`, `ExtraTreesRegressor`.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeRegressor {
    combination: Combination,
    walker: Walker,
    /// Per leaf id of the compact layout, the leaf's value.
    leaf_values: Vec<f64>,
}

impl TreeRegressor {
    pub fn from_valid(valid: ValidTreeRegressor) -> Self {
        let walker = Walker::new(valid.trees);
        let leaf_values = walker
            .fast
            .as_ref()
            .map_or_else(Vec::new, |fast| fast.per_leaf(|i| walker.nodes[i].value));
        Self {
            combination: valid.combination,
            walker,
            leaf_values,
        }
    }

    /// A regressor over trees that passed validation (children after their parent, inside
    /// `nodes`, features below the rows' width): random models in the property tests.
    pub fn new(combination: Combination, nodes: Vec<Node>, roots: Vec<u32>) -> Self {
        let takes_missing = nodes.iter().any(|n| n.missing_left);
        let walker = Walker {
            fast: CompactTrees::from_tree_nodes(&nodes, &roots),
            nodes,
            roots,
            takes_missing,
        };
        let leaf_values = walker
            .fast
            .as_ref()
            .map_or_else(Vec::new, |fast| fast.per_leaf(|i| walker.nodes[i].value));
        Self {
            combination,
            walker,
            leaf_values,
        }
    }

    pub fn n_trees(&self) -> usize {
        self.walker.roots.len()
    }
}

impl Predict for TreeRegressor {
    fn kind(&self) -> &'static str {
        match self.combination {
            Combination::SingleTree => "decision_tree_regressor",
            Combination::Average => "forest_regressor",
        }
    }

    fn takes_missing(&self) -> bool {
        self.walker.takes_missing
    }

    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        first_over_float32(rows)
    }

    fn rows_per_pass(&self, n_features: usize) -> usize {
        rows_per_pass(self.walker.fast.as_ref(), n_features, 4)
    }

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for TreeRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
        if out.len() >= PARALLEL_MIN_ROWS {
            use rayon::prelude::*;
            let bytes = split_bytes(self.walker.fast.as_ref());
            let chunk = parallel_chunk_rows(out.len(), n_features, 4, bytes);
            rows.par_chunks(chunk * n_features)
                .zip(out.par_chunks_mut(chunk))
                .for_each(|(rows, out)| self.predict_on_this_thread(rows, n_features, out));
            return;
        }
        self.predict_on_this_thread(rows, n_features, out)
    }
}

impl TreeRegressor {
    /// A tree: `value[leaf]` (`BaseDecisionTree.predict`). A forest: `y = 0.0; y += value`
    /// tree by tree, then `y / n_estimators` (`ForestRegressor.predict`). The compact
    /// kernels; the reference walk if the model has no compact layout.
    pub fn predict_on_this_thread(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        let Some(fast) = &self.walker.fast else {
            return self.predict_reference_into(rows, n_features, out);
        };
        let values = &self.leaf_values;
        let n = self.n_trees() as f64;
        for_each_block32(rows, n_features, fast.node_bytes(), |first, m, block32| {
            let y = &mut out[first..first + m];
            match self.combination {
                Combination::SingleTree => {
                    fast.for_each_leaf(block32, n_features, |r, _, id| y[r] = values[id as usize])
                }
                Combination::Average => {
                    y.fill(0.0);
                    fast.for_each_leaf(block32, n_features, |r, _, id| y[r] += values[id as usize]);
                    for y in y {
                        *y /= n;
                    }
                }
            }
        });
    }

    /// The reference evaluator: each row cast to float32, its trees walked node by node in
    /// order (`leaf_index`), the values combined as `predict_on_this_thread` says.
    pub fn predict_reference_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        let nodes = &self.walker.nodes;
        self.walker.for_each_row(rows, n_features, |r, row| {
            out[r] = match self.combination {
                Combination::SingleTree => nodes[self.walker.first_leaf(row)].value,
                Combination::Average => {
                    let mut y = 0.0;
                    for &root in &self.walker.roots {
                        y += nodes[leaf_index(nodes, root, row)].value;
                    }
                    y / self.n_trees() as f64
                }
            };
        });
    }
}

/// Per node, its K probabilities as that version's `predict_proba` gives them, and the
/// first maximum of its stored values (a decision tree's `predict`).
fn leaf_tables(values: &[f64], k: usize, rule: LeafProbability) -> (Vec<f64>, Vec<u32>) {
    let mut proba = Vec::with_capacity(values.len());
    let mut label = Vec::with_capacity(values.len() / k);
    for v in values.chunks_exact(k) {
        // Labels are u32 class indices (the Classify API); a file lists far fewer classes.
        label.push(argmax(v) as u32);
        match rule {
            LeafProbability::Fractions => proba.extend_from_slice(v),
            LeafProbability::NormaliseCounts => {
                // `proba.sum(axis=1)`; `normalizer[normalizer == 0.0] = 1.0`; `/=`.
                let s = pairwise_sum(v);
                let s = if s == 0.0 { 1.0 } else { s };
                proba.extend(v.iter().map(|x| x / s));
            }
        }
    }
    (proba, label)
}

/// `DecisionTreeClassifier`, `RandomForestClassifier`, `ExtraTreesClassifier`.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeClassifier {
    combination: Combination,
    n_classes: usize,
    walker: Walker,
    /// Per node, its K probabilities as that version's `predict_proba` gives them.
    proba: Vec<f64>,
    /// Per node, the first maximum of its stored values: a decision tree's `predict`.
    label: Vec<u32>,
}

impl TreeClassifier {
    pub fn from_valid(valid: ValidTreeClassifier) -> Self {
        let (proba, label) =
            leaf_tables(&valid.trees.values, valid.n_classes, valid.leaf_probability);
        Self {
            combination: valid.combination,
            n_classes: valid.n_classes,
            walker: Walker::new(valid.trees),
            proba,
            label,
        }
    }

    /// A classifier over trees that passed validation (children after their parent, inside
    /// `nodes`, features below the rows' width), `values` K per node: random models in the
    /// property tests.
    pub fn new(
        combination: Combination,
        leaf_probability: LeafProbability,
        n_classes: usize,
        nodes: Vec<Node>,
        roots: Vec<u32>,
        values: &[f64],
    ) -> Self {
        assert_eq!(values.len(), nodes.len() * n_classes, "K values per node");
        let (proba, label) = leaf_tables(values, n_classes, leaf_probability);
        let takes_missing = nodes.iter().any(|n| n.missing_left);
        Self {
            combination,
            n_classes,
            walker: Walker {
                fast: CompactTrees::from_tree_nodes(&nodes, &roots),
                nodes,
                roots,
                takes_missing,
            },
            proba,
            label,
        }
    }

    pub fn n_trees(&self) -> usize {
        self.walker.roots.len()
    }

    fn leaf_proba(&self, i: usize) -> &[f64] {
        &self.proba[i * self.n_classes..(i + 1) * self.n_classes]
    }
}

impl Predict for TreeClassifier {
    fn kind(&self) -> &'static str {
        match self.combination {
            Combination::SingleTree => "decision_tree_classifier",
            Combination::Average => "forest_classifier",
        }
    }

    fn takes_missing(&self) -> bool {
        self.walker.takes_missing
    }

    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        first_over_float32(rows)
    }

    fn rows_per_pass(&self, n_features: usize) -> usize {
        rows_per_pass(self.walker.fast.as_ref(), n_features, 4)
    }

    fn head(&self) -> Head<'_> {
        Head::Classifier(self)
    }
}

impl Classify for TreeClassifier {
    fn n_classes(&self) -> usize {
        self.n_classes
    }

    fn classify_into(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        proba: Option<&mut [f64]>,
    ) {
        #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
        if labels.len() >= PARALLEL_MIN_ROWS {
            use rayon::prelude::*;
            let bytes = split_bytes(self.walker.fast.as_ref());
            let chunk = parallel_chunk_rows(labels.len(), n_features, 4, bytes);
            let chunks = rows
                .par_chunks(chunk * n_features)
                .zip(labels.par_chunks_mut(chunk));
            match proba {
                Some(proba) => chunks
                    .zip(proba.par_chunks_mut(chunk * self.n_classes))
                    .for_each(|((rows, labels), proba)| {
                        self.classify_on_this_thread(rows, n_features, labels, Some(proba))
                    }),
                None => chunks.for_each(|(rows, labels)| {
                    self.classify_on_this_thread(rows, n_features, labels, None)
                }),
            }
            return;
        }
        self.classify_on_this_thread(rows, n_features, labels, proba)
    }
}

impl TreeClassifier {
    /// A tree: the leaf's class and probabilities. A forest (`ForestClassifier`):
    /// `acc = 0; acc += p_t` tree by tree, `proba = acc / n_estimators`, the class its
    /// first maximum. The compact kernels; the reference walk if the model has no compact
    /// layout.
    pub fn classify_on_this_thread(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        mut proba: Option<&mut [f64]>,
    ) {
        let Some(fast) = &self.walker.fast else {
            return self.classify_reference_into(rows, n_features, labels, proba);
        };
        let k = self.n_classes;
        let leaf_nodes = fast.leaf_nodes();
        let n = self.n_trees() as f64;
        let bytes = fast.node_bytes();
        let mut acc = vec![0.0f64; rows_per_block(labels.len(), n_features, 4, bytes) * k];
        for_each_block32(rows, n_features, bytes, |first, m, block32| {
            let labels = &mut labels[first..first + m];
            match self.combination {
                Combination::SingleTree => fast.for_each_leaf(block32, n_features, |r, _, id| {
                    let i = leaf_nodes[id as usize] as usize;
                    labels[r] = self.label[i];
                    if let Some(out) = proba.as_deref_mut() {
                        let at = (first + r) * k;
                        out[at..at + k].copy_from_slice(self.leaf_proba(i));
                    }
                }),
                Combination::Average => {
                    let acc = &mut acc[..m * k];
                    acc.fill(0.0);
                    fast.for_each_leaf(block32, n_features, |r, _, id| {
                        let p = self.leaf_proba(leaf_nodes[id as usize] as usize);
                        for (a, p) in acc[r * k..(r + 1) * k].iter_mut().zip(p) {
                            *a += p;
                        }
                    });
                    for a in acc.iter_mut() {
                        *a /= n;
                    }
                    for (label, p) in labels.iter_mut().zip(acc.chunks_exact(k)) {
                        *label = argmax(p) as u32;
                    }
                    if let Some(out) = proba.as_deref_mut() {
                        out[first * k..(first + m) * k].copy_from_slice(acc);
                    }
                }
            }
        });
    }

    /// The reference evaluator: each row cast to float32, its trees walked node by node in
    /// order (`leaf_index`), the leaves combined as `classify_on_this_thread` says.
    pub fn classify_reference_into(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        mut proba: Option<&mut [f64]>,
    ) {
        let k = self.n_classes;
        let n = self.n_trees() as f64;
        let mut acc = vec![0.0f64; k];
        self.walker.for_each_row(rows, n_features, |r, row| {
            let p = match self.combination {
                Combination::SingleTree => {
                    let i = self.walker.first_leaf(row);
                    labels[r] = self.label[i];
                    self.leaf_proba(i)
                }
                Combination::Average => {
                    acc.fill(0.0);
                    for &root in &self.walker.roots {
                        let p = self.leaf_proba(leaf_index(&self.walker.nodes, root, row));
                        for (a, p) in acc.iter_mut().zip(p) {
                            *a += p;
                        }
                    }
                    for a in acc.iter_mut() {
                        *a /= n;
                    }
                    labels[r] = argmax(&acc) as u32;
                    &acc[..]
                }
            };
            if let Some(out) = proba.as_deref_mut() {
                out[r * k..(r + 1) * k].copy_from_slice(p);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zoo forests and trees through the compact kernels and the reference walk: the same
    /// bits, for batches of every length around the lanes and blocks.
    #[cfg(all(feature = "std", not(target_family = "wasm")))]
    #[test]
    fn the_compact_kernels_give_the_reference_bits_on_zoo_models() {
        use model_format::{ModelFile, ValidEstimator};
        let zoo = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../model_data/zoo/sklearn-1.9/"
        );
        let load = |name: &str| {
            let bytes = std::fs::read(alloc::format!("{zoo}{name}.model.json")).unwrap();
            ModelFile::parse(&bytes).unwrap().estimator
        };
        // Every 13th value NaN, some huge, the rest in [-5, 5).
        let rows = |n: usize, width: usize| -> Vec<f64> {
            (0..n * width)
                .map(|i| match i % 13 {
                    0 => f64::NAN,
                    5 => 1e30,
                    _ => ((i * 7919) % 1000) as f64 / 100.0 - 5.0,
                })
                .collect()
        };
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for name in ["random_forest_regressor_nan", "decision_tree_regressor_nan"] {
            let ValidEstimator::TreeRegressor(valid) = load(name) else {
                panic!("{name}: a tree regressor")
            };
            let model = TreeRegressor::from_valid(valid);
            assert!(model.walker.fast.is_some());
            for n in [1, 3, 7, 8, 9, 127, 128, 129, 700] {
                let (mut a, mut b) = (vec![0.0; n], vec![1.0; n]);
                model.predict_reference_into(&rows(n, 10), 10, &mut a);
                model.predict_on_this_thread(&rows(n, 10), 10, &mut b);
                assert_eq!(bits(&a), bits(&b), "{name}, {n} rows");
            }
        }
        for name in [
            "random_forest_classifier_nan",
            "decision_tree_classifier_nan",
        ] {
            let ValidEstimator::TreeClassifier(valid) = load(name) else {
                panic!("{name}: a tree classifier")
            };
            let model = TreeClassifier::from_valid(valid);
            let (k, w) = (
                model.n_classes,
                model.walker.nodes.iter().map(|n| n.feature).max(),
            );
            let w = w.unwrap() as usize + 1;
            for n in [1, 7, 8, 129, 700] {
                let (mut la, mut lb) = (vec![0; n], vec![9; n]);
                let (mut pa, mut pb) = (vec![0.0; n * k], vec![1.0; n * k]);
                model.classify_reference_into(&rows(n, w), w, &mut la, Some(&mut pa));
                model.classify_on_this_thread(&rows(n, w), w, &mut lb, Some(&mut pb));
                assert_eq!(la, lb, "{name}, {n} rows");
                assert_eq!(bits(&pa), bits(&pb), "{name}, {n} rows");
                model.classify_on_this_thread(&rows(n, w), w, &mut lb, None);
                assert_eq!(la, lb, "{name}, {n} rows, no probabilities");
            }
        }
    }

    /// A batch scorer is asked for whole blocks of rows only by a model whose splits do not
    /// stay in cache between batches.
    #[test]
    fn trees_larger_than_the_caches_get_larger_blocks() {
        // One chain of `splits` splits: split 2k's left child is leaf 2k+1, its right the
        // next split; the last node is a leaf.
        let chain = |splits: u32| -> CompactTrees<TreeValue> {
            let mut nodes: Vec<Node> = (0..splits)
                .flat_map(|k| {
                    [
                        Node::new(k % 8, 0.5, 2 * k + 1, 2 * k + 2, 0.0),
                        Node::leaf(1.0),
                    ]
                })
                .collect();
            nodes.push(Node::leaf(2.0));
            CompactTrees::from_tree_nodes(&nodes, &[0]).expect("a small tree")
        };
        let small = chain(1000);
        let large = chain(100_000);
        assert!(small.node_bytes() <= CACHED_BYTES && large.node_bytes() > CACHED_BYTES);
        assert_eq!(rows_per_pass(Some(&small), 8, 4), 1);
        assert_eq!(rows_per_pass::<TreeValue>(None, 8, 4), 1);
        // Large blocks (4 MB) for it, of at most 65,536 rows; small ones (1 MB) otherwise.
        assert_eq!(rows_per_pass(Some(&large), 8, 4), 65_536);
        assert_eq!(rows_per_pass(Some(&large), 32, 4), 32_768);
        assert_eq!(rows_per_pass(Some(&large), 32, 8), 16_384);
        let bytes = large.node_bytes();
        assert_eq!(rows_per_block(100_000, 32, 4, bytes), 32_768);
        assert_eq!(rows_per_block(100_000, 32, 4, small.node_bytes()), 8_192);
        assert_eq!(rows_per_block(1_000_000, 1, 4, 0), 16_384);
        assert_eq!(rows_per_block(100_000, 1, 4, 0), 100_000);
        assert_eq!(rows_per_block(3, 32, 4, bytes), 3);
    }

    #[test]
    fn float32_overflow_is_unrepresentable_and_nan_is_not() {
        assert_eq!(first_over_float32(&[1.0, f64::NAN, 1e39]), Some(2));
        assert_eq!(first_over_float32(&[3.4e38, f64::NAN]), None);
        assert_eq!(first_over_float32(&[-f64::INFINITY]), Some(0));
    }

    #[test]
    fn the_float32_overflow_bound_is_where_the_cast_overflows() {
        assert_eq!(FLOAT32_OVERFLOW, 2f64.powi(128) - 2f64.powi(103));
        let max = f64::from(f32::MAX);
        let mut probes = vec![max, FLOAT32_OVERFLOW, 2f64.powi(128), f64::MAX, 1.0, 0.0];
        for x in [max, FLOAT32_OVERFLOW] {
            probes.extend([x.next_up(), x.next_down()]);
        }
        probes.extend([f64::INFINITY, f64::NAN, f64::MIN_POSITIVE]);
        for x in probes.iter().flat_map(|x| [*x, -*x]) {
            let cast_overflows = !x.is_nan() && (x as f32).is_infinite();
            assert_eq!(first_over_float32(&[x]).is_some(), cast_overflows, "{x:e}");
        }
    }
}
