//! scikit-learn's GradientBoostingRegressor (squared-error loss, mean init), evaluated
//! with exactly its arithmetic: the scaled input is cast to float32, each split compares
//! it widened back to float64 against a float64 threshold, and the prediction starts at
//! `init` and adds `learning_rate * leaf` tree by tree, in float64, in tree order.
//!
//! Two evaluators give those bits: the reference (`predict_row_reference`, a plain node
//! walk that reads like the definition) and the fast one (`fast::PaddedForest`), used
//! whenever the trees fit its padded layout (depth <= 3); property tests hold them equal.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::padded::PaddedForest;
use crate::tree::{leaf_value, Node};

#[derive(Clone, Debug, PartialEq)]
pub struct GradientBoostingRegressor {
    pub(crate) init: f64,
    pub(crate) learning_rate: f64,
    /// Every tree's nodes, one after the other.
    pub(crate) nodes: Cow<'static, [Node]>,
    /// Index of each tree's root in `nodes`, in stage order.
    pub(crate) roots: Cow<'static, [u32]>,
    /// The same trees in the fast evaluator's layout; `None` for deeper trees.
    pub(crate) fast: Option<PaddedForest>,
}

impl GradientBoostingRegressor {
    /// Builds the estimator from validated parts (see `format::ValidEstimator`), with
    /// the fast layout when the trees allow it.
    pub fn new(init: f64, learning_rate: f64, nodes: Vec<Node>, roots: Vec<u32>) -> Self {
        let fast = PaddedForest::build(init, learning_rate, &nodes, &roots);
        Self {
            init,
            learning_rate,
            nodes: Cow::Owned(nodes),
            roots: Cow::Owned(roots),
            fast,
        }
    }

    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Every tree's nodes, one after the other (children as absolute indices).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Index of each tree's root in `nodes()`, in stage order.
    pub fn roots(&self) -> &[u32] {
        &self.roots
    }

    /// The fast evaluator's layout, if the trees fit it.
    pub fn fast(&self) -> Option<&PaddedForest> {
        self.fast.as_ref()
    }

    /// The prediction for one scaled row.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        match &self.fast {
            Some(fast) => fast.predict_row(row),
            None => self.predict_row_reference(row),
        }
    }

    /// Predicts each scaled row (row-major, `n_features` wide) into `out`.
    pub fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        match &self.fast {
            Some(fast) => fast.predict_into(rows, n_features, out),
            None => self.predict_reference_into(rows, n_features, out),
        }
    }

    /// The reference evaluator for one scaled row: cast to float32, walk each tree's
    /// nodes, add `learning_rate * leaf` in tree order.
    ///
    /// The browser build's embedded model carries no node table (see build.rs; it
    /// always has the fast layout instead), so there this must not be called.
    pub fn predict_row_reference(&self, row: &[f64]) -> f64 {
        assert!(
            !self.nodes.is_empty(),
            "this build embeds no reference node table"
        );
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

    /// The reference evaluator over a batch (row-major, `n_features` wide) into `out`.
    pub fn predict_reference_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        for (row, y) in rows.chunks_exact(n_features).zip(out.iter_mut()) {
            *y = self.predict_row_reference(row);
        }
    }
}
