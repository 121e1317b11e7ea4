//! scikit-learn's GradientBoostingClassifier with exactly its arithmetic: per class k a raw
//! score `init_k + sum(learning_rate * leaf)` over the trees of k in stage order (each one a
//! `GradientBoostingRegressor`, so the fast kernels serve it), then the version's link
//! (`expit`, `exp(raw - logsumexp)` or softmax) and decision, from `crate::math`.
//!
//! The init score depends on the model only, so it is computed once here (`raw_init`):
//! clip the class prior, then `log(p / (1 - p))` / `log(p)` (< 1.4) or `logit(p)` /
//! `log(p / gmean(p))` (>= 1.4), as scikit-learn does on every call. The file type and the
//! version rules are `model_format::trees::boosting`.

use alloc::vec;
use alloc::vec::Vec;

use model_format::trees::boosting::{
    BinaryDecision, BinaryLoss, ClassifierInit, ClassifierOutput, MulticlassDecision,
    MulticlassProba, PriorLink, ValidGradientBoostingClassifier,
};

use super::inverse_link::argmax;
use super::trees::first_over_float32;
use super::{Classify, GradientBoostingRegressor, Head, Predict};
use crate::math;
use crate::scaler::pairwise_sum;

#[derive(Clone, Debug, PartialEq)]
pub struct GradientBoostingClassifier {
    n_classes: usize,
    output: ClassifierOutput,
    raw_init: Vec<f64>,
    /// Class k's raw score (K = 1 for two classes): its own init and trees.
    per_class: Vec<GradientBoostingRegressor>,
}

/// `np.clip(p, eps, 1 - eps)`.
fn clip(p: f64, eps: f64) -> f64 {
    p.max(eps).min(1.0 - eps)
}

/// The K raw init scores of `init` (`_init_raw_predictions` / `get_init_raw_predictions`).
pub fn raw_init(init: &ClassifierInit, k: usize) -> Vec<f64> {
    match init {
        ClassifierInit::Raw(values) => values.clone(),
        ClassifierInit::Prior {
            class_prior,
            eps,
            link,
            half,
        } => {
            if k == 1 {
                let p = clip(class_prior[1], *eps);
                let r = match link {
                    PriorLink::Log => math::log(p / (1.0 - p)),
                    PriorLink::Logit { scipy_1_15: true } => math::logit(p),
                    PriorLink::Logit { scipy_1_15: false } => math::logit_scipy_before_1_15(p),
                };
                vec![if *half { 0.5 * r } else { r }]
            } else {
                let p: Vec<f64> = class_prior.iter().map(|p| clip(*p, *eps)).collect();
                match link {
                    PriorLink::Log => p.iter().map(|p| math::log(*p)).collect(),
                    PriorLink::Logit { .. } => {
                        // scipy.stats.gmean: exp(mean(log(p))), numpy's mean (sum / n).
                        let logs: Vec<f64> = p.iter().map(|p| math::log(*p)).collect();
                        let gmean = math::exp((0.0 + pairwise_sum(&logs)) / p.len() as f64);
                        p.iter().map(|p| math::log(p / gmean)).collect()
                    }
                }
            }
        }
    }
}

/// numpy's `nan_to_num`: NaN to 0, infinities to the largest finite values.
fn nan_to_num(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else if x == f64::INFINITY {
        f64::MAX
    } else if x == f64::NEG_INFINITY {
        f64::MIN
    } else {
        x
    }
}

impl GradientBoostingClassifier {
    pub fn from_valid(valid: ValidGradientBoostingClassifier) -> Self {
        let k = valid.trees_per_class.len();
        let raw_init = raw_init(&valid.init, k);
        let per_class = valid
            .trees_per_class
            .into_iter()
            .zip(&raw_init)
            .map(|(trees, init)| {
                GradientBoostingRegressor::new(
                    *init,
                    valid.learning_rate,
                    trees.nodes().to_vec(),
                    trees.roots().to_vec(),
                )
            })
            .collect();
        Self {
            n_classes: valid.n_classes,
            output: valid.output,
            raw_init,
            per_class,
        }
    }

    /// The raw score every row starts from, one per class (K = 1 for two classes).
    pub fn raw_init(&self) -> &[f64] {
        &self.raw_init
    }

    /// The raw scores (`_raw_predict`) of every row into `raw`, row-major, K per row.
    pub fn raw_predict_into(&self, rows: &[f64], n_features: usize, raw: &mut [f64]) {
        let k = self.per_class.len();
        let n_rows = raw.len() / k;
        if k == 1 {
            self.per_class[0].predict_into(rows, n_features, raw);
            return;
        }
        let mut class_scores = vec![0.0; n_rows];
        for (c, stages) in self.per_class.iter().enumerate() {
            stages.predict_into(rows, n_features, &mut class_scores);
            for (r, score) in class_scores.iter().enumerate() {
                raw[r * k + c] = *score;
            }
        }
    }
}

impl Predict for GradientBoostingClassifier {
    fn kind(&self) -> &'static str {
        "gradient_boosting_classifier"
    }

    fn first_unrepresentable(&self, rows: &[f64]) -> Option<usize> {
        first_over_float32(rows)
    }

    fn head(&self) -> Head<'_> {
        Head::Classifier(self)
    }
}

impl Classify for GradientBoostingClassifier {
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
        let k = self.per_class.len();
        let n_rows = labels.len();
        let mut raw = vec![0.0; n_rows * k];
        self.raw_predict_into(rows, n_features, &mut raw);
        let n = self.n_classes;
        match self.output {
            ClassifierOutput::Binary { loss, decision } => {
                for (r, &score) in raw.iter().enumerate() {
                    let p1 = match loss {
                        BinaryLoss::LogLoss => math::expit(score),
                        BinaryLoss::Exponential => math::expit(2.0 * score),
                    };
                    let p0 = 1.0 - p1;
                    labels[r] = match decision {
                        // argmax([p0, p1]): class 1 only when strictly larger (or NaN).
                        BinaryDecision::ProbaArgmax => argmax(&[p0, p1]) as u32,
                        BinaryDecision::RawNonNegative => u32::from(score >= 0.0),
                    };
                    if let Some(out) = proba.as_deref_mut() {
                        out[2 * r] = p0;
                        out[2 * r + 1] = p1;
                    }
                }
            }
            ClassifierOutput::Multiclass {
                proba: rule,
                decision,
            } => {
                let mut p = vec![0.0; n];
                for (r, scores) in raw.chunks_exact(n).enumerate() {
                    match rule {
                        MulticlassProba::ExpMinusLogsumexp => {
                            let lse = math::logsumexp(scores);
                            for (p, s) in p.iter_mut().zip(scores) {
                                *p = nan_to_num(math::exp(s - lse));
                            }
                        }
                        MulticlassProba::Softmax => {
                            p.copy_from_slice(scores);
                            math::softmax_in_place(&mut p);
                        }
                    }
                    labels[r] = match decision {
                        MulticlassDecision::ProbaArgmax => argmax(&p),
                        MulticlassDecision::RawArgmax => argmax(scores),
                    } as u32;
                    if let Some(out) = proba.as_deref_mut() {
                        out[r * n..(r + 1) * n].copy_from_slice(&p);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_is_clipped_at_eps() {
        let eps = f64::from(f32::EPSILON);
        assert_eq!(clip(0.0, eps), eps);
        assert_eq!(clip(1.0, eps), 1.0 - eps);
        assert_eq!(clip(0.25, eps), 0.25);
    }

    #[test]
    fn binary_inits_are_the_log_odds() {
        let init = |link, half| ClassifierInit::Prior {
            class_prior: vec![0.75, 0.25],
            eps: f64::EPSILON,
            link,
            half,
        };
        let log_odds = math::log(0.25 / 0.75);
        assert_eq!(raw_init(&init(PriorLink::Log, false), 1), [log_odds]);
        assert_eq!(raw_init(&init(PriorLink::Log, true), 1), [0.5 * log_odds]);
        let logit = raw_init(&init(PriorLink::Logit { scipy_1_15: true }, false), 1)[0];
        assert!((logit - log_odds).abs() < 1e-15);
    }

    #[test]
    fn multiclass_inits_centre_on_the_geometric_mean_from_1_4() {
        let init = |link| ClassifierInit::Prior {
            class_prior: vec![0.5, 0.25, 0.25],
            eps: f64::EPSILON,
            link,
            half: false,
        };
        let old = raw_init(&init(PriorLink::Log), 3);
        assert_eq!(old, [math::log(0.5), math::log(0.25), math::log(0.25)]);
        let new = raw_init(&init(PriorLink::Logit { scipy_1_15: true }), 3);
        // log(p / gmean(p)) sums to 0 (up to rounding).
        assert!(new.iter().sum::<f64>().abs() < 1e-15);
        assert!(new[0] > 0.0 && new[1] < 0.0);
    }

    #[test]
    fn nan_to_num_is_numpys() {
        assert_eq!(nan_to_num(f64::NAN), 0.0);
        assert_eq!(nan_to_num(f64::INFINITY), f64::MAX);
        assert_eq!(nan_to_num(0.5), 0.5);
    }
}
