//! The default model compiled into the crate by `build.rs`, in one of two forms.
//!
//! - Version 1's gradient boosting (the Boston model): static data rendered by build.rs,
//!   so a fresh instance (Spin starts one per request) pays no parsing at start-up.
//! - Any other model (`EDGE_PREDICTOR_MODEL` naming a version 2 file of any kind): the
//!   file's bytes (`include_bytes!`), parsed and validated on the first `Model::embedded()`
//!   and kept for the instance's life (`once_cell::race::OnceBox`, no_std). The trade-off:
//!   the module carries the JSON instead of laid-out statics, and every fresh instance
//!   parses it once, so under Spin (an instance per request) each request pays one parse,
//!   as a file named by `MODEL_FILE` does (plus its read). Statics for every kind would
//!   remove that parse; they are not written yet.

use crate::model::Model;

#[cfg(not(embedded_model_file))]
include!(concat!(env!("OUT_DIR"), "/embedded_model.rs"));

/// The embedded model (statics: nothing is parsed).
#[cfg(not(embedded_model_file))]
pub(crate) fn model() -> &'static Model {
    &EMBEDDED_MODEL
}

/// The embedded model file, validated by build.rs with the code `Model::from_json` runs.
#[cfg(embedded_model_file)]
static EMBEDDED_FILE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/embedded_model.json"));

/// The embedded model, parsed on the first call.
#[cfg(embedded_model_file)]
pub(crate) fn model() -> &'static Model {
    static MODEL: once_cell::race::OnceBox<Model> = once_cell::race::OnceBox::new();
    MODEL.get_or_init(|| {
        // build.rs parsed and validated these very bytes with the same code, so this
        // cannot fail short of a miscompiled build.
        let model = Model::from_json(EMBEDDED_FILE)
            .unwrap_or_else(|e| panic!("the embedded model no longer loads: {}", e.message()));
        alloc::boxed::Box::new(model)
    })
}

/// Run with `EDGE_PREDICTOR_MODEL=path/to/v2.model.json cargo test -p predictor --lib embedded::tests`
/// (scripts/test/edge.sh serves such a build end to end).
#[cfg(all(test, embedded_model_file))]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_is_parsed_once_and_is_the_file() {
        let first: *const Model = model();
        assert!(core::ptr::eq(first, model()));
        assert_eq!(*model(), Model::from_json(EMBEDDED_FILE).unwrap());
    }
}
