//! The portable kernel: branch-free walks of the padded trees in plain Rust, on float32
//! thresholds, or on byte ranks (`model_format::gradient_boosting::ranked`) in builds that
//! embed only those. It is the fallback on every target and gives the same bits as the
//! SIMD kernels.

use super::cast_into;
use model_format::gradient_boosting::padded::{PaddedForest, DEPTH, LEAVES, NODES};
use model_format::gradient_boosting::ranked::{goes_left, RankedForest, MAX_FEATURES};

/// Rows walked side by side, so independent walks overlap.
const BLOCK: usize = 4;

/// The leaf index (0..LEAVES) of padded tree `t` for a float32 row.
#[inline(always)]
fn leaf(forest: &PaddedForest, t: usize, row: &[f32]) -> usize {
    let mut k = 0;
    for _ in 0..DEPTH {
        let slot = PaddedForest::slot(t, k);
        let x = row[forest.features()[slot] as usize];
        // `<=` is false for NaN, which goes right as in the reference.
        let left = x <= forest.thresholds()[slot];
        k = 2 * k + 2 - usize::from(left);
    }
    k - NODES
}

/// The leaf index (0..LEAVES) of tree `t` for a row's ranks.
#[inline(always)]
fn ranked_leaf(ranked: &RankedForest, t: usize, ranks: &[u8; MAX_FEATURES]) -> usize {
    let mut k = 0;
    for _ in 0..DEPTH {
        let slot = RankedForest::slot(t, k);
        let x = ranks[ranked.feature(slot) % MAX_FEATURES];
        let left = goes_left(x, ranked.limits()[slot]);
        k = 2 * k + 2 - usize::from(left);
    }
    k - NODES
}

/// A row's ranks, feature by feature (scikit-learn's float32 cast first).
#[inline(always)]
fn row_ranks(ranked: &RankedForest, row: &[f64]) -> [u8; MAX_FEATURES] {
    let mut ranks = [0u8; MAX_FEATURES];
    for (f, r) in ranks.iter_mut().enumerate().take(ranked.width()) {
        *r = ranked.rank(f, row[f] as f32);
    }
    ranks
}

/// The byte ranks, when the float32 splits are not here (they walk a little faster).
fn ranks_only(forest: &PaddedForest) -> Option<&RankedForest> {
    match forest.has_float_splits() {
        true => None,
        false => forest.ranked(),
    }
}

pub fn predict_row(forest: &PaddedForest, row: &[f64]) -> f64 {
    if let Some(ranked) = ranks_only(forest) {
        let ranks = row_ranks(ranked, row);
        let mut sum = forest.init();
        for t in 0..forest.n_trees() {
            sum += forest.leaves()[t * LEAVES + ranked_leaf(ranked, t, &ranks)];
        }
        return sum;
    }
    let mut buf = [0.0f32; 16];
    if row.len() > buf.len() {
        let row32: alloc::vec::Vec<f32> = row.iter().map(|v| *v as f32).collect();
        return row_sum(forest, &row32);
    }
    cast_into(row, &mut buf);
    row_sum(forest, &buf[..row.len()])
}

fn row_sum(forest: &PaddedForest, row: &[f32]) -> f64 {
    let mut sum = forest.init();
    for t in 0..forest.n_trees() {
        sum += forest.leaves()[t * LEAVES + leaf(forest, t, row)];
    }
    sum
}

pub fn predict_batch(forest: &PaddedForest, rows: &[f64], width: usize, out: &mut [f64]) {
    if let Some(ranked) = ranks_only(forest) {
        return ranked_batch(forest, ranked, rows, width, out);
    }
    let mut block = alloc::vec![0.0f32; BLOCK * width];
    let mut row_chunks = rows.chunks_exact(BLOCK * width);
    let mut out_chunks = out.chunks_exact_mut(BLOCK);
    for (rows, out) in (&mut row_chunks).zip(&mut out_chunks) {
        cast_into(rows, &mut block);
        let mut sums = [forest.init(); BLOCK];
        for t in 0..forest.n_trees() {
            let base = t * LEAVES;
            for (r, sum) in sums.iter_mut().enumerate() {
                *sum += forest.leaves()[base + leaf(forest, t, &block[r * width..][..width])];
            }
        }
        out.copy_from_slice(&sums);
    }
    let rest = row_chunks.remainder();
    for (row, y) in rest
        .chunks_exact(width)
        .zip(out_chunks.into_remainder().iter_mut())
    {
        *y = predict_row(forest, row);
    }
}

fn ranked_batch(
    forest: &PaddedForest,
    ranked: &RankedForest,
    rows: &[f64],
    width: usize,
    out: &mut [f64],
) {
    let mut row_chunks = rows.chunks_exact(BLOCK * width);
    let mut out_chunks = out.chunks_exact_mut(BLOCK);
    for (rows, out) in (&mut row_chunks).zip(&mut out_chunks) {
        let ranks: [[u8; MAX_FEATURES]; BLOCK] =
            core::array::from_fn(|r| row_ranks(ranked, &rows[r * width..][..width]));
        let mut sums = [forest.init(); BLOCK];
        for t in 0..forest.n_trees() {
            let base = t * LEAVES;
            for (sum, ranks) in sums.iter_mut().zip(&ranks) {
                *sum += forest.leaves()[base + ranked_leaf(ranked, t, ranks)];
            }
        }
        out.copy_from_slice(&sums);
    }
    let rest = row_chunks.remainder();
    for (row, y) in rest
        .chunks_exact(width)
        .zip(out_chunks.into_remainder().iter_mut())
    {
        *y = predict_row(forest, row);
    }
}
