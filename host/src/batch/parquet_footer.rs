//! Checks a Parquet file's footer (its `FileMetaData`) before the `parquet` crate parses
//! it. The crate (60.1.0) skips an unknown field's list of booleans one zero-byte element
//! at a time, so a list claiming 2^31 of them in 6 bytes is 2^31 turns of a loop: a 3.8 KB
//! footer took 1 s (found by the `parquet_batch` fuzz target), a larger one would take
//! minutes. This reads the footer as the crate will (`parquet_thrift.rs`), with the fields
//! the crate knows typed as the format's `parquet.thrift` has them, and refuses a skipped
//! collection that claims more elements than there are bytes left.

use parquet::file::reader::ChunkReader;

use super::parquet_thrift::{Schema, Thrift, Ty};

/// Checks the footer of `input`. A file too short for one, without the `PAR1` magic or
/// with a footer length past its start is left to the crate, which says so itself.
pub fn check_footer<R: ChunkReader>(input: &R) -> Result<(), String> {
    let len = input.len();
    let Some(tail) = len
        .checked_sub(8)
        .and_then(|at| input.get_bytes(at, 8).ok())
    else {
        return Ok(());
    };
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    let Some(start) = (len - 8).checked_sub(footer_len) else {
        return Ok(());
    };
    let footer = input
        .get_bytes(start, footer_len as usize)
        .map_err(|e| e.to_string())?;
    let mut thrift = Thrift {
        bytes: &footer[..],
        read: 0,
        limit: footer_len,
    };
    thrift.read_struct(&FILE_META_DATA, 0)
}

// The footer's structs, from `parquet.thrift` as the crate's readers know them
// (`file/metadata/thrift/mod.rs`, `basic.rs`); fields 8 and 9 of `FileMetaData` and of
// `ColumnChunk` are encryption's, which this build leaves out: the crate skips them.

const EMPTY: Ty = Ty::Struct(&Schema {
    name: "empty struct",
    fields: &[],
});

const KEY_VALUE: Ty = Ty::Struct(&Schema {
    name: "KeyValue",
    fields: &[(1, Ty::Binary), (2, Ty::Binary)],
});

const TIME_UNIT: Ty = Ty::Struct(&Schema {
    name: "TimeUnit",
    fields: &[(1, EMPTY), (2, EMPTY), (3, EMPTY)],
});

const TIMESTAMP: Ty = Ty::Struct(&Schema {
    name: "TimestampType",
    fields: &[(1, Ty::Bool), (2, TIME_UNIT)],
});

const LOGICAL_TYPE: Ty = Ty::Struct(&Schema {
    name: "LogicalType",
    fields: &[
        (1, EMPTY),
        (2, EMPTY),
        (3, EMPTY),
        (4, EMPTY),
        (
            5,
            Ty::Struct(&Schema {
                name: "DecimalType",
                fields: &[(1, Ty::I32), (2, Ty::I32)],
            }),
        ),
        (6, EMPTY),
        (7, TIMESTAMP),
        (8, TIMESTAMP),
        (
            10,
            Ty::Struct(&Schema {
                name: "IntType",
                fields: &[(1, Ty::Byte), (2, Ty::Bool)],
            }),
        ),
        (11, EMPTY),
        (12, EMPTY),
        (13, EMPTY),
        (14, EMPTY),
        (15, EMPTY),
        (
            16,
            Ty::Struct(&Schema {
                name: "VariantType",
                fields: &[(1, Ty::Byte)],
            }),
        ),
        (
            17,
            Ty::Struct(&Schema {
                name: "GeometryType",
                fields: &[(1, Ty::Binary)],
            }),
        ),
        (
            18,
            Ty::Struct(&Schema {
                name: "GeographyType",
                fields: &[(1, Ty::Binary), (2, Ty::I32)],
            }),
        ),
        (19, EMPTY),
    ],
});

const SCHEMA_ELEMENT: Ty = Ty::Struct(&Schema {
    name: "SchemaElement",
    fields: &[
        (1, Ty::I32),
        (2, Ty::I32),
        (3, Ty::I32),
        (4, Ty::Binary),
        (5, Ty::I32),
        (6, Ty::I32),
        (7, Ty::I32),
        (8, Ty::I32),
        (9, Ty::I32),
        (10, LOGICAL_TYPE),
    ],
});

const STATISTICS: Ty = Ty::Struct(&Schema {
    name: "Statistics",
    fields: &[
        (1, Ty::Binary),
        (2, Ty::Binary),
        (3, Ty::I64),
        (4, Ty::I64),
        (5, Ty::Binary),
        (6, Ty::Binary),
        (7, Ty::Bool),
        (8, Ty::Bool),
        (9, Ty::I64),
    ],
});

const PAGE_ENCODING_STATS: Ty = Ty::Struct(&Schema {
    name: "PageEncodingStats",
    fields: &[(1, Ty::I32), (2, Ty::I32), (3, Ty::I32)],
});

const SIZE_STATISTICS: Ty = Ty::Struct(&Schema {
    name: "SizeStatistics",
    fields: &[
        (1, Ty::I64),
        (2, Ty::List(&Ty::I64)),
        (3, Ty::List(&Ty::I64)),
    ],
});

const GEOSPATIAL_STATISTICS: Ty = Ty::Struct(&Schema {
    name: "GeospatialStatistics",
    fields: &[
        (
            1,
            Ty::Struct(&Schema {
                name: "BoundingBox",
                fields: &[
                    (1, Ty::Double),
                    (2, Ty::Double),
                    (3, Ty::Double),
                    (4, Ty::Double),
                    (5, Ty::Double),
                    (6, Ty::Double),
                    (7, Ty::Double),
                    (8, Ty::Double),
                ],
            }),
        ),
        (2, Ty::List(&Ty::I32)),
    ],
});

const COLUMN_META_DATA: Ty = Ty::Struct(&Schema {
    name: "ColumnMetaData",
    fields: &[
        (1, Ty::I32),
        (2, Ty::List(&Ty::I32)),
        (3, Ty::List(&Ty::Binary)),
        (4, Ty::I32),
        (5, Ty::I64),
        (6, Ty::I64),
        (7, Ty::I64),
        (8, Ty::List(&KEY_VALUE)),
        (9, Ty::I64),
        (10, Ty::I64),
        (11, Ty::I64),
        (12, STATISTICS),
        (13, Ty::List(&PAGE_ENCODING_STATS)),
        (14, Ty::I64),
        (15, Ty::I32),
        (16, SIZE_STATISTICS),
        (17, GEOSPATIAL_STATISTICS),
    ],
});

const COLUMN_CHUNK: Ty = Ty::Struct(&Schema {
    name: "ColumnChunk",
    fields: &[
        (1, Ty::Binary),
        (2, Ty::I64),
        (3, COLUMN_META_DATA),
        (4, Ty::I64),
        (5, Ty::I32),
        (6, Ty::I64),
        (7, Ty::I32),
    ],
});

const ROW_GROUP: Ty = Ty::Struct(&Schema {
    name: "RowGroup",
    fields: &[
        (1, Ty::List(&COLUMN_CHUNK)),
        (2, Ty::I64),
        (3, Ty::I64),
        (
            4,
            Ty::List(&Ty::Struct(&Schema {
                name: "SortingColumn",
                fields: &[(1, Ty::I32), (2, Ty::Bool), (3, Ty::Bool)],
            })),
        ),
        (5, Ty::I64),
        (6, Ty::I64),
        (7, Ty::I16),
    ],
});

const COLUMN_ORDER: Ty = Ty::Struct(&Schema {
    name: "ColumnOrder",
    fields: &[(1, EMPTY), (2, EMPTY), (3, EMPTY)],
});

const FILE_META_DATA: Schema = Schema {
    name: "FileMetaData",
    fields: &[
        (1, Ty::I32),
        (2, Ty::List(&SCHEMA_ELEMENT)),
        (3, Ty::I64),
        (4, Ty::List(&ROW_GROUP)),
        (5, Ty::List(&KEY_VALUE)),
        (6, Ty::Binary),
        (7, Ty::List(&COLUMN_ORDER)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    const BOSTON: &[u8] = include_bytes!("../../tests/fixtures/boston_golden.parquet");

    /// `file` with its footer's fields followed by `extra` (before the footer's stop).
    fn with_extra_fields(file: &[u8], extra: &[u8]) -> Bytes {
        let len = file.len();
        let footer_len = u32::from_le_bytes(file[len - 8..len - 4].try_into().unwrap()) as usize;
        let footer = &file[len - 8 - footer_len..len - 8];
        assert_eq!(footer.last(), Some(&0), "a footer ends with its stop");
        let mut out = file[..len - 8 - footer_len].to_vec();
        out.extend_from_slice(&footer[..footer.len() - 1]);
        out.extend_from_slice(extra);
        out.push(0);
        out.extend_from_slice(&((footer_len + extra.len()) as u32).to_le_bytes());
        out.extend_from_slice(b"PAR1");
        Bytes::from(out)
    }

    /// The header of field `id` (its full form) of wire type `element`.
    fn field(element: u8, id: i16) -> Vec<u8> {
        vec![element, ((id << 1) ^ (id >> 15)) as u8]
    }

    #[test]
    fn real_footers_pass() {
        check_footer(&Bytes::from_static(BOSTON)).unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/footers");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let file = Bytes::from(std::fs::read(&path).unwrap());
            SerializedFileReader::new(file.clone()).unwrap();
            check_footer(&file).unwrap_or_else(|why| panic!("{}: {why}", path.display()));
            files += 1;
        }
        assert!(files >= 8, "{files} files in {dir}");
    }

    #[test]
    fn unknown_fields_are_skipped_as_the_crate_skips_them() {
        // Field 20, a binary of 3 bytes; field 21, a list of one boolean, which the crate
        // skips as no bytes (so its byte is read as the next field: a stop here).
        let mut extra = field(0x08, 20);
        extra.extend([3, b'a', b'b', b'c']);
        extra.extend(field(0x09, 21));
        extra.push(0x11);
        let file = with_extra_fields(BOSTON, &extra);
        check_footer(&file).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        let original = SerializedFileReader::new(Bytes::from_static(BOSTON)).unwrap();
        assert_eq!(
            reader.metadata().file_metadata().num_rows(),
            original.metadata().file_metadata().num_rows()
        );
    }

    #[test]
    fn a_skipped_collection_claiming_more_than_the_footer_holds_is_refused() {
        // A list of 2^31 - 1 booleans in 6 bytes: the crate would loop 2^31 - 1 times.
        let mut list = field(0x09, 20);
        list.extend([0xf1, 0xff, 0xff, 0xff, 0xff, 0x07]);
        let err = check_footer(&with_extra_fields(BOSTON, &list)).unwrap_err();
        assert_eq!(err, "a collection claims 2147483647 elements in 1 bytes");
        // A map of booleans to booleans, inside an unknown struct.
        let mut map = field(0x0c, 20);
        map.extend([0x1b, 0xff, 0xff, 0xff, 0xff, 0x07, 0x11, 0x00]);
        let err = check_footer(&with_extra_fields(BOSTON, &map)).unwrap_err();
        assert!(
            err.starts_with("a collection claims 2147483647 elements"),
            "{err}"
        );
    }

    #[test]
    fn a_known_field_of_another_type_is_refused_with_its_path() {
        // FileMetaData field 6 (created_by) as an i32: the crate reads a binary there.
        let mut extra = field(0x05, 6);
        extra.push(2);
        let err = check_footer(&with_extra_fields(BOSTON, &extra)).unwrap_err();
        assert_eq!(
            err,
            "FileMetaData field 6 has wire type i32, the format says binary"
        );
        // A list of row groups that holds i32s.
        let mut extra = field(0x09, 4);
        extra.extend([0x15, 0x02]);
        let err = check_footer(&with_extra_fields(BOSTON, &extra)).unwrap_err();
        assert_eq!(
            err,
            "FileMetaData field 4: a list of RowGroup holds i32 elements"
        );
    }

    #[test]
    fn what_is_not_a_footer_is_left_to_the_crate() {
        for file in [
            &b""[..],
            b"PAR1",
            b"xxxxxxxxxxxxPAR2",
            b"PAR1\xff\xff\xff\x7fPAR1",
        ] {
            check_footer(&Bytes::from_static(file)).unwrap();
            assert!(SerializedFileReader::new(Bytes::from_static(file)).is_err());
        }
    }
}
