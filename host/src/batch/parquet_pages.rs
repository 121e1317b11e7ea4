//! Bounds what each page of a Parquet column chunk claims before the `parquet` crate reads
//! it. The crate (60.1.0) sizes a page's buffer by the `uncompressed_page_size` its header
//! claims, before decompressing a byte (snappy and LZ4_RAW even zero-fill it), so a file of
//! 4 KB claiming 1.4 GB made `host predict` ask for 1.4 GB (found by the `parquet_batch`
//! fuzz target). This walks the chunk's page headers as the crate will (`parquet_thrift.rs`:
//! the crate reads a known field by its id whatever its wire type, and so does this; the
//! type and the two sizes are kept, every other field passed over, nothing allocated) and
//! refuses a page that claims more than its codec can make of its compressed bytes, or
//! more than `MAX_PAGE_BYTES`, so a page never costs more than about a thousand times its
//! size in the file.

use std::io::Read;

use parquet::basic::Compression;
use parquet::file::reader::ChunkReader;

use super::parquet_thrift::Thrift;

/// The most one page may hold uncompressed. Writers cut pages at about 1 MiB (Arrow,
/// parquet-mr, pyarrow: 1 MiB data pages and dictionary pages by default).
pub const MAX_PAGE_BYTES: u64 = 256 << 20;

/// `PageType::INDEX_PAGE`, a page the crate skips unread.
const INDEX_PAGE: i32 = 1;

/// The most `codec` can make of `compressed` bytes, if the crate decompresses with it.
fn most_from(codec: Compression, compressed: u64) -> Option<u64> {
    // Snappy: a 3-byte copy makes at most 64 bytes. LZ4: a length byte adds at most 255.
    // Deflate: at most 1032 bytes per byte. A few bytes of slack for short pages.
    let ratio = match codec {
        Compression::SNAPPY => 22,
        Compression::LZ4 | Compression::LZ4_RAW => 256,
        Compression::GZIP(_) => 1033,
        // No decompressor (the claim is not used), or one this build refuses up front.
        _ => return None,
    };
    Some(compressed.saturating_mul(ratio).saturating_add(64))
}

/// Checks every page header of the column chunk of `len` bytes at `start` in `input`
/// (`ColumnChunkMetaData::byte_range`), compressed with `codec`; the error says which page
/// and what it claims. Damage the crate would report itself (a header cut short, a page
/// past the chunk) is reported here first.
pub fn check_pages<R: ChunkReader>(
    input: &R,
    (start, len): (u64, u64),
    codec: Compression,
) -> Result<(), String> {
    let (mut offset, mut remaining) = (start, len);
    let mut page = 0;
    while remaining > 0 {
        let read = input.get_read(offset).map_err(|e| e.to_string())?;
        let mut header = Thrift {
            bytes: read.take(remaining),
            read: 0,
            limit: remaining,
        };
        let (kind, uncompressed, compressed) = header
            .page_sizes()
            .map_err(|why| format!("page {page}: the page header is damaged ({why})"))?;
        offset += header.read;
        remaining -= header.read;
        let (Ok(compressed), Ok(uncompressed)) =
            (u64::try_from(compressed), u64::try_from(uncompressed))
        else {
            return Err(format!(
                "page {page}: the page header claims a negative size ({compressed} bytes \
                 compressed, {uncompressed} uncompressed)"
            ));
        };
        if compressed > remaining {
            return Err(format!(
                "page {page}: the page claims {compressed} bytes, past the end of its column \
                 chunk ({remaining} left)"
            ));
        }
        if kind != INDEX_PAGE {
            if uncompressed > MAX_PAGE_BYTES {
                return Err(format!(
                    "page {page}: the page claims {uncompressed} bytes uncompressed, over the \
                     limit of {MAX_PAGE_BYTES} bytes a page"
                ));
            }
            if most_from(codec, compressed).is_some_and(|most| uncompressed > most) {
                return Err(format!(
                    "page {page}: the page claims {uncompressed} bytes uncompressed from \
                     {compressed} bytes of {codec}, more than {codec} can make of them"
                ));
            }
        }
        offset += compressed;
        remaining -= compressed;
        page += 1;
    }
    Ok(())
}

impl<R: Read> Thrift<R> {
    /// The page's type, uncompressed and compressed sizes (fields 1, 2 and 3 of
    /// `PageHeader`, all required).
    fn page_sizes(&mut self) -> Result<(i32, i32, i32), String> {
        let (mut kind, mut uncompressed, mut compressed) = (None, None, None);
        self.fields(|header, id, element| {
            match id {
                1 => kind = Some(header.zigzag_i32()?),
                2 => uncompressed = Some(header.zigzag_i32()?),
                3 => compressed = Some(header.zigzag_i32()?),
                4 => header.varint().map(drop)?,
                // DataPageHeader, IndexPageHeader, DictionaryPageHeader, DataPageHeaderV2.
                5 => header.known_struct(4, &[])?,
                6 => header.known_struct(0, &[])?,
                7 => header.known_struct(2, &[3])?,
                8 => header.known_struct(6, &[7])?,
                _ => header.skip(element, 0)?,
            }
            Ok(())
        })?;
        match (kind, uncompressed, compressed) {
            (Some(k), Some(u), Some(c)) => Ok((k, u, c)),
            _ => Err("a required field is missing".to_string()),
        }
    }

    /// One of the page headers the crate reads field by field: fields 1 to `varints` are
    /// integers (i32 or an enum) and `flags` booleans (no bytes of their own), whatever the
    /// wire says, as the crate reads them; any other field is skipped by its wire type.
    fn known_struct(&mut self, varints: i16, flags: &[i16]) -> Result<(), String> {
        self.fields(|header, id, element| match id {
            id if (1..=varints).contains(&id) => header.varint().map(drop),
            id if flags.contains(&id) => Ok(()),
            _ => header.skip(element, 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use parquet::basic::GzipLevel;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    fn zigzag(n: i64) -> u64 {
        ((n << 1) ^ (n >> 63)) as u64
    }

    /// A page header (Thrift compact) of `kind` with the two sizes, then `extra` fields.
    fn header(kind: i32, uncompressed: i32, compressed: i32, extra: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for value in [kind, uncompressed, compressed] {
            out.push(0x15); // field id + 1, type i32
            varint(zigzag(value.into()), &mut out);
        }
        out.extend_from_slice(extra);
        out.push(0); // stop
        out
    }

    /// A chunk of data pages, each its header and `compressed` bytes of data.
    fn chunk(pages: &[(i32, i32)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(uncompressed, compressed) in pages {
            out.extend(header(0, uncompressed, compressed, &[]));
            out.resize(out.len() + compressed as usize, 0xAB);
        }
        out
    }

    fn check(bytes: Vec<u8>, codec: Compression) -> Result<(), String> {
        let len = bytes.len() as u64;
        check_pages(&Bytes::from(bytes), (0, len), codec)
    }

    #[test]
    fn every_page_of_a_real_file_passes() {
        let file = Bytes::from_static(include_bytes!("../../tests/fixtures/boston_golden.parquet"));
        let reader = SerializedFileReader::new(file.clone()).unwrap();
        let mut chunks = 0;
        for group in reader.metadata().row_groups() {
            for column in group.columns() {
                check_pages(&file, column.byte_range(), column.compression()).unwrap();
                chunks += 1;
            }
        }
        assert!(chunks > 0);
    }

    #[test]
    fn a_claim_past_what_the_codec_makes_is_refused() {
        // Snappy makes at most 22 bytes a byte (+64): 100 bytes may claim 2,264.
        check(chunk(&[(2264, 100)]), Compression::SNAPPY).unwrap();
        let err = check(chunk(&[(2265, 100)]), Compression::SNAPPY).unwrap_err();
        assert_eq!(
            err,
            "page 0: the page claims 2265 bytes uncompressed from 100 bytes of SNAPPY, \
             more than SNAPPY can make of them"
        );
        let gzip = Compression::GZIP(GzipLevel::default());
        check(chunk(&[(100 * 1033 + 64, 100)]), gzip).unwrap();
        assert!(check(chunk(&[(100 * 1033 + 65, 100)]), gzip).is_err());
        // The second page is checked too.
        let err = check(chunk(&[(100, 100), (1 << 20, 10)]), Compression::LZ4_RAW).unwrap_err();
        assert!(
            err.starts_with("page 1: the page claims 1048576 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_claim_over_the_page_limit_is_refused_for_every_codec() {
        let claim = (MAX_PAGE_BYTES + 1) as i32;
        for codec in [
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::LZ4,
        ] {
            let err = check(chunk(&[(claim, 8)]), codec).unwrap_err();
            assert_eq!(
                err,
                "page 0: the page claims 268435457 bytes uncompressed, over the limit of \
                 268435456 bytes a page"
            );
        }
        // Uncompressed pages are not decompressed: their claim is not used, only capped.
        check(chunk(&[(1 << 20, 8)]), Compression::UNCOMPRESSED).unwrap();
        // An index page is skipped unread by the crate, whatever it claims.
        let mut index = header(INDEX_PAGE, i32::MAX, 4, &[]);
        index.extend([0; 4]);
        check(index, Compression::SNAPPY).unwrap();
    }

    #[test]
    fn sizes_out_of_place_or_negative_are_refused() {
        let err = check(chunk(&[(-1, 8)]), Compression::SNAPPY).unwrap_err();
        assert!(err.contains("a negative size"), "{err}");
        let mut past = chunk(&[(8, 8)]);
        past.truncate(past.len() - 1);
        let err = check(past, Compression::SNAPPY).unwrap_err();
        assert!(
            err.contains("past the end of its column chunk (7 left)"),
            "{err}"
        );
        let mut cut = header(0, 8, 8, &[]);
        cut.truncate(4);
        let err = check(cut, Compression::SNAPPY).unwrap_err();
        assert_eq!(
            err,
            "page 0: the page header is damaged (it ends before its last field)"
        );
        let err = check(vec![0], Compression::SNAPPY).unwrap_err();
        assert!(err.contains("a required field is missing"), "{err}");
    }

    #[test]
    fn a_known_field_is_read_by_its_id_as_the_crate_reads_it() {
        // Field 3 on the wire as a boolean: the crate reads an i32 there all the same, so
        // the 0x15-0x2a bytes after it are the compressed size, here 21 (zigzag 42).
        let mut bytes = vec![0x15, 0x00, 0x15];
        varint(zigzag(1 << 20), &mut bytes);
        bytes.extend([0x12, 0x2a, 0x00]);
        bytes.resize(bytes.len() + 21, 0);
        let err = check(bytes, Compression::SNAPPY).unwrap_err();
        assert!(
            err.contains("1048576 bytes uncompressed from 21 bytes"),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_are_skipped_and_hostile_ones_refused() {
        // Field 9, a binary of 3 bytes, then field 10, a list of 2 i32s: skipped.
        let extra = [0x68, 0x03, 1, 2, 3, 0x19, 0x25, 0x02, 0x04];
        let mut page = header(0, 8, 8, &extra);
        page.extend([0; 8]);
        check(page, Compression::SNAPPY).unwrap();
        // Field 10, a list claiming 2^31 (zero-byte) booleans in a few bytes.
        let mut list = vec![0x79, 0xf1];
        varint(1 << 31, &mut list);
        let err = check(header(0, 8, 0, &list), Compression::SNAPPY).unwrap_err();
        assert!(
            err.contains("a collection claims 2147483648 elements"),
            "{err}"
        );
        // Structs nested past the limit.
        let mut deep = vec![0x1c; 40];
        deep.extend([0; 41]);
        let err = check(
            header(0, 8, 0, &[0x9c]).into_iter().chain(deep).collect(),
            Compression::SNAPPY,
        )
        .unwrap_err();
        assert!(err.contains("nest deeper than 16"), "{err}");
    }
}
