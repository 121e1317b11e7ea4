//! Scans of a batch's values for the first one a check refuses (`Model::predict_batch`
//! and the estimators' float32 check): a valid batch, the common case, costs one pass
//! the compiler vectorizes, where `Iterator::position`'s early exit keeps it a scalar loop
//! (on the suite's decision tree the scans took about as long as the prediction).

/// Values tested per branch: each chunk is tested branch-free, and searched only when it
/// holds a hit.
const CHUNK: usize = 64;

/// The index of the first value of `values` for which `hit` holds.
#[inline]
pub fn first_where(values: &[f64], hit: impl Fn(f64) -> bool + Copy) -> Option<usize> {
    for (c, chunk) in values.chunks(CHUNK).enumerate() {
        if chunk.iter().fold(false, |any, v| any | hit(*v)) {
            return chunk.iter().position(|v| hit(*v)).map(|i| c * CHUNK + i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn finds_the_first_hit_in_any_chunk() {
        let mut values = vec![1.0; 3 * CHUNK + 5];
        assert_eq!(first_where(&values, f64::is_nan), None);
        let last = values.len() - 1;
        for at in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 7, last] {
            values[at] = f64::NAN;
            // A later hit, in the same chunk or another, does not hide the first.
            values[last] = f64::NAN;
            assert_eq!(first_where(&values, f64::is_nan), Some(at), "at {at}");
            values[at] = 1.0;
            values[last] = 1.0;
        }
        assert_eq!(first_where(&[], f64::is_nan), None);
    }
}
