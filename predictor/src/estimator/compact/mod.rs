//! The fast evaluator's layout for trees of any shape (forests, extra trees, decision trees,
//! deep gradient boosting, HistGradientBoosting): built once from the validated nodes when
//! a model is loaded (`Model::from_json`, an embedded version 2 file alike), walked by the
//! kernels in `walk` (lock-stepped lanes; one branchy walk at a time for small models).
//!
//! Layout (`CompactTrees`): only the splits are nodes, 16 bytes each with a float32
//! threshold (24 with float64), trees one after another, each in depth-first order with the
//! left subtree first, so a split's left child, when it is a split, is the next node. A child
//! reference is the child's node index when `>= 0`, and `!leaf` (a leaf id) when negative:
//! leaves take no node and no extra step. Leaf ids count the leaves in the same order over
//! the whole model; `leaf_nodes` maps each back to its node in the validated array, so an
//! estimator lays out its leaf payload (a value, pre-multiplied where the reference
//! multiplies; a class's probabilities) in leaf order once.
//!
//! Exactness: the walk tests `x <= threshold || (x is NaN && missing_left)`, the reference's
//! test. Trees cast the row to float32 and compare `f64(x) <= t`; here the threshold is
//! `padded::threshold_f32(t)`, the largest float32 not greater than `t`, and `x <= t32` is
//! the same test for every float32 `x` (proof in `model_format::gradient_boosting::padded`).
//! HistGradientBoosting compares float64 rows with float64 thresholds, kept as they are.

pub mod walk;

use alloc::vec::Vec;
use core::fmt::Debug;

use model_format::gradient_boosting::padded::threshold_f32;
use model_format::hist_gradient_boosting::HistNode;
use model_format::tree::Node;

/// A row value and threshold type of the walk: float32 (trees) or float64 (HistGB).
pub trait SplitValue: Copy + PartialOrd + PartialEq + Debug {
    fn is_nan(self) -> bool;
}

impl SplitValue for f32 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl SplitValue for f64 {
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

/// `feature`'s top bit: a NaN goes left at this split.
const MISSING_LEFT: u32 = 1 << 31;

/// One split. Its children are node indices (`>= 0`) or `!leaf id` (`< 0`), both in one
/// `u64` (left in the low half): one load brings both while the row's value is loaded, and
/// the test picks one in a register. With two fields the compiler selects the address and
/// loads after the test, a third dependent load per step (one walk at a time on the zoo
/// forest: 303 ns/row with two fields, 239 with one).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct CompactNode<T> {
    threshold: T,
    /// The feature index, `MISSING_LEFT` set when a NaN goes left.
    feature: u32,
    children: u64,
}

impl<T: SplitValue> CompactNode<T> {
    /// The child reference a row takes at this split.
    #[inline(always)]
    pub fn next(&self, row: &[T]) -> i32 {
        let x = row[(self.feature & !MISSING_LEFT) as usize];
        self.choose(x)
    }

    /// The child reference for the value `x` of this split's feature.
    #[inline(always)]
    fn choose(&self, x: T) -> i32 {
        self.child((x <= self.threshold) | (x.is_nan() & (self.feature & MISSING_LEFT != 0)))
    }

    /// `choose` for a value that is not NaN (for a NaN it is wrong where `missing_left`):
    /// the plain compare, without the missing-value routing.
    #[inline(always)]
    fn choose_not_nan(&self, x: T) -> i32 {
        self.child(x <= self.threshold)
    }

    /// The left or the right child reference, picked in a register (no branch).
    #[inline(always)]
    fn child(&self, left: bool) -> i32 {
        let both = self.children;
        core::hint::select_unpredictable(left, both as u32 as i32, (both >> 32) as u32 as i32)
    }

    /// `choose` with a branch on the test: a lone walk has no other lane to overlap its
    /// loads with, and a predicted branch lets the core run ahead, so one walk at a time is
    /// faster branchy (the decision tree's one row: 137 ns branch-free, BENCHMARKS.md).
    #[inline(always)]
    fn choose_branchy(&self, x: T) -> i32 {
        let both = self.children;
        if x <= self.threshold || (x.is_nan() && self.feature & MISSING_LEFT != 0) {
            both as u32 as i32
        } else {
            (both >> 32) as u32 as i32
        }
    }

    /// The feature index this split reads.
    #[inline(always)]
    fn feature(&self) -> usize {
        (self.feature & !MISSING_LEFT) as usize
    }

    #[cfg(test)]
    fn left(&self) -> i32 {
        self.children as u32 as i32
    }

    #[cfg(test)]
    fn right(&self) -> i32 {
        (self.children >> 32) as u32 as i32
    }

    fn set_left(&mut self, reference: i32) {
        self.children = (self.children & !0xffff_ffff) | u64::from(reference as u32);
    }

    fn set_right(&mut self, reference: i32) {
        self.children = (self.children & 0xffff_ffff) | (u64::from(reference as u32) << 32);
    }
}

/// A model's trees in the compact layout (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct CompactTrees<T> {
    nodes: Vec<CompactNode<T>>,
    /// Per tree, its root's reference (a leaf id when the tree is a single leaf).
    roots: Vec<i32>,
    /// Per leaf id, the leaf's index in the validated node array.
    leaf_nodes: Vec<u32>,
    /// One more than the largest feature a split reads: rows must be this wide.
    min_width: usize,
}

/// A split as the builder reads it from a validated node array.
#[derive(Clone, Copy)]
pub struct SourceSplit<T> {
    pub feature: u32,
    pub threshold: T,
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
}

impl<T: SplitValue> CompactTrees<T> {
    /// Lays out the trees rooted at `roots`; `split(i)` is node `i` as a split, `None` for a
    /// leaf. The nodes must be validated (children after their parent, inside the array), so
    /// every walk from a root ends. `None` when the model is too large for 31-bit references
    /// (no file that loads is).
    pub fn build(
        n_nodes: usize,
        roots: &[u32],
        split: impl Fn(usize) -> Option<SourceSplit<T>>,
    ) -> Option<Self> {
        if n_nodes > i32::MAX as usize {
            return None;
        }
        let mut nodes: Vec<CompactNode<T>> = Vec::new();
        let mut leaf_nodes = Vec::new();
        let mut tree_roots = Vec::with_capacity(roots.len());
        // (validated index, parent node, whether this is the parent's right child)
        let mut stack: Vec<(u32, Option<(usize, bool)>)> = Vec::new();
        for &root in roots {
            stack.push((root, None));
            while let Some((i, parent)) = stack.pop() {
                let reference = match split(i as usize) {
                    None => {
                        let id = leaf_nodes.len();
                        leaf_nodes.push(i);
                        !(id as i32)
                    }
                    Some(s) => {
                        if s.feature >= MISSING_LEFT {
                            return None;
                        }
                        let id = nodes.len() as i32;
                        nodes.push(CompactNode {
                            threshold: s.threshold,
                            feature: s.feature | if s.missing_left { MISSING_LEFT } else { 0 },
                            children: 0,
                        });
                        // Left popped first: depth-first, left subtree next in memory.
                        stack.push((s.right, Some((id as usize, true))));
                        stack.push((s.left, Some((id as usize, false))));
                        id
                    }
                };
                match parent {
                    None => tree_roots.push(reference),
                    Some((p, false)) => nodes[p].set_left(reference),
                    Some((p, true)) => nodes[p].set_right(reference),
                }
            }
        }
        let min_width = nodes.iter().map(|n| n.feature() + 1).max().unwrap_or(0);
        Some(Self {
            nodes,
            roots: tree_roots,
            leaf_nodes,
            min_width,
        })
    }

    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// The number of leaves over all trees (leaf ids are `0..n_leaves()`).
    pub fn n_leaves(&self) -> usize {
        self.leaf_nodes.len()
    }

    /// One more than the largest feature a split reads: rows must be this wide.
    pub fn min_width(&self) -> usize {
        self.min_width
    }

    /// Per leaf id, the leaf's index in the validated node array.
    pub fn leaf_nodes(&self) -> &[u32] {
        &self.leaf_nodes
    }

    /// Bytes of split nodes (what a walk reads).
    pub fn node_bytes(&self) -> usize {
        self.nodes.len() * core::mem::size_of::<CompactNode<T>>()
    }

    /// `f(validated index)` for every leaf, in leaf-id order: a leaf payload table.
    pub fn per_leaf<V>(&self, f: impl FnMut(usize) -> V) -> Vec<V> {
        self.leaf_nodes.iter().map(|&i| i as usize).map(f).collect()
    }
}

impl CompactTrees<f32> {
    /// Trees walked on float32 rows (`model_format::tree::Node`).
    pub fn from_tree_nodes(nodes: &[Node], roots: &[u32]) -> Option<Self> {
        Self::build(nodes.len(), roots, |i| {
            let n = &nodes[i];
            (!n.is_leaf()).then(|| SourceSplit {
                feature: n.feature,
                threshold: threshold_f32(n.threshold),
                missing_left: n.missing_left,
                left: n.left,
                right: n.right,
            })
        })
    }
}

impl CompactTrees<f64> {
    /// HistGradientBoosting predictors, walked on float64 rows.
    pub fn from_hist_nodes(nodes: &[HistNode], roots: &[u32]) -> Option<Self> {
        Self::build(nodes.len(), roots, |i| {
            let n = &nodes[i];
            (!n.is_leaf).then_some(SourceSplit {
                feature: n.feature,
                threshold: n.threshold,
                missing_left: n.missing_go_to_left,
                left: n.left,
                right: n.right,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_16_bytes_with_float32_thresholds_and_24_with_float64() {
        assert_eq!(core::mem::size_of::<CompactNode<f32>>(), 16);
        assert_eq!(core::mem::size_of::<CompactNode<f64>>(), 24);
    }

    #[test]
    fn the_left_child_is_next_and_leaves_are_negative() {
        // 0: x0 <= 1 ? 1 : 4; 1: x1 <= 2 ? 2 : 3; then a single-leaf tree at 5.
        let nodes = [
            Node::split(0, 1.0, 1, 4),
            Node::split(1, 2.0, 2, 3),
            Node::leaf(10.0),
            Node::leaf(11.0),
            Node::leaf(12.0),
            Node::leaf(13.0),
        ];
        let trees = CompactTrees::from_tree_nodes(&nodes, &[0, 5]).unwrap();
        assert_eq!(trees.roots, [0, !3]);
        assert_eq!(trees.nodes[0].left(), 1);
        assert_eq!(trees.nodes[0].right(), !2);
        assert_eq!((trees.nodes[1].left(), trees.nodes[1].right()), (!0, !1));
        assert_eq!(trees.leaf_nodes(), [2, 3, 4, 5]);
    }
}
