//! Compiles the default model into the crate: parses and validates the model file with
//! `model_format` (the same code the runtime loads models with), then embeds it in one of
//! two forms (`predictor::embedded` reads either):
//! - version 1's gradient boosting (the Boston model) is rendered as Rust statics into
//!   `$OUT_DIR/embedded_model.rs`, so nothing is parsed or laid out at start-up;
//! - any other model (every version 2 kind) is copied to `$OUT_DIR/embedded_model.json`
//!   for `include_bytes!` and parsed once, on first use (cfg `embedded_model_file`).
//!
//! The file is `model_data/boston_housing.model.json` unless `EDGE_PREDICTOR_MODEL` names
//! another one. What the statics hold depends on the target (`EmbedOptions::for_target`).

use std::path::PathBuf;
use std::{env, fs};

use model_format::embed::{self, EmbedOptions};
use model_format::ModelFile;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo::rerun-if-env-changed=EDGE_PREDICTOR_MODEL");
    println!("cargo::rustc-check-cfg=cfg(embedded_model_file)");
    let path = match env::var_os("EDGE_PREDICTOR_MODEL") {
        Some(p) => PathBuf::from(p),
        None => manifest_dir.join("../model_data/boston_housing.model.json"),
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let bytes = fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read the model to embed, {}: {e}", path.display()));
    let model = ModelFile::parse(&bytes)
        .unwrap_or_else(|e| panic!("cannot embed {}: {}", path.display(), e.message()));
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    if !embed::has_static_form(&model) {
        // Validated above with the runtime's own code, so the first use parses it too.
        fs::write(out_dir.join("embedded_model.json"), &bytes).unwrap();
        println!("cargo::rustc-cfg=embedded_model_file");
        return;
    }
    let options = EmbedOptions::for_target(
        &env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default(),
        &env::var("CARGO_CFG_TARGET_OS").unwrap_or_default(),
    );
    let source = embed::render(&model, &options)
        .unwrap_or_else(|e| panic!("cannot embed {}: {}", path.display(), e.message()));
    fs::write(out_dir.join("embedded_model.rs"), source).unwrap();
}
