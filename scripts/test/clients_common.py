#!/usr/bin/env python3
# What the real-client checks share (scripts/test/clients_triton_check.py and
# clients_kserve_check.py, one process each: tritonclient and kserve both register the
# protobuf package `inference`, so they cannot be imported together): the golden cases,
# exact float64 comparison, and the harness that runs every check on its own and ends
# with "N passed, M failed".
"""usage: (imported) run(CHECKS, description)"""

import argparse
import base64
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from edge_http_check import FEATURES, as_the_original_read_it, numeric_rows

MODEL = "boston-housing"
ROOT = Path(__file__).resolve().parents[2]
# Rows per request for the golden training rows (5,567 of them).
BATCH = 1000


def bits(array):
    """The float64 bit patterns of an array (exact comparison, NaN included)."""
    return np.ascontiguousarray(np.asarray(array, dtype="<f8")).view("<u8")


def assert_bits(got, expected, what):
    got, expected = bits(got).ravel(), bits(expected).ravel()
    assert got.shape == expected.shape, f"{what}: {got.shape[0]} values, wanted {expected.shape[0]}"
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, (
        f"{what}: {bad.size} values differ, first at {bad[0]}: "
        f"{got.view('<f8')[bad[0]]!r} != golden {expected.view('<f8')[bad[0]]!r}"
    )


def golden_array(value):
    """A zoo golden's {"dtype": "<f8", "shape", "data": base64} array."""
    assert value["dtype"] == "<f8", value["dtype"]
    return np.frombuffer(base64.b64decode(value["data"]), dtype="<f8").reshape(value["shape"])


class Golden:
    """The cases every client is driven with."""

    def __init__(self, golden_dir, classifier_model):
        training = json.loads((golden_dir / "training.json").read_text())
        assert training["features"] == FEATURES, training["features"]
        self.rows = np.array(training["rows"], dtype="<f8")
        self.prediction = np.array(training["prediction"], dtype="<f8")
        self.rejected = np.array(training["rejected_rows"], dtype="<f8")
        assert self.rows.shape == (5567, 6) and len(self.rejected) >= 1, self.rows.shape
        cases = json.loads((golden_dir / "per_request.json").read_text())["cases"]
        self.per_request = []
        for case in cases:
            table = numeric_rows(as_the_original_read_it(case["payload"], case["original_column_order"]))
            if table is not None:
                self.per_request.append((case["name"], np.array(table, dtype="<f8"),
                                         np.array(case["prediction"], dtype="<f8")))
        assert len(self.per_request) >= 50, len(self.per_request)

        model = json.loads(Path(classifier_model).read_text())
        zoo = json.loads(Path(classifier_model.replace(".model.json", ".golden.json")).read_text())
        self.classifier = model["name"]
        self.classes = list(zoo["classes"])
        self.clf_x = golden_array(zoo["X"])
        self.clf_labels = list(zoo["predict"])
        self.clf_proba = golden_array(zoo["predict_proba"])
        self.clf_x_nan = golden_array(zoo["X_nan"])
        self.clf_nan_labels = list(zoo["nan_outputs"]["predict"])
        self.clf_nan_proba = golden_array(zoo["nan_outputs"]["predict_proba"])

    def training_batches(self):
        for start in range(0, len(self.rows), BATCH):
            yield start, self.rows[start:start + BATCH], self.prediction[start:start + BATCH]


def labels(array):
    """A BYTES output as Python strings."""
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(array).ravel()]


class Env:
    """Where the servers are, and the cases."""

    def __init__(self, args):
        self.http = args.http
        self.grpc = None if args.grpc == "none" else args.grpc
        self.classifier_http = args.classifier_http
        self.classifier_grpc = None if args.classifier_grpc == "none" else args.classifier_grpc
        self.golden = Golden(Path(args.golden), args.classifier_model)


def run(checks, description, edge_checks=()):
    """Parses the command line, runs each (name, check(env) -> detail) on its own, prints
    one line per check and the counts; exits 1 if any failed. With --edge only the checks
    named in `edge_checks` run: the Spin component shares host's route table, not its
    compression, gRPC port or model flags."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--http", required=True, help="HOST:PORT of the regressor (the embedded model)")
    parser.add_argument("--grpc", required=True, help="its gRPC HOST:PORT, or none")
    parser.add_argument("--classifier-http", required=True, help="HOST:PORT of the classifier")
    parser.add_argument("--classifier-grpc", required=True, help="its gRPC HOST:PORT, or none")
    parser.add_argument("--classifier-model", required=True, help="the classifier's model file")
    parser.add_argument("--golden", default=str(ROOT / "model_data/golden"))
    parser.add_argument("--only", help="run only the checks whose name contains this")
    parser.add_argument("--edge", action="store_true",
                        help="the server is the Spin component (wasmtime serve): its checks only")
    parser.add_argument("--verbose", action="store_true", help="a traceback for each failure")
    args = parser.parse_args()
    env = Env(args)
    passed = failed = 0
    for name, check in checks:
        if (args.only and args.only not in name) or (args.edge and name not in edge_checks):
            continue
        start = time.monotonic()
        try:
            detail = check(env)
        except Exception as err:  # noqa: BLE001 -- every failure is reported, then counted
            failed += 1
            text = str(err).strip().splitlines()
            print(f"FAIL  {name}: {type(err).__name__}: {text[0] if text else ''}"[:600], flush=True)
            if args.verbose:
                traceback.print_exc()
            continue
        passed += 1
        print(f"ok    {name} ({time.monotonic() - start:.1f} s): {detail}", flush=True)
    print(f"clients: {passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
