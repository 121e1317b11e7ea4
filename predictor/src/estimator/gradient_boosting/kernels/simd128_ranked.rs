//! The wasm32 simd128 kernels over byte ranks (`model_format::gradient_boosting::ranked`),
//! for forests that quantise: a batch ranks 32 rows into two column-major byte blocks (a
//! feature at a time, each value by a 4-ary search of one vector compare per level) and
//! tests 16 rows per compare; one row tests 16 trees per compare (its ranks swizzled by the
//! trees' features, from one vector per 16 features).
//! Leaf values are added one by one in float64, each row's sum in tree order.

use core::arch::wasm32::*;

use super::simd128::leaf_bits;
use model_format::gradient_boosting::padded::{PaddedForest, LEAVES, NODES};
use model_format::gradient_boosting::ranked::{RankedForest, CUTS, GROUP, MAX_FEATURES, STRIDE};

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
    let searches: alloc::vec::Vec<Search> = (0..ranked.width())
        .map(|f| Search::new(ranked.feature_cuts(f)))
        .collect();
    for (rows, out) in rows_whole
        .chunks_exact(BLOCK * width)
        .zip(out_whole.chunks_exact_mut(BLOCK))
    {
        rank_block(&searches, rows, width, &mut block);
        block_sums(forest, ranked, &block, &mut offsets, out);
    }
    if out_rest.len() < ROW_KERNEL_BELOW {
        for (row, y) in rows_rest.chunks_exact(width).zip(out_rest) {
            *y = predict_row(forest, ranked, row);
        }
    } else if !out_rest.is_empty() {
        rank_block(&searches, rows_rest, width, &mut block);
        block_sums(forest, ranked, &block, &mut offsets, out_rest);
    }
}

/// Ranks up to `BLOCK` rows into `block`, biased by 0x80, a feature at a time (rows past
/// the end keep stale ranks; their sums are not read).
#[inline(always)]
fn rank_block(searches: &[Search<'_>], rows: &[f64], width: usize, block: &mut Block) {
    for (f, search) in searches.iter().enumerate() {
        match search.depth {
            1 => rank_column::<1>(search, rows, width, f, block),
            2 => rank_column::<2>(search, rows, width, f, block),
            3 => rank_column::<3>(search, rows, width, f, block),
            _ => rank_column::<4>(search, rows, width, f, block),
        }
    }
}

/// Feature `f` of each row ranked by a `DEPTH`-level search.
#[inline(always)]
fn rank_column<const DEPTH: usize>(
    search: &Search<'_>,
    rows: &[f64],
    width: usize,
    f: usize,
    block: &mut Block,
) {
    for (r, row) in rows.chunks_exact(width).enumerate() {
        block[r / LANES % HALVES][f * LANES + r % LANES] =
            search.rank::<DEPTH>(row[f] as f32) ^ 0x80;
    }
}

/// Entries of a search's inner levels: 4, 16 and 64.
const INNER: usize = 4 + 16 + 64;

/// A feature's cuts as a 4-ary search tree: `depth` levels of one vector compare each, the
/// least with `4^depth` above its number of cuts (`ranked::rank_in` takes eight scalar steps
/// for any). Level `j` (from 1) holds, for each subtree `s` of the level above, the last cut
/// of each of its four quarters; the last level is the cuts themselves.
struct Search<'a> {
    depth: usize,
    cuts: &'a [f32; STRIDE],
    /// Levels `1..depth`, from `level_offset(j)`.
    inner: [f32; INNER],
}

/// Where level `j` (from 1) starts in `Search::inner`.
const fn level_offset(j: usize) -> usize {
    (4usize.pow(j as u32) - 4) / 3
}

impl<'a> Search<'a> {
    fn new(cuts: &'a [f32; STRIDE]) -> Search<'a> {
        // The +inf padding never counts (nor would a +inf cut: nothing is above it).
        let n = cuts[..CUTS]
            .iter()
            .take_while(|c| **c != f32::INFINITY)
            .count();
        let depth = (1..=4).find(|d| 4usize.pow(*d as u32) > n).unwrap_or(4);
        let mut inner = [f32::INFINITY; INNER];
        for j in 1..depth {
            let quarter = 4usize.pow((depth - j) as u32);
            for (i, v) in inner[level_offset(j)..][..4usize.pow(j as u32)]
                .iter_mut()
                .enumerate()
            {
                *v = cuts[(i + 1) * quarter - 1];
            }
        }
        Search { depth, cuts, inner }
    }

    /// `ranked::rank_in(cuts, x)`. In each subtree the last cut is at or above a number
    /// (at the root it is +inf, as the cuts are fewer than `4^depth`), so a compare counts
    /// at most three quarters and the counts add up to the cuts below `x`; NaN is above no
    /// cut, and ranks 255.
    #[inline(always)]
    fn rank<const DEPTH: usize>(&self, x: f32) -> u8 {
        let xs = f32x4_splat(x);
        let count = |four: &[f32]| {
            let four: &[f32; 4] = four[..4].try_into().unwrap();
            // SAFETY: four readable float32 values; v128_load allows any alignment.
            let cuts = unsafe { v128_load(four.as_ptr() as *const v128) };
            i32x4_bitmask(f32x4_gt(xs, cuts)).count_ones() as usize
        };
        let mut s = 0;
        for j in 1..DEPTH {
            s = 4 * s + count(&self.inner[level_offset(j) + 4 * s % 4usize.pow(j as u32)..]);
        }
        s = 4 * s + count(&self.cuts[4 * s % STRIDE..]);
        if x.is_nan() {
            255
        } else {
            s as u8
        }
    }
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
