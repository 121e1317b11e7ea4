//! scikit-learn's decision trees and forests (`DecisionTree*`, `RandomForest*`,
//! `ExtraTrees*`) with exactly their arithmetic: the row cast to float32, each tree walked
//! as `Tree.apply` does (a NaN where the split's `missing_go_to_left` says), and the leaves
//! combined in float64 as `predict` / `predict_proba` do, trees in file order.
//!
//! A classifier leaf's probabilities depend on the leaf alone (before 1.4 `v / sum(v)`,
//! numpy's sum), so they are computed once here when the model is built, bit for bit what
//! scikit-learn computes per row; a decision tree's class is the first maximum of the
//! stored `v` (not of `p`, which may tie where `v` does not), also kept per leaf.
//! The file types and validation are `model_format::trees`.

use alloc::vec;
use alloc::vec::Vec;

use model_format::tree::{leaf_index, Node};
use model_format::trees::forest::{
    Combination, LeafProbability, ValidTreeClassifier, ValidTreeRegressor,
};
use model_format::trees::{NanInput, TreeBlock};

#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
use super::gradient_boosting::kernels::PARALLEL_MIN_ROWS;
use super::inverse_link::argmax;
use super::{Classify, Head, Predict, Regress};
use crate::scaler::pairwise_sum;

/// Rows per rayon task when a batch of at least `PARALLEL_MIN_ROWS` is split over cores
/// (rows are independent: the same bits as one thread).
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
const PARALLEL_CHUNK_ROWS: usize = 2048;

/// A validated tree block's nodes and roots, walked on float32 rows.
#[derive(Clone, Debug, PartialEq)]
struct Walker {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    takes_missing: bool,
    /// Rows a forest takes through one tree before the next (`tree_by_tree`): `BLOCK_ROWS`
    /// when its nodes outgrow a core's cache, else 1 (row by row, trees in cache anyway).
    block_rows: usize,
}

impl Walker {
    fn new(block: TreeBlock) -> Self {
        let node_bytes = block.nodes.len() * core::mem::size_of::<Node>();
        Self {
            takes_missing: block.nan_input == NanInput::MissingGoToLeft,
            block_rows: if node_bytes > CACHED_NODE_BYTES {
                BLOCK_ROWS
            } else {
                1
            },
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

    /// Calls `each(first row index, rows as float32)` for blocks of up to `block_rows` rows
    /// (row-major, `n_features` wide), with one buffer.
    fn for_each_block(&self, rows: &[f64], n_features: usize, mut each: impl FnMut(usize, &[f32])) {
        let block_rows = self.block_rows;
        let mut block32 = vec![0.0f32; block_rows.min(rows.len() / n_features) * n_features];
        for (b, block) in rows.chunks(block_rows * n_features).enumerate() {
            let block32 = &mut block32[..block.len()];
            for (x32, x) in block32.iter_mut().zip(block) {
                *x32 = *x as f32;
            }
            each(b * block_rows, block32);
        }
    }

    /// Calls `leaf(row in block, global leaf index)` for every tree in tree order and, within
    /// a tree, every row of `block32` (float32 rows): the tree's nodes stay in cache while the
    /// block goes through it, as scikit-learn's forests apply one tree to all rows. Each row
    /// still meets its trees in order, so a per-row sum has the bits of a row-by-row walk.
    fn tree_by_tree(&self, block32: &[f32], n_features: usize, mut leaf: impl FnMut(usize, usize)) {
        for &root in &self.roots {
            for (r, row) in block32.chunks_exact(n_features).enumerate() {
                leaf(r, leaf_index(&self.nodes, root, row));
            }
        }
    }

    /// The leaf the row reaches in the first (a decision tree's only) tree.
    fn first_leaf(&self, row: &[f32]) -> usize {
        leaf_index(&self.nodes, self.roots[0], row)
    }
}

/// Rows a forest takes through one tree before the next (`Walker::tree_by_tree`) when its
/// nodes do not fit in cache: a 500-tree forest of deep trees is ~100 MB of nodes, one
/// tree's a few hundred KB.
const BLOCK_ROWS: usize = 256;

/// Nodes up to this size stay in a core's cache (L2) whatever the order.
const CACHED_NODE_BYTES: usize = 1 << 20;

/// Tree models cast to float32, and scikit-learn refuses a value that overflows it
/// ("Input contains infinity or a value too large for dtype('float32')").
pub(crate) fn first_over_float32(rows: &[f64]) -> Option<usize> {
    rows.iter()
        .position(|v| !v.is_nan() && !(*v as f32).is_finite())
}

/// `DecisionTreeRegressor`, `RandomForestRegressor`, `ExtraTreesRegressor`.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeRegressor {
    combination: Combination,
    walker: Walker,
}

impl TreeRegressor {
    pub fn from_valid(valid: ValidTreeRegressor) -> Self {
        Self {
            combination: valid.combination,
            walker: Walker::new(valid.trees),
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

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for TreeRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
        if out.len() >= PARALLEL_MIN_ROWS {
            use rayon::prelude::*;
            rows.par_chunks(PARALLEL_CHUNK_ROWS * n_features)
                .zip(out.par_chunks_mut(PARALLEL_CHUNK_ROWS))
                .for_each(|(rows, out)| self.predict_on_this_thread(rows, n_features, out));
            return;
        }
        self.predict_on_this_thread(rows, n_features, out)
    }
}

impl TreeRegressor {
    /// A tree: `value[leaf]` (`BaseDecisionTree.predict`). A forest: `y = 0.0; y += value`
    /// tree by tree, then `y / n_estimators` (`ForestRegressor.predict`).
    pub fn predict_on_this_thread(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        let nodes = &self.walker.nodes;
        match self.combination {
            Combination::SingleTree => self.walker.for_each_row(rows, n_features, |r, row| {
                out[r] = nodes[self.walker.first_leaf(row)].value;
            }),
            Combination::Average => {
                let n = self.n_trees() as f64;
                self.walker
                    .for_each_block(rows, n_features, |first, block32| {
                        let y = &mut out[first..first + block32.len() / n_features];
                        y.fill(0.0);
                        self.walker
                            .tree_by_tree(block32, n_features, |r, i| y[r] += nodes[i].value);
                        for y in y {
                            *y /= n;
                        }
                    });
            }
        }
    }
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
        let block = &valid.trees;
        let k = valid.n_classes;
        let n_nodes = block.nodes.len();
        let mut proba = Vec::with_capacity(n_nodes * k);
        let mut label = Vec::with_capacity(n_nodes);
        for i in 0..n_nodes {
            let v = block.values_of(i);
            // Labels are u32 class indices (the Classify API); a file lists far fewer classes.
            label.push(argmax(v) as u32);
            match valid.leaf_probability {
                LeafProbability::Fractions => proba.extend_from_slice(v),
                LeafProbability::NormaliseCounts => {
                    // `proba.sum(axis=1)`; `normalizer[normalizer == 0.0] = 1.0`; `/=`.
                    let s = pairwise_sum(v);
                    let s = if s == 0.0 { 1.0 } else { s };
                    proba.extend(v.iter().map(|x| x / s));
                }
            }
        }
        Self {
            combination: valid.combination,
            n_classes: k,
            walker: Walker::new(valid.trees),
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
            let chunks = rows
                .par_chunks(PARALLEL_CHUNK_ROWS * n_features)
                .zip(labels.par_chunks_mut(PARALLEL_CHUNK_ROWS));
            match proba {
                Some(proba) => chunks
                    .zip(proba.par_chunks_mut(PARALLEL_CHUNK_ROWS * self.n_classes))
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
    /// first maximum.
    pub fn classify_on_this_thread(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        mut proba: Option<&mut [f64]>,
    ) {
        let k = self.n_classes;
        match self.combination {
            Combination::SingleTree => self.walker.for_each_row(rows, n_features, |r, row| {
                let i = self.walker.first_leaf(row);
                labels[r] = self.label[i];
                if let Some(out) = proba.as_deref_mut() {
                    out[r * k..(r + 1) * k].copy_from_slice(self.leaf_proba(i));
                }
            }),
            Combination::Average => {
                let n = self.n_trees() as f64;
                let mut acc = vec![0.0f64; self.walker.block_rows.min(labels.len()) * k];
                self.walker
                    .for_each_block(rows, n_features, |first, block32| {
                        let m = block32.len() / n_features;
                        let acc = &mut acc[..m * k];
                        acc.fill(0.0);
                        self.walker.tree_by_tree(block32, n_features, |r, i| {
                            for (a, p) in acc[r * k..(r + 1) * k].iter_mut().zip(self.leaf_proba(i))
                            {
                                *a += p;
                            }
                        });
                        for a in acc.iter_mut() {
                            *a /= n;
                        }
                        for (r, p) in acc.chunks_exact(k).enumerate() {
                            labels[first + r] = argmax(p) as u32;
                        }
                        if let Some(out) = proba.as_deref_mut() {
                            out[first * k..(first + m) * k].copy_from_slice(acc);
                        }
                    });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zoo forest evaluated row by row and tree by tree in blocks: the same bits.
    #[cfg(all(feature = "std", not(target_family = "wasm")))]
    #[test]
    fn blocks_of_rows_tree_by_tree_give_the_row_by_row_bits() {
        use model_format::{ModelFile, ValidEstimator};
        let zoo = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../model_data/zoo/sklearn-1.9/"
        );
        let load = |name: &str| {
            let bytes = std::fs::read(alloc::format!("{zoo}{name}.model.json")).unwrap();
            ModelFile::parse(&bytes).unwrap().estimator
        };
        // 700 rows: every 13th value NaN, some huge, the rest in [-5, 5).
        let rows = |width: usize| -> Vec<f64> {
            (0..700 * width)
                .map(|i| match i % 13 {
                    0 => f64::NAN,
                    5 => 1e30,
                    _ => ((i * 7919) % 1000) as f64 / 100.0 - 5.0,
                })
                .collect()
        };
        let ValidEstimator::TreeRegressor(valid) = load("random_forest_regressor_nan") else {
            panic!("a forest regressor")
        };
        let by_row = TreeRegressor::from_valid(valid);
        assert_eq!(
            by_row.walker.block_rows, 1,
            "a small forest walks row by row"
        );
        let mut by_block = by_row.clone();
        by_block.walker.block_rows = BLOCK_ROWS;
        let (mut a, mut b) = (vec![0.0; 700], vec![0.0; 700]);
        by_row.predict_on_this_thread(&rows(10), 10, &mut a);
        by_block.predict_on_this_thread(&rows(10), 10, &mut b);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        let ValidEstimator::TreeClassifier(valid) = load("random_forest_classifier_nan") else {
            panic!("a forest classifier")
        };
        let by_row = TreeClassifier::from_valid(valid);
        let mut by_block = by_row.clone();
        by_block.walker.block_rows = BLOCK_ROWS;
        let k = by_row.n_classes;
        let (mut la, mut lb) = (vec![0; 700], vec![0; 700]);
        let (mut pa, mut pb) = (vec![0.0; 700 * k], vec![0.0; 700 * k]);
        by_row.classify_on_this_thread(&rows(30), 30, &mut la, Some(&mut pa));
        by_block.classify_on_this_thread(&rows(30), 30, &mut lb, Some(&mut pb));
        assert_eq!(la, lb);
        assert_eq!(
            pa.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            pb.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn float32_overflow_is_unrepresentable_and_nan_is_not() {
        assert_eq!(first_over_float32(&[1.0, f64::NAN, 1e39]), Some(2));
        assert_eq!(first_over_float32(&[3.4e38, f64::NAN]), None);
        assert_eq!(first_over_float32(&[-f64::INFINITY]), Some(0));
    }
}
