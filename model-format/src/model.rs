//! The model file as a whole (`edge-predictor-model`, versions 1 and 2): its serde types and
//! the validation every model passes before it is used, whether loaded at run time or
//! embedded by `predictor/build.rs`. The estimator part is validated by its kind's module.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;

use crate::error::fail;
use crate::estimator::{EstimatorContext, EstimatorFile, EstimatorFileV2, ValidEstimator};
use crate::label::Label;
use crate::preprocessing::{StepFile, ValidStep};
use crate::sklearn_version::SklearnVersion;
use crate::ModelError;

pub const FORMAT_NAME: &str = "edge-predictor-model";
/// The newest version this build reads (it reads every version from 1 up to this one).
pub const FORMAT_VERSION: u32 = 2;

/// The first two fields, read first to pick the version's file type.
#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: u32,
}

/// A version 2 file as written by `tools/export_model.py` (model_data/README.md, "Format
/// version 2").
#[derive(Debug, Deserialize)]
pub struct ModelFileV2 {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    pub task: Task,
    pub n_features: usize,
    pub features: Vec<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub classes: Option<Vec<Label>>,
    pub source: SourceFile,
    #[serde(default)]
    pub preprocessing: Vec<StepFile>,
    pub estimator: EstimatorFileV2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Regression,
    Classification,
}

/// Where the model came from: `sklearn_version` decides the version-dependent arithmetic.
#[derive(Debug, Deserialize)]
pub struct SourceFile {
    pub sklearn_version: String,
    #[serde(default)]
    pub class: Option<String>,
}

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
    /// Version 1's training scaler (the Boston model's).
    pub scaler: Option<ValidScaler>,
    /// Version 2's pipeline steps, applied in order before the estimator.
    pub preprocessing: Vec<ValidStep>,
    /// A classifier's labels in `classes_` order (empty for a regressor).
    pub classes: Vec<Label>,
    /// The scikit-learn version that pickled a version 2 model.
    pub sklearn_version: Option<SklearnVersion>,
    pub estimator: ValidEstimator,
}

/// A standard scaler with one finite mean and one finite, non-zero scale per feature.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ValidScaler {
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
}

/// A model file of either version as read, before validation (a version 2 file's arrays
/// still base64 text): `ModelFile::read` returns it so that a caller holding a large file's
/// bytes can free them before the arrays are decoded.
#[derive(Debug)]
pub enum ReadModelFile {
    V1(Box<ModelFile>),
    V2(Box<ModelFileV2>),
}

impl ReadModelFile {
    pub fn validate(self) -> Result<ValidModel, ModelError> {
        match self {
            ReadModelFile::V1(file) => (*file).validate(),
            ReadModelFile::V2(file) => (*file).validate(),
        }
    }
}

impl ModelFile {
    /// Parses and validates a model file of any version this build reads.
    pub fn parse(bytes: &[u8]) -> Result<ValidModel, ModelError> {
        Self::read(bytes)?.validate()
    }

    /// Reads a model file of any version this build reads, without validating it.
    pub fn read(bytes: &[u8]) -> Result<ReadModelFile, ModelError> {
        let not_a_model =
            |e: serde_json::Error| ModelError::new(format!("not a valid model file: {e}"));
        let header: Header = serde_json::from_slice(bytes).map_err(not_a_model)?;
        if header.format != FORMAT_NAME {
            return fail(format!(
                "format is {:?}, expected {FORMAT_NAME:?}",
                header.format
            ));
        }
        match header.format_version {
            1 => Ok(ReadModelFile::V1(Box::new(
                serde_json::from_slice(bytes).map_err(not_a_model)?,
            ))),
            2 => Ok(ReadModelFile::V2(Box::new(
                serde_json::from_slice(bytes).map_err(not_a_model)?,
            ))),
            v => fail(format!(
                "format_version {v} is not supported (this build reads 1 to {FORMAT_VERSION})"
            )),
        }
    }

    pub fn validate(self) -> Result<ValidModel, ModelError> {
        if self.format != FORMAT_NAME {
            return fail(format!(
                "format is {:?}, expected {FORMAT_NAME:?}",
                self.format
            ));
        }
        if self.format_version != 1 {
            return fail(format!(
                "format_version {} is not version 1's",
                self.format_version
            ));
        }
        check_name_and_features(&self.name, &self.features)?;
        let n_features = self.features.len();
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
            preprocessing: Vec::new(),
            classes: Vec::new(),
            sklearn_version: None,
            estimator,
        })
    }
}

impl ModelFileV2 {
    pub fn validate(self) -> Result<ValidModel, ModelError> {
        if self.format != FORMAT_NAME || self.format_version != 2 {
            return fail("not a version 2 model file");
        }
        check_name_and_features(&self.name, &self.features)?;
        let n_features = self.features.len();
        if self.n_features != n_features {
            return fail(format!(
                "n_features is {}, features lists {n_features}",
                self.n_features
            ));
        }
        let sklearn = SklearnVersion::parse(&self.source.sklearn_version)?;
        let classes = match (self.task, self.classes) {
            (Task::Regression, None) => Vec::new(),
            (Task::Regression, Some(_)) => return fail("a regression model has no classes"),
            (Task::Classification, None) => return fail("a classification model needs classes"),
            (Task::Classification, Some(classes)) => {
                if classes.is_empty() {
                    return fail("classes is empty");
                }
                if let Some(i) = (1..classes.len()).find(|&i| classes[..i].contains(&classes[i])) {
                    return fail(format!("classes[{i}] is listed twice"));
                }
                classes
            }
        };
        let preprocessing = self
            .preprocessing
            .into_iter()
            .enumerate()
            .map(|(i, step)| step.validate(i, n_features))
            .collect::<Result<Vec<_>, _>>()?;
        let context = EstimatorContext {
            n_features,
            n_classes: (self.task == Task::Classification).then_some(classes.len()),
            sklearn,
        };
        let estimator = self.estimator.validate(&context)?;
        if estimator.n_classes() != context.n_classes {
            return fail(format!(
                "the estimator is a {}, the file says task {:?}",
                if estimator.n_classes().is_some() {
                    "classifier"
                } else {
                    "regressor"
                },
                self.task
            ));
        }
        Ok(ValidModel {
            name: self.name,
            version: self.version,
            description: self.description.unwrap_or_default(),
            features: self.features,
            target: self.target,
            scaler: None,
            preprocessing,
            classes,
            sklearn_version: Some(sklearn),
            estimator,
        })
    }
}

/// The checks every version makes on `name` and `features`.
fn check_name_and_features(name: &str, features: &[String]) -> Result<(), ModelError> {
    if name.is_empty() || !name.bytes().all(is_url_safe) {
        return fail("name must be non-empty and use only letters, digits, '-', '_' and '.'");
    }
    if features.is_empty() {
        return fail("features is empty");
    }
    for (i, feature) in features.iter().enumerate() {
        if feature.is_empty() {
            return fail(format!("features[{i}] is empty"));
        }
        if features[..i].contains(feature) {
            return fail(format!("feature {feature} is listed twice"));
        }
    }
    Ok(())
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
