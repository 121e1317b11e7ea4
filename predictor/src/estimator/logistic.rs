//! scikit-learn's `LogisticRegression`: decision functions `d_k = dot(x, coef_k) +
//! intercept_k` (`LinearClassifierMixin.decision_function`), classes from them (`predict`)
//! and probabilities as the writing version computed them (`predict_proba`).
//!
//! The dot product is `linear::dot` (left to right, no FMA): numpy's BLAS picks its own
//! order per CPU, so decisions and probabilities are within 1e-12 relative error of
//! scikit-learn's, and the classes identical except on exact ties (model_data/README.md,
//! "What is exact").

use alloc::vec;
use alloc::vec::Vec;

use model_format::logistic::{LogisticProba, ValidLogisticRegression};

use super::inverse_link::{argmax, expit, numpy_sum, softmax_in_place};
use super::linear::dot;
use super::{Classify, Head, Predict};

#[derive(Clone, Debug, PartialEq)]
pub struct LogisticRegression {
    /// Row-major, one row of `n_features` per decision function.
    coef: Vec<f64>,
    intercept: Vec<f64>,
    n_features: usize,
    n_classes: usize,
    proba: LogisticProba,
}

impl LogisticRegression {
    pub fn from_valid(valid: ValidLogisticRegression) -> Self {
        Self {
            coef: valid.coef,
            intercept: valid.intercept,
            n_features: valid.n_features,
            n_classes: valid.n_classes,
            proba: valid.proba,
        }
    }

    /// The decision functions of one row (`decision_function`: 1 value for two classes,
    /// else one per class) into `d`.
    pub fn decision_into(&self, row: &[f64], d: &mut [f64]) {
        for ((d, coef), b) in d
            .iter_mut()
            .zip(self.coef.chunks_exact(self.n_features))
            .zip(&self.intercept)
        {
            *d = dot(row, coef) + b;
        }
    }

    /// The number of decision functions.
    pub fn n_decisions(&self) -> usize {
        self.intercept.len()
    }

    /// `predict_proba` of one row's decision functions into `p` (n_classes values).
    fn proba_into(&self, d: &[f64], p: &mut [f64]) {
        match self.proba {
            LogisticProba::Binary => {
                let p1 = expit(d[0]);
                p[0] = 1.0 - p1;
                p[1] = p1;
            }
            LogisticProba::BinarySoftmax => {
                p[0] = -d[0];
                p[1] = d[0];
                softmax_in_place(p);
            }
            LogisticProba::OneVsRest => {
                for (p, d) in p.iter_mut().zip(d) {
                    *p = expit(*d);
                }
                let sum = numpy_sum(p);
                for p in p.iter_mut() {
                    *p /= sum;
                }
            }
            LogisticProba::Multinomial => {
                p.copy_from_slice(d);
                softmax_in_place(p);
            }
        }
    }
}

impl Predict for LogisticRegression {
    fn kind(&self) -> &'static str {
        "logistic_regression"
    }

    /// scikit-learn's `check_array` refuses infinities ("Input contains infinity").
    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        crate::scan::first_where(rows, f64::is_infinite)
    }

    fn head(&self) -> Head<'_> {
        Head::Classifier(self)
    }
}

impl Classify for LogisticRegression {
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
        let mut d = vec![0.0; self.n_decisions()];
        let mut p = vec![0.0; k];
        for (i, (row, label)) in rows
            .chunks_exact(n_features)
            .zip(labels.iter_mut())
            .enumerate()
        {
            self.decision_into(row, &mut d);
            // `predict`: `d > 0` for one decision function, else the first maximum.
            let class = if d.len() == 1 {
                usize::from(d[0] > 0.0)
            } else {
                argmax(&d)
            };
            *label = class as u32;
            if let Some(out) = proba.as_deref_mut() {
                if let Some(out) = out.get_mut(i * k..(i + 1) * k) {
                    self.proba_into(&d, &mut p);
                    out.copy_from_slice(&p);
                }
            }
        }
    }
}
