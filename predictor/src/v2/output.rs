//! What a model answered as V2 output tensors, transport-neutral: the REST JSON codec,
//! its binary tensor extension and gRPC all write the same names, datatypes, shapes and
//! values, from `output_tensors`.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use model_format::Label;

use super::{label_kind, predict_datatype, OUTPUT};
use crate::model::{Model, Predictions};
use crate::payload::Output;

/// One output tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputTensor<'a> {
    pub name: &'static str,
    pub datatype: &'static str,
    pub shape: Vec<usize>,
    pub data: OutputValues<'a>,
}

/// An output tensor's elements, row-major, typed as its datatype says.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputValues<'a> {
    /// `FP64`: a regressor's values, probabilities, float labels.
    Fp64(Cow<'a, [f64]>),
    /// `INT64` labels.
    Int64(Vec<i64>),
    /// `BOOL` labels.
    Bool(Vec<bool>),
    /// `BYTES` labels: each one's UTF-8 text.
    Bytes(Vec<Cow<'a, [u8]>>),
}

impl OutputValues<'_> {
    /// How many elements.
    pub fn len(&self) -> usize {
        match self {
            OutputValues::Fp64(v) => v.len(),
            OutputValues::Int64(v) => v.len(),
            OutputValues::Bool(v) => v.len(),
            OutputValues::Bytes(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as the binary tensor extension and gRPC's `raw_output_contents` hold
    /// them: little-endian numbers, a BOOL as one byte (0 or 1), each BYTES element as a
    /// 4-byte little-endian length and then its bytes.
    pub fn write_raw(&self, out: &mut Vec<u8>) {
        match self {
            OutputValues::Fp64(values) => {
                out.reserve(values.len() * 8);
                values
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            }
            OutputValues::Int64(values) => {
                out.reserve(values.len() * 8);
                values
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            }
            OutputValues::Bool(values) => out.extend(values.iter().map(|&b| u8::from(b))),
            OutputValues::Bytes(values) => {
                for value in values {
                    // A label longer than 4 GiB is not a label a model file holds.
                    let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(value);
                }
            }
        }
    }

    /// `write_raw` into a new buffer.
    pub fn to_raw(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_raw(&mut out);
        out
    }
}

/// JSON `data`: a flat array of numbers, booleans or strings.
impl Serialize for OutputValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OutputValues::Fp64(values) => values.serialize(serializer),
            OutputValues::Int64(values) => values.serialize(serializer),
            OutputValues::Bool(values) => values.serialize(serializer),
            OutputValues::Bytes(values) => {
                let mut seq = serializer.serialize_seq(Some(values.len()))?;
                for value in values {
                    seq.serialize_element(&String::from_utf8_lossy(value))?;
                }
                seq.end()
            }
        }
    }
}

/// The tensors of `outputs` (in that order) for what the model answered: `predict`, `[N]`
/// (a regressor's FP64 values; a classifier's labels as `predict_datatype` says), and
/// `predict_proba`, FP64 `[N, K]`. An output the predictions do not hold (`predict_proba`
/// of predictions made without probabilities) is left out.
pub fn output_tensors<'a>(
    model: &'a Model,
    predictions: &'a Predictions,
    outputs: &[Output],
) -> Vec<OutputTensor<'a>> {
    let classes = model.classes();
    outputs
        .iter()
        .filter_map(|output| match (output, predictions) {
            (Output::Predict, Predictions::Values(values)) => Some(OutputTensor {
                name: OUTPUT,
                datatype: "FP64",
                shape: vec![values.len()],
                data: OutputValues::Fp64(Cow::Borrowed(values)),
            }),
            (Output::Predict, Predictions::Classes { labels, .. }) => Some(OutputTensor {
                name: OUTPUT,
                datatype: predict_datatype(model),
                shape: vec![labels.len()],
                data: label_values(labels, classes),
            }),
            (
                Output::PredictProba,
                Predictions::Classes {
                    labels,
                    proba: Some(proba),
                },
            ) => Some(OutputTensor {
                name: Output::PredictProba.as_str(),
                datatype: "FP64",
                shape: vec![labels.len(), classes.len()],
                data: OutputValues::Fp64(Cow::Borrowed(proba)),
            }),
            (Output::PredictProba, _) => None,
        })
        .collect()
}

/// Class indices as their labels, typed as the labels are (every label as text, BYTES,
/// should they mix kinds).
fn label_values<'a>(indices: &[u32], classes: &'a [Label]) -> OutputValues<'a> {
    // An estimator answers indices below K; were one not, its label would be the first.
    let label = |i: u32| {
        usize::try_from(i)
            .ok()
            .and_then(|i| classes.get(i))
            .or(classes.first())
    };
    let labels = indices.iter().map(|&i| label(i));
    match label_kind(classes) {
        Some(model_format::LabelKind::Int) => OutputValues::Int64(
            labels
                .map(|l| match l {
                    Some(Label::Int(v)) => *v,
                    _ => 0,
                })
                .collect(),
        ),
        Some(model_format::LabelKind::Float) => OutputValues::Fp64(Cow::Owned(
            labels
                .map(|l| match l {
                    Some(Label::Float(v)) => *v,
                    _ => f64::NAN,
                })
                .collect(),
        )),
        Some(model_format::LabelKind::Bool) => OutputValues::Bool(
            labels
                .map(|l| matches!(l, Some(Label::Bool(true))))
                .collect(),
        ),
        Some(model_format::LabelKind::Str) | None => OutputValues::Bytes(
            labels
                .map(|l| match l {
                    Some(Label::Str(s)) => Cow::Borrowed(s.as_bytes()),
                    Some(other) => Cow::Owned(label_text(other).into_bytes()),
                    None => Cow::Borrowed(&[][..]),
                })
                .collect(),
        ),
    }
}

/// A label as text (a BYTES element): a string as it is, a number or boolean as JSON
/// prints it.
fn label_text(label: &Label) -> String {
    match label {
        Label::Str(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_of(indices: &[u32], classes: &[Label]) -> (OutputValues<'static>, Vec<u8>) {
        let values = label_values(indices, classes);
        let raw = values.to_raw();
        let owned = match values {
            OutputValues::Fp64(v) => OutputValues::Fp64(Cow::Owned(v.into_owned())),
            OutputValues::Int64(v) => OutputValues::Int64(v),
            OutputValues::Bool(v) => OutputValues::Bool(v),
            OutputValues::Bytes(v) => {
                OutputValues::Bytes(v.into_iter().map(|b| Cow::Owned(b.into_owned())).collect())
            }
        };
        (owned, raw)
    }

    #[test]
    fn labels_take_their_kind_and_raw_form() {
        let (values, raw) = raw_of(&[1, 0, 1], &[Label::Bool(false), Label::Bool(true)]);
        assert_eq!(values, OutputValues::Bool(vec![true, false, true]));
        assert_eq!(raw, [1, 0, 1]);

        let (values, raw) = raw_of(&[1], &[Label::Int(-2), Label::Int(7)]);
        assert_eq!(values, OutputValues::Int64(vec![7]));
        assert_eq!(raw, 7i64.to_le_bytes());

        let (values, raw) = raw_of(&[0], &[Label::Float(0.5), Label::Float(2.0)]);
        assert_eq!(values, OutputValues::Fp64(Cow::Owned(vec![0.5])));
        assert_eq!(raw, 0.5f64.to_le_bytes());

        let (values, raw) = raw_of(&[1, 0], &[Label::Str("a".into()), Label::Str("bcd".into())]);
        assert_eq!(values.len(), 2);
        assert_eq!(raw, [3, 0, 0, 0, b'b', b'c', b'd', 1, 0, 0, 0, b'a']);

        // Mixed kinds: every label as text, one BYTES tensor.
        let (_, raw) = raw_of(&[0, 1], &[Label::Int(1), Label::Str("x".into())]);
        assert_eq!(raw, [1, 0, 0, 0, b'1', 1, 0, 0, 0, b'x']);
    }

    #[test]
    fn json_data_is_numbers_booleans_or_strings() {
        let json = |v: &OutputValues<'_>| serde_json::to_string(v).unwrap();
        assert_eq!(json(&OutputValues::Bool(vec![true, false])), "[true,false]");
        assert_eq!(json(&OutputValues::Int64(vec![-1, 2])), "[-1,2]");
        assert_eq!(
            json(&OutputValues::Fp64(Cow::Owned(vec![0.1, 2.0]))),
            "[0.1,2.0]"
        );
        assert_eq!(
            json(&OutputValues::Bytes(vec![Cow::Borrowed(&b"a\"b"[..])])),
            r#"["a\"b"]"#
        );
    }
}
