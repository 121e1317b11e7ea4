//! The model file loader on structure-aware mutations of the real model: cycles and
//! out-of-range child indices, out-of-range features, NaN/infinite/huge numbers, wrong
//! lengths, many trees. A typed `ModelError` or a model that predicts; never a panic.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use predictor::{Model, Scaling};
use serde_json::Value;

const MODEL: &[u8] = include_bytes!("../../model_data/boston_housing.model.json");

/// Texts JSON numbers cannot hold (or that a field must refuse), spliced in verbatim.
const RAW: &[&str] = &[
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1e308",
    "-0",
    "null",
    "true",
    "\"0\"",
    "[]",
    "{}",
    "4294967295",
    "4294967296",
    "-2",
    "-1",
    "18446744073709551616",
    "2147483648",
    "0.5",
    "1e-320",
];

#[derive(Arbitrary, Debug)]
enum Field {
    ChildrenLeft,
    ChildrenRight,
    Feature,
    Threshold,
    Value,
}

impl Field {
    fn key(&self) -> &'static str {
        match self {
            Field::ChildrenLeft => "children_left",
            Field::ChildrenRight => "children_right",
            Field::Feature => "feature",
            Field::Threshold => "threshold",
            Field::Value => "value",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Mutation {
    /// A tree array cell to an integer (children: cycles, self-loops, out of range).
    SetInt {
        tree: u16,
        field: Field,
        node: u16,
        value: i64,
    },
    /// A tree array cell to a float.
    SetFloat {
        tree: u16,
        field: Field,
        node: u16,
        value: f64,
    },
    /// A tree array cell to a raw text (NaN, 1e400, null, ...).
    SetRaw {
        tree: u16,
        field: Field,
        node: u16,
        raw: u8,
    },
    /// A child to its own node or its parent's index: a cycle.
    Cycle {
        tree: u16,
        node: u16,
        left: bool,
        back: u8,
    },
    /// A tree's array cut to `len`.
    Truncate { tree: u16, field: Field, len: u16 },
    /// A tree's array grown by `extra` copies of its last cell.
    Extend { tree: u16, field: Field, extra: u16 },
    /// The trees repeated (huge counts).
    RepeatTrees { times: u8 },
    /// Trees dropped down to `keep`.
    KeepTrees { keep: u16 },
    /// A top-level or estimator/scaler key set to a raw text.
    SetKeyRaw { at: u8, raw: u8 },
    /// A top-level or estimator/scaler key removed.
    RemoveKey { at: u8 },
    /// A scaler mean/scale entry set to a float.
    SetScaler { scale: bool, index: u8, value: f64 },
    /// A feature renamed (duplicates, empty names).
    RenameFeature { index: u8, name: String },
}

/// (object path, key) of the keys `SetKeyRaw`/`RemoveKey` reach.
const KEYS: &[(&str, &str)] = &[
    ("", "format"),
    ("", "format_version"),
    ("", "features"),
    ("", "scaler"),
    ("", "estimator"),
    ("", "name"),
    ("estimator", "kind"),
    ("estimator", "loss"),
    ("estimator", "learning_rate"),
    ("estimator", "init"),
    ("estimator", "trees"),
    ("scaler", "kind"),
    ("scaler", "mean"),
    ("scaler", "scale"),
];

/// Most trees a mutated model holds: `RepeatTrees` grows to this. 40 is past every
/// grouping the loader and kernels have (8 padded trees side by side, 16 ranked ones) and
/// the remainders after them; the real model's 100 would only make each run slower (a
/// 400-tree file of about 1 MB held this target at ~170 exec/s under AddressSanitizer).
/// Counts too large to build are `SetInt`'s huge values on the tree arrays and keys.
const MAX_TREES: usize = 40;

/// The real model cut to its first BASE_TREES trees, so one run parses fast (the full
/// model is 290 KB); `RepeatTrees` makes big ones.
const BASE_TREES: usize = 4;

fn original() -> &'static Value {
    static ORIGINAL: OnceLock<Value> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let mut model: Value = serde_json::from_slice(MODEL).expect("the model file is JSON");
        trees(&mut model)
            .expect("the model has trees")
            .truncate(BASE_TREES);
        model
    })
}

fn trees(model: &mut Value) -> Option<&mut Vec<Value>> {
    model.pointer_mut("/estimator/trees")?.as_array_mut()
}

fn cell<'v>(model: &'v mut Value, tree: u16, field: &Field, node: u16) -> Option<&'v mut Value> {
    let trees = trees(model)?;
    if trees.is_empty() {
        return None;
    }
    let n = trees.len();
    let array = trees[usize::from(tree) % n]
        .get_mut(field.key())?
        .as_array_mut()?;
    if array.is_empty() {
        return None;
    }
    let m = array.len();
    array.get_mut(usize::from(node) % m)
}

fn raw_marker(raws: &mut Vec<&'static str>, raw: u8) -> Value {
    raws.push(RAW[usize::from(raw) % RAW.len()]);
    Value::String(format!("@@RAW{}@@", raws.len() - 1))
}

fn apply(model: &mut Value, mutation: &Mutation, raws: &mut Vec<&'static str>) {
    match mutation {
        Mutation::SetInt {
            tree,
            field,
            node,
            value,
        } => {
            if let Some(c) = cell(model, *tree, field, *node) {
                *c = Value::from(*value);
            }
        }
        Mutation::SetFloat {
            tree,
            field,
            node,
            value,
        } => {
            if let (Some(c), Some(n)) = (
                cell(model, *tree, field, *node),
                serde_json::Number::from_f64(*value),
            ) {
                *c = Value::Number(n);
            }
        }
        Mutation::SetRaw {
            tree,
            field,
            node,
            raw,
        } => {
            let marker = raw_marker(raws, *raw);
            if let Some(c) = cell(model, *tree, field, *node) {
                *c = marker;
            }
        }
        Mutation::Cycle {
            tree,
            node,
            left,
            back,
        } => {
            let field = if *left {
                Field::ChildrenLeft
            } else {
                Field::ChildrenRight
            };
            let target = i64::from(*node) - i64::from(*back % 4);
            if let Some(c) = cell(model, *tree, &field, *node) {
                *c = Value::from(target.max(0));
            }
        }
        Mutation::Truncate { tree, field, len } => {
            if let Some(trees) = trees(model).filter(|t| !t.is_empty()) {
                let n = trees.len();
                if let Some(a) = trees[usize::from(*tree) % n]
                    .get_mut(field.key())
                    .and_then(Value::as_array_mut)
                {
                    a.truncate(usize::from(*len));
                }
            }
        }
        Mutation::Extend { tree, field, extra } => {
            if let Some(trees) = trees(model).filter(|t| !t.is_empty()) {
                let n = trees.len();
                if let Some(a) = trees[usize::from(*tree) % n]
                    .get_mut(field.key())
                    .and_then(Value::as_array_mut)
                {
                    if let Some(last) = a.last().cloned() {
                        a.extend(std::iter::repeat_n(last, usize::from(*extra % 512)));
                    }
                }
            }
        }
        Mutation::RepeatTrees { times } => {
            // Up to MAX_TREES trees: many, yet bounded (the harness's memory, not the loader's).
            if let Some(trees) = trees(model).filter(|t| !t.is_empty()) {
                let copy = trees.clone();
                let times = usize::from(*times).min(MAX_TREES / copy.len());
                for _ in 0..times {
                    if trees.len() + copy.len() > MAX_TREES {
                        break;
                    }
                    trees.extend(copy.iter().cloned());
                }
            }
        }
        Mutation::KeepTrees { keep } => {
            if let Some(trees) = trees(model) {
                trees.truncate(usize::from(*keep));
            }
        }
        Mutation::SetKeyRaw { at, raw } => {
            let (path, key) = KEYS[usize::from(*at) % KEYS.len()];
            let marker = raw_marker(raws, *raw);
            let object = if path.is_empty() {
                Some(&mut *model)
            } else {
                model.get_mut(path)
            };
            if let Some(o) = object.and_then(Value::as_object_mut) {
                o.insert(key.to_string(), marker);
            }
        }
        Mutation::RemoveKey { at } => {
            let (path, key) = KEYS[usize::from(*at) % KEYS.len()];
            let object = if path.is_empty() {
                Some(&mut *model)
            } else {
                model.get_mut(path)
            };
            if let Some(o) = object.and_then(Value::as_object_mut) {
                o.remove(key);
            }
        }
        Mutation::SetScaler {
            scale,
            index,
            value,
        } => {
            let key = if *scale {
                "/scaler/scale"
            } else {
                "/scaler/mean"
            };
            if let (Some(a), Some(n)) = (
                model.pointer_mut(key).and_then(Value::as_array_mut),
                serde_json::Number::from_f64(*value),
            ) {
                if !a.is_empty() {
                    let m = a.len();
                    a[usize::from(*index) % m] = Value::Number(n);
                }
            }
        }
        Mutation::RenameFeature { index, name } => {
            if let Some(a) = model.get_mut("features").and_then(Value::as_array_mut) {
                if !a.is_empty() {
                    let m = a.len();
                    a[usize::from(*index) % m] = Value::String(name.clone());
                }
            }
        }
    }
}

/// `text` with each `"@@RAWi@@"` marker replaced by `raws[i]`, in one pass.
fn splice_raws(text: &str, raws: &[&str]) -> String {
    const OPEN: &str = "\"@@RAW";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match (
            after[..digits].parse::<usize>(),
            after[digits..].strip_prefix("@@\""),
        ) {
            (Ok(i), Some(tail)) if i < raws.len() => {
                out.push_str(raws[i]);
                rest = tail;
            }
            _ => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fuzz_target!(|mutations: Vec<Mutation>| {
    let mut model = original().clone();
    let mut raws = Vec::new();
    for mutation in mutations.iter().take(16) {
        apply(&mut model, mutation, &mut raws);
    }
    let text = splice_raws(
        &serde_json::to_string(&model).expect("a Value serializes"),
        &raws,
    );
    if let Ok(model) = Model::from_json(text.as_bytes()) {
        let row = vec![0.5; model.n_features()];
        for scaling in [Scaling::Training, Scaling::PerRequest] {
            let _ = model.predict_flat(&row, scaling);
        }
    }
});
