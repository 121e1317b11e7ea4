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
//!
//! A page may hand over anything: every JavaScript operation that can run user code (a
//! getter, a proxy's trap, a revoked proxy) is called through a binding that catches what
//! it throws, which becomes an `Error` naming it, so nothing unwinds through the module;
//! and an array's `length` is checked against what is left of [`MAX_VALUES`] before it is
//! copied, so a sparse `[]` with `length = 2**32 - 1` is refused at once instead of being
//! materialised (seconds, then out of memory: a trap).

use js_sys::{Array, ArrayBuffer, JsString, Map, Object};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use predictor::json::{Json, MAX_DEPTH};

/// Most values (cells, rows, columns) one payload may hold: 2^23, about 8 million cells,
/// a few hundred MB as a tree. `predictRows` takes larger batches, as a `Float64Array`.
pub const MAX_VALUES: usize = 1 << 23;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn try_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn try_array_from(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn try_entries(object: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = fromEntries)]
    fn try_from_entries(map: &JsValue) -> Result<Object, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn try_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = String)]
    fn try_string(value: &JsValue) -> Result<JsString, JsValue>;
}

/// The JSON tree of `value`, or what it holds that JSON cannot ("a function, which
/// JSON cannot hold"), or what went wrong reading it.
pub fn to_json(value: &JsValue) -> Result<Json, String> {
    let mut budget = MAX_VALUES;
    at_depth(value, 0, &mut budget)
}

/// What a getter or proxy threw, as text (if even that can be had).
fn thrown(what: &str, error: JsValue) -> String {
    let text = match error.dyn_ref::<js_sys::Error>() {
        Some(error) => try_get(error, &JsValue::from_str("message")).ok(),
        None => Some(error),
    }
    .and_then(|v| try_string(&v).ok())
    .map(String::from)
    .unwrap_or_else(|| "a value that cannot be shown".into());
    format!("a value whose {what} threw: {text}")
}

fn at_depth(value: &JsValue, depth: usize, budget: &mut usize) -> Result<Json, String> {
    if *budget == 0 {
        return Err(too_many());
    }
    *budget -= 1;
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
    let is_array = try_is_array(value).map_err(|e| thrown("Array.isArray check", e))?;
    if is_array || ArrayBuffer::is_view(value) {
        if depth >= MAX_DEPTH {
            return Ok(Json::Array(Vec::new()));
        }
        let length = try_get(value, &JsValue::from_str("length"))
            .map_err(|e| thrown("length", e))?
            .as_f64()
            .unwrap_or(0.0);
        if length > *budget as f64 {
            return Err(too_many());
        }
        // Array.from copies a typed array's numbers; for an array it is a shallow copy.
        let items = try_array_from(value).map_err(|e| thrown("items", e))?;
        let mut out = Vec::with_capacity(items.length() as usize);
        for item in items.iter() {
            out.push(at_depth(&item, depth + 1, budget)?);
        }
        return Ok(Json::Array(out));
    }
    if value.is_object() {
        if depth >= MAX_DEPTH {
            return Ok(Json::Object(Vec::new()));
        }
        let object: JsValue = match value.dyn_ref::<Map>() {
            Some(map) => try_from_entries(map)
                .map_err(|e| thrown("Map entries", e))?
                .into(),
            None => value.clone(),
        };
        let entries = try_entries(&object).map_err(|e| thrown("properties", e))?;
        if entries.length() as usize > *budget {
            return Err(too_many());
        }
        let mut members = Vec::with_capacity(entries.length() as usize);
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry
                .get(0)
                .as_string()
                .ok_or("an object key that is not a string")?;
            members.push((key, at_depth(&entry.get(1), depth + 1, budget)?));
        }
        return Ok(Json::Object(members));
    }
    // typeof says "function", "symbol" or "bigint".
    let kind = value.js_typeof().as_string().unwrap_or_default();
    Err(format!("a {kind}, which JSON cannot hold"))
}

fn too_many() -> String {
    format!("more than {MAX_VALUES} values; send large batches to predictRows as a Float64Array")
}
