//! The KServe Open Inference Protocol (V2) REST wire format, so a V2 client (KServe's,
//! Triton's, MLServer's) can call this model: metadata documents and the infer codec.
//!
//! An infer request holds either one tensor of shape `[N, F]` (row-major, columns in
//! model order, `data` flat or nested) or one `[N]` (or `[N, 1]`) tensor per model
//! column, matched by name. FP64 and FP32 are accepted; an FP32 value is rounded to
//! float32 first, as the client's float32 tensor held it. `null` in `data` is a missing
//! value (NaN), which the model pipeline takes or refuses. The response holds the outputs
//! the request's `outputs` names (default `predict`, MLServer's convention): `predict`,
//! `[N]`, a regressor's FP64 values or a classifier's labels (INT64, BYTES, BOOL or FP64 as
//! its `classes` are integers, strings, booleans or floats), and for a classifier
//! `predict_proba`, FP64 `[N, K]`. Every refusal names the input and what is wrong with it.
//!
//! The binary tensor data extension (Triton's, KServe's) is spoken too: a JSON header
//! followed by inputs' little-endian bytes (NaN a missing value, as `null` is in JSON), and
//! outputs answered as raw bytes when the request asks (`binary`).
//!
//! `wire` reads the request's JSON, `binary` splits off and hands out binary tensor data,
//! `tensor` turns tensors (from any transport: JSON, binary, gRPC) into rows in model
//! order, `output` turns predictions into output tensors (JSON data or raw bytes),
//! `metadata` writes the documents that describe the server and the model.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ndarray::Array2;
use serde::Serialize;

use model_format::{Label, LabelKind};

use crate::error::PredictError;
use crate::json::Json;
use crate::model::{Model, Predictions};
use crate::payload::{self, Output};
use crate::scaler::Scaling;
use wire::WireRequest;

mod binary;
mod metadata;
mod output;
mod repository;
mod tensor;
mod wire;

pub use binary::HEADER_LENGTH;
pub use metadata::{health, model_metadata, model_ready, server_metadata};
pub use output::{output_tensors, OutputTensor, OutputValues};
pub use repository::{decode_index_request, decode_load_request, encode_entry, encode_index};
pub use tensor::{decode_tensors, InputTensor, TensorValues};

/// The name of the output every model has (`predict`; classifiers also have
/// `predict_proba`).
pub const OUTPUT: &str = "predict";

/// What this server calls itself in `GET /v2`.
pub const SERVER_NAME: &str = "edge-predictor";

/// A decoded infer request: the rows in model order and what to echo back.
#[derive(Debug)]
pub struct InferRequest {
    pub id: Option<String>,
    /// `parameters.scaling`, when the request chose one.
    pub scaling: Option<String>,
    /// `n_rows x n_features`, model column order.
    pub rows: Array2<f64>,
    /// The outputs to answer, in the order asked for (`[Predict]` when the request names
    /// none), each an output the model has, once.
    pub outputs: Vec<Output>,
}

/// Decodes a `POST /v2/models/{name}/infer` JSON body, refusing more than `max_rows` rows.
pub fn decode_infer(
    body: &[u8],
    model: &Model,
    max_rows: usize,
) -> Result<InferRequest, PredictError> {
    decode_infer_http(body, None, model, max_rows).map(|decoded| decoded.request)
}

/// An HTTP infer request and, for each output it asks for, whether to answer it as binary
/// data (the binary tensor extension).
#[derive(Debug)]
pub struct HttpInferRequest {
    pub request: InferRequest,
    /// One flag per `request.outputs`.
    pub binary_outputs: Vec<bool>,
}

/// Decodes a `POST /v2/models/{name}/infer` body: JSON, or with `header_length` (the
/// `Inference-Header-Content-Length` header) a JSON header followed by the binary data of
/// the inputs that give `parameters.binary_data_size`, in input order. Refuses more than
/// `max_rows` rows.
pub fn decode_infer_http(
    body: &[u8],
    header_length: Option<&str>,
    model: &Model,
    max_rows: usize,
) -> Result<HttpInferRequest, PredictError> {
    let (json, binary) = binary::split(body, header_length)?;
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(match Json::parse(json) {
            Err(err) => err,
            Ok(other) => PredictError::InvalidInferRequest(format!(
                "infer request must be a JSON object with \"inputs\", not {}",
                other.kind()
            )),
        });
    }
    let wire: WireRequest = serde_json::from_slice(json).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            PredictError::InvalidInferRequest(format!("infer request: {e}"))
        }
        _ => PredictError::InvalidJson(e.to_string()),
    })?;
    let requested = wire.outputs.as_deref().unwrap_or_default();
    let names: Vec<&str> = requested.iter().map(|o| o.name.as_str()).collect();
    let outputs = requested_outputs(model, &names)?;
    let parameters = wire.parameters.unwrap_or_default();
    let all_binary = parameters.binary_data_output.unwrap_or(false);
    let binary_outputs = match requested {
        // None named: the one default output, in the request's form.
        [] => alloc::vec![all_binary],
        _ => requested
            .iter()
            .map(|o| {
                o.parameters
                    .as_ref()
                    .and_then(|p| p.binary_data)
                    .unwrap_or(all_binary)
            })
            .collect(),
    };
    let mut cursor = binary::Cursor::new(binary);
    let mut inputs = Vec::with_capacity(wire.inputs.len());
    for tensor in &wire.inputs {
        let size = tensor.parameters.as_ref().and_then(|p| p.binary_data_size);
        let data =
            match (size, &tensor.data) {
                (Some(_), Some(_)) => {
                    return Err(tensor::wrong_input(
                        &tensor.name,
                        "has both data and parameters.binary_data_size; send one".to_string(),
                    ))
                }
                (Some(size), None) => TensorValues::Raw(cursor.take(&tensor.name, size)?),
                (None, Some(data)) => TensorValues::Nested {
                    values: &data.values,
                    dims: &data.dims,
                    ragged: data.ragged,
                },
                (None, None) => return Err(tensor::wrong_input(
                    &tensor.name,
                    "has no data; send data as a JSON array, or its bytes after the JSON header \
                     with parameters.binary_data_size (the binary tensor extension)"
                        .to_string(),
                )),
            };
        inputs.push(InputTensor {
            name: &tensor.name,
            datatype: &tensor.datatype,
            shape: &tensor.shape,
            data,
        });
    }
    cursor.finish()?;
    let rows = decode_tensors(model, max_rows, &inputs)?;
    Ok(HttpInferRequest {
        request: InferRequest {
            id: wire.id,
            scaling: parameters.scaling,
            rows,
            outputs,
        },
        binary_outputs,
    })
}

/// An infer request from tensors a transport has read (gRPC's `ModelInferRequest`): the
/// outputs it names are checked first, then its inputs, as `decode_infer` does.
pub fn decode_request(
    model: &Model,
    max_rows: usize,
    id: Option<String>,
    scaling: Option<String>,
    inputs: &[InputTensor<'_>],
    outputs: &[&str],
) -> Result<InferRequest, PredictError> {
    let outputs = requested_outputs(model, outputs)?;
    let rows = decode_tensors(model, max_rows, inputs)?;
    Ok(InferRequest {
        id,
        scaling,
        rows,
        outputs,
    })
}

/// The outputs a request names, checked against the model's (`[Predict]` for none), each
/// once, in the order asked for.
pub fn requested_outputs(model: &Model, requested: &[&str]) -> Result<Vec<Output>, PredictError> {
    let has = Output::of(model);
    let mut outputs = Vec::with_capacity(requested.len().max(1));
    for wanted in requested {
        let Some(output) = Output::named(wanted).filter(|o| has.contains(o)) else {
            let names: Vec<String> = has.iter().map(|o| format!("{:?}", o.as_str())).collect();
            let list = names.join(", ");
            return Err(PredictError::InvalidInferRequest(match has.len() {
                1 => format!(
                    "unknown output {:?}; the model has one output, {list}",
                    wanted
                ),
                _ => format!(
                    "unknown output {:?}; the model has the outputs {list}",
                    wanted
                ),
            }));
        };
        if outputs.contains(&output) {
            return Err(PredictError::InvalidInferRequest(format!(
                "output {:?} is asked for twice",
                wanted
            )));
        }
        outputs.push(output);
    }
    if outputs.is_empty() {
        outputs.push(Output::Predict);
    }
    Ok(outputs)
}

/// Predicts an infer request's rows. A value the model cannot take is a bad infer
/// request like any other (`PredictError::InvalidInferRequest`).
pub fn predict(
    model: &Model,
    request: &InferRequest,
    scaling: Scaling,
) -> Result<Vec<f64>, PredictError> {
    model
        .predict(request.rows.view(), scaling)
        .map_err(|err| PredictError::InvalidInferRequest(err.to_string()))
}

/// Predicts an infer request's rows for the outputs it asks for: a regressor's values, or
/// a classifier's labels and, when `predict_proba` is asked for, its probabilities. A
/// value the model cannot take is a bad infer request like any other.
pub fn infer(
    model: &Model,
    request: &InferRequest,
    scaling: Scaling,
) -> Result<Predictions, PredictError> {
    let output = if request.outputs.contains(&Output::PredictProba) {
        Output::PredictProba
    } else {
        Output::Predict
    };
    payload::predict(model, request.rows.view(), scaling, output)
        .map_err(|err| PredictError::InvalidInferRequest(err.to_string()))
}

/// The V2 datatype of a model's `predict` output: FP64 for a regressor; for a classifier
/// INT64, BYTES, BOOL or FP64 as its labels are integers, strings, booleans or floats
/// (BYTES, each label as text, should they mix kinds).
pub fn predict_datatype(model: &Model) -> &'static str {
    match label_kind(model.classes()) {
        None if model.is_classifier() => "BYTES",
        None | Some(LabelKind::Float) => "FP64",
        Some(LabelKind::Int) => "INT64",
        Some(LabelKind::Str) => "BYTES",
        Some(LabelKind::Bool) => "BOOL",
    }
}

/// The one kind every label is, if they are all one kind (and there are any).
fn label_kind(classes: &[Label]) -> Option<LabelKind> {
    let kind = classes.first()?.kind();
    classes.iter().all(|l| l.kind() == kind).then_some(kind)
}

/// The infer response: `{"model_name", "model_version", "id", "outputs": [...]}` with the
/// outputs asked for, in that order.
pub fn encode_infer_outputs(
    model: &Model,
    id: Option<&str>,
    predictions: &Predictions,
    outputs: &[Output],
) -> Vec<u8> {
    encode_infer_http(model, id, predictions, outputs, &[]).body
}

/// An encoded infer response.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedInfer {
    pub body: Vec<u8>,
    /// The JSON header's length when binary data follows it (the response's
    /// `Inference-Header-Content-Length`); `None` for a JSON body.
    pub header_length: Option<usize>,
}

/// The infer response with the outputs flagged in `binary` (one flag per output; missing
/// flags are JSON) as binary data after the JSON header: such an output has
/// `parameters.binary_data_size` instead of `data`, and its bytes follow in output order.
pub fn encode_infer_http(
    model: &Model,
    id: Option<&str>,
    predictions: &Predictions,
    outputs: &[Output],
    binary: &[bool],
) -> EncodedInfer {
    #[derive(Serialize)]
    struct Response<'a> {
        model_name: &'a str,
        model_version: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        outputs: Vec<Tensor<'a>>,
    }
    #[derive(Serialize)]
    struct Tensor<'a> {
        name: &'a str,
        datatype: &'a str,
        shape: Vec<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        parameters: Option<BinaryParameters>,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<OutputValues<'a>>,
    }
    #[derive(Serialize)]
    struct BinaryParameters {
        binary_data_size: usize,
    }
    let mut raw = Vec::new();
    let tensors = outputs
        .iter()
        .enumerate()
        .flat_map(|(i, output)| {
            let binary = binary.get(i).copied().unwrap_or(false);
            output_tensors(model, predictions, core::slice::from_ref(output))
                .into_iter()
                .map(move |t| (binary, t))
        })
        .map(|(binary, t)| {
            if binary {
                let start = raw.len();
                t.data.write_raw(&mut raw);
                Tensor {
                    name: t.name,
                    datatype: t.datatype,
                    shape: t.shape,
                    parameters: Some(BinaryParameters {
                        binary_data_size: raw.len() - start,
                    }),
                    data: None,
                }
            } else {
                Tensor {
                    name: t.name,
                    datatype: t.datatype,
                    shape: t.shape,
                    parameters: None,
                    data: Some(t.data),
                }
            }
        })
        .collect::<Vec<_>>();
    let any_binary = tensors.iter().any(|t| t.parameters.is_some());
    let mut body = serde_json::to_vec(&Response {
        model_name: model.name(),
        model_version: model.version(),
        id,
        outputs: tensors,
    })
    .unwrap_or_default();
    let header_length = any_binary.then_some(body.len());
    body.extend_from_slice(&raw);
    EncodedInfer {
        body,
        header_length,
    }
}

/// The infer response of a regressor: `{"model_name", "model_version", "id", "outputs":
/// [predict]}`.
pub fn encode_infer(model: &Model, id: Option<&str>, predictions: &[f64]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Response<'a> {
        model_name: &'a str,
        model_version: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        outputs: [Output<'a>; 1],
    }
    #[derive(Serialize)]
    struct Output<'a> {
        name: &'a str,
        datatype: &'a str,
        shape: [usize; 1],
        data: &'a [f64],
    }
    serde_json::to_vec(&Response {
        model_name: model.name(),
        model_version: model.version(),
        id,
        outputs: [Output {
            name: OUTPUT,
            datatype: "FP64",
            shape: [predictions.len()],
            data: predictions,
        }],
    })
    .expect("finite floats and strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str) -> Result<InferRequest, PredictError> {
        decode_infer(body.as_bytes(), Model::embedded(), 10)
    }

    const ROW: &str = "0, 6.575, 296.0, 15.3, 396.9, 4.98";

    #[test]
    fn flat_and_nested_matrix_agree() {
        let flat = decode(&format!(
            r#"{{"inputs":[{{"name":"x","shape":[2,6],"datatype":"FP64","data":[{ROW},{ROW}]}}]}}"#
        ))
        .unwrap();
        let nested = decode(&format!(
            r#"{{"inputs":[{{"name":"x","shape":[2,6],"datatype":"FP64","data":[[{ROW}],[{ROW}]]}}]}}"#
        ))
        .unwrap();
        assert_eq!(flat.rows, nested.rows);
        assert_eq!(flat.rows.dim(), (2, 6));
        assert_eq!(flat.rows[(1, 1)].to_bits(), 6.575f64.to_bits());
    }

    #[test]
    fn per_column_tensors_land_in_model_order() {
        let body = r#"{"id":"a","inputs":[
            {"name":"LSTAT","shape":[1],"datatype":"FP64","data":[4.98]},
            {"name":"B","shape":[1],"datatype":"FP64","data":[396.9]},
            {"name":"PTRATIO","shape":[1,1],"datatype":"FP64","data":[[15.3]]},
            {"name":"TAX","shape":[1],"datatype":"FP64","data":[296]},
            {"name":"RM","shape":[1],"datatype":"FP64","data":[6.575]},
            {"name":"CHAS","shape":[1],"datatype":"FP32","data":[0]}]}"#;
        let request = decode(body).unwrap();
        assert_eq!(request.id.as_deref(), Some("a"));
        let expected = [0.0, 6.575, 296.0, 15.3, 396.9, 4.98];
        assert_eq!(request.rows.row(0).to_vec(), expected);
    }

    #[test]
    fn fp32_rounds_to_single_precision() {
        let request = decode(&format!(
            r#"{{"inputs":[{{"name":"x","shape":[1,6],"datatype":"FP32","data":[{ROW}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(request.rows[(0, 1)], f64::from(6.575f32));
    }

    #[test]
    fn ragged_or_mismatched_data_is_refused() {
        for (data, needle) in [
            ("[[0,1,2,3,4,5],[0,1,2,3,4]]", "needs 12 values"),
            ("[[0,1,2,3,4,5,6],[0,1,2,3,4]]", "nested data"),
            ("[[0,1,2],[3,4,5],[0,1,2],[3,4,5]]", "nested data"),
            ("[[0,1,2,3,4,5],0,1,2,3,4,5]", "nested data"),
            ("[[[0,1,2,3,4,5]],[[0,1,2,3,4,5]]]", "nested data"),
        ] {
            let body = format!(
                r#"{{"inputs":[{{"name":"x","shape":[2,6],"datatype":"FP64","data":{data}}}]}}"#
            );
            let err = decode(&body).unwrap_err().to_string();
            assert!(err.contains(needle), "{data}: {err}");
        }
    }
}
