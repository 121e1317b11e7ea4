#!/usr/bin/env python3
# Writes host/tests/fixtures/footers/: small Parquet files whose footers use every part of
# the format pyarrow writes (every column type and logical type, statistics, page indexes,
# size statistics, sorting columns, key-value metadata, data page v2, format 1.0, every
# codec, many row groups), for the footer check's test (host/src/batch/parquet_footer.rs):
# each must pass it, or the check would refuse real files. Run by hand with the pinned
# pyarrow of make_fixture.sh:
#   .cache/venv-parquet/bin/python tools/parquet_fixture/make_footer_fixtures.py
import datetime, decimal, os

import pyarrow as pa
import pyarrow.parquet as pq

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "host", "tests", "fixtures", "footers")
os.makedirs(out, exist_ok=True)
n = 12
t0 = datetime.datetime(2026, 1, 2, 3, 4, 5)
columns = {
    "f64": pa.array([i * 0.5 for i in range(n)], pa.float64()),
    "f32": pa.array([i * 0.25 for i in range(n)], pa.float32()),
    "f16": pa.array([i * 0.5 for i in range(n)], pa.float32()).cast(pa.float16()),
    "i8": pa.array(range(n), pa.int8()),
    "u16": pa.array(range(n), pa.uint16()),
    "i32": pa.array(range(n), pa.int32()),
    "u64": pa.array(range(n), pa.uint64()),
    "bool": pa.array([i % 3 == 0 for i in range(n)]),
    "nulls": pa.array([None if i % 2 else i for i in range(n)], pa.float64()),
    "null": pa.nulls(n),
    "str": pa.array([f"s{i}" for i in range(n)]),
    "large_str": pa.array([f"l{i}" for i in range(n)], pa.large_string()),
    "bin": pa.array([bytes([0xF1, 0xFF, 0xFF, 0xFF, 0x07, i]) for i in range(n)]),
    "fixed": pa.array([bytes([i] * 4) for i in range(n)], pa.binary(4)),
    "dict": pa.array([f"d{i % 3}" for i in range(n)]).dictionary_encode(),
    "date": pa.array([datetime.date(2026, 1, 1 + i) for i in range(n)], pa.date32()),
    "time_ms": pa.array([datetime.time(1, 2, i) for i in range(n)], pa.time32("ms")),
    "time_ns": pa.array([datetime.time(1, 2, i) for i in range(n)], pa.time64("ns")),
    "ts_ms": pa.array([t0] * n, pa.timestamp("ms")),
    "ts_us_utc": pa.array([t0] * n, pa.timestamp("us", tz="UTC")),
    "ts_ns": pa.array([t0] * n, pa.timestamp("ns")),
    "decimal": pa.array([decimal.Decimal(f"{i}.25") for i in range(n)], pa.decimal128(9, 2)),
    "big_decimal": pa.array([decimal.Decimal(i) for i in range(n)], pa.decimal128(30, 0)),
    "list": pa.array([[i, i + 1] for i in range(n)], pa.list_(pa.int64())),
    "struct": pa.array([{"a": i, "b": f"b{i}"} for i in range(n)]),
    "map": pa.array([[("k", i)] for i in range(n)], pa.map_(pa.string(), pa.int32())),
}
table = pa.table(columns).replace_schema_metadata({"origin": "edge predictor", "rows": str(n)})


def put(name, table, **options):
    pq.write_table(table, os.path.join(out, name + ".parquet"), **options)


put("defaults", table)
put("page_index", table, write_page_index=True)
put("format_1_0_data_page_v2", table, version="1.0", data_page_version="2.0")
put("plain_gzip_no_statistics", table, use_dictionary=False, compression="gzip",
    write_statistics=False)
put("sorted_many_row_groups", table.sort_by([("f64", "descending")]), row_group_size=2,
    sorting_columns=[pq.SortingColumn(0, descending=True, nulls_first=True)])
put("zstd_brotli_lz4", table, compression={"f64": "zstd", "f32": "brotli", "i32": "lz4"},
    compression_level=None)
put("byte_stream_split", table.select(["f64", "f32", "i32"]), use_dictionary=False,
    use_byte_stream_split=True)
put("delta", table.select(["i32", "u64", "str"]), use_dictionary=False,
    column_encoding={"i32": "DELTA_BINARY_PACKED", "u64": "DELTA_BINARY_PACKED",
                     "str": "DELTA_LENGTH_BYTE_ARRAY"})
put("no_arrow_schema", table, store_schema=False, write_page_checksum=True)
put("empty", table.slice(0, 0))
print("footer fixtures written to", out)
