"""Open Inference Protocol v2 (KServe / Triton / MLServer REST): infer request and answer.

One request per query (Offline: per ``batch_size`` samples): ``inputs[0]`` is the FP32
feature rows, shape ``[n, d]``; ``outputs[0]`` of the answer is the model's first output,
which must hold ``n`` rows.
"""

from __future__ import annotations

import json

import numpy as np

from mlpace.endpoints.failures import RequestFailed

_NP = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
       "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FP16": np.float16,
       "FP32": np.float32, "FP64": np.float64}


def infer_path(model: str) -> str:
    return f"/v2/models/{model}/infer"


def request_body(input_name: str, x: np.ndarray) -> bytes:
    x = np.ascontiguousarray(x, dtype=np.float32)
    return json.dumps({"inputs": [{"name": input_name, "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.ravel().tolist()}]}).encode()


def read_answer(raw: bytes, n: int) -> np.ndarray:
    """``outputs[0]`` as an array with ``n`` rows; ``RequestFailed`` otherwise."""
    try:
        obj = json.loads(raw)
    except ValueError:
        raise RequestFailed("malformed_stream", f"v2 answer is not JSON: {raw[:120]!r}") from None
    if isinstance(obj, dict) and obj.get("error"):
        raise RequestFailed("error_chunk", f"v2 error: {str(obj['error'])[:300]}")
    try:
        out = obj["outputs"][0]
        data = out["data"]
        dtype = _NP.get(str(out.get("datatype", "FP32")).upper(), np.float64)
        arr = np.asarray(data, dtype=dtype).reshape(-1)
    except (KeyError, IndexError, TypeError, ValueError):
        raise RequestFailed("malformed_stream", f"v2 answer without outputs[0].data: {raw[:160]!r}") from None
    if arr.size == 0:
        raise RequestFailed("empty_output", "v2 answer with an empty outputs[0]")
    if arr.size % n:
        raise RequestFailed("malformed_stream", f"v2 outputs[0] has {arr.size} values for {n} samples")
    return arr.reshape(n, -1)
