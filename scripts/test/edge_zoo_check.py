#!/usr/bin/env python3
# The edge component's zoo parity (run by scripts/test/edge.sh): for one zoo model served by
# the component with MODEL_FILE and by the native server with --model, the golden's rows (and
# NaN rows) go to both; the answers must be the same bytes, and scikit-learn's outputs within
# the model's bound (scripts/test/edge_zoo_models.json). `--expect-error` checks instead that a
# broken MODEL_FILE answers 500 with a JSON error naming the file.
"""usage: edge_zoo_check.py --edge URL (--native URL --model LINE/NAME | --expect-error TEXT)"""

import argparse
import base64
import json
import math
import struct
import sys
from pathlib import Path

from edge_http_check import Server
from golden_bits import bits

ROOT = Path(__file__).resolve().parents[2]
MODELS = json.loads((ROOT / "scripts/test/edge_zoo_models.json").read_text())


def f64s(array):
    assert array["dtype"] == "<f8", array["dtype"]
    raw = base64.b64decode(array["data"])
    return array["shape"], list(struct.unpack(f"<{len(raw) // 8}d", raw))


def ulps(a, b):
    if a == b:
        return 0
    if math.copysign(1, a) != math.copysign(1, b):
        return math.inf
    return abs(bits(a) - bits(b))


def holds(bound, ours, theirs):
    if bound in (None, "exact"):
        return bits(ours) == bits(theirs)
    if "ulps" in bound:
        return ulps(ours, theirs) <= bound["ulps"] or abs(ours - theirs) <= bound.get("absolute", -1.0)
    return abs(ours - theirs) <= bound["relative"] * max(1.0, abs(theirs))


class Parity:
    def __init__(self, edge, native, spec):
        self.edge, self.native, self.spec = edge, native, spec
        self.values = self.exact = 0

    def post(self, query, rows, what):
        """POSTs rows (None = missing) to both; returns (status, parsed body), asserting same bytes."""
        body = json.dumps(rows).encode()
        edge = self.edge.request("POST", "/predict" + query, body)
        native = self.native.request("POST", "/predict" + query, body)
        assert edge == native, f"{what}: edge {edge[0]} {edge[3][:300]!r} != native {native[0]} {native[3][:300]!r}"
        return edge[0], json.loads(edge[3])

    def floats(self, what, bound, ours, theirs):
        assert len(ours) == len(theirs), f"{what}: {len(ours)} values, golden has {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            self.values += 1
            self.exact += bits(o) == bits(t)
            assert holds(bound, o, t), f"{what}[{i}]: {o!r} vs scikit-learn's {t!r} (bound {bound or 'exact'})"

    def check_set(self, what, shape, values, predict, proba, classes):
        n, width = shape
        n = min(n, MODELS["max_rows"])
        rows = [[None if math.isnan(v) else v for v in values[i * width:(i + 1) * width]] for i in range(n)]
        status, answer = self.post("", rows, what)
        assert status == 200, f"{what}: {status} {answer}"
        if classes:
            assert answer["prediction"] == predict[:n], f"{what}: labels differ from scikit-learn's"
            if proba is not None:
                status, answer = self.post("?output=predict_proba", rows, what + " predict_proba")
                assert status == 200, f"{what} predict_proba: {status} {answer}"
                assert answer["classes"] == classes, f"{what}: classes {answer['classes']}"
                got = [p for row in answer["predict_proba"] for p in row]
                self.floats(f"{what} predict_proba", self.spec.get("predict_proba"), got, f64s(proba)[1][: n * len(classes)])
        else:
            self.floats(f"{what} predict", self.spec.get("predict"), answer["prediction"], f64s(predict)[1][:n])

    def run(self):
        golden = json.loads((ROOT / f"model_data/zoo/{self.spec['model']}.golden.json").read_text())
        classes = golden.get("classes") or []
        shape, values = f64s(golden["X"])
        self.check_set("X", shape, values, golden["predict"], golden.get("predict_proba"), classes)
        if golden.get("X_nan"):
            shape, values = f64s(golden["X_nan"])
            if golden.get("nan_outputs"):
                out = golden["nan_outputs"]
                self.check_set("X_nan", shape, values, out["predict"], out.get("predict_proba"), classes)
            else:
                rows = [[None if math.isnan(v) else v for v in values[i * shape[1]:(i + 1) * shape[1]]] for i in range(shape[0])]
                status, answer = self.post("", rows, "X_nan")
                assert status == 422 and "missing" in answer["error"], f"X_nan: {status} {answer}"
        print(f"  {self.spec['model']}: {self.values} values (edge == native bytes), {self.exact} bit-exact with scikit-learn")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edge", required=True)
    parser.add_argument("--native")
    parser.add_argument("--model")
    parser.add_argument("--expect-error")
    args = parser.parse_args()
    edge = Server("edge", args.edge)
    if args.expect_error is not None:
        for method, path in (("GET", "/"), ("POST", "/predict")):
            status, ctype, _, body, _ = edge.request(method, path, b"[[1, 2]]")
            error = json.loads(body).get("error", "")
            assert status == 500 and ctype == "application/json", f"{method} {path}: {status} {ctype} {body[:300]!r}"
            assert args.expect_error in error, f"{method} {path}: error {error!r} lacks {args.expect_error!r}"
        print(f"  broken MODEL_FILE: 500 {error!r}")
        return
    spec = next((m for m in MODELS["models"] if m["model"] == args.model), None)
    assert spec, f"{args.model} is not in edge_zoo_models.json"
    Parity(edge, Server("native", args.native), spec).run()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print(f"FAIL: {err}", file=sys.stderr)
        sys.exit(1)
