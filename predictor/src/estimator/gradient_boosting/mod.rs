//! scikit-learn's GradientBoostingRegressor (squared-error loss, mean init), evaluated
//! with exactly its arithmetic: the scaled input is cast to float32, each split compares
//! it widened back to float64 against a float64 threshold, and the prediction starts at
//! `init` and adds `learning_rate * leaf` tree by tree, in float64, in tree order.
//!
//! Three evaluators give those bits: the reference (`ReferenceEvaluator`, a plain node walk
//! that reads like the definition) and the fast one (`FastForest`, its kernels in
//! `kernels`), used whenever the trees fit the padded layout (depth <= 3); deeper trees take
//! the compact layout's kernels (`deep::DeepForest`). Property tests hold them all equal. A regressor carries at least one of them (`Evaluators`): the browser
//! build embeds only the fast layout, a model of deeper trees only the node table.
//! The file type, validation and layouts are `model_format::gradient_boosting`.

pub mod deep;
pub mod kernels;

use alloc::vec::Vec;

pub use deep::DeepForest;
pub use kernels::{FastForest, Kernel};
use model_format::gradient_boosting::padded::PaddedForest;
pub use model_format::gradient_boosting::NodeTable;
use model_format::gradient_boosting::ValidGradientBoosting;
use model_format::tree::{leaf_value, Node};

use super::{Head, Predict, Regress};

/// The evaluators a regressor carries: always at least one, so every prediction has one.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluators {
    /// The node table only: trees too deep for the padded layout.
    Reference(NodeTable),
    /// The padded layout only: the browser build, where every byte of the download counts.
    Fast(FastForest),
    /// Both: every other build of a model whose trees fit the padded layout.
    Both {
        reference: NodeTable,
        fast: FastForest,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct GradientBoostingRegressor {
    init: f64,
    learning_rate: f64,
    evaluators: Evaluators,
    /// The compact layout's evaluator, for trees too deep for the padded layout.
    deep: Option<DeepForest>,
}

impl GradientBoostingRegressor {
    /// The runtime form of a validated regressor, with the fast layout when the trees fit it.
    pub fn from_valid(valid: ValidGradientBoosting) -> Self {
        Self::from_table(valid.init, valid.learning_rate, valid.trees)
    }

    /// Builds the estimator from trees that passed validation (children after their
    /// parent, inside `nodes`), with the fast layout when the trees allow it.
    pub fn new(init: f64, learning_rate: f64, nodes: Vec<Node>, roots: Vec<u32>) -> Self {
        Self::from_table(init, learning_rate, NodeTable::new(nodes, roots))
    }

    fn from_table(init: f64, learning_rate: f64, trees: NodeTable) -> Self {
        let layout = PaddedForest::build(init, learning_rate, trees.nodes(), trees.roots());
        let evaluators = match layout {
            Some(layout) => Evaluators::Both {
                reference: trees,
                fast: FastForest::new(layout),
            },
            None => {
                let deep = DeepForest::build(init, learning_rate, trees.nodes(), trees.roots());
                return Self {
                    init,
                    learning_rate,
                    evaluators: Evaluators::Reference(trees),
                    deep,
                };
            }
        };
        Self::from_static(init, learning_rate, evaluators)
    }

    /// Assembles a regressor from its parts (the embedded model's statics).
    pub const fn from_static(init: f64, learning_rate: f64, evaluators: Evaluators) -> Self {
        Self {
            init,
            learning_rate,
            evaluators,
            deep: None,
        }
    }

    pub fn init(&self) -> f64 {
        self.init
    }

    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    pub fn n_trees(&self) -> usize {
        match &self.evaluators {
            Evaluators::Reference(trees)
            | Evaluators::Both {
                reference: trees, ..
            } => trees.n_trees(),
            Evaluators::Fast(fast) => fast.layout().n_trees(),
        }
    }

    pub fn evaluators(&self) -> &Evaluators {
        &self.evaluators
    }

    /// The trees as validated, if this build carries them (not in the browser module).
    pub fn node_table(&self) -> Option<&NodeTable> {
        match &self.evaluators {
            Evaluators::Reference(trees)
            | Evaluators::Both {
                reference: trees, ..
            } => Some(trees),
            Evaluators::Fast(_) => None,
        }
    }

    /// The reference evaluator, if this build carries the node table.
    pub fn reference(&self) -> Option<ReferenceEvaluator<'_>> {
        self.node_table().map(|trees| self.reference_over(trees))
    }

    /// The fast evaluator, if the trees fit its layout.
    pub fn fast(&self) -> Option<&FastForest> {
        match &self.evaluators {
            Evaluators::Fast(fast) | Evaluators::Both { fast, .. } => Some(fast),
            Evaluators::Reference(_) => None,
        }
    }

    /// The compact layout's evaluator, if the trees are too deep for the padded one.
    pub fn deep(&self) -> Option<&DeepForest> {
        self.deep.as_ref()
    }

    /// The prediction for one scaled row.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        match (&self.evaluators, &self.deep) {
            (Evaluators::Fast(fast) | Evaluators::Both { fast, .. }, _) => fast.predict_row(row),
            (_, Some(deep)) => {
                let mut y = [0.0];
                deep.predict_into(row, row.len(), &mut y);
                y[0]
            }
            (Evaluators::Reference(trees), None) => self.reference_over(trees).predict_row(row),
        }
    }

    /// Predicts each scaled row (row-major, `n_features` wide) into `out`.
    pub fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        match &self.evaluators {
            Evaluators::Fast(fast) | Evaluators::Both { fast, .. } => {
                fast.predict_into(rows, n_features, out)
            }
            Evaluators::Reference(trees) => match &self.deep {
                Some(deep) => predict_deep(deep, rows, n_features, out),
                None => self
                    .reference_over(trees)
                    .predict_into(rows, n_features, out),
            },
        }
    }

    fn reference_over<'a>(&self, trees: &'a NodeTable) -> ReferenceEvaluator<'a> {
        ReferenceEvaluator {
            init: self.init,
            learning_rate: self.learning_rate,
            trees,
        }
    }
}

/// The deep evaluator over a batch, on all cores when it is large (feature `parallel`).
fn predict_deep(deep: &DeepForest, rows: &[f64], n_features: usize, out: &mut [f64]) {
    #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
    if out.len() >= kernels::PARALLEL_MIN_ROWS {
        use rayon::prelude::*;
        let bytes = deep.trees().node_bytes();
        let chunk = crate::estimator::trees::parallel_chunk_rows(out.len(), n_features, 4, bytes);
        rows.par_chunks(chunk * n_features)
            .zip(out.par_chunks_mut(chunk))
            .for_each(|(rows, out)| deep.predict_into(rows, n_features, out));
        return;
    }
    deep.predict_into(rows, n_features, out)
}

impl Predict for GradientBoostingRegressor {
    fn kind(&self) -> &'static str {
        "gradient_boosting_regressor"
    }

    /// Tree models cast to float32 and scikit-learn refuses a value that overflows it
    /// ("Input contains infinity or a value too large for dtype('float32')").
    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        super::trees::first_over_float32(rows)
    }

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for GradientBoostingRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        GradientBoostingRegressor::predict_into(self, rows, n_features, out)
    }
}

/// The reference evaluator: cast to float32, walk each tree's nodes, add
/// `learning_rate * leaf` in tree order.
#[derive(Clone, Copy, Debug)]
pub struct ReferenceEvaluator<'a> {
    init: f64,
    learning_rate: f64,
    trees: &'a NodeTable,
}

impl ReferenceEvaluator<'_> {
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
        for &root in self.trees.roots() {
            sum += self.learning_rate * leaf_value(self.trees.nodes(), root, row);
        }
        sum
    }

    /// Predicts a batch (row-major, `n_features` wide) into `out`.
    pub fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        for (row, y) in rows.chunks_exact(n_features).zip(out.iter_mut()) {
            *y = self.predict_row(row);
        }
    }
}
