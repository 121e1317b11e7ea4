//! The x86 AVX2 kernel. One row: eight trees per register (a lane-wise permute gives each
//! tree its feature; a gather from memory for rows wider than a register), all seven node
//! tests at once, then only the float64 adds in tree order. Batches: 16 rows per block in
//! float32 lanes against broadcast thresholds, the eight leaves of a tree looked up with
//! two 32-bit permutes, sums in float64 lanes.

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use model_format::gradient_boosting::padded::{PaddedForest, GROUP, LEAVES, NODES};

use super::cast_into;

/// The widest row the one-row kernel holds in one register.
pub const ROW_LANES: usize = 8;
/// Rows per batch block: two registers of eight float32 lanes.
const BLOCK: usize = 16;

/// The leaf index (0..8) per lane from the seven "goes left" masks of padded trees in
/// heap order (see `leaf_from_tests` in the parent module for the same formula on bools).
#[inline(always)]
unsafe fn leaf_index(l: [__m256; NODES]) -> __m256i {
    // Level 1: node 1 if the root went left, else node 2.
    let l1 = _mm256_blendv_ps(l[2], l[1], l[0]);
    // Level 2: nodes 3/4 under node 1, 5/6 under node 2.
    let under_left = _mm256_blendv_ps(l[4], l[3], l1);
    let under_right = _mm256_blendv_ps(l[6], l[5], l1);
    let l2 = _mm256_blendv_ps(under_right, under_left, l[0]);
    // As integers the masks are -1 (went left) or 0, so -(4 l0 + 2 l1 + l2) counts the
    // left turns; the leaf (counted from the left) is 7 minus the left turns' weight.
    let (l0, l1, l2) = (
        _mm256_castps_si256(l[0]),
        _mm256_castps_si256(l1),
        _mm256_castps_si256(l2),
    );
    let twice = _mm256_add_epi32(_mm256_add_epi32(l0, l0), l1);
    let weight = _mm256_add_epi32(_mm256_add_epi32(twice, twice), l2);
    _mm256_add_epi32(weight, _mm256_set1_epi32(7))
}

/// One row (already float32, zero-padded to `ROW_LANES`).
///
/// # Safety
/// The CPU must support AVX2; `forest.min_width <= ROW_LANES`.
#[target_feature(enable = "avx2")]
pub unsafe fn predict_row(forest: &PaddedForest, row: &[f32; ROW_LANES]) -> f64 {
    row_sum::<false>(forest, _mm256_loadu_ps(row.as_ptr()), row.as_ptr())
}

/// One row of any width (already float32): as `predict_row`, but each tree's feature is
/// gathered from the row in memory (`vgatherdps`) instead of permuted within one
/// register. For rows wider than `ROW_LANES`, where a batch block would cost one row as
/// much as a whole block.
///
/// # Safety
/// The CPU must support AVX2; `forest.min_width <= row.len()`.
#[target_feature(enable = "avx2")]
pub unsafe fn predict_wide_row(forest: &PaddedForest, row: &[f32]) -> f64 {
    row_sum::<true>(forest, _mm256_setzero_ps(), row.as_ptr())
}

/// The one-row kernel: eight trees at a time, the seven node tests of each in one
/// compare, then the float64 adds in tree order. Each test's row value is lane
/// `feature` of `x` (`GATHER` false: the row fits one register), or is loaded from
/// `row + feature` (`GATHER` true).
#[inline(always)]
unsafe fn row_sum<const GATHER: bool>(forest: &PaddedForest, x: __m256, row: *const f32) -> f64 {
    let thresholds = forest.thresholds().as_ptr();
    let features = forest.features().as_ptr();
    let leaves = forest.leaves().as_ptr();
    let lane_offsets = _mm256_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56);
    let mut index = [0u32; GROUP];
    let mut sum = forest.init();
    let n_trees = forest.n_trees();
    let mut t = 0;
    while t < n_trees {
        let base = (t / GROUP) * NODES * GROUP;
        let mut left = [_mm256_setzero_ps(); NODES];
        for (k, l) in left.iter_mut().enumerate() {
            let slot = base + k * GROUP;
            let feature = _mm256_loadu_si256(features.add(slot) as *const __m256i);
            let fx = if GATHER {
                _mm256_i32gather_ps::<4>(row, feature)
            } else {
                _mm256_permutevar8x32_ps(x, feature)
            };
            *l = _mm256_cmp_ps::<_CMP_LE_OQ>(fx, _mm256_loadu_ps(thresholds.add(slot)));
        }
        let leaf = _mm256_add_epi32(leaf_index(left), lane_offsets);
        _mm256_storeu_si256(index.as_mut_ptr() as *mut __m256i, leaf);
        let group_leaves = leaves.add(t * LEAVES);
        if n_trees - t >= GROUP {
            // The only sequential part: eight float64 adds in tree order.
            sum += *group_leaves.add(index[0] as usize);
            sum += *group_leaves.add(index[1] as usize);
            sum += *group_leaves.add(index[2] as usize);
            sum += *group_leaves.add(index[3] as usize);
            sum += *group_leaves.add(index[4] as usize);
            sum += *group_leaves.add(index[5] as usize);
            sum += *group_leaves.add(index[6] as usize);
            sum += *group_leaves.add(index[7] as usize);
        } else {
            for &i in &index[..n_trees - t] {
                sum += *group_leaves.add(i as usize);
            }
        }
        t += GROUP;
    }
    sum
}

/// One scaled row (`width` values) through the one-row kernel that fits it.
///
/// # Safety
/// The CPU must support AVX2; `forest.min_width <= row.len()`.
#[target_feature(enable = "avx2")]
pub unsafe fn predict_any_row(forest: &PaddedForest, row: &[f64]) -> f64 {
    if row.len() <= ROW_LANES {
        let mut row32 = [0.0f32; ROW_LANES];
        cast_into(row, &mut row32);
        predict_row(forest, &row32)
    } else {
        let mut row32 = alloc::vec![0.0f32; row.len()];
        cast_into(row, &mut row32);
        predict_wide_row(forest, &row32)
    }
}

/// A batch of scaled rows (row-major, `width` each) into `out`.
///
/// # Safety
/// The CPU must support AVX2; `width >= forest.min_width`, `rows.len() == out.len() * width`.
#[target_feature(enable = "avx2")]
pub unsafe fn predict_batch(forest: &PaddedForest, rows: &[f64], width: usize, out: &mut [f64]) {
    // Column-major float32 block: feature f of row r at [f * BLOCK + r].
    let mut block = alloc::vec![0.0f32; width * BLOCK];
    let mut sums = [0.0f64; BLOCK];
    for (rows, out) in rows.chunks(BLOCK * width).zip(out.chunks_mut(BLOCK)) {
        let n = out.len();
        if n < BLOCK {
            // A short tail: a block costs as much as ~8 rows one by one (measured with rows
            // that fit a register; gathered wide rows were timed on AVX-512's tails only).
            if 2 * n <= BLOCK {
                for (row, y) in rows.chunks_exact(width).zip(out.iter_mut()) {
                    *y = predict_any_row(forest, row);
                }
                return;
            }
            block.fill(0.0);
        }
        // scikit-learn's float32 cast, transposed into the block.
        for (r, row) in rows.chunks_exact(width).enumerate() {
            for (f, v) in row.iter().enumerate() {
                *block.get_unchecked_mut(f * BLOCK + r) = *v as f32;
            }
        }
        block_sums(forest, &block, &mut sums);
        out.copy_from_slice(&sums[..n]);
    }
}

/// Sums of one block of `BLOCK` rows.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block_sums(forest: &PaddedForest, block: &[f32], sums: &mut [f64; BLOCK]) {
    let xs = block.as_ptr();
    let thresholds = forest.thresholds().as_ptr();
    let features = forest.features().as_ptr();
    let lo = forest.leaves_lo().as_ptr();
    let hi = forest.leaves_hi().as_ptr();
    let init = _mm256_set1_pd(forest.init());
    // Per half of the block: rows (0, 1, 4, 5) and (2, 3, 6, 7) of that half, the order
    // the 32-bit unpacks produce; put back in order at the end.
    let mut acc = [init; 4];
    for t in 0..forest.n_trees() {
        let mut thr = [_mm256_setzero_ps(); NODES];
        let mut col = [xs; NODES];
        for k in 0..NODES {
            let slot = PaddedForest::slot(t, k);
            thr[k] = _mm256_set1_ps(*thresholds.add(slot));
            col[k] = xs.add(*features.add(slot) as usize * BLOCK);
        }
        let table_lo = _mm256_loadu_si256(lo.add(t * LEAVES) as *const __m256i);
        let table_hi = _mm256_loadu_si256(hi.add(t * LEAVES) as *const __m256i);
        for half in 0..2 {
            let mut left = [_mm256_setzero_ps(); NODES];
            for k in 0..NODES {
                left[k] =
                    _mm256_cmp_ps::<_CMP_LE_OQ>(_mm256_loadu_ps(col[k].add(half * 8)), thr[k]);
            }
            let leaf = leaf_index(left);
            let v_lo = _mm256_permutevar8x32_epi32(table_lo, leaf);
            let v_hi = _mm256_permutevar8x32_epi32(table_hi, leaf);
            let a = _mm256_castsi256_pd(_mm256_unpacklo_epi32(v_lo, v_hi));
            let b = _mm256_castsi256_pd(_mm256_unpackhi_epi32(v_lo, v_hi));
            acc[2 * half] = _mm256_add_pd(acc[2 * half], a);
            acc[2 * half + 1] = _mm256_add_pd(acc[2 * half + 1], b);
        }
    }
    for half in 0..2 {
        let (a, b) = (acc[2 * half], acc[2 * half + 1]);
        let p = sums.as_mut_ptr().add(half * 8);
        _mm256_storeu_pd(p, _mm256_permute2f128_pd::<0x20>(a, b));
        _mm256_storeu_pd(p.add(4), _mm256_permute2f128_pd::<0x31>(a, b));
    }
}
