//! A classifier's class labels as the model file lists them (`classes`, scikit-learn's
//! `classes_` in order): JSON integers, strings, booleans or floats, answered as they came.

use alloc::string::String;
use serde::{Deserialize, Serialize};

/// One class label. `predict` answers labels, never class indices.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Label {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// What the labels of one classifier are, for typed outputs (V2's `INT64`, `BYTES`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelKind {
    Bool,
    Int,
    Float,
    Str,
}

impl Label {
    pub fn kind(&self) -> LabelKind {
        match self {
            Label::Bool(_) => LabelKind::Bool,
            Label::Int(_) => LabelKind::Int,
            Label::Float(_) => LabelKind::Float,
            Label::Str(_) => LabelKind::Str,
        }
    }
}
