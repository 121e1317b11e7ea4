//! The scikit-learn version that pickled a model (`source.sklearn_version`): the arithmetic
//! of several estimators changed between versions, so validation resolves each rule once
//! from it and the evaluators never look at versions.

use alloc::format;
use core::fmt;

use crate::error::fail;
use crate::ModelError;

/// `major.minor.patch`, compared as numbers (`1.10.0 > 1.9.1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SklearnVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl SklearnVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Reads `"1.3.2"`, `"0.20.3"`, `"1.4.dev0"`, `"1.5.0rc1"`: the leading digits of up to
    /// three dot-separated parts, missing parts 0 (as tools/zoo/reference_eval.py reads them).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let mut parts = [0u32; 3];
        let mut seen = 0;
        for (slot, part) in parts.iter_mut().zip(text.split('.')) {
            let digits = part.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                *slot = part[..digits].parse().map_err(|_| {
                    ModelError::new(format!("source.sklearn_version {text:?} is not a version"))
                })?;
                seen += 1;
            }
        }
        if seen == 0 {
            return fail(format!("source.sklearn_version {text:?} is not a version"));
        }
        Ok(Self::new(parts[0], parts[1], parts[2]))
    }
}

impl fmt::Display for SklearnVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::SklearnVersion as V;

    #[test]
    fn versions_parse_and_order_as_numbers() {
        assert_eq!(V::parse("1.3.2").unwrap(), V::new(1, 3, 2));
        assert_eq!(V::parse("0.20.3").unwrap(), V::new(0, 20, 3));
        assert_eq!(V::parse("1.4.dev0").unwrap(), V::new(1, 4, 0));
        assert_eq!(V::parse("1.5.0rc1").unwrap(), V::new(1, 5, 0));
        assert!(V::parse("1.10.0").unwrap() > V::parse("1.9.1").unwrap());
        assert!(V::parse("dev").is_err());
        assert!(V::parse("").is_err());
    }
}
