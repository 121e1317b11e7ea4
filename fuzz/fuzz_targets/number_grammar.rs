//! Differential: the numeric-string grammar (`predictor::number`) against
//! `str::parse::<f64>`, to the bit (NaN's sign included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use predictor::number;

fuzz_target!(|s: &str| {
    let ours = number::parse(s).map(f64::to_bits);
    let std = s.parse::<f64>().ok().map(f64::to_bits);
    assert_eq!(ours, std, "{s:?}");
    assert_eq!(number::classify(s).is_some(), std.is_some(), "{s:?}");
});
