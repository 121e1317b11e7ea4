//! The V2 model repository extension's documents: the index and load/unload request
//! bodies (both optional) and the index lines answered. What the repository does is the
//! adapter's (`models::Repository`); this is only the wire format.

use alloc::format;
use alloc::vec::Vec;

use serde::Deserialize;

use crate::error::PredictError;
use crate::models::{ModelState, RepositoryEntry};

/// `POST /v2/repository/index`'s body: none, or `{"ready": bool}` (only ready models
/// when true). Answers whether to list only ready models.
pub fn decode_index_request(body: &[u8]) -> Result<bool, PredictError> {
    #[derive(Deserialize)]
    struct IndexRequest {
        #[serde(default)]
        ready: Option<bool>,
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let request: IndexRequest = serde_json::from_slice(body).map_err(|e| {
        PredictError::InvalidParameter(format!(
            "repository index request: {e} (send no body, or {{\"ready\": true|false}})"
        ))
    })?;
    Ok(request.ready.unwrap_or(false))
}

/// A load or unload body: none, `{}`, or `{"parameters": {}}`; configuration overrides
/// in `parameters` are refused (a model is exactly its file).
pub fn decode_load_request(body: &[u8]) -> Result<(), PredictError> {
    #[derive(Deserialize)]
    struct LoadRequest {
        #[serde(default)]
        parameters: Option<serde_json::Map<alloc::string::String, serde_json::Value>>,
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let request: LoadRequest = serde_json::from_slice(body).map_err(|e| {
        PredictError::InvalidParameter(format!(
            "repository load/unload request: {e} (send no body, or {{}})"
        ))
    })?;
    match request.parameters {
        Some(parameters) if !parameters.is_empty() => {
            let names: Vec<&str> = parameters.keys().map(|k| k.as_str()).collect();
            Err(PredictError::InvalidParameter(format!(
                "repository load/unload parameters are not supported (got {names:?}): a model is exactly its file"
            )))
        }
        _ => Ok(()),
    }
}

/// `POST /v2/repository/index`'s answer: a JSON array of `{name, version, state, reason}`.
pub fn encode_index(entries: &[RepositoryEntry], ready_only: bool) -> Vec<u8> {
    let listed: Vec<&RepositoryEntry> = entries
        .iter()
        .filter(|e| !ready_only || e.state == ModelState::Ready)
        .collect();
    serde_json::to_vec(&listed).expect("strings always serialize")
}

/// One model's index line (the answer to a load or unload).
pub fn encode_entry(entry: &RepositoryEntry) -> Vec<u8> {
    serde_json::to_vec(entry).expect("strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn entry(name: &str, state: ModelState) -> RepositoryEntry {
        RepositoryEntry {
            name: name.to_string(),
            version: "1".to_string(),
            state,
            reason: if state == ModelState::Ready {
                "".to_string()
            } else {
                "unloaded".to_string()
            },
        }
    }

    #[test]
    fn the_index_lists_every_model_or_only_ready_ones() {
        let entries = [
            entry("a", ModelState::Ready),
            entry("b", ModelState::Unavailable),
        ];
        assert_eq!(
            core::str::from_utf8(&encode_index(&entries, false)).unwrap(),
            r#"[{"name":"a","version":"1","state":"READY","reason":""},{"name":"b","version":"1","state":"UNAVAILABLE","reason":"unloaded"}]"#
        );
        assert_eq!(
            core::str::from_utf8(&encode_index(&entries, true)).unwrap(),
            r#"[{"name":"a","version":"1","state":"READY","reason":""}]"#
        );
    }

    #[test]
    fn request_bodies_are_optional_and_checked() {
        assert_eq!(decode_index_request(b""), Ok(false));
        assert_eq!(decode_index_request(b"{}"), Ok(false));
        assert_eq!(decode_index_request(br#"{"ready": true}"#), Ok(true));
        let err = decode_index_request(br#"{"ready": 1}"#).unwrap_err();
        assert!(
            err.to_string().contains("repository index request"),
            "{err}"
        );
        assert_eq!(decode_load_request(b" "), Ok(()));
        assert_eq!(decode_load_request(br#"{"parameters": {}}"#), Ok(()));
        let err = decode_load_request(br#"{"parameters": {"config": "{}"}}"#).unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
        assert!(decode_load_request(b"[").is_err());
    }
}
