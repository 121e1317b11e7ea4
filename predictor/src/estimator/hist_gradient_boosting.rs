//! scikit-learn's `HistGradientBoostingRegressor` and `HistGradientBoostingClassifier`: the
//! reference evaluator of `_raw_predict` (`TreePredictor.predict`,
//! `_predict_one_from_raw_data`) and the inverse links, on float64 rows.
//!
//! No float32 cast: HistGradientBoosting compares float64 inputs with float64 thresholds.
//! A NaN goes left iff the node's `missing_go_to_left`, any other value left iff
//! `x <= num_threshold`; infinities are inputs like any other (scikit-learn validates with
//! `force_all_finite=False`). `raw[k] = 0.0 + baseline[k]`, then each iteration's leaf value
//! is added in order, k inner: the sums are scikit-learn's bit for bit. The links (`np.exp`,
//! scipy's `expit`, scikit-learn's `softmax`, scipy's `logsumexp`) use glibc's `exp`/`log`
//! as ported in `crate::math`: exact where the golden's library calls glibc (scipy's
//! `expit`), a few ulps from numpy's own SIMD `exp`/`log` (model_data/README.md).

use alloc::vec;
use alloc::vec::Vec;

use model_format::hist_gradient_boosting::{
    HistDecision, HistNode, HistProba, RegressionLink, ValidHistGradientBoostingClassifier,
    ValidHistGradientBoostingRegressor, ValidHistPredictors,
};

use super::compact::CompactTrees;
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
use super::gradient_boosting::kernels::PARALLEL_MIN_ROWS;
use super::inverse_link::{argmax, exp, exp_minus_logsumexp_in_place, expit, softmax_in_place};
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
use super::trees::parallel_chunk_rows;
use super::trees::{rows_per_block, rows_per_pass, split_bytes};
use super::{Classify, Head, Predict, Regress};

/// Every predictor of a model, validated: children after their parent, features in range;
/// and the same trees in the compact layout the fast kernels walk (`super::compact`).
#[derive(Clone, Debug, PartialEq)]
pub struct HistPredictors {
    nodes: Vec<HistNode>,
    roots: Vec<u32>,
    /// `None` only for a model too large for the layout's 31-bit references.
    fast: Option<CompactTrees<f64>>,
    /// Per leaf id of the compact layout, the leaf's value.
    leaf_values: Vec<f64>,
}

impl HistPredictors {
    fn from_valid(valid: ValidHistPredictors) -> Self {
        Self::new(valid.nodes, valid.roots)
    }

    fn new(nodes: Vec<HistNode>, roots: Vec<u32>) -> Self {
        let fast = CompactTrees::from_hist_nodes(&nodes, &roots);
        let leaf_values = fast
            .as_ref()
            .map_or_else(Vec::new, |fast| fast.per_leaf(|i| nodes[i].value));
        Self {
            nodes,
            roots,
            fast,
            leaf_values,
        }
    }

    /// The value of the leaf `row` reaches from the root `root`.
    fn leaf_value(&self, root: u32, row: &[f64]) -> f64 {
        let mut node = &self.nodes[root as usize];
        while !node.is_leaf {
            let x = row[node.feature as usize];
            let left = if x.is_nan() {
                node.missing_go_to_left
            } else {
                x <= node.threshold
            };
            node = &self.nodes[if left { node.left } else { node.right } as usize];
        }
        node.value
    }

    /// `_raw_predict` of one row into `raw` (K values): `0.0 + baseline[k]` (the zeros
    /// scikit-learn adds the baseline to), then `raw[k] += value` per iteration, k inner.
    /// The reference evaluator.
    fn raw_into(&self, row: &[f64], baseline: &[f64], raw: &mut [f64]) {
        for (r, b) in raw.iter_mut().zip(baseline) {
            *r = 0.0 + b;
        }
        let k = raw.len();
        for (t, root) in self.roots.iter().enumerate() {
            raw[t % k] += self.leaf_value(*root, row);
        }
    }

    /// `raw_into` for every row of `rows` (row-major, `width` wide) into `raw` (K per row),
    /// with the compact kernels unless `reference`: the same sums, in the same order.
    fn raw_rows_into(
        &self,
        rows: &[f64],
        width: usize,
        baseline: &[f64],
        raw: &mut [f64],
        reference: bool,
    ) {
        let k = baseline.len();
        let fast = match &self.fast {
            Some(fast) if !reference => fast,
            _ => {
                for (row, raw) in rows.chunks_exact(width).zip(raw.chunks_exact_mut(k)) {
                    self.raw_into(row, baseline, raw);
                }
                return;
            }
        };
        for raw in raw.chunks_exact_mut(k) {
            for (r, b) in raw.iter_mut().zip(baseline) {
                *r = 0.0 + b;
            }
        }
        let values = &self.leaf_values;
        if k == 1 {
            fast.for_each_leaf(rows, width, |r, _, id| raw[r] += values[id as usize]);
        } else {
            fast.for_each_leaf(rows, width, |r, t, id| {
                raw[r * k + t % k] += values[id as usize]
            });
        }
    }

    /// The number of predictors (iterations times trees per iteration).
    pub fn n_predictors(&self) -> usize {
        self.roots.len()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistGradientBoostingRegressor {
    predictors: HistPredictors,
    baseline: [f64; 1],
    link: RegressionLink,
}

impl HistGradientBoostingRegressor {
    pub fn from_valid(valid: ValidHistGradientBoostingRegressor) -> Self {
        Self {
            predictors: HistPredictors::from_valid(valid.predictors),
            baseline: [valid.baseline],
            link: valid.link,
        }
    }

    /// A regressor over predictors that passed validation (children after their parent,
    /// inside `nodes`, features below the rows' width): random models in property tests.
    pub fn new(nodes: Vec<HistNode>, roots: Vec<u32>, baseline: f64, link: RegressionLink) -> Self {
        Self {
            predictors: HistPredictors::new(nodes, roots),
            baseline: [baseline],
            link,
        }
    }

    /// The raw score of one row (`_raw_predict`), before the inverse link.
    pub fn raw(&self, row: &[f64]) -> f64 {
        let mut raw = [0.0];
        self.predictors.raw_into(row, &self.baseline, &mut raw);
        raw[0]
    }
}

impl Predict for HistGradientBoostingRegressor {
    fn kind(&self) -> &'static str {
        "hist_gradient_boosting_regressor"
    }

    fn takes_missing(&self) -> bool {
        true
    }

    fn first_unrepresentable(&self, _rows: &[f64]) -> Option<usize> {
        None
    }

    fn rows_per_pass(&self, n_features: usize) -> usize {
        rows_per_pass(self.predictors.fast.as_ref(), n_features, 8)
    }

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for HistGradientBoostingRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
        if out.len() >= PARALLEL_MIN_ROWS {
            use rayon::prelude::*;
            let bytes = split_bytes(self.predictors.fast.as_ref());
            let chunk = parallel_chunk_rows(out.len(), n_features, 8, bytes);
            rows.par_chunks(chunk * n_features)
                .zip(out.par_chunks_mut(chunk))
                .for_each(|(rows, out)| self.predict_rows_into(rows, n_features, out, false));
            return;
        }
        self.predict_rows_into(rows, n_features, out, false)
    }
}

impl HistGradientBoostingRegressor {
    /// `predict` with the reference evaluator (the node walk), for the property tests.
    pub fn predict_reference_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        self.predict_rows_into(rows, n_features, out, true)
    }

    fn predict_rows_into(&self, rows: &[f64], n_features: usize, out: &mut [f64], reference: bool) {
        let bytes = split_bytes(self.predictors.fast.as_ref());
        let block = rows_per_block(out.len(), n_features, 8, bytes);
        let blocks = rows.chunks(block * n_features);
        for (rows, out) in blocks.zip(out.chunks_mut(block)) {
            let p = &self.predictors;
            p.raw_rows_into(rows, n_features, &self.baseline, out, reference);
            if self.link == RegressionLink::Exp {
                for y in out {
                    *y = exp(*y);
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HistGradientBoostingClassifier {
    predictors: HistPredictors,
    baseline: Vec<f64>,
    n_classes: usize,
    proba: HistProba,
    decision: HistDecision,
}

impl HistGradientBoostingClassifier {
    pub fn from_valid(valid: ValidHistGradientBoostingClassifier) -> Self {
        Self {
            predictors: HistPredictors::from_valid(valid.predictors),
            baseline: valid.baseline,
            n_classes: valid.n_classes,
            proba: valid.proba,
            decision: valid.decision,
        }
    }

    /// A classifier over predictors that passed validation (children after their parent,
    /// inside `nodes`, features below the rows' width, K = `baseline.len()` predictors per
    /// iteration): random models in the property tests.
    pub fn new(
        nodes: Vec<HistNode>,
        roots: Vec<u32>,
        baseline: Vec<f64>,
        n_classes: usize,
        proba: HistProba,
        decision: HistDecision,
    ) -> Self {
        Self {
            predictors: HistPredictors::new(nodes, roots),
            baseline,
            n_classes,
            proba,
            decision,
        }
    }

    /// The raw scores of one row (`_raw_predict`, K values) into `raw`.
    pub fn raw_into(&self, row: &[f64], raw: &mut [f64]) {
        self.predictors.raw_into(row, &self.baseline, raw);
    }

    /// K: 1 for a binary classifier, n_classes otherwise.
    pub fn n_trees_per_iteration(&self) -> usize {
        self.baseline.len()
    }

    /// `predict_proba` of one row's raw scores into `proba` (n_classes values).
    fn proba_into(&self, raw: &[f64], proba: &mut [f64]) {
        match self.proba {
            HistProba::Expit => {
                let p1 = expit(raw[0]);
                proba[0] = 1.0 - p1;
                proba[1] = p1;
            }
            HistProba::ExpMinusLogsumexp => {
                proba.copy_from_slice(raw);
                exp_minus_logsumexp_in_place(proba);
            }
            HistProba::Softmax => {
                proba.copy_from_slice(raw);
                softmax_in_place(proba);
            }
        }
    }
}

impl Predict for HistGradientBoostingClassifier {
    fn kind(&self) -> &'static str {
        "hist_gradient_boosting_classifier"
    }

    fn takes_missing(&self) -> bool {
        true
    }

    fn first_unrepresentable(&self, _rows: &[f64]) -> Option<usize> {
        None
    }

    fn rows_per_pass(&self, n_features: usize) -> usize {
        rows_per_pass(self.predictors.fast.as_ref(), n_features, 8)
    }

    fn head(&self) -> Head<'_> {
        Head::Classifier(self)
    }
}

impl Classify for HistGradientBoostingClassifier {
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
            let bytes = split_bytes(self.predictors.fast.as_ref());
            let chunk = parallel_chunk_rows(labels.len(), n_features, 8, bytes);
            let chunks = rows
                .par_chunks(chunk * n_features)
                .zip(labels.par_chunks_mut(chunk));
            match proba {
                Some(proba) => chunks
                    .zip(proba.par_chunks_mut(chunk * self.n_classes))
                    .for_each(|((rows, labels), proba)| {
                        self.classify_rows_into(rows, n_features, labels, Some(proba), false)
                    }),
                None => chunks.for_each(|(rows, labels)| {
                    self.classify_rows_into(rows, n_features, labels, None, false)
                }),
            }
            return;
        }
        self.classify_rows_into(rows, n_features, labels, proba, false)
    }
}

impl HistGradientBoostingClassifier {
    /// `predict` / `predict_proba` with the reference evaluator (the node walk).
    pub fn classify_reference_into(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        proba: Option<&mut [f64]>,
    ) {
        self.classify_rows_into(rows, n_features, labels, proba, true)
    }

    fn classify_rows_into(
        &self,
        rows: &[f64],
        n_features: usize,
        labels: &mut [u32],
        mut proba: Option<&mut [f64]>,
        reference: bool,
    ) {
        let k = self.n_classes;
        let per_row = self.baseline.len();
        let bytes = split_bytes(self.predictors.fast.as_ref());
        let block = rows_per_block(labels.len(), n_features, 8, bytes);
        let mut raw = vec![0.0; block * per_row];
        let mut p = vec![0.0; k];
        let needs_proba = proba.is_some() || self.decision == HistDecision::ArgmaxProba;
        let blocks = rows.chunks(block * n_features);
        for (b, (rows, labels)) in blocks.zip(labels.chunks_mut(block)).enumerate() {
            let raw = &mut raw[..labels.len() * per_row];
            let baseline = &self.baseline;
            self.predictors
                .raw_rows_into(rows, n_features, baseline, raw, reference);
            for (j, (raw, label)) in raw.chunks_exact(per_row).zip(labels).enumerate() {
                if needs_proba {
                    self.proba_into(raw, &mut p);
                }
                let class = match self.decision {
                    HistDecision::ArgmaxProba => argmax(&p),
                    HistDecision::Raw if raw.len() == 1 => usize::from(raw[0] > 0.0),
                    HistDecision::Raw => argmax(raw),
                };
                *label = class as u32;
                let i = b * block + j;
                if let Some(out) = proba.as_deref_mut() {
                    if let Some(out) = out.get_mut(i * k..(i + 1) * k) {
                        out.copy_from_slice(&p);
                    }
                }
            }
        }
    }
}
