//! V2 input tensors to rows in model order: one `[N, F]` tensor, or one `[N]` tensor per
//! model column matched by name; each checked against its shape and datatype.
//!
//! Transport-neutral: the REST JSON codec, its binary tensor extension and gRPC each
//! describe their tensors as `InputTensor`s, so every transport refuses a tensor that
//! does not fit with the same words.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ndarray::Array2;

use crate::columns::{ColumnError, Columns};
use crate::error::PredictError;
use crate::model::Model;

/// One input tensor as a transport received it.
#[derive(Clone, Copy, Debug)]
pub struct InputTensor<'a> {
    pub name: &'a str,
    /// The V2 datatype (`FP64` and `FP32` are taken).
    pub datatype: &'a str,
    pub shape: &'a [i64],
    pub data: TensorValues<'a>,
}

/// A tensor's elements, row-major.
#[derive(Clone, Copy, Debug)]
pub enum TensorValues<'a> {
    /// Numbers, flat (gRPC's typed contents; NaN is a missing value). For `FP32` each is
    /// rounded to float32, as the client's float32 tensor held it.
    Numbers(&'a [f64]),
    /// JSON `data`: its numbers flattened, with the array lengths at each depth (`[len]`
    /// when flat) and whether that nesting is not rectangular; checked against the shape.
    Nested {
        values: &'a [f64],
        dims: &'a [usize],
        ragged: bool,
    },
    /// Little-endian bytes of the datatype (the binary tensor extension, gRPC's
    /// `raw_input_contents`).
    Raw(&'a [u8]),
}

/// The two element types a tensor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataType {
    Fp64,
    Fp32,
}

impl DataType {
    fn size(self) -> usize {
        match self {
            DataType::Fp64 => 8,
            DataType::Fp32 => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            DataType::Fp64 => "FP64",
            DataType::Fp32 => "FP32",
        }
    }
}

/// The rows (`n_rows x n_features`, model column order) that `inputs` hold, refusing
/// more than `max_rows` rows and any tensor that does not fit the model.
pub fn decode_tensors(
    model: &Model,
    max_rows: usize,
    inputs: &[InputTensor<'_>],
) -> Result<Array2<f64>, PredictError> {
    Inputs {
        model,
        max_rows,
        inputs,
    }
    .rows()
}

/// The request's inputs, checked against the model.
struct Inputs<'a> {
    model: &'a Model,
    max_rows: usize,
    inputs: &'a [InputTensor<'a>],
}

impl Inputs<'_> {
    fn rows(&self) -> Result<Array2<f64>, PredictError> {
        let width = self.model.n_features();
        match self.inputs {
            [] => Err(PredictError::InvalidInferRequest(format!(
                "infer request has no inputs; send one [N, {width}] tensor or one [N] tensor per column ({})",
                self.columns()
            ))),
            [one] if one.shape.len() == 2 && one.shape.get(1) != Some(&1) => self.matrix(one),
            [one] if self.model.feature_index(one.name).is_none() => self.matrix(one),
            _ => self.per_column(),
        }
    }

    fn columns(&self) -> String {
        self.model.features().collect::<Vec<_>>().join(", ")
    }

    /// One `[N, F]` tensor, row-major, columns in model order.
    fn matrix(&self, tensor: &InputTensor<'_>) -> Result<Array2<f64>, PredictError> {
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
        let names = self.inputs.iter().map(|tensor| tensor.name);
        let matched = Columns::match_names(self.model, names).map_err(|e| self.column_error(e))?;
        let mut rows = None;
        let mut columns = Vec::with_capacity(width);
        for j in 0..width {
            let source = matched.source(j).map_err(|e| self.column_error(e))?;
            let tensor = &self.inputs[source];
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
                None => rows = Some((n, tensor.name)),
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

    /// A column error in V2's words: columns are inputs here.
    fn column_error(&self, err: ColumnError) -> PredictError {
        PredictError::InvalidInferRequest(match err {
            ColumnError::Unknown { column, .. } => format!(
                "unknown input {column:?}; send one [N, {}] tensor or one [N] tensor per column ({})",
                self.model.n_features(),
                self.columns()
            ),
            ColumnError::Duplicate(column) => format!("input {column:?} appears twice"),
            missing @ ColumnError::Missing(_) => missing.to_string(),
        })
    }

    fn check_rows(&self, tensor: &InputTensor<'_>, rows: usize) -> Result<usize, PredictError> {
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

/// `input "NAME": message`, a bad infer request.
pub(super) fn wrong_input(name: &str, message: String) -> PredictError {
    PredictError::InvalidInferRequest(format!("input {name:?}: {message}"))
}

fn wrong(tensor: &InputTensor<'_>, message: String) -> PredictError {
    wrong_input(tensor.name, message)
}

fn datatype(tensor: &InputTensor<'_>) -> Result<DataType, PredictError> {
    match tensor.datatype {
        "FP64" => Ok(DataType::Fp64),
        "FP32" => Ok(DataType::Fp32),
        other => Err(wrong(
            tensor,
            format!("datatype {other:?} is not supported; send FP64 or FP32"),
        )),
    }
}

/// The shape as sizes, refusing negative dimensions.
fn dims(tensor: &InputTensor<'_>) -> Result<Vec<usize>, PredictError> {
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
    tensor: &InputTensor<'_>,
    shape: &[usize],
    datatype: DataType,
) -> Result<Vec<f64>, PredictError> {
    let expected = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| wrong(tensor, format!("shape {:?} is too large", tensor.shape)))?;
    let numbers = match tensor.data {
        TensorValues::Raw(bytes) => return raw_values(tensor, bytes, expected, datatype),
        TensorValues::Numbers(values) => values,
        TensorValues::Nested { values, .. } => values,
    };
    if numbers.len() != expected {
        return Err(wrong(
            tensor,
            format!(
                "shape {:?} needs {expected} values, data holds {}",
                tensor.shape,
                numbers.len()
            ),
        ));
    }
    if let TensorValues::Nested { dims, ragged, .. } = tensor.data {
        let flat = dims.len() == 1 && !ragged;
        let trailing_one = dims.len() + 1 == shape.len() && shape.last() == Some(&1);
        let nested_ok =
            !ragged && (dims == shape || (trailing_one && dims[..] == shape[..shape.len() - 1]));
        if !flat && !nested_ok {
            return Err(wrong(
                tensor,
                format!(
                    "nested data does not match shape {:?}; send it flat or nested exactly as the shape",
                    tensor.shape
                ),
            ));
        }
    }
    let mut values = numbers.to_vec();
    if datatype == DataType::Fp32 {
        for (k, v) in values.iter_mut().enumerate() {
            let single = *v as f32;
            // NaN is a missing value, in FP32 as in FP64; an infinity stays one.
            if single.is_infinite() && v.is_finite() {
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

/// Little-endian elements of `datatype`, exactly as many as the shape holds.
fn raw_values(
    tensor: &InputTensor<'_>,
    bytes: &[u8],
    expected: usize,
    datatype: DataType,
) -> Result<Vec<f64>, PredictError> {
    let size = datatype.size();
    let name = datatype.name();
    if !bytes.len().is_multiple_of(size) {
        return Err(wrong(
            tensor,
            format!(
                "binary data is {} bytes, not a whole number of {name} values ({size} bytes each)",
                bytes.len()
            ),
        ));
    }
    if bytes.len() / size != expected {
        return Err(wrong(
            tensor,
            format!(
                "shape {:?} needs {expected} values ({} bytes of {name}), binary data holds {} ({} bytes)",
                tensor.shape,
                expected.saturating_mul(size),
                bytes.len() / size,
                bytes.len()
            ),
        ));
    }
    Ok(match datatype {
        DataType::Fp64 => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8")))
            .collect(),
        DataType::Fp32 => bytes
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes(b.try_into().expect("chunks of 4"))))
            .collect(),
    })
}
