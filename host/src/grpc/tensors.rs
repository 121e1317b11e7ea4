//! `ModelInferRequest` to the core's infer request and the core's output tensors to a
//! `ModelInferResponse`. The tensors themselves (names, shapes, datatypes, row counts,
//! FP32 rounding) are checked by the core's transport-neutral V2 API, the same checks the
//! HTTP JSON and binary forms go through, so a request is refused with the same message
//! over both; this file only says where gRPC keeps the values: typed `contents`
//! (`fp64_contents`, `fp32_contents`) or `raw_input_contents` (little-endian bytes, one
//! entry per input, what tritonclient sends).

use predictor::v2::{self, InferRequest, InputTensor, OutputValues, TensorValues};
use predictor::{Model, Predictions, ServiceOptions};
use prost::bytes::Bytes;
use tonic::Status;

use super::proto::infer_parameter::ParameterChoice;
use super::proto::model_infer_request::InferInputTensor;
use super::proto::model_infer_response::InferOutputTensor;
use super::proto::{InferParameter, InferTensorContents, ModelInferRequest, ModelInferResponse};
use super::status;

/// A decoded call: the core's request and whether to answer in raw bytes (as it was sent).
pub(super) struct Decoded {
    pub request: InferRequest,
    pub raw: bool,
}

/// The call's tensors as rows in model order, its outputs, id and scaling.
pub(super) fn decode(
    model: &Model,
    max_rows: usize,
    call: &ModelInferRequest,
) -> Result<Decoded, Status> {
    let raw = !call.raw_input_contents.is_empty();
    if raw && call.raw_input_contents.len() != call.inputs.len() {
        return Err(Status::invalid_argument(format!(
            "raw_input_contents has {} entries, the request has {} inputs; send one per input, in input order",
            call.raw_input_contents.len(),
            call.inputs.len()
        )));
    }
    // FP32 contents widened to f64, kept alive for the borrowed tensors below.
    let widened: Vec<Vec<f64>> = call
        .inputs
        .iter()
        .map(|input| match (&input.contents, input.datatype.as_str()) {
            (Some(contents), "FP32") if !raw => contents
                .fp32_contents
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut inputs = Vec::with_capacity(call.inputs.len());
    for (k, input) in call.inputs.iter().enumerate() {
        let data = if raw {
            if input.contents.as_ref().is_some_and(has_values) {
                return Err(wrong(
                    input,
                    "has both contents and raw_input_contents; send one",
                ));
            }
            TensorValues::Raw(&call.raw_input_contents[k])
        } else {
            TensorValues::Numbers(typed_values(input, &widened[k])?)
        };
        inputs.push(InputTensor {
            name: &input.name,
            datatype: &input.datatype,
            shape: &input.shape,
            data,
        });
    }
    let outputs: Vec<&str> = call.outputs.iter().map(|o| o.name.as_str()).collect();
    let id = (!call.id.is_empty()).then(|| call.id.clone());
    let scaling = match call.parameters.get("scaling") {
        None => None,
        Some(InferParameter {
            parameter_choice: Some(ParameterChoice::StringParam(value)),
        }) => Some(value.clone()),
        Some(_) => {
            return Err(Status::invalid_argument(
                "parameter scaling must be a string (training or per-request)",
            ))
        }
    };
    let request = v2::decode_request(model, max_rows, id, scaling, &inputs, &outputs)
        .map_err(|err| status(&err))?;
    Ok(Decoded { request, raw })
}

/// The typed contents of an FP64 or FP32 input (another datatype: nothing, and the core
/// refuses the datatype by name).
fn typed_values<'a>(input: &'a InferInputTensor, widened: &'a [f64]) -> Result<&'a [f64], Status> {
    let Some(contents) = &input.contents else {
        return Err(wrong(
            input,
            "has no contents; send its values in contents (fp64_contents or fp32_contents) or in raw_input_contents",
        ));
    };
    let (values, field) = match input.datatype.as_str() {
        "FP64" => (contents.fp64_contents.as_slice(), "fp64_contents"),
        "FP32" => (widened, "fp32_contents"),
        _ => return Ok(&[]),
    };
    if values.is_empty() && has_values(contents) {
        return Err(wrong(
            input,
            &format!(
                "datatype {:?} takes its values in contents.{field}",
                input.datatype
            ),
        ));
    }
    Ok(values)
}

fn has_values(contents: &InferTensorContents) -> bool {
    !(contents.bool_contents.is_empty()
        && contents.int_contents.is_empty()
        && contents.int64_contents.is_empty()
        && contents.uint_contents.is_empty()
        && contents.uint64_contents.is_empty()
        && contents.fp32_contents.is_empty()
        && contents.fp64_contents.is_empty()
        && contents.bytes_contents.is_empty())
}

/// INVALID_ARGUMENT naming the input, worded as the core words its refusals.
fn wrong(input: &InferInputTensor, message: &str) -> Status {
    Status::invalid_argument(format!("input {:?}: {message}", input.name))
}

/// Decodes, predicts and encodes one call (on whichever thread the caller chose): the
/// response and the rows predicted. Public for the `grpc_infer` fuzz target.
pub fn infer(
    model: &Model,
    options: ServiceOptions,
    call: &ModelInferRequest,
) -> Result<(ModelInferResponse, usize), Status> {
    let Decoded { request, raw } = decode(model, options.max_rows, call)?;
    let scaling = match request.scaling.as_deref() {
        Some(value) => value.parse().map_err(|err| status(&err))?,
        None => options.default_scaling,
    };
    let predictions = v2::infer(model, &request, scaling).map_err(|err| status(&err))?;
    let rows = request.rows.nrows();
    Ok((
        encode(model, &request, &predictions, raw, call.id.clone()),
        rows,
    ))
}

/// The response: every output asked for, in that order, as raw bytes or typed contents.
fn encode(
    model: &Model,
    request: &InferRequest,
    predictions: &Predictions,
    raw: bool,
    id: String,
) -> ModelInferResponse {
    let tensors = v2::output_tensors(model, predictions, &request.outputs);
    let mut outputs = Vec::with_capacity(tensors.len());
    let mut raw_output_contents = Vec::with_capacity(if raw { tensors.len() } else { 0 });
    for tensor in tensors {
        let contents = if raw {
            raw_output_contents.push(Bytes::from(tensor.data.to_raw()));
            None
        } else {
            Some(contents(tensor.data))
        };
        outputs.push(InferOutputTensor {
            name: tensor.name.to_string(),
            datatype: tensor.datatype.to_string(),
            shape: tensor
                .shape
                .iter()
                .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
                .collect(),
            parameters: Default::default(),
            contents,
        });
    }
    ModelInferResponse {
        model_name: model.name().to_string(),
        model_version: model.version().to_string(),
        id,
        parameters: Default::default(),
        outputs,
        raw_output_contents,
    }
}

/// Typed contents in the field of the values' datatype.
fn contents(values: OutputValues<'_>) -> InferTensorContents {
    let mut contents = InferTensorContents::default();
    match values {
        OutputValues::Fp64(v) => contents.fp64_contents = v.into_owned(),
        OutputValues::Int64(v) => contents.int64_contents = v,
        OutputValues::Bool(v) => contents.bool_contents = v,
        OutputValues::Bytes(v) => {
            contents.bytes_contents = v.into_iter().map(|b| b.into_owned()).collect()
        }
    }
    contents
}

/// About how many bytes of tensor data a call holds (to send big ones off the async
/// workers, as HTTP does with big bodies).
pub(super) fn payload_bytes(call: &ModelInferRequest) -> usize {
    let raw: usize = call.raw_input_contents.iter().map(Bytes::len).sum();
    let typed: usize = call
        .inputs
        .iter()
        .filter_map(|input| input.contents.as_ref())
        .map(|c| c.fp64_contents.len() * 8 + c.fp32_contents.len() * 4)
        .sum();
    raw + typed
}
