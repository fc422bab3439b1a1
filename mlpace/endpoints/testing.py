"""A local test server with known latencies and injected failures, run in its own process.

    python -m mlpace.endpoints.testing --ttft-ms 20 --tpot-ms 2 --tokens 16 [--fail KIND --fail-from N]

serves OpenAI-compatible ``/v1/models``, ``/v1/chat/completions`` and ``/v1/completions``
(streamed: one token per SSE chunk, a usage chunk when asked, then ``[DONE]``; or one
JSON answer) and the v2 endpoints (``--onnx PATH`` runs a real ONNX model; without it
``outputs[0]`` is the row sum). TTFT (request arrival -> first token chunk written) and the
gap between tokens are injected (seeded uniform jitter with ``--jitter-ms``); the server
measures what it actually did and serves it at ``GET /stats`` (the truth a client's
figures are compared with). It binds 127.0.0.1 on a free port and prints ``PORT n``.

Failure kinds (``--fail``), for requests number ``--fail-from`` onwards (0-based):
``http_500``, ``http_429``, ``malformed`` (a non-JSON chunk), ``cut`` (stream ends without
finish_reason / [DONE]), ``error_chunk``, ``empty`` (finishes with no text), ``stall``
(never answers), ``die`` (the process exits: the request is reset, later connects refused).
``POST /control`` changes them between runs. ``ServerProcess`` starts and stops it from
tests and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request

FAILS = ("none", "http_500", "http_429", "malformed", "cut", "error_chunk", "empty", "stall", "die")


class _State:
    def __init__(self, args) -> None:
        import random

        self.args = args
        self.rng = random.Random(args.seed)
        self.count = 0
        self.truth: list[tuple[int, int, int, int]] = []  # (arrival, first token, last token, tokens)
        self.session = None
        if args.onnx:
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            self.session = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])

    def next_fail(self) -> str:
        n = self.count
        self.count += 1
        return self.args.fail if n >= self.args.fail_from else "none"

    def jitter(self, ms: float) -> float:
        j = self.args.jitter_ms
        return max(0.0, ms + (self.rng.uniform(-j, j) if j else 0.0)) / 1000.0


def _chunk(chat: bool, model: str, text: str | None, finish: str | None = None, role: bool = False) -> bytes:
    if chat:
        delta = {"role": "assistant", "content": ""} if role else ({"content": text} if text is not None else {})
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        obj = {"id": "cmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
               "choices": [choice]}
    else:
        obj = {"id": "cmpl-test", "object": "text_completion", "created": 0, "model": model,
               "choices": [{"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish}]}
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def make_app(state: _State):
    from aiohttp import web

    args = state.args

    async def models(request):
        return web.json_response({"object": "list", "data": [{"id": args.model, "object": "model",
                                                              "owned_by": "mlpace-test"}]})

    async def fail_early(kind):
        if kind == "die":
            os._exit(0)
        if kind == "stall":
            await asyncio.sleep(3600)
        if kind == "http_500":
            return web.json_response({"error": {"message": "injected failure", "type": "server_error",
                                                 "code": 500}}, status=500)
        if kind == "http_429":
            return web.json_response({"error": {"message": "rate limited", "type": "rate_limit", "code": 429}},
                                     status=429)
        return None

    async def generate(request):
        arrival = time.perf_counter_ns()
        chat = request.path.endswith("/chat/completions")
        body = await request.json()
        kind = state.next_fail()
        early = await fail_early(kind)
        if early is not None:
            return early
        n = args.tokens
        if body.get("max_tokens"):
            n = min(n, int(body["max_tokens"]))
        n = max(n, int(body.get("min_tokens") or 0), 1)
        words = [f"tok{i} " for i in range(n)]
        ttft = state.jitter(args.ttft_ms)
        if not body.get("stream"):
            await asyncio.sleep(ttft + sum(state.jitter(args.tpot_ms) for _ in range(n - 1)))
            text = "" if kind == "empty" else "".join(words)
            if kind == "malformed":
                return web.Response(text="{not json", content_type="application/json")
            if kind == "error_chunk":
                return web.json_response({"error": {"message": "injected error", "code": 500}})
            msg = {"role": "assistant", "content": text}
            choice = {"index": 0, "finish_reason": "length", **({"message": msg} if chat else {"text": text})}
            now = time.perf_counter_ns()
            state.truth.append((arrival, now, now, n))
            return web.json_response({"id": "cmpl-test", "object": "chat.completion" if chat else "text_completion",
                                      "model": args.model, "choices": [choice],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1}})
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        if chat:
            await resp.write(_chunk(True, args.model, None, role=True))
        await asyncio.sleep(ttft)
        first = last = 0
        sent = 0
        if kind != "empty":
            for i, w in enumerate(words):
                if i:
                    await asyncio.sleep(state.jitter(args.tpot_ms))
                if kind == "malformed" and i == 2:
                    await resp.write(b"data: {\"choices\": [{\"delta\": \n\n")
                    break
                if kind == "error_chunk" and i == 2:
                    await resp.write(b'data: {"error": {"message": "injected mid-stream error", "code": 500}}\n\n')
                    break
                if kind == "cut" and i == 2:
                    await resp.write_eof()
                    return resp
                last = time.perf_counter_ns()  # before the write: the client may read it before write returns
                first = first or last
                await resp.write(_chunk(chat, args.model, w, finish="length" if i == n - 1 else None))
                sent += 1
        else:
            await resp.write(_chunk(chat, args.model, "" if not chat else None, finish="stop"))
        if kind == "none":
            state.truth.append((arrival, first, last, sent))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 1, "completion_tokens": sent, "total_tokens": sent + 1}
            await resp.write(b"data: " + json.dumps({"id": "cmpl-test", "choices": [], "usage": usage}).encode()
                             + b"\n\n")
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def ready(request):
        return web.json_response({"ready": True})

    async def model_meta(request):
        return web.json_response({"name": request.match_info["name"], "platform": "onnx",
                                  "inputs": [{"name": args.v2_input, "datatype": "FP32", "shape": [-1, -1]}],
                                  "outputs": [{"name": "output", "datatype": "FP32", "shape": [-1, -1]}]})

    async def infer(request):
        import numpy as np

        kind = state.next_fail()
        early = await fail_early(kind)
        if early is not None:
            return early
        body = await request.json()
        inp = body["inputs"][0]
        x = np.asarray(inp["data"], dtype=np.float32).reshape(inp["shape"])
        if state.session is not None:
            name = state.session.get_inputs()[0].name
            y = np.asarray(state.session.run(None, {name: x})[0])
        else:
            y = x.sum(axis=1, keepdims=True)
        if args.ttft_ms:
            await asyncio.sleep(state.jitter(args.ttft_ms))
        if kind == "malformed":
            return web.Response(text="{not json", content_type="application/json")
        if kind == "empty":
            y = y[:0]
        dt = "INT64" if y.dtype.kind in "iu" else "FP32"
        return web.json_response({"model_name": request.match_info["name"], "outputs": [
            {"name": "output", "shape": list(y.shape), "datatype": dt, "data": y.ravel().tolist()}]})

    async def stats(request):
        return web.json_response({"requests": state.count, "truth": state.truth})

    async def control(request):
        """Change the injected failure and latencies between runs; resets counters and truth."""
        body = await request.json()
        for key in ("fail", "fail_from", "ttft_ms", "tpot_ms", "tokens", "jitter_ms"):
            if key in body:
                setattr(args, key, body[key])
        if args.fail not in FAILS:
            return web.json_response({"error": f"fail must be one of {FAILS}"}, status=400)
        state.count = 0
        state.truth = []
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", generate)
    app.router.add_post("/v1/completions", generate)
    app.router.add_get("/health", ready)  # vLLM's; guidellm checks it
    app.router.add_get("/v2/health/ready", ready)
    app.router.add_get("/v2/health/live", ready)
    app.router.add_get("/v2/models/{name}", model_meta)
    app.router.add_post("/v2/models/{name}/infer", infer)
    app.router.add_get("/stats", stats)
    app.router.add_post("/control", control)
    return app


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m mlpace.endpoints.testing", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--model", default="mlpace-test")
    p.add_argument("--ttft-ms", type=float, default=20.0)
    p.add_argument("--tpot-ms", type=float, default=2.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--tokens", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fail", choices=FAILS, default="none")
    p.add_argument("--fail-from", type=int, default=0)
    p.add_argument("--onnx", default=None)
    p.add_argument("--v2-input", default="input")
    args = p.parse_args(argv)
    from aiohttp import web

    async def serve():
        runner = web.AppRunner(make_app(_State(args)), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


class ServerProcess:
    """The test server in a subprocess: ``.url`` (``http://127.0.0.1:PORT``), ``.stats()``, ``.stop()``."""

    def __init__(self, *, ttft_ms: float = 20.0, tpot_ms: float = 2.0, tokens: int = 8, fail: str = "none",
                 fail_from: int = 0, jitter_ms: float = 0.0, seed: int = 0, model: str = "mlpace-test",
                 onnx: str | None = None, python: str | None = None, startup_s: float = 30.0) -> None:
        cmd = [python or sys.executable, "-m", "mlpace.endpoints.testing", "--ttft-ms", str(ttft_ms),
               "--tpot-ms", str(tpot_ms), "--tokens", str(tokens), "--fail", fail, "--fail-from", str(fail_from),
               "--jitter-ms", str(jitter_ms), "--seed", str(seed), "--model", model]
        if onnx:
            cmd += ["--onnx", str(onnx)]
        import tempfile

        self._err = tempfile.TemporaryFile(mode="w+")  # a pipe could fill up and block the server
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err, text=True)
        deadline = time.monotonic() + startup_s
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("PORT ") or not line:
                break
        if not line.startswith("PORT "):
            self.stop()
            self._err.seek(0)
            raise RuntimeError(f"test server did not start: {self._err.read()[-2000:]}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as r:
            return json.loads(r.read())

    def control(self, **values) -> None:
        """Set ``fail``, ``fail_from``, ``ttft_ms``, ``tpot_ms``, ``tokens``, ``jitter_ms``; reset counters."""
        req = urllib.request.Request(self.url + "/control", data=json.dumps(values).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc.stdout.close()
        self._err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    main()
