//! The README sample and REFERENCE.md's published values, through the public API.

use ndarray::array;
use predictor::{Model, Scaling};

#[test]
fn readme_sample_in_both_scaling_modes() {
    let model = Model::embedded();
    let row = array![[0.0, 6.575, 296.0, 15.3, 396.9, 4.98]];
    assert_eq!(row.row(0).to_vec(), golden::SAMPLE_ROW);
    let training = model.predict(row.view(), Scaling::Training).unwrap();
    assert_eq!(training[0].to_bits(), 25.0021457871835f64.to_bits());
    assert_eq!(training[0].to_bits(), golden::SAMPLE_TRAINING.to_bits());
    let per_request = model.predict(row.view(), Scaling::PerRequest).unwrap();
    assert_eq!(per_request[0].to_bits(), 20.35373177134412f64.to_bits());
    assert_eq!(
        per_request[0].to_bits(),
        golden::SAMPLE_PER_REQUEST.to_bits()
    );
}
