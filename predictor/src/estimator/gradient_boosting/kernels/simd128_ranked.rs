//! The wasm32 simd128 kernels over byte ranks (`model_format::gradient_boosting::ranked`),
//! for forests that quantise: a batch ranks 32 rows into two column-major byte blocks and
//! tests 16 rows per compare; one row tests 16 trees per compare (its ranks swizzled by the
//! trees' features, from one vector per 16 features).
//! Leaf values are added one by one in float64, each row's sum in tree order.

use core::arch::wasm32::*;

use super::simd128::leaf_bits;
use model_format::gradient_boosting::padded::{PaddedForest, LEAVES, NODES};
use model_format::gradient_boosting::ranked::{RankedForest, GROUP, MAX_FEATURES, STRIDE};

/// Rows per lane group: one vector of byte lanes.
const LANES: usize = GROUP;
/// Lane groups per block: each node's column and limit are loaded once for all of them.
const HALVES: usize = 2;
/// Rows per block.
const BLOCK: usize = LANES * HALVES;

/// A block of biased ranks, `[half][feature * LANES + lane]`, each half one vector past
/// its last feature so a column read needs no bounds check.
type Block = [[u8; MAX_FEATURES * LANES + LANES]; HALVES];

/// Features per vector of a row's ranks in the one-row kernel.
const FEATURES_PER_VECTOR: usize = 16;

/// Trailing rows (after the whole blocks) below this many go through the one-row kernel
/// instead of a padded block.
const ROW_KERNEL_BELOW: usize = 8;

/// The byte offset (leaf index * 8) per lane from the seven "goes left" masks (heap
/// order); `leaf_from_tests` in the parent module, scaled by 8.
#[inline(always)]
fn leaf_offset(l: &[v128; NODES]) -> v128 {
    leaf_bits(l, [u8x16_splat(32), u8x16_splat(16), u8x16_splat(8)])
}

/// The leaf at byte offset `offset` (a `leaf_offset` lane) of one tree's leaves.
#[inline(always)]
fn leaf_at(tree_leaves: &[f64; LEAVES], offset: u8) -> f64 {
    let offset = usize::from(offset & 56);
    // SAFETY: `offset` is a multiple of 8 below 64, so this reads one of the 8 leaves.
    unsafe {
        *(tree_leaves.as_ptr() as *const u8)
            .add(offset)
            .cast::<f64>()
    }
}

#[inline(always)]
fn store_bytes(v: v128) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` is 16 writable bytes; v128_store allows any alignment.
    unsafe { v128_store(bytes.as_mut_ptr() as *mut v128, v) };
    bytes
}

#[inline(always)]
fn load_bytes(bytes: &[u8]) -> v128 {
    let bytes: &[u8; 16] = bytes[..16].try_into().unwrap();
    // SAFETY: 16 readable bytes; v128_load allows any alignment.
    unsafe { v128_load(bytes.as_ptr() as *const v128) }
}

/// One row: the (biased) ranks of its features in byte lanes, then 16 trees per compare.
pub fn predict_row(forest: &PaddedForest, ranked: &RankedForest, row: &[f64]) -> f64 {
    match ranked.width().div_ceil(FEATURES_PER_VECTOR) {
        0 | 1 => predict_row_in::<1>(forest, ranked, row),
        2 => predict_row_in::<2>(forest, ranked, row),
        _ => predict_row_in::<4>(forest, ranked, row),
    }
}

/// `predict_row` for rows of at most `VECTORS * 16` features.
#[inline(always)]
fn predict_row_in<const VECTORS: usize>(
    forest: &PaddedForest,
    ranked: &RankedForest,
    row: &[f64],
) -> f64 {
    const { assert!(VECTORS * FEATURES_PER_VECTOR <= MAX_FEATURES) };
    let mut ranks = [0u8; MAX_FEATURES];
    for (f, (rank, v)) in ranks.iter_mut().zip(&row[..ranked.width()]).enumerate() {
        *rank = ranked.rank(f, *v as f32) ^ 0x80;
    }
    let ranks: [v128; VECTORS] =
        core::array::from_fn(|i| load_bytes(&ranks[i * FEATURES_PER_VECTOR..]));

    let mut sum = forest.init();
    for (g, trees) in forest.leaves()[..forest.n_trees() * LEAVES]
        .chunks(GROUP * LEAVES)
        .enumerate()
    {
        let nodes = g * NODES * GROUP;
        let columns = &ranked.columns()[nodes..][..NODES * GROUP];
        let limits = &ranked.limits()[nodes..][..NODES * GROUP];
        let left: [v128; NODES] = core::array::from_fn(|k| {
            let features = load_bytes(&columns[k * GROUP..]);
            // Each lane's rank from the vector that holds its feature: a swizzle index of
            // 16 or more (after the wrapping subtraction) gives 0, so only that vector's
            // lane is not 0.
            let mut x = u8x16_swizzle(ranks[0], features);
            for (i, ranks) in ranks.iter().enumerate().skip(1) {
                let base = u8x16_splat((i * FEATURES_PER_VECTOR) as u8);
                x = v128_or(x, u8x16_swizzle(*ranks, u8x16_sub(features, base)));
            }
            i8x16_lt(x, load_bytes(&limits[k * GROUP..]))
        });
        let offsets = store_bytes(leaf_offset(&left));
        for (tree_leaves, offset) in trees.chunks_exact(LEAVES).zip(offsets) {
            sum += leaf_at(tree_leaves.try_into().unwrap(), offset);
        }
    }
    sum
}

pub fn predict_batch(
    forest: &PaddedForest,
    ranked: &RankedForest,
    rows: &[f64],
    width: usize,
    out: &mut [f64],
) {
    if out.len() < ROW_KERNEL_BELOW {
        for (row, y) in rows.chunks_exact(width).zip(out) {
            *y = predict_row(forest, ranked, row);
        }
        return;
    }
    let whole = out.len() / BLOCK * BLOCK;
    let (rows_whole, rows_rest) = rows.split_at(whole * width);
    let (out_whole, out_rest) = out.split_at_mut(whole);
    let mut block: Block = [[0; MAX_FEATURES * LANES + LANES]; HALVES];
    let mut offsets = alloc::vec![0u8; forest.n_trees() * BLOCK];
    let tops = top_cuts(ranked);
    for (rows, out) in rows_whole
        .chunks_exact(BLOCK * width)
        .zip(out_whole.chunks_exact_mut(BLOCK))
    {
        rank_block(ranked, &tops, rows, width, &mut block);
        block_sums(forest, ranked, &block, &mut offsets, out);
    }
    if out_rest.len() < ROW_KERNEL_BELOW {
        for (row, y) in rows_rest.chunks_exact(width).zip(out_rest) {
            *y = predict_row(forest, ranked, row);
        }
    } else if !out_rest.is_empty() {
        rank_block(ranked, &tops, rows_rest, width, &mut block);
        block_sums(forest, ranked, &block, &mut offsets, out_rest);
    }
}

/// Ranks up to `BLOCK` rows into `block`, biased by 0x80 (rows past the end keep stale
/// ranks; their sums are not read).
#[inline(always)]
fn rank_block(
    ranked: &RankedForest,
    tops: &[[v128; 4]; MAX_FEATURES],
    rows: &[f64],
    width: usize,
    block: &mut Block,
) {
    for (r, row) in rows.chunks_exact(width).enumerate() {
        let half = &mut block[r / LANES % HALVES];
        for (f, v) in row[..ranked.width()].iter().enumerate() {
            half[f * LANES + r % LANES] = rank(ranked.feature_cuts(f), &tops[f], *v as f32) ^ 0x80;
        }
    }
}

/// Per feature, the last cut of each run of 16 (`cuts[16 * i + 15]`), as four vectors:
/// the first level of `rank`.
fn top_cuts(ranked: &RankedForest) -> [[v128; 4]; MAX_FEATURES] {
    let mut tops = [[f32x4_splat(0.0); 4]; MAX_FEATURES];
    for (f, top) in tops.iter_mut().enumerate().take(ranked.width()) {
        let cuts = ranked.feature_cuts(f);
        for (i, v) in top.iter_mut().enumerate() {
            let at = |lane: usize| cuts[(4 * i + lane) * 16 + 15];
            *v = f32x4(at(0), at(1), at(2), at(3));
        }
    }
    tops
}

/// How many of 16 float32 lanes (four vectors) hold `!(x <= c)`, from their `x <= c` masks.
#[inline(always)]
fn count_not_le(x: v128, c: [v128; 4]) -> u32 {
    let le = |c| f32x4_le(x, c);
    let halves = (
        i16x8_narrow_i32x4(le(c[0]), le(c[1])),
        i16x8_narrow_i32x4(le(c[2]), le(c[3])),
    );
    16 - (i8x16_bitmask(i8x16_narrow_i16x8(halves.0, halves.1)) as u32).count_ones()
}

/// `ranked::rank_in` in two vector steps instead of eight dependent ones: the runs of 16
/// cuts wholly below `x` (from `top`), then the cuts below `x` within the next run. The
/// cuts are sorted and end in +inf, so for a number both counts are prefixes and the
/// total is at most 255; NaN is below nothing and ranks 255, as in `rank_in`.
#[inline(always)]
fn rank(cuts: &[f32; STRIDE], top: &[v128; 4], x: f32) -> u8 {
    let xs = f32x4_splat(x);
    let run = count_not_le(xs, *top) as usize;
    if run == 16 {
        return 255;
    }
    let within: [v128; 4] = core::array::from_fn(|i| {
        let four: &[f32; 4] = cuts[(run * 16 + 4 * i) % STRIDE..][..4].try_into().unwrap();
        // SAFETY: four readable float32 values; v128_load allows any alignment.
        unsafe { v128_load(four.as_ptr() as *const v128) }
    });
    (run * 16 + count_not_le(xs, within) as usize) as u8
}

/// Rows summed side by side in the second pass: independent float64 add chains that
/// stay in registers.
const CHAINS: usize = 4;

/// The block's sums into `out` (its first rows) in two passes: every tree's leaf offsets
/// for the block's rows into `offsets` (`BLOCK` bytes per tree), then each row's leaves
/// added in tree order.
fn block_sums(
    forest: &PaddedForest,
    ranked: &RankedForest,
    block: &Block,
    offsets: &mut [u8],
    out: &mut [f64],
) {
    let leaves = &forest.leaves()[..forest.n_trees() * LEAVES];
    let offsets = &mut offsets[..forest.n_trees() * BLOCK];
    let groups = leaves.chunks(GROUP * LEAVES).map(|g| g.len() / LEAVES);
    let columns = ranked.columns().chunks_exact(NODES * GROUP);
    let limits = ranked.limits().chunks_exact(NODES * GROUP);
    let mut tree_offsets = offsets.chunks_exact_mut(BLOCK);
    for ((trees, columns), limits) in groups.zip(columns).zip(limits) {
        for (j, tree_offsets) in (0..trees).zip(&mut tree_offsets) {
            // Node k of this tree is at `k * GROUP` from these: constant offsets.
            let columns = columns[j % GROUP..].as_ptr();
            let limits = limits[j % GROUP..].as_ptr();
            let mut left = [[u8x16_splat(0); NODES]; HALVES];
            for k in 0..NODES {
                // SAFETY: j < GROUP and k < NODES, so `j + k * GROUP` is within the group's
                // NODES * GROUP bytes; the feature is taken below MAX_FEATURES (which every
                // feature already is), so its 16 bytes are within a half; loads take any
                // alignment.
                unsafe {
                    let feature = usize::from(*columns.add(k * GROUP)) % MAX_FEATURES;
                    let column = feature * LANES;
                    let limit = v128_load8_splat(limits.add(k * GROUP));
                    for (left, half) in left.iter_mut().zip(block) {
                        let x = v128_load(half.as_ptr().add(column) as *const v128);
                        left[k] = i8x16_lt(x, limit);
                    }
                }
            }
            for (tree_offsets, left) in tree_offsets.chunks_exact_mut(LANES).zip(&left) {
                tree_offsets.copy_from_slice(&store_bytes(leaf_offset(left)));
            }
        }
    }
    let mut sums = [0.0; BLOCK];
    let chains = out.len().div_ceil(CHAINS);
    for (c, sums) in sums.chunks_exact_mut(CHAINS).enumerate().take(chains) {
        let mut acc = [forest.init(); CHAINS];
        // Two trees per iteration (in order), so the loop's overhead is shared.
        let pairs = leaves
            .chunks_exact(2 * LEAVES)
            .zip(offsets.chunks_exact(2 * BLOCK));
        for (tree_leaves, offsets) in pairs {
            add_tree(&mut acc, &tree_leaves[..LEAVES], &offsets[c * CHAINS..]);
            add_tree(
                &mut acc,
                &tree_leaves[LEAVES..],
                &offsets[BLOCK + c * CHAINS..],
            );
        }
        if forest.n_trees() % 2 == 1 {
            let t = forest.n_trees() - 1;
            add_tree(
                &mut acc,
                &leaves[t * LEAVES..],
                &offsets[t * BLOCK + c * CHAINS..],
            );
        }
        sums.copy_from_slice(&acc);
    }
    out.copy_from_slice(&sums[..out.len()]);
}

/// Adds one tree's leaves to `CHAINS` rows' sums; `offsets` starts at those rows' offsets.
#[inline(always)]
fn add_tree(acc: &mut [f64; CHAINS], tree_leaves: &[f64], offsets: &[u8]) {
    let tree_leaves: &[f64; LEAVES] = tree_leaves[..LEAVES].try_into().unwrap();
    let offsets: &[u8; CHAINS] = offsets[..CHAINS].try_into().unwrap();
    for (sum, offset) in acc.iter_mut().zip(offsets) {
        // SAFETY: `offset` is a `leaf_offset` lane (a multiple of 8 below 64), so this
        // reads one of the tree's 8 leaves. A volatile read keeps it one byte load
        // (LLVM would otherwise load 8 offsets as one vector and extract lanes).
        *sum += unsafe {
            let offset = usize::from(core::ptr::read_volatile(offset));
            *(tree_leaves.as_ptr() as *const u8)
                .add(offset)
                .cast::<f64>()
        };
    }
}
