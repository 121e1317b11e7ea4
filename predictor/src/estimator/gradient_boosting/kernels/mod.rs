//! The fast evaluator (`FastForest`) over the padded layout (`model_format`'s
//! `PaddedForest`): picks a kernel (AVX-512 or AVX2 when the CPU has it, wasm simd128 when
//! the target enables it, otherwise portable scalar code), casts the scaled rows to
//! float32 on the way in, and splits large batches over cores (rayon, feature `parallel`).
//! Every kernel returns the reference evaluator's bits.

mod scalar;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod avx512;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128_ranked;

use model_format::gradient_boosting::padded::PaddedForest;
use model_format::gradient_boosting::ranked::RankedForest;

/// Batches at least this long are split over the rayon pool.
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
pub const PARALLEL_MIN_ROWS: usize = 8192;
/// Rows per rayon task.
#[cfg(all(feature = "parallel", not(target_family = "wasm")))]
const PARALLEL_CHUNK_ROWS: usize = 4096;

/// Smaller batches go to the scalar kernel on wasm when the forest does not quantise: the
/// float32 simd128 kernel works in blocks of 8 rows, and one row through it costs as much
/// as a block (BENCHMARKS.md). The byte-rank kernels have their own one-row path.
const SIMD128_MIN_ROWS: usize = 4;

/// One implementation of the fast evaluator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Portable Rust, no SIMD: the same bits on every target.
    Scalar,
    /// x86 AVX2 (detected at run time with `std`, or enabled at compile time).
    Avx2,
    /// x86 AVX-512F for batches (one row uses the AVX2 code); detected like AVX2.
    Avx512,
    /// wasm32 simd128 (when the build enables `target-feature=+simd128`): on byte ranks
    /// when the forest quantises, else on float32 thresholds.
    Simd128,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [
        Kernel::Scalar,
        Kernel::Avx2,
        Kernel::Avx512,
        Kernel::Simd128,
    ];

    /// Whether this kernel can run here.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Scalar => true,
            Kernel::Avx2 => avx2_available(),
            Kernel::Avx512 => avx2_available() && avx512_available(),
            Kernel::Simd128 => cfg!(all(target_arch = "wasm32", target_feature = "simd128")),
        }
    }

    /// Whether this kernel can run on `forest`'s layout: the x86 kernels read the float32
    /// splits, simd128 reads the ranks or else those, scalar either.
    pub fn can_read(self, forest: &FastForest) -> bool {
        let forest = &forest.layout;
        match self {
            Kernel::Avx2 | Kernel::Avx512 => forest.has_float_splits(),
            Kernel::Simd128 | Kernel::Scalar => {
                forest.ranked().is_some() || forest.has_float_splits()
            }
        }
    }

    /// The fastest kernel available here.
    pub fn best() -> Kernel {
        if Kernel::Avx512.is_available() {
            Kernel::Avx512
        } else if Kernel::Avx2.is_available() {
            Kernel::Avx2
        } else if Kernel::Simd128.is_available() {
            Kernel::Simd128
        } else {
            Kernel::Scalar
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
            Kernel::Simd128 => "simd128",
        }
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn avx2_available() -> bool {
    #[cfg(target_feature = "avx2")]
    {
        true
    }
    #[cfg(all(not(target_feature = "avx2"), feature = "std"))]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(all(not(target_feature = "avx2"), not(feature = "std")))]
    {
        false
    }
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn avx512_available() -> bool {
    #[cfg(target_feature = "avx512f")]
    {
        true
    }
    #[cfg(all(not(target_feature = "avx512f"), feature = "std"))]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(all(not(target_feature = "avx512f"), not(feature = "std")))]
    {
        false
    }
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
fn avx2_available() -> bool {
    false
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
fn avx512_available() -> bool {
    false
}

/// A gradient-boosted forest in the padded layout, with the kernels that evaluate it.
#[derive(Clone, Debug, PartialEq)]
pub struct FastForest {
    layout: PaddedForest,
}

impl FastForest {
    /// The evaluator over `layout` (built at load time, or the embedded model's statics).
    pub const fn new(layout: PaddedForest) -> FastForest {
        FastForest { layout }
    }

    /// The padded layout the kernels read.
    pub fn layout(&self) -> &PaddedForest {
        &self.layout
    }

    /// The splits as byte ranks, when the forest quantises.
    pub fn ranked(&self) -> Option<&RankedForest> {
        self.layout.ranked()
    }

    /// This forest without its float32 splits, as the wasm builds embed it; `None` if it
    /// has no ranks to keep instead. Only the kernels that read ranks run on it.
    pub fn without_float_splits(&self) -> Option<FastForest> {
        self.layout.without_float_splits().map(FastForest::new)
    }

    /// The prediction for one scaled row, with the best kernel.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        self.predict_row_with(Kernel::best(), row)
            .expect("the best kernel is available")
    }

    /// The prediction for one scaled row with `kernel`; `None` if it cannot run here or
    /// on this layout (`Kernel::can_read`).
    ///
    /// Panics if `row` is narrower than `min_width()`.
    pub fn predict_row_with(&self, kernel: Kernel, row: &[f64]) -> Option<f64> {
        assert!(
            row.len() >= self.layout.min_width(),
            "row too narrow for the forest"
        );
        if !kernel.is_available() || !kernel.can_read(self) {
            return None;
        }
        match kernel {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Kernel::Avx2 | Kernel::Avx512 => {
                // SAFETY: AVX2 is available (checked above); the row is wide enough.
                Some(unsafe { avx2::predict_any_row(&self.layout, row) })
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Kernel::Simd128 if self.ranked().is_some() => {
                let ranked = self.ranked().unwrap();
                Some(simd128_ranked::predict_row(&self.layout, ranked, row))
            }
            _ => Some(scalar::predict_row(&self.layout, row)),
        }
    }

    /// Predicts each scaled row (row-major, `width` values each) into `out`, with the
    /// best kernel, on all cores when the batch is large (feature `parallel`).
    ///
    /// Panics if `width < min_width()` or the lengths disagree.
    pub fn predict_into(&self, rows: &[f64], width: usize, out: &mut [f64]) {
        self.check_batch(rows, width, out);
        let kernel = match Kernel::best() {
            // Below one block of rows the simd128 kernel still pays for a whole block.
            Kernel::Simd128 if out.len() < SIMD128_MIN_ROWS && self.ranked().is_none() => {
                Kernel::Scalar
            }
            kernel => kernel,
        };
        #[cfg(all(feature = "parallel", not(target_family = "wasm")))]
        if out.len() >= PARALLEL_MIN_ROWS {
            use rayon::prelude::*;
            rows.par_chunks(PARALLEL_CHUNK_ROWS * width)
                .zip(out.par_chunks_mut(PARALLEL_CHUNK_ROWS))
                .for_each(|(rows, out)| self.run_batch(kernel, rows, width, out));
            return;
        }
        self.run_batch(kernel, rows, width, out);
    }

    /// Predicts a batch with `kernel` on the calling thread only; `false` (and `out`
    /// untouched) if the kernel cannot run here or on this layout (`Kernel::can_read`).
    pub fn predict_into_with(
        &self,
        kernel: Kernel,
        rows: &[f64],
        width: usize,
        out: &mut [f64],
    ) -> bool {
        self.check_batch(rows, width, out);
        if !kernel.is_available() || !kernel.can_read(self) {
            return false;
        }
        self.run_batch(kernel, rows, width, out);
        true
    }

    fn check_batch(&self, rows: &[f64], width: usize, out: &[f64]) {
        assert!(
            width >= self.layout.min_width().max(1),
            "rows too narrow for the forest"
        );
        assert_eq!(rows.len(), out.len() * width, "one output per row");
    }

    fn run_batch(&self, kernel: Kernel, rows: &[f64], width: usize, out: &mut [f64]) {
        let forest = &self.layout;
        match kernel {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: callers checked that AVX2 is available; shapes checked above.
            Kernel::Avx2 => unsafe { avx2::predict_batch(forest, rows, width, out) },
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            // SAFETY: as above, for AVX-512F.
            Kernel::Avx512 => unsafe { avx512::predict_batch(forest, rows, width, out) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Kernel::Simd128 => match forest.ranked() {
                Some(ranked) => simd128_ranked::predict_batch(forest, ranked, rows, width, out),
                None => simd128::predict_batch(forest, rows, width, out),
            },
            _ => scalar::predict_batch(forest, rows, width, out),
        }
    }
}

/// scikit-learn's float32 cast of each (scaled) input value.
#[inline(always)]
fn cast_into(src: &[f64], dst: &mut [f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s as f32;
    }
}

/// The leaf (0..8, left to right) a row reaches, from the seven "goes left" tests of
/// its padded tree in heap order: the formula the SIMD kernels compute on lane masks.
#[cfg(test)]
fn leaf_from_tests(left: [bool; 7]) -> usize {
    let l1 = if left[0] { left[1] } else { left[2] };
    let l2 = match (left[0], l1) {
        (true, true) => left[3],
        (true, false) => left[4],
        (false, true) => left[5],
        (false, false) => left[6],
    };
    (usize::from(left[0]) * 4 + usize::from(l1) * 2 + usize::from(l2)) ^ 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_from_tests_follows_the_heap_walk() {
        for bits in 0u32..128 {
            let left: [bool; 7] = core::array::from_fn(|k| bits & (1 << k) != 0);
            let mut k = 0;
            while k < 7 {
                k = 2 * k + if left[k] { 1 } else { 2 };
            }
            assert_eq!(leaf_from_tests(left), k - 7, "tests {bits:07b}");
        }
    }
}
