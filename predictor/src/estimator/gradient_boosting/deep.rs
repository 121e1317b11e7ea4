//! The fast evaluator of a boosted forest too deep for the padded layout (depth > 3): the
//! compact layout (`estimator::compact`) with each leaf already `learning_rate * value`,
//! the product the reference computes per row, so every row's sum `init + leaf + ...`, tree
//! by tree in order, has the reference's bits.

use alloc::vec::Vec;

use model_format::tree::Node;

use crate::estimator::compact::{CompactTrees, TreeValue};
use crate::estimator::trees::for_each_block32;

#[derive(Clone, Debug, PartialEq)]
pub struct DeepForest {
    init: f64,
    trees: CompactTrees<TreeValue>,
    /// Per leaf id, `learning_rate * value`.
    leaves: Vec<f64>,
}

impl DeepForest {
    /// Lays out validated trees; `None` when they are too many for the compact layout.
    pub fn build(init: f64, learning_rate: f64, nodes: &[Node], roots: &[u32]) -> Option<Self> {
        let trees = CompactTrees::from_tree_nodes(nodes, roots)?;
        let leaves = trees.per_leaf(|i| learning_rate * nodes[i].value);
        Some(Self {
            init,
            trees,
            leaves,
        })
    }

    /// The layout the kernels walk.
    pub fn trees(&self) -> &CompactTrees<TreeValue> {
        &self.trees
    }

    /// Predicts each scaled row (row-major, `width` wide) into `out`, on this thread.
    pub fn predict_into(&self, rows: &[f64], width: usize, out: &mut [f64]) {
        for_each_block32(rows, width, self.trees.node_bytes(), |first, m, block32| {
            let y = &mut out[first..first + m];
            y.fill(self.init);
            self.trees
                .for_each_leaf(block32, width, |r, _, id| y[r] += self.leaves[id as usize]);
        });
    }
}
