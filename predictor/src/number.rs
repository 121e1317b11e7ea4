//! Numeric strings in payload cells, read as `str::parse::<f64>` reads them. The grammar is
//! checked here; how a decimal literal becomes a float64 is a parameter (`parse_with`), so the
//! browser module can pass the JavaScript engine's `parseFloat` (which also rounds correctly)
//! and not ship Rust's float parser, whose tables alone are 10 KB of a download budgeted at 80 KB.

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

/// How a decimal literal (one `classify` calls `Literal::Decimal`) becomes the float64
/// nearest to it: `rust_decimal`, or the browser module's JavaScript `parseFloat`.
pub type DecimalValue = fn(&str) -> f64;

/// The float64 `s` reads as, like `s.parse::<f64>().ok()`.
pub fn parse(s: &str) -> Option<f64> {
    parse_with(s, rust_decimal)
}

/// The float64 `s` reads as, like `s.parse::<f64>().ok()`, with `decimal` valuing decimal
/// literals; infinities and NaNs are named, not computed, so `decimal` never sees them.
pub fn parse_with(s: &str, decimal: DecimalValue) -> Option<f64> {
    match classify(s)? {
        Literal::Decimal => Some(decimal(s)),
        Literal::InfOrNan => {
            let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
            let value = if unsigned.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                f64::INFINITY
            };
            Some(if s.starts_with('-') { -value } else { value })
        }
    }
}

/// Rust's own reading of a decimal literal (`str::parse`, correctly rounded).
pub fn rust_decimal(s: &str) -> f64 {
    // `classify` accepted `s`, so this cannot fail (the tests hold the two grammars equal);
    // were they ever to differ, a NaN is refused as a cell like any other non-finite value.
    s.parse().unwrap_or(f64::NAN)
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

    /// `parse` is `str::parse`, to the bit (NaN's sign included).
    fn same_as_str_parse(s: &str) -> bool {
        parse(s).map(f64::to_bits) == s.parse::<f64>().ok().map(f64::to_bits)
    }

    #[test]
    fn parse_reads_what_str_parse_reads() {
        for s in AWKWARD {
            assert!(same_as_str_parse(s), "{s:?}");
        }
    }

    #[test]
    fn parse_with_values_only_decimal_literals() {
        let never: DecimalValue = |s| panic!("valued {s:?}");
        for s in ["inf", "-INF", "+Infinity", "nan", "-nAn", "", "1e", "0x10"] {
            assert_eq!(
                parse_with(s, never).map(f64::to_bits),
                parse(s).map(f64::to_bits),
                "{s:?}"
            );
        }
        let seven: DecimalValue = |_| 7.0;
        assert_eq!(parse_with("6.575", seven), Some(7.0));
        assert_eq!(parse_with("-1e400", seven), Some(7.0));
    }

    proptest! {
        #[test]
        fn agrees_with_str_parse_on_float_like_strings(s in "[-+0-9.eEinfaINFA ]{0,8}") {
            prop_assert_eq!(classify(&s).is_some(), s.parse::<f64>().is_ok(), "{:?}", s);
            prop_assert!(same_as_str_parse(&s), "{:?}", s);
        }

        #[test]
        fn agrees_on_printed_floats(x in any::<f64>()) {
            for s in [alloc::format!("{x}"), alloc::format!("{x:e}"), alloc::format!("{x:E}")] {
                let s: String = s;
                prop_assert_eq!(classify(&s).is_some(), s.parse::<f64>().is_ok(), "{:?}", s);
                prop_assert!(same_as_str_parse(&s), "{:?}", s);
            }
        }
    }
}
