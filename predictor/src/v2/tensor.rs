//! V2 input tensors to rows in model order: one `[N, F]` tensor, or one `[N]` tensor per
//! model column matched by name; each checked against its shape and datatype.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ndarray::Array2;

use super::wire::WireTensor;
use crate::columns::{ColumnError, Columns};
use crate::error::PredictError;
use crate::model::Model;

/// The two element types a tensor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataType {
    Fp64,
    Fp32,
}

/// The request's inputs, checked against the model.
pub(super) struct Inputs<'a> {
    pub(super) model: &'a Model,
    pub(super) max_rows: usize,
    pub(super) inputs: &'a [WireTensor],
}

impl Inputs<'_> {
    pub(super) fn rows(&self) -> Result<Array2<f64>, PredictError> {
        let width = self.model.n_features();
        match self.inputs {
            [] => Err(PredictError::InvalidInferRequest(format!(
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
        let names = self.inputs.iter().map(|tensor| tensor.name.as_str());
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
    PredictError::InvalidInferRequest(format!("input {:?}: {message}", tensor.name))
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
            // NaN is a missing value, in FP32 as in FP64.
            if single.is_infinite() {
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
