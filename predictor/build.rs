//! Compiles the default model into the crate: parses and validates the model file with
//! the same code the runtime uses (`src/format.rs`), then writes it out as Rust statics
//! (`$OUT_DIR/embedded_model.rs`), floats as exact bit patterns, together with the fast
//! evaluator's padded layout of its trees (`src/estimator/padded.rs`), so nothing is
//! parsed or laid out at start-up.
//!
//! The file is `model_data/boston_housing.model.json` unless `EDGE_PREDICTOR_MODEL`
//! names another one.
//!
//! What is embedded depends on the target, because every byte of a browser download
//! counts: the x86 SIMD leaf copies and float32 thresholds only on x86 (elsewhere every kernel
//! reads the byte ranks, when the model quantises), and the reference node table (used only
//! by models the fast layout cannot hold, and by tests) not in the browser module.

extern crate alloc;

#[allow(dead_code)]
#[path = "src/tree.rs"]
mod tree;

#[allow(dead_code)]
#[path = "src/format.rs"]
mod format;

// Siblings here as in the crate, so their `super::` paths resolve in both.
#[allow(dead_code)]
#[path = "src/estimator/padded.rs"]
mod padded;

#[allow(dead_code)]
#[path = "src/estimator/ranked.rs"]
mod ranked;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::{env, fs};

use format::{ModelFile, ValidEstimator, ValidModel};

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
        .unwrap_or_else(|e| panic!("cannot embed {}: {}", path.display(), e.0));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("embedded_model.rs");
    fs::write(&out, render(&model, Embed::for_target())).unwrap();
}

/// Which parts of the model this target's build carries.
struct Embed {
    /// The split 32-bit halves of the leaves, read only by the x86 SIMD kernels.
    x86_leaf_halves: bool,
    /// The float32 thresholds and u32 features, read by the x86 kernels and by every
    /// kernel when the model does not quantise to byte ranks.
    float_splits: bool,
    /// The reference node table; the browser module reads only the fast layout.
    reference_nodes: bool,
}

impl Embed {
    fn for_target() -> Embed {
        let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
        let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
        let browser = arch == "wasm32" && os == "unknown";
        Embed {
            x86_leaf_halves: matches!(arch.as_str(), "x86_64" | "x86"),
            float_splits: matches!(arch.as_str(), "x86_64" | "x86"),
            reference_nodes: !browser,
        }
    }
}

fn f64_lit(v: f64) -> String {
    format!("f64::from_bits({:#018x})", v.to_bits())
}

fn str_lit(s: &str) -> String {
    format!("alloc::borrow::Cow::Borrowed({s:?})")
}

fn f64_slice(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|v| f64_lit(*v)).collect();
    format!("alloc::borrow::Cow::Borrowed(&[{}])", items.join(", "))
}

fn u8_items(values: &[u8]) -> String {
    let items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    items.join(", ")
}

fn f32_items(values: &[f32]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| format!("f32::from_bits({:#010x})", v.to_bits()))
        .collect();
    items.join(", ")
}

fn u32_items(values: &[u32]) -> String {
    let items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    items.join(", ")
}

/// The statics of the padded layout and the expression that builds it (`None` if the
/// trees are too deep for it).
fn render_fast(
    s: &mut String,
    embed: &Embed,
    init: f64,
    learning_rate: f64,
    nodes: &[tree::Node],
    roots: &[u32],
) -> String {
    let Some(fast) = padded::PaddedForest::build(init, learning_rate, nodes, roots) else {
        return "None".to_string();
    };
    let ranked = match fast.ranked() {
        None => "None".to_string(),
        Some(r) => {
            writeln!(
                s,
                "static RANKED_CUTS: [f32; {}] = [{}];",
                r.cuts().len(),
                f32_items(r.cuts())
            )
            .unwrap();
            for (name, values) in [("COLUMNS", r.columns()), ("LIMITS", r.limits())] {
                writeln!(
                    s,
                    "static RANKED_{name}: [u8; {}] = [{}];",
                    values.len(),
                    u8_items(values)
                )
                .unwrap();
            }
            format!(
                "Some(crate::estimator::ranked::RankedForest::from_static({}, &RANKED_CUTS, &RANKED_COLUMNS, &RANKED_LIMITS))",
                r.width()
            )
        }
    };
    let (thresholds, features): (&[f32], &[u32]) = if embed.float_splits || ranked == "None" {
        (fast.thresholds(), fast.features())
    } else {
        (&[], &[])
    };
    let f64_items: Vec<String> = fast.leaves().iter().map(|v| f64_lit(*v)).collect();
    writeln!(
        s,
        "static FAST_THRESHOLDS: [f32; {}] = [{}];",
        thresholds.len(),
        f32_items(thresholds)
    )
    .unwrap();
    writeln!(
        s,
        "static FAST_FEATURES: [u32; {}] = [{}];",
        features.len(),
        u32_items(features)
    )
    .unwrap();
    writeln!(
        s,
        "static FAST_LEAVES: [f64; {}] = [{}];",
        f64_items.len(),
        f64_items.join(", ")
    )
    .unwrap();
    let (lo, hi): (&[u32], &[u32]) = if embed.x86_leaf_halves {
        (fast.leaves_lo(), fast.leaves_hi())
    } else {
        (&[], &[])
    };
    writeln!(
        s,
        "static FAST_LEAVES_LO: [u32; {}] = [{}];",
        lo.len(),
        u32_items(lo)
    )
    .unwrap();
    writeln!(
        s,
        "static FAST_LEAVES_HI: [u32; {}] = [{}];",
        hi.len(),
        u32_items(hi)
    )
    .unwrap();
    format!(
        "Some(crate::estimator::padded::PaddedForest::from_static({}, {}, {}, &FAST_THRESHOLDS, &FAST_FEATURES, &FAST_LEAVES, &FAST_LEAVES_LO, &FAST_LEAVES_HI, {}))",
        f64_lit(fast.init()),
        fast.n_trees(),
        fast.min_width(),
        ranked
    )
}

fn render(model: &ValidModel, embed: Embed) -> String {
    let mut s = String::new();
    let features: Vec<String> = model.features.iter().map(|f| str_lit(f)).collect();
    let scaler = match &model.scaler {
        None => "None".to_string(),
        Some(sc) => format!(
            "Some(crate::scaler::StandardScaler {{ mean: {}, scale: {} }})",
            f64_slice(&sc.mean),
            f64_slice(&sc.scale)
        ),
    };
    let ValidEstimator::GradientBoosting {
        init,
        learning_rate,
        nodes,
        roots,
    } = &model.estimator;
    writeln!(
        s,
        "// @generated by build.rs from the model file; do not edit."
    )
    .unwrap();
    let fast = render_fast(&mut s, &embed, *init, *learning_rate, nodes, roots);
    // Without a fast layout the reference table is the only evaluator: always keep it then.
    let table: &[tree::Node] = if embed.reference_nodes || fast == "None" {
        nodes
    } else {
        &[]
    };
    writeln!(s, "static NODES: [crate::tree::Node; {}] = [", table.len()).unwrap();
    for n in table {
        writeln!(
            s,
            "    crate::tree::Node {{ feature: {}, threshold: {}, left: {}, right: {}, value: {} }},",
            n.feature,
            f64_lit(n.threshold),
            n.left,
            n.right,
            f64_lit(n.value)
        )
        .unwrap();
    }
    writeln!(s, "];").unwrap();
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    writeln!(
        s,
        "static ROOTS: [u32; {}] = [{}];",
        roots.len(),
        roots.join(", ")
    )
    .unwrap();
    writeln!(
        s,
        "pub(crate) static EMBEDDED_MODEL: crate::model::Model = crate::model::Model {{
    name: {name},
    version: {version},
    description: {description},
    features: alloc::borrow::Cow::Borrowed(&[{features}]),
    target: {target},
    scaler: {scaler},
    estimator: crate::estimator::Estimator::GradientBoosting(
        crate::estimator::GradientBoostingRegressor {{
            init: {init},
            learning_rate: {learning_rate},
            nodes: alloc::borrow::Cow::Borrowed(&NODES),
            roots: alloc::borrow::Cow::Borrowed(&ROOTS),
            fast: {fast},
        }},
    ),
}};",
        name = str_lit(&model.name),
        version = str_lit(&model.version),
        description = str_lit(&model.description),
        features = features.join(", "),
        target = match &model.target {
            Some(t) => format!("Some({})", str_lit(t)),
            None => "None".to_string(),
        },
        init = f64_lit(*init),
        learning_rate = f64_lit(*learning_rate),
    )
    .unwrap();
    s
}
