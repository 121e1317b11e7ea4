//! The wasm32 simd128 kernel (built when the target enables simd128): batches in blocks
//! of 8 rows, four float32 lanes per compare against splatted thresholds, leaf values
//! gathered per lane and summed in float64 pairs, each row's sum in tree order.

use core::arch::wasm32::*;

use model_format::gradient_boosting::padded::{PaddedForest, LEAVES, NODES};

/// Rows per block: two vectors of four float32 lanes.
const BLOCK: usize = 8;

/// The leaf index (0..8) per lane from the seven "goes left" masks (heap order); the
/// same formula as `leaf_from_tests` in the parent module.
#[inline(always)]
fn leaf_index(l: &[v128; NODES]) -> v128 {
    leaf_bits(l, [u32x4_splat(4), u32x4_splat(2), u32x4_splat(1)])
}

/// `leaf_from_tests` on lane masks of any width: the leaf a lane reaches, as the sum of
/// `weights` (for its "went left" at depth 0, 1, 2) of the right turns it took. Weights
/// 4, 2, 1 give the leaf index; the byte-rank kernel uses 32, 16, 8, a byte offset.
#[inline(always)]
pub(super) fn leaf_bits(l: &[v128; NODES], weights: [v128; 3]) -> v128 {
    let l1 = v128_bitselect(l[1], l[2], l[0]);
    let under_left = v128_bitselect(l[3], l[4], l1);
    let under_right = v128_bitselect(l[5], l[6], l1);
    let l2 = v128_bitselect(under_left, under_right, l[0]);
    let went_left = v128_or(
        v128_or(v128_and(l[0], weights[0]), v128_and(l1, weights[1])),
        v128_and(l2, weights[2]),
    );
    let all = v128_or(v128_or(weights[0], weights[1]), weights[2]);
    v128_xor(went_left, all)
}

pub fn predict_batch(forest: &PaddedForest, rows: &[f64], width: usize, out: &mut [f64]) {
    // Column-major float32 block: feature f of row r at [f * BLOCK + r].
    let mut block = alloc::vec![0.0f32; width * BLOCK];
    for (rows, out) in rows.chunks(BLOCK * width).zip(out.chunks_mut(BLOCK)) {
        if out.len() < BLOCK {
            block.fill(0.0);
        }
        // scikit-learn's float32 cast, transposed into the block.
        for (r, row) in rows.chunks_exact(width).enumerate() {
            for (f, v) in row.iter().enumerate() {
                block[f * BLOCK + r] = *v as f32;
            }
        }
        let sums = block_sums(forest, &block);
        out.copy_from_slice(&sums[..out.len()]);
    }
}

fn block_sums(forest: &PaddedForest, block: &[f32]) -> [f64; BLOCK] {
    let leaves = forest.leaves();
    let init = f64x2_splat(forest.init());
    // acc[2 * half] holds rows (0, 1) of that half, acc[2 * half + 1] rows (2, 3).
    let mut acc = [init; 4];
    for t in 0..forest.n_trees() {
        let mut thr = [f32x4_splat(0.0); NODES];
        let mut col = [0usize; NODES];
        for k in 0..NODES {
            let slot = PaddedForest::slot(t, k);
            thr[k] = f32x4_splat(forest.thresholds()[slot]);
            col[k] = forest.features()[slot] as usize * BLOCK;
        }
        let tree_leaves = &leaves[t * LEAVES..][..LEAVES];
        for half in 0..2 {
            let mut left = [f32x4_splat(0.0); NODES];
            for k in 0..NODES {
                let x = &block[col[k] + half * 4..][..4];
                // SAFETY: `x` is four in-bounds float32 values; v128_load allows any alignment.
                let x = unsafe { v128_load(x.as_ptr() as *const v128) };
                left[k] = f32x4_le(x, thr[k]);
            }
            let leaf = leaf_index(&left);
            let pick = |lane: u32| tree_leaves[lane as usize & (LEAVES - 1)];
            let a = f64x2(
                pick(u32x4_extract_lane::<0>(leaf)),
                pick(u32x4_extract_lane::<1>(leaf)),
            );
            let b = f64x2(
                pick(u32x4_extract_lane::<2>(leaf)),
                pick(u32x4_extract_lane::<3>(leaf)),
            );
            acc[2 * half] = f64x2_add(acc[2 * half], a);
            acc[2 * half + 1] = f64x2_add(acc[2 * half + 1], b);
        }
    }
    let mut sums = [0.0f64; BLOCK];
    for (i, pair) in acc.iter().enumerate() {
        sums[2 * i] = f64x2_extract_lane::<0>(*pair);
        sums[2 * i + 1] = f64x2_extract_lane::<1>(*pair);
    }
    sums
}
