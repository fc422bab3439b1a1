"""Open Inference Protocol v2 (KServe / Triton REST) for the tensor workloads (digits, vww, anomaly).

Model name = workload name, version ``1``. ``POST /v2/models/{name}/infer`` takes an FP32
``inputs[0]`` of shape ``[n, d]`` (``data`` flat or nested, row-major) and answers with
``outputs[0]`` = the ONNX model's first output, its datatype (INT64 labels or FP32 scores)
and shape ``[n, ...]``; inference runs in a worker thread. Errors: HTTP 400 (bad request)
or 404 (unknown model) with ``{"error": "<message>"}``. Health: ``/v2/health/live`` and
``/v2/health/ready`` answer 200 with ``{"live": true}`` / ``{"ready": true}``.
"""

from __future__ import annotations

import json

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mlpace import __version__

_ORT_TYPES = {"tensor(float)": "FP32", "tensor(int64)": "INT64", "tensor(int32)": "INT32", "tensor(double)": "FP64"}
_NP_TYPES = {np.dtype(np.float32): "FP32", np.dtype(np.int64): "INT64", np.dtype(np.int32): "INT32",
             np.dtype(np.float64): "FP64"}


class V2Error(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status

    def response(self) -> JSONResponse:
        return JSONResponse({"error": str(self)}, status_code=self.status)


def _dims(shape) -> list[int]:
    return [d if isinstance(d, int) else -1 for d in shape]


class TensorModel:
    """One workload's ONNX model behind v2: metadata and a thread-safe onnxruntime session."""

    def __init__(self, workload):
        self.name = workload.name
        self.runner = workload.make_runner("onnxruntime")
        session = self.runner.session
        self.inputs = [{"name": i.name, "datatype": _ORT_TYPES.get(i.type, i.type), "shape": _dims(i.shape)}
                       for i in session.get_inputs()]
        self.outputs = [{"name": o.name, "datatype": _ORT_TYPES.get(o.type, o.type), "shape": _dims(o.shape)}
                        for o in session.get_outputs()]
        self.features = self.inputs[0]["shape"][-1]

    def metadata(self) -> dict:
        return {"name": self.name, "versions": ["1"], "platform": "onnxruntime_onnx",
                "inputs": self.inputs, "outputs": self.outputs}

    def parse(self, body) -> tuple[np.ndarray, object]:
        if not isinstance(body, dict):
            raise V2Error("request body must be a JSON object with 'inputs'")
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not inputs or not isinstance(inputs[0], dict):
            raise V2Error("'inputs' must be a non-empty list of tensors {name, shape, datatype, data}")
        t = inputs[0]
        if t.get("datatype") != "FP32":
            raise V2Error(f"inputs[0].datatype must be FP32 (got {t.get('datatype')!r})")
        shape = t.get("shape")
        if (not isinstance(shape, list) or len(shape) != 2
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
            raise V2Error(f"inputs[0].shape must be [n, {self.features}] (got {shape!r})")
        if shape[1] != self.features:
            raise V2Error(f"inputs[0].shape[1] must be {self.features} for model {self.name!r} (got {shape[1]})")
        try:
            x = np.asarray(t.get("data"), dtype=np.float32)
        except (TypeError, ValueError):
            raise V2Error("inputs[0].data must be numbers (flat or nested, row-major)") from None
        if x.size != shape[0] * shape[1]:
            raise V2Error(f"inputs[0].data holds {x.size} values; shape {shape} needs {shape[0] * shape[1]}")
        return x.reshape(shape), body.get("id")

    def infer(self, x: np.ndarray) -> dict:
        out = np.asarray(self.runner(x))
        name = self.outputs[0]["name"]
        datatype = _NP_TYPES.get(out.dtype, self.outputs[0]["datatype"])
        return {"name": name, "datatype": datatype, "shape": list(out.shape), "data": out.reshape(-1).tolist()}


class V2Service:
    def __init__(self, workloads):
        self.models = {wl.name: TensorModel(wl) for wl in workloads}

    def _model(self, request: Request) -> TensorModel:
        name = request.path_params["name"]
        version = request.path_params.get("version")
        if name not in self.models:
            raise V2Error(f"unknown model {name!r}; served: {', '.join(self.models)}", 404)
        if version is not None and version != "1":
            raise V2Error(f"unknown version {version!r} of model {name!r}; served: 1", 404)
        return self.models[name]

    async def live(self, request: Request) -> JSONResponse:
        return JSONResponse({"live": True})

    async def ready(self, request: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    async def server_metadata(self, request: Request) -> JSONResponse:
        return JSONResponse({"name": "mlpace", "version": __version__, "extensions": []})

    async def model_metadata(self, request: Request) -> JSONResponse:
        try:
            return JSONResponse(self._model(request).metadata())
        except V2Error as err:
            return err.response()

    async def model_ready(self, request: Request) -> JSONResponse:
        try:
            model = self._model(request)
        except V2Error as err:
            return err.response()
        return JSONResponse({"name": model.name, "ready": True})

    async def infer(self, request: Request) -> JSONResponse:
        try:
            model = self._model(request)
            try:
                body = json.loads(await request.body())
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise V2Error(f"request body is not valid JSON: {exc}") from None
            x, rid = model.parse(body)
        except V2Error as err:
            return err.response()
        output = await run_in_threadpool(model.infer, x)
        reply = {"model_name": model.name, "model_version": "1", "outputs": [output]}
        if rid is not None:
            reply["id"] = rid
        return JSONResponse(reply)

    def routes(self) -> list[Route]:
        routes = [
            Route("/v2/health/live", self.live, methods=["GET"]),
            Route("/v2/health/ready", self.ready, methods=["GET"]),
            Route("/v2", self.server_metadata, methods=["GET"]),
        ]
        for prefix in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}"):
            routes += [
                Route(prefix, self.model_metadata, methods=["GET"]),
                Route(prefix + "/ready", self.model_ready, methods=["GET"]),
                Route(prefix + "/infer", self.infer, methods=["POST"]),
            ]
        return routes
