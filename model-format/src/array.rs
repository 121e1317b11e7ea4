//! The numeric arrays of a version 2 model file: `{"dtype", "shape", "data"}`, the C-order
//! little-endian bytes in base64 (model_data/README.md, "Encoding"), decoded into typed
//! vectors whose length is checked against the shape. Decoding never allocates more than
//! the base64 text it reads.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use serde::Deserialize;

use crate::error::fail;
use crate::ModelError;

/// An array as written: numpy's dtype string, the shape, the base64 of the bytes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayFile {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data: String,
}

/// A decoded array: `values` in C order, `values.len()` the product of `shape`.
#[derive(Debug, Clone, PartialEq)]
pub struct Array<T> {
    pub shape: Vec<usize>,
    pub values: Vec<T>,
}

/// The element types the exporter writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    F64,
    Signed(usize),
    Unsigned(usize),
    Bool,
}

impl Element {
    fn of(dtype: &str) -> Option<Element> {
        Some(match dtype {
            "<f8" => Element::F64,
            "|i1" | "<i1" => Element::Signed(1),
            "<i2" => Element::Signed(2),
            "<i4" => Element::Signed(4),
            "<i8" => Element::Signed(8),
            "|u1" | "<u1" => Element::Unsigned(1),
            "<u2" => Element::Unsigned(2),
            "<u4" => Element::Unsigned(4),
            "<u8" => Element::Unsigned(8),
            "|b1" => Element::Bool,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Element::F64 => 8,
            Element::Signed(n) | Element::Unsigned(n) => n,
            Element::Bool => 1,
        }
    }
}

impl ArrayFile {
    /// The raw bytes and element type, with the byte count checked against the shape.
    fn decode(&self, field: &str) -> Result<(Vec<u8>, Element), ModelError> {
        let Some(element) = Element::of(&self.dtype) else {
            return fail(format!(
                "{field}: dtype {:?} is not one this format uses (\"<f8\", \"<i1\"..\"<i8\", \"|u1\"..\"<u8\", \"|b1\")",
                self.dtype
            ));
        };
        let count = self
            .shape
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(*d))
            .and_then(|n| n.checked_mul(element.size()));
        // The decoded bytes are at most 3/4 of the text: a shape that claims more is wrong
        // before anything is allocated.
        let Some(count) = count.filter(|n| *n <= self.data.len()) else {
            return fail(format!(
                "{field}: shape {:?} of {} does not match its {} base64 characters",
                self.shape,
                self.dtype,
                self.data.len()
            ));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.data.as_bytes())
            .map_err(|e| ModelError::new(format!("{field}: data is not base64: {e}")))?;
        if bytes.len() != count {
            return fail(format!(
                "{field}: shape {:?} of {} needs {count} bytes, data holds {}",
                self.shape,
                self.dtype,
                bytes.len()
            ));
        }
        Ok((bytes, element))
    }

    /// A float64 (`<f8`) array; its values may be NaN or infinite (the caller checks).
    pub fn f64s(&self, field: &str) -> Result<Array<f64>, ModelError> {
        let (bytes, element) = self.decode(field)?;
        if element != Element::F64 {
            return fail(format!(
                "{field}: dtype is {:?}, expected \"<f8\"",
                self.dtype
            ));
        }
        let values = bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8")))
            .collect();
        Ok(Array {
            shape: self.shape.clone(),
            values,
        })
    }

    /// An integer array of any width or signedness, widened to i64.
    pub fn i64s(&self, field: &str) -> Result<Array<i64>, ModelError> {
        let (bytes, element) = self.decode(field)?;
        let (size, signed) = match element {
            Element::Signed(n) => (n, true),
            Element::Unsigned(n) => (n, false),
            _ => {
                return fail(format!(
                    "{field}: dtype is {:?}, expected an integer dtype",
                    self.dtype
                ))
            }
        };
        let mut values = Vec::with_capacity(bytes.len() / size);
        for chunk in bytes.chunks_exact(size) {
            let mut wide = [0u8; 8];
            wide[..size].copy_from_slice(chunk);
            if signed && chunk[size - 1] & 0x80 != 0 {
                wide[size..].fill(0xff);
            }
            let value = i64::from_le_bytes(wide);
            if !signed && value < 0 {
                return fail(format!(
                    "{field}: {} is too large",
                    u64::from_le_bytes(wide)
                ));
            }
            values.push(value);
        }
        Ok(Array {
            shape: self.shape.clone(),
            values,
        })
    }

    /// A 0/1 flag array (`|u1` or `|b1`); any other byte is refused.
    pub fn flags(&self, field: &str) -> Result<Array<bool>, ModelError> {
        let (bytes, element) = self.decode(field)?;
        if !matches!(element, Element::Unsigned(1) | Element::Bool) {
            return fail(format!(
                "{field}: dtype is {:?}, expected \"|u1\" or \"|b1\"",
                self.dtype
            ));
        }
        let mut values = Vec::with_capacity(bytes.len());
        for (i, b) in bytes.iter().enumerate() {
            match b {
                0 => values.push(false),
                1 => values.push(true),
                _ => return fail(format!("{field}[{i}] is {b}, expected 0 or 1")),
            }
        }
        Ok(Array {
            shape: self.shape.clone(),
            values,
        })
    }
}

impl<T> Array<T> {
    /// The values, when the shape is exactly `shape`.
    pub fn with_shape(self, field: &str, shape: &[usize]) -> Result<Vec<T>, ModelError> {
        if self.shape != shape {
            return fail(format!(
                "{field}: shape is {:?}, expected {shape:?}",
                self.shape
            ));
        }
        Ok(self.values)
    }

    /// The values, when there are exactly `len` of them whatever the shape (scikit-learn
    /// stores some vectors as `[n]`, `[1, n]` or `[n, 1]` depending on the version).
    pub fn with_len(self, field: &str, len: usize) -> Result<Vec<T>, ModelError> {
        if self.values.len() != len {
            return fail(format!(
                "{field}: shape {:?} holds {} values, expected {len}",
                self.shape,
                self.values.len()
            ));
        }
        Ok(self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn array(dtype: &str, shape: &[usize], bytes: &[u8]) -> ArrayFile {
        ArrayFile {
            dtype: dtype.to_string(),
            shape: shape.to_vec(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    #[test]
    fn floats_decode_little_endian_bit_for_bit() {
        let values = [
            0.1f64,
            -0.0,
            f64::INFINITY,
            f64::from_bits(0x7ff8_0000_0000_0001),
        ];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let got = array("<f8", &[2, 2], &bytes).f64s("x").unwrap();
        assert_eq!(got.shape, vec![2, 2]);
        let bits: Vec<u64> = got.values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(bits, values.map(f64::to_bits));
    }

    #[test]
    fn narrow_integers_widen_with_their_sign() {
        let got = array("|i1", &[3], &[0xff, 0x7f, 0x80]).i64s("x").unwrap();
        assert_eq!(got.values, [-1, 127, -128]);
        let got = array("<u2", &[2], &[0xff, 0xff, 1, 0]).i64s("x").unwrap();
        assert_eq!(got.values, [65535, 1]);
        let got = array("<i4", &[1], &(-5i32).to_le_bytes())
            .i64s("x")
            .unwrap();
        assert_eq!(got.values, [-5]);
        let err = array("<u8", &[1], &u64::MAX.to_le_bytes()).i64s("x");
        assert!(err.unwrap_err().message().contains("too large"));
    }

    #[test]
    fn shape_dtype_and_base64_mismatches_name_the_field() {
        let err = |a: ArrayFile| a.f64s("estimator.coef").unwrap_err().message().to_string();
        assert!(err(array("<f8", &[3], &[0; 16])).contains("estimator.coef: shape [3]"));
        assert!(err(array("<f4", &[1], &[0; 4])).contains("dtype \"<f4\""));
        assert!(err(array("<i8", &[1], &[0; 8])).contains("expected \"<f8\""));
        let mut bad = array("<f8", &[1], &[0; 8]);
        bad.data.replace_range(0..1, "*");
        assert!(err(bad).contains("not base64"));
        // A shape claiming far more than the text holds is refused before allocating.
        assert!(err(array("<f8", &[usize::MAX, 2], &[])).contains("does not match"));
        assert!(err(array("<f8", &[1 << 40], &[0; 8])).contains("does not match"));
    }

    #[test]
    fn flags_are_zero_or_one() {
        assert_eq!(
            array("|u1", &[3], &[1, 0, 1]).flags("m").unwrap().values,
            [true, false, true]
        );
        let err = array("|u1", &[2], &[0, 2]).flags("m").unwrap_err();
        assert_eq!(err.message(), "m[1] is 2, expected 0 or 1");
    }

    #[test]
    fn shapes_are_checked_exactly_or_by_length() {
        let a = array("<f8", &[1, 2], &[0; 16]).f64s("c").unwrap();
        assert!(a.clone().with_shape("c", &[2]).is_err());
        assert_eq!(a.clone().with_shape("c", &[1, 2]).unwrap().len(), 2);
        assert_eq!(a.clone().with_len("c", 2).unwrap().len(), 2);
        assert!(a
            .with_len("c", 3)
            .unwrap_err()
            .message()
            .contains("expected 3"));
    }
}
