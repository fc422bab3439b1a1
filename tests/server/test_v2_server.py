"""Open Inference Protocol v2 for digits/vww/anomaly: metadata, health, infer equal to the
in-process onnxruntime runner, and the 400/404 error bodies."""

import httpx
import numpy as np
import pytest

from mlpace import workloads
from mlpace.server import ServerThread


@pytest.fixture(scope="module")
def client():
    with ServerThread(["digits", "vww", "anomaly"]) as s:
        with httpx.Client(base_url=s.url, timeout=60) as c:
            yield c


def test_health_and_server_metadata(client):
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    meta = client.get("/v2").json()
    assert meta["name"] == "mlpace" and "version" in meta and isinstance(meta["extensions"], list)


@pytest.mark.parametrize("name", ["digits", "vww", "anomaly"])
def test_infer_equals_the_in_process_runner(client, name):
    wl = workloads.get(name)
    x, _ = wl.eval_set
    x = x[:7]
    meta = client.get(f"/v2/models/{name}").json()
    assert meta["name"] == name and meta["inputs"][0]["datatype"] == "FP32"
    assert meta["inputs"][0]["shape"] == [-1, x.shape[1]]
    assert client.get(f"/v2/models/{name}/ready").status_code == 200
    expected = np.asarray(wl.make_runner()(x))
    for data in (x.reshape(-1).tolist(), x.tolist()):  # flat and nested
        r = client.post(f"/v2/models/{name}/infer", json={
            "id": "req-1", "inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32", "data": data}]})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["model_name"] == name and body["id"] == "req-1"
        out = body["outputs"][0]
        assert out["shape"] == list(expected.shape)
        assert out["datatype"] == {"int64": "INT64", "float32": "FP32"}[expected.dtype.name]
        np.testing.assert_array_equal(np.asarray(out["data"], dtype=expected.dtype).reshape(expected.shape), expected)


@pytest.mark.parametrize("path,body,status", [
    ("/v2/models/resnet/infer", {"inputs": []}, 404),
    ("/v2/models/digits/infer", {"inputs": []}, 400),
    ("/v2/models/digits/infer", {"inputs": [{"name": "i", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}, 400),
    ("/v2/models/digits/infer", {"inputs": [{"name": "i", "shape": [2, 64], "datatype": "FP32", "data": [0] * 64}]}, 400),
    ("/v2/models/digits/infer", {"inputs": [{"name": "i", "shape": [1, 64], "datatype": "INT8", "data": [0] * 64}]}, 400),
])
def test_errors_are_400_or_404_with_an_error_string(client, path, body, status):
    r = client.post(path, json=body)
    assert r.status_code == status
    assert isinstance(r.json()["error"], str) and r.json()["error"]


def test_unknown_model_metadata_is_404(client):
    r = client.get("/v2/models/resnet")
    assert r.status_code == 404 and "digits" in r.json()["error"]
