//! The padded forest with its thresholds quantised to ranks: what the wasm kernels read. A
//! split becomes a compare of bytes, so one wasm SIMD op tests 16 lanes instead of 4.
//! Built with the padded layout, at load time or at build time for the embedded model.
//!
//! Per feature `f`, `cuts[f * STRIDE..][..STRIDE]` holds its splits' distinct float32
//! thresholds (`padded::threshold_f32`, at most `CUTS`), sorted, padded with +inf; a node
//! keeps the index `i` of its threshold there. A row value `x` (float32) gets `rank(x)` = the
//! number of the first `CUTS` entries `c` with `!(x <= c)` (a binary search of 8 steps): the
//! cuts below `x` for a number (+inf padding never counts), 255 for NaN. Then
//! `x <= cuts[i]` exactly when `rank(x) <= i`:
//! - if `x <= cuts[i]`, every cut below `x` is below `cuts[i]`, so at most `i` count;
//! - if `rank(x) <= i`, not all of `cuts[0..=i]` are below `x`, and they are sorted, so
//!   `x <= cuts[i]`; NaN ranks as the window, above every `i` (`NaN <= c` is false).
//!
//! A node stores `limit = (i + 1) ^ 0x80`: the row goes left when `rank(x) < i + 1`, which
//! is one signed byte compare, `(rank(x) ^ 0x80) as i8 < limit as i8` (`i + 1 <= 255`).
//!
//! Layout (`GROUP` = 16 trees side by side, one wasm vector of bytes per node):
//! `columns[(g * NODES + k) * GROUP + j]` and `limits[...]`: node `k` of tree `g * GROUP + j`;
//! its column is the feature it reads (below `MAX_FEATURES`).
//! Padded filler nodes (whose both subtrees hold the same leaf) read feature 0, limit 0x80.

use alloc::borrow::Cow;
use alloc::vec;
use alloc::vec::Vec;

use super::padded::{PaddedForest, NODES};

/// Trees side by side in `columns` / `limits`; also the rows of a block (`columns`' unit).
pub const GROUP: usize = 16;
/// Distinct thresholds a feature may have; a rank is 0..=CUTS, so it fits a byte.
pub const CUTS: usize = 255;
/// Entries per feature in `cuts` (the last is always +inf): a power of two, so a search
/// index masked to it needs no bounds check.
pub const STRIDE: usize = 256;
/// Widest row the quantised layout takes: the wasm one-row kernel swizzles a tree's
/// feature out of at most four vectors of 16 byte lanes.
pub const MAX_FEATURES: usize = 64;

/// A forest's splits as byte ranks (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct RankedForest {
    /// Features with cuts (every split reads one of `0..width`).
    width: usize,
    cuts: Cow<'static, [f32]>,
    /// Each node's feature.
    columns: Cow<'static, [u8]>,
    /// Each node's `(i + 1) ^ 0x80`.
    limits: Cow<'static, [u8]>,
}

impl RankedForest {
    /// Quantises a padded forest; `real[slot]` says which of its nodes are real splits.
    /// `None` when it does not fit: a feature with more than `CUTS` distinct thresholds,
    /// a NaN threshold, or rows wider than `MAX_FEATURES`.
    pub fn build(forest: &PaddedForest, real: &[bool]) -> Option<RankedForest> {
        let width = forest.min_width();
        if width > MAX_FEATURES {
            return None;
        }
        let thresholds = forest.thresholds();
        let features = forest.features();
        let mut per_feature: Vec<Vec<f32>> = vec![Vec::new(); width];
        for slot in (0..thresholds.len()).filter(|s| real[*s]) {
            if thresholds[slot].is_nan() {
                return None;
            }
            per_feature[features[slot] as usize].push(thresholds[slot]);
        }
        let mut cuts = vec![f32::INFINITY; width * STRIDE];
        for (f, values) in per_feature.iter_mut().enumerate() {
            values.sort_unstable_by(f32::total_cmp);
            // -0.0 and 0.0 are one cut: they compare equal.
            values.dedup_by(|a, b| a == b);
            if values.len() > CUTS {
                return None;
            }
            cuts[f * STRIDE..][..values.len()].copy_from_slice(values);
        }
        let groups = forest.n_trees().div_ceil(GROUP);
        let mut columns = vec![0u8; groups * NODES * GROUP];
        let mut limits = vec![0x80u8; groups * NODES * GROUP];
        for t in 0..forest.n_trees() {
            for k in 0..NODES {
                let slot = PaddedForest::slot(t, k);
                if !real[slot] {
                    continue;
                }
                let f = features[slot] as usize;
                let i = per_feature[f]
                    .iter()
                    .position(|c| *c == thresholds[slot])
                    .expect("every threshold is a cut");
                let at = RankedForest::slot(t, k);
                columns[at] = f as u8;
                limits[at] = (i as u8 + 1) ^ 0x80;
            }
        }
        Some(RankedForest {
            width,
            cuts: Cow::Owned(cuts),
            columns: Cow::Owned(columns),
            limits: Cow::Owned(limits),
        })
    }

    /// Assembles a layout from arrays laid out by `build` (the embedded model's statics).
    pub const fn from_static(
        width: usize,
        cuts: &'static [f32],
        columns: &'static [u8],
        limits: &'static [u8],
    ) -> RankedForest {
        RankedForest {
            width,
            cuts: Cow::Borrowed(cuts),
            columns: Cow::Borrowed(columns),
            limits: Cow::Borrowed(limits),
        }
    }

    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    #[inline]
    pub fn cuts(&self) -> &[f32] {
        &self.cuts
    }

    #[inline]
    pub fn columns(&self) -> &[u8] {
        &self.columns
    }

    #[inline]
    pub fn limits(&self) -> &[u8] {
        &self.limits
    }

    /// The feature node `slot` reads.
    #[inline(always)]
    pub fn feature(&self, slot: usize) -> usize {
        usize::from(self.columns[slot])
    }

    /// Index into `columns`/`limits` of node `k` of tree `t`.
    #[inline(always)]
    pub const fn slot(t: usize, k: usize) -> usize {
        ((t / GROUP) * NODES + k) * GROUP + t % GROUP
    }

    /// The rank of float32 `x` among feature `f`'s cuts (branch-free binary search).
    #[inline(always)]
    pub fn rank(&self, f: usize, x: f32) -> u8 {
        rank_in(self.feature_cuts(f), x)
    }

    /// Feature `f`'s cuts.
    #[inline(always)]
    pub fn feature_cuts(&self, f: usize) -> &[f32; STRIDE] {
        self.cuts[f * STRIDE..][..STRIDE].try_into().unwrap()
    }
}

/// Whether a row whose value ranks `rank` goes left at a node with `limit`.
#[inline(always)]
pub fn goes_left(rank: u8, limit: u8) -> bool {
    rank < limit ^ 0x80
}

/// The number of entries `c` among the first `CUTS` of `cuts` (sorted) with `!(x <= c)`.
#[inline(always)]
// `!(x <= c)`, not `x > c`: NaN must count at every step.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
pub fn rank_in(cuts: &[f32; STRIDE], x: f32) -> u8 {
    let mut pos = 0usize;
    // The predicate is monotone over the sorted cuts, so this counts where it holds.
    macro_rules! step {
        ($s:literal) => {
            pos += usize::from(!(x <= cuts[(pos + $s - 1) % STRIDE])) * $s;
        };
    }
    step!(128);
    step!(64);
    step!(32);
    step!(16);
    step!(8);
    step!(4);
    step!(2);
    step!(1);
    pos as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_decide_every_embedded_split_like_the_float32_test() {
        // The embedded model is this file, laid out by the same code.
        let gbr = super::super::committed_model();
        let fast = PaddedForest::build(
            gbr.init,
            gbr.learning_rate,
            gbr.trees.nodes(),
            gbr.trees.roots(),
        )
        .unwrap();
        let ranked = fast.ranked().expect("the embedded model quantises");
        assert_eq!(ranked.width(), 6);
        let mut probes = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0];
        for c in ranked.cuts().iter().filter(|c| c.is_finite()) {
            probes.extend([*c, c.next_up(), c.next_down()]);
        }
        let mut checked = 0;
        for t in 0..fast.n_trees() {
            for k in 0..NODES {
                let s = RankedForest::slot(t, k);
                let f = ranked.feature(s);
                let limit = ranked.limits()[s];
                if limit == 0x80 {
                    continue; // filler
                }
                let i = (limit ^ 0x80) - 1;
                let cut = ranked.feature_cuts(f)[usize::from(i)];
                for &x in &probes {
                    let rank = ranked.rank(f, x);
                    assert_eq!(goes_left(rank, limit), x <= cut, "x = {x:e}, cut {cut:e}");
                    let signed = ((rank ^ 0x80) as i8) < limit as i8;
                    assert_eq!(signed, x <= cut, "signed, x = {x:e}, cut {cut:e}");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 2682);
    }

    #[test]
    fn ranks_count_the_cuts_below() {
        let mut cuts = [f32::INFINITY; STRIDE];
        cuts[..3].copy_from_slice(&[-1.0, 0.0, 2.5]);
        let cases = [
            (-2.0, 0),
            (-1.0, 0),
            (-0.5, 1),
            (-0.0, 1),
            (0.0, 1),
            (1.0, 2),
            (2.5, 2),
            (3.0, 3),
            (f32::MAX, 3),
            (f32::INFINITY, 3),
            (f32::NAN, 255),
        ];
        for (x, want) in cases {
            assert_eq!(rank_in(&cuts, x), want, "x = {x}");
        }
        let mut full = [f32::INFINITY; STRIDE];
        for (i, c) in full.iter_mut().take(CUTS).enumerate() {
            *c = i as f32;
        }
        assert_eq!(rank_in(&full, 1000.0), 255);
        assert_eq!(rank_in(&full, 253.5), 254);
        assert_eq!(rank_in(&full, -1.0), 0);
        assert_eq!(rank_in(&full, f32::NAN), 255);
    }

    #[test]
    fn too_many_distinct_thresholds_do_not_quantise() {
        use crate::tree::Node;
        let stumps = |n: usize| {
            let mut nodes = Vec::new();
            let mut roots = Vec::new();
            for i in 0..n {
                roots.push(nodes.len() as u32);
                let at = nodes.len() as u32;
                nodes.push(Node::split(0, i as f64 * 0.5, at + 1, at + 2));
                nodes.push(Node::leaf(1.0));
                nodes.push(Node::leaf(2.0));
            }
            PaddedForest::build(0.0, 0.1, &nodes, &roots).unwrap()
        };
        assert!(stumps(CUTS).ranked().is_some());
        assert!(stumps(CUTS + 1).ranked().is_none());
    }
}
