//! A JSON tree that keeps what request validation needs and `serde_json::Value` drops:
//! object keys in their order, duplicates included, so a payload that names a column
//! twice is refused instead of silently keeping the last value. It is read from JSON text
//! (`Json::parse`) or, in the browser module, straight from a JavaScript value through
//! serde-wasm-bindgen.

use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use crate::error::PredictError;

/// Containers at this depth or deeper keep only their kind (an empty array or object):
/// every payload shape has its cells at depth 2, so nothing below a cell is ever read,
/// and a cyclic JavaScript object cannot send the walk round forever.
pub const MAX_DEPTH: usize = 2;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses a request body. Numbers are read exactly (serde_json `float_roundtrip`);
    /// a number too large for float64 is an error, as are NaN and Infinity literals.
    pub fn parse(body: &[u8]) -> Result<Json, PredictError> {
        serde_json::from_slice(body).map_err(|e| PredictError::InvalidJson(e.to_string()))
    }

    /// What kind of value this is, for error messages ("an object", "a string").
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Refuses an object that holds the same key twice.
    pub fn check_unique_keys(members: &[(String, Json)]) -> Result<(), PredictError> {
        let duplicate = |key: &String| Err(PredictError::DuplicateKey(key.clone()));
        if members.len() <= 16 {
            // A record's handful of columns: comparing pairs beats building a set.
            for (i, (key, _)) in members.iter().enumerate() {
                if members[..i].iter().any(|(k, _)| k == key) {
                    return duplicate(key);
                }
            }
        } else {
            // A column's row keys can number many thousands: stay O(n log n).
            let mut seen = BTreeSet::new();
            for (key, _) in members {
                if !seen.insert(key.as_str()) {
                    return duplicate(key);
                }
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        JsonAt { depth: 0 }.deserialize(deserializer)
    }
}

/// Reads one value found at `depth` (the top value is at 0).
#[derive(Clone, Copy)]
struct JsonAt {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for JsonAt {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonAt {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Json::Array(Vec::new()));
        }
        let inner = JsonAt {
            depth: self.depth + 1,
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        if self.depth >= MAX_DEPTH {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Json::Object(Vec::new()));
        }
        let inner = JsonAt {
            depth: self.depth + 1,
        };
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(inner)?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Json, E> {
        Err(E::custom("bytes are not JSON"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let v = Json::parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        let Json::Object(m) = v else { panic!() };
        assert_eq!(m.len(), 3);
        assert!(Json::check_unique_keys(&m).is_err());
    }

    #[test]
    fn finds_a_duplicate_among_many_keys() {
        let mut members: Vec<(String, Json)> =
            (0..10_000).map(|i| (i.to_string(), Json::Null)).collect();
        assert!(Json::check_unique_keys(&members).is_ok());
        members.push(("4321".to_string(), Json::Null));
        assert_eq!(
            Json::check_unique_keys(&members),
            Err(PredictError::DuplicateKey("4321".to_string()))
        );
    }

    #[test]
    fn reads_decimals_exactly() {
        // 0.1 + 2^-56: the default (non-roundtrip) serde_json parser is 1 ulp off here.
        let v = Json::parse(b"[6.575, 0.30000000000000004, 2.2250738585072014e-308]").unwrap();
        let Json::Array(a) = v else { panic!() };
        let bits: Vec<u64> = a
            .iter()
            .map(|j| match j {
                Json::Number(x) => x.to_bits(),
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            bits,
            [
                6.575f64.to_bits(),
                0.30000000000000004f64.to_bits(),
                2.2250738585072014e-308f64.to_bits()
            ]
        );
    }

    #[test]
    fn keeps_only_the_kind_of_containers_below_a_cell() {
        let v = Json::parse(br#"[[1, [2, [3]], {"a": {"b": 4}}]]"#).unwrap();
        let cells = Json::Array(vec![Json::Array(vec![
            Json::Number(1.0),
            Json::Array(Vec::new()),
            Json::Object(Vec::new()),
        ])]);
        assert_eq!(v, cells);
        // What is skipped is still checked as JSON.
        assert!(matches!(
            Json::parse(b"[[[1, }]]]"),
            Err(PredictError::InvalidJson(_))
        ));
    }

    #[test]
    fn refuses_nan_literals_and_overflow() {
        assert!(matches!(
            Json::parse(b"[NaN]"),
            Err(PredictError::InvalidJson(_))
        ));
        assert!(matches!(
            Json::parse(b"[1e400]"),
            Err(PredictError::InvalidJson(_))
        ));
    }
}
