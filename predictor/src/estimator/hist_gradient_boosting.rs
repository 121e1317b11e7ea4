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

use super::inverse_link::{argmax, exp, exp_minus_logsumexp_in_place, expit, softmax_in_place};
use super::{Classify, Head, Predict, Regress};

/// Every predictor of a model, validated: children after their parent, features in range.
#[derive(Clone, Debug, PartialEq)]
pub struct HistPredictors {
    nodes: Vec<HistNode>,
    roots: Vec<u32>,
}

impl HistPredictors {
    fn from_valid(valid: ValidHistPredictors) -> Self {
        Self {
            nodes: valid.nodes,
            roots: valid.roots,
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
    fn raw_into(&self, row: &[f64], baseline: &[f64], raw: &mut [f64]) {
        for (r, b) in raw.iter_mut().zip(baseline) {
            *r = 0.0 + b;
        }
        let k = raw.len();
        for (t, root) in self.roots.iter().enumerate() {
            raw[t % k] += self.leaf_value(*root, row);
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

    fn head(&self) -> Head<'_> {
        Head::Regressor(self)
    }
}

impl Regress for HistGradientBoostingRegressor {
    fn predict_into(&self, rows: &[f64], n_features: usize, out: &mut [f64]) {
        for (row, y) in rows.chunks_exact(n_features).zip(out.iter_mut()) {
            let raw = self.raw(row);
            *y = match self.link {
                RegressionLink::Identity => raw,
                RegressionLink::Exp => exp(raw),
            };
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
        mut proba: Option<&mut [f64]>,
    ) {
        let k = self.n_classes;
        let mut raw = vec![0.0; self.baseline.len()];
        let mut p = vec![0.0; k];
        for (i, (row, label)) in rows
            .chunks_exact(n_features)
            .zip(labels.iter_mut())
            .enumerate()
        {
            self.raw_into(row, &mut raw);
            let needs_proba = proba.is_some() || self.decision == HistDecision::ArgmaxProba;
            if needs_proba {
                self.proba_into(&raw, &mut p);
            }
            let class = match self.decision {
                HistDecision::ArgmaxProba => argmax(&p),
                HistDecision::Raw if raw.len() == 1 => usize::from(raw[0] > 0.0),
                HistDecision::Raw => argmax(&raw),
            };
            *label = class as u32;
            if let Some(out) = proba.as_deref_mut() {
                if let Some(out) = out.get_mut(i * k..(i + 1) * k) {
                    out.copy_from_slice(&p);
                }
            }
        }
    }
}
