#!/usr/bin/env python3
# The HTTP parity check of the edge component (run by scripts/test/edge.sh): every golden case
# and every error case goes to the component AND the native server; both must answer the same
# status, content type, Inference-Header-Content-Length and body, and the predictions must be
# the golden bits (V2 JSON and the binary tensor extension alike).
"""usage: edge_http_check.py --edge URL --native URL [--golden DIR]"""

import argparse
import http.client
import json
import struct
import sys
import urllib.parse
from pathlib import Path

from golden_bits import assert_bits

FEATURES = ["CHAS", "RM", "TAX", "PTRATIO", "B", "LSTAT"]
JSON_TYPE = "application/json"
OCTET_STREAM = "application/octet-stream"
HEADER_LENGTH = "Inference-Header-Content-Length"
MODEL = "boston-housing"


class Server:
    """One keep-alive connection to a server under test."""

    def __init__(self, name, url):
        parts = urllib.parse.urlsplit(url)
        self.name = name
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, content_type=JSON_TYPE, headers=None):
        """(status, Content-Type, Allow, body, Inference-Header-Content-Length)."""
        headers = dict(headers or {})
        if content_type is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return (
                    response.status,
                    response.getheader("Content-Type"),
                    response.getheader("Allow"),
                    response.read(),
                    response.getheader(HEADER_LENGTH),
                )
            except (http.client.HTTPException, ConnectionError):
                # The server may close an idle keep-alive connection; reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")


class Check:
    def __init__(self, edge, native):
        self.edge, self.native = edge, native
        self.requests = 0

    def exchange(self, method, path, body=None, content_type=JSON_TYPE, headers=None):
        """Sends one request to both servers; returns the (identical) answer with its
        Inference-Header-Content-Length."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        edge = self.edge.request(method, path, body, content_type, headers)
        native = self.native.request(method, path, body, content_type, headers)
        self.requests += 1
        what = f"{method} {path} {(body or b'')[:120]!r}"
        assert edge == native, (
            f"{what}: edge {edge[:3]} {edge[4]} {edge[3][:300]!r} != "
            f"native {native[:3]} {native[4]} {native[3][:300]!r}"
        )
        return edge

    def server_metadata(self):
        """`GET /v2` from both: the same document, but for `model_repository`, which only
        the native server has (`--model-dir`, the repository routes). Returns the edge's."""
        edge = self.edge.request("GET", "/v2", None, None, None)
        native = self.native.request("GET", "/v2", None, None, None)
        self.requests += 1
        assert edge[:3] == native[:3] == (200, JSON_TYPE, None), (edge[:3], native[:3])
        edge_doc, native_doc = json.loads(edge[3]), json.loads(native[3])
        assert "model_repository" in native_doc["extensions"], native_doc
        native_doc["extensions"].remove("model_repository")
        assert edge_doc == native_doc, (edge_doc, native_doc)
        return edge[3]

    def same(self, method, path, body=None, content_type=JSON_TYPE, headers=None):
        """`exchange` without the binary extension's header: (status, type, Allow, body)."""
        return self.exchange(method, path, body, content_type, headers)[:4]

    def binary_infer(self, path, header, parts):
        """A V2 request with binary tensor data, as tritonclient builds it: the JSON header,
        then each binary input's bytes in input order, the header's length in
        Inference-Header-Content-Length, sent as application/octet-stream. Returns the
        answer's JSON header and each binary output's bytes by name."""
        head = json.dumps(header).encode()
        status, ctype, _, body, length = self.exchange(
            "POST", path, head + b"".join(parts), OCTET_STREAM, {HEADER_LENGTH: str(len(head))})
        what = f"binary {path} {head[:120]!r}"
        assert status == 200, f"{what}: {status} {body[:300]!r}"
        if length is None:
            assert ctype == JSON_TYPE, f"{what}: content type {ctype}"
            return json.loads(body), {}
        assert ctype == OCTET_STREAM, f"{what}: content type {ctype}"
        answer, at, outputs = json.loads(body[: int(length)]), int(length), {}
        for output in answer["outputs"]:
            size = output.get("parameters", {}).get("binary_data_size")
            if size is not None:
                outputs[output["name"]] = body[at : at + size]
                at += size
        assert at == len(body), f"{what}: {len(body) - at} bytes no output accounts for"
        return answer, outputs

    def predict(self, query, payload, expected, what):
        status, ctype, _, body = self.same("POST", "/predict" + query, payload)
        assert status == 200, f"{what}: {status} {body[:300]!r}"
        assert ctype == JSON_TYPE, f"{what}: content type {ctype}"
        got = json.loads(body)["prediction"]
        assert_bits(got, expected, what)

    def infer(self, path, request, expected, what, content_type=JSON_TYPE):
        status, ctype, _, body = self.same("POST", path, request, content_type)
        assert status == 200, f"{what}: {status} {body[:300]!r}"
        assert ctype == JSON_TYPE, f"{what}: content type {ctype}"
        answer = json.loads(body)
        assert answer.get("id") == request.get("id"), f"{what}: id {answer.get('id')!r}"
        [output] = answer["outputs"]
        assert output["name"] == "predict" and output["datatype"] == "FP64", (what, output)
        assert output["shape"] == [len(expected)], (what, output["shape"])
        assert_bits(output["data"], expected, what)

    def error(self, method, path, body, content_type, status, needle, allow=None, headers=None):
        got_status, ctype, got_allow, answer = self.same(method, path, body, content_type, headers)
        what = f"{method} {path}"
        assert got_status == status, f"{what}: {got_status} (wanted {status}) {answer[:300]!r}"
        if method != "HEAD":
            assert ctype == JSON_TYPE, f"{what}: content type {ctype}"
            message = json.loads(answer)["error"]
            assert needle in message, f"{what}: {message!r} lacks {needle!r}"
        assert got_allow == allow, f"{what}: Allow {got_allow!r} (wanted {allow!r})"


def as_the_original_read_it(payload, order):
    """The original took columns by position (pandas 0.24 sorted a list of records' keys);
    renaming each column to the feature it was fed to reproduces its arithmetic by name."""
    rename = lambda obj: {FEATURES[order.index(k)]: v for k, v in obj.items()}  # noqa: E731
    if isinstance(payload, dict):
        return rename(payload)
    return [rename(r) for r in payload]


def numeric_rows(payload):
    """The rows of a /predict payload in the order the server answers them, or None when a
    cell is not a plain number (V2 tensors hold numbers only)."""
    if isinstance(payload, list):
        table = [[r[f] for f in FEATURES] for r in payload]
    elif all(isinstance(v, list) for v in payload.values()):
        table = [list(row) for row in zip(*(payload[f] for f in FEATURES))]
    else:
        keys = sorted({k for column in payload.values() for k in column})
        table = [[payload[f][k] for f in FEATURES] for k in keys]
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for row in table for v in row)
    return table if ok else None


def records(rows):
    return [dict(zip(FEATURES, row)) for row in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edge", required=True)
    parser.add_argument("--native", required=True)
    parser.add_argument("--golden", default=str(Path(__file__).resolve().parents[2] / "model_data/golden"))
    args = parser.parse_args()
    golden = Path(args.golden)
    check = Check(Server("edge", args.edge), Server("native", args.native))

    # GET / and HEAD /.
    status, ctype, _, body = check.same("GET", "/", content_type=None)
    assert status == 200 and ctype.startswith("text/html"), (status, ctype)
    assert b"<h3>Sklearn Prediction Home</h3>" in body, body[:200]
    status, _, _, body = check.same("HEAD", "/", content_type=None)
    assert status == 200 and body == b"", (status, body[:100])

    # The original service's cases, per-request scaling.
    cases = json.loads((golden / "per_request.json").read_text())["cases"]
    assert len(cases) >= 100, len(cases)
    for case in cases:
        payload = as_the_original_read_it(case["payload"], case["original_column_order"])
        check.predict("?scaling=per-request", payload, case["prediction"], case["name"])
    print(f"per-request: {len(cases)} golden payloads, exact", flush=True)

    # scikit-learn with the training scaler: in batches (default and explicit scaling)...
    training = json.loads((golden / "training.json").read_text())
    assert training["features"] == FEATURES, training["features"]
    rows, expected = training["rows"], training["prediction"]
    assert len(rows) >= 2000, len(rows)
    batch = 1000
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        want = expected[start : start + batch]
        check.predict("", records(chunk), want, f"training rows {start}..")
        columns = {f: [row[j] for row in chunk] for j, f in enumerate(FEATURES)}
        check.predict("?scaling=training", columns, want, f"training rows {start}.. as lists")
    # ...and one row at a time, in the original's columns orientation.
    for i in range(0, len(rows), 7):
        one = {f: {"0": rows[i][j]} for j, f in enumerate(FEATURES)}
        check.predict("?scaling=training", one, [expected[i]], f"training row {i}")
    for row in training["rejected_rows"]:
        check.error("POST", "/predict", records([row]), JSON_TYPE, 422, "overflows float32")
    print(f"training: {len(rows)} golden rows in batches, every 7th alone, exact", flush=True)

    # KServe V2: metadata and health, then infer with the same golden rows.
    check.server_metadata()
    for path in ["/v2/health/live", "/v2/health/ready", f"/v2/models/{MODEL}",
                 f"/v2/models/{MODEL}/ready"]:
        status, ctype, _, body = check.same("GET", path, content_type=None)
        assert status == 200 and ctype == JSON_TYPE, (path, status, ctype, body[:200])
    infer = f"/v2/models/{MODEL}/infer"
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        tensor = {"name": "input-0", "shape": [len(chunk), 6], "datatype": "FP64",
                  "data": [v for row in chunk for v in row]}
        check.infer(infer, {"id": f"t{start}", "inputs": [tensor]}, expected[start : start + batch],
                    f"v2 training rows {start}..")
    columns = [{"name": f, "shape": [len(rows[:300])], "datatype": "FP64",
                "data": [row[j] for row in rows[:300]]} for j, f in enumerate(FEATURES)]
    check.infer(infer, {"inputs": columns[::-1]}, expected[:300], "v2 per-column tensors")
    v2_cases = 0
    for n, case in enumerate(cases):
        table = numeric_rows(as_the_original_read_it(case["payload"], case["original_column_order"]))
        if table is None:
            continue
        tensor = {"name": "x", "shape": [len(table), 6], "datatype": "FP64",
                  "data": [v for row in table for v in row]}
        if n % 2:
            body, path = {"inputs": [tensor]}, infer + "?scaling=per-request"
        else:
            body, path = {"inputs": [tensor], "parameters": {"scaling": "per-request"}}, infer
        check.infer(path, body, case["prediction"], f"v2 {case['name']}")
        v2_cases += 1
    assert v2_cases >= 50, v2_cases
    check.error("POST", "/v2/models/nope/infer", "{}", JSON_TYPE, 404, "nope")
    bad_shape = {"inputs": [{"name": "x", "shape": [2, 5], "datatype": "FP64",
                             "data": [v for row in rows[:2] for v in row]}]}
    check.error("POST", infer, json.dumps(bad_shape), JSON_TYPE, 400, "shape")
    print(f"v2: metadata, training rows, {v2_cases} per-request cases, exact", flush=True)

    # The binary tensor extension, as tritonclient's and kserve's clients use it by default.
    body = check.server_metadata()
    assert "binary_tensor_data" in json.loads(body)["extensions"], body
    fp64 = lambda values: struct.pack(f"<{len(values)}d", *values)  # noqa: E731
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        data = fp64([v for row in chunk for v in row])
        header = {"id": f"b{start}", "parameters": {"binary_data_output": True},
                  "inputs": [{"name": "INPUT0", "shape": [len(chunk), 6], "datatype": "FP64",
                              "parameters": {"binary_data_size": len(data)}}]}
        answer, outputs = check.binary_infer(infer, header, [data])
        assert answer["id"] == f"b{start}", answer
        predict = outputs["predict"]
        assert_bits(struct.unpack(f"<{len(predict) // 8}d", predict), expected[start : start + batch],
                    f"v2 binary training rows {start}..")
    # One FP32 tensor per column, a JSON answer: the same as JSON FP32 tensors give.
    chunk = rows[:300]
    inputs, parts = [], []
    for j, f in enumerate(FEATURES):
        column = [row[j] for row in chunk]
        parts.append(struct.pack(f"<{len(column)}f", *column))
        inputs.append({"name": f, "shape": [len(chunk), 1], "datatype": "FP32",
                       "parameters": {"binary_data_size": len(parts[-1])}})
    answer, outputs = check.binary_infer(infer, {"inputs": inputs}, parts)
    assert outputs == {}, outputs
    json_fp32 = [{"name": f, "shape": [len(chunk)], "datatype": "FP32", "data": [row[j] for row in chunk]}
                 for j, f in enumerate(FEATURES)]
    _, _, _, body = check.same("POST", infer, {"inputs": json_fp32})
    assert_bits(answer["outputs"][0]["data"], json.loads(body)["outputs"][0]["data"], "v2 binary FP32 columns")
    # JSON sent as application/octet-stream (tritonclient's asyncio client).
    check.infer(infer, {"id": "o", "inputs": [{"name": "x", "shape": [1, 6], "datatype": "FP64",
                                               "data": rows[0]}]}, expected[:1], "v2 octet-stream JSON",
                content_type=OCTET_STREAM)
    one = fp64(rows[0])
    head = json.dumps({"inputs": [{"name": "INPUT0", "shape": [1, 6], "datatype": "FP64",
                                   "parameters": {"binary_data_size": 48}}]}).encode()
    for length, tail, needle in [
        ("lots", one, "the Inference-Header-Content-Length header \"lots\" is not a number of bytes"),
        (str(len(head) + 100), one, "says the JSON header is"),
        (str(len(head)), one[:40], "binary_data_size 48 is larger than the 40 bytes"),
        (str(len(head)), one + one, "the inputs' parameters.binary_data_size add up to 48"),
    ]:
        check.error("POST", infer, head + tail, OCTET_STREAM, 400, needle, headers={HEADER_LENGTH: length})
    check.error("POST", infer, head, OCTET_STREAM, 400, "has no Inference-Header-Content-Length header")
    print("v2 binary tensor data: training rows (binary in and out), FP32 columns, errors, exact", flush=True)

    # Errors: the same clear 4xx JSON on both.
    sample = {f: {"0": v} for f, v in zip(FEATURES, [0, 6.575, 296.0, 15.3, 396.9, 4.98])}
    check.error("GET", "/predict", None, None, 405, "takes POST", allow="POST")
    check.error("POST", "/", "{}", JSON_TYPE, 405, "takes GET", allow="GET")
    check.error("GET", "/nope", None, None, 404, "no route")
    check.error("POST", "/predict", json.dumps(sample), None, 415, "Content-Type")
    check.error("POST", "/predict", json.dumps(sample), "text/plain", 415, "Content-Type")
    check.error("POST", "/predict", "{not json", JSON_TYPE, 400, "not valid JSON")
    check.error("POST", "/predict?scaling=bogus", json.dumps(sample), JSON_TYPE, 400, "scaling")
    check.error("POST", "/predict", "{}", JSON_TYPE, 422, "no rows")
    missing = {k: v for k, v in sample.items() if k != "LSTAT"}
    check.error("POST", "/predict", json.dumps(missing), JSON_TYPE, 422, "LSTAT is missing")
    bad = dict(sample, RM={"0": "six"})
    check.error("POST", "/predict", json.dumps(bad), JSON_TYPE, 422, "RM")
    big = b"[" + b" " * (1 << 20) + b"]"
    check.error("POST", "/predict", big, JSON_TYPE, 413, "larger than")
    print(f"errors: same 4xx JSON on both; {check.requests} requests in all", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print(f"FAIL: {err}", file=sys.stderr)
        sys.exit(1)
