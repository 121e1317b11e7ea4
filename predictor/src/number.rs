//! Numeric strings in payload cells, read as `str::parse::<f64>` reads them. The browser
//! module does not ship Rust's float parser (its tables alone are 10 KB of a download
//! budgeted at 80 KB): it checks the same grammar here and lets the JavaScript engine,
//! whose `parseFloat` also rounds correctly, compute the value.

/// What kind of literal `str::parse::<f64>` accepts a string as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one mantissa digit.
    Decimal,
    /// `[+-]inf`, `[+-]infinity` or `[+-]nan`, any case.
    InfOrNan,
}

/// The kind of float literal `s` is, or `None` where `str::parse::<f64>` fails.
pub fn classify(s: &str) -> Option<Literal> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let named = ["inf", "infinity", "nan"];
    if named.iter().any(|n| unsigned.eq_ignore_ascii_case(n)) {
        return Some(Literal::InfOrNan);
    }
    let bytes = unsigned.as_bytes();
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int = digits(0);
    let mut end = int;
    let mut frac = 0;
    if bytes.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        end += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        end += 1;
        if matches!(bytes.get(end), Some(b'+' | b'-')) {
            end += 1;
        }
        let exp = digits(end);
        if exp == 0 {
            return None;
        }
        end += exp;
    }
    (end == bytes.len()).then_some(Literal::Decimal)
}

/// The float64 `s` reads as, like `s.parse::<f64>().ok()`.
pub fn parse(s: &str) -> Option<f64> {
    #[cfg(all(target_arch = "wasm32", feature = "web"))]
    {
        match classify(s)? {
            Literal::Decimal => Some(js_sys::parse_float(s)),
            Literal::InfOrNan => Some(f64::NAN),
        }
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "web")))]
    {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use proptest::prelude::*;

    const AWKWARD: &[&str] = &[
        "",
        "+",
        "-",
        ".",
        "+.",
        "e5",
        ".e5",
        "1e",
        "1e+",
        "1e-",
        "1.e5",
        ".5e-3",
        "5.",
        "-0",
        "+1",
        "++1",
        "--1",
        "1_000",
        "0x10",
        "1e5.",
        "1..2",
        " 1",
        "1 ",
        "inf",
        "-INF",
        "+Infinity",
        "infinit",
        "nan",
        "NaN",
        "-nAn",
        "infinityy",
        "1e400",
        "1e-400",
        "١",
        "6.575",
        "0.30000000000000004",
        "2.2250738585072014e-308",
        "1E+308",
        "0e0",
        "00012.5000",
        "9007199254740993",
    ];

    #[test]
    fn accepts_what_str_parse_accepts() {
        for s in AWKWARD {
            assert_eq!(classify(s).is_some(), s.parse::<f64>().is_ok(), "{s:?}");
        }
        assert_eq!(classify("-Infinity"), Some(Literal::InfOrNan));
        assert_eq!(classify("+.5E-3"), Some(Literal::Decimal));
    }

    proptest! {
        #[test]
        fn agrees_with_str_parse_on_float_like_strings(s in "[-+0-9.eEinfaINFA ]{0,8}") {
            prop_assert_eq!(classify(&s).is_some(), s.parse::<f64>().is_ok(), "{:?}", s);
        }

        #[test]
        fn agrees_on_printed_floats(x in any::<f64>()) {
            for s in [alloc::format!("{x}"), alloc::format!("{x:e}"), alloc::format!("{x:E}")] {
                let s: String = s;
                prop_assert_eq!(classify(&s).is_some(), s.parse::<f64>().is_ok(), "{:?}", s);
            }
        }
    }
}
