//! Renders a validated gradient-boosting regressor as statics and the expression that
//! builds `predictor`'s `GradientBoostingRegressor` from them: the node table, the padded
//! layout and its byte ranks, each only where `EmbedOptions` keeps it.

use alloc::format;
use alloc::string::{String, ToString};

use super::padded::PaddedForest;
use super::ValidGradientBoosting;
use crate::embed::{f32_lit, f64_lit, EmbedOptions, Source};

/// Writes the statics into `out` and returns the `crate::estimator::Estimator` expression.
pub fn render(out: &mut Source, gbr: &ValidGradientBoosting, options: &EmbedOptions) -> String {
    let nodes = gbr.trees.nodes();
    let roots = gbr.trees.roots();
    let fast = PaddedForest::build(gbr.init, gbr.learning_rate, nodes, roots)
        .map(|layout| render_padded(out, &layout, options));
    let mut table = || {
        let nodes = out.array(
            "NODES",
            "::model_format::tree::Node",
            nodes.iter().map(|n| {
                format!(
                    "::model_format::tree::Node::new({}, {}, {}, {}, {})",
                    n.feature,
                    f64_lit(n.threshold),
                    n.left,
                    n.right,
                    f64_lit(n.value)
                )
            }),
        );
        let roots = out.array("ROOTS", "u32", roots.iter().map(|r| r.to_string()));
        format!("::model_format::gradient_boosting::NodeTable::from_static({nodes}, {roots})")
    };
    let evaluators = "crate::estimator::gradient_boosting::Evaluators";
    let evaluators = match fast {
        // Too deep for the padded layout: the table is the only evaluator, so always kept.
        None => format!("{evaluators}::Reference({})", table()),
        Some(fast) if options.reference_nodes => {
            format!(
                "{evaluators}::Both {{ reference: {}, fast: {fast} }}",
                table()
            )
        }
        Some(fast) => format!("{evaluators}::Fast({fast})"),
    };
    format!(
        "crate::estimator::Estimator::GradientBoosting(
        crate::estimator::GradientBoostingRegressor::from_static({}, {}, {evaluators}),
    )",
        f64_lit(gbr.init),
        f64_lit(gbr.learning_rate)
    )
}

/// The padded layout's statics; the expression of its `FastForest`.
fn render_padded(out: &mut Source, layout: &PaddedForest, options: &EmbedOptions) -> String {
    // Without float splits only the kernels that read ranks run; a layout without ranks
    // keeps its float splits.
    let kept = match options.float_splits {
        true => None,
        false => layout.without_float_splits(),
    };
    let layout = kept.as_ref().unwrap_or(layout);
    let ranked = match layout.ranked() {
        None => "None".to_string(),
        Some(r) => {
            let cuts = out.array("RANKED_CUTS", "f32", r.cuts().iter().map(|v| f32_lit(*v)));
            let columns = out.array("RANKED_COLUMNS", "u8", r.columns().iter().map(u8_lit));
            let limits = out.array("RANKED_LIMITS", "u8", r.limits().iter().map(u8_lit));
            format!(
                "Some(::model_format::gradient_boosting::ranked::RankedForest::from_static({}, {cuts}, {columns}, {limits}))",
                r.width()
            )
        }
    };
    let thresholds = out.array(
        "FAST_THRESHOLDS",
        "f32",
        layout.thresholds().iter().map(|v| f32_lit(*v)),
    );
    let features = out.array(
        "FAST_FEATURES",
        "u32",
        layout.features().iter().map(|v| v.to_string()),
    );
    let leaves = out.array(
        "FAST_LEAVES",
        "f64",
        layout.leaves().iter().map(|v| f64_lit(*v)),
    );
    let halves: [&[u32]; 2] = match options.x86_leaf_halves {
        true => [layout.leaves_lo(), layout.leaves_hi()],
        false => [&[], &[]],
    };
    let lo = out.array(
        "FAST_LEAVES_LO",
        "u32",
        halves[0].iter().map(|v| v.to_string()),
    );
    let hi = out.array(
        "FAST_LEAVES_HI",
        "u32",
        halves[1].iter().map(|v| v.to_string()),
    );
    format!(
        "crate::estimator::gradient_boosting::FastForest::new(::model_format::gradient_boosting::padded::PaddedForest::from_static({}, {}, {}, {thresholds}, {features}, {leaves}, {lo}, {hi}, {ranked}))",
        f64_lit(layout.init()),
        layout.n_trees(),
        layout.min_width(),
    )
}

fn u8_lit(v: &u8) -> String {
    v.to_string()
}
