//! The fast evaluator's layout of a boosted forest: every tree padded to perfect depth 3,
//! thresholds as float32, leaves pre-multiplied by the learning rate. Built at load time, or
//! at build time for the embedded model (`embed`, which writes it out as statics that
//! `from_static` reassembles); the kernels in `predictor::estimator::gradient_boosting`
//! read it.
//!
//! Layout (`GROUP` = 8 trees side by side, so one vector register holds one node of 8 trees):
//! - `thresholds[(g * NODES + k) * GROUP + j]` and `features[...]` (same index): node `k`
//!   (heap order: root 0, children of `k` at `2k + 1`, `2k + 2`) of tree `g * GROUP + j`.
//! - `leaves[t * LEAVES + l]`: leaf `l` (left to right) of tree `t`, already `lr * value`;
//!   `leaves_lo`/`leaves_hi` hold the low/high 32 bits of the same values, for SIMD lookups.
//! - `ranked`: the same splits quantised to byte ranks (`ranked.rs`), when they fit. A build
//!   that reads only those (the embedded model on wasm) may leave `thresholds` and
//!   `features` empty; one of the two is always there. `leaves_lo`/`leaves_hi` may be
//!   empty off x86, whose kernels alone read them.
//!
//! Exactness:
//! - A leaf of a shallower tree is repeated over its whole padded subtree; the padded
//!   nodes above those copies (feature 0, threshold 0) may send a row either way.
//! - `f64(x) <= t` for a float32 `x` and float64 `t` is the same test as `x <= t32`,
//!   where `t32 = threshold_f32(t)` is the largest float32 not greater than `t`: if
//!   `x <= t32` then `f64(x) <= f64(t32) <= t`; if `f64(x) <= t` then `x` is a float32 not
//!   greater than `t`, so `x <= t32`. NaN fails both. (Tested on every threshold.)
//! - `lr * value` is the product the reference evaluator computes per row; computing it
//!   once here gives the same float64. The sum still starts at `init` and adds tree by
//!   tree, in order, so every row's result has the reference's bits.

use alloc::borrow::Cow;
use alloc::vec;

use super::ranked::RankedForest;
use crate::tree::Node;

/// The depth every tree is padded to; deeper models keep the reference evaluator.
pub const DEPTH: usize = 3;
/// Split nodes of a padded tree.
pub const NODES: usize = (1 << DEPTH) - 1;
/// Leaves of a padded tree.
pub const LEAVES: usize = 1 << DEPTH;
/// Trees laid side by side in the threshold and feature arrays.
pub const GROUP: usize = 8;

/// The largest float32 not greater than `t` (see the module doc for why comparing
/// against it is exact). `t` may be any float64; infinities map to themselves.
pub fn threshold_f32(t: f64) -> f32 {
    let nearest = t as f32;
    if f64::from(nearest) > t {
        nearest.next_down()
    } else {
        nearest
    }
}

/// A gradient-boosted forest in the fast evaluator's layout (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct PaddedForest {
    init: f64,
    n_trees: usize,
    /// One more than the largest feature index a split reads: rows must be this wide.
    min_width: usize,
    thresholds: Cow<'static, [f32]>,
    features: Cow<'static, [u32]>,
    leaves: Cow<'static, [f64]>,
    leaves_lo: Cow<'static, [u32]>,
    leaves_hi: Cow<'static, [u32]>,
    ranked: Option<RankedForest>,
}

impl PaddedForest {
    /// Lays out a validated forest; `None` when a tree is deeper than `DEPTH`.
    pub fn build(
        init: f64,
        learning_rate: f64,
        nodes: &[Node],
        roots: &[u32],
    ) -> Option<PaddedForest> {
        let n_trees = roots.len();
        let groups = n_trees.div_ceil(GROUP);
        let mut thresholds = vec![0.0f32; groups * NODES * GROUP];
        let mut features = vec![0u32; groups * NODES * GROUP];
        let mut leaves = vec![0.0f64; n_trees * LEAVES];
        let mut real = vec![false; groups * NODES * GROUP];
        for (t, &root) in roots.iter().enumerate() {
            let mut tree = TreeSlots {
                tree: t,
                nodes,
                learning_rate,
                thresholds: &mut thresholds,
                features: &mut features,
                real: &mut real,
                leaves: &mut leaves,
            };
            tree.place(root as usize, 0)?;
        }
        let leaves_lo = leaves.iter().map(|v| v.to_bits() as u32).collect();
        let leaves_hi = leaves.iter().map(|v| (v.to_bits() >> 32) as u32).collect();
        let min_width = features.iter().max().map_or(0, |f| *f as usize + 1);
        let mut forest = PaddedForest {
            init,
            n_trees,
            min_width,
            thresholds: Cow::Owned(thresholds),
            features: Cow::Owned(features),
            leaves: Cow::Owned(leaves),
            leaves_lo: Cow::Owned(leaves_lo),
            leaves_hi: Cow::Owned(leaves_hi),
            ranked: None,
        };
        forest.ranked = RankedForest::build(&forest, &real);
        Some(forest)
    }

    /// Assembles a forest from arrays laid out by `build` (the embedded model's statics).
    #[allow(clippy::too_many_arguments)]
    pub const fn from_static(
        init: f64,
        n_trees: usize,
        min_width: usize,
        thresholds: &'static [f32],
        features: &'static [u32],
        leaves: &'static [f64],
        leaves_lo: &'static [u32],
        leaves_hi: &'static [u32],
        ranked: Option<RankedForest>,
    ) -> PaddedForest {
        PaddedForest {
            init,
            n_trees,
            min_width,
            thresholds: Cow::Borrowed(thresholds),
            features: Cow::Borrowed(features),
            leaves: Cow::Borrowed(leaves),
            leaves_lo: Cow::Borrowed(leaves_lo),
            leaves_hi: Cow::Borrowed(leaves_hi),
            ranked,
        }
    }

    #[inline]
    pub fn init(&self) -> f64 {
        self.init
    }

    #[inline]
    pub fn n_trees(&self) -> usize {
        self.n_trees
    }

    #[inline]
    pub fn min_width(&self) -> usize {
        self.min_width
    }

    #[inline]
    pub fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    #[inline]
    pub fn features(&self) -> &[u32] {
        &self.features
    }

    #[inline]
    pub fn leaves(&self) -> &[f64] {
        &self.leaves
    }

    #[inline]
    pub fn leaves_lo(&self) -> &[u32] {
        &self.leaves_lo
    }

    #[inline]
    pub fn leaves_hi(&self) -> &[u32] {
        &self.leaves_hi
    }

    /// The splits as byte ranks, when the forest quantises (`ranked.rs`).
    #[inline]
    pub fn ranked(&self) -> Option<&RankedForest> {
        self.ranked.as_ref()
    }

    /// Whether the float32 thresholds and u32 features are here (see the module doc).
    #[inline]
    pub fn has_float_splits(&self) -> bool {
        !self.thresholds.is_empty() || self.n_trees == 0
    }

    /// This forest without its float32 splits, as the wasm builds embed it; `None` if it
    /// has no ranks to keep instead. Only the kernels that read ranks run on it.
    pub fn without_float_splits(&self) -> Option<PaddedForest> {
        self.ranked.as_ref()?;
        Some(PaddedForest {
            thresholds: Cow::Borrowed(&[]),
            features: Cow::Borrowed(&[]),
            ..self.clone()
        })
    }

    /// Index into `thresholds`/`features` of node `k` of tree `t`.
    #[inline(always)]
    pub const fn slot(t: usize, k: usize) -> usize {
        ((t / GROUP) * NODES + k) * GROUP + t % GROUP
    }
}

/// Writes one tree into the padded arrays.
struct TreeSlots<'a> {
    tree: usize,
    nodes: &'a [Node],
    learning_rate: f64,
    thresholds: &'a mut [f32],
    features: &'a mut [u32],
    /// Which slots hold a split of the tree (the rest are padding).
    real: &'a mut [bool],
    leaves: &'a mut [f64],
}

impl TreeSlots<'_> {
    /// Places node `node` at heap position `pos` (depth = floor(log2(pos + 1))).
    fn place(&mut self, node: usize, pos: usize) -> Option<()> {
        let n = &self.nodes[node];
        if n.is_leaf() {
            // Fill every padded leaf under `pos` with this value.
            let mut first = pos;
            let mut width = 1;
            while first < NODES {
                first = 2 * first + 1;
                width *= 2;
            }
            let value = self.learning_rate * n.value;
            let base = self.tree * LEAVES + (first - NODES);
            self.leaves[base..base + width].fill(value);
            return Some(());
        }
        if pos >= NODES {
            return None;
        }
        let slot = PaddedForest::slot(self.tree, pos);
        self.thresholds[slot] = threshold_f32(n.threshold);
        self.features[slot] = n.feature;
        self.real[slot] = true;
        self.place(n.left as usize, 2 * pos + 1)?;
        self.place(n.right as usize, 2 * pos + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// `f64(x) <= t` and `x <= threshold_f32(t)` agree for `x` at and one float32 ulp
    /// either side of `t32` and of `t as f32`, and at the extremes.
    fn assert_trick_holds(t: f64) {
        let t32 = threshold_f32(t);
        assert!(f64::from(t32) <= t, "t32 is not below t = {t:e}");
        if t32 != f32::INFINITY {
            assert!(
                f64::from(t32.next_up()) > t,
                "t32 is not the largest for t = {t:e}"
            );
        }
        let probes = [
            t32,
            t32.next_up(),
            t32.next_down(),
            t as f32,
            (t as f32).next_up(),
            (t as f32).next_down(),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            0.0,
            -0.0,
        ];
        for x in probes {
            assert_eq!(
                f64::from(x) <= t,
                x <= t32,
                "t = {t:e} ({:#x}), x = {x:e}, t32 = {t32:e}",
                t.to_bits()
            );
        }
    }

    /// The embedded model is this file, laid out by the same code.
    #[test]
    fn float32_thresholds_match_on_every_embedded_threshold() {
        let gbr = super::super::committed_model();
        let mut splits = 0;
        for node in gbr.trees.nodes().iter().filter(|n| !n.is_leaf()) {
            assert_trick_holds(node.threshold);
            splits += 1;
        }
        assert_eq!(splits, 2682);
    }

    #[test]
    fn float32_thresholds_match_at_awkward_values() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            -0.1,
            f64::from(f32::MAX),
            -f64::from(f32::MAX),
            f64::from(f32::MAX) * 1.5,
            -f64::from(f32::MAX) * 1.5,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::from(f32::MIN_POSITIVE),
            1e-45,
            -1e-45,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // float64 values next to float32 values: just above, just below, exactly on.
        for x in [1.5f32, -2.75, 0.3, 1e-40, 3e38, 7.0e-3] {
            let x = f64::from(x);
            values.extend([x, x.next_up(), x.next_down()]);
        }
        for t in values {
            assert_trick_holds(t);
        }
    }

    #[test]
    fn a_shallow_leaf_repeats_over_its_padded_subtree() {
        // root -> (leaf 1.0, split -> (leaf 2.0, leaf 3.0))
        let nodes = [
            Node::split(1, 0.5, 1, 2),
            Node::leaf(1.0),
            Node::split(0, -0.5, 3, 4),
            Node::leaf(2.0),
            Node::leaf(3.0),
        ];
        let forest = PaddedForest::build(0.0, 0.5, &nodes, &[0]).unwrap();
        assert_eq!(
            forest.leaves(),
            &[0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.5, 1.5][..]
        );
        assert_eq!(forest.features()[PaddedForest::slot(0, 0)], 1);
        assert_eq!(forest.features()[PaddedForest::slot(0, 2)], 0);
        assert_eq!(forest.thresholds()[PaddedForest::slot(0, 0)], 0.5);
    }

    #[test]
    fn deeper_trees_have_no_padded_layout() {
        let mut nodes = Vec::new();
        for d in 0..4u32 {
            nodes.push(Node::split(0, 0.0, 2 * d + 1, 2 * d + 2));
            nodes.push(Node::leaf(f64::from(d)));
        }
        nodes.push(Node::leaf(9.0));
        assert!(PaddedForest::build(0.0, 0.1, &nodes, &[0]).is_none());
        // Depth 3 exactly is fine.
        let shallow: Vec<Node> = nodes[2..].to_vec();
        let rebased: Vec<Node> = shallow
            .iter()
            .map(|n| match n.is_leaf() {
                true => *n,
                false => Node::split(n.feature, n.threshold, n.left - 2, n.right - 2),
            })
            .collect();
        assert!(PaddedForest::build(0.0, 0.1, &rebased, &[0]).is_some());
    }
}
