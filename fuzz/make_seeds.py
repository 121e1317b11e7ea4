#!/usr/bin/env python3
# Writes the fuzz targets' seed corpora (fuzz/seeds/<target>/) from the golden cases and
# the malformed-request table (host/tests/malformed.rs); run by hand when either changes.
import hashlib, json, os, re, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "seeds")

def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

features = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
with open(os.path.join(root, "model_data", "golden", "per_request.json")) as f:
    golden = [c["payload"] for c in json.load(f)["cases"]]
with open(os.path.join(root, "model_data", "golden", "training.json")) as f:
    rows = json.load(f)["rows"]
golden += [[dict(zip(features, r)) for r in rows[i:i + 5]] for i in range(0, min(len(rows), 100), 5)]

# Raw and plain string bodies of the malformed table (small ones only).
table = open(os.path.join(root, "host", "tests", "malformed.rs")).read()
malformed = re.findall(r'r#"(.*?)"#', table) + re.findall(r'"POST", "[^"]*", "((?:[^"\\]|\\.)*)"', table)
malformed = [m for m in malformed if len(m) < 4096]

golden = [p for p in golden if len(json.dumps(p)) < 8192]
for p in golden:
    put("route_table", b"\x00\x00\x01\x00\x00\x00" + json.dumps(p).encode())
    put("payload_decode", json.dumps(p))
    put("csv_batch", json.dumps(p))
for m in malformed:
    put("payload_decode", m)
    put("v2_infer", m)
    # route_table: POST, /predict or the infer route, a content type, JSON, no query, flags 0.
    put("route_table", b"\x00\x00\x01\x00\x00\x00" + m.encode())
    put("route_table", b"\x00\x01\x01\x00\x00\x00" + m.encode())

# V2 infer requests built from the golden rows.
for p in golden[:40]:
    if isinstance(p, list) and p and isinstance(p[0], dict):
        rows = [[r.get(k, 0) for k in features] for r in p]
        if all(isinstance(v, (int, float)) for r in rows for v in r):
            flat = [v for r in rows for v in r]
            put("v2_infer", json.dumps({"id": "x", "inputs": [{"name": "input-0", "shape": [len(rows), 6],
                "datatype": "FP64", "data": flat}], "parameters": {"scaling": "training"}}))
            put("route_table", b"\x00\x01\x01\x00\x00\x00" + json.dumps({"inputs": [{"name": "input-0",
                "shape": [len(rows), 6], "datatype": "FP64", "data": flat}]}).encode())
            put("v2_infer", json.dumps({"inputs": [{"name": k, "shape": [len(rows)], "datatype": "FP32",
                "data": [r[i] for r in rows]} for i, k in enumerate(features)]}))
            csv = ",".join(features) + "\n" + "\n".join(",".join(repr(v) for v in r) for r in rows) + "\n"
            put("csv_batch", csv)

# gRPC ModelInferRequest messages (protobuf, field numbers of host/proto/grpc_predict_v2.proto)
# built from the golden rows: typed fp64/fp32 contents and raw_input_contents.
def varint(n):
    out = b""
    n &= (1 << 64) - 1
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def field(number, data):  # length-delimited
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data

def packed_int64(number, values):
    return field(number, b"".join(varint(v) for v in values))

def tensor(name, datatype, shape, contents=b""):
    return field(1, name) + field(2, datatype) + packed_int64(3, shape) + (field(5, contents) if contents else b"")

def parameter(key, string_value):
    return field(4, field(1, key) + field(2, field(3, string_value)))

for p in golden[:20]:
    if isinstance(p, list) and p and isinstance(p[0], dict):
        rows = [[r.get(k, 0) for k in features] for r in p]
        if all(isinstance(v, (int, float)) for r in rows for v in r):
            flat = [float(v) for r in rows for v in r]
            fp64 = field(7, struct.pack("<%dd" % len(flat), *flat))
            put("grpc_infer", field(1, "boston") + field(3, "x")
                + field(5, tensor("input-0", "FP64", [len(rows), 6], fp64)) + parameter("scaling", "training"))
            put("grpc_infer", field(1, "boston") + b"".join(
                field(5, tensor(k, "FP32", [len(rows)], field(6, struct.pack("<%df" % len(rows), *[r[i] for r in rows]))))
                for i, k in enumerate(features)) + field(6, field(1, "predict")))
            put("grpc_infer", field(1, "boston") + field(5, tensor("input-0", "FP64", [len(rows), 6]))
                + field(7, struct.pack("<%dd" % len(flat), *flat)))

# Parquet seeds need pyarrow: tools/parquet_fixture/make_seeds.py writes them.

model = open(os.path.join(root, "model_data", "boston_housing.model.json"), "rb").read()
put("model_bytes", model)
for sub in sorted(os.listdir(os.path.join(root, "model_data", "zoo"))) if os.path.isdir(os.path.join(root, "model_data", "zoo")) else []:
    for dirpath, _, files in os.walk(os.path.join(root, "model_data", "zoo", sub)):
        for f in files:
            if f.endswith(".model.json"):
                data = open(os.path.join(dirpath, f), "rb").read()
                if len(data) < 30_000:
                    put("model_bytes", data)
put("model_mutations", b"")
put("model_mutations", bytes(range(64)))

for s in ["0", "-0", "6.575", "1e400", "-1e-400", "inf", "-Infinity", "NaN", "+.5E-3", "1.", ".e5",
          "0x10", "1_000", "2.2250738585072014e-308", "9007199254740993", "00012.5000"]:
    put("number_grammar", s)

put("kernels_differential", bytes(range(256)))
put("kernels_differential", struct.pack("<64d", *[i / 7 - 4 for i in range(64)]))
print("seeds written to", out, file=sys.stderr)
