#!/usr/bin/env python3
# Writes small Parquet seeds for the parquet_batch fuzz target (fuzz/seeds/parquet_batch/):
# five golden Boston rows in every column type and codec host predict reads, with nulls and
# two row groups. Small on purpose: libFuzzer runs a 1 KB file a hundred times faster than
# the 134 KB test fixture. Run by hand with the pinned pyarrow of make_fixture.sh:
#   .cache/venv-parquet/bin/python tools/parquet_fixture/make_seeds.py
import hashlib, io, json, os

import pyarrow as pa
import pyarrow.parquet as pq

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "fuzz", "seeds", "parquet_batch")
os.makedirs(out, exist_ok=True)
features = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
with open(os.path.join(root, "model_data", "golden", "training.json")) as f:
    rows = json.load(f)["rows"][:5]
columns = {name: [r[i] for r in rows] for i, name in enumerate(features)}


def put(table, **options):
    buf = io.BytesIO()
    pq.write_table(table, buf, **options)
    data = buf.getvalue()
    with open(os.path.join(out, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


plain = pa.table({k: pa.array(v, pa.float64()) for k, v in columns.items()})
for codec in ["none", "snappy", "gzip", "lz4"]:
    put(plain, compression=codec)
put(plain, row_group_size=2)
put(plain, use_dictionary=False, compression="none")
typed = pa.table({
    "CHAS": pa.array([int(v) for v in columns["CHAS"]], pa.int32()),
    "RM": pa.array(columns["RM"], pa.float32()),
    "TAX": pa.array([int(v) for v in columns["TAX"]], pa.int64()),
    "PTRATIO": pa.array(columns["PTRATIO"], pa.float64()),
    "B": pa.array(columns["B"], pa.float64()),
    "LSTAT": pa.array(columns["LSTAT"], pa.float64()),
})
put(typed, compression="none")
put(pa.table({**{k: pa.array(v, pa.float64()) for k, v in columns.items()},
              "CHAS": pa.array([v > 0 for v in columns["CHAS"]], pa.bool_())}), compression="none")
put(pa.table({k: pa.array([None] + v[1:], pa.float64()) for k, v in columns.items()}), compression="none")
print("seeds written to", out)
