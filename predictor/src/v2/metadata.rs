//! The V2 documents that describe rather than predict: server and model metadata, and
//! the liveness and readiness answers.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use serde::Serialize;

use super::{predict_datatype, OUTPUT, SERVER_NAME};
use crate::model::Model;
use crate::payload::Output;

/// `GET /v2`: server metadata; `extensions` lists `model_repository` when the server
/// has a repository (the native host).
pub fn server_metadata(repository: bool) -> Vec<u8> {
    #[derive(Serialize)]
    struct Metadata<'a> {
        name: &'a str,
        version: &'a str,
        extensions: Vec<&'a str>,
    }
    let mut extensions = vec!["binary_tensor_data"];
    if repository {
        extensions.push("model_repository");
    }
    serde_json::to_vec(&Metadata {
        name: SERVER_NAME,
        version: env!("CARGO_PKG_VERSION"),
        extensions,
    })
    .expect("strings always serialize")
}

/// `GET /v2/models/{name}`: the model's name, version, one FP64 `[-1]` input per column
/// and its outputs: `predict` (`[-1]`, FP64 for a regressor, the labels' datatype for a
/// classifier) and for a classifier `predict_proba` (FP64 `[-1, K]`).
pub fn model_metadata(model: &Model) -> Vec<u8> {
    #[derive(Serialize)]
    struct Metadata<'a> {
        name: &'a str,
        versions: [&'a str; 1],
        platform: &'a str,
        inputs: Vec<TensorMetadata<'a>>,
        outputs: Vec<TensorMetadata<'a>>,
    }
    #[derive(Serialize)]
    struct TensorMetadata<'a> {
        name: &'a str,
        datatype: &'a str,
        shape: Vec<i64>,
    }
    let input = |name| TensorMetadata {
        name,
        datatype: "FP64",
        shape: vec![-1],
    };
    let outputs = Output::of(model)
        .iter()
        .map(|output| match output {
            Output::Predict => TensorMetadata {
                name: OUTPUT,
                datatype: predict_datatype(model),
                shape: vec![-1],
            },
            Output::PredictProba => TensorMetadata {
                name: output.as_str(),
                datatype: "FP64",
                shape: vec![-1, i64::try_from(model.classes().len()).unwrap_or(i64::MAX)],
            },
        })
        .collect();
    serde_json::to_vec(&Metadata {
        name: model.name(),
        versions: [model.version()],
        platform: "scikit-learn",
        inputs: model.features().map(input).collect(),
        outputs,
    })
    .expect("strings always serialize")
}

/// `{"ready": bool}` or `{"live": bool}`, and `{"name", "ready"}` for one model.
pub fn health(key: &str, value: bool) -> Vec<u8> {
    format!("{{\"{key}\":{value}}}").into_bytes()
}

pub fn model_ready(model: &Model, ready: bool) -> Vec<u8> {
    #[derive(Serialize)]
    struct Ready<'a> {
        name: &'a str,
        ready: bool,
    }
    serde_json::to_vec(&Ready {
        name: model.name(),
        ready,
    })
    .expect("strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn metadata_names_every_column() {
        let text = String::from_utf8(model_metadata(Model::embedded())).unwrap();
        assert!(
            text.starts_with(r#"{"name":"boston-housing","versions":["1"]"#),
            "{text}"
        );
        assert!(text.contains(r#"{"name":"LSTAT","datatype":"FP64","shape":[-1]}"#));
        assert!(text.ends_with(r#""outputs":[{"name":"predict","datatype":"FP64","shape":[-1]}]}"#));
    }
}
