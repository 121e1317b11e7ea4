//! Compiles the default model into the crate: parses and validates the model file and
//! renders it as Rust statics with `model_format` (the same code the runtime loads models
//! with) into `$OUT_DIR/embedded_model.rs`, so nothing is parsed or laid out at start-up.
//!
//! The file is `model_data/boston_housing.model.json` unless `EDGE_PREDICTOR_MODEL` names
//! another one. What is embedded depends on the target (`EmbedOptions::for_target`).

use std::path::PathBuf;
use std::{env, fs};

use model_format::embed::{self, EmbedOptions};
use model_format::ModelFile;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo::rerun-if-env-changed=EDGE_PREDICTOR_MODEL");
    let path = match env::var_os("EDGE_PREDICTOR_MODEL") {
        Some(p) => PathBuf::from(p),
        None => manifest_dir.join("../model_data/boston_housing.model.json"),
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let bytes = fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read the model to embed, {}: {e}", path.display()));
    let model = ModelFile::parse(&bytes)
        .unwrap_or_else(|e| panic!("cannot embed {}: {}", path.display(), e.message()));
    let options = EmbedOptions::for_target(
        &env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default(),
        &env::var("CARGO_CFG_TARGET_OS").unwrap_or_default(),
    );
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("embedded_model.rs");
    let source = embed::render(&model, &options)
        .unwrap_or_else(|e| panic!("cannot embed {}: {}", path.display(), e.message()));
    fs::write(&out, source).unwrap();
}
