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
//! the same test for every float32 `x` (proof in `model_format::gradient_boosting::padded`);
//! on x86-64 both are stored as `Float32Key`s, on which it is an integer compare with the
//! same answer (`TreeValue`).
//! HistGradientBoosting compares float64 rows with float64 thresholds, kept as they are.

pub mod walk;

use alloc::vec::Vec;
use core::fmt::Debug;

use model_format::gradient_boosting::padded::threshold_f32;
use model_format::hist_gradient_boosting::HistNode;
use model_format::tree::Node;

/// A row value and threshold type of the walk: float32 or its `Float32Key` (trees, see
/// `TreeValue`) or float64 (HistGB).
pub trait SplitValue: Copy + PartialOrd + PartialEq + Debug {
    /// Whether one row's lanes branch on their tests (`walk::lock_step_with`'s
    /// `BRANCHY`): measured faster for the integer compare of `Float32Key`s, slower for
    /// float64's.
    const BRANCHY_ONE_ROW: bool;

    fn is_nan(self) -> bool;
}

impl SplitValue for f32 {
    const BRANCHY_ONE_ROW: bool = false;

    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

/// What tree models' splits and rows are stored as: `Float32Key` on x86-64, where its
/// integer compare was measured faster (batches 1.07-1.11x, one row 1.20-1.29x on the
/// suite's tree models); float32 elsewhere: in wasm the keys measured 10-31% slower (BENCHMARKS.md,
/// "Tree kernels"), and no other target was measured.
#[cfg(target_arch = "x86_64")]
pub type TreeValue = Float32Key;
/// See the x86-64 definition.
#[cfg(not(target_arch = "x86_64"))]
pub type TreeValue = f32;

/// A split value made from a float32 (`Float32Key`, or the float itself).
pub trait FromFloat32: SplitValue {
    fn from_f32(x: f32) -> Self;

    /// scikit-learn's float32 cast of a float64 row value, then `from_f32`.
    #[inline(always)]
    fn of_f64(x: f64) -> Self {
        Self::from_f32(x as f32)
    }
}

impl FromFloat32 for f32 {
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        x
    }
}

impl FromFloat32 for Float32Key {
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        Self::new(x)
    }
}

/// A float32 as an `i32` whose integer order is the float's order: `a <= b` as integers
/// exactly when `a <= b` as floats, for every float32 but NaN, which maps to one key above
/// every other (`NAN`). Tree models compare float32 rows with float32 thresholds; with both
/// as keys, a split's test is an integer compare, not a float one: on the walk's chain of
/// dependent steps (node, the row's value, the test, the next node) the float compare's
/// latency and the move between the float and integer units are gone.
///
/// The map: `-0.0` becomes `+0.0` (they compare equal); a value with the sign bit clear
/// keeps its bits (a non-negative `i32`, in the float's order); one with it set keeps the
/// sign bit and flips the others, so a larger magnitude is a smaller (more negative) key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Float32Key(i32);

impl Float32Key {
    /// Every NaN's key: above `+inf`'s (`0x7f80_0000`), and no other float's.
    pub const NAN: Self = Self(i32::MAX);

    #[inline(always)]
    pub fn new(x: f32) -> Self {
        // `+ 0.0` turns `-0.0` into `+0.0` and leaves every other value as it is.
        let bits = (x + 0.0).to_bits() as i32;
        let key = bits ^ (((bits >> 31) as u32) >> 1) as i32;
        Self(if x.is_nan() { i32::MAX } else { key })
    }
}

impl PartialOrd for Float32Key {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.0.cmp(&other.0))
    }

    #[inline(always)]
    fn le(&self, other: &Self) -> bool {
        self.0 <= other.0
    }
}

impl SplitValue for Float32Key {
    const BRANCHY_ONE_ROW: bool = true;

    #[inline(always)]
    fn is_nan(self) -> bool {
        self == Self::NAN
    }
}

impl SplitValue for f64 {
    const BRANCHY_ONE_ROW: bool = false;

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

    /// `choose_not_nan` with a branch on the test, for lanes that gain from the core
    /// running ahead on a prediction (`walk::lock_step_with`).
    #[inline(always)]
    fn choose_not_nan_branchy(&self, x: T) -> i32 {
        self.branch(x <= self.threshold)
    }

    /// The left or the right child reference, picked in a register (no branch).
    ///
    /// On x86-64 the right reference passes through an empty `asm!` first, which hides
    /// that both come from one word. Without it LLVM folds the select into a shift by a
    /// selected amount, which drops `select_unpredictable`'s hint, and, for the integer
    /// compare of `Float32Key`s (a compare with a loaded operand), code generation then
    /// makes the select a branch: the suite's forests' batches 2.4x slower (BENCHMARKS.md,
    /// "Tree kernels").
    #[inline(always)]
    fn child(&self, left: bool) -> i32 {
        let both = self.children;
        let right = both >> 32;
        #[cfg(target_arch = "x86_64")]
        let right = {
            let mut right = right;
            // SAFETY: an empty template (a comment naming the register): no instruction, no
            // memory, no flags; `right` is left as it is.
            unsafe {
                core::arch::asm!(
                    "/* {0} */",
                    inout(reg) right,
                    options(pure, nomem, nostack, preserves_flags)
                );
            }
            right
        };
        core::hint::select_unpredictable(left, both, right) as u32 as i32
    }

    /// The left or the right child reference, picked by a branch on `left`.
    #[inline(always)]
    fn branch(&self, left: bool) -> i32 {
        let both = self.children;
        if left {
            both as u32 as i32
        } else {
            (both >> 32) as u32 as i32
        }
    }

    /// `choose` with a branch on the test: a lone walk has no other lane to overlap its
    /// loads with, and a predicted branch lets the core run ahead, so one walk at a time is
    /// faster branchy (the decision tree's one row: 137 ns branch-free, BENCHMARKS.md).
    #[inline(always)]
    fn choose_branchy(&self, x: T) -> i32 {
        self.branch(x <= self.threshold || (x.is_nan() && self.feature & MISSING_LEFT != 0))
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

impl CompactTrees<TreeValue> {
    /// Trees walked on float32 rows (`model_format::tree::Node`), as `TreeValue`s.
    pub fn from_tree_nodes(nodes: &[Node], roots: &[u32]) -> Option<Self> {
        Self::build(nodes.len(), roots, |i| {
            let n = &nodes[i];
            (!n.is_leaf()).then(|| SourceSplit {
                feature: n.feature,
                threshold: TreeValue::from_f32(threshold_f32(n.threshold)),
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
    use alloc::vec;

    #[test]
    fn nodes_are_16_bytes_with_float32_thresholds_and_24_with_float64() {
        assert_eq!(core::mem::size_of::<CompactNode<Float32Key>>(), 16);
        assert_eq!(core::mem::size_of::<CompactNode<f32>>(), 16);
        assert_eq!(core::mem::size_of::<CompactNode<f64>>(), 24);
    }

    /// Float32 values around every boundary of the map: zeros, subnormals, the ends of the
    /// range, infinities, and steps either side of each.
    fn probes() -> Vec<f32> {
        let mut v = vec![
            0.0f32,
            f32::MIN_POSITIVE,
            1e-45,
            1.0,
            1.5,
            f32::MAX,
            f32::INFINITY,
        ];
        for x in v.clone() {
            v.extend([x.next_up(), x.next_down()]);
        }
        let mut bits = 0x1234_5678u32;
        for _ in 0..2000 {
            bits = bits.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
            v.push(f32::from_bits(bits));
        }
        v.extend(v.clone().iter().map(|x| -x));
        v.extend([
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7f80_0001),
            f32::from_bits(0xffff_ffff),
        ]);
        v
    }

    #[test]
    fn float32_keys_order_as_the_floats_do() {
        let v = probes();
        for &a in &v {
            let ka = Float32Key::new(a);
            assert_eq!(ka.is_nan(), a.is_nan(), "{a:e}");
            assert_eq!(Float32Key::of_f64(f64::from(a)), ka, "{a:e}");
            assert_eq!(f32::of_f64(f64::from(a)).to_bits(), a.to_bits(), "{a:e}");
            for &b in &v {
                let kb = Float32Key::new(b);
                if !a.is_nan() && !b.is_nan() {
                    assert_eq!(ka <= kb, a <= b, "{a:e} <= {b:e}");
                    assert_eq!(ka == kb, a == b, "{a:e} == {b:e}");
                } else if a.is_nan() && !b.is_nan() {
                    assert!(ka > kb, "NaN's key above {b:e}'s");
                }
            }
        }
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
