//! The model file as a whole (`edge-predictor-model`, version 1): its serde types and the
//! validation every model passes before it is used, whether loaded at run time or embedded
//! by `predictor/build.rs`. The estimator part is validated by its kind's module.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::error::fail;
use crate::estimator::{EstimatorFile, ValidEstimator};
use crate::ModelError;

pub const FORMAT_NAME: &str = "edge-predictor-model";
pub const FORMAT_VERSION: u32 = 1;

/// The file as written by `tools/export_model.py`.
#[derive(Debug, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    pub features: Vec<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub scaler: Option<ScalerFile>,
    pub estimator: EstimatorFile,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScalerFile {
    Standard { mean: Vec<f64>, scale: Vec<f64> },
}

/// A model that passed validation. Its fields can be read and moved out, but only
/// `ModelFile::validate` makes one (`non_exhaustive`), so holding one proves it valid.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidModel {
    pub name: String,
    pub version: String,
    pub description: String,
    pub features: Vec<String>,
    pub target: Option<String>,
    pub scaler: Option<ValidScaler>,
    pub estimator: ValidEstimator,
}

/// A standard scaler with one finite mean and one finite, non-zero scale per feature.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidScaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

impl ModelFile {
    /// Parses and validates a model file.
    pub fn parse(bytes: &[u8]) -> Result<ValidModel, ModelError> {
        let file: ModelFile = serde_json::from_slice(bytes)
            .map_err(|e| ModelError::new(format!("not a valid model file: {e}")))?;
        file.validate()
    }

    pub fn validate(self) -> Result<ValidModel, ModelError> {
        if self.format != FORMAT_NAME {
            return fail(format!(
                "format is {:?}, expected {FORMAT_NAME:?}",
                self.format
            ));
        }
        if self.format_version != FORMAT_VERSION {
            return fail(format!(
                "format_version {} is not supported (this build reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.name.is_empty() || !self.name.bytes().all(is_url_safe) {
            return fail("name must be non-empty and use only letters, digits, '-', '_' and '.'");
        }
        let n_features = self.features.len();
        if n_features == 0 {
            return fail("features is empty");
        }
        for (i, name) in self.features.iter().enumerate() {
            if name.is_empty() {
                return fail(format!("features[{i}] is empty"));
            }
            if self.features[..i].contains(name) {
                return fail(format!("feature {name} is listed twice"));
            }
        }
        let scaler = match self.scaler {
            None => None,
            Some(ScalerFile::Standard { mean, scale }) => {
                check_floats("scaler.mean", &mean, n_features)?;
                check_floats("scaler.scale", &scale, n_features)?;
                if let Some(i) = scale.iter().position(|s| *s == 0.0) {
                    return fail(format!("scaler.scale[{i}] is zero"));
                }
                Some(ValidScaler { mean, scale })
            }
        };
        let estimator = self.estimator.validate(n_features)?;
        Ok(ValidModel {
            name: self.name,
            version: self.version,
            description: self.description.unwrap_or_default(),
            features: self.features,
            target: self.target,
            scaler,
            estimator,
        })
    }
}

fn is_url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn check_floats(field: &str, values: &[f64], expected_len: usize) -> Result<(), ModelError> {
    if values.len() != expected_len {
        return fail(format!(
            "{field} has {} values, expected {expected_len} (one per feature)",
            values.len()
        ));
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => fail(format!("{field}[{i}] is not finite")),
        None => Ok(()),
    }
}
