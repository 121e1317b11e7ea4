//! The x86 AVX-512 batch kernel (AVX-512F, detected at run time like AVX2): 32 rows per
//! block in two registers of sixteen float32 lanes. Each level's tests are masked
//! compares (a row only tests the node on its path, so no blends), thresholds come
//! straight from memory as broadcasts, and a tree's eight float64 leaves fit one register
//! for a lane-wise permute. Each row's sum is still added tree by tree, in order.

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::avx2;
use model_format::gradient_boosting::padded::{PaddedForest, LEAVES, NODES};

/// Rows per batch block.
const BLOCK: usize = 32;
/// Rows per register.
const LANES: usize = 16;

/// A batch of scaled rows (row-major, `width` each) into `out`.
///
/// # Safety
/// The CPU must support AVX-512F; `width >= forest.min_width`, `rows.len() == out.len() * width`.
#[target_feature(enable = "avx512f")]
pub unsafe fn predict_batch(forest: &PaddedForest, rows: &[f64], width: usize, out: &mut [f64]) {
    // Column-major float32 block: feature f of row r at [f * BLOCK + r].
    let mut block = alloc::vec![0.0f32; width * BLOCK];
    let mut sums = [0.0f64; BLOCK];
    for (rows, out) in rows.chunks(BLOCK * width).zip(out.chunks_mut(BLOCK)) {
        let n = out.len();
        if n < BLOCK {
            // A short tail: a block costs as much as ~4 rows one by one (a row of 32
            // features: 1,265-1,882 ns gathered, a 32-row block ~6,000 ns).
            if n <= 4 {
                for (row, y) in rows.chunks_exact(width).zip(out.iter_mut()) {
                    // SAFETY: Kernel::Avx512 is only available with AVX2 too.
                    *y = avx2::predict_any_row(forest, row);
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
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn block_sums(forest: &PaddedForest, block: &[f32], sums: &mut [f64; BLOCK]) {
    let xs = block.as_ptr();
    let thresholds = forest.thresholds().as_ptr();
    let features = forest.features().as_ptr();
    let leaves = forest.leaves().as_ptr();
    let init = _mm512_set1_pd(forest.init());
    // Per register of rows: [even rows, odd rows] (see the permutes below).
    let mut acc = [init; 4];
    let (four, two, one) = (
        _mm512_set1_epi32(4),
        _mm512_set1_epi32(2),
        _mm512_set1_epi32(1),
    );
    for t in 0..forest.n_trees() {
        let mut thr = [0.0f32; NODES];
        let mut col = [xs; NODES];
        for k in 0..NODES {
            let slot = PaddedForest::slot(t, k);
            thr[k] = *thresholds.add(slot);
            col[k] = xs.add(*features.add(slot) as usize * BLOCK);
        }
        let table = _mm512_loadu_pd(leaves.add(t * LEAVES));
        for half in 0..BLOCK / LANES {
            macro_rules! x {
                ($k:expr) => {
                    _mm512_loadu_ps(col[$k].add(half * LANES))
                };
            }
            let l0 = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(x!(0), _mm512_set1_ps(thr[0]));
            let r0 = !l0;
            // Level 1: node 1 for rows that went left, node 2 for the others.
            let l1 = _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(l0, x!(1), _mm512_set1_ps(thr[1]))
                | _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(r0, x!(2), _mm512_set1_ps(thr[2]));
            let r1 = !l1;
            // Level 2: nodes 3, 4, 5, 6 by the two turns so far.
            let l2 = _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(l0 & l1, x!(3), _mm512_set1_ps(thr[3]))
                | _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(l0 & r1, x!(4), _mm512_set1_ps(thr[4]))
                | _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(r0 & l1, x!(5), _mm512_set1_ps(thr[5]))
                | _mm512_mask_cmp_ps_mask::<_CMP_LE_OQ>(r0 & r1, x!(6), _mm512_set1_ps(thr[6]));
            // Leaf (from the left) = 7 - 4 l0 - 2 l1 - l2.
            let mut leaf = _mm512_set1_epi32(7);
            leaf = _mm512_mask_sub_epi32(leaf, l0, leaf, four);
            leaf = _mm512_mask_sub_epi32(leaf, l1, leaf, two);
            leaf = _mm512_mask_sub_epi32(leaf, l2, leaf, one);
            // The permute reads the low 3 bits of each 64-bit lane: the even rows' leaf
            // as is, the odd rows' after a 32-bit shift.
            let even = _mm512_permutexvar_pd(leaf, table);
            let odd = _mm512_permutexvar_pd(_mm512_srli_epi64::<32>(leaf), table);
            acc[2 * half] = _mm512_add_pd(acc[2 * half], even);
            acc[2 * half + 1] = _mm512_add_pd(acc[2 * half + 1], odd);
        }
    }
    for half in 0..BLOCK / LANES {
        let mut even = [0.0f64; LANES / 2];
        let mut odd = [0.0f64; LANES / 2];
        _mm512_storeu_pd(even.as_mut_ptr(), acc[2 * half]);
        _mm512_storeu_pd(odd.as_mut_ptr(), acc[2 * half + 1]);
        for j in 0..LANES / 2 {
            sums[half * LANES + 2 * j] = even[j];
            sums[half * LANES + 2 * j + 1] = odd[j];
        }
    }
}
