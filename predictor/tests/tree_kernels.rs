//! Property tests: the compact-layout kernels (`estimator::compact`, lock-stepped lanes by
//! tree and by row) reach the reference walk's leaf for every (row, tree), and every tree
//! estimator that uses them (forests, extra trees, decision trees, deep gradient boosting,
//! HistGradientBoosting) answers the reference evaluator's bits, on random models of every
//! shape: depths up to 30, NaN routing either way, thresholds on, next to and between
//! float32 values, beyond float32's range, and rows of extreme values. Runs natively and in
//! wasm with simd128 (scripts/test/wasm_simd.sh).

use model_format::hist_gradient_boosting::{HistDecision, HistNode, HistProba, RegressionLink};
use model_format::tree::{leaf_index, Node};
use model_format::trees::forest::{Combination, LeafProbability};
use predictor::estimator::compact::{CompactTrees, FromFloat32, TreeValue};
use predictor::estimator::{
    GradientBoostingRegressor, HistGradientBoostingClassifier, HistGradientBoostingRegressor,
    TreeClassifier, TreeRegressor,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // No regression files: the wasm run has no writable source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// splitmix64: the random models come from one proptest seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A threshold: a float32 value, one between two float32s, one next to a float32
    /// boundary, or beyond float32's range.
    fn threshold(&mut self) -> f64 {
        let base = (self.unit() - 0.5) * 8.0;
        match self.below(8) {
            0 => f64::from(base as f32),
            1 => f64::from((base as f32).next_up()),
            2 => f64::from(base as f32) + f64::from(f32::EPSILON) * base.abs() / 4.0,
            3 => [1e300, -1e300, 3.5e38, -3.5e38, f64::from(f32::MAX)][self.below(5)],
            4 => [0.0, -0.0, 1e-45, -1e-45, 1e-310][self.below(5)],
            _ => base,
        }
    }
}

/// One tree's shape: split flags, depth-first, left first (as the nodes are written).
struct Shape {
    max_depth: usize,
    max_nodes: usize,
    /// The chance a node below depth 3 splits.
    split: f64,
}

/// Appends a random tree (children after their parent, absolute indices) and returns its
/// root; `split(rng, node index) -> (feature, threshold, missing_left)`.
fn grow<N>(
    rng: &mut Rng,
    shape: &Shape,
    depth: usize,
    nodes: &mut Vec<N>,
    leaf: &mut impl FnMut(&mut Rng) -> N,
    split: &mut impl FnMut(&mut Rng, u32, u32) -> N,
) -> u32 {
    let at = nodes.len();
    // Deep spines and bushy tops: a split is likelier near the root, and a tree keeps
    // growing down one side far more often than both.
    let p = if depth < 3 { 0.9 } else { shape.split };
    if depth >= shape.max_depth || nodes.len() >= shape.max_nodes || rng.unit() > p {
        let n = leaf(rng);
        nodes.push(n);
        return at as u32;
    }
    nodes.push(leaf(rng)); // placeholder, replaced once the children are known
    let left = grow(rng, shape, depth + 1, nodes, leaf, split);
    let right = grow(rng, shape, depth + 1, nodes, leaf, split);
    nodes[at] = split(rng, left, right);
    at as u32
}

/// A forest of random trees of `Node`s over `width` features, `k` values per node.
fn random_forest(
    rng: &mut Rng,
    width: usize,
    k: usize,
    nan: bool,
) -> (Vec<Node>, Vec<u32>, Vec<f64>) {
    let n_trees = 1 + rng.below(24);
    // Now and then a forest past `SMALL_BYTES`, so the estimators take the lock-stepped
    // lanes as well as the one-walk-at-a-time path of small models.
    let big = rng.below(3) == 0;
    let (tree_nodes, split) = if big { (3000, 0.75) } else { (400, 0.55) };
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for _ in 0..n_trees {
        let shape = Shape {
            max_depth: 1 + rng.below(30),
            max_nodes: nodes.len() + 2 + rng.below(tree_nodes),
            split,
        };
        let root = grow(
            rng,
            &shape,
            0,
            &mut nodes,
            &mut |rng| Node::leaf((rng.unit() - 0.5) * 100.0),
            &mut |rng, left, right| {
                let feature = rng.below(width) as u32;
                Node::split(feature, rng.threshold(), left, right)
                    .with_missing_left(nan && rng.below(2) == 0)
            },
        );
        roots.push(root);
    }
    let values = (0..nodes.len() * k)
        .map(|_| (rng.below(50) as f64) * if rng.below(9) == 0 { 0.0 } else { 0.37 })
        .collect();
    (nodes, roots, values)
}

/// HistGradientBoosting predictors: the same shapes as `HistNode`s.
fn random_predictors(rng: &mut Rng, width: usize, k: usize) -> (Vec<HistNode>, Vec<u32>) {
    let n_iterations = 1 + rng.below(20);
    let big = rng.below(3) == 0;
    let (tree_nodes, split) = if big { (1000, 0.75) } else { (120, 0.55) };
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for _ in 0..n_iterations * k {
        let shape = Shape {
            max_depth: 1 + rng.below(30),
            max_nodes: nodes.len() + 2 + rng.below(tree_nodes),
            split,
        };
        let root = grow(
            rng,
            &shape,
            0,
            &mut nodes,
            &mut |rng| HistNode {
                value: (rng.unit() - 0.5) * 3.0,
                threshold: 0.0,
                feature: 0,
                left: 0,
                right: 0,
                missing_go_to_left: false,
                is_leaf: true,
            },
            &mut |rng, left, right| HistNode {
                value: 0.0,
                // float64 thresholds: any value, infinities included.
                threshold: match rng.below(6) {
                    0 => [f64::INFINITY, f64::NEG_INFINITY, 1e300][rng.below(3)],
                    _ => rng.threshold(),
                },
                feature: rng.below(width) as u32,
                left,
                right,
                missing_go_to_left: rng.below(2) == 0,
                is_leaf: false,
            },
        );
        roots.push(root);
    }
    (nodes, roots)
}

/// Rows mostly on, next to and around the thresholds, with NaN and extremes.
fn random_rows(rng: &mut Rng, thresholds: &[f64], n: usize, width: usize, nan: bool) -> Vec<f64> {
    (0..n * width)
        .map(|_| {
            let t = if thresholds.is_empty() {
                0.0
            } else {
                thresholds[rng.below(thresholds.len())]
            };
            match rng.below(12) {
                // NaN with either sign bit: the float32 keys map both to one key.
                0 if nan => [f64::NAN, -f64::NAN][rng.below(2)],
                1 => t,
                2 => f64::from((t as f32).next_up()),
                3 => f64::from((t as f32).next_down()),
                4 => f64::from(t as f32),
                5 => [
                    f64::from(f32::MAX),
                    -f64::from(f32::MAX),
                    -0.0,
                    0.0,
                    1e-40,
                    -1e-45,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ][rng.below(8)],
                6 => t + t.abs() * 1e-12,
                _ => (rng.unit() - 0.5) * 10.0,
            }
        })
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every driver of `trees` against `reference(tree, row index) -> leaf index`: same leaf
/// for every (row, tree), and every row meets its trees in order.
fn assert_drivers_exact<T: predictor::estimator::compact::SplitValue>(
    trees: &CompactTrees<T>,
    rows: &[T],
    width: usize,
    reference: impl Fn(usize, usize) -> usize,
) -> Result<(), TestCaseError> {
    let n_rows = rows.len() / width;
    let n_trees = trees.n_trees();
    let expected: Vec<usize> = (0..n_rows * n_trees)
        .map(|i| reference(i % n_trees, i / n_trees))
        .collect();
    let leaf_nodes = trees.leaf_nodes();
    for (r, row) in rows.chunks_exact(width).enumerate() {
        for t in 0..n_trees {
            let got = leaf_nodes[trees.leaf(t, row) as usize] as usize;
            prop_assert_eq!(got, expected[r * n_trees + t], "leaf: row {} tree {}", r, t);
        }
        let mut next = 0;
        trees.for_each_leaf_of_row(row, |t, id| {
            assert_eq!(t, next, "trees in order");
            next += 1;
            assert_eq!(leaf_nodes[id as usize] as usize, expected[r * n_trees + t]);
        });
        assert_eq!(next, n_trees);
    }
    for driver in 0..3 {
        let mut next_tree = vec![0; n_rows];
        let mut check = |r: usize, t: usize, id: u32| {
            assert_eq!(t, next_tree[r], "row {r} meets its trees in order");
            next_tree[r] += 1;
            assert_eq!(
                leaf_nodes[id as usize] as usize,
                expected[r * n_trees + t],
                "row {r} tree {t}"
            );
        };
        match driver {
            0 => trees.for_each_leaf_by_tree(rows, width, &mut check),
            1 => trees.for_each_leaf_by_row(rows, width, &mut check),
            _ => trees.for_each_leaf(rows, width, &mut check),
        }
        prop_assert!(next_tree.iter().all(|n| *n == n_trees));
    }
    Ok(())
}

fn thresholds_of(nodes: &[Node]) -> Vec<f64> {
    nodes
        .iter()
        .filter(|n| !n.is_leaf())
        .map(|n| n.threshold)
        .collect()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn float32_kernels_reach_the_reference_leaf(seed: u64, n_rows in 1usize..40) {
        let mut rng = Rng(seed);
        let width = 1 + rng.below(12);
        let (nodes, roots, _) = random_forest(&mut rng, width, 1, true);
        let trees = CompactTrees::from_tree_nodes(&nodes, &roots).unwrap();
        // Half the cases without a NaN: every group of rows takes the walk without the
        // missing-value routing; with NaN, groups with and without one.
        let nan = rng.below(2) == 0;
        let rows = random_rows(&mut rng, &thresholds_of(&nodes), n_rows, width, nan);
        // The reference walks the float32 rows; the kernels their `TreeValue`s (keys natively).
        let rows32: Vec<f32> = rows.iter().map(|x| *x as f32).collect();
        let keys: Vec<TreeValue> = rows.iter().map(|x| TreeValue::of_f64(*x)).collect();
        assert_drivers_exact(&trees, &keys, width, |t, r| {
            leaf_index(&nodes, roots[t], &rows32[r * width..][..width])
        })?;
    }

    #[test]
    fn float64_kernels_reach_the_reference_leaf(seed: u64, n_rows in 1usize..40) {
        let mut rng = Rng(seed);
        let width = 1 + rng.below(12);
        let (nodes, roots) = random_predictors(&mut rng, width, 1);
        let trees = CompactTrees::from_hist_nodes(&nodes, &roots).unwrap();
        let thresholds: Vec<f64> =
            nodes.iter().filter(|n| !n.is_leaf).map(|n| n.threshold).collect();
        let nan = rng.below(2) == 0;
        let mut rows = random_rows(&mut rng, &thresholds, n_rows, width, nan);
        for x in rows.iter_mut().step_by(7) {
            *x = [f64::INFINITY, f64::NEG_INFINITY, 1e300, f64::MAX][rng.below(4)];
        }
        let reference = |t: usize, r: usize| {
            let row = &rows[r * width..][..width];
            let mut i = roots[t] as usize;
            while !nodes[i].is_leaf {
                let n = &nodes[i];
                let x = row[n.feature as usize];
                let left = if x.is_nan() { n.missing_go_to_left } else { x <= n.threshold };
                i = if left { n.left } else { n.right } as usize;
            }
            i
        };
        assert_drivers_exact(&trees, &rows, width, reference)?;
    }

    #[test]
    fn forests_and_trees_answer_the_reference_bits(seed: u64, n_rows in 1usize..300) {
        let mut rng = Rng(seed);
        let model_width = 1 + rng.below(12);
        // Wide rows now and then: blocks of rows (1 MB each) then hold a few dozen rows,
        // so a batch crosses block boundaries.
        let width = if rng.below(3) == 0 { 3000 } else { model_width };
        let k = 2 + rng.below(4);
        let nan = rng.below(2) == 0;
        let (nodes, roots, values) = random_forest(&mut rng, model_width, k, nan);
        let rows = random_rows(&mut rng, &thresholds_of(&nodes), n_rows, width, true);
        for combination in [Combination::SingleTree, Combination::Average] {
            let roots = match combination {
                Combination::SingleTree => roots[..1].to_vec(),
                Combination::Average => roots.clone(),
            };
            let regressor = TreeRegressor::new(combination, nodes.clone(), roots.clone());
            let (mut a, mut b) = (vec![0.0; n_rows], vec![1.0; n_rows]);
            regressor.predict_reference_into(&rows, width, &mut a);
            regressor.predict_on_this_thread(&rows, width, &mut b);
            prop_assert_eq!(bits(&a), bits(&b), "regressor {:?}", combination);
            for rule in [LeafProbability::Fractions, LeafProbability::NormaliseCounts] {
                let classifier =
                    TreeClassifier::new(combination, rule, k, nodes.clone(), roots.clone(), &values);
                let (mut la, mut lb) = (vec![0; n_rows], vec![u32::MAX; n_rows]);
                let (mut pa, mut pb) = (vec![0.0; n_rows * k], vec![1.0; n_rows * k]);
                classifier.classify_reference_into(&rows, width, &mut la, Some(&mut pa));
                classifier.classify_on_this_thread(&rows, width, &mut lb, Some(&mut pb));
                prop_assert_eq!(&la, &lb, "classifier {:?} {:?}", combination, rule);
                prop_assert_eq!(bits(&pa), bits(&pb), "classifier {:?} {:?}", combination, rule);
            }
        }
    }

    #[test]
    fn deep_gradient_boosting_answers_the_reference_bits(seed: u64, n_rows in 1usize..300) {
        let mut rng = Rng(seed);
        let model_width = 1 + rng.below(12);
        // Wide rows now and then: blocks of rows (1 MB each) then hold a few dozen rows,
        // so a batch crosses block boundaries.
        let width = if rng.below(3) == 0 { 3000 } else { model_width };
        let (nodes, roots, _) = random_forest(&mut rng, model_width, 1, false);
        let rows = random_rows(&mut rng, &thresholds_of(&nodes), n_rows, width, true);
        let learning_rate = [0.1, 0.05, 1.0, 0.3][rng.below(4)];
        let gbr = GradientBoostingRegressor::new(12.5, learning_rate, nodes, roots);
        let (mut a, mut b) = (vec![0.0; n_rows], vec![1.0; n_rows]);
        gbr.reference().unwrap().predict_into(&rows, width, &mut a);
        gbr.predict_into(&rows, width, &mut b);
        prop_assert_eq!(bits(&a), bits(&b));
        let one = gbr.predict_row(&rows[..width]);
        prop_assert_eq!(one.to_bits(), a[0].to_bits());
    }

    #[test]
    fn hist_gradient_boosting_answers_the_reference_bits(seed: u64, n_rows in 1usize..300) {
        let mut rng = Rng(seed);
        let model_width = 1 + rng.below(12);
        // Wide rows now and then: blocks of rows (1 MB each) then hold a few dozen rows,
        // so a batch crosses block boundaries.
        let width = if rng.below(3) == 0 { 3000 } else { model_width };
        let (nodes, roots) = random_predictors(&mut rng, model_width, 1);
        let thresholds: Vec<f64> =
            nodes.iter().filter(|n| !n.is_leaf).map(|n| n.threshold).collect();
        let rows = random_rows(&mut rng, &thresholds, n_rows, width, true);
        for link in [RegressionLink::Identity, RegressionLink::Exp] {
            let hgb = HistGradientBoostingRegressor::new(nodes.clone(), roots.clone(), 0.25, link);
            let (mut a, mut b) = (vec![0.0; n_rows], vec![1.0; n_rows]);
            hgb.predict_reference_into(&rows, width, &mut a);
            predictor::estimator::Regress::predict_into(&hgb, &rows, width, &mut b);
            prop_assert_eq!(bits(&a), bits(&b), "{:?}", link);
        }
        let binary = HistGradientBoostingClassifier::new(
            nodes, roots, vec![-0.5], 2, HistProba::Expit, HistDecision::Raw,
        );
        assert_classifier_exact(&binary, &rows, width, 2)?;
        let k = 3;
        let (nodes, roots) = random_predictors(&mut rng, model_width, k);
        let multi = HistGradientBoostingClassifier::new(
            nodes, roots, vec![0.1, -0.2, 0.3], k, HistProba::Softmax, HistDecision::ArgmaxProba,
        );
        assert_classifier_exact(&multi, &rows, width, k)?;
    }
}

fn assert_classifier_exact(
    hgb: &HistGradientBoostingClassifier,
    rows: &[f64],
    width: usize,
    k: usize,
) -> Result<(), TestCaseError> {
    let n_rows = rows.len() / width;
    let (mut la, mut lb) = (vec![0; n_rows], vec![u32::MAX; n_rows]);
    let (mut pa, mut pb) = (vec![0.0; n_rows * k], vec![1.0; n_rows * k]);
    hgb.classify_reference_into(rows, width, &mut la, Some(&mut pa));
    predictor::estimator::Classify::classify_into(hgb, rows, width, &mut lb, Some(&mut pb));
    prop_assert_eq!(&la, &lb);
    prop_assert_eq!(bits(&pa), bits(&pb));
    Ok(())
}

/// The zoo's HistGradientBoosting models through the fast path and the reference.
#[test]
fn zoo_hist_gradient_boosting_models_answer_the_reference_bits() {
    use predictor::estimator::Estimator;
    let files: [&[u8]; 3] = [
        include_bytes!("../../model_data/zoo/sklearn-1.9/hist_gradient_boosting_squared_error.model.json"),
        include_bytes!("../../model_data/zoo/sklearn-1.9/hist_gradient_boosting_classifier_binary.model.json"),
        include_bytes!("../../model_data/zoo/sklearn-1.9/hist_gradient_boosting_classifier_multiclass.model.json"),
    ];
    let mut rng = Rng(7);
    for file in files {
        let model = predictor::Model::from_json(file).unwrap();
        let width = model.n_features();
        let rows = random_rows(&mut rng, &[0.0, 0.5, -1.0], 300, width, true);
        match model.estimator() {
            Estimator::HistGradientBoostingRegressor(hgb) => {
                let (mut a, mut b) = (vec![0.0; 300], vec![1.0; 300]);
                hgb.predict_reference_into(&rows, width, &mut a);
                predictor::estimator::Regress::predict_into(hgb, &rows, width, &mut b);
                assert_eq!(bits(&a), bits(&b));
            }
            Estimator::HistGradientBoostingClassifier(hgb) => {
                let k = predictor::estimator::Classify::n_classes(hgb);
                assert_classifier_exact(hgb, &rows, width, k).unwrap();
            }
            _ => panic!("a HistGradientBoosting model"),
        }
    }
}

/// The random models above reach both sides of `SMALL_BYTES` (so both estimator paths run).
#[test]
fn random_models_are_small_and_large() {
    use predictor::estimator::compact::walk::SMALL_BYTES;
    let (mut small, mut large) = (0, 0);
    for seed in 0..60 {
        let mut rng = Rng(seed);
        let (nodes, roots, _) = random_forest(&mut rng, 5, 1, true);
        let trees = CompactTrees::from_tree_nodes(&nodes, &roots).unwrap();
        if trees.node_bytes() <= SMALL_BYTES {
            small += 1;
        } else {
            large += 1;
        }
    }
    assert!(small >= 10 && large >= 10, "{small} small, {large} large");
}
