#!/usr/bin/env python3
# Triton's clients against the real `host` (run by scripts/test/clients.sh in the pinned
# venv of scripts/test/clients_requirements.txt): tritonclient.http (sync; its defaults
# send binary tensors and ask for binary outputs; with request and response compression),
# tritonclient.http.aio, tritonclient.grpc. Health, metadata, every golden training row and
# numeric per-request case with the golden's exact bits, a classifier (BYTES labels,
# probabilities, NaN rows), and errors that carry the server's message.
"""usage: clients_triton_check.py --http HOST:PORT --grpc HOST:PORT|none
                                 --classifier-http HOST:PORT --classifier-grpc HOST:PORT|none
                                 --classifier-model FILE [--only TEXT] [--edge] [--verbose]"""

import asyncio
import gzip
import http.client
import json
import zlib

import tritonclient.grpc as triton_grpc
import tritonclient.http as triton_http
import tritonclient.http.aio as triton_aio
from tritonclient.utils import InferenceServerException

from clients_common import FEATURES, MODEL, assert_bits, labels, run


def expect_error(call, status, needle, what):
    """`call()` must raise the client's error for HTTP `status` (or a gRPC code name)
    whose message holds the server's `needle`; returns the message."""
    try:
        call()
    except InferenceServerException as err:
        assert needle in (err.message() or ""), f"{what}: message {err.message()!r} lacks {needle!r}"
        assert str(status) in str(err.status()), f"{what}: status {err.status()!r}, wanted {status}"
        return err.message()
    raise AssertionError(f"{what}: no error raised")


# --- tritonclient.http (sync) ------------------------------------------------------------

def triton_inputs(module, rows, binary):
    tensor = module.InferInput("input-0", list(rows.shape), "FP64")
    if binary is None:
        tensor.set_data_from_numpy(rows)  # the client's default: binary_data=True
    else:
        tensor.set_data_from_numpy(rows, binary_data=binary)
    return [tensor]


def triton_http_infer_golden(client, golden, what, binary=None, outputs=None, **kwargs):
    """Every training row in batches and every numeric per-request case, exact bits.
    `binary`: the inputs' binary_data (None: the default); `outputs`: None asks for no
    output (the client then asks for all, binary), else `predict` with that binary_data."""
    requests = 0

    def infer(rows, **more):
        nonlocal requests
        requests += 1
        out = None if outputs is None else [triton_http.InferRequestedOutput("predict", binary_data=outputs)]
        return client.infer(MODEL, triton_inputs(triton_http, rows, binary), outputs=out, **more, **kwargs)

    for start, rows, want in golden.training_batches():
        result = infer(rows, request_id=f"t{start}")
        assert result.get_response()["id"] == f"t{start}", result.get_response()
        assert_bits(result.as_numpy("predict"), want, f"{what}: training rows {start}..")
    for name, rows, want in golden.per_request:
        result = infer(rows, parameters={"scaling": "per-request"})
        assert_bits(result.as_numpy("predict"), want, f"{what}: {name}")
    return f"{len(golden.rows)} training rows + {len(golden.per_request)} per-request cases, exact ({requests} requests)"


def check_triton_http_health_metadata(env):
    client = triton_http.InferenceServerClient(env.http)
    assert client.is_server_live() is True
    assert client.is_server_ready() is True
    assert client.is_model_ready(MODEL) is True
    assert client.is_model_ready("nope") is False
    meta = client.get_server_metadata()
    assert meta["name"] and meta["version"], meta
    model = client.get_model_metadata(MODEL)
    assert model["name"] == MODEL, model
    assert [o["name"] for o in model["outputs"]] == ["predict"], model["outputs"]
    assert model["outputs"][0]["datatype"] == "FP64", model["outputs"]
    assert [i["name"] for i in model["inputs"]] == FEATURES, model["inputs"]
    expect_error(lambda: client.get_model_metadata("nope"), 404, "nope", "metadata of an unknown model")
    return f"live, ready, server {meta['name']} {meta['version']}, model metadata, unknown model 404"


def check_triton_http_binary_extension_advertised(env):
    meta = triton_http.InferenceServerClient(env.http).get_server_metadata()
    assert "binary_tensor_data" in meta.get("extensions", []), f"GET /v2 extensions {meta.get('extensions')}"
    return f"extensions {meta['extensions']}"


def check_triton_http_json(env):
    client = triton_http.InferenceServerClient(env.http)
    return triton_http_infer_golden(client, env.golden, "tritonclient.http JSON", binary=False, outputs=False)


def check_triton_http_default(env):
    client = triton_http.InferenceServerClient(env.http)
    return triton_http_infer_golden(client, env.golden, "tritonclient.http defaults")


def check_triton_http_gzip(env):
    client = triton_http.InferenceServerClient(env.http)
    return triton_http_infer_golden(client, env.golden, "tritonclient.http gzip",
                                    request_compression_algorithm="gzip",
                                    response_compression_algorithm="gzip")


def check_triton_http_deflate(env):
    client = triton_http.InferenceServerClient(env.http)
    return triton_http_infer_golden(client, env.golden, "tritonclient.http deflate",
                                    request_compression_algorithm="deflate",
                                    response_compression_algorithm="deflate")


def check_triton_http_gzip_json(env):
    client = triton_http.InferenceServerClient(env.http)
    return triton_http_infer_golden(client, env.golden, "tritonclient.http gzip JSON", binary=False,
                                    outputs=False, request_compression_algorithm="gzip",
                                    response_compression_algorithm="gzip")


def check_server_compresses_when_asked(env):
    """What the clients above rely on, seen on the wire: the Content-Encoding of the answer."""
    host, port = env.http.rsplit(":", 1)
    rows = env.golden.rows[:200]
    body = json.dumps({"inputs": [{"name": "x", "shape": [200, 6], "datatype": "FP64",
                                   "data": rows.ravel().tolist()}]}).encode()
    seen = []
    for encoding, decode in [("gzip", gzip.decompress), ("deflate", zlib.decompress)]:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("POST", f"/v2/models/{MODEL}/infer", body=body,
                     headers={"Content-Type": "application/json", "Accept-Encoding": encoding})
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        assert response.status == 200, (response.status, raw[:200])
        assert response.getheader("Content-Encoding") == encoding, response.getheaders()
        answer = json.loads(decode(raw))
        assert_bits(answer["outputs"][0]["data"], env.golden.prediction[:200], f"{encoding} answer")
        seen.append(f"{encoding} {len(raw)} B")
    return "answers compressed: " + ", ".join(seen)


def check_triton_http_classifier(env):
    g = env.golden
    client = triton_http.InferenceServerClient(env.classifier_http)
    model = client.get_model_metadata(g.classifier)
    assert [(o["name"], o["datatype"]) for o in model["outputs"]] == [("predict", "BYTES"), ("predict_proba", "FP64")], model
    outputs = [triton_http.InferRequestedOutput("predict"), triton_http.InferRequestedOutput("predict_proba")]
    for x, want_labels, want_proba, what in [(g.clf_x, g.clf_labels, g.clf_proba, "X"),
                                             (g.clf_x_nan, g.clf_nan_labels, g.clf_nan_proba, "X_nan (NaN as binary)")]:
        tensor = triton_http.InferInput("x", list(x.shape), "FP64")
        tensor.set_data_from_numpy(x)
        result = client.infer(g.classifier, [tensor], outputs=outputs)
        assert labels(result.as_numpy("predict")) == want_labels, f"{what}: labels"
        assert_bits(result.as_numpy("predict_proba"), want_proba, f"{what}: predict_proba")
    return f"{g.classifier}: {len(g.clf_labels)} + {len(g.clf_nan_labels)} rows, labels and probabilities exact"


def check_triton_http_classifier_json(env):
    g = env.golden
    client = triton_http.InferenceServerClient(env.classifier_http)
    tensor = triton_http.InferInput("x", list(g.clf_x.shape), "FP64")
    tensor.set_data_from_numpy(g.clf_x, binary_data=False)
    outputs = [triton_http.InferRequestedOutput("predict", binary_data=False),
               triton_http.InferRequestedOutput("predict_proba", binary_data=False)]
    result = client.infer(g.classifier, [tensor], outputs=outputs)
    assert labels(result.as_numpy("predict")) == g.clf_labels, "labels"
    assert_bits(result.as_numpy("predict_proba"), g.clf_proba, "predict_proba")
    return f"{g.classifier}: {len(g.clf_labels)} rows as JSON tensors, exact"


def check_triton_http_errors(env):
    """JSON tensors (the binary ones go through the same checks once decoded)."""
    g = env.golden
    client = triton_http.InferenceServerClient(env.http)
    bad = triton_http.InferInput("x", [2, 5], "FP64")
    bad.set_data_from_numpy(g.rows[:2, :5].copy(), binary_data=False)
    json_out = [triton_http.InferRequestedOutput("predict", binary_data=False)]
    shape = expect_error(lambda: client.infer(MODEL, [bad], outputs=json_out), 400, "shape", "a [2, 5] tensor")
    rejected = expect_error(lambda: client.infer(MODEL, triton_inputs(triton_http, g.rejected[:1], False),
                                                 outputs=json_out),
                            400, "overflows float32", "a row scikit-learn refuses")
    expect_error(lambda: client.infer("nope", triton_inputs(triton_http, g.rows[:1], False), outputs=json_out),
                 404, "nope", "an unknown model")
    wrong = expect_error(lambda: client.infer(MODEL, triton_inputs(triton_http, g.rows[:1], False),
                                              outputs=[triton_http.InferRequestedOutput("proba", binary_data=False)]),
                         400, "proba", "an output the model lacks")
    return f"400 {shape!r}; 400 {rejected!r}; 404; 400 {wrong!r}"


# --- tritonclient.http.aio ---------------------------------------------------------------

def check_triton_aio(env):
    async def run():
        g = env.golden
        client = triton_aio.InferenceServerClient(env.http)
        try:
            assert await client.is_server_live() is True
            assert await client.is_server_ready() is True
            assert await client.is_model_ready(MODEL) is True
            assert (await client.get_model_metadata(MODEL))["name"] == MODEL
            for start, rows, want in g.training_batches():
                result = await client.infer(MODEL, triton_inputs(triton_aio, rows, None))
                assert_bits(result.as_numpy("predict"), want, f"aio training rows {start}..")
            for name, rows, want in g.per_request:
                result = await client.infer(MODEL, triton_inputs(triton_aio, rows, None),
                                            parameters={"scaling": "per-request"})
                assert_bits(result.as_numpy("predict"), want, f"aio {name}")
            result = await client.infer(MODEL, triton_inputs(triton_aio, g.rows[:300], None),
                                        request_compression_algorithm="gzip",
                                        response_compression_algorithm="gzip")
            assert_bits(result.as_numpy("predict"), g.prediction[:300], "aio gzip")
            try:
                await client.infer("nope", triton_inputs(triton_aio, g.rows[:1], None))
                raise AssertionError("unknown model: no error")
            except InferenceServerException as err:
                assert "nope" in err.message() and err.status() == "404", (err.status(), err.message())
        finally:
            await client.close()
        return f"health, metadata, {len(g.rows)} rows + {len(g.per_request)} cases exact, gzip, 404"
    return asyncio.run(run())


def check_triton_aio_json(env):
    """binary_data=False: a JSON body, which this client sends as application/octet-stream."""
    async def run():
        g = env.golden
        client = triton_aio.InferenceServerClient(env.http)
        try:
            out = [triton_aio.InferRequestedOutput("predict", binary_data=False)]
            for start, rows, want in g.training_batches():
                result = await client.infer(MODEL, triton_inputs(triton_aio, rows, False), outputs=out)
                assert_bits(result.as_numpy("predict"), want, f"aio JSON training rows {start}..")
        finally:
            await client.close()
        return f"{len(g.rows)} rows as JSON tensors, exact"
    return asyncio.run(run())


# --- tritonclient.grpc -------------------------------------------------------------------

def check_triton_grpc(env):
    g = env.golden
    assert env.grpc, "no gRPC address: this host has no --grpc-listen"
    client = triton_grpc.InferenceServerClient(env.grpc)
    try:
        assert client.is_server_live() is True
        assert client.is_server_ready() is True
        assert client.is_model_ready(MODEL) is True
        meta = client.get_server_metadata(as_json=True)
        assert meta["name"], meta
        model = client.get_model_metadata(MODEL, as_json=True)
        assert model["name"] == MODEL and [o["name"] for o in model["outputs"]] == ["predict"], model
        for start, rows, want in g.training_batches():
            result = client.infer(MODEL, triton_inputs(triton_grpc, rows, None), request_id=f"g{start}")
            assert result.get_response().id == f"g{start}", result.get_response().id
            assert_bits(result.as_numpy("predict"), want, f"grpc training rows {start}..")
        for name, rows, want in g.per_request:
            result = client.infer(MODEL, triton_inputs(triton_grpc, rows, None),
                                  parameters={"scaling": "per-request"})
            assert_bits(result.as_numpy("predict"), want, f"grpc {name}")
        bad = triton_grpc.InferInput("x", [2, 5], "FP64")
        bad.set_data_from_numpy(g.rows[:2, :5].copy())
        shape = expect_error(lambda: client.infer(MODEL, [bad]), "INVALID_ARGUMENT", "shape", "grpc [2, 5]")
        expect_error(lambda: client.infer("nope", triton_inputs(triton_grpc, g.rows[:1], None)),
                     "NOT_FOUND", "nope", "grpc unknown model")
        rejected = expect_error(lambda: client.infer(MODEL, triton_inputs(triton_grpc, g.rejected[:1], None)),
                                "INVALID_ARGUMENT", "overflows float32", "grpc refused row")
    finally:
        client.close()
    return (f"health, metadata, {len(g.rows)} rows + {len(g.per_request)} cases exact; "
            f"INVALID_ARGUMENT {shape!r}; NOT_FOUND; {rejected!r}")


def check_triton_grpc_gzip(env):
    """gRPC message compression (grpc-encoding: gzip), as tritonclient sends it when asked."""
    g = env.golden
    assert env.grpc, "no gRPC address: this host has no --grpc-listen"
    client = triton_grpc.InferenceServerClient(env.grpc)
    try:
        for start, rows, want in g.training_batches():
            result = client.infer(MODEL, triton_inputs(triton_grpc, rows, None), compression_algorithm="gzip")
            assert_bits(result.as_numpy("predict"), want, f"grpc gzip training rows {start}..")
    finally:
        client.close()
    return f"{len(g.rows)} rows in gzip-compressed calls, exact"


def check_triton_grpc_classifier(env):
    g = env.golden
    assert env.classifier_grpc, "no gRPC address: this host has no --grpc-listen"
    client = triton_grpc.InferenceServerClient(env.classifier_grpc)
    try:
        outputs = [triton_grpc.InferRequestedOutput("predict"), triton_grpc.InferRequestedOutput("predict_proba")]
        for x, want_labels, want_proba, what in [(g.clf_x, g.clf_labels, g.clf_proba, "X"),
                                                 (g.clf_x_nan, g.clf_nan_labels, g.clf_nan_proba, "X_nan")]:
            tensor = triton_grpc.InferInput("x", list(x.shape), "FP64")
            tensor.set_data_from_numpy(x)
            result = client.infer(g.classifier, [tensor], outputs=outputs)
            assert labels(result.as_numpy("predict")) == want_labels, f"grpc {what}: labels"
            assert_bits(result.as_numpy("predict_proba"), want_proba, f"grpc {what}: predict_proba")
    finally:
        client.close()
    return f"{g.classifier}: labels and probabilities exact"


CHECKS = [
    ("tritonclient.http: live, ready, server and model metadata", check_triton_http_health_metadata),
    ("tritonclient.http: JSON tensors (binary_data=False), golden bits", check_triton_http_json),
    ("tritonclient.http: defaults (binary tensors in and out), golden bits", check_triton_http_default),
    ("GET /v2 advertises binary_tensor_data", check_triton_http_binary_extension_advertised),
    ("tritonclient.http: gzip request and response, JSON tensors", check_triton_http_gzip_json),
    ("tritonclient.http: gzip request and response, defaults", check_triton_http_gzip),
    ("tritonclient.http: deflate request and response, defaults", check_triton_http_deflate),
    ("server: Accept-Encoding gzip/deflate gives a compressed answer", check_server_compresses_when_asked),
    ("tritonclient.http: classifier, JSON tensors", check_triton_http_classifier_json),
    ("tritonclient.http: classifier, defaults (BYTES labels, NaN rows)", check_triton_http_classifier),
    ("tritonclient.http: errors carry the server's message", check_triton_http_errors),
    ("tritonclient.http.aio: JSON tensors (sent as application/octet-stream)", check_triton_aio_json),
    ("tritonclient.http.aio: defaults, gzip, errors", check_triton_aio),
    ("tritonclient.grpc: health, metadata, golden bits, errors", check_triton_grpc),
    ("tritonclient.grpc: gzip-compressed calls", check_triton_grpc_gzip),
    ("tritonclient.grpc: classifier", check_triton_grpc_classifier),
]

# What the Spin component answers like host: the core's route table over HTTP (no
# compression, no gRPC; it serves the embedded regressor only).
EDGE_CHECKS = [
    "tritonclient.http: live, ready, server and model metadata",
    "tritonclient.http: JSON tensors (binary_data=False), golden bits",
    "tritonclient.http: defaults (binary tensors in and out), golden bits",
    "GET /v2 advertises binary_tensor_data",
    "tritonclient.http: errors carry the server's message",
    "tritonclient.http.aio: JSON tensors (sent as application/octet-stream)",
]
assert set(EDGE_CHECKS) <= {name for name, _ in CHECKS}

if __name__ == "__main__":
    run(CHECKS, __doc__, EDGE_CHECKS)
