//! A decision tree node in the flat layout that validation produces and the reference
//! evaluator walks, at run time and in the embedded model's statics alike.

/// `left` of a leaf: no child.
pub const LEAF: u32 = u32::MAX;

/// One node of a scikit-learn tree, children as absolute indices into the model's node array.
///
/// A split sends a row left when `f64(f32(x[feature])) <= threshold`: scikit-learn casts
/// its input to float32 and compares against a float64 threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub feature: u32,
    pub threshold: f64,
    pub left: u32,
    pub right: u32,
    pub value: f64,
}

impl Node {
    /// A node as validation makes it: a split (`left`/`right` absolute indices) keeps the
    /// `value` scikit-learn stores for it too, so a loaded model equals the embedded one.
    pub const fn new(feature: u32, threshold: f64, left: u32, right: u32, value: f64) -> Node {
        Node {
            feature,
            threshold,
            left,
            right,
            value,
        }
    }

    /// A split on `feature` at `threshold`, children at absolute indices.
    pub const fn split(feature: u32, threshold: f64, left: u32, right: u32) -> Node {
        Node {
            feature,
            threshold,
            left,
            right,
            value: 0.0,
        }
    }

    /// A leaf with its output `value`.
    pub const fn leaf(value: f64) -> Node {
        Node {
            feature: 0,
            threshold: 0.0,
            left: LEAF,
            right: LEAF,
            value,
        }
    }

    pub const fn is_leaf(&self) -> bool {
        self.left == LEAF
    }
}

/// The leaf value one float32 row reaches in the tree rooted at `root`.
///
/// `nodes` must be validated (children after their parent, inside the array), which
/// guarantees the walk ends.
#[inline]
pub fn leaf_value(nodes: &[Node], root: u32, row: &[f32]) -> f64 {
    let mut node = &nodes[root as usize];
    while !node.is_leaf() {
        let go_left = f64::from(row[node.feature as usize]) <= node.threshold;
        node = &nodes[if go_left { node.left } else { node.right } as usize];
    }
    node.value
}
