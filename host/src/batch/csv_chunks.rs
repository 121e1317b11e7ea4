//! CSV cut into chunks of whole records, so that chunks can be parsed on every core and
//! still read exactly as one `csv::Reader` over the whole input reads them.
//!
//! The cut is after a line feed outside quotes, found by csv-core's own quoting rules (a
//! quote opens a quoted field only at the start of a field; `""` inside one is a quote).
//! Each chunk is then parsed by a fresh `csv_core::Reader`, primed so that it does not take
//! a byte order mark at a chunk's start for the file's (only the header can have one).

use std::io::{self, Read};

use csv_core::{ReadRecordResult, Reader};
use predictor::columns;

/// Bytes of CSV per chunk (rounded to whole records): a few thousand rows, small enough
/// that the chunks in flight stay a few MB (and each chunk's buffers stay in the
/// allocator's medium classes, reused rather than mapped afresh), large enough that the
/// per-chunk cost is noise.
pub const CHUNK_BYTES: usize = 128 * 1024;

/// The most bytes a chunk is made to hold for a model that wants many rows per batch.
const MAX_CHUNK_BYTES: usize = 16 << 20;

/// Bytes per chunk for a model that wants `rows` rows per batch (`Model::rows_per_pass`;
/// a forest larger than the caches is read once per batch): `CHUNK_BYTES`, or `rows`
/// records at the mean length of the records of `sample` (bytes from a record start)
/// when that is more, at most `MAX_CHUNK_BYTES`.
pub fn chunk_bytes(rows: usize, sample: &[u8]) -> usize {
    let records = memchr::memchr_iter(b'\n', sample).count();
    if records == 0 {
        return CHUNK_BYTES;
    }
    (rows.saturating_mul(sample.len() / records)).clamp(CHUNK_BYTES, MAX_CHUNK_BYTES)
}

/// Where the last whole record of `bytes` ends (just past a line feed outside quotes), for
/// `bytes` that begin at the start of a record; `None` when no record ends in `bytes`.
pub fn last_record_end(bytes: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', bytes).is_none() {
        return memchr::memrchr(b'\n', bytes).map(|i| i + 1);
    }
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        InField,
        InQuoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut last = None;
    for (i, &b) in bytes.iter().enumerate() {
        state = match (state, b) {
            (State::InQuoted, b'"') => State::QuoteInQuoted,
            (State::InQuoted, _) => State::InQuoted,
            (State::QuoteInQuoted, b'"') => State::InQuoted,
            (State::FieldStart, b'"') => State::InQuoted,
            (_, b',' | b'\r') => State::FieldStart,
            (_, b'\n') => {
                last = Some(i + 1);
                State::FieldStart
            }
            _ => State::InField,
        };
    }
    last
}

/// Reads an input as whole-record chunks of about `chunk_bytes`.
pub struct Chunker<R> {
    reader: R,
    chunk_bytes: usize,
    /// Bytes read and not yet handed out; they begin at a record start.
    buf: Vec<u8>,
    eof: bool,
    /// Buffers of chunks already scored, for the next chunks.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Chunker<R> {
    /// `start` holds the bytes already read (from a record start on); chunks are about
    /// `chunk_bytes` long.
    pub fn new(reader: R, start: Vec<u8>, eof: bool, chunk_bytes: usize) -> Self {
        Chunker {
            reader,
            chunk_bytes,
            buf: start,
            eof,
            spare: Vec::new(),
        }
    }

    /// Gives back a chunk's buffer once it is scored.
    pub fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.spare.len() < 16 {
            buffer.clear();
            self.spare.push(buffer);
        }
    }

    /// Reads up to `want` more bytes; at the end of the input sets `eof`.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        let before = self.buf.len();
        (&mut self.reader)
            .take(want as u64)
            .read_to_end(&mut self.buf)?;
        if self.buf.len() - before < want {
            self.eof = true;
        }
        Ok(())
    }

    /// The next chunk of whole records (the last one may lack its final line break), or
    /// `None` at the end of the input.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if self.eof {
                return Ok((!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf)));
            }
            let size = self.chunk_bytes;
            if self.buf.len() >= size {
                if let Some(end) = last_record_end(&self.buf) {
                    let mut rest = self.spare.pop().unwrap_or_default();
                    rest.reserve(size + 8192);
                    rest.extend_from_slice(&self.buf[end..]);
                    let mut chunk = std::mem::replace(&mut self.buf, rest);
                    chunk.truncate(end);
                    return Ok(Some(chunk));
                }
            }
            // Not a whole chunk yet (or one record longer than a chunk): read on.
            let want = size.max(self.buf.len()) - self.buf.len().min(size) + 4096;
            self.fill(want)?;
        }
    }

    /// Everything left, in one buffer.
    pub fn read_all(mut self) -> io::Result<Vec<u8>> {
        if !self.eof {
            self.reader.read_to_end(&mut self.buf)?;
        }
        Ok(self.buf)
    }
}

/// Where the header record of `bytes` ends (just past its terminator), or `None` when
/// `bytes` holds no whole record yet (more input is needed unless it is the end).
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    let mut reader = Reader::new();
    let (mut fields, mut ends) = (vec![0u8; 4096], vec![0usize; 64]);
    let (mut at, mut outlen, mut endlen) = (0, 0, 0);
    loop {
        let (res, nin, nout, nend) =
            reader.read_record(&bytes[at..], &mut fields[outlen..], &mut ends[endlen..]);
        at += nin;
        outlen += nout;
        endlen += nend;
        match res {
            ReadRecordResult::InputEmpty => return None,
            ReadRecordResult::OutputFull => fields.resize(fields.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record | ReadRecordResult::End => return Some(at),
        }
    }
}

/// What is wrong with one record of a chunk (its row number is the caller's to add).
#[derive(Debug)]
pub enum RecordError {
    /// Not as many fields as the header has.
    Fields { found: usize, expected: usize },
    /// A cell that is not a number: the model column and the reason.
    Cell { column: usize, reason: String },
}

/// How the records of a CSV map onto the model's features.
pub struct Layout {
    /// Fields per record (the header's).
    pub n_fields: usize,
    /// For each model feature, its field's position in a record.
    pub position: Vec<usize>,
}

/// Parses the records of `chunk` into `rows` (row-major, model order; an empty cell is
/// NaN). On a bad record, `rows` holds the records before it and the error names it by its
/// index in the chunk.
pub fn parse_chunk(
    chunk: &[u8],
    layout: &Layout,
    rows: &mut Vec<f64>,
) -> Result<(), (usize, RecordError)> {
    if memchr::memchr(b'"', chunk).is_none() {
        parse_plain_chunk(chunk, layout, rows)
    } else {
        parse_core_chunk(chunk, layout, rows)
    }
}

/// `parse_chunk` by csv-core itself (for chunks with quotes).
fn parse_core_chunk(
    chunk: &[u8],
    layout: &Layout,
    rows: &mut Vec<f64>,
) -> Result<(), (usize, RecordError)> {
    let mut reader = Reader::new();
    // Primed with an empty line, so that a byte order mark here is data, as it is for
    // `csv::Reader` anywhere after the header.
    let _ = reader.read_record(b"\n", &mut [], &mut []);
    let (mut fields, mut ends) = (vec![0u8; 1024], vec![0usize; layout.n_fields.max(8) + 1]);
    let (mut input, mut outlen, mut endlen) = (chunk, 0, 0);
    let mut row = 0;
    loop {
        let (res, nin, nout, nend) =
            reader.read_record(input, &mut fields[outlen..], &mut ends[endlen..]);
        input = &input[nin..];
        outlen += nout;
        endlen += nend;
        match res {
            // The chunk is all read; the next call (with no input) ends the last record.
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => fields.resize(fields.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record => {
                if endlen != layout.n_fields {
                    return Err((
                        row,
                        RecordError::Fields {
                            found: endlen,
                            expected: layout.n_fields,
                        },
                    ));
                }
                let record = &fields[..outlen];
                let ends = &ends[..endlen];
                for (column, &k) in layout.position.iter().enumerate() {
                    let start = if k == 0 { 0 } else { ends[k - 1] };
                    let value = cell(&record[start..ends[k]])
                        .map_err(|reason| (row, RecordError::Cell { column, reason }))?;
                    rows.push(value);
                }
                row += 1;
                outlen = 0;
                endlen = 0;
            }
            ReadRecordResult::End => return Ok(()),
        }
    }
}

/// `parse_chunk` for a chunk without a quote character, where csv-core's grammar is
/// simple: a record is a non-empty run of bytes between record terminators (`\r` or
/// `\n`; empty lines are skipped), its fields are split at commas. The same records as
/// csv-core reads (a test holds the two equal), without copying fields out.
fn parse_plain_chunk(
    chunk: &[u8],
    layout: &Layout,
    rows: &mut Vec<f64>,
) -> Result<(), (usize, RecordError)> {
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(layout.n_fields + 1);
    let mut row = 0;
    let mut start = 0;
    let ends = memchr::memchr2_iter(b'\n', b'\r', chunk).chain(std::iter::once(chunk.len()));
    for end in ends {
        let record = &chunk[start..end];
        start = end + 1;
        if record.is_empty() {
            continue;
        }
        fields.clear();
        let mut from = 0;
        for (i, &b) in record.iter().enumerate() {
            if b == b',' {
                fields.push((from, i));
                from = i + 1;
            }
        }
        fields.push((from, record.len()));
        if fields.len() != layout.n_fields {
            return Err((
                row,
                RecordError::Fields {
                    found: fields.len(),
                    expected: layout.n_fields,
                },
            ));
        }
        for (column, &k) in layout.position.iter().enumerate() {
            let (a, b) = fields[k];
            let value = cell(&record[a..b])
                .map_err(|reason| (row, RecordError::Cell { column, reason }))?;
            rows.push(value);
        }
        row += 1;
    }
    Ok(())
}

/// Powers of ten that are exact in float64.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A plain decimal `[+-]digits[.digits]` whose digits make an integer of at most 2^53
/// with at most 22 after the point, read exactly as `str::parse` reads it (Clinger's fast
/// path: the integer and the power of ten are exact, so their one IEEE quotient is the
/// correctly rounded value); `None` for anything else, which the full reader takes.
fn plain_decimal(bytes: &[u8]) -> Option<f64> {
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut after_point, mut point) = (0u64, 0u32, 0usize, false);
    for &b in digits {
        if b.is_ascii_digit() {
            if count == 19 {
                return None;
            }
            mantissa = mantissa * 10 + u64::from(b - b'0');
            count += 1;
            after_point += usize::from(point);
        } else if b == b'.' && !point {
            point = true;
        } else {
            return None;
        }
    }
    if count == 0 || mantissa > 1 << 53 || after_point >= EXACT_POWERS_OF_TEN.len() {
        return None;
    }
    let value = mantissa as f64 / EXACT_POWERS_OF_TEN[after_point];
    Some(if negative { -value } else { value })
}

/// One cell as `host predict` has always read it: UTF-8 text, trimmed; empty is a missing
/// value (NaN), anything else is read as a payload's numeric string (`columns::text_cell`).
fn cell(bytes: &[u8]) -> Result<f64, String> {
    if bytes.is_empty() {
        return Ok(f64::NAN);
    }
    if let Some(value) = plain_decimal(bytes) {
        return Ok(value);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        format!(
            "is not UTF-8 text (got {:?})",
            String::from_utf8_lossy(bytes)
        )
    })?;
    // Trimmed only when an end may be white space (ASCII, or any non-ASCII character).
    let may_pad = |b: &u8| b.is_ascii_whitespace() || !b.is_ascii();
    let text = if bytes.first().is_some_and(may_pad) || bytes.last().is_some_and(may_pad) {
        text.trim()
    } else {
        text
    };
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    // `text_cell`'s grammar is `str::parse`'s (predictor::number holds the two equal), so
    // a finite `parse` is its value; anything else goes to it for the same error.
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => columns::text_cell(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hold_the_rows_a_model_asks_for_within_bounds() {
        let records = "1.25,2.5,3.75\n".repeat(100); // 14 bytes a record
        assert_eq!(chunk_bytes(1, records.as_bytes()), CHUNK_BYTES);
        assert_eq!(chunk_bytes(20_000, records.as_bytes()), 20_000 * 14);
        assert_eq!(chunk_bytes(usize::MAX, records.as_bytes()), MAX_CHUNK_BYTES);
        assert_eq!(chunk_bytes(20_000, b"no record ends here"), CHUNK_BYTES);
        assert_eq!(chunk_bytes(20_000, b""), CHUNK_BYTES);
    }

    /// Chunks of any size are whole records that together are the input.
    #[test]
    fn chunks_of_any_size_are_whole_records_in_order() {
        let input: Vec<u8> = (0..60_000)
            .flat_map(|i| format!("{i},\"a\nb\",{}\n", i * 7).into_bytes())
            .collect();
        for size in [100, CHUNK_BYTES, 3 * CHUNK_BYTES + 17, 10 << 20] {
            let (start, rest) = input.split_at(50);
            let mut chunker = Chunker::new(rest, start.to_vec(), false, size);
            let mut chunks = Vec::new();
            while let Some(chunk) = chunker.next_chunk().unwrap() {
                chunks.push(chunk);
            }
            assert_eq!(chunks.concat(), input, "chunks of {size} bytes");
            let (last, whole) = chunks.split_last().unwrap();
            assert!(last.len() <= size.max(CHUNK_BYTES) + 4096, "{size}");
            for chunk in whole {
                assert!(chunk.len() >= size && chunk.ends_with(b"\n"), "{size}");
                assert_eq!(
                    records(chunk).len() * 2,
                    chunk.iter().filter(|&&b| b == b'\n').count()
                );
            }
        }
    }

    fn records(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        reader
            .byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    /// Whatever prefix `last_record_end` looks at, its cut splits the input into two
    /// parts that read as the whole input reads: it never cuts inside a record.
    #[test]
    fn cuts_only_between_records() {
        let text: &[u8] =
            b"1,\"a\nb\",3\n\"x\"\"\n\",2,3\r\n4,5\"\n,6\n7,\"\",8\n\"\"\"\",9,\"\n\"\n\"q\"r\n,s\n";
        let whole = records(text);
        let mut cuts = std::collections::BTreeSet::new();
        for n in 0..=text.len() {
            if let Some(end) = last_record_end(&text[..n]) {
                let mut parts = records(&text[..end]);
                parts.extend(records(&text[end..]));
                assert_eq!(parts, whole, "cut at {end}");
                cuts.insert(end);
            }
        }
        assert!(cuts.len() >= 6, "{cuts:?}");
    }

    /// A small deterministic generator for the tests below (xorshift).
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn text(&mut self, alphabet: &[u8], len: usize) -> Vec<u8> {
            (0..len)
                .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
                .collect()
        }
    }

    /// The quote-free reader reads what csv-core reads: the same records, the same cells,
    /// the same first error.
    #[test]
    fn the_plain_reader_reads_as_csv_core_does() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let layout = Layout {
            n_fields: 3,
            position: vec![2, 0, 1],
        };
        for _ in 0..20_000 {
            let len = (random.next() % 40) as usize;
            let text = random.text(b"0123456789.,,,\r\n\n -+e", len);
            let (mut plain, mut core) = (vec![], vec![]);
            let a = parse_plain_chunk(&text, &layout, &mut plain);
            let b = parse_core_chunk(&text, &layout, &mut core);
            let show = String::from_utf8_lossy(&text);
            assert_eq!(
                plain.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                core.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{show:?}"
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{show:?}");
        }
    }

    /// The fast decimal path is `str::parse`, to the bit, wherever it answers.
    #[test]
    fn plain_decimals_read_as_str_parse_reads_them() {
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let mut answered = 0;
        for _ in 0..200_000 {
            let len = 1 + (random.next() % 24) as usize;
            let mut text = random.text(b"0123456789012345678901234567890123456789.", len);
            if random.next().is_multiple_of(4) {
                text.insert(0, b'-');
            }
            let text = String::from_utf8(text).unwrap();
            if let Some(x) = plain_decimal(text.as_bytes()) {
                answered += 1;
                assert_eq!(
                    Some(x.to_bits()),
                    text.parse::<f64>().ok().map(f64::to_bits),
                    "{text}"
                );
            }
        }
        for text in [
            "0",
            "-0",
            "+0.0",
            "5.",
            ".5",
            "9007199254740992",
            "0.1",
            "396.90",
            "1.0000000000000000000001",
        ] {
            let x = plain_decimal(text.as_bytes()).map(f64::to_bits);
            assert!(
                x.is_none() || x == text.parse::<f64>().ok().map(f64::to_bits),
                "{text}"
            );
        }
        assert!(answered > 50_000, "{answered}");
        for text in [
            "",
            ".",
            "-",
            "+",
            "1e5",
            "1.2.3",
            "9007199254740993",
            " 1",
            "١",
        ] {
            assert_eq!(plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn a_byte_order_mark_after_the_header_is_data() {
        let layout = Layout {
            n_fields: 1,
            position: vec![0],
        };
        let mut rows = vec![];
        let err = parse_chunk(b"1\n\xef\xbb\xbf2\n", &layout, &mut rows).unwrap_err();
        assert_eq!(err.0, 1);
        assert_eq!(rows, [1.0]);
        let mut rows = vec![];
        assert!(parse_chunk(b"\xef\xbb\xbf2\n", &layout, &mut rows).is_err());
    }

    #[test]
    fn quoted_cells_and_missing_values() {
        let layout = Layout {
            n_fields: 3,
            position: vec![2, 0],
        };
        let mut rows = vec![];
        parse_chunk(b"\"1.5\",x, 2 \n\n3,,\r\n4,y,5", &layout, &mut rows).unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(&rows[..2], [2.0, 1.5]);
        assert!(rows[2].is_nan());
        assert_eq!(&rows[3..], [3.0, 5.0, 4.0]);
        let err = parse_chunk(b"1,2\n", &layout, &mut vec![]).unwrap_err();
        assert!(matches!(
            err,
            (
                0,
                RecordError::Fields {
                    found: 2,
                    expected: 3
                }
            )
        ));
    }
}
