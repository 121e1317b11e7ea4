#!/usr/bin/env python3
# KServe's clients against the real `host` (run by scripts/test/clients.sh in the pinned
# venv of scripts/test/clients_requirements.txt): InferenceRESTClient (protocol v2; its
# InferInput.set_data_from_numpy defaults to binary tensors, sent as
# application/octet-stream) and InferenceGRPCClient. Health, every golden training row and
# numeric per-request case with the golden's exact bits, a classifier, and errors that
# carry the server's message.
"""usage: clients_kserve_check.py --http HOST:PORT --grpc HOST:PORT|none
                                 --classifier-http HOST:PORT --classifier-grpc HOST:PORT|none
                                 --classifier-model FILE [--only TEXT] [--verbose]"""

import asyncio
import sys

import grpc
import httpx

from clients_common import MODEL, assert_bits, labels, run

# kserve's model server parses sys.argv when it is imported: let it see no options.
_argv, sys.argv = sys.argv, sys.argv[:1]
import kserve  # noqa: E402

from kserve.protocol.infer_type import RequestedOutput  # noqa: E402

sys.argv = _argv


# --- kserve ------------------------------------------------------------------------------

def kserve_request(model, rows, binary=True, parameters=None, outputs=None):
    tensor = kserve.InferInput("input-0", list(rows.shape), "FP64")
    if binary:
        tensor.set_data_from_numpy(rows)  # the client's default: binary_data=True
    else:
        tensor = kserve.InferInput("input-0", list(rows.shape), "FP64", data=rows.ravel().tolist())
    requested = None if outputs is None else [RequestedOutput(name) for name in outputs]
    return kserve.InferRequest(model_name=model, infer_inputs=[tensor], parameters=parameters,
                               request_outputs=requested)


def check_kserve_rest(env, binary=True):
    async def run():
        g = env.golden
        base = f"http://{env.http}"
        client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2"))
        try:
            assert await client.is_server_live(base) is True
            assert await client.is_server_ready(base) is True
            assert await client.is_model_ready(base, MODEL) is True
            for start, rows, want in g.training_batches():
                response = await client.infer(base, kserve_request(MODEL, rows, binary), model_name=MODEL)
                [output] = response.outputs
                assert output.name == "predict", output.name
                assert_bits(output.as_numpy(), want, f"kserve REST training rows {start}..")
            for name, rows, want in g.per_request:
                response = await client.infer(base, kserve_request(MODEL, rows, binary, {"scaling": "per-request"}),
                                              model_name=MODEL)
                assert_bits(response.outputs[0].as_numpy(), want, f"kserve REST {name}")
            try:
                await client.infer(base, kserve_request(MODEL, g.rows[:2, :5].copy(), binary), model_name=MODEL)
                raise AssertionError("a [2, 5] tensor: no error")
            except httpx.HTTPStatusError as err:
                assert err.response.status_code == 400 and "shape" in str(err), str(err)
                message = str(err)
        finally:
            await client.close()
        return f"health, {len(g.rows)} rows + {len(g.per_request)} cases exact; {message!r}"
    return asyncio.run(run())


def check_kserve_rest_json(env):
    return check_kserve_rest(env, binary=False)


def check_kserve_rest_classifier(env):
    async def run():
        g = env.golden
        base = f"http://{env.classifier_http}"
        client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2"))
        try:
            response = await client.infer(
                base, kserve_request(g.classifier, g.clf_x, outputs=["predict", "predict_proba"]),
                model_name=g.classifier)
            by_name = {o.name: o for o in response.outputs}
            assert labels(by_name["predict"].as_numpy()) == g.clf_labels, "labels"
            assert_bits(by_name["predict_proba"].as_numpy(), g.clf_proba, "predict_proba")
        finally:
            await client.close()
        return f"{g.classifier}: labels and probabilities exact"
    return asyncio.run(run())


def check_kserve_grpc(env):
    async def run():
        g = env.golden
        assert env.grpc, "no gRPC address: this host has no --grpc-listen"
        client = kserve.InferenceGRPCClient(env.grpc, retries=0)
        try:
            assert await client.is_server_live() is True
            assert await client.is_server_ready() is True
            assert await client.is_model_ready(MODEL) is True
            for start, rows, want in g.training_batches():
                response = await client.infer(kserve_request(MODEL, rows))
                assert_bits(response.outputs[0].as_numpy(), want, f"kserve gRPC training rows {start}..")
            for name, rows, want in g.per_request:
                response = await client.infer(kserve_request(MODEL, rows, parameters={"scaling": "per-request"}))
                assert_bits(response.outputs[0].as_numpy(), want, f"kserve gRPC {name}")
            try:
                await client.infer(kserve_request("nope", g.rows[:1]))
                raise AssertionError("unknown model: no error")
            except grpc.RpcError as err:
                assert err.code() == grpc.StatusCode.NOT_FOUND and "nope" in err.details(), (err.code(), err.details())
                message = err.details()
        finally:
            await client.close()
        return f"health, {len(g.rows)} rows + {len(g.per_request)} cases exact; NOT_FOUND {message!r}"
    return asyncio.run(run())


def check_kserve_grpc_classifier(env):
    async def run():
        g = env.golden
        assert env.classifier_grpc, "no gRPC address: this host has no --grpc-listen"
        client = kserve.InferenceGRPCClient(env.classifier_grpc, retries=0)
        try:
            response = await client.infer(
                kserve_request(g.classifier, g.clf_x, outputs=["predict", "predict_proba"]))
            by_name = {o.name: o for o in response.outputs}
            assert labels(by_name["predict"].as_numpy()) == g.clf_labels, "labels"
            assert_bits(by_name["predict_proba"].as_numpy(), g.clf_proba, "predict_proba")
        finally:
            await client.close()
        return f"{g.classifier}: labels and probabilities exact"
    return asyncio.run(run())


CHECKS = [
    ("kserve InferenceRESTClient: JSON data", check_kserve_rest_json),
    ("kserve InferenceRESTClient: defaults (binary, octet-stream)", check_kserve_rest),
    ("kserve InferenceRESTClient: classifier", check_kserve_rest_classifier),
    ("kserve InferenceGRPCClient: health, golden bits, errors", check_kserve_grpc),
    ("kserve InferenceGRPCClient: classifier", check_kserve_grpc_classifier),
]

if __name__ == "__main__":
    run(CHECKS, __doc__)
