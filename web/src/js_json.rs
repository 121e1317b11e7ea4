//! JavaScript values into the server's JSON tree, for `predict`: a direct walk with
//! js-sys instead of `JSON.stringify` + a JSON parser, or serde's deserializer, both of
//! which would ship tens of kilobytes (a float parser, a float printer for error
//! messages) in a module whose download size is a feature.
//!
//! It reads what `JSON.stringify` would write, with three differences that make errors
//! clearer: NaN and infinities stay numbers (and are refused as cells, by name),
//! `undefined` is null, and functions, symbols and BigInts are refused instead of
//! silently dropped. Typed arrays and `Map`s are read as arrays and objects. Containers
//! below `json::MAX_DEPTH` keep only their kind, so a cyclic object cannot loop.

use js_sys::{Array, ArrayBuffer, Map, Object};
use wasm_bindgen::{JsCast, JsValue};

use predictor::json::{Json, MAX_DEPTH};

/// The JSON tree of `value`, or what it holds that JSON cannot ("a function, which
/// JSON cannot hold").
pub fn to_json(value: &JsValue) -> Result<Json, String> {
    at_depth(value, 0)
}

fn at_depth(value: &JsValue, depth: usize) -> Result<Json, String> {
    if value.is_null() || value.is_undefined() {
        return Ok(Json::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Json::Bool(b));
    }
    if let Some(x) = value.as_f64() {
        return Ok(Json::Number(x));
    }
    if let Some(s) = value.as_string() {
        return Ok(Json::String(s));
    }
    if Array::is_array(value) || ArrayBuffer::is_view(value) {
        if depth >= MAX_DEPTH {
            return Ok(Json::Array(Vec::new()));
        }
        // Array::from copies a typed array's numbers; for an array it is a shallow copy.
        let items = Array::from(value);
        let mut out = Vec::with_capacity(items.length() as usize);
        for item in items.iter() {
            out.push(at_depth(&item, depth + 1)?);
        }
        return Ok(Json::Array(out));
    }
    if value.is_object() {
        if depth >= MAX_DEPTH {
            return Ok(Json::Object(Vec::new()));
        }
        let object: Object = match value.dyn_ref::<Map>() {
            Some(map) => Object::from_entries(map).map_err(|_| "a Map that cannot be read")?,
            None => value.clone().unchecked_into(),
        };
        let entries = Object::entries(&object);
        let mut members = Vec::with_capacity(entries.length() as usize);
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry
                .get(0)
                .as_string()
                .ok_or("an object key that is not a string")?;
            members.push((key, at_depth(&entry.get(1), depth + 1)?));
        }
        return Ok(Json::Object(members));
    }
    // typeof says "function", "symbol" or "bigint".
    let kind = value.js_typeof().as_string().unwrap_or_default();
    Err(format!("a {kind}, which JSON cannot hold"))
}
