//! The V2 documents that describe rather than predict: server and model metadata, and
//! the liveness and readiness answers.

use alloc::format;
use alloc::vec::Vec;

use serde::Serialize;

use super::OUTPUT;
use super::SERVER_NAME;
use crate::model::Model;

/// `GET /v2`: server metadata.
pub fn server_metadata() -> Vec<u8> {
    #[derive(Serialize)]
    struct Metadata<'a> {
        name: &'a str,
        version: &'a str,
        extensions: [&'a str; 0],
    }
    serde_json::to_vec(&Metadata {
        name: SERVER_NAME,
        version: env!("CARGO_PKG_VERSION"),
        extensions: [],
    })
    .expect("strings always serialize")
}

/// `GET /v2/models/{name}`: the model's name, version, one FP64 `[-1]` input per column
/// and the `predict` output.
pub fn model_metadata(model: &Model) -> Vec<u8> {
    #[derive(Serialize)]
    struct Metadata<'a> {
        name: &'a str,
        versions: [&'a str; 1],
        platform: &'a str,
        inputs: Vec<TensorMetadata<'a>>,
        outputs: [TensorMetadata<'a>; 1],
    }
    #[derive(Serialize)]
    struct TensorMetadata<'a> {
        name: &'a str,
        datatype: &'a str,
        shape: [i64; 1],
    }
    let tensor = |name| TensorMetadata {
        name,
        datatype: "FP64",
        shape: [-1],
    };
    serde_json::to_vec(&Metadata {
        name: model.name(),
        versions: [model.version()],
        platform: "scikit-learn",
        inputs: model.features().map(tensor).collect(),
        outputs: [tensor(OUTPUT)],
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
