//! The lines `host predict` prints for a batch's predictions: one per row, a value or a
//! class label (as JSON prints it; a string as one CSV field), or the row's class
//! probabilities comma-separated. Floats are printed shortest-round-trip by `zmij`, the
//! printer serde_json itself uses, so the bytes are those `serde_json::to_string` gave.

use predictor::{Label, Model, Predictions};

/// The printed form of each class label, once per model rather than once per row.
pub struct LabelTexts(Vec<Vec<u8>>);

impl LabelTexts {
    pub fn new(model: &Model) -> Self {
        LabelTexts(
            model
                .classes()
                .iter()
                .map(|label| {
                    let mut text = Vec::new();
                    match label {
                        Label::Str(s) => push_csv_field(&mut text, s),
                        other => text.extend_from_slice(
                            serde_json::to_string(other)
                                .expect("a label serializes")
                                .as_bytes(),
                        ),
                    }
                    text
                })
                .collect(),
        )
    }
}

/// `field` as one RFC 4180 field: as it is, or in double quotes (inner quotes doubled) when
/// it holds a comma, a quote or a line break, so that every output line is one label.
pub fn push_csv_field(text: &mut Vec<u8>, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        text.push(b'"');
        text.extend_from_slice(field.replace('"', "\"\"").as_bytes());
        text.push(b'"');
    } else {
        text.extend_from_slice(field.as_bytes());
    }
}

/// `x` as serde_json prints a float64: shortest round trip, `null` if not finite.
fn push_float(text: &mut Vec<u8>, buffer: &mut zmij::Buffer, x: f64) {
    if x.is_finite() {
        text.extend_from_slice(buffer.format_finite(x).as_bytes());
    } else {
        text.extend_from_slice(b"null");
    }
}

/// Appends one line per row of `predictions` to `text`.
pub fn push_lines(text: &mut Vec<u8>, labels: &LabelTexts, predictions: &Predictions) {
    let mut buffer = zmij::Buffer::new();
    match predictions {
        Predictions::Values(values) => {
            text.reserve(values.len() * 20);
            for &value in values {
                push_float(text, &mut buffer, value);
                text.push(b'\n');
            }
        }
        Predictions::Classes {
            proba: Some(proba), ..
        } => {
            for row in proba.chunks(labels.0.len().max(1)) {
                for (k, &p) in row.iter().enumerate() {
                    if k > 0 {
                        text.push(b',');
                    }
                    push_float(text, &mut buffer, p);
                }
                text.push(b'\n');
            }
        }
        Predictions::Classes { labels: rows, .. } => {
            for &label in rows {
                if let Some(label) = usize::try_from(label).ok().and_then(|i| labels.0.get(i)) {
                    text.extend_from_slice(label);
                }
                text.push(b'\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_label_is_one_csv_field_however_it_is_written() {
        let mut text = Vec::new();
        for label in ["setosa", "a,b", "say \"hi\"", "two\nlines"] {
            push_csv_field(&mut text, label);
            text.push(b'\n');
        }
        assert_eq!(
            text,
            b"setosa\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n"
        );
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&text[..]);
        let read: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(read, ["setosa", "a,b", "say \"hi\"", "two\nlines"]);
    }

    /// The printer is serde_json's, to the byte, on awkward floats.
    #[test]
    fn floats_print_as_serde_json_prints_them() {
        let mut x = 1.0e-310_f64;
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            1e21,
            1e22,
            123456789.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ];
        for _ in 0..2000 {
            values.push(x);
            values.push(-x / 3.0);
            x *= 1.7;
        }
        let mut text = Vec::new();
        push_lines(
            &mut text,
            &LabelTexts(vec![]),
            &Predictions::Values(values.clone()),
        );
        let expected: String = values
            .iter()
            .map(|v| serde_json::to_string(v).unwrap() + "\n")
            .collect();
        assert_eq!(String::from_utf8(text).unwrap(), expected);
    }
}
