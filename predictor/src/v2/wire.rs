//! The V2 infer request as it is sent: serde types for its JSON (with the binary tensor
//! extension's parameters), and a visitor that reads a tensor's `data` (flat or nested)
//! into one flat vector while recording its nesting.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct WireRequest {
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) parameters: Option<RequestParameters>,
    pub(super) inputs: Vec<WireTensor>,
    #[serde(default)]
    pub(super) outputs: Option<Vec<RequestedOutput>>,
}

#[derive(Default, Deserialize)]
pub(super) struct RequestParameters {
    #[serde(default)]
    pub(super) scaling: Option<String>,
    /// The binary tensor extension: every output as binary data (unless the output says).
    #[serde(default)]
    pub(super) binary_data_output: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct RequestedOutput {
    pub(super) name: String,
    #[serde(default)]
    pub(super) parameters: Option<OutputParameters>,
}

#[derive(Deserialize)]
pub(crate) struct OutputParameters {
    /// The binary tensor extension: this output as binary data.
    #[serde(default)]
    pub(super) binary_data: Option<bool>,
}

#[derive(Deserialize)]
pub(super) struct WireTensor {
    pub(super) name: String,
    pub(super) shape: Vec<i64>,
    pub(super) datatype: String,
    /// Absent when the data is binary (`parameters.binary_data_size`).
    #[serde(default)]
    pub(super) data: Option<TensorData>,
    #[serde(default)]
    pub(super) parameters: Option<TensorParameters>,
}

#[derive(Deserialize)]
pub(super) struct TensorParameters {
    /// The binary tensor extension: the tensor's bytes follow the JSON header.
    #[serde(default)]
    pub(super) binary_data_size: Option<u64>,
}

/// A tensor's `data`, flattened row-major, with the nesting it was sent in.
#[derive(Debug, Default)]
pub(super) struct TensorData {
    pub(super) values: Vec<f64>,
    /// Lengths of the arrays at each depth (`[len]` for flat data).
    pub(super) dims: Vec<usize>,
    /// The nesting is not rectangular, or mixes numbers and arrays at one depth.
    pub(super) ragged: bool,
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

    /// `null`: a missing value (JSON has no NaN), which the model takes or refuses.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.number(f64::NAN)
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
