"""Writes host/tests/fixtures/boston_golden.parquet with pyarrow: the golden training rows
(model_data/golden/training.json, scored by the real scikit-learn 0.20.3) as a Parquet file
the way data teams write them: columns in another order than the model's, CHAS as int64,
several row groups, snappy compression (pyarrow's default). The test
host/tests/batch_parquet.rs checks that host predict on it prints the golden predictions.
Deterministic: the same bytes every run for one pyarrow version."""
import json
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
golden = json.loads((ROOT / "model_data/golden/training.json").read_text())
features = golden["features"]
rows = golden["rows"]
assert features == ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"], features
columns = {name: [row[j] for row in rows] for j, name in enumerate(features)}
# CHAS as int64 where every value is an integer (it is a 0/1 flag).
chas = columns["CHAS"]
chas_type = pa.int64() if all(float(v).is_integer() and abs(v) < 2**53 for v in chas) else pa.float64()
if chas_type == pa.int64():
    columns["CHAS"] = [int(v) for v in chas]
order = ["LSTAT", "B", "PTRATIO", "TAX", "RM", "CHAS"]
table = pa.table(
    {name: pa.array(columns[name], type=chas_type if name == "CHAS" else pa.float64()) for name in order}
)
out = ROOT / "host/tests/fixtures/boston_golden.parquet"
out.parent.mkdir(parents=True, exist_ok=True)
pq.write_table(table, out, row_group_size=1000, compression="snappy")
print(f"{out.relative_to(ROOT)}: {table.num_rows} rows, CHAS {chas_type}, pyarrow {pa.__version__}", file=sys.stderr)
