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
    /// Where a NaN goes at this split (scikit-learn >= 1.3's `missing_go_to_left`): only
    /// version 2 trees that take missing values set it; it sits in the struct's padding.
    pub missing_left: bool,
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
            missing_left: false,
        }
    }

    /// The same node sending a NaN left (`true`) or right at its split.
    pub const fn with_missing_left(self, missing_left: bool) -> Node {
        Node {
            missing_left,
            ..self
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
            missing_left: false,
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
            missing_left: false,
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

/// The global index of the leaf one row reaches in the tree rooted at `root`, the row cast
/// to float32 (scikit-learn's `Tree.apply`): a NaN goes where the split's `missing_left`
/// says, any other value left when `f64(x) <= threshold`.
///
/// `nodes` must be validated (children after their parent, inside the array), which
/// guarantees the walk ends.
#[inline]
pub fn leaf_index(nodes: &[Node], root: u32, row: &[f32]) -> usize {
    let mut index = root as usize;
    let mut node = &nodes[index];
    while !node.is_leaf() {
        let x = row[node.feature as usize];
        let go_left = f64::from(x) <= node.threshold || (x.is_nan() && node.missing_left);
        index = if go_left { node.left } else { node.right } as usize;
        node = &nodes[index];
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_flag_fits_in_the_padding() {
        assert_eq!(core::mem::size_of::<Node>(), 32);
    }

    #[test]
    fn nan_follows_the_flag_and_everything_else_the_threshold() {
        // 0: x0 <= 0.5 ? 1 : 2, NaN left.
        let nodes = [
            Node::split(0, 0.5, 1, 2).with_missing_left(true),
            Node::leaf(1.0),
            Node::leaf(2.0),
        ];
        assert_eq!(leaf_index(&nodes, 0, &[0.5]), 1);
        assert_eq!(leaf_index(&nodes, 0, &[0.6]), 2);
        assert_eq!(leaf_index(&nodes, 0, &[f32::NAN]), 1);
        assert_eq!(leaf_index(&nodes, 0, &[f32::INFINITY]), 2);
        let right = [nodes[0].with_missing_left(false), nodes[1], nodes[2]];
        assert_eq!(leaf_index(&right, 0, &[f32::NAN]), 2);
    }
}
