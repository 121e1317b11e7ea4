//! Property tests: every fast-evaluator kernel that can run here (scalar, AVX2, wasm
//! simd128; on byte ranks and on float32 thresholds) returns the reference evaluator's bits,
//! on the embedded model and on random forests, for random rows, rows on and next to
//! thresholds, and extreme values.

use predictor::estimator::gradient_boosting::ReferenceEvaluator;
use predictor::estimator::{GradientBoostingRegressor, Kernel};
use predictor::tree::Node;
use predictor::{Model, Scaling};
use proptest::prelude::*;
use proptest::test_runner::Config;

fn embedded() -> &'static GradientBoostingRegressor {
    Model::embedded()
        .estimator()
        .as_gradient_boosting()
        .expect("the embedded model is a gradient-boosting regressor")
}

/// The reference evaluator, which every build these tests run in carries.
fn reference(gbr: &GradientBoostingRegressor) -> ReferenceEvaluator<'_> {
    gbr.reference().expect("this build carries the node table")
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        // No regression files: the wasm run has no writable source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The kernels that can run here; the test scripts name the ones that must.
fn kernels() -> Vec<Kernel> {
    Kernel::ALL
        .into_iter()
        .filter(|k| k.is_available())
        .collect()
}

#[test]
fn the_expected_kernels_are_available() {
    assert!(Kernel::Scalar.is_available());
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    assert_eq!(
        Kernel::Avx2.is_available(),
        std::is_x86_feature_detected!("avx2")
    );
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    assert_eq!(
        Kernel::Avx512.is_available(),
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("avx512f")
    );
    assert_eq!(
        Kernel::Simd128.is_available(),
        cfg!(all(target_arch = "wasm32", target_feature = "simd128"))
    );
    // scripts/test/wasm_simd.sh sets this, so a build without simd128 cannot pass quietly.
    if let Some(name) = option_env!("EXPECT_KERNEL") {
        let kernel = Kernel::ALL.into_iter().find(|k| k.name() == name).unwrap();
        assert!(kernel.is_available(), "kernel {name} is not available");
        assert_eq!(Kernel::best(), kernel);
    }
}

/// Asserts every available kernel, one row at a time and as one batch, matches the
/// reference evaluator bit for bit.
fn assert_all_paths_exact(gbr: &GradientBoostingRegressor, rows: &[f64], width: usize) {
    let n = rows.len() / width;
    let mut expected = vec![0.0; n];
    reference(gbr).predict_into(rows, width, &mut expected);
    let fast = gbr
        .fast()
        .expect("trees of depth <= 3 have the fast layout");
    for kernel in kernels() {
        let mut got = vec![f64::NAN; n];
        assert!(fast.predict_into_with(kernel, rows, width, &mut got));
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(
                g.to_bits(),
                e.to_bits(),
                "{kernel:?} batch row {i} of {n}: {g} != {e}, row {:?}",
                &rows[i * width..][..width]
            );
        }
        for (i, row) in rows.chunks_exact(width).enumerate() {
            let g = fast.predict_row_with(kernel, row).unwrap();
            assert_eq!(
                g.to_bits(),
                expected[i].to_bits(),
                "{kernel:?} one row {row:?}"
            );
        }
    }
    // The public entry points (best kernel, threads for big batches).
    let mut got = vec![f64::NAN; n];
    gbr.predict_into(rows, width, &mut got);
    assert_eq!(bits(&got), bits(&expected));
    // The layout the wasm builds embed (ranks only): the kernels that read it.
    if let Some(ranks_only) = fast.without_float_splits() {
        assert!(Kernel::Scalar.can_read(&ranks_only));
        for kernel in kernels().into_iter().filter(|k| k.can_read(&ranks_only)) {
            let mut got = vec![f64::NAN; n];
            assert!(ranks_only.predict_into_with(kernel, rows, width, &mut got));
            assert_eq!(bits(&got), bits(&expected), "{kernel:?} on ranks only");
            for (i, row) in rows.chunks_exact(width).enumerate() {
                let g = ranks_only.predict_row_with(kernel, row).unwrap();
                assert_eq!(
                    g.to_bits(),
                    expected[i].to_bits(),
                    "{kernel:?} ranks only {row:?}"
                );
            }
        }
    }
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Values that probe the float32 cast and the comparisons: each split threshold, its
/// float64 and float32 neighbours, and extreme finite values.
fn probe_values(gbr_thresholds: &[f64]) -> Vec<f64> {
    let mut values = vec![
        0.0,
        -0.0,
        f64::MAX,
        f64::MIN,
        1e300,
        -1e300,
        f64::from(f32::MAX),
        f64::from(f32::MIN),
        f64::from(f32::MAX) * (1.0 + f64::EPSILON), // rounds to f32::MAX
        f64::from(f32::MAX) * 1.01,                 // overflows float32 to infinity
        -f64::from(f32::MAX) * 1.01,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        1e-45,
        -1e-45,
        1e-39,
    ];
    for &t in gbr_thresholds {
        let t32 = t as f32;
        values.extend([
            t,
            t.next_up(),
            t.next_down(),
            f64::from(t32),
            f64::from(t32.next_up()),
            f64::from(t32.next_down()),
            // Half-way between float32 neighbours: where the float32 cast's rounding decides.
            (f64::from(t32) + f64::from(t32.next_up())) / 2.0,
            (f64::from(t32) + f64::from(t32.next_down())) / 2.0,
        ]);
    }
    // Trees reuse thresholds: keep each value once.
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| a.to_bits() == b.to_bits());
    values
}

fn split_thresholds(gbr: &GradientBoostingRegressor) -> Vec<f64> {
    gbr.node_table()
        .expect("this build carries the node table")
        .nodes()
        .iter()
        .filter(|n| !n.is_leaf())
        .map(|n| n.threshold)
        .collect()
}

/// A row value: uniform, a probe (threshold or extreme), or a probe's negation.
fn cell(probes: &'static [f64]) -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -4.0f64..4.0,
        4 => proptest::sample::select(probes),
        1 => -1e6f64..1e6,
    ]
}

fn embedded_probes() -> &'static [f64] {
    static PROBES: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    PROBES.get_or_init(|| probe_values(&split_thresholds(embedded())))
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn embedded_model_rows_are_exact(
        rows in proptest::collection::vec(proptest::collection::vec(cell(embedded_probes()), 6), 1..70)
    ) {
        let flat: Vec<f64> = rows.concat();
        assert_all_paths_exact(embedded(), &flat, 6);
    }

    #[test]
    fn random_forests_are_exact(seed in any::<u64>(), n_rows in 1usize..40) {
        let mut rng = SplitMix(seed);
        let forest = random_forest(&mut rng);
        let probes = probe_values(&split_thresholds(&forest.gbr));
        let mut rows = Vec::with_capacity(n_rows * forest.width);
        for _ in 0..n_rows * forest.width {
            rows.push(match rng.below(4) {
                0 => rng.unit() * 6.0 - 3.0,
                _ => probes[rng.below(probes.len() as u64) as usize],
            });
        }
        assert_all_paths_exact(&forest.gbr, &rows, forest.width);
    }
}

#[test]
fn every_threshold_and_its_neighbours_in_every_column() {
    // Each probe value in each of the six columns, the others at zero, as one batch.
    let probes = embedded_probes();
    let mut rows = Vec::new();
    for &v in probes {
        for col in 0..6 {
            let mut row = [0.0; 6];
            row[col] = v;
            rows.extend(row);
        }
    }
    assert_all_paths_exact(embedded(), &rows, 6);
}

#[test]
fn infinities_and_nan_follow_the_reference() {
    // The model API rejects these, but the estimator must still agree with the reference.
    let odd = [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN];
    let mut rows = Vec::new();
    for (i, &v) in odd.iter().enumerate() {
        for col in 0..6 {
            let mut row = [0.5 * i as f64; 6];
            row[col] = v;
            rows.extend(row);
        }
        rows.extend([v; 6]);
    }
    assert_all_paths_exact(embedded(), &rows, 6);
}

#[test]
fn large_batches_match_the_reference() {
    // Above the parallel threshold, with a tail that is not a whole block.
    let probes = embedded_probes();
    let mut rng = SplitMix(7);
    let n = 9_011;
    let rows: Vec<f64> = (0..n * 6)
        .map(|_| match rng.below(3) {
            0 => rng.unit() * 6.0 - 3.0,
            _ => probes[rng.below(probes.len() as u64) as usize],
        })
        .collect();
    let gbr = embedded();
    let mut expected = vec![0.0; n];
    reference(gbr).predict_into(&rows, 6, &mut expected);
    let mut got = vec![0.0; n];
    gbr.predict_into(&rows, 6, &mut got);
    assert_eq!(bits(&got), bits(&expected));
}

#[test]
fn the_model_api_matches_the_reference_pipeline() {
    let model = Model::embedded();
    let raw = [
        0.0, 6.575, 296.0, 15.3, 396.9, 4.98, 1.0, 7.2, 222.0, 18.7, 390.0, 3.0, 0.0, 5.0, 711.0,
        21.0, 100.0, 30.0,
    ];
    let got = model.predict_flat(&raw, Scaling::Training).unwrap();
    let scaler = model.scaler().unwrap();
    let mut scaled = vec![0.0; raw.len()];
    scaler.transform_into(&raw, &mut scaled);
    let mut expected = vec![0.0; 3];
    reference(embedded()).predict_into(&scaled, 6, &mut expected);
    assert_eq!(bits(&got), bits(&expected));
    assert_eq!(got[0].to_bits(), 25.0021457871835f64.to_bits());
}

#[test]
fn forests_that_do_not_quantise_keep_the_float32_kernels() {
    // 300 stumps with distinct thresholds on feature 0 (over the 255 a byte rank holds),
    // and three on feature 64 (wider than the 64 features the byte ranks take).
    for (feature, n) in [(0u32, 300usize), (64, 3)] {
        let mut rng = SplitMix(feature as u64 + 1);
        let splits = (0..n).map(|i| (feature, i as f64 / n as f64 * 4.0 - 2.0));
        let gbr = stumps(splits, &mut rng);
        let fast = gbr.fast().expect("stumps have the padded layout");
        assert!(fast.ranked().is_none(), "feature {feature}: quantised");
        let width = feature as usize + 1;
        let probes = probe_values(&split_thresholds(&gbr));
        let rows: Vec<f64> = (0..37 * width)
            .map(|_| match rng.below(3) {
                0 => rng.unit() * 6.0 - 3.0,
                _ => probes[rng.below(probes.len() as u64) as usize],
            })
            .collect();
        assert_all_paths_exact(&gbr, &rows, width);
    }
    // The embedded model and small random forests do quantise.
    assert!(embedded().fast().unwrap().ranked().is_some());
}

#[test]
fn every_number_of_cuts_a_feature_can_have_is_exact() {
    // The wasm batch kernel searches a feature's cuts in as few 4-ary levels as their
    // number allows: each count on either side of a level boundary (4, 16, 64) and the
    // most a byte rank holds (255), on feature 1 of two, feature 0 with a few cuts.
    for n in [1usize, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 254, 255] {
        let mut rng = SplitMix(n as u64);
        let few = (0..3).map(|i| (0, f64::from(i) - 1.0));
        let many = (0..n).map(|i| (1, i as f64 / n as f64 * 4.0 - 2.0));
        let gbr = stumps(few.chain(many), &mut rng);
        assert!(
            gbr.fast().unwrap().ranked().is_some(),
            "{n} cuts: not quantised"
        );
        let mut probes = probe_values(&split_thresholds(&gbr));
        probes.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        let rows: Vec<f64> = probes
            .iter()
            .flat_map(|v| [probes[rng.below(probes.len() as u64) as usize], *v])
            .collect();
        assert_all_paths_exact(&gbr, &rows, 2);
    }
}

#[test]
fn trees_deeper_than_three_use_the_reference_evaluator() {
    // A chain of four splits: depth 4.
    let mut nodes = Vec::new();
    for d in 0..4u32 {
        nodes.push(Node::split(0, f64::from(d) - 1.5, 2 * d + 1, 2 * d + 2));
        nodes.push(Node::leaf(f64::from(d)));
    }
    nodes.push(Node::leaf(9.0));
    let gbr = GradientBoostingRegressor::new(1.0, 0.1, nodes, vec![0]);
    assert!(gbr.fast().is_none());
    for x in [-2.0, -1.0, 0.0, 1.0, 2.0] {
        assert_eq!(
            gbr.predict_row(&[x]).to_bits(),
            reference(&gbr).predict_row(&[x]).to_bits()
        );
    }
    assert_eq!(gbr.predict_row(&[2.0]), 1.0 + 0.1 * 9.0);
}

/// A forest of stumps, one per `(feature, threshold)` in order, with random leaf values.
fn stumps(
    splits: impl IntoIterator<Item = (u32, f64)>,
    rng: &mut SplitMix,
) -> GradientBoostingRegressor {
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for (feature, threshold) in splits {
        let at = nodes.len() as u32;
        roots.push(at);
        nodes.push(Node::split(feature, threshold, at + 1, at + 2));
        nodes.push(Node::leaf(rng.unit() * 2.0 - 1.0));
        nodes.push(Node::leaf(rng.unit() * 2.0 - 1.0));
    }
    GradientBoostingRegressor::new(0.5, 0.1, nodes, roots)
}

/// splitmix64: a small deterministic generator for random forests from one seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct RandomForest {
    gbr: GradientBoostingRegressor,
    width: usize,
}

/// 1..40 trees of depth 0..=3 (leaves anywhere), over 1..=70 features (so rows wider
/// than one AVX2 register, gathered one row at a time, and ranks in up to four wasm
/// vectors, or too wide to rank, are covered too; half the forests fit one register),
/// with random thresholds and leaf values.
fn random_forest(rng: &mut SplitMix) -> RandomForest {
    let widest = if rng.below(2) == 0 { 8 } else { 70 };
    let width = 1 + rng.below(widest) as usize;
    let n_trees = 1 + rng.below(40) as usize;
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for _ in 0..n_trees {
        roots.push(nodes.len() as u32);
        grow(rng, &mut nodes, 0, width);
    }
    let learning_rate = [0.1, 0.05, 1.0, 0.3][rng.below(4) as usize];
    let init = rng.unit() * 40.0 - 20.0;
    RandomForest {
        gbr: GradientBoostingRegressor::new(init, learning_rate, nodes, roots),
        width,
    }
}

/// Appends a random subtree (sklearn's order: a node, then its left subtree, then its
/// right) and returns its index.
fn grow(rng: &mut SplitMix, nodes: &mut Vec<Node>, depth: usize, width: usize) -> u32 {
    let at = nodes.len() as u32;
    if depth == 3 || rng.below(5) == 0 {
        nodes.push(Node::leaf(rng.unit() * 20.0 - 10.0));
        return at;
    }
    let threshold = match rng.below(3) {
        0 => (rng.unit() * 4.0 - 2.0) as f32 as f64, // exactly a float32
        _ => rng.unit() * 4.0 - 2.0,
    };
    nodes.push(Node::split(rng.below(width as u64) as u32, threshold, 0, 0));
    let left = grow(rng, nodes, depth + 1, width);
    let right = grow(rng, nodes, depth + 1, width);
    nodes[at as usize].left = left;
    nodes[at as usize].right = right;
    at
}
