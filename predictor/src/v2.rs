//! The KServe Open Inference Protocol (V2) REST wire format, so a V2 client (KServe's,
//! Triton's, MLServer's) can call this model: metadata documents and the infer codec.
//!
//! An infer request holds either one tensor of shape `[N, F]` (row-major, columns in
//! model order, `data` flat or nested) or one `[N]` (or `[N, 1]`) tensor per model
//! column, matched by name. FP64 and FP32 are accepted; an FP32 value is rounded to
//! float32 first, as the client's float32 tensor held it. The response is one FP64 `[N]`
//! tensor called `predict`. Every refusal names the input and what is wrong with it.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use ndarray::Array2;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::PredictError;
use crate::json::Json;
use crate::model::Model;

/// The name of the one output tensor.
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
}

/// Decodes a `POST /v2/models/{name}/infer` body, refusing more than `max_rows` rows.
pub fn decode_infer(
    body: &[u8],
    model: &Model,
    max_rows: usize,
) -> Result<InferRequest, PredictError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(match Json::parse(body) {
            Err(err) => err,
            Ok(other) => PredictError::WrongShape(format!(
                "infer request must be a JSON object with \"inputs\", not {}",
                other.kind()
            )),
        });
    }
    let wire: WireRequest = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            PredictError::WrongShape(format!("infer request: {e}"))
        }
        _ => PredictError::InvalidJson(e.to_string()),
    })?;
    if let Some(outputs) = &wire.outputs {
        if let Some(bad) = outputs.iter().find(|o| o.name != OUTPUT) {
            return Err(PredictError::WrongShape(format!(
                "unknown output {:?}; the model has one output, {OUTPUT:?}",
                bad.name
            )));
        }
    }
    let rows = Inputs {
        model,
        max_rows,
        inputs: &wire.inputs,
    }
    .rows()?;
    Ok(InferRequest {
        id: wire.id,
        scaling: wire.parameters.and_then(|p| p.scaling),
        rows,
    })
}

/// The infer response: `{"model_name", "model_version", "id", "outputs": [predict]}`.
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

#[derive(Deserialize)]
struct WireRequest {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parameters: Option<RequestParameters>,
    inputs: Vec<WireTensor>,
    #[serde(default)]
    outputs: Option<Vec<RequestedOutput>>,
}

#[derive(Deserialize)]
struct RequestParameters {
    #[serde(default)]
    scaling: Option<String>,
}

#[derive(Deserialize)]
struct RequestedOutput {
    name: String,
}

#[derive(Deserialize)]
struct WireTensor {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    data: TensorData,
    #[serde(default)]
    parameters: Option<TensorParameters>,
}

#[derive(Deserialize)]
struct TensorParameters {
    /// Triton's binary tensor extension, which this server does not speak.
    #[serde(default)]
    binary_data_size: Option<IgnoredAny>,
}

/// The two element types a tensor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataType {
    Fp64,
    Fp32,
}

/// A tensor's `data`, flattened row-major, with the nesting it was sent in.
#[derive(Debug, Default)]
struct TensorData {
    values: Vec<f64>,
    /// Lengths of the arrays at each depth (`[len]` for flat data).
    dims: Vec<usize>,
    /// The nesting is not rectangular, or mixes numbers and arrays at one depth.
    ragged: bool,
}

impl<'de> Deserialize<'de> for TensorData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut data = TensorData::default();
        let mut leaf_depth = None;
        deserializer.deserialize_any(Level {
            depth: 0,
            data: &mut data,
            leaf_depth: &mut leaf_depth,
        })?;
        if data.dims.is_empty() {
            return Err(de::Error::custom("tensor data must be an array of numbers"));
        }
        // Numbers only at the deepest level, so the data is a rectangular nesting.
        if leaf_depth.is_some_and(|d| d != data.dims.len()) {
            data.ragged = true;
        }
        Ok(data)
    }
}

/// A depth whose array length is not known yet.
const UNSET: usize = usize::MAX;

/// One nesting level of `data`: an array (of numbers or arrays) or, inside, a number.
struct Level<'d> {
    depth: usize,
    data: &'d mut TensorData,
    leaf_depth: &'d mut Option<usize>,
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Level<'_> {
    fn number<E: de::Error>(self, value: f64) -> Result<(), E> {
        if self.depth == 0 {
            return Err(E::custom(
                "tensor data must be an array of numbers, not a number",
            ));
        }
        match *self.leaf_depth {
            None => *self.leaf_depth = Some(self.depth),
            Some(d) if d != self.depth => self.data.ragged = true,
            Some(_) => {}
        }
        self.data.values.push(value);
        Ok(())
    }

    fn not_a_number<E: de::Error>(what: &str) -> E {
        E::custom(format!("tensor data holds {what}; values must be numbers"))
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of numbers (flat or nested)")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.number(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.number(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.number(v as f64)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(Self::not_a_number("a boolean"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(Self::not_a_number("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(Self::not_a_number("null"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(Self::not_a_number("an object"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Level {
            depth,
            data,
            leaf_depth,
        } = self;
        if depth == 0 {
            data.values
                .reserve(seq.size_hint().unwrap_or(0).min(1 << 16));
        }
        let mut len = 0usize;
        while seq
            .next_element_seed(Level {
                depth: depth + 1,
                data,
                leaf_depth,
            })?
            .is_some()
        {
            len += 1;
        }
        if data.dims.len() <= depth {
            data.dims.resize(depth + 1, UNSET);
        }
        match data.dims[depth] {
            UNSET => data.dims[depth] = len,
            seen if seen != len => data.ragged = true,
            _ => {}
        }
        Ok(())
    }
}

/// The request's inputs, checked against the model.
struct Inputs<'a> {
    model: &'a Model,
    max_rows: usize,
    inputs: &'a [WireTensor],
}

impl Inputs<'_> {
    fn rows(&self) -> Result<Array2<f64>, PredictError> {
        let width = self.model.n_features();
        match self.inputs {
            [] => Err(PredictError::WrongShape(format!(
                "infer request has no inputs; send one [N, {width}] tensor or one [N] tensor per column ({})",
                self.columns()
            ))),
            [one] if one.shape.len() == 2 && one.shape.get(1) != Some(&1) => self.matrix(one),
            [one] if self.model.feature_index(&one.name).is_none() => self.matrix(one),
            _ => self.per_column(),
        }
    }

    fn columns(&self) -> String {
        self.model.features().collect::<Vec<_>>().join(", ")
    }

    /// One `[N, F]` tensor, row-major, columns in model order.
    fn matrix(&self, tensor: &WireTensor) -> Result<Array2<f64>, PredictError> {
        let width = self.model.n_features();
        let datatype = datatype(tensor)?;
        let shape = dims(tensor)?;
        if shape.len() != 2 || shape[1] != width {
            return Err(wrong(
                tensor,
                format!(
                    "shape {:?} is not [N, {width}]; send one [N, {width}] tensor (columns {}) \
                     or one [N] tensor per column named after it",
                    tensor.shape,
                    self.columns()
                ),
            ));
        }
        let rows = self.check_rows(tensor, shape[0])?;
        let values = values(tensor, &shape, datatype)?;
        Ok(Array2::from_shape_vec((rows, width), values).expect("length checked against shape"))
    }

    /// One `[N]` or `[N, 1]` tensor per model column, matched by name.
    fn per_column(&self) -> Result<Array2<f64>, PredictError> {
        let width = self.model.n_features();
        let mut by_feature: Vec<Option<&WireTensor>> = vec![None; width];
        for tensor in self.inputs {
            let j = self.model.feature_index(&tensor.name).ok_or_else(|| {
                PredictError::WrongShape(format!(
                    "unknown input {:?}; send one [N, {width}] tensor or one [N] tensor per column ({})",
                    tensor.name,
                    self.columns()
                ))
            })?;
            if by_feature[j].replace(tensor).is_some() {
                return Err(PredictError::WrongShape(format!(
                    "input {:?} appears twice",
                    tensor.name
                )));
            }
        }
        let mut rows = None;
        let mut columns = Vec::with_capacity(width);
        for (j, tensor) in by_feature.into_iter().enumerate() {
            let Some(tensor) = tensor else {
                return Err(PredictError::MissingColumn(
                    self.model.features().nth(j).unwrap_or_default().to_string(),
                ));
            };
            let datatype = datatype(tensor)?;
            let shape = dims(tensor)?;
            if !(shape.len() == 1 || (shape.len() == 2 && shape[1] == 1)) {
                return Err(wrong(
                    tensor,
                    format!("shape {:?} is not [N] or [N, 1]", tensor.shape),
                ));
            }
            let n = self.check_rows(tensor, shape[0])?;
            match rows {
                None => rows = Some((n, tensor.name.as_str())),
                Some((first, name)) if first != n => {
                    return Err(wrong(
                        tensor,
                        format!("has {n} rows, input {name:?} has {first}"),
                    ))
                }
                Some(_) => {}
            }
            columns.push(values(tensor, &shape, datatype)?);
        }
        let (rows, _) = rows.expect("the model has at least one column");
        let mut out = Array2::zeros((rows, width));
        for (j, column) in columns.iter().enumerate() {
            out.column_mut(j)
                .iter_mut()
                .zip(column)
                .for_each(|(cell, v)| *cell = *v);
        }
        Ok(out)
    }

    fn check_rows(&self, tensor: &WireTensor, rows: usize) -> Result<usize, PredictError> {
        if rows == 0 {
            Err(wrong(
                tensor,
                format!("shape {:?} has no rows", tensor.shape),
            ))
        } else if rows > self.max_rows {
            Err(PredictError::TooManyRows {
                rows,
                limit: self.max_rows,
            })
        } else {
            Ok(rows)
        }
    }
}

fn wrong(tensor: &WireTensor, message: String) -> PredictError {
    PredictError::WrongShape(format!("input {:?}: {message}", tensor.name))
}

fn datatype(tensor: &WireTensor) -> Result<DataType, PredictError> {
    if tensor
        .parameters
        .as_ref()
        .is_some_and(|p| p.binary_data_size.is_some())
    {
        return Err(wrong(
            tensor,
            "binary tensor data is not supported; send data as a JSON array".to_string(),
        ));
    }
    match tensor.datatype.as_str() {
        "FP64" => Ok(DataType::Fp64),
        "FP32" => Ok(DataType::Fp32),
        other => Err(wrong(
            tensor,
            format!("datatype {other:?} is not supported; send FP64 or FP32"),
        )),
    }
}

/// The shape as sizes, refusing negative dimensions.
fn dims(tensor: &WireTensor) -> Result<Vec<usize>, PredictError> {
    tensor
        .shape
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                wrong(
                    tensor,
                    format!("shape {:?} has a negative dimension", tensor.shape),
                )
            })
        })
        .collect()
}

/// The tensor's values, checked against its shape and converted for its datatype.
fn values(
    tensor: &WireTensor,
    shape: &[usize],
    datatype: DataType,
) -> Result<Vec<f64>, PredictError> {
    let data = &tensor.data;
    let expected = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| wrong(tensor, format!("shape {:?} is too large", tensor.shape)))?;
    if data.values.len() != expected {
        return Err(wrong(
            tensor,
            format!(
                "shape {:?} needs {expected} values, data holds {}",
                tensor.shape,
                data.values.len()
            ),
        ));
    }
    let flat = data.dims.len() == 1 && !data.ragged;
    let trailing_one = data.dims.len() + 1 == shape.len() && shape.last() == Some(&1);
    let nested_ok = !data.ragged
        && (data.dims == shape || (trailing_one && data.dims[..] == shape[..shape.len() - 1]));
    if !flat && !nested_ok {
        return Err(wrong(
            tensor,
            format!(
                "nested data does not match shape {:?}; send it flat or nested exactly as the shape",
                tensor.shape
            ),
        ));
    }
    let mut values = data.values.clone();
    if datatype == DataType::Fp32 {
        for (k, v) in values.iter_mut().enumerate() {
            let single = *v as f32;
            if !single.is_finite() {
                return Err(wrong(
                    tensor,
                    format!("value {v:e} at position {k} does not fit FP32"),
                ));
            }
            *v = f64::from(single);
        }
    }
    Ok(values)
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
