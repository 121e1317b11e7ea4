//! scikit-learn's GradientBoostingRegressor (squared-error loss, mean init), evaluated
//! with exactly its arithmetic: the scaled input is cast to float32, each split compares
//! it widened back to float64 against a float64 threshold, and the prediction starts at
//! `init` and adds `learning_rate * leaf` tree by tree, in float64, in tree order.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::tree::{leaf_value, Node};

#[derive(Clone, Debug, PartialEq)]
pub struct GradientBoostingRegressor {
    pub(crate) init: f64,
    pub(crate) learning_rate: f64,
    /// Every tree's nodes, one after the other.
    pub(crate) nodes: Cow<'static, [Node]>,
    /// Index of each tree's root in `nodes`, in stage order.
    pub(crate) roots: Cow<'static, [u32]>,
}

impl GradientBoostingRegressor {
    /// Builds the estimator from validated parts (see `format::ValidEstimator`).
    pub fn new(init: f64, learning_rate: f64, nodes: Vec<Node>, roots: Vec<u32>) -> Self {
        Self {
            init,
            learning_rate,
            nodes: Cow::Owned(nodes),
            roots: Cow::Owned(roots),
        }
    }

    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The prediction for one scaled row.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut row32 = [0.0f32; 64];
        let narrow: &[f32] = if row.len() <= row32.len() {
            for (dst, src) in row32.iter_mut().zip(row) {
                *dst = *src as f32;
            }
            &row32[..row.len()]
        } else {
            return self.predict_row_f32(&row.iter().map(|v| *v as f32).collect::<Vec<_>>());
        };
        self.predict_row_f32(narrow)
    }

    fn predict_row_f32(&self, row: &[f32]) -> f64 {
        let mut sum = self.init;
        for &root in self.roots.iter() {
            sum += self.learning_rate * leaf_value(&self.nodes, root, row);
        }
        sum
    }

    /// Predicts each scaled row (row-major, `n_features` wide) into `out`.
    pub fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        for (row, y) in rows.chunks_exact(n_features).zip(out.iter_mut()) {
            *y = self.predict_row(row);
        }
    }
}
