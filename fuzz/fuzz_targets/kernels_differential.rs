//! Differential: every fast kernel that runs here (one row and batch, float32 thresholds
//! and byte ranks) against the reference evaluator, on fuzzer-built forests and rows, to
//! the bit (as predictor/tests/fast_paths.rs does with random forests). Trees deeper than
//! the padded layout's 3 levels take the compact-layout kernels (`estimator::compact`)
//! through the public entry points, checked the same way.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use predictor::estimator::gradient_boosting::FastForest;
use predictor::estimator::{GradientBoostingRegressor, Kernel};
use predictor::tree::Node;

/// A finite value: thresholds and leaves of a valid model are finite.
fn finite(u: &mut Unstructured<'_>, thresholds: &[f64]) -> Result<f64> {
    Ok(match u.int_in_range(0..=3)? {
        0 if !thresholds.is_empty() => thresholds[u.choose_index(thresholds.len())?],
        1 => f64::from(u.arbitrary::<f32>()?),
        2 => f64::from(u.int_in_range(-64i8..=64)?) / 8.0,
        _ => u.arbitrary::<f64>()?,
    })
    .map(|v| if v.is_finite() { v } else { 0.0 })
}

/// Appends a subtree (a node, its left subtree, its right: scikit-learn's order).
fn grow(
    u: &mut Unstructured<'_>,
    nodes: &mut Vec<Node>,
    depth: usize,
    max_depth: usize,
    width: u32,
    thresholds: &mut Vec<f64>,
) -> Result<u32> {
    let at = nodes.len() as u32;
    if depth == max_depth || u.ratio(1, 5)? {
        nodes.push(Node::leaf(finite(u, &[])?));
        return Ok(at);
    }
    let threshold = finite(u, thresholds)?;
    thresholds.push(threshold);
    nodes.push(Node::split(u.int_in_range(0..=width - 1)?, threshold, 0, 0));
    let left = grow(u, nodes, depth + 1, max_depth, width, thresholds)?;
    let right = grow(u, nodes, depth + 1, max_depth, width, thresholds)?;
    nodes[at as usize].left = left;
    nodes[at as usize].right = right;
    Ok(at)
}

/// A row cell: a threshold, its float64/float32 neighbours, or any float64 at all.
fn cell(u: &mut Unstructured<'_>, thresholds: &[f64]) -> Result<f64> {
    if thresholds.is_empty() || u.ratio(1, 3)? {
        return u.arbitrary();
    }
    let t = thresholds[u.choose_index(thresholds.len())?];
    let t32 = t as f32;
    Ok(match u.int_in_range(0..=5)? {
        0 => t,
        1 => t.next_up(),
        2 => t.next_down(),
        3 => f64::from(t32),
        4 => f64::from(t32.next_up()),
        _ => (f64::from(t32) + f64::from(t32.next_down())) / 2.0,
    })
}

fn check(fast: &FastForest, expected: &[f64], rows: &[f64], width: usize, what: &str) {
    for kernel in Kernel::ALL
        .into_iter()
        .filter(|k| k.is_available() && k.can_read(fast))
    {
        let mut got = vec![f64::NAN; expected.len()];
        assert!(fast.predict_into_with(kernel, rows, width, &mut got));
        for (i, row) in rows.chunks_exact(width).enumerate() {
            assert_eq!(
                got[i].to_bits(),
                expected[i].to_bits(),
                "{what} {kernel:?} batch row {i} {row:?}"
            );
            let one = fast.predict_row_with(kernel, row).expect("available");
            assert_eq!(
                one.to_bits(),
                expected[i].to_bits(),
                "{what} {kernel:?} one row {row:?}"
            );
        }
    }
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let width = u.int_in_range(1u32..=20)?;
    let max_depth = u.int_in_range(0..=12)?;
    let n_trees = if u.ratio(1, 16)? {
        u.int_in_range(1..=300)?
    } else {
        u.int_in_range(1..=40)?
    };
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    let mut thresholds = Vec::new();
    for _ in 0..n_trees {
        roots.push(nodes.len() as u32);
        grow(u, &mut nodes, 0, max_depth, width, &mut thresholds)?;
    }
    let init = finite(u, &[])?;
    let learning_rate = finite(u, &[])?;
    let gbr = GradientBoostingRegressor::new(init, learning_rate, nodes, roots);
    let width = width as usize;
    let n_rows = u.int_in_range(1..=40)?;
    let mut rows = Vec::with_capacity(n_rows * width);
    for _ in 0..n_rows * width {
        rows.push(cell(u, &thresholds)?);
    }
    let reference = gbr
        .reference()
        .expect("a built forest keeps its node table");
    let mut expected = vec![0.0; n_rows];
    reference.predict_into(&rows, width, &mut expected);
    let mut got = vec![f64::NAN; n_rows];
    gbr.predict_into(&rows, width, &mut got);
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g.to_bits(), e.to_bits(), "public entry point");
        let one = gbr.predict_row(&rows[i * width..(i + 1) * width]);
        assert_eq!(one.to_bits(), e.to_bits(), "public entry point, one row");
    }
    if let Some(fast) = gbr.fast() {
        check(fast, &expected, &rows, width, "float32 thresholds");
        if let Some(ranks_only) = fast.without_float_splits() {
            check(&ranks_only, &expected, &rows, width, "ranks only");
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
